#!/usr/bin/env bash
# mutants.sh — mutation testing: do the tests catch a deliberate breakage?
#
#   bash scripts/mutants.sh              # every mutant
#   bash scripts/mutants.sh REGEX        # the mutants whose name matches REGEX
#   bash scripts/mutants.sh --list       # the mutants and the tests named for each
#
# Each mutant below is one small, precise change to the source (a literal
# string that must occur exactly once in its file, and its replacement),
# made where a real bug would hide: the graph, the planner, the splitter,
# checksums, locking, transactions. For each, in turn: the change is made in
# a scratch copy of the tree, the copy is rebuilt (incrementally), and the
# tests named for that mutant run (a fast subset: unit programs, CLI suite
# cases, graph suite cases); the first one that fails KILLS the mutant. A
# mutant no test fails SURVIVED: a hole in the tests. The report ends with
# the totals; the exit code is 0 only when every mutant was killed.
#
# Safe: the working tree is never touched (the copy is made from it, with
# its uncommitted changes, and removed at the end, Ctrl-C included). Before
# the mutants run, every named test must pass on the unchanged copy (a test
# that fails anyway would "kill" everything). When a mutant's text is no
# longer found exactly once (the code changed), the run says "NO LONGER
# APPLIES" and fails: update the mutant, never drop it silently.
#
# Not part of scripts/test.sh (it takes several minutes: a rebuild per
# mutant); run it before resolving anything that touches the code it
# mutates. Needs what scripts/test.sh needs (scripts/deps.sh) and python3.
# MUTANTS_JOBS (default 2) sets the build parallelism; MUTANTS_KEEP=1 keeps
# the scratch folder; the last report is in docs/reliability.md.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2

# ---- the mutants ---------------------------------------------------------
# mutant NAME FILE OLD NEW TESTS...
#   OLD must occur exactly once in FILE; TESTS are tried in order:
#   unit:NAME    tests/unit/test_NAME (built in the copy)
#   cli:REGEX    tests/cli/suite.sh on SQLite, the cases matching REGEX
#   graph:REGEX  tests/graph/graph.sh (TZ=Pacific/Kiritimati), cases matching REGEX
#   schema:NAME  tests/schema/NAME.sh on SQLite (a fresh database and TMPDIR,
#                as tests/schema/run.sh gives it)
#   zdt:NAME     tests/zdt/NAME.sh on SQLite, the same way
#   mistakes:REGEX  tests/mistakes/run.sh on SQLite, the cases matching REGEX
#   closure:N    tests/diff/closure on SQLite: N pairs of the closure
#                property test, seed 1 (the same pairs every run)
#   closurepg:N  the same on a throwaway PostgreSQL server
#                (scripts/pg-server.sh, ~10 s to start)
#   script:PATH  a bash suite (tests/env/env.sh, tests/wait/wait.sh, ...) on
#                SQLite, with DBMIG, DBMIG_SOURCE_DIR and DBMIG_TEST_DRIVER
#                set as ctest sets them
#   py:PATH      the same for a python3 suite (tests/lint/run.py)
M_NAME=() M_FILE=() M_OLD=() M_NEW=() M_TESTS=()
mutant() {
    M_NAME+=("$1") M_FILE+=("$2") M_OLD+=("$3") M_NEW+=("$4")
    shift 4
    M_TESTS+=("$*")
}

# checksums
mutant checksum-downgrade-unchecked core/plan.c \
    '} else if (strcmp(r->checksum, f->checksum) != 0) {' \
    '} else if (upgrade && strcmp(r->checksum, f->checksum) != 0) {' \
    cli:case_edited_file_downgrade_refuses
mutant checksum-never-checked core/plan.c \
    '} else if (strcmp(r->checksum, f->checksum) != 0) {' \
    '} else if (0) {' \
    cli:'case_edited_file_(upgrade|repair)'
mutant checksum-cr-not-normalised core/mftext.c \
    "        else if (p[e + 1] != '\\n')
            norm[o++] = '\\r';" \
    "        else if (1)
            norm[o++] = '\\r';" \
    unit:migfile cli:case_edited_file_upgrade_refuses
# issue 13: what used to end as silent damage
mutant repair-dry-run-writes core/run.c \
    'int dry = h->o.dry_run;' \
    'int dry = 0;' \
    unit:engine
mutant stamp-dry-run-writes core/run.c \
    '    if (rc == DBMIG_OK && h->o.dry_run)
        stamp_dry' \
    '    if (rc == DBMIG_OK && 0)
        stamp_dry' \
    unit:engine
