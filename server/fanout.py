"""A session's sockets and the messages of the actor's current item: who gets what.

The actor (server/session_actor.py) runs one item at a time; every message that item
causes is queued here (`out`: (socket, message) pairs) and handed to the sockets once the
item's log rows are durable (the actor's `_flush`). Pushes the same for many sockets are
encoded once (`Shared`, and a firm's view part `SharedPart`); the facilitator's status is
coalesced (at most one every `status_every` seconds); the views after a round are built
by the next items, in chunks of firms (the first while the round is committed), so round
results go out first, and a player's socket gets them as a
`round_delta` against the view it holds (server/view_deltas.py) rather than a full view.

Views come from game_rules/session/views.py, built from the live session's pure state and
the plain data only the server knows (`actor.live()`: who is online, the time).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from game_rules import selection as sel
from game_rules.session.step import PlayerView, SelectionBoard, Tell

from game_rules.session import views
from game_rules.session.deltas import DELTA_VERSIONS, cite_results, saves

from . import protocol as P
from .auth import FACILITATOR
from .view_deltas import EVERYONE, Holdings
from .views_ahead import Ahead

if TYPE_CHECKING:
    from .connection import Connection

log = logging.getLogger("server.session")

VIEWS_CHUNK = 64   # firms per actor item of a new round's views (128 players of two: ~10-20 ms)


class Fanout:
    def __init__(self, live: Any, status_every: float):
        self.live = live                                 # the session actor: views are built from it
        self.status_every = status_every
        self.conns: dict[str, set["Connection"]] = {}   # principal name -> its open sockets
        self.out: list[tuple["Connection", Any]] = []   # this item's messages
        self._views_posted = False
        self.building = False                            # a new round's views are being built, chunk by chunk
        self._status_at = float("-inf")                 # when the facilitator last got a status
        self._status_timer: asyncio.TimerHandle | None = None
        self.held = Holdings()                           # what view each socket holds (round deltas)
        self.ahead = Ahead(live)                         # the next round's estimates, drawn while it is open

    def take(self) -> list:
        out, self.out = self.out, []
        return out

    def stop(self) -> None:
        if self._status_timer:
            self._status_timer.cancel()
        self.ahead.stop()

    def all(self) -> list["Connection"]:
        return [c for s in self.conns.values() for c in s]

    def greet(self, conn: "Connection", cfg: Any) -> None:
        """A socket just connected: its `welcome`, then its full view."""
        p, live = conn.principal, self.live
        player = live.players[p.player_id] if p.player_id else None
        self.out.append((conn, {
            "type": "welcome", "role": "facilitator" if p.is_facilitator else "player", "session_id": live.id,
            "player_id": p.player_id, "name": player.name if player else None,
            "firm": live._firm_of(p), "server_time": time.time(), "protocol": P.PROTOCOL_VERSION,
            "limits": {"max_frame_bytes": cfg.max_frame_bytes, "rate_per_second": cfg.rate_per_second,
                       "rate_burst": cfg.rate_burst}}))
        self.view_to(conn, None)

    def view_to(self, conn: "Connection", id: str | None) -> None:
        """`conn`'s full view now (on connecting, or answering `resync` command `id`)."""
        p, live = conn.principal, self.live
        if p.is_facilitator:
            view = live.view_for(p)
            self.held.hold(conn)
        else:
            session, now = live.session, live.live()
            firm = session.players[p.player_id].firm
            part, me = views.firm_part(session, now, firm), views.me_of(session, p.player_id)
            view = {**part, "me": me}
            self.held.hold(conn, part, me, firm)
        self.out.append((conn, {"type": "view", "view": view} if id is None else {"type": "view", "id": id, "view": view}))

    # ---- one message, to whom ------------------------------------------------------------------

    def tell(self, t: Tell, sender: "Connection | None" = None) -> None:
        """A step's `Tell` (`sender`: the socket the command came from)."""
        to, msg = t.to, t.msg
        if to == "everyone":
            self.held.touch(EVERYONE, msg.get("type"))
            shared = P.Shared(msg)  # encoded once for every socket
            for conn in self.all():
                self.out.append((conn, shared))
        elif to == "facilitator":
            self.facilitator(msg)
        elif to.startswith("firm:"):
            if msg.get("type") == "round_result":   # what a firm's next round deltas may cite
                self.held.results[to[5:]] = (msg["round"], msg["events"])
            self.firm(to[5:], msg, skip=None if t.to_sender else sender)
        else:  # player:<id>
            self.held.touch(to[7:], msg.get("type"))
            for conn in self.conns.get(to[7:], ()):
                self.out.append((conn, dict(msg)))

    def firm(self, firm: str, msg: dict, skip=None) -> None:
        shared = None  # encoded once for the whole firm; `msg` must not change afterwards
        self.held.touch(firm, msg.get("type"))
        for p in self.live.members(firm):
            for conn in self.conns.get(p.id, ()):
                if conn is not skip:
                    shared = shared or P.Shared(msg)
                    self.out.append((conn, shared))

    def facilitator(self, msg: dict) -> None:
        for conn in self.conns.get(FACILITATOR, ()):
            self.out.append((conn, dict(msg)))

    # ---- views ---------------------------------------------------------------------------------

    def player_view(self, n: PlayerView) -> None:
        for conn in self.conns.get(n.player_id, ()):
            self.view_to(conn, None)

    def selection(self, n: SelectionBoard) -> None:
        """The selection board changed: each firm in the events that has someone online
        gets its view of it, the facilitator the whole board."""
        events = n.events
        if n.firms:
            for f in sorted({f for e in events for f in e["parties"]}):
                if any(self.conns.get(p.id) for p in self.live.members(f)):
                    self.firm(f, {"type": "selection", "events": sel.events_for_firm(events, f),
                                  "selection": views.selection_for(self.live.session, f)})
        if self.conns.get(FACILITATOR):
            self.facilitator({"type": "selection", "events": events, "selection": views.selection_board(self.live.session)})

    def status(self) -> None:
        """The facilitator's status (every player, who submitted), at most every
        `status_every` seconds: at once if the last one is older, else once at the end of
        the wait. In a class of 1,000 every submission and every reconnection used to send
        the whole roster, and the console redrew it each time."""
        if not self.conns.get(FACILITATOR) or self._status_timer is not None:
            return
        wait = self._status_at + self.status_every - time.monotonic()
        if wait <= 0:
            self._send_status()
        else:
            self._status_timer = asyncio.get_running_loop().call_later(wait, self._status_due)

    def _status_due(self) -> None:
        self._status_timer = None
        if not self.live._stopping:
            self.live.post(self._send_status)

    def _send_status(self) -> None:
        if self.conns.get(FACILITATOR):
            self._status_at = time.monotonic()
            self.facilitator({"type": "status", "status": views.status(self.live.session, self.live.live())})

    def team(self, firm: str, skip: str | None = None) -> None:
        """A firm's roster (or who of it is online) changed: its players get a fresh view,
        the facilitator a status."""
        part, live = None, None
        for p in self.live.members(firm):
            conns = self.conns.get(p.id, ()) if p.id != skip else ()
            if conns:
                live = live or self.live.live()
                part = part or P.SharedPart(views.firm_part(self.live.session, live, firm))
                me = views.me_of(self.live.session, p.id)
                v = P.SharedView(part, me)
                for conn in conns:
                    self.held.hold(conn, part.part, me, firm)
                    self.out.append((conn, v))
        self.status()

    def views_next(self) -> None:
        """The new round's views, built by the next items: a round's results and clock
        (small, the same bytes for a whole firm) go out first, without waiting for a
        thousand views to be built and encoded. This item ends its batch, so its log rows
        go to the store at once, and the first views are built while they are committed
        (the results' delivery waits for the chunk being built then, one or two, not all)."""
        if not self._views_posted:
            self._views_posted = self.building = True
            self.live.batch_ends = True
            self.live.post(self._round_views)

    def _round_views(self) -> None:
        """Everyone's view of the new round, in actor items of `VIEWS_CHUNK` firms: each
        item's views are written once it ends, so the first firms' devices read theirs while
        the next are built (in one item, every device waited for the thousandth view), and
        a command waits behind one chunk, not behind all of them."""
        self._views_posted = self.building = False   # (set again while a chunk is queued: an error leaves it unset)
        self._facilitator_views()
        groups: dict[str, list[str]] = {}  # firm -> its players online (a firm's views are built in one item)
        for name, conns in self.conns.items():
            if conns and name in self.live.players:
                groups.setdefault(self.live.players[name].firm, []).append(name)
        self._round_views_chunk(list(groups.values()))

    def _round_views_chunk(self, groups: list[list[str]]) -> None:
        self.building = False
        self._player_views([n for g in groups[:VIEWS_CHUNK] for n in g], deltas=True)
        self.live.batch_ends = True  # these views are written before the next chunk is built
        if len(groups) > VIEWS_CHUNK and not self.live._stopping:
            self.building = True     # a due snapshot waits for the last chunk (server/snapshot_timer.py)
            self.live.post(self._round_views_chunk, groups[VIEWS_CHUNK:])  # behind the commands waiting now
            return
        self.held.done()
        self.ahead.schedule()

    def views(self, deltas: bool = False) -> None:
        """Everyone gets its new view (phase changes): the facilitator a full view; a player,
        with `deltas`, a `round_delta` against the view its socket holds where that is
        smaller, else a full view."""
        self._views_posted = self.building = False
        self._facilitator_views()
        self._player_views([name for name in self.conns if name != FACILITATOR], deltas)
        self.held.done()
        self.ahead.schedule()

    def _facilitator_views(self) -> None:
        conns = self.conns.get(FACILITATOR)
        if conns:
            v = P.Shared({"type": "view", "view": self.live.facilitator_view(self.live.live())})
            for conn in conns:
                self.held.hold(conn)
                self.out.append((conn, v))

    def _player_views(self, names: list[str], deltas: bool) -> None:
        """The new view of each of `names` (players), on each of its sockets."""
        cache: dict[str, P.SharedPart] = {}  # a firm's part is built and encoded once
        shared: dict[tuple, P.Shared] = {}   # a delta the same for several sockets, encoded once
        session, live = self.live.session, self.live.live()
        scores = views.scores_now(session)   # at the debrief: once, not once per firm
        for name in names:
            conns, player = self.conns.get(name), session.players.get(name)
            if not conns or player is None:  # gone since the list was made
                continue
            firm = player.firm
            if firm not in cache:
                cache[firm] = P.SharedPart(views.firm_part(session, live, firm, scores))
            part, me = cache[firm], views.me_of(session, name)
            full = None
            for conn in conns:
                msg = self._delta(conn, name, firm, part, me, shared) if deltas else None
                if msg is None:
                    msg = full = full or P.SharedView(part, me)
                msg.encoded(conn.binary)   # now, while the round is committed, not at the sockets' write
                self.out.append((conn, msg))
                self.held.hold(conn, part.part, me, firm)

    def _delta(self, conn: "Connection", pid: str, firm: str, part: P.SharedPart, me: dict,
               shared: dict) -> "P.Shared | None":
        """`conn`'s `round_delta` to the view `{**part, "me": me}`, or None (a full view then)."""
        version = conn.deltas
        if conn.held is None or version not in DELTA_VERSIONS:
            return None
        changes, alike = self.held.changes(conn, pid, firm, part.part, me)
        if not saves(changes, part.part):
            return None
        msg = {"type": "round_delta", "version": version, "base": conn.views, "round": part.part.get("current_round")}
        # (a socket whose view is of another firm was not told this firm's results: a full view came on a move)
        cited = self._cited(firm, changes) if version >= 3 and conn.held.firm == firm else None
        if cited is not None:   # the round's results, which its `round_result` brought, are not sent again
            msg["results"], msg["changes"] = cited
        else:
            msg["changes"] = changes
        if not alike:
            return P.Shared(msg)   # one socket's, but encoded with the chunk (`encoded`)
        key = (firm, id(changes), conn.views, version)
        if key not in shared:
            shared[key] = P.Shared(msg)
        return shared[key]

    def _cited(self, firm: str, changes: dict) -> "tuple[int, dict] | None":
        """(round, changes without its results) when the history's new items start with the
        events of the firm's last `round_result` (sent to each of its sockets before any
        delta: game_rules/session/deltas.py `cite_results`), else None; once per changes."""
        told = self.held.results.get(firm)
        if told is None:
            return None
        memo = self.held.cited
        hit = memo.get(id(changes))
        if hit is None or hit[0] is not changes:
            out = cite_results(changes, told[1])
            hit = memo[id(changes)] = (changes, None if out is None else (told[0], out))
        return hit[1]


