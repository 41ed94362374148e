"""The hub's side of forwarding between server processes on one PostgreSQL database
(issue 20): as the owner, run what other processes forward to its sessions; as a
follower, find and follow the sessions another process owns (server/follower.py, the
database side in server/store/pg_inbox.py).

Only the PostgreSQL store forwards; with SQLite a process is alone and owns everything.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING

from game_rules.session import facts as F
from game_rules.session.evolve import evolve
from game_rules.state import state_from_dict

from . import auth, protocol as P, seats
from .follower import FORWARD_WAIT, Follower
from .protocol import ProtocolError

if TYPE_CHECKING:
    from .interfaces import Hub

log = logging.getLogger("server.forwarding")

SWEEP_SECONDS = 1.0  # how often the inbox and the followed logs are looked at without a notification


class Forwarding:
    def __init__(self, hub: "Hub"):
        self.hub = hub
        self.store = hub.store
        self._taking: set[str] = set()      # sessions whose inbox is being taken
        self._running: set[int] = set()     # inbox rows taken and not answered yet
        self._again: set[str] = set()
        self._loading: dict[str, asyncio.Future] = {}
        self._sweeper: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()

    def start(self) -> None:
        self.store.listen(self.inbox_waiting, self.logged, self.look_everywhere)
        self._sweeper = asyncio.create_task(self._sweep(), name="forwarding sweep")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        for f in list(self.hub.followers.values()):
            f.close("server shutting down")
        self.hub.followers.clear()

    async def _sweep(self) -> None:
        """Lost notifications only cost time: now and then, every owned session's inbox is
        taken and every followed session catches up."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)  # a period, not a synchronisation
            self.look_everywhere()
            try:
                await self.store.forget_spent()
            except Exception as e:  # the next sweep tries again
                log.warning("could not delete delivered forwarding replies (%r)", e)

    def look_everywhere(self) -> None:
        """Take every owned session's inbox, catch every followed session up: what a lost
        notification would have said (also right after listening again)."""
        if self.hub.sessions:
            self.inbox_waiting(*self.hub.sessions)
        for f in list(self.hub.followers.values()):
            f.poke()

    # ---- the owner: what others forward -------------------------------------------------------

    def inbox_waiting(self, *session_ids: str) -> None:
        owned = [s for s in session_ids if s in self.hub.sessions]
        busy = {s for s in owned if s in self._taking}
        self._again |= busy
        todo = [s for s in owned if s not in busy]
        if todo:
            self._taking.update(todo)
            self._spawn(self._take(todo))

    async def _take(self, session_ids: list[str]) -> None:
        try:
            while True:
                try:
                    items = await self.store.take_inbox(session_ids, set(self._running))
                except Exception as e:
                    log.warning("could not read the forwarding inbox (%r); the sweep tries again", e)
                    return
                # posted in order: the actor's queue keeps the order the forwarders wrote them
                for row_id, sid, item in items:
                    self._running.add(row_id)
                    self._spawn(self._run(row_id, sid, item))
                again = self._again & set(session_ids)
                self._again -= again
                if not items and not again:
                    return
        finally:
            self._taking.difference_update(session_ids)

    async def _run(self, row_id: int, sid: str, item: dict) -> None:
        try:
            await self._run_and_answer(row_id, sid, item)
        finally:
            self._running.discard(row_id)

    async def _run_and_answer(self, row_id: int, sid: str, item: dict) -> None:
        try:
            reply = await self.run(sid, item)
            # with the seq its last row reached: the follower acknowledges once it has that
            # seq, with no catch-up of its own when the log's notification brought it already
            answer = {"reply": reply[0], "seq": reply[1]} if isinstance(reply, tuple) else {"reply": reply}
        except ProtocolError as e:
            answer = {"refused": {"code": e.code, "message": e.message}}
        except Exception:
            log.exception("session %s: a forwarded %s failed", sid, item.get("op"))
            answer = {"refused": {"code": "internal_error", "message": "unexpected server error"}}
        await self._answer(row_id, sid, answer)

    async def _answer(self, row_id: int, sid: str, answer: dict) -> None:
        """Write the answer; while the database is away (restarting) try again, with backoff,
        as long as its forwarder waits for it (then the forwarder says so, and the client's
        retry with the same id gets the logged reply)."""
        from .store.pg_inbox import connection_lost  # (asyncpg: only on PostgreSQL)
        delay, end = 0.1, asyncio.get_running_loop().time() + FORWARD_WAIT
        while True:
            try:
                await self.store.answer(row_id, answer)
                return
            except connection_lost() as e:
                if asyncio.get_running_loop().time() + delay > end:
                    log.warning("session %s: could not answer a forwarded item (%r)", sid, e)
                    return
                await asyncio.sleep(delay)  # backoff while the database comes back
                delay = min(1.0, delay * 2)
            except Exception as e:  # the forwarder times out and says so
                log.warning("session %s: could not answer a forwarded item (%r)", sid, e)
                return

    def run(self, sid: str, item: dict):
        """Run one forwarded item in the session's actor, as if it came from a local socket
        or HTTP call (the same principal, the same command id)."""
        actor = self.hub.sessions.get(sid)
        op = item.get("op")
        if op == "join":
            return self.hub.join(**item["args"])
        if actor is None:
            raise ProtocolError("owner_unreachable", "the session moved to another server process; try again")
        if op == "command":
            msg = P.parse_client_message(item["frame"])
            who = auth.Principal(sid, item["player_id"])
            return _first(actor.call(_as_token, actor, who, item.get("token_hash"), msg))
        if op == "seat_request":
            return actor.call(seats.request_state, actor, item["token_hash"])
        if op == "control":
            return _first(actor.call(_with_seq, actor, actor.http_control, P.HttpControl.model_validate(item["body"])))
        raise ProtocolError("invalid_options", f"unknown forwarded item {op!r}")

    # ---- the follower: sessions another process owns --------------------------------------------

    def logged(self, sid: str, seq: int) -> None:
        f = self.hub.followers.get(sid)
        if f is not None:
            f.logged(seq)

    async def resolve_token(self, token: str) -> None:
        """Before a token is looked up: follow its session if another process owns it."""
        p = self.hub.tokens.lookup(token)
        if p is not None and (p.session_id in self.hub.sessions or p.session_id in self.hub.followers):
            return
        found = await self.store.find_token(auth.token_hash(token))
        if found is not None and found[0] not in self.hub.sessions:
            await self.follow(found[0])

    async def join(self, code: str, **args) -> dict | None:
        """A join for a session another process owns (None: no live session has the code)."""
        sid = await self.store.find_code(code)
        if sid is None or sid in self.hub.sessions:
            return None
        follower = await self.follow(sid)
        return await follower.forward({"op": "join", "args": {"code": code, **args}})

    async def seat_request(self, sid: str, token_hash: str) -> dict | None:
        """A new device's poll of its seat request in a session another process owns (None:
        no live session has this id)."""
        try:
            follower = await self.follow(sid)
        except ProtocolError:  # no such session, or it has ended
            return None
        return await follower.forward({"op": "seat_request", "token_hash": token_hash})

    async def follow(self, sid: str) -> Follower:
        """The session's follower, made (from the owner's snapshot and facts) if needed."""
        if sid in self.hub.followers:
            return self.hub.followers[sid]
        if sid not in self._loading:
            self._loading[sid] = asyncio.ensure_future(self._load(sid))
        try:
            return await asyncio.shield(self._loading[sid])
        finally:
            self._loading.pop(sid, None)

    async def _load(self, sid: str) -> Follower:
        loop = asyncio.get_running_loop()
        ls = await loop.run_in_executor(None, self.store.load_session, sid, self.hub.config.chat_keep)
        if ls is None or ls.session["status"] != "live":
            raise ProtocolError("token_expired", "this token's session has ended")
        replica = self.hub._actor(ls.session)
        restore_replica(replica, ls)
        follower = Follower(self.hub, replica)
        if sid in self.hub.sessions:  # taken over meanwhile: the owner serves it
            return follower
        self.hub.followers[sid] = follower
        await follower.catch_up()
        return follower

    def _spawn(self, coro) -> None:
        t = asyncio.ensure_future(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)


