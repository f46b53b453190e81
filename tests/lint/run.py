#!/usr/bin/env python3
# tests/lint/run.py — the lint suite (ctest lint.cli): the rule cases of
# cases.py (every rule: a positive and a negative case per dialect, checked
# against the rule list dbmig itself reports), then the interface: exit
# codes, --strict, suppressions, [lint] settings, revision selection, the
# database-aware default and applied-file-edited (on SQLite), and the four
# output formats (SARIF validated against the vendored SARIF 2.1.0 schema
# with python3-jsonschema). Needs DBMIG (the binary). Prints one line per
# failure and exits 1 when any.
import json
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cases import CASES  # noqa: E402

DBMIG = os.environ["DBMIG"]
ONLY = os.environ.get("DBMIG_TEST_ONLY")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def run(args, cwd, env=None):
    e = dict(os.environ)
    for k in ("DATABASE_URL", "DBMIG_URL", "DBMIG_DRIVER", "DBMIG_CONFIG", "DBMIG_FORMAT"):
        e.pop(k, None)
    e.update(env or {})
    p = subprocess.run([DBMIG] + args, cwd=cwd, env=e, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def body(text):
    if "-- dbmig:" in text:
        return text + "\n"
    return "-- dbmig:up\n" + text + "\n-- dbmig:down\nSELECT 1;\n"


def write(folder, name, text):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w") as f:
        f.write(text)


def rules_of(tmp):
    """The rule list as dbmig reports it (SARIF tool.driver.rules)."""
    write(os.path.join(tmp, "empty"), "001_x.sql", body("SELECT 1;"))
    rc, out, err = run(["--dir", "empty", "--driver", "sqlite", "lint", "--format", "sarif"], tmp)
    if rc != 0:
        fail("sarif of an empty project: exit %d %s" % (rc, err))
        return {}
    drv = json.loads(out)["runs"][0]["tool"]["driver"]
    return {r["id"]: r["properties"]["dialects"] for r in drv["rules"] if "properties" in r}


def rule_cases(tmp):
    seen = set()
    for d in ("postgres", "mysql", "sqlite"):
        folder = os.path.join(tmp, "cases_" + d)
        mine = [c for c in CASES if d in c[1]]
        for i, (rule, _, _, text) in enumerate(mine):
            write(folder, "%03d_%s.sql" % (i + 1, rule.replace("-", "_")), body(text))
        # the project runs on all three drivers (cross-db-*), and `region` has a value
        conf = os.path.join(tmp, "cases.conf")
        write(tmp, "cases.conf", "[lint]\ndrivers = postgres, mysql, sqlite\n[vars]\nregion = eu\n")
        rc, out, err = run(["--config", conf, "--dir", folder, "--driver", d, "lint", "--format", "json"], tmp)
        if rc not in (0, 3):
            fail("%s: lint exit %d: %s" % (d, rc, err.strip()))
            continue
        got = {}
        for f in json.loads(out)["findings"]:
            got.setdefault(os.path.basename(f["file"]), set()).add(f["rule"])
        # a build without libpg_query says so once; only the parser reports parse-error
        no_parser = "without libpg_query" in err
        for i, (rule, _, fires, text) in enumerate(mine):
            name = "%03d_%s.sql" % (i + 1, rule.replace("-", "_"))
            if no_parser and rule == "parse-error" and fires:
                seen.add((rule, d, fires))
                continue
            if (rule in got.get(name, set())) != fires:
                fail("%s %s: expected %s on %r; got %s" % (
                    d, rule, "a finding" if fires else "none", text, sorted(got.get(name, set()))))
            seen.add((rule, d, fires))
    return seen


def coverage(rules, seen):
    for rule, dialects in sorted(rules.items()):
        if rule == "applied-file-edited":
            continue  # needs a database: interface() covers it on SQLite
        for d in dialects:
            for fires in (True, False):
                if (rule, d, fires) not in seen:
                    fail("rule %s has no %s case on %s" % (rule, "positive" if fires else "negative", d))


def expect(cond, what):
    if not cond:
        fail(what)


def interface(tmp):
    p = os.path.join(tmp, "proj")
    m = os.path.join(p, "migrations")
    write(m, "001_init.sql", body("CREATE TABLE users (id INTEGER PRIMARY KEY) STRICT;"))
    write(m, "002_warn.sql", body("ALTER TABLE users RENAME COLUMN a TO b;"))
    # clean: exit 0; warnings: 0, but 3 with --strict; errors: 3
    rc, out, err = run(["--driver", "sqlite", "lint", "001"], p)
    expect(rc == 0 and "0 errors, 0 warnings, 0 infos in 1 revision" in out, "clean: %d %s %s" % (rc, out, err))
    rc, out, _ = run(["--driver", "sqlite", "lint", "002"], p)
    expect(rc == 0 and "[renaming-column]" in out and "002_warn.sql:2:" in out, "warning exit 0: %d %s" % (rc, out))
    rc, out, _ = run(["--driver", "sqlite", "lint", "--strict", "002"], p)
    expect(rc == 3, "--strict: a warning is exit 3, got %d" % rc)
    write(m, "003_err.sql", body("ALTER TABLE users ADD COLUMN org INTEGER NOT NULL;"))
    rc, out, _ = run(["--driver", "sqlite", "lint", "--since", "002"], p)
    expect(rc == 3 and "003_err.sql:2: error: [adding-required-field]" in out and "002_warn" not in out,
           "--since 002: only 003, exit 3: %d %s" % (rc, out))
    # the dialect comes from the URL's scheme too; JSON exactly as SPEC 15
    rc, out, _ = run(["--url", "sqlite:" + os.path.join(tmp, "none.db"), "lint", "003", "--format", "json"], p)
    j = json.loads(out)
    expect(set(j) == {"findings", "summary"} and j["summary"] == {"errors": 1, "warnings": 0, "infos": 0},
           "json summary: %s" % out)
    f = j["findings"][0]
    expect(list(f) == ["rule", "severity", "revision", "file", "line", "message", "fix", "driver"] and
           f["revision"] == "003" and f["line"] == 2 and f["severity"] == "error", "json finding: %s" % f)
    # github annotations
    rc, out, _ = run(["--driver", "sqlite", "lint", "002", "003", "--format", "github"], p)
    expect(out.startswith("::warning file=migrations/002_warn.sql,line=2,title=renaming-column::") and
           "\n::error file=migrations/003_err.sql,line=2,title=adding-required-field::" in out and
           "%0AFix: " in out, "github: %s" % out)
    # SARIF against the SARIF 2.1.0 schema
    with open(os.path.join(HERE, "sarif-schema-2.1.0.json")) as fh:
        schema = json.load(fh)
    write(os.path.join(p, "odd dir"), "001_x y.sql", body("DROP TABLE users;"))
    for args in (["--dir", "migrations"], ["--dir", "odd dir"]):
        rc, out, _ = run(args + ["--driver", "postgres", "lint", "--format", "sarif"], p)
        doc = json.loads(out)
        try:
            jsonschema.Draft4Validator(schema).validate(doc)
        except jsonschema.ValidationError as e:
            fail("SARIF does not validate: %s" % e.message)
        res = doc["runs"][0]["results"]
        expect(res and all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in res),
               "SARIF results: %s" % res)
        rules = doc["runs"][0]["tool"]["driver"]["rules"]
        expect(all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in res), "SARIF ruleIndex")
    expect("odd%20dir/001_x%20y.sql" in out, "SARIF uri percent-encoded: %s" % out[:300])
    # suppressions
    write(m, "004_ignore.sql", "-- dbmig:up\n-- dbmig:lint-ignore renaming-column the old name is unused since v3\n"
          "ALTER TABLE users RENAME COLUMN c TO d;\n-- dbmig:down\nSELECT 1;\n")
    rc, out, _ = run(["--driver", "sqlite", "lint", "004"], p)
    expect(rc == 0 and "[renaming-column]" not in out and "[lint-ignore]" not in out, "suppressed: %s" % out)
    bad = {
        "005_noreason.sql": ("-- dbmig:lint-ignore renaming-column\n", "gives no reason"),
        "006_unknown.sql": ("-- dbmig:lint-ignore renaming-colum because\n", "unknown rule 'renaming-colum' (did you mean renaming-column?)"),
        "007_misplaced.sql": ("-- dbmig:lint-ignore renaming-column because\n\n", "not on the line directly above"),
        "008_unused.sql": ("-- dbmig:lint-ignore ban-drop-table because\n", "suppresses nothing"),
    }
    for name, (line, msg) in sorted(bad.items()):
        write(m, name, "-- dbmig:up\n" + line + "ALTER TABLE users RENAME COLUMN c TO d;\n-- dbmig:down\nSELECT 1;\n")
        rc, out, _ = run(["--driver", "sqlite", "lint", name[:3]], p)
        expect(("%s:2:" % name) in out and "[lint-ignore]" in out and msg in out,
               "%s: expected '%s' at line 2: %s" % (name, msg, out))
        expect(rc == (0 if name.startswith("008") else 3), "%s: exit %d" % (name, rc))
        if name.startswith("008"):  # a suppression of another rule hides nothing
            expect("[renaming-column]" in out, "%s: the statement's own finding: %s" % (name, out))
        os.remove(os.path.join(m, name))
    # above the first marker a lint-ignore suppresses nothing: an error, not a
    # silent no-op (it was read as a comment)
    write(m, "009_header.sql", "-- dbmig:lint-ignore renaming-column because\n-- dbmig:up\n"
          "ALTER TABLE users RENAME COLUMN c TO d;\n-- dbmig:down\nSELECT 1;\n")
    rc, out, _ = run(["--driver", "sqlite", "lint", "009"], p)
    expect(rc == 3 and "009_header.sql:1: error: [lint-ignore]" in out and
           "suppresses nothing" in out and "[renaming-column]" in out,
           "lint-ignore above the first marker: %d %s" % (rc, out))
    os.remove(os.path.join(m, "009_header.sql"))
    write(m, "009_header.sql", "-- dbmig:lint-ignore renaming-column because\n\n-- dbmig:up\n"
          "ALTER TABLE users RENAME COLUMN c TO d;\n-- dbmig:down\nSELECT 1;\n")
    rc, out, _ = run(["--driver", "sqlite", "lint", "009"], p)
    expect(rc == 3 and "009_header.sql:1: error: [lint-ignore]" in out and
           "above the file's first marker" in out, "lint-ignore in the header: %d %s" % (rc, out))
    os.remove(os.path.join(m, "009_header.sql"))
    # cross-db-sections-differ reports at a section's marker: the line above
    # that marker silences it (with a reason); unused there, a warning
    differ = ("-- dbmig:up postgres\nCREATE TABLE t90 (a bigint);\nCREATE TABLE t91 (a bigint);\n"
              "%s-- dbmig:up sqlite\nCREATE TABLE t90 (a INTEGER);\n-- dbmig:down\nSELECT 1;\n")
    for name, above, want in (
            ("010_differ.sql", "", "010_differ.sql:4: warning: [cross-db-sections-differ]"),
            ("011_silenced.sql", "-- dbmig:lint-ignore cross-db-sections-differ sqlite gets t91 in 012\n", None),
            ("012_noreason.sql", "-- dbmig:lint-ignore cross-db-sections-differ\n", "012_noreason.sql:4: error: [lint-ignore] -- dbmig:lint-ignore cross-db-sections-differ gives no reason"),
            ("014_typo.sql", "-- dbmig:lint-ignore cross-db-section-differ sqlite gets t91 in 012\n", "014_typo.sql:4: error: [lint-ignore] -- dbmig:lint-ignore names an unknown rule 'cross-db-section-differ' (did you mean cross-db-sections-differ?)"),
    ):
        write(m, name, differ % above)
        rc, out, _ = run(["--driver", "sqlite", "lint", name[:3]], p)
        if want:
            expect(want in out, "%s: expected '%s': %s" % (name, want, out))
        else:
            expect(rc == 0 and "[cross-db-sections-differ]" not in out and "[lint-ignore]" not in out,
                   "%s: silenced above the marker: %s" % (name, out))
        os.remove(os.path.join(m, name))
    write(m, "013_unused.sql", "-- dbmig:up postgres\nCREATE TABLE t92 (a bigint);\n"
          "-- dbmig:lint-ignore cross-db-sections-differ just in case\n-- dbmig:up sqlite\n"
          "CREATE TABLE t92 (a INTEGER);\n-- dbmig:down\nSELECT 1;\n")
    rc, out, _ = run(["--driver", "sqlite", "lint", "013"], p)
    expect(rc == 0 and "013_unused.sql:3: warning: [lint-ignore] -- dbmig:lint-ignore cross-db-sections-differ "
           "suppresses nothing" in out, "an unused section suppression: %d %s" % (rc, out))
    os.remove(os.path.join(m, "013_unused.sql"))
    # [lint] settings: off, a changed severity, mistakes with file:line and the nearest rule
    write(p, "dbmig.conf", "[lint]\nrenaming-column = error\nadding-required-field = off\n")
    rc, out, _ = run(["--driver", "sqlite", "lint", "002", "003"], p)
    expect(rc == 3 and "002_warn.sql:2: error: [renaming-column]" in out and "adding-required-field" not in out,
           "[lint] severities: %d %s" % (rc, out))
    for conf, msg in (("[lint]\nrenaming-colum = off\n", "dbmig.conf:2: unknown lint rule 'renaming-colum' (did you mean renaming-column?)"),
                      ("[lint]\nrenaming-column = loud\n", "dbmig.conf:2: bad value 'loud' for lint rule renaming-column"),
                      ("[lint]\nrenaming-column = off\nrenaming-column = info\n", "dbmig.conf:3: 'renaming-column' is set twice in [lint]")):
        write(p, "dbmig.conf", conf)
        rc, out, err = run(["--driver", "sqlite", "lint"], p)
        expect(rc == 2 and msg in err, "config %r: %d %s" % (conf, rc, err))
    os.remove(os.path.join(p, "dbmig.conf"))
    # usage mistakes: exit 2 with the reason
    for args, msg in ((["lint"], "lint needs to know the SQL dialect"),
                      (["--driver", "sqlite", "lint", "--pending"], "--pending needs the database"),
                      (["--driver", "sqlite", "lint", "--format", "xml"], "bad value 'xml' for lint --format"),
                      (["--driver", "sqlite", "lint", "001", "--pending"], "give one of them"),
                      (["--driver", "sqlite", "lint", "--frobnicate"], "unknown"),
                      (["--driver", "sqlite", "lint", "999"], "999")):
        rc, out, err = run(args, p)
        expect(rc == 2 and msg in err, "%s: expected exit 2 with %r, got %d %s" % (args, msg, rc, err))
    # with a database: the default is the pending revisions; an edited applied file is reported
    for n in ("003", "004"):
        os.remove(os.path.join(m, [f for f in os.listdir(m) if f.startswith(n)][0]))
    db = "sqlite:" + os.path.join(tmp, "app.db")
    rc, out, err = run(["--url", db, "upgrade", "001"], p)
    expect(rc == 0, "upgrade 001: %s" % err)
    rc, out, _ = run(["--url", db, "lint"], p)
    expect(rc == 0 and "002_warn" in out and "in 1 revision" in out, "default with a database: pending only: %s" % out)
    with open(os.path.join(m, "001_init.sql"), "a") as fh:
        fh.write("-- an edit\nCREATE TABLE later (a INTEGER) STRICT;\n")
    rc, out, _ = run(["--url", db, "lint", "--pending"], p)
    expect(rc == 3 and "001_init.sql:1: error: [applied-file-edited]" in out, "edited: %d %s" % (rc, out))