mutant markers-case-sensitive core/mfline.h \
    'if (dm_mf_lower((unsigned char)p[i]) != w[i])' \
    'if (p[i] != w[i])' \
    unit:migfile
mutant false-read-as-true cli/config.c \
    'static const char *const no[] = {"false", "no", "off", "0"};' \
    'static const char *const no[] = {"no", "off", "0", "nope"};' \
    unit:config
# the version table and the planner
mutant version-rows-by-id core/vtable.c \
    '    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return strcmp(x->revision, y->revision);' \
    '    return strcmp(x->revision, y->revision);' \
    cli:case_downgrade_last_applied
mutant downgrade-minus-n-off-by-one core/plan.c \
    'for (size_t k = nseq - tg.count; k < nseq; k++)' \
    'for (size_t k = nseq - tg.count + 1; k < nseq; k++)' \
    unit:graph cli:case_targets_relative
mutant upgrade-plus-n-ignored core/plan.c \
    '            out->n = tg.count;' \
    '            (void)tg.count;' \
    unit:graph cli:case_targets_relative
mutant progress-one-behind core/vtable.c \
    'snprintf(set, 200, "progress = %zu, progress_hash = '"'"'%s'"'"'", done, hash);' \
    'snprintf(set, 200, "progress = %zu, progress_hash = '"'"'%s'"'"'", done ? done - 1 : 0, hash);' \
    cli:'case_notx_dirty_(resume|repair_applied)'
# the graph
mutant graph-cycle-accepted core/graph.c \
    'int rc = cnt < n ? gr_report_cycle(g, indeg, err) : DBMIG_OK;' \
    'int rc = cnt < n && n == 0 ? gr_report_cycle(g, indeg, err) : DBMIG_OK;' \
    unit:graph cli:case_exit3_malformed
mutant graph-one-head-only core/graph.c \
    '        if (g->revs[v].nchildren == 0)
            g->heads[g->nheads++] = v;' \
    '        if (g->revs[v].nchildren == 0 && g->nheads == 0)
            g->heads[g->nheads++] = v;' \
    unit:graph cli:case_exit2_several_heads
mutant revision-id-local-time core/revfile.c \
    '    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y%m%d%H%M%S", &tm);' \
    '    localtime_r(&t, &tm);
    strftime(out, cap, "%Y%m%d%H%M%S", &tm);' \
    graph:case_revision_and_merge_files
mutant applied-at-local-time core/vtable.c \
    '    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);' \
    '    localtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);' \
    cli:case_times_are_utc
# the splitter
mutant dollar-tag-no-digits core/split.c \
    '        while (j < n && sp_word_start((unsigned char)t[j]))' \
    '        while (j < n && sp_tag_start((unsigned char)t[j]))' \
    unit:mutants_split unit:split
mutant string-literal-not-quoted core/split.c \
    "        e = sp_skip_quoted(s, i, '\\'', 1, dia == DBMIG_DIALECT_MYSQL);
        what = \"string literal ('...')\";" \
    "        e = i + 1;
        what = \"string literal ('...')\";" \
    unit:split
# locking
mutant sqlite-lock-always-granted drivers/sqlite/sqlite.c \
    'if (flock(fd, LOCK_EX | LOCK_NB) != 0) {' \
    'if (0) {' \
    unit:driver_sqlite cli:case_lock_timeout
mutant lease-never-renewed core/lock.c \
    'rc = rc ? DBMIG_DRV_ERROR : lease_exec(h, l->conn2, &sql, &n);' \
    'rc = DBMIG_DRV_OK; n = 1;' \
    unit:engine
mutant lease-live-taken-over core/lock.c \
    "' AND expires_at < %s\"," \
    "' AND expires_at > %s\"," \
    unit:engine
# transactions
mutant commit-interval-never-commits core/exec.c \
    'dm_now_ms() - t->since >= h->o.commit_interval_ms ||' \
    't->since < 0 ||' \
    cli:case_commit_interval_commits
mutant single-transaction-ignored core/exec.c \
    '    if (h->o.single_transaction || !sp) {' \
    '    if (!sp) {' \
    cli:case_failure_in_k_single_tx
mutant statement-end-in-comment core/exec.c \
    'return "\n;\n";' \
    'return ";\n";' \
    cli:case_last_statement_ends_in_comment
mutant failed-step-kept core/exec.c \
    'if (sp_exec(h, SP_ROLLBACK) != DBMIG_OK ||' \
    'if (sp_exec(h, SP_RELEASE) != DBMIG_OK ||' \
    cli:'case_(multi_statement_rollback|failure_in_k$)'