# ---- after the commit ---------------------------------------------------------------------------

def log_write_failed(fut: asyncio.Future) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.error("event log write failed: %r", fut.exception())


def join_open(open_: list, out: list) -> list:
    """Add `out` (an item's messages without log rows of its own) to `open_`, the delivery
    waiting for the same commit, except the messages of a socket that gets a full view in
    it: returned, they leave in a delivery of their own right after (a socket's messages
    keep their order). A full view is several KB: written with the results, it delayed the
    results of every socket after it in the pass; a round delta is a fraction of that."""
    late = {conn for conn, msg in out if msg.get("type") == "view"}
    if not late:
        open_.extend(out)
        return []
    open_.extend(m for m in out if m[0] not in late)
    return [m for m in out if m[0] in late]


def deliver(out: list, after: list, fut: asyncio.Future) -> None:
    """An item's log rows are durable (or failed, `fut`): its messages go out, then `after`."""
    exc = fut.exception() if not fut.cancelled() else asyncio.CancelledError()
    touched = {}
    for conn, msg in out:  # `put`: written below, not at the end of the callback
        touched[conn] = None
        if exc is None:
            conn.put(msg)
        elif msg.get("type") == "ack":
            # the command is not durable: tell the client it failed (it may retry the id)
            conn.put(P.error(msg["id"], "storage_failed", "the event log could not be written"))
        elif msg.get("type") == "error":
            conn.put(msg)  # a refusal changed nothing: it never waits on the log
    for conn in touched:  # one write per socket, now, in the order the sockets came
        conn.flush()
    for fn in after:
        fn(exc)