def many_files(tmp):
    """Over 64 files lint splits the work between two threads
    (core/lint.c): the findings still come in revision order, all of them."""
    m = os.path.join(tmp, "many")
    for i in range(150):
        write(m, "%03d_f.sql" % (i + 1), body("ALTER TABLE users RENAME COLUMN a%d TO b%d;" % (i, i)))
    rc, out, err = run(["--dir", m, "--driver", "postgres", "lint", "--format", "json"], tmp)
    files = [os.path.basename(f["file"]) for f in json.loads(out)["findings"] if f["rule"] == "renaming-column"]
    expect(files == ["%03d_f.sql" % (i + 1) for i in range(150)],
           "150 files: findings in revision order, one each: %s" % files[:5])


def attached(tmp):
    """SPEC 15: check prints the lint findings of the pending revisions
    (stderr; "lint" in JSON) and keeps its exit code; test lints every file
    and fails on an error finding; a wrong [lint] setting stops both (exit 2)."""
    p = os.path.join(tmp, "att")
    m = os.path.join(p, "migrations")
    write(m, "001_init.sql", body("CREATE TABLE users (id INTEGER PRIMARY KEY, a TEXT) STRICT;"))
    write(m, "002_ren.sql", "-- dbmig:up\nALTER TABLE users RENAME COLUMN a TO b;\n"
          "-- dbmig:down\nALTER TABLE users RENAME COLUMN b TO a;\n")
    db = "sqlite:" + os.path.join(tmp, "att.db")
    run(["--url", db, "upgrade", "001"], p)
    rc, out, err = run(["--url", db, "check"], p)
    expect(rc == 3 and "002 (002_ren.sql) is pending" in out and
           "lint: migrations/002_ren.sql:2: warning: [renaming-column]" in err and "lint:" not in out,
           "check: pending 002's finding on stderr, exit 3 as before: %d %s %s" % (rc, out, err))
    rc, out, err = run(["--url", db, "check", "--format", "json"], p)
    j = json.loads(out)
    expect(rc == 3 and j["lint"]["summary"] == {"errors": 0, "warnings": 1, "infos": 0} and
           j["lint"]["findings"][0]["revision"] == "002", "check json lint: %s" % out)
    run(["--url", db, "upgrade"], p)
    with open(os.path.join(m, "001_init.sql"), "a") as fh:
        fh.write("-- edited\n")
    rc, out, err = run(["--url", db, "check"], p)
    expect(rc == 3 and "checksum" in out and "applied-file-edited" not in err and "lint:" not in err,
           "check: an edited file is check's problem, not repeated by lint: %s %s" % (out, err))
    # lint names the edited file by the path every finding uses (a GitHub
    # annotation must land on it), also for `lint REV` (which read nothing)
    for args in (["lint", "--format", "github"], ["lint", "001"], ["lint", "--since", "001", "--format", "github"]):
        rc, out, err = run(["--url", db] + args, p)
        want = "file=migrations/001_init.sql,line=1,title=applied-file-edited" if "github" in args and "--since" not in args \
            else "migrations/001_init.sql:1: error: [applied-file-edited]"
        if "--since" in args:  # 001 itself is not after 001
            expect(rc == 0 and "applied-file-edited" not in out, "lint --since 001: %d %s" % (rc, out))
        else:
            expect(rc == 3 and want in out, "lint %s, the edited file: %d %s %s" % (args, rc, out, err))
    rc, out, err = run(["--url", db, "lint", "--since", "base"], p)
    expect(rc == 3 and "applied-file-edited" in out and "in 2 revisions" in out,
           "lint --since base: every revision: %d %s %s" % (rc, out, err))
    rc, out, err = run(["--url", "postgres://u:pw@127.0.0.1:1/x", "lint", "001"], p)
    expect(rc == 1 and "cannot connect" in err and "pw" not in err,
           "lint REV with an unreachable URL fails: %d %s" % (rc, err))
    os.remove(os.path.join(tmp, "att.db"))
    # test: clean lint passes; an error finding fails it, warnings do not
    write(m, "001_init.sql", "-- dbmig:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, a TEXT) STRICT;\n"
          "-- dbmig:down\nDROP TABLE users;\n")
    rc, out, err = run(["--url", db, "test"], p)
    expect(rc == 0 and "[renaming-column]" in err and "in every revision" in err,
           "test with a warning: exit 0, the warning on stderr: %d %s %s" % (rc, out, err))
    write(m, "003_pragma.sql", "-- dbmig:up\nPRAGMA foreign_keys = OFF;\n-- dbmig:down\nSELECT 1;\n")
    junit = os.path.join(tmp, "att.xml")
    rc, out, err = run(["--url", db, "test", "--junit", junit], p)
    expect(rc == 3 and "error: [sqlite-pragma-foreign-keys-in-transaction]" in err and " 0 failed" in out,
           "test: a lint error fails it (its checks passed): %d %s %s" % (rc, out, err))
    # the JUnit file shows why test failed: the lint error is a failed case
    # of a "dbmig lint" suite, counted in the totals; warnings only counted
    import xml.etree.ElementTree as ET
    root = ET.parse(junit).getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    ls = suites.get("dbmig lint")
    cases = ls.findall("testcase") if ls is not None else []
    fails = [c.find("failure") for c in cases]
    props = {q.get("name"): q.get("value") for q in ls.iter("property")} if ls is not None else {}
    expect(ls is not None and len(cases) == 1 and fails[0] is not None and
           fails[0].get("type") == "sqlite-pragma-foreign-keys-in-transaction" and
           cases[0].get("name") == "003 lint sqlite-pragma-foreign-keys-in-transaction" and
           cases[0].get("file") == "migrations/003_pragma.sql" and cases[0].get("line") == "2" and
           "fix: " in fails[0].text and props.get("warnings") == "1" and
           int(root.get("failures")) == 1 and
           int(root.get("tests")) == len(suites["dbmig test"].findall("testcase")) + 1,
           "test --junit: the lint error as a failed case: %s" % open(junit).read()[-1500:])
    rc, out, err = run(["--url", db, "test", "--format", "json"], p)
    j = json.loads(out)
    expect(rc == 3 and j["failed"] == 0 and j["lint"]["summary"]["errors"] == 1, "test json lint: %s" % out)
    write(p, "dbmig.conf", "[lint]\nrenaming-colum = off\n")
    for cmd in ("check", "test"):
        rc, out, err = run(["--url", db, cmd], p)
        expect(rc == 2 and "dbmig.conf:2: unknown lint rule 'renaming-colum'" in err,
               "%s with a wrong [lint]: exit 2: %d %s" % (cmd, rc, err))
    os.remove(os.path.join(p, "dbmig.conf"))


