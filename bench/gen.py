#!/usr/bin/env python3
"""gen.py N DIR — writes N migrations into DIR (the benchmark workload) and,
with --baseline DIALECT FILE, the same SQL as one script for the database's
own client, with equivalent version-table rows.

Each migration: a table, an index, three rows (SPEC-portable SQL).
"""
import hashlib
import os
import sys


def migration(i):
    return (
        f"-- dbmig:up\n"
        f"CREATE TABLE bench_{i} (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, score INTEGER);\n"
        f"CREATE INDEX bench_{i}_name ON bench_{i} (name);\n"
        f"INSERT INTO bench_{i} (id, name, score) VALUES (1, 'alpha', 10), (2, 'beta', 20), (3, 'gamma', 30);\n"
        f"-- dbmig:down\n"
        f"DROP TABLE bench_{i};\n"
    )


VTABLE = {
    "sqlite": "CREATE TABLE IF NOT EXISTS dbmig_version (revision VARCHAR(64) NOT NULL PRIMARY KEY, checksum VARCHAR(80) NOT NULL, message VARCHAR(255) NOT NULL, applied_at TIMESTAMP NOT NULL, duration_ms INTEGER NOT NULL, dirty BOOLEAN NOT NULL, progress INTEGER NOT NULL, progress_hash VARCHAR(80), seq INTEGER NOT NULL);",
    "postgres": "CREATE TABLE IF NOT EXISTS dbmig_version (revision VARCHAR(64) NOT NULL PRIMARY KEY, checksum VARCHAR(80) NOT NULL, message VARCHAR(255) NOT NULL, applied_at TIMESTAMP NOT NULL, duration_ms INTEGER NOT NULL, dirty BOOLEAN NOT NULL, progress INTEGER NOT NULL, progress_hash VARCHAR(80), seq INTEGER NOT NULL);",
    "mysql": "CREATE TABLE IF NOT EXISTS dbmig_version (revision VARCHAR(64) NOT NULL PRIMARY KEY, checksum VARCHAR(80) NOT NULL, message VARCHAR(255) NOT NULL, applied_at DATETIME NOT NULL, duration_ms INTEGER NOT NULL, dirty BOOLEAN NOT NULL, progress INTEGER NOT NULL, progress_hash VARCHAR(80), seq INTEGER NOT NULL);",
}


def main():
    args = sys.argv[1:]
    n, d = int(args[0]), args[1]
    os.makedirs(d, exist_ok=True)
    for i in range(1, n + 1):
        with open(os.path.join(d, f"{i:06d}_bench_{i}.sql"), "w") as f:
            f.write(migration(i))
    if len(args) >= 5 and args[2] == "--baseline":
        dialect, out = args[3], args[4]
        with open(out, "w") as f:
            if dialect != "postgres":  # psql -1 wraps the file itself
                f.write("BEGIN;\n")
            f.write(VTABLE[dialect] + "\n")
            for i in range(1, n + 1):
                body = migration(i)
                up = body.split("-- dbmig:up\n")[1].split("-- dbmig:down\n")[0]
                f.write(up)
                digest = hashlib.sha256(body.encode()).hexdigest()
                f.write(
                    "INSERT INTO dbmig_version (revision, checksum, message, applied_at, duration_ms, dirty, progress, progress_hash, seq) "
                    f"VALUES ('{i:06d}', 'v1:{digest}', 'bench {i}', '2026-01-01 00:00:00', 0, FALSE, 0, NULL, {i});\n"
                )
            if dialect != "postgres":
                f.write("COMMIT;\n")


if __name__ == "__main__":
    main()
