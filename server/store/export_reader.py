"""What an export reads from the file (server/export.py): the sessions, their log rows and
players, and `alliance.sqlite`, a copy of the database with only the chosen sessions'
rows. The export decides what to leave out (`redact(table, row)`); the SQL is here."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

from .reads import read_only


class ExportReader:
    """One read-only connection to the file, for one export."""

    def __init__(self, path: str | Path):
        self.con = read_only(path)
        self.con.row_factory = sqlite3.Row

    def close(self) -> None:
        self.con.close()

    def sessions(self) -> list[dict]:
        return [dict(r) for r in self.con.execute("SELECT * FROM sessions ORDER BY created_at, session_id")]

    def log_rows(self, session_ids: list[str]) -> list[dict]:
        return [dict(r) for r in self.con.execute(
            f"SELECT * FROM log WHERE session_id IN ({_marks(len(session_ids))}) ORDER BY session_id, seq",
            session_ids)]

    def seated(self, session_ids: list[str]) -> list[dict]:
        """(session, player, label, firm) of every seated participant."""
        return [dict(r) for r in self.con.execute(
            f"SELECT session_id, player_id, label, firm FROM players WHERE session_id IN "
            f"({_marks(len(session_ids))})", session_ids)]

    def copy_of(self, session_ids: list[str], redact: Callable[[str, dict], None]) -> bytes:
        """The database (every table and index) with only these sessions' rows, every column
        named like a token emptied, and `redact(table, row)` applied to each row."""
        src = self.con
        tables = []
        for name, sql in src.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL "
                                     "AND name NOT LIKE 'sqlite_%'").fetchall():
            cols = [r[1] for r in src.execute(f'PRAGMA table_info("{name}")')]
            rows = (src.execute(f'SELECT * FROM "{name}" WHERE session_id IN ({_marks(len(session_ids))})',
                                session_ids).fetchall() if "session_id" in cols else [])
            tables.append((name, sql, cols, rows))
        indexes = [sql for (sql,) in src.execute("SELECT sql FROM sqlite_master WHERE type = 'index' "
                                                 "AND sql IS NOT NULL")]
        return sqlite_copy(tables, indexes, redact)


def sqlite_copy(tables, indexes: list[str], redact: Callable[[str, dict], None]) -> bytes:
    """An in-memory SQLite database made of `tables` ((name, CREATE sql, columns, rows) in
    order: each created, then filled) and then `indexes`, as bytes; the export's
    `alliance.sqlite`, whichever store the rows come from."""
    dst = sqlite3.connect(":memory:")
    try:
        for name, sql, cols, rows in tables:
            dst.execute(sql)
            out = []
            for row in rows:
                rec = dict(zip(cols, tuple(row)))
                for c in cols:
                    if "token" in c:
                        rec[c] = None
                redact(name, rec)
                out.append(tuple(rec[c] for c in cols))
            dst.executemany(f'INSERT INTO "{name}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
                            f'VALUES ({_marks(len(cols))})', out)
        for sql in indexes:
            dst.execute(sql)
        dst.commit()
        return dst.serialize()
    finally:
        dst.close()


def _marks(n: int) -> str:
    return ", ".join("?" * n)