def _as_token(actor, who: auth.Principal, hashed: str | None, msg):
    """A forwarded command runs (in the actor, in its order) only if the token its socket
    opened with still opens that seat: one revoked on the owner (the player removed, the
    seat moved to a new device or merged) is refused, even before the follower has heard."""
    seat = actor.facilitator_hash if who.is_facilitator else getattr(actor.players.get(who.player_id), "token_hash",
                                                                     None)
    if hashed is not None and hashed != seat:
        raise ProtocolError("token_revoked", actor.hub.revoked.get(hashed, "this token no longer opens this seat"))
    return _with_seq(actor, actor._execute, who, msg.type, msg.id, msg, msg.client_time)


def _with_seq(actor, fn, *args) -> tuple[dict, int, int]:
    """`fn`'s reply and status, and the seq of the log once it ran (in the actor: the seq of
    its own last row, committed when the actor's future resolves)."""
    reply, status = fn(*args)
    return reply, status, actor.seq


async def _first(fut: asyncio.Future) -> tuple[dict, int]:
    """The reply of an actor call and the seq it reached."""
    reply, _status, seq = await fut
    return reply, seq


def restore_replica(replica, ls) -> None:
    """The session as its owner restores it (SessionActor.restore), minus what only an
    owner does: its clock stays as logged, its command replies stay in the log."""
    s = replica.session
    if ls.snapshot:
        s.state = state_from_dict(json.loads(ls.snapshot["state"]))
        s.load(json.loads(ls.snapshot["server"]))
    for r in ls.records:
        evolve(s, F.read_fact(r["type"], json.loads(r["data"])))
    for r in ls.chat:
        evolve(s, F.Chat.from_data(json.loads(r["data"])))
    replica.seq = ls.last_seq
