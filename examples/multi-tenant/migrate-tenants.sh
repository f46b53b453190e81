#!/usr/bin/env bash
# migrate-tenants.sh [DBMIG ARGS...] — runs `dbmig ARGS` (default: upgrade)
# once per tenant listed in ./tenants, each in its own schema with its own
# version table. The database URL comes from the environment or ./.env
# (DATABASE_URL or DBMIG_URL), as for any dbmig command.
#
#   ./migrate-tenants.sh                 # upgrade every tenant
#   ./migrate-tenants.sh status
#   ./migrate-tenants.sh downgrade base  # remove every tenant's schema
#
# Stops at the first tenant that fails (exit code of dbmig).
set -euo pipefail
cd "$(dirname "$0")"
DBMIG=${DBMIG:-dbmig}
[ $# -gt 0 ] || set -- upgrade
while read -r tenant plan _; do
    case $tenant in ''|'#'*) continue ;; esac
    echo "== $tenant ($plan)"
    # One version table per tenant: each tenant's history is its own, so a
    # new tenant starts at base and a broken one stops only itself.
    "$DBMIG" --table "dbmig_version_$tenant" --var "schema=$tenant" --var "plan=$plan" "$@" </dev/null
done < tenants