# the driver ABI (issue 14): the loader's one list, scheme routing, no
# guessed dialect SQL
mutant abi-required-method-unchecked core/loader.c \
    'LD_M(connect, 1),        LD_M(close, 1),         LD_M(exec, 1),' \
    'LD_M(connect, 1),        LD_M(close, 1),         LD_M(exec, 0),' \
    unit:loader
mutant abi-schemes-ignored core/loader.c \
    'declares |= strcasecmp(drv->schemes[i], sc->scheme) == 0;' \
    'declares |= 0;' \
    unit:loader
mutant abi-lease-sql-guessed core/lock.c \
    '    if (DM_DRV_SQL(h->drv, lease_now_ms) && DM_DRV_SQL(h->drv, lease_share_lock))' \
    '    if (1)' \
    unit:engine

# the schema (issue 15): comparison, scratch databases, drift, dbmig test,
# verify sections, the SQLite driver's inspect
mutant schema-nullability-not-compared core/schema_cmp.c \
    'diff_flag(c, "nullable", a->flags, b->flags, DBMIG_SO_NULLABLE, "NULL", "NOT NULL");' \
    ';' \
    unit:schema
mutant scratch-never-dropped core/inspect.c \
    '    if (!s->user_given && s->name[0] && s->url) {' \
    'if (0) {' \
    schema:drift
mutant drift-differences-dropped core/drift.c \
    '*ndiff = d.n;' \
    '*ndiff = 0;' \
    schema:drift
mutant mtest-digest-always-equal core/mtest.c \
    'strcmp(da, dc) == 0)' \
    '1)' \
    schema:mtest
mutant mtest-quick-mode-never-ends core/mtest.c \
    '            m->quick = 0;' \
    '            (void)0;' \
    schema:mtest
mutant verify-never-run core/exec.c \
    '    if (!s->verify.n)
        return DBMIG_OK;
    const dm_migfile *f = &x->g->revs[s->rev].file;' \
    '    if (1)
        return DBMIG_OK;
    const dm_migfile *f = &x->g->revs[s->rev].file;' \
    unit:engine cli:case_verify_fails
mutant sqlite-inspect-drops-checks drivers/sqlite/inspect.c \
    'for (size_t i = 0; i < cur->td.chk_exprs.n; i++) {' \
    'for (size_t i = 0; i < cur->td.chk_exprs.n && !cur; i++) {' \
    unit:driver_sqlite

# the migration generator (issue 16, dbmig diff): each must be caught by the
# closure property test (tests/diff: on SQLite, or on a throwaway PostgreSQL
# server with closurepg:N) or by the generator's unit tests
mutant gen-drop-columns-skipped core/schema_diff.c \
    '            dd_drop_columns(d, d->a->v[i].name);' \
    '            (void)d->a->v[i].name;' \
    unit:schema_diff closure:300
mutant gen-keys-added-before-dropped core/schema_diff.c \
    'dd_drop_code, ph_drop_fks,  ph_drop_keys,
                                      ph_drop_tables, ph_create,  ph_add_keys,' \
    'dd_drop_code, ph_drop_fks,  ph_add_keys,
                                      ph_drop_tables, ph_create,  ph_drop_keys,' \
    closure:300
# (SQLite keeps a view across its table's rebuild: only PostgreSQL refuses
# to alter a column a view reads)
mutant gen-views-not-redone core/schema_diff_obj.c \
    'if (x->kind == DBMIG_SO_TABLE && o->kind == DBMIG_SO_VIEW && (f & DD_TOUCH) &&' \
    'if (x->kind == DBMIG_SO_TABLE && o->kind == DBMIG_SO_VIEW && 0 &&' \
    closure:300 closurepg:400
mutant gen-default-change-unseen core/schema_diff_plan.c \
    '        !sv(a->default_expr, b->default_expr) || !sv(a->collation, b->collation) ||' \
    '        !sv(a->collation, b->collation) ||' \
    closure:300
