"""Idle sessions are archived instead of being kept live (and restored at every start) forever.

A live session with nothing logged for `archive_idle_seconds` (`--archive-after-days`) is
marked `archived` in the `sessions` table, at the next start or by the check the server
runs every `archive_check_every` seconds. An archived session has no actor, no clock and
no sockets; it is read-only:

- its facilitator token still reads the summary (`GET /api/sessions/{id}`) and the
  debrief (`GET /api/web/history/{id}`), from a copy restored from the log on demand;
- exports work as for any session (they read the database);
- joins with its code get 410 `session_archived`, and so do controls, the live socket and
  every player route.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from .auth import Principal
from .protocol import ProtocolError

if TYPE_CHECKING:
    from .interfaces import Hub, SessionActor
    from .store import LiveSession

log = logging.getLogger("server.archive")

ARCHIVED = "archived"
READERS_KEPT = 8  # read-only copies kept in memory (a debrief page asks more than once)


class Archive:
    def __init__(self, hub: "Hub"):
        self.hub = hub
        self.sessions: set[str] = set()
        self.codes: dict[str, str] = {}  # join code -> archived session id (joins get 410, not 404)
        self._readers: OrderedDict[str, "SessionActor"] = OrderedDict()

    @property
    def idle_seconds(self) -> float:
        return self.hub.config.archive_idle_seconds

    def idle_for(self) -> str:
        days = self.idle_seconds / 86400
        return f"{days:g} day(s)" if days >= 1 else f"{self.idle_seconds:g} s"

    def refused(self, what: str) -> ProtocolError:
        return ProtocolError("session_archived", f"this session was archived after {self.idle_for()} without "
                                                 f"activity: {what}")

    # ---- at start ----------------------------------------------------------------------

    def split_idle(self, live: list["LiveSession"], now: float) -> tuple[list["LiveSession"], list[str]]:
        """(sessions to restore, ids of sessions idle too long to be restored)."""
        if self.idle_seconds <= 0:
            return live, []
        keep, idle = [], []
        for ls in live:
            last = ls.last_wall if ls.last_wall is not None else ls.session["created_at"]
            (idle if now - last >= self.idle_seconds else keep).append(ls)
        return keep, [ls.session["session_id"] for ls in idle]

    async def mark(self, session_ids: list[str], now: float) -> None:
        if session_ids:
            await self.hub.store.write([("session_status", sid, ARCHIVED, now) for sid in session_ids])
            log.info("archived %d session(s) idle for more than %s", len(session_ids), self.idle_for())

    def load(self) -> None:
        """The archived sessions' codes and tokens (the tokens answer `session_archived`)."""
        store = self.hub.store
        for code, sid in store.load_codes(ARCHIVED):
            self.codes[code] = sid
            self.sessions.add(sid)
        for hashed, sid, pid in store.load_ended_tokens(ARCHIVED):
            self.hub.tokens.add(hashed, Principal(sid, pid))

    # ---- while running -------------------------------------------------------------------

    async def run(self) -> None:
        """Check for idle sessions now and then until cancelled (at shutdown)."""
        while True:
            await asyncio.sleep(self.hub.config.archive_check_every)
            try:
                await self.sweep()
            except Exception:  # a failed check is retried at the next one
                log.exception("the check for idle sessions failed")

    async def sweep(self, now: float | None = None) -> list[str]:
        """Archive every live session with nothing logged for `archive_idle_seconds`
        before `now`; returns their ids."""
        hub = self.hub
        if self.idle_seconds <= 0 or hub.shutting_down:
            return []
        now = time.time() if now is None else now
        actors = list(hub.sessions.values())
        loop = asyncio.get_running_loop()
        last = await loop.run_in_executor(None, hub.store.last_activity, [a.id for a in actors])
        done = []
        for actor in actors:
            seq, wall = last.get(actor.id, (None, now))
            if now - wall >= self.idle_seconds and await self._archive_live(actor, seq, now):
                done.append(actor.id)
        if done:
            log.info("archived %d session(s) idle for more than %s", len(done), self.idle_for())
        return done

    async def _archive_live(self, actor: "SessionActor", seq: int, now: float) -> bool:
        try:  # asked in the actor's mailbox: nothing logged (or queued to be) since the check read the log
            still_idle = await actor.call(lambda: actor.seq == seq)
        except ProtocolError:
            return False  # stopped meanwhile (ended, shutting down)
        if not still_idle or self.hub.sessions.get(actor.id) is not actor:
            return False
        # from here no new socket, join or control reaches it; a command already in its
        # mailbox is still applied and logged before the actor stops (nothing is lost)
        self.hub.retire(actor, f"session archived after {self.idle_for()} without activity")
        self.codes[actor.code] = actor.id
        self.sessions.add(actor.id)
        await actor.stop()
        await self.hub.store.write([("session_status", actor.id, ARCHIVED, now)])
        return True

    # ---- reading an archived session ----------------------------------------------------

    async def reader(self, session_id: str) -> "SessionActor":
        """A read-only copy of an archived (or ended) session, restored from the log (never
        started: no clock, no sockets, nothing written)."""
        actor = self._readers.get(session_id)
        if actor is None:
            hub = self.hub
            loop = asyncio.get_running_loop()
            ls = await loop.run_in_executor(None, hub.store.load_session, session_id, hub.config.chat_keep)
            if ls is None:
                raise ProtocolError("not_found", "no such session")
            actor = hub._actor(ls.session)
            actor.restore(ls.snapshot, ls.records, ls.chat, ls.replies, ls.last_seq)
            if session_id in self.sessions:  # an ended one keeps its own status ("ended")
                actor.status = ARCHIVED
            self._readers[session_id] = actor
            while len(self._readers) > READERS_KEPT:
                self._readers.popitem(last=False)
        self._readers.move_to_end(session_id)
        return actor
