"""The store's read methods for the rest of the server (HTTP lookups, treatments), each on
its own short read-only connection: WAL lets them read while the writer thread writes.
Part of `EventStore` (server/store/records.py), so a second store implements the same reads;
nothing outside this package writes SQL."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from game_rules.renegotiation_story import STORY_TYPES

# the facts `round_history` reads besides the engine's events: the rounds' closes and what
# the debrief tells the renegotiation windows from
HISTORY_FACTS = ("round_closed", *STORY_TYPES)


class StoreReadError(Exception):
    """A read of a database server (PostgreSQL) failed: no answer, or an error from it."""


# what a read (or the restore at start) raises when the event log cannot be read (a tuple:
# `except DatabaseError` catches both stores' errors)
DatabaseError = (sqlite3.Error, StoreReadError)


def read_only(path: str | Path, timeout: float = 10) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout)


class SqliteReads:
    """Mixed into SqliteStore: reads that need only the file's path."""

    path: Path

    def session_options(self) -> list[tuple[str, dict]]:
        """(session id, options) of every session in the file (the treatments already assigned)."""
        con = read_only(self.path, timeout=5)
        try:
            rows = con.execute("SELECT session_id, options FROM sessions").fetchall()
        finally:
            con.close()
        return [(sid, json.loads(options or "{}")) for sid, options in rows]

    def sessions_of_token(self, token_hash: str) -> tuple[list[str], bool]:
        """The sessions whose researcher or facilitator token has this hash (live or ended, in
        creation order) and, when there is none, whether it is a player's token."""
        con = read_only(self.path)
        try:
            rows = con.execute("SELECT session_id FROM sessions WHERE researcher_token_hash = ? "
                               "OR facilitator_token_hash = ? ORDER BY created_at, session_id",
                               (token_hash, token_hash)).fetchall()
            player = not rows and con.execute("SELECT 1 FROM players WHERE token_hash = ?",
                                              (token_hash,)).fetchone() is not None
        finally:
            con.close()
        return [r[0] for r in rows], bool(player)

    def logged_completion(self, session_id: str, player_id: str) -> dict | None:
        """The last `completion_given` fact of a participant, if any."""
        con = read_only(self.path)
        try:
            row = con.execute("SELECT data FROM log WHERE session_id = ? AND type = 'completion_given' "
                              "AND json_extract(data, '$.player_id') = ? ORDER BY seq DESC LIMIT 1",
                              (session_id, player_id)).fetchone()
        finally:
            con.close()
        return json.loads(row[0]) if row else None

    def round_history(self, session_id: str) -> list[tuple[str, str, dict]]:
        """(kind, type, data) of a session's engine events, `round_closed` facts and the facts the
        debrief tells the renegotiation windows from (HISTORY_FACTS), in log order."""
        con = read_only(self.path, timeout=5)
        try:
            rows = con.execute(
                "SELECT kind, type, data FROM log WHERE session_id = ? AND "
                f"(kind = 'event' OR type IN ({', '.join('?' * len(HISTORY_FACTS))})) ORDER BY seq",
                (session_id, *HISTORY_FACTS)).fetchall()
        finally:
            con.close()
        return [(kind, type_, json.loads(data)) for kind, type_, data in rows]
