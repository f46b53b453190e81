# bench/lib.sh — what bench/run.sh and bench/peers.sh share: timing,
# statistics and table cells, and per database the client's commands, the
# reset and the URLs. Sourced; needs $work (a scratch folder).
#
# Per database DB (sqlite, postgres, mysql):
#   DB_reset            empty the database (and what the peers keep beside it)
#   DB_client_fresh F   run script F through the database's own client
#   DB_client_query     one query on the version table through the client
#   DB_tables           how many bench_* tables exist
#   DB_url [TOOL]       the URL TOOL (dbmig by default, dbmate, alembic,
#                       sqitch) wants for the scratch database
# PostgreSQL reads DBMIG_TEST_PG_URL (scripts/pg-server.sh); MariaDB reads
# MY_* (my_parse sets them from DBMIG_TEST_MYSQL_URL, scripts/mariadb-server.sh).

# The knobs both scripts read (sourced from the project root).
NS=${BENCH_N:-"100 1000"}
RUNS=${BENCH_RUNS:-5}
DBS=${BENCH_DBS:-"sqlite postgres mysql"}
BUILD=${BENCH_BUILD:-$PWD/build-bench}

now() { date +%s%N; }
# stats "t1 t2 ..." (ns) -> "median min max" in ms
stats() {
    printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f %.1f %.1f\n", m/1e6, a[1]/1e6, a[NR]/1e6}'
}
fmt() { # "median min max" -> "m (min–max)"
    set -- $1
    if awk "BEGIN{exit !($1 >= 1000)}"; then
        awk -v m="$1" -v a="$2" -v b="$3" 'BEGIN{printf "%.2f s (%.2f–%.2f)", m/1000, a/1000, b/1000}'
    else
        printf '%s ms (%s–%s)' "$1" "$2" "$3"
    fi
}
ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN{printf "%.2f×", a/b}'; }

# The resets also drop what sqitch keeps outside the bench tables (its
# registry file, schema or database); for dbmig runs there is none to drop.
sqlite_reset() { rm -f "$work"/b.db "$work"/b.db-journal "$work"/b.db.dbmig-lock "$work"/sqitch.db; }
sqlite_client_fresh() { sqlite3 "$work/b.db" <"$1" >/dev/null; }
sqlite_client_query() { sqlite3 "$work/b.db" "SELECT count(*) FROM dbmig_version" >/dev/null; }
sqlite_tables() { sqlite3 "$work/b.db" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'bench\_%' ESCAPE '\'"; }
sqlite_url() {
    case ${1:-dbmig} in
    dbmig | dbmate) echo "sqlite:$work/b.db" ;;
    alembic) echo "sqlite:///$work/b.db" ;; sqitch) echo "db:sqlite:$work/b.db" ;;
    esac
}

pg_psql() { PGPASSWORD=$PGPASSWORD psql -X -q -v ON_ERROR_STOP=1 "$DBMIG_TEST_PG_URL" "$@"; }
postgres_reset() { pg_psql -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS sqitch CASCADE;" >/dev/null 2>&1; }
postgres_client_fresh() { pg_psql -1 -f "$1" >/dev/null; }
postgres_client_query() { pg_psql -c "SELECT count(*) FROM dbmig_version" >/dev/null; }
postgres_tables() { pg_psql -tA -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'bench\_%'"; }
postgres_url() {
    local rest=${DBMIG_TEST_PG_URL#postgres://}
    case ${1:-dbmig} in
    dbmig) echo "$DBMIG_TEST_PG_URL" ;; dbmate) echo "$DBMIG_TEST_PG_URL?sslmode=disable" ;;
    alembic) echo "postgresql+psycopg2://$rest" ;; sqitch) echo "db:pg://$rest" ;;
    esac
}

my_parse() { # MY_HOST MY_PORT MY_USER MY_PASS MY_DB from DBMIG_TEST_MYSQL_URL
    MY_HOST=127.0.0.1
    local u=${DBMIG_TEST_MYSQL_URL#mysql://}; local cred=${u%%@*} rest=${u#*@}
    MY_USER=${cred%%:*} MY_PASS=${cred#*:}
    local hp=${rest%%/*}; MY_PORT=${hp##*:} MY_DB=${rest#*/}; MY_DB=${MY_DB%%\?*}
}
my_client() { mariadb --protocol=tcp -h "$MY_HOST" -P "$MY_PORT" -u "$MY_USER" -p"$MY_PASS" "$MY_DB" "$@"; }
mysql_reset() { my_client -e "DROP DATABASE $MY_DB; CREATE DATABASE $MY_DB; DROP DATABASE IF EXISTS dbmig_sqitch;" >/dev/null 2>&1; }
mysql_client_fresh() { my_client <"$1" >/dev/null; }
mysql_client_query() { my_client -e "SELECT count(*) FROM dbmig_version" >/dev/null; }
mysql_tables() { my_client -N -e "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'bench\\_%'"; }
mysql_url() {
    local rest=${DBMIG_TEST_MYSQL_URL#mysql://}
    case ${1:-dbmig} in
    dbmig | dbmate) echo "$DBMIG_TEST_MYSQL_URL" ;;
    alembic) echo "mysql+pymysql://$rest" ;; sqitch) echo "db:mysql://$rest" ;;
    esac
}

# bench_build: the Release dbmig and the plugins of $DBS in $BUILD. Always
# asks cmake (incremental: a second call does nothing), so a benchmark
# never measures a binary older than the sources.
bench_build() {
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DDBMIG_TESTS=OFF >/dev/null
    local targets=(dbmig_cli) db
    for db in $DBS; do targets+=("dbmig_$db"); done
    cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]}" >/dev/null
}
