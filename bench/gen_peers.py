#!/usr/bin/env python3
"""gen_peers.py N DIR — writes bench/gen.py's workload (N migrations, each a
table, an index and three rows; down: drop the table) in the formats of the
peer tools that bench/peers.sh times against dbmig:

  DIR/dbmate/db/migrations/<14-digit version>_bench_<i>.sql
      "-- migrate:up" / "-- migrate:down" sections (dbmate's format).
  DIR/alembic/   alembic.ini, env.py and versions/<rev>_bench_<i>.py, one
      revision per migration chained by down_revision, one op.execute() per
      statement. env.py takes the SQLAlchemy URL from $BENCH_ALEMBIC_URL and
      keeps alembic's defaults (one transaction for the whole run).
  DIR/sqitch/<engine>/   sqitch.conf, sqitch.plan, deploy/ and revert/ for
      each engine (sqlite, pg, mysql). The scripts are wrapped in BEGIN/COMMIT
      as `sqitch add`'s own templates are; no verify scripts.

The statements are taken from gen.migration(i), so every tool runs literally
the same SQL as dbmig and the database's own client.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import migration  # noqa: E402


def split(i):
    """-> (up statements, down statements) of migration i, each ending in ';'."""
    body = migration(i)
    up, down = body.split("-- dbmig:up\n")[1].split("-- dbmig:down\n")
    return [s for s in up.splitlines() if s.strip()], [s for s in down.splitlines() if s.strip()]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def gen_dbmate(n, d):
    for i in range(1, n + 1):
        up, down = split(i)
        write(
            os.path.join(d, "db", "migrations", f"{i:014d}_bench_{i}.sql"),
            "-- migrate:up\n" + "\n".join(up) + "\n\n-- migrate:down\n" + "\n".join(down) + "\n",
        )


ALEMBIC_INI = """[alembic]
script_location = %(here)s
"""

ALEMBIC_ENV = '''"""env.py for the benchmark: URL from $BENCH_ALEMBIC_URL, online mode only."""
import os

from alembic import context
from sqlalchemy import create_engine, pool

connectable = create_engine(os.environ["BENCH_ALEMBIC_URL"], poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
'''


def gen_alembic(n, d):
    write(os.path.join(d, "alembic.ini"), ALEMBIC_INI)
    write(os.path.join(d, "env.py"), ALEMBIC_ENV)
    for i in range(1, n + 1):
        up, down = split(i)
        prev = repr(f"{i - 1:06d}") if i > 1 else "None"
        text = (
            f'"""bench {i}"""\n'
            "from alembic import op\n\n"
            f"revision = {f'{i:06d}'!r}\n"
            f"down_revision = {prev}\n"
            "branch_labels = None\n"
            "depends_on = None\n\n\n"
            "def upgrade():\n"
            + "".join(f"    op.execute({s!r})\n" for s in up)
            + "\n\ndef downgrade():\n"
            + "".join(f"    op.execute({s!r})\n" for s in down)
        )
        write(os.path.join(d, "versions", f"{i:06d}_bench_{i}.py"), text)


def gen_sqitch(n, d, engine):
    write(
        os.path.join(d, "sqitch.conf"),
        f"[core]\n\tengine = {engine}\n\tplan_file = sqitch.plan\n\ttop_dir = .\n",
    )
    plan = ["%syntax-version=1.0.0", "%project=bench", ""]
    for i in range(1, n + 1):
        up, down = split(i)
        name = f"bench_{i}"
        plan.append(f"{name} 2026-01-01T00:00:00Z Bench <bench@example.invalid> # bench {i}")
        write(os.path.join(d, "deploy", f"{name}.sql"), "BEGIN;\n\n" + "\n".join(up) + "\n\nCOMMIT;\n")
        write(os.path.join(d, "revert", f"{name}.sql"), "BEGIN;\n\n" + "\n".join(down) + "\n\nCOMMIT;\n")
    write(os.path.join(d, "sqitch.plan"), "\n".join(plan) + "\n")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen_peers.py N DIR")
    n, d = int(sys.argv[1]), sys.argv[2]
    gen_dbmate(n, os.path.join(d, "dbmate"))
    gen_alembic(n, os.path.join(d, "alembic"))
    for engine in ("sqlite", "pg", "mysql"):
        gen_sqitch(n, os.path.join(d, "sqitch", engine), engine)


if __name__ == "__main__":
    main()
