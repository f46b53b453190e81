#!/usr/bin/env python3
"""bench/lint/agree.py — how often `dbmig lint` and squawk agree, rule by
rule, on PostgreSQL migrations (issue 18). bench/lint_squawk.sh installs
squawk and calls this; tests/lint/agree.py checks the recorded figures.

A *case* is one migration file of one to a few statements: the cases of
tests/lint/corpus/hand.sql, the up sections of the sample project
(migrations/), and the generated ones (bench/lint/gen_corpus.py, seeded).
Each becomes a migration for dbmig (`-- dbmig:up` body, a trivial down
section) and a plain .sql file for squawk. For every rule both tools have,
agreement = cases where both report the rule or neither does / all cases.

squawk is told the transaction context dbmig uses: a file runs in one
transaction (--assume-in-transaction) unless its header says `-- dbmig:
transaction off` or it holds a CONCURRENTLY statement (dbmig then runs it
outside one). Rules squawk names differently are mapped (RULE_MAP).

  agree.py --squawk PATH [--generated N] [--seed S] [--json OUT] [--show K]
  agree.py --record FILE      (write squawk's findings per case, for the test)
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

# squawk's name -> dbmig's, where they differ. squawk 2.x split
# require-timeout-settings into a lock and a statement time-out; dbmig's
# rule is about the lock (a statement time-out does not stop the queue).
RULE_MAP = {
    "require-lock-timeout": "require-timeout-settings",
    "prefer-timestamptz": "prefer-timestamp-tz",
    "syntax-error": "parse-error",
}
# squawk rules dbmig has no counterpart for (not compared).
SQUAWK_ONLY_NOTE = "require-statement-timeout and the others dbmig does not implement"

TXN_OFF = "-- dbmig:transaction off"

# The disagreement classes docs/lint.md explains, recognised from the case:
# (rule, who reports it, class, pattern on the case's SQL). The first
# pattern that matches names the class; a disagreement none matches is
# "unexplained" (the test fails on it).
I = re.I | re.S
NO_BLOCK = (r"^(?!.*\b(alter\s+table|drop\s+table|truncate)\b)(?!.*\bcreate\s+(unique\s+)?index\s+(?!concurrently))"
            r"(?!.*\breferences\b)(?!.*\bdrop\s+index\s+(?!concurrently))(?!.*\bcascade\b)(?!.*\breindex\s+system\b)")
CLASSES = [
    ("ban-concurrent-index-creation-in-transaction", "dbmig", "drop-concurrently-in-begin",
     re.compile(r"\bbegin\s*;.*drop\s+index\s+concurrently", I)),
    ("require-timeout-settings", "dbmig", "zero-timeout",
     re.compile(r"lock_timeout\s*(=\s*0\b|to\s+default)|\breset\s+(lock_timeout|all)", I)),
    ("require-timeout-settings", "dbmig", "partition-of", re.compile(r"\bpartition\s+of\b", I)),
    # squawk's require-lock-timeout on statements whose lock no query waits
    # behind, by kind (the first that matches); NO_BLOCK rules out every
    # statement that does lock a table against reads or writes
    ("require-timeout-settings", "squawk", "concurrently",
     re.compile(NO_BLOCK + r"(?=.*\bconcurrently\b)", I)),
    ("require-timeout-settings", "squawk", "index-rename",
     re.compile(NO_BLOCK + r"(?=.*\balter\s+index\b)", I)),
    ("require-timeout-settings", "squawk", "type",
     re.compile(NO_BLOCK + r"(?=.*\b(create|alter|drop)\s+type\b)", I)),
    ("require-timeout-settings", "squawk", "comment", re.compile(NO_BLOCK + r"(?=.*\bcomment\s+on\b)", I)),
    ("require-timeout-settings", "squawk", "no-table-lock", re.compile(NO_BLOCK, I)),
    ("require-timeout-settings", "squawk", "fresh-table", re.compile(r"\bcreate\s+table\b", I)),
    ("constraint-missing-not-valid", "squawk", "not-valid-impossible",
     re.compile(r"\b(unique|primary\s+key|exclude)\b", I)),
    ("adding-field-with-default", "squawk", "negative-constant", re.compile(r"default\s+-\d", I)),
    ("adding-field-with-default", "squawk", "stable-default",
     re.compile(r"default\s+current_(date|time)", I)),
    ("adding-field-with-default", "dbmig", "serial-rewrite", re.compile(r"\badd\b.*serial", I)),
    ("adding-required-field", "dbmig", "default-null", re.compile(r"not\s+null\s+default\s+null", I)),
    ("adding-required-field", "squawk", "serial-not-null", re.compile(r"serial\s+not\s+null", I)),
    ("require-concurrent-index-creation", "squawk", "fresh-table",
     re.compile(r"\bcreate\s+table\b", I)),
    ("prefer-robust-stmts", "squawk", "idempotent-alter",
     re.compile(r"\b(type|set\s+data\s+type|(set|drop)\s+not\s+null|(set|drop)\s+default|set\s+statistics"
                r"|validate\s+constraint)\b", I)),
    ("prefer-robust-stmts", "dbmig", "unnamed-index",
     re.compile(r"create\s+(unique\s+)?index\s+concurrently\s+on\b", I)),
    ("prefer-robust-stmts", "dbmig", "drop-other",
     re.compile(r"\bdrop\s+(view|sequence|materialized\s+view)\s+(?!if\s+exists)", I)),
    ("ban-char-field", "squawk", "quoted-char", re.compile(r'"char"', I)),
    ("adding-not-nullable-field", "dbmig", "unrelated-validate",
     re.compile(r"validate\s+constraint", I)),
]


def classify(rule, who, body):
    for r, w, name, pat in CLASSES:
        if r == rule and w == who and pat.search(body):
            return name
    return "unexplained"


def hand_cases(path):
    cases, name, body = [], None, []
    with open(path) as f:
        for line in f:
            m = re.match(r"-- case: (\S+)", line)
            if m:
                if name:
                    cases.append((name, "".join(body).strip() + "\n"))
                name, body = m.group(1), []
            elif name:
                body.append(line)
    if name:
        cases.append((name, "".join(body).strip() + "\n"))
    return cases


def sample_cases(folder):
    """The up section PostgreSQL runs in each sample migration: `-- dbmig:up
    postgres` when the file has one, else the generic `-- dbmig:up` (the
    down sections drop what the up created: dbmig's data-loss rules skip
    them on purpose)."""
    out = []
    for fn in sorted(os.listdir(folder)):
        if not fn.endswith(".sql"):
            continue
        with open(os.path.join(folder, fn)) as f:
            text = f.read()
        sections, cur = {}, None
        for line in text.split("\n"):
            m = re.match(r"--\s*dbmig:(up|down)\b\s*(\S*)", line)
            if m:
                cur = (m.group(1), m.group(2))
                sections[cur] = []
            elif cur:
                sections[cur].append(line)
        body = sections.get(("up", "postgres"), sections.get(("up", "")))
        if body:
            out.append(("sample/" + fn[:-4], "\n".join(body).strip() + "\n"))
    return out


def split_header(body):
    lines = body.split("\n")
    if lines and lines[0].strip() == TXN_OFF:
        return True, "\n".join(lines[1:])
    return False, body


# What takes a migration out of its transaction in dbmig (core/ddl.c,
# dm_ddl_needs_autocommit): CONCURRENTLY, VACUUM, CREATE/DROP DATABASE or
# TABLESPACE, ALTER SYSTEM.
AUTOCOMMIT = re.compile(r"\bconcurrently\b|^\s*vacuum\b|^\s*(create|drop)\s+(database|tablespace)\b"
                        r"|^\s*alter\s+system\b", re.I | re.M)


def in_transaction(body):
    off, sql = split_header(body)
    return not off and not AUTOCOMMIT.search(sql)


def write_cases(cases, work):
    """dbmig's migrations folder and squawk's two folders (in / not in a
    transaction). Returns {file stem: case name}."""
    mig = os.path.join(work, "migrations")
    for d in (mig, os.path.join(work, "sq_txn"), os.path.join(work, "sq_notxn")):
        os.makedirs(d, exist_ok=True)
    names = {}
    for i, (name, body) in enumerate(cases):
        stem = "%05d_case" % (i + 1)
        names[stem] = name
        off, sql = split_header(body)
        with open(os.path.join(mig, stem + ".sql"), "w") as f:
            f.write((TXN_OFF + "\n" if off else "") + "-- dbmig:up\n" + sql +
                    "\n-- dbmig:down\nSELECT 1;\n")
        sq = os.path.join(work, "sq_txn" if in_transaction(body) else "sq_notxn")
        with open(os.path.join(sq, stem + ".sql"), "w") as f:
            f.write(sql)
    return names


def run_dbmig(dbmig, work):
    p = subprocess.run([dbmig, "--dir", "migrations", "--driver", "postgres", "lint",
                        "--format", "json"], cwd=work, capture_output=True, text=True)
    if p.returncode not in (0, 3):
        sys.exit("dbmig lint failed (%d): %s" % (p.returncode, p.stderr))
    got = {}
    for f in json.loads(p.stdout)["findings"]:
        stem = os.path.basename(f["file"])[:-4]
        got.setdefault(stem, set()).add(f["rule"])
    return got


def run_squawk(squawk, work):
    got = {}
    for sub, flags in (("sq_txn", ["--assume-in-transaction"]), ("sq_notxn", [])):
        folder = os.path.join(work, sub)
        files = sorted(os.listdir(folder))
        for k in range(0, len(files), 2000):  # keep the command line short
            chunk = [os.path.join(sub, fn) for fn in files[k:k + 2000]]
            if not chunk:
                continue
            p = subprocess.run([squawk, "--reporter", "json"] + flags + chunk, cwd=work,
                               capture_output=True, text=True)
            if p.returncode not in (0, 1) or not p.stdout.strip():
                sys.exit("squawk failed (%d): %s" % (p.returncode, p.stderr[:2000]))
            for v in json.loads(p.stdout):
                stem = os.path.basename(v["file"])[:-4]
                r = v["rule_name"]
                got.setdefault(stem, set()).add(RULE_MAP.get(r, r))
    return got


def dbmig_rules(dbmig, work):
    p = subprocess.run([dbmig, "--dir", "migrations", "--driver", "postgres", "lint",
                        "--format", "sarif", "00001"], cwd=work, capture_output=True, text=True)
    drv = json.loads(p.stdout)["runs"][0]["tool"]["driver"]
    return {r["id"] for r in drv["rules"] if "postgres" in r.get("properties", {}).get("dialects", [])}


def squawk_rules(squawk, candidates):
    """The candidate names squawk knows (it refuses an unknown --exclude)."""
    known = set()
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as f:
        f.write("SELECT 1;\n")
        f.flush()
        for r in candidates:
            p = subprocess.run([squawk, "--exclude", r, f.name], capture_output=True, text=True)
            if "invalid rule name" not in p.stderr:
                known.add(r)
    return known


def agreement(names, mine, theirs, rules):
    """{rule: (agree, total, [(case, dbmig?, squawk?)...])}."""
    out = {}
    for r in sorted(rules):
        agree, diff = 0, []
        for stem, name in names.items():
            a, b = r in mine.get(stem, ()), r in theirs.get(stem, ())
            if a == b:
                agree += 1
            else:
                diff.append((name, stem, a, b))
        out[r] = (agree, len(names), diff)
    return out


def corpus(args):
    cases = hand_cases(os.path.join(ROOT, "tests", "lint", "corpus", "hand.sql"))
    cases += sample_cases(os.path.join(ROOT, "migrations"))
    if args.generated:
        import gen_corpus
        cases += gen_corpus.generate(args.generated, args.seed)
    return cases


def classes_of(res, cases_by_name):
    """{(rule, who, class): [case...]} of the disagreements."""
    out = {}
    for r, (_, _, diff) in res.items():
        for name, _, mine, _ in diff:
            who = "dbmig" if mine else "squawk"
            out.setdefault((r, who, classify(r, who, cases_by_name[name])), []).append(name)
    return out


def report(res, names, cases_by_name, show):
    tot_a = tot_n = 0
    print("%-46s %9s %7s %7s %7s" % ("rule", "agree", "%", "dbmig", "squawk"))
    for r, (a, n, diff) in res.items():
        only_mine = sum(1 for d in diff if d[2])
        print("%-46s %4d/%-4d %6.2f%% %7d %7d" % (r, a, n, 100.0 * a / n, only_mine,
                                                  len(diff) - only_mine))
        tot_a += a
        tot_n += n
    print("%-46s %9s %6.2f%%" % ("overall (all compared rules)", "", 100.0 * tot_a / tot_n))
    print("\ndisagreement classes (docs/lint.md):")
    for (r, who, cls), cs in sorted(classes_of(res, cases_by_name).items()):
        print("  %-46s %-6s only  %-30s %5d  e.g. %s" % (r, who, cls, len(cs), cs[0]))
    if show:
        for r, (a, n, diff) in res.items():
            for name, stem, mine, theirs in diff[:show]:
                print("\n== %s: %s only (%s, %s)\n%s" % (r, "dbmig" if mine else "squawk",
                                                         name, stem, cases_by_name[name]), end="")


def record(args, names, theirs, shared):
    """squawk's findings per case (the shared rules only), for
    tests/lint/agree.py, which then needs no squawk."""
    ver = subprocess.run([args.squawk, "--version"], capture_output=True, text=True).stdout.strip()
    doc = {"squawk": ver, "generated": args.generated, "seed": args.seed, "rules": sorted(shared),
           "findings": {names[s]: sorted(set(theirs.get(s, ())) & shared) for s in sorted(names)}}
    with open(args.record, "w") as f:
        json.dump(doc, f, indent=0, sort_keys=True)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dbmig", default=os.path.join(ROOT, "build", "bin", "dbmig"))
    ap.add_argument("--squawk", required=True)
    ap.add_argument("--generated", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--show", type=int, default=0, help="print K disagreeing cases per rule")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--record", help="write squawk's findings per case (hand + sample) here")
    ap.add_argument("--keep", help="keep the work folder here")
    args = ap.parse_args()
    cases = corpus(args)
    work = args.keep or tempfile.mkdtemp(prefix="dbmig-agree-")
    if args.keep:
        shutil.rmtree(work, ignore_errors=True)
    try:
        names = write_cases(cases, work)
        theirs = run_squawk(args.squawk, work)
        mine = run_dbmig(args.dbmig, work)
        ours = dbmig_rules(args.dbmig, work)
        candidates = ours | set(RULE_MAP)
        shared = {RULE_MAP.get(r, r) for r in squawk_rules(args.squawk, candidates)} & ours
        shared.add("parse-error")  # squawk's syntax-error is no rule --exclude takes
        if args.record:
            record(args, names, theirs, shared)
        res = agreement(names, mine, theirs, shared)
        print("%d cases (%d generated, seed %d); squawk told the transaction context"
              % (len(cases), args.generated, args.seed))
        report(res, names, dict(cases), args.show)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"cases": len(cases), "rules": {r: [a, n] for r, (a, n, _) in res.items()}},
                          f, indent=1)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