mutant gen-sqlite-rebuild-no-indexes core/schema_diff_sqlite.c \
    '    dm_schema_range(r->to, DBMIG_SO_INDEX, r->t, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {' \
    '    dm_schema_range(r->to, DBMIG_SO_INDEX, r->t, &lo, &hi);
    for (size_t i = lo; i < lo; i++) {' \
    closure:300
mutant gen-sqlite-rebuild-no-row-copy core/schema_diff_sqlite.c \
    '        copy_rows(&r);' \
    '        (void)copy_rows;' \
    closure:300
mutant gen-sqlite-column-drop-in-place core/schema_diff_sqlite.c \
    '    if (bhi - blo < ahi - alo)
        return 1; /* a column goes away */' \
    '    if (bhi - blo < ahi - alo)
        return 0; /* a column goes away */' \
    closure:300
mutant gen-pg-not-null-inverted core/schema_diff_col.c \
    'nb ? "DROP NOT NULL" : "SET NOT NULL"' \
    'nb ? "SET NOT NULL" : "DROP NOT NULL"' \
    unit:schema_diff closurepg:150
mutant gen-pg-type-without-using core/schema_diff_col.c \
    '    if (type)
        pg_using(d, a, b);' \
    '    if (0)
        pg_using(d, a, b);' \
    unit:schema_diff closurepg:150
mutant gen-enum-label-after-the-wrong-one core/schema_diff_enum.c \
    '            dm_sqlw_put(w, " AFTER ");
            dm_sqlw_literal(w, b->columns[i - 1]);' \
    '            dm_sqlw_put(w, " AFTER ");
            dm_sqlw_literal(w, b->columns[next]);' \
    unit:schema_diff_enum closurepg:150

# zero-downtime (issue 17): batches, phases, lock time-outs
mutant batch-resume-from-the-start core/batch.c \
    'if (!(b->s->in_batch && q->k == b->s->start)) {' \
    'if (1) {' \
    zdt:batch
mutant batch-keyset-skips-a-key core/batch.c \
    '        q->lo = q->hi;' \
    '        q->lo = q->hi + 1;' \
    zdt:batch
mutant batch-misspelt-placeholder-allowed core/batch.c \
    '            !placeholder_at(s, n, i)) {' \
    '            !placeholder_at(s, n, i) && 0) {' \
    mistakes:m_batch_unknown_placeholder
mutant phase-pre-applies-post core/plan.c \
    '        if (pl_post(g, r))
            left[nleft++] = r;' \
    '        if (0)
            left[nleft++] = r;' \
    unit:engine zdt:phase
mutant phase-pre-needs-post-allowed core/plan.c \
    '        rc = pl_phase_refuse(x, bad, need[bad], nbad - 1);' \
    '        rc = DBMIG_OK + 0 * (int)sizeof(&pl_phase_refuse);' \
    unit:engine zdt:phase
mutant ddl-lock-timeout-not-retried core/ddlwait.c \
    'return h->o.ddl_lock_timeout_ms > 0 && kind == DBMIG_DB_ERR_LOCK_TIMEOUT;' \
    'return h->o.ddl_lock_timeout_ms < 0 && kind == DBMIG_DB_ERR_LOCK_TIMEOUT;' \
    unit:ddlretry zdt:ddl_lock.sqlite
# issue 19: fitting in (.env, placeholders, wait, revision ids)
mutant env-dotenv-url-beats-real cli/config.c \
    'const cli_dotenv_entry *e = (!du || !*du) && d->file ? cli_dotenv_get(d, "DATABASE_URL") : NULL;' \
    'const cli_dotenv_entry *e = d->file ? cli_dotenv_get(d, "DATABASE_URL") : NULL;' \
    script:tests/env/env.sh
mutant placeholder-undefined-allowed core/placeholder.c \
    '            return ph_undefined(path, line, text + b, e - b, vars, nvars, err);' \
    '            { if (0) return ph_undefined(path, line, text + b, e - b, vars, nvars, err); i = e; done = e + 1; continue; }' \
    unit:placeholder script:tests/env/env.sh
mutant wait-dirty-is-ready core/wait.c \
    '    if (s->dirty)
        return DBMIG_WS_DIRTY;' \
    '    if (0)
        return DBMIG_WS_DIRTY;' \
    unit:wait script:tests/wait/wait.sh
mutant revision-sequential-ignored core/revfile.c \
    '    if (style != DBMIG_REVID_SEQUENTIAL)
        return numbered == 1;' \
    '    if (1)
        return numbered == 1;' \
    unit:graph_history graph:case_revision_numbered_folder
# issue 18: lint
mutant lint-suppression-ignored core/lint_rules.c \
    '        if (strcmp(st->suppressed[k], rule->id) == 0) {
            st->suppress_used[k] = 1;' \
    '        if (0) {
            st->suppress_used[k] = 1;' \
    py:tests/lint/run.py

# ---- the run -------------------------------------------------------------
if [ "${1:-}" = --list ]; then
    for i in "${!M_NAME[@]}"; do printf '%-32s %-22s %s\n' "${M_NAME[$i]}" "${M_FILE[$i]}" "${M_TESTS[$i]}"; done
    exit 0
fi
only=${1:-}
command -v python3 > /dev/null || { echo "mutants.sh: python3 is required" >&2; exit 2; }
jobs=${MUTANTS_JOBS:-2}
W=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-mutants.XXXXXX")
cleanup() { [ -n "${MUTANTS_KEEP:-}" ] && echo "mutants.sh: kept $W" || rm -rf "$W"; }
trap cleanup EXIT
trap 'echo; echo "mutants.sh: interrupted (the working tree was never changed)"; exit 130' INT
trap 'exit 143' TERM
T0=$SECONDS
say() { printf '==> %s\n' "$*"; }

# The copy: every file git knows or would add (the working tree as it is,
# uncommitted changes included), without build folders.
say "copying the tree to $W/src"
mkdir -p "$W/src"
git ls-files -z -co --exclude-standard |
    tar --null -T - --ignore-failed-read -cf - 2> /dev/null | tar -xf - -C "$W/src" ||
    { echo "mutants.sh: cannot copy the tree" >&2; exit 2; }

TARGETS=(dbmig_cli dbmig_sqlite)
for i in "${!M_NAME[@]}"; do
    for t in ${M_TESTS[$i]}; do
        [[ $t == unit:* ]] && TARGETS+=("test_${t#unit:}")
        [[ $t == schema:* ]] && TARGETS+=(dbmig_litesql) # the fixture driver without inspect
        [[ $t == closure:* ]] && TARGETS+=(closure)
        [[ $t == closurepg:* ]] && TARGETS+=(closure dbmig_postgres)
    done
done
mapfile -t TARGETS < <(printf '%s\n' "${TARGETS[@]}" | sort -u)

build() {
    cmake --build "$W/build" -j"$jobs" --target "${TARGETS[@]}" > "$W/build.log" 2>&1
}
say "configuring and building the copy (${TARGETS[*]})"
cmake -S "$W/src" -B "$W/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$W/build.log" 2>&1 && build ||
    { tail -n 30 "$W/build.log"; echo "mutants.sh: the unchanged copy does not build" >&2; exit 2; }

# run_test TOKEN: 0 when the test passes; its output in $W/test.out
run_test() {
    local tok=$1 kind=${1%%:*} arg=${1#*:}
    case $kind in
        unit) timeout 300 "$W/build/tests/unit/test_$arg" ;;
        cli) DBMIG=$W/build/dbmig DBMIG_SOURCE_DIR=$W/src DBMIG_TEST_DRIVER=sqlite DBMIG_TEST_ONLY=$arg \
                timeout 300 bash "$W/src/tests/cli/suite.sh" ;;
        graph) DBMIG=$W/build/dbmig DBMIG_SOURCE_DIR=$W/src DBMIG_TEST_DRIVER=sqlite DBMIG_TEST_ONLY=$arg \
                TZ=Pacific/Kiritimati timeout 300 bash "$W/src/tests/graph/graph.sh" ;;
        mistakes) DBMIG=$W/build/dbmig DBMIG_SOURCE_DIR=$W/src DBMIG_TEST_DRIVER=sqlite DBMIG_TEST_ONLY=$arg \
                timeout 300 bash "$W/src/tests/mistakes/run.sh" ;;
        schema | zdt) local sw=$W/schema-run plugins
                plugins=$(dirname "$(find "$W/build" -name dbmig_sqlite.so -print -quit)")
                rm -rf "$sw" && mkdir -p "$sw/tmp" &&
                (cd "$sw" && TARGET=sqlite URL=sqlite:$sw/db.sqlite TMPDIR=$sw/tmp DBMIG=$W/build/dbmig \
                    DBMIG_PLUGIN_DIR=$plugins DBMIG_SOURCE_DIR=$W/src NO_COLOR=1 \
                    DBMIG_FIXTURE_PLUGIN_DIR=$W/build/fixture-plugins \
                    timeout 300 bash "$W/src/tests/$kind/$arg.sh") ;;
        closure) local cw=$W/closure-run plugins
                plugins=$(dirname "$(find "$W/build" -name dbmig_sqlite.so -print -quit)")
                rm -rf "$cw" && mkdir -p "$cw/tmp" &&
                TMPDIR=$cw/tmp DBMIG_PLUGIN_DIR=$plugins timeout 300 "$W/build/tests/diff/closure" \
                    --url "sqlite:$cw/base.sqlite" --seed 1 --pairs "$arg" --max-report 1 ;;
        closurepg) local plugins
                plugins=$(dirname "$(find "$W/build" -name dbmig_postgres.so -print -quit)")
                DBMIG_PLUGIN_DIR=$plugins timeout 600 bash "$W/src/scripts/pg-server.sh" run bash -c '
                    as=(); [ "$(id -u)" = 0 ] && as=(runuser -u nobody --)
                    u=${DBMIG_TEST_PG_URL#*://}; u=${u%%[:@]*}
                    (cd / && "${as[@]}" psql -X -q -h "$PG_SERVER_SOCKET" -p "$PG_SERVER_PORT" \
                        -U postgres -d postgres -c "ALTER ROLE $u CREATEDB") >/dev/null &&
                    "$0" --url "$DBMIG_TEST_PG_URL" --seed 1 --pairs "$1" --max-report 1' \
                    "$W/build/tests/diff/closure" "$arg" ;;
        script) (cd "$W" && DBMIG=$W/build/dbmig DBMIG_SOURCE_DIR=$W/src DBMIG_TEST_DRIVER=sqlite \
                timeout 300 bash "$W/src/$arg") ;;
        py) (cd "$W" && DBMIG=$W/build/dbmig DBMIG_SOURCE_DIR=$W/src timeout 300 python3 "$W/src/$arg") ;;
        *) echo "mutants.sh: unknown test kind in '$tok'" >&2; return 2 ;;
    esac > "$W/test.out" 2>&1
}

