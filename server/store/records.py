"""What a store takes and hands back, the same for both stores (SQLite in sqlite.py,
PostgreSQL in postgres.py): a log row, what a restart gets for one session, the interface
the server calls, the operations a batch holds, and the log's columns."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(slots=True)
class LogRow:
    """One line of the event log (the `log` table)."""
    session_id: str
    seq: int                 # per-session position, 1, 2, ...
    kind: str                # command | control | event | chat | connection | system
    type: str
    actor: str | None        # player id, 'facilitator', 'bot:<firm>', 'server'
    firm: str | None
    round: int | None
    command_id: str | None
    client_time: float | None
    data: str                # JSON
    reply: str | None = None  # JSON of the ack sent for a command (idempotent re-sends)
    wall_time: float = field(default_factory=time.time)
    mono_time: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class LiveSession:
    """What a restart needs for one unfinished session."""
    session: dict
    players: list[dict]
    snapshot: dict | None
    records: list[dict]      # facts logged after the snapshot, in order
    chat: list[dict]         # the last chat lines of every channel (not in snapshots: they grow)
    replies: list[dict]      # every (actor, command_id, reply) of the session
    last_seq: int
    last_wall: float | None


class EventStore(Protocol):
    """What the server needs from a store (SQLite now; PostgreSQL could follow)."""

    def open(self) -> None: ...
    def write(self, ops: list[tuple]) -> asyncio.Future: ...
    def load_live_sessions(self, chat_keep: int = 200) -> list[LiveSession]: ...
    def load_ended_tokens(self, status: str = "ended") -> list[tuple[str, str, str | None]]: ...
    def load_session(self, session_id: str, chat_keep: int = 200) -> LiveSession | None: ...
    def last_activity(self, session_ids: list[str]) -> dict[str, tuple[int, float]]: ...
    def load_codes(self, status: str) -> list[tuple[str, str]]: ...
    def find_session(self, session_id: str) -> dict | None: ...
    def find_reply(self, session_id: str, actor: str, command_id: str) -> str | None: ...
    # reads for the rest of the server (server/store/reads.py)
    def session_options(self) -> list[tuple[str, dict]]: ...
    def sessions_of_token(self, token_hash: str) -> tuple[list[str], bool]: ...
    def logged_completion(self, session_id: str, player_id: str) -> dict | None: ...
    def round_history(self, session_id: str) -> list[tuple[str, str, dict]]: ...
    def close(self) -> None: ...
    async def aclose(self) -> None: ...


# Operations a batch may hold (plain tuples: cheap to build on the hot path):
#   ("log", LogRow)
#   ("session", dict)                    insert a sessions row
#   ("session_status", sid, status, t)   live -> ended or archived (t: when)
#   ("player", dict)                     insert or replace a players row
#   ("snapshot", dict)                   insert a snapshots row

_LOG_COLUMNS = ("session_id", "seq", "kind", "type", "actor", "firm", "round", "command_id",
                "wall_time", "mono_time", "client_time", "data", "reply")
_REPLAY_KINDS = ("system",)  # facts; commands are kept for their replies, events are consequences


class StoreError(RuntimeError):
    """The event log cannot be used; the message says why, for people (the server exits)."""


def log_values(r: LogRow) -> tuple:
    """A log row's values in the order of `_LOG_COLUMNS` (both stores' INSERT)."""
    return (r.session_id, r.seq, r.kind, r.type, r.actor, r.firm, r.round, r.command_id, r.wall_time,
            r.mono_time, r.client_time, r.data, r.reply)


def _resolve_all(futures: list[asyncio.Future], exc: BaseException | None) -> None:
    for f in futures:
        if f.done():
            continue
        if exc is None:
            f.set_result(None)
        else:
            f.set_exception(exc)
