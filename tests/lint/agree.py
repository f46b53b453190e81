#!/usr/bin/env python3
"""tests/lint/agree.py — ctest lint.squawk: dbmig lint against squawk's
recorded findings (issue 18), without squawk.

bench/lint_squawk.sh runs squawk itself on the corpus (hand.sql, the sample
project's migrations and 500 generated cases) and records its findings in
tests/lint/corpus/squawk.json. This test lints the same cases with dbmig and
compares, rule by rule (bench/lint/agree.py). Every disagreement must be one
of the classes docs/lint.md explains, and the list of disagreements must be
exactly tests/lint/corpus/squawk-differences.txt: a change to a rule that
makes dbmig agree or disagree with squawk on a new case shows here.

  agree.py            check (DBMIG: the binary; DBMIG_SOURCE_DIR: the tree)
  agree.py --update   rewrite squawk-differences.txt from the current dbmig
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("DBMIG_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRC, "bench", "lint"))
import agree  # noqa: E402

CORPUS = os.path.join(SRC, "tests", "lint", "corpus")
DIFFS = os.path.join(CORPUS, "squawk-differences.txt")


def main():
    with open(os.path.join(CORPUS, "squawk.json")) as f:
        rec = json.load(f)
    args = type("A", (), {"generated": rec["generated"], "seed": rec["seed"]})
    cases = agree.corpus(args)
    if sorted(n for n, _ in cases) != sorted(rec["findings"]):
        print("FAIL the corpus changed since squawk's findings were recorded: run "
              "bench/lint_squawk.sh --record (it needs npm)")
        return 1
    work = tempfile.mkdtemp(prefix="dbmig-agree-")
    dbmig = os.path.abspath(os.environ["DBMIG"])
    try:
        names = agree.write_cases(cases, work)
        # the figures are the PostgreSQL parser's: a build without
        # libpg_query reads statements from tokens (fewer forms) and says so
        p = subprocess.run([dbmig, "--dir", "migrations", "--driver", "postgres", "lint", "00001"],
                           cwd=work, capture_output=True, text=True)
        if "without libpg_query" in p.stderr:
            print("SKIP this dbmig was built without libpg_query; the agreement is measured "
                  "with the PostgreSQL parser")
            return 77
        mine = agree.run_dbmig(dbmig, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stem = {v: k for k, v in names.items()}
    theirs = {stem[n]: set(r) for n, r in rec["findings"].items()}
    res = agree.agreement(names, mine, theirs, set(rec["rules"]))
    byname = dict(cases)
    agree.report(res, names, byname, 0)
    got = sorted("%s\t%s\t%s\t%s" % (c, r, who, cls)
                 for (r, who, cls), cs in agree.classes_of(res, byname).items() for c in cs)
    if "--update" in sys.argv:
        with open(DIFFS, "w") as f:
            f.write("".join(g + "\n" for g in got))
        print("wrote %s (%d differences)" % (DIFFS, len(got)))
        return 0
    with open(DIFFS) as f:
        want = [l.rstrip("\n") for l in f if l.strip()]
    fails = ["FAIL unexplained disagreement (explain it in docs/lint.md and agree.CLASSES, or "
             "fix dbmig): " + g for g in got if g.endswith("\tunexplained")]
    fails += ["FAIL new disagreement with squawk: " + g for g in sorted(set(got) - set(want))]
    fails += ["FAIL no longer a disagreement (agree.py --update if intended): " + w
              for w in sorted(set(want) - set(got))]
    print("\n".join(fails))
    print("%d failure(s)" % len(fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