# The baseline: every named test passes on the unchanged copy.
say "baseline: the named tests on the unchanged copy"
mapfile -t ALLTESTS < <(for i in "${!M_NAME[@]}"; do
    [[ -z $only || ${M_NAME[$i]} =~ $only ]] && printf '%s\n' ${M_TESTS[$i]}
done | sort -u)
for t in "${ALLTESTS[@]}"; do
    if ! run_test "$t"; then
        tail -n 20 "$W/test.out"
        echo "mutants.sh: $t fails WITHOUT any mutation: fix it first" >&2
        exit 2
    fi
    printf '  ok  %s\n' "$t"
done

# apply FILE OLD NEW: replaces the single occurrence; 3 when OLD is not
# found exactly once
apply() {
    python3 - "$@" << 'PY'
import sys
path, old, new = sys.argv[1], sys.argv[2], sys.argv[3]
s = open(path, encoding="utf-8").read()
n = s.count(old)
if n != 1:
    print(f"found {n} times", file=sys.stderr)
    sys.exit(3)
open(path, "w", encoding="utf-8").write(s.replace(old, new))
PY
}

killed=0 survived=0 broken=0 ran=0
REPORT=()
for i in "${!M_NAME[@]}"; do
    name=${M_NAME[$i]} file=${M_FILE[$i]}
    [[ -z $only || $name =~ $only ]] || continue
    ran=$((ran + 1))
    t1=$SECONDS
    cp "$W/src/$file" "$W/orig"
    if ! why=$(apply "$W/src/$file" "${M_OLD[$i]}" "${M_NEW[$i]}" 2>&1); then
        line="NO LONGER APPLIES  $name: its text in $file was $why (the code changed: update the mutant)"
        broken=$((broken + 1))
    elif ! build; then
        line="DOES NOT BUILD     $name ($file): fix the mutant; $(grep -m1 -E 'error' "$W/build.log")"
        broken=$((broken + 1))
    else
        by=
        for t in ${M_TESTS[$i]}; do
            if ! run_test "$t"; then by=$t; break; fi
        done
        if [ -n "$by" ]; then
            killed=$((killed + 1))
            line="killed by $by"
            line=$(printf '%-32s %s' "$name" "$line")
        else
            survived=$((survived + 1))
            line=$(printf '%-32s SURVIVED (tests: %s)' "$name" "${M_TESTS[$i]}")
        fi
    fi
    cp "$W/orig" "$W/src/$file"
    line="$line  [$((SECONDS - t1)) s]"
    printf '%s\n' "$line"
    REPORT+=("$line")
done
if ((ran == 0)); then
    echo "mutants.sh: no mutant matches '$only'" >&2
    exit 2
fi
echo
say "mutants: $ran run, $killed killed, $survived survived, $broken no longer apply or build ($((SECONDS - T0)) s)"
((survived == 0 && broken == 0))
