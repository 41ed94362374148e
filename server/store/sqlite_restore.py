"""What a restart and the socket handlers read from the SQLite file: the live sessions
(players, last snapshot, facts after it, chat, replies), the tokens and codes of ended
sessions, a session's row, a command's logged ack. Each read opens its own short
connection (WAL lets it read while the writer thread writes), except `find_reply`, a point
read on the event loop's thread that keeps one read-only connection."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from .records import _REPLAY_KINDS, LiveSession


def _dicts(con: sqlite3.Connection, sql: str, params: list | tuple = ()) -> list[dict]:
    return [dict(r) for r in con.execute(sql, params)]


def _first(con: sqlite3.Connection, sql: str, params: list | tuple = ()) -> dict | None:
    row = con.execute(sql, params).fetchone()
    return dict(row) if row is not None else None


class SqliteRestoreReads:
    """Mixed into SqliteStore (server/store/sqlite.py)."""

    path: Path
    _lookup: sqlite3.Connection | None

    def _read(self) -> sqlite3.Connection:
        con = sqlite3.connect(str(self.path))
        con.row_factory = sqlite3.Row
        return con

    def load_live_sessions(self, chat_keep: int = 200) -> list[LiveSession]:
        con = self._read()
        try:
            return [_load_session(con, s, chat_keep)
                    for s in _dicts(con, "SELECT * FROM sessions WHERE status = 'live' ORDER BY created_at")]
        finally:
            con.close()

    def load_session(self, session_id: str, chat_keep: int = 200) -> LiveSession | None:
        """One session whatever its status (an archived session is restored read-only)."""
        con = self._read()
        try:
            s = _first(con, "SELECT * FROM sessions WHERE session_id = ?", [session_id])
            return _load_session(con, s, chat_keep) if s else None
        finally:
            con.close()

    def last_activity(self, session_ids: list[str]) -> dict[str, tuple[int, float]]:
        """session id -> (seq, wall time) of its last logged record (one index seek each)."""
        con = self._read()
        try:
            out = {}
            for sid in session_ids:
                row = con.execute("SELECT seq, wall_time FROM log WHERE session_id = ? ORDER BY seq DESC LIMIT 1",
                                  [sid]).fetchone()
                if row:
                    out[sid] = (row[0], row[1])
            return out
        finally:
            con.close()

    def load_ended_tokens(self, status: str = "ended") -> list[tuple[str, str, str | None]]:
        """(token hash, session id, player id or None) of ended (or archived) sessions: their
        tokens answer `token_expired` (`session_archived`) rather than `bad_token` after a restart.
        A player the facilitator removed is left out: its token was revoked and stays dead
        (it would otherwise read the ended session: its completion code, the questionnaire)."""
        con = self._read()
        try:
            rows = [(r["facilitator_token_hash"], r["session_id"], None)
                    for r in _dicts(con, "SELECT * FROM sessions WHERE status = ?", [status])]
            rows += [(r["token_hash"], r["session_id"], r["player_id"]) for r in _dicts(
                con, "SELECT p.* FROM players p JOIN sessions s USING (session_id) WHERE s.status = ? AND NOT EXISTS "
                "(SELECT 1 FROM log l WHERE l.session_id = p.session_id AND l.type = 'player_removed' "
                "AND json_extract(l.data, '$.player_id') = p.player_id)", [status])]
            return rows
        finally:
            con.close()

    def load_codes(self, status: str) -> list[tuple[str, str]]:
        """(join code, session id) of the sessions with this status."""
        con = self._read()
        try:
            return [(r[0], r[1]) for r in con.execute("SELECT code, session_id FROM sessions WHERE status = ?",
                                                      [status]).fetchall()]
        finally:
            con.close()

    def find_reply(self, session_id: str, actor: str, command_id: str) -> str | None:
        """The logged ack of a command (a re-sent id no longer in the actor's memory, see
        server/replies.py): an indexed point read on a read-only connection of the event
        loop's thread. Committed rows only; the ids in flight are still in memory."""
        if self._lookup is None:
            self._lookup = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        row = self._lookup.execute(
            "SELECT reply FROM log WHERE session_id = ? AND actor = ? AND command_id = ? AND reply IS NOT NULL "
            "LIMIT 1", (session_id, actor, command_id)).fetchone()
        return row[0] if row else None

    def find_session(self, session_id: str) -> dict | None:
        con = self._read()
        try:
            return _first(con, "SELECT * FROM sessions WHERE session_id = ?", [session_id])
        finally:
            con.close()


def _load_session(con: sqlite3.Connection, s: dict, chat_keep: int) -> LiveSession:
    """What restoring one session needs: players, latest snapshot, facts after it, chat, replies."""
    sid = s["session_id"]
    players = _dicts(con, "SELECT * FROM players WHERE session_id = ? ORDER BY joined_at", [sid])
    snap = _first(con, "SELECT * FROM snapshots WHERE session_id = ? ORDER BY seq DESC LIMIT 1", [sid])
    after = snap["seq"] if snap else 0
    records = _dicts(
        con, f"SELECT * FROM log WHERE session_id = ? AND seq > ? AND kind IN "
        f"({', '.join('?' * len(_REPLAY_KINDS))}) ORDER BY seq", [sid, after, *_REPLAY_KINDS])
    chat = _dicts(
        con, "SELECT data FROM (SELECT data, seq, row_number() OVER (PARTITION BY json_extract(data, "
        "'$.channel') ORDER BY seq DESC) AS n FROM log WHERE session_id = ? AND kind = 'chat') "
        "WHERE n <= ? ORDER BY seq", [sid, chat_keep])
    replies = _dicts(con, "SELECT actor, command_id, reply FROM log WHERE session_id = ? AND reply IS NOT NULL",
                     [sid])
    last = _first(con, "SELECT seq, wall_time FROM log WHERE session_id = ? ORDER BY seq DESC LIMIT 1", [sid])
    return LiveSession(s, players, snap, records, chat, replies,
                       last["seq"] if last else 0, last["wall_time"] if last else None)