def findings(out):
    return json.loads(out)["findings"]


def placeholders(tmp):
    """A `-- dbmig:placeholders on` file is linted as a run would read it:
    the values substituted, a name without one linted as an identifier and
    reported once per file (info); the project's multi-tenant example."""
    src = os.path.join(os.environ["DBMIG_SOURCE_DIR"], "examples", "multi-tenant")
    p = os.path.join(tmp, "mt")
    shutil.copytree(src, p)
    rc, out, err = run(["--driver", "postgres", "lint", "--format", "json"], p)
    fs = findings(out)
    ph = [(os.path.basename(f["file"]), f["line"]) for f in fs if f["rule"] == "placeholder-without-value"]
    expect(rc == 0 and not [f for f in fs if f["rule"] == "parse-error"] and
           ph == [("001_tenant_schema.sql", 4), ("002_orders.sql", 4), ("003_settings.sql", 4)] and
           all(f["severity"] == "info" for f in fs if f["rule"] == "placeholder-without-value"),
           "multi-tenant without values: one info per file, no parse-error: %d %s %s" % (rc, ph, err))
    expect(any(f["rule"] == "prefer-identity" and f["line"] == 6 for f in fs),
           "multi-tenant: the rules see the statements (prefer-identity at 001:6): %s" % fs)
    rc, out, err = run(["--driver", "postgres", "--var", "schema=t1", "--ddl-lock-timeout", "5s",
                        "lint", "--strict"], p)
    expect(rc == 0 and "parse-error" not in out and "placeholder-without-value" not in out,
           "multi-tenant with --var: clean under --strict: %d %s %s" % (rc, out, err))
    for d in ("mysql", "sqlite"):
        rc, out, err = run(["--driver", d, "lint", "--format", "json"], p)
        # (exit 3: a PostgreSQL example, whose BIGSERIAL and TIMESTAMPTZ are cross-db-* there)
        expect(rc == 3 and len([f for f in findings(out) if f["rule"] == "placeholder-without-value"]) == 3,
               "%s: the placeholders read too: %d %s" % (d, rc, out))
    # a value that adds a statement: the run's error, exit 3, never its value
    rc, out, err = run(["--driver", "postgres", "--var", "schema=t1; DROP TABLE x", "lint"], p)
    expect(rc == 3 and "001_tenant_schema.sql:4: the value of ${schema} changes where" in err and
           "DROP TABLE x" not in err, "a value that moves a boundary: %d %s" % (rc, err))
    # a value that comments out the last statement's `;`: the run's error too
    rc, out, err = run(["--driver", "postgres", "--var", "schema=t1 --", "lint"], p)
    expect(rc == 3 and "the value of ${schema} changes where" in err,
           "a value that comments out a statement's end: %d %s" % (rc, err))


