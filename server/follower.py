"""A session served by a process that does not own it (several processes on one PostgreSQL
database, issue 20; the database side in server/store/pg_inbox.py).

The follower keeps a read-only replica of the session: the owner's latest snapshot and
facts, restored as a takeover restores them (server/hub.py), then every fact the owner
commits after the last seq applied, folded by the same pure `evolve`
(game_rules/session/evolve.py). Its sockets get what the owner's would: a `welcome` and
a full view on connecting, built by the same code (server/fanout.py over a never-started
SessionActor holding the replica), and after each catch-up a full view of the new state
(the owner sends the other changes as smaller pushes: a chat line, a draft; a client
folds either into the same view), and at a round's end the `round_result` as the owner
tells it and a `round_delta` as the owner's sockets get. Commands and controls go to the
owner through the database (`forward`), with the principal and command id they came with,
so a repeated id is answered once; the ack goes to the socket after the replica has
caught up with what the command changed.

Nothing here writes: the replica never logs, never arms a clock, never snapshots.
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from typing import TYPE_CHECKING

from game_rules.session import facts as F
from game_rules.session.evolve import evolve
from game_rules.session.step import Tell

from . import protocol as P
from .auth import Principal
from .seats import MERGED, MOVED, REMOVED
from .protocol import ProtocolError
from .store.pg_inbox import Unanswered

if TYPE_CHECKING:
    from .connection import Connection
    from .session_actor import SessionActor

log = logging.getLogger("server.follower")

# the facts that change whose token opens a seat, and why the token they take away stops working
SEAT_CHANGES = {F.PlayerRemoved: REMOVED, F.PlayerRejoined: MOVED, F.PlayersMerged: MERGED}
FORWARD_WAIT = 20.0  # seconds a forwarded item waits for the owner (more than a lease + a restore)


def unreachable(e: Unanswered) -> ProtocolError:
    how = ("it was not applied" if e.ran is False else
           "it may have been applied: send it again with the same id (it is never applied twice)")
    return ProtocolError("owner_unreachable", f"the server process running this session did not answer in "
                                              f"time ({how}); try again shortly")


class Follower:
    """One session this process follows: its replica, its local sockets, its forwarder."""

    def __init__(self, hub, replica: "SessionActor"):
        self.hub = hub
        self.replica = replica                   # never started: holds state and the local sockets
        self.id = replica.id
        self.fanout = replica.fanout
        self.conns = replica.conns
        self.seq = replica.seq                   # the last log seq applied
        self._catching_up: asyncio.Task | None = None
        self._again = False
        self.closed = False
        self._chains: dict = {}                  # socket -> its last command's task (order kept)
        self._register_tokens()

    # ---- following the owner's log ---------------------------------------------------------

    def logged(self, seq: int) -> None:
        """The owner committed rows up to `seq` (a notification, or a periodic look)."""
        if seq > self.seq:
            self.poke()

    def poke(self) -> asyncio.Future:
        """Catch up soon: one catch-up at a time (each pushes views to every local socket),
        and one more right after it if more was asked for meanwhile."""
        if self._catching_up is not None and not self._catching_up.done():
            self._again = True
        else:
            self._catching_up = asyncio.ensure_future(self._catch_up())
        return self._catching_up

    async def catch_up(self) -> None:
        """Return once the replica has everything the owner had committed when called."""
        await asyncio.shield(self.poke())

    async def _catch_up(self) -> None:
        """Apply what the owner logged since the last seq applied, then push fresh views."""
        delay = 0.05
        while not self.closed:
            self._again = False
            try:
                rows, last = await self.hub.store.facts_since(self.id, self.seq)  # (rows carry their seq)
            except Exception as e:
                # the database is away (restarting): read again, with backoff, until it answers;
                # whoever waits for this catch-up (an ack, a resync) waits as long
                log.warning("session %s: could not read the log to catch up (%r); trying again", self.id, e)
                await asyncio.sleep(delay)
                delay = min(2.0, delay * 2)
                self._again = True
                continue
            self._apply(rows, last)
            if not self._again:
                return

    def _apply(self, rows: list[dict], last: int) -> None:
        if self.closed or last <= self.seq:
            return
        s = self.replica.session
        closed = False
        for r in rows:
            if r["seq"] <= self.seq:  # two catch-ups overlapped: applied by the other one
                continue
            data = json.loads(r["data"])
            fact = F.Chat.from_data(data) if r["kind"] == "chat" else F.read_fact(r["type"], data)
            seated = self._seat_tokens() if fact.__class__ in SEAT_CHANGES else None
            evolve(s, fact)
            if seated is not None:
                self._seats_changed(fact, seated)
            if fact.__class__ is F.RoundClosed:
                self._round_result(fact)
                closed = True
        self.seq = last
        self.replica.seq = last
        self._register_tokens()
        if self.replica.status != "live":
            self.hub.unfollow(self.id, "session ended")
            return
        # after a round's end, as the owner's: a `round_delta` against the view each socket
        # holds where that is smaller (server/view_deltas.py; a follower's sockets hold the
        # full views it sent them, so the difference is the whole change)
        self.fanout.views(deltas=closed)
        self._send()

    def _round_result(self, fact: "F.RoundClosed") -> None:
        """A round closed: its results, as the owner tells them (game_rules/session/rounds.py
        `close`), before the new views; the engine's events are the replica's, re-resolved."""
        s = self.replica.session
        for fid in s.state.firms:
            self.fanout.tell(Tell(f"firm:{fid}", {"type": "round_result", "round": fact.round,
                                                  "events": s.last_by_firm.get(fid, [])}))
        self.fanout.tell(Tell("facilitator", {"type": "round_result", "round": fact.round, "events": s.last_events,
                                              "sources": fact.sources,
                                              **({"unusable": fact.unusable} if fact.unusable else {})}))

    def _seat_tokens(self) -> dict[str, str]:
        return {p.token_hash: p.id for p in self.replica.players.values()}

    def _seats_changed(self, fact, before: dict[str, str]) -> None:
        """A seat's token changed on the owner (removed, moved to a new device, merged): the
        token it had is revoked here too, as the owner revoked it once the fact was durable
        (server/seats.py): its sockets here close (4403, why), a new socket
        with it is refused `token_revoked`. A merged duplicate's sockets reconnect (1012), as
        on the owner, and come back as the seat."""
        now = self._seat_tokens()
        for hashed in before.keys() - now.keys():
            self.hub.revoke(hashed, SEAT_CHANGES[fact.__class__])
        if fact.__class__ is F.PlayersMerged:
            for conn in list(self.conns.get(fact.duplicate_id, ())):
                asyncio.ensure_future(conn.close(1012, "your seat changed: reconnecting"))
        # a row gone from the roster (removed, merged away): its sockets, closing, get nothing
        # more (there is no view of a player who is not there), as on the owner (server/seats.py)
        for pid in set(before.values()) - set(now.values()):
            gone = self.conns.pop(pid, set())
            self.hub.metrics.connections -= len(gone)

    def _register_tokens(self) -> None:
        """Every seat's token reaches this session here (a seat taken again has a new one)."""
        tokens = self.hub.tokens
        for p in self.replica.players.values():
            tokens.add(p.token_hash, Principal(self.id, p.id))
        tokens.add(self.replica.facilitator_hash, Principal(self.id, None))

    def _send(self) -> None:
        touched = {}
        for conn, msg in self.fanout.take():
            touched[conn] = None
            conn.send(msg)
        for conn in touched:
            conn.flush()

    # ---- local sockets (the owner's actor does the same: server/session_actor.py) -------------

    def connect(self, conn: "Connection") -> None:
        self.conns.setdefault(conn.principal.name, set()).add(conn)
        self.hub.metrics.connections += 1
        self.fanout.greet(conn, self.hub.config)
        self._send()

    def disconnect(self, conn: "Connection") -> None:
        s = self.conns.get(conn.principal.name)
        if s and conn in s:
            s.discard(conn)
            self.hub.metrics.connections -= 1
            if not s:
                del self.conns[conn.principal.name]

    def post(self, conn: "Connection", msg, raw: dict) -> None:
        """A socket's command, run after the ones it sent before (one chain per socket)."""
        before = self._chains.get(conn)
        task = asyncio.ensure_future(self._after(before, conn, msg, raw))
        self._chains[conn] = task
        task.add_done_callback(lambda t: self._chains.pop(conn, None) if self._chains.get(conn) is t else None)

    async def _after(self, before, conn, msg, raw) -> None:
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)
        try:
            await self.command(conn, msg, raw)
        except Exception:
            log.exception("session %s: a forwarded command failed", self.id)
            conn.send(P.error(msg.id, "internal_error", "unexpected server error"))

    async def command(self, conn: "Connection", msg, raw: dict) -> None:
        """A socket's command: `ping` and `resync` are answered here, the rest by the owner."""
        if msg.type == "ping":
            conn.send(P.ack(msg.id, {"server_time": time.time()}))
            return
        if msg.type == "resync":
            await self.catch_up()
            self.fanout.view_to(conn, msg.id)
            self._send()
            conn.send(P.ack(msg.id, None))
            return
        p = conn.principal
        try:
            if conn.token_hash in self.hub.revoked:  # (its socket is closing)
                raise ProtocolError("token_revoked", self.hub.revoked[conn.token_hash])
            reply = await self.forward({"op": "command", "player_id": p.player_id, "token_hash": conn.token_hash,
                                        "frame": raw})
        except ProtocolError as e:
            reply = P.error(msg.id, e.code, e.message)
        conn.send(reply)

    async def forward(self, item: dict) -> dict:
        """Run `item` in the owner's actor (server/forwarding.py `run`); its reply, once the
        replica has what it changed."""
        try:
            reply = await self.hub.store.forward(self.id, item, FORWARD_WAIT)
        except Unanswered as e:
            raise unreachable(e) from None
        if "refused" in reply:  # raised by the owner before the session ran it
            raise ProtocolError(reply["refused"]["code"], reply["refused"]["message"])
        if "seq" in reply:
            await self.reached(reply["seq"])
        else:  # (a join: its seq is not told)
            await self.catch_up()
        return reply["reply"]

    async def reached(self, seq: int) -> None:
        """Return once the replica has applied the log up to `seq`. The owner's log
        notification (sent at its COMMIT, so before its reply) has usually started that
        catch-up already: it is awaited, not repeated (one query and one round of views less
        per forwarded command); a catch-up is asked for only if none would get there."""
        while self.seq < seq and not self.closed:
            running = self._catching_up
            await asyncio.shield(running if running is not None and not running.done() else self.poke())

    async def forward_control(self, body) -> tuple[dict, int]:
        """A control over HTTP: (its ack or error, the HTTP status). One sent without an id
        gets one here: an owner that dies after running it but before answering leaves its
        inbox row to the next owner, which runs it again, and the id makes that second run
        answer with the first one's reply instead of applying the control twice. (The client
        sees no id it did not send; to retry safely itself, it sends its own.)"""
        data = body.model_dump(mode="json", exclude_none=True)
        data.setdefault("id", "fwd-" + secrets.token_hex(8))
        reply = await self.forward({"op": "control", "body": data})
        if body.id is None:
            reply = {**reply, "id": None}
        return reply, (200 if reply["type"] == "ack" else P.http_status(reply["code"]))

    async def summary(self) -> dict:
        await self.catch_up()
        return self.replica.summary()

    def close(self, reason: str) -> None:
        """This process stops following (it became the owner, or the session ended): the
        sockets close with `reason`; the clients reconnect (and resume from their last seq)."""
        self.closed = True
        conns = self.fanout.all()
        self.hub.metrics.connections -= len(conns)
        self.conns.clear()
        for conn in conns:
            asyncio.ensure_future(conn.close(1012 if reason != "session ended" else 1000, reason))
