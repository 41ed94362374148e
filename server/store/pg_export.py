"""What an export reads when the event log is on PostgreSQL: the same rows, in the same
order, as `ExportReader` reads from a SQLite file (server/store/export_reader.py), and the
same `alliance.sqlite` (the SQLite schema `create_schema` makes, filled with the chosen
sessions' rows in the order SQLite's own copy lists them). An export of a session is the
same archive whichever store held it (tests/test_store_postgres_server.py compares them)."""
from __future__ import annotations

import asyncio
import sqlite3
from typing import Callable

import asyncpg
import sqlite_utils

from .export_reader import sqlite_copy
from .pg_schema import COLUMNS, redacted
from .reads import StoreReadError
from .sqlite import create_schema

# SQLite's copy reads each table through its session index: in session id order, and
# within a session by the index's next column (players: rowid, i.e. insertion order)
_COPY_ORDER = {"sessions": "session_id", "players": "session_id, row_order", "log": "session_id, seq",
               "snapshots": "session_id, seq"}


class PostgresExportReader:
    """One connection for one export, on a private event loop (an export runs in a worker
    thread or the export command, never on the server's loop)."""

    def __init__(self, dsn: str):
        self._loop = asyncio.new_event_loop()
        self.where = redacted(dsn)
        try:
            self.con: asyncpg.Connection = self._loop.run_until_complete(asyncpg.connect(dsn, timeout=10))
        except BaseException as e:
            self._loop.close()
            if isinstance(e, (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)):
                raise StoreReadError(f"cannot read PostgreSQL {self.where}: {e}") from None
            raise

    def close(self) -> None:
        try:
            self._loop.run_until_complete(self.con.close())
        finally:
            self._loop.close()

    def _fetch(self, sql: str, *args) -> list[dict]:
        try:
            return [dict(r) for r in self._loop.run_until_complete(self.con.fetch(sql, *args))]
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            raise StoreReadError(f"cannot read PostgreSQL {self.where}: {e}") from None

    def sessions(self) -> list[dict]:
        return self._fetch("SELECT * FROM sessions ORDER BY created_at, session_id")

    def log_rows(self, session_ids: list[str]) -> list[dict]:
        return self._fetch("SELECT * FROM log WHERE session_id = ANY($1::text[]) ORDER BY session_id, seq",
                           session_ids)

    def seated(self, session_ids: list[str]) -> list[dict]:
        return self._fetch("SELECT session_id, player_id, label, firm FROM players WHERE session_id = ANY($1::text[]) "
                           "ORDER BY session_id, row_order", session_ids)

    def copy_of(self, session_ids: list[str], redact: Callable[[str, dict], None]) -> bytes:
        scratch = sqlite3.connect(":memory:")
        try:
            create_schema(sqlite_utils.Database(scratch))
            master = scratch.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                                     "AND name NOT LIKE 'sqlite_%'").fetchall()
        finally:
            scratch.close()
        tables = []
        for kind, name, sql in master:
            if kind != "table":
                continue
            cols = list(COLUMNS[name])
            rows = self._fetch(f"SELECT {', '.join(cols)} FROM {name} WHERE session_id = ANY($1::text[]) "
                               f"ORDER BY {_COPY_ORDER[name]}", session_ids)
            tables.append((name, sql, cols, [tuple(r.values()) for r in rows]))
        return sqlite_copy(tables, [sql for kind, _, sql in master if kind == "index"], redact)
