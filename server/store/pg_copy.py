"""Copy a SQLite event log into a PostgreSQL database (moving a class from a laptop to a
hosted server, docs/operations.md):

    python -m server.store.pg_copy --from data/alliance.db --to postgresql://user:pw@host/db

Every row of every table, as it is: log ids, player order (SQLite's rowid) and the JSON text
byte for byte, so the server restores the same sessions from PostgreSQL and their exports
are the same archives. Stop the server on the file first (the copy reads a consistent
snapshot of it, but what the server writes afterwards is not copied). The target must not
hold any of the copied sessions yet; the copy is one transaction: all or nothing."""
from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path

import asyncpg

from . import pg_schema
from .pg_schema import COLUMNS, redacted


async def copy_sqlite_to_postgres(sqlite_path: str | Path, dsn: str) -> dict[str, int]:
    """Rows copied per table."""
    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        src.execute("BEGIN")  # one snapshot of the file for every table
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", pg_schema.SCHEMA_LOCK)
                await conn.execute(pg_schema.SCHEMA)
                counts = {}
                for table, cols in COLUMNS.items():
                    rows = src.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY rowid").fetchall()
                    values = [[pg_schema.coerce(table, c, v) for c, v in zip(cols, row)] for row in rows]
                    # players: in rowid order, so row_order (SQLite's rowid) follows it
                    await conn.executemany(pg_schema.upsert(table, list(cols), replace=False), values)
                    counts[table] = len(values)
                # the next log id after the copied ones, as SQLite would give it
                await conn.execute("SELECT setval(pg_get_serial_sequence('log', 'id'), "
                                   "GREATEST((SELECT max(id) FROM log), 1), (SELECT count(*) > 0 FROM log))")
            return counts
        finally:
            await conn.close()
    finally:
        src.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m server.store.pg_copy",
                                 description="Copy a SQLite event log into a PostgreSQL database.")
    ap.add_argument("--from", dest="src", required=True, help="the SQLite file (stop its server first)")
    ap.add_argument("--to", dest="dsn", required=True, help="postgresql://user:password@host:port/db")
    a = ap.parse_args(argv)
    if not Path(a.src).is_file():
        print(f"error: no SQLite file at {a.src}", file=sys.stderr)
        return 2
    try:
        counts = asyncio.run(copy_sqlite_to_postgres(a.src, a.dsn))
    except (sqlite3.Error, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
        print(f"error: nothing was copied to {redacted(a.dsn)}: {e}", file=sys.stderr)
        return 2
    print(f"copied to {redacted(a.dsn)}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
