#!/usr/bin/env bash
# tests/env/multi_tenant.sh — examples/multi-tenant on PostgreSQL with two
# tenants: the URL in ./.env, ${schema} and ${plan} from --var, one schema
# and one version table per tenant; then a third tenant, a changed plan
# (not an edit), one tenant reverted alone, and a forgotten schema refused
# before anything is created.
#
#   DBMIG=build/dbmig bash scripts/pg-server.sh run bash tests/env/multi_tenant.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
: "${DBMIG:?DBMIG must name the dbmig binary}"
: "${DBMIG_TEST_PG_URL:?run under scripts/pg-server.sh run}"
DBMIG=$(cd "$(dirname "$DBMIG")" && pwd)/$(basename "$DBMIG")
export DBMIG
unset DBMIG_URL DATABASE_URL DBMIG_DIR DBMIG_TABLE DBMIG_CONFIG DBMIG_ENV DBMIG_ENV_FILE \
      DBMIG_NO_ENV_FILE DBMIG_FORMAT
for v in $(compgen -e | grep '^DBMIG_VAR_'); do unset "$v"; done

T=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-tenants.XXXXXX")
trap 'rm -rf "$T"' EXIT
cp -r "$SRC/examples/multi-tenant" "$T/ex"
cd "$T/ex"
PW=${DBMIG_TEST_PG_URL#*://*:}
PW=${PW%%@*}
printf 'DATABASE_URL=%s\n' "$DBMIG_TEST_PG_URL" > .env

NFAIL=0
ok() { printf 'ok    %s\n' "$1"; }
bad() { printf 'FAIL  %s\n' "$1"; NFAIL=$((NFAIL + 1)); }
check() { # check WHAT CMD...: CMD must succeed
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DBMIG_TEST_PG_URL" -c "$1"; }
no_pw() { ! grep -qF -- "$PW" "$1"; }

# 1. two tenants, from base
./migrate-tenants.sh > out 2>&1 || { cat out; bad "migrate-tenants.sh upgrade"; }
check "both tenants migrated" grep -q "applied 003" out
check "the password is never printed" no_pw out
check "tenant_a's tables" test "$(q "SELECT string_agg(table_name, ',' ORDER BY table_name)
    FROM information_schema.tables WHERE table_schema = 'tenant_a'")" = "customers,orders,settings"
check "tenant_b's tables" test "$(q "SELECT count(*) FROM information_schema.tables
    WHERE table_schema = 'tenant_b'")" = 3
check "plans as data" test "$(q "SELECT (SELECT value FROM tenant_a.settings) || ',' ||
    (SELECT value FROM tenant_b.settings)")" = "free,pro"
check "a version table per tenant" test "$(q "SELECT (SELECT count(*) FROM dbmig_version_tenant_a)
    || ',' || (SELECT count(*) FROM dbmig_version_tenant_b)")" = "3,3"
q "INSERT INTO tenant_b.customers (name) VALUES ('x');
   INSERT INTO tenant_b.orders (customer_id, amount_cents) VALUES (1, 250), (1, 50)"
check "the function reads its own tenant's schema" test \
    "$(q "SELECT tenant_b.customer_total(1) || ',' || tenant_a.customer_total(1)")" = "300,0"

# 2. again: nothing to do; status per tenant
./migrate-tenants.sh > out 2>&1 || bad "second run"
check "second run applies nothing" bash -c '! grep -q "^applying" out'
./migrate-tenants.sh status > out 2>&1 || bad "status"
check "status: 3 applied per tenant" test "$(grep -c '3 applied (0 of them edited), 0 pending' out)" = 2

# 3. a third tenant catches up alone; a changed plan is no edit
printf 'tenant_c   team\n' >> tenants
sed -i 's/^tenant_a   free/tenant_a   pro/' tenants
./migrate-tenants.sh > out 2>&1 || { cat out; bad "with tenant_c"; }
check "tenant_c migrated from base" test "$(q "SELECT value FROM tenant_c.settings")" = team
check "only tenant_c applied anything" test "$(grep -c '^applied' out)" = 3
if ./migrate-tenants.sh check > out 2>&1; then
    ok "a changed value is not an edited file"
else
    cat out
    bad "a changed value is not an edited file"
fi
check "tenant_a keeps the plan it was migrated with" test "$(q "SELECT value FROM tenant_a.settings")" = free

# 4. one tenant reverted alone
"$DBMIG" --table dbmig_version_tenant_b --var schema=tenant_b downgrade base > out 2>&1 ||
    { cat out; bad "downgrade tenant_b"; }
check "tenant_b's schema is gone" test "$(q "SELECT count(*) FROM information_schema.schemata
    WHERE schema_name = 'tenant_b'")" = 0
check "tenant_a is intact" test "$(q "SELECT count(*) FROM dbmig_version_tenant_a")" = 3

# 5. the schema forgotten: exit 3 before anything exists
set +e
"$DBMIG" --table dbmig_version_tenant_d upgrade > out 2>&1
rc=$?
set -e
check "a forgotten \${schema} is exit 3" test "$rc" = 3
check "... naming the file, the line and --var" grep -q \
    '001_tenant_schema.sql:4: placeholder ${schema} has no value.*--var schema=VALUE' out
check "... with nothing created" test "$(q "SELECT count(*) FROM information_schema.tables
    WHERE table_name = 'dbmig_version_tenant_d'")" = 0
# --sql shows the substituted script
"$DBMIG" --table dbmig_version_tenant_e --var schema=tenant_e --sql upgrade > out 2>&1 || bad "--sql"
check "--sql prints the tenant's statements" grep -q 'CREATE SCHEMA tenant_e;' out
check "--sql substitutes the [vars] default" grep -q "VALUES ('plan', 'free')" out

if [ "$NFAIL" != 0 ]; then
    echo "multi-tenant example: $NFAIL check(s) failed"
    exit 1
fi
echo "multi-tenant example: all checks passed"