def drivers(tmp):
    """Findings of another driver's section name it (text, JSON, SARIF,
    GitHub, the summary); the project's drivers come from [lint] drivers or
    the sections the files name."""
    p = os.path.join(tmp, "drv")
    m = os.path.join(p, "migrations")
    write(m, "001_seen.sql", "-- dbmig:up postgres\nALTER TABLE users ADD COLUMN seen timestamp;\n"
          "-- dbmig:up\nALTER TABLE users ADD COLUMN seen text;\n-- dbmig:down\nSELECT 1;\n")
    rc, out, err = run(["--driver", "sqlite", "lint"], p)
    expect("001_seen.sql:2: warning: [prefer-timestamp-tz] (postgres section) column seen" in out and
           "in 1 revision (sqlite; of them 2 in postgres sections)" in out,
           "text names the section's driver: %s" % out)
    rc, out, err = run(["--driver", "sqlite", "lint", "--format", "json"], p)
    expect(sorted((f["rule"], f["driver"]) for f in findings(out)) ==
           [("prefer-timestamp-tz", "postgres"), ("require-timeout-settings", "postgres")],
           "json driver: %s" % out)
    rc, out, err = run(["--driver", "postgres", "lint", "--format", "json"], p)
    expect(all(f["driver"] == "postgres" for f in findings(out)), "json driver, own sections: %s" % out)
    rc, out, err = run(["--driver", "sqlite", "lint", "--format", "github"], p)
    expect("title=prefer-timestamp-tz::(postgres section) column seen" in out, "github: %s" % out)
    rc, out, err = run(["--driver", "sqlite", "lint", "--format", "sarif"], p)
    res = json.loads(out)["runs"][0]["results"]
    expect(res and all(r["properties"]["driver"] == "postgres" and r["message"]["text"].startswith("(postgres section) ")
                       for r in res), "sarif driver: %s" % res)
    # the project's drivers: the run's and those the sections name
    write(m, "002_doc.sql", body("CREATE TABLE docs (id bigint, body jsonb);"))
    rc, out, err = run(["--driver", "postgres", "lint", "002"], p)
    expect("cross-db-type" not in out, "postgres and sqlite only: jsonb is fine: %s" % out)
    write(m, "003_my.sql", "-- dbmig:up mysql\nSELECT 1;\n-- dbmig:up\nSELECT 1;\n-- dbmig:down\nSELECT 1;\n")
    rc, out, err = run(["--driver", "postgres", "lint", "002"], p)
    expect(rc == 3 and "002_doc.sql:2: error: [cross-db-type] type jsonb is refused on mysql" in out,
           "a mysql section elsewhere: mysql runs 002 too: %d %s" % (rc, out))
    write(p, "dbmig.conf", "[lint]\ndrivers = postgres, sqlite\n")
    rc, out, err = run(["--driver", "postgres", "lint", "002"], p)
    expect(rc == 0 and "cross-db-type" not in out, "[lint] drivers = postgres, sqlite: %d %s" % (rc, out))
    write(p, "dbmig.conf", "[lint]\ndrivers = postgres, oracle\n")
    rc, out, err = run(["--driver", "postgres", "lint"], p)
    expect(rc == 2 and "dbmig.conf:2: lint drivers: 'oracle' is not a built-in driver" in err,
           "[lint] drivers mistake: %d %s" % (rc, err))


def main():
    tmp = tempfile.mkdtemp(prefix="dbmig-lint-")
    try:
        if not ONLY or ONLY == "rules":
            rules = rules_of(tmp)
            coverage(rules, rule_cases(tmp))
        if not ONLY or ONLY == "interface":
            interface(tmp)
            many_files(tmp)
            attached(tmp)
            placeholders(tmp)
            drivers(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
