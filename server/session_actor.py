"""One live session as a sequential actor: an asyncio task draining a queue, the only
writer of the session's state. No locks: nothing else touches the state.

The path of one command (ARCHITECTURE.md): the socket handler has already decoded and
validated the frame; here a repeated command id gets its first reply back (`replies`), the
command is logged, then decided on the pure session (game_rules/session/: `commands`,
`controls`; timers: `phases.clock_ran_out`, panels). A decision is a `Step`: each *fact*
it makes (`draft_changed`, `round_closed`, ...) is applied at once (`evolve`) and reaches
`_logged` here (the log row, the engine events it caused, a `players` row, a snapshot
soon); each *note* (whom to tell what, a timer to arm) reaches the fan-out
(server/fanout.py) or the panel's timers. Acks and pushes are delivered only when the
log's group commit has made them durable.

Restart = the latest snapshot + the facts logged after it, folded by the same `evolve`
(the engine is deterministic, so `round_closed`, which carries the decisions used,
re-resolves to the same numbers). Engine events are logged for research but never
replayed: they are consequences, not causes.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Callable

from game_rules import ENGINE_VERSION, negotiation as neg_rules, selection as sel
from game_rules.decisions import DecisionError
from game_rules.rules import new_session
from game_rules.scenario import Scenario, scenario_text
from game_rules.session import views, commands, controls, facts as F, phases
from game_rules.session.evolve import evolve
from game_rules.session.state import Player, Session
from game_rules.session.step import (SERVER, Closed, Logged, Merged, PlayerView, Refused, Removed, SelectionBoard,
                                     Status, Step, Team, Tell, Views, ViewsNext, Arm)
from game_rules.state import state_from_dict, state_to_dict

from . import protocol as P, seats, treatments
from .teams import SERVER_CONTROLS
from .auth import FACILITATOR, Principal
from .protocol import ProtocolError
from .fanout import Fanout, deliver, join_open, log_write_failed
from .mailbox import STOP, run_batch
from .session_people import SessionPeople
from .session_selection import protocol_error
from .snapshot_text import SnapshotText
from .snapshot_timer import SnapshotTimer
from .waiting_room import PanelRoom
from .replies import ReplyCache
from .store import LogRow, dumps

if TYPE_CHECKING:
    from .connection import Connection
    from .interfaces import Hub

log = logging.getLogger("server.session")

_STOP = STOP


# the facts after which a snapshot is due soon (a new round or phase), and those that
# change a seat (the `players` table row follows)
_NEW_ROUND = frozenset({F.PhaseChanged, F.RoundClosed, F.RoundReopened, F.NegotiationReopened})
_SEAT_ROW = frozenset({F.PlayerJoined, F.PlayerMoved, F.PlayerRejoined, F.PlayersMerged})


def _state(name: str) -> property:
    """An attribute of the actor that is the pure session's (`self.session.<name>`)."""
    def put(self, value):
        setattr(self.session, name, value)
    return property(attrgetter(f"session.{name}"), put)


class SessionActor(SessionPeople):
    # the session's state lives in `self.session` (pure: game_rules/session/state.py); the
    # names in _SESSION_FIELDS read and write it there (set below the class)

    def __init__(self, hub: "Hub", session: dict, scenario: Scenario):
        self.hub = hub
        self.cfg = hub.config
        self.id: str = session["session_id"]
        self.code: str = session["code"]
        self.title: str = session.get("title") or scenario.title
        self.options: dict = json.loads(session["options"])
        if self.options.get("selection") and not scenario.phases.selection:  # session option `selection: true`
            scenario = scenario.model_copy(update={"phases": scenario.phases.model_copy(update={"selection": True})})
        self.facilitator_hash: str = session["facilitator_token_hash"]
        self.rules = treatments.session_rules(scenario, self.options)  # per firm with treatments inside
        o = self.options
        self.session = Session(self.rules, new_session(self.rules, o["copies"], o["seed"], o.get("rounds")),
                               self.cfg.chat_keep)
        # (principal, command id) -> the ack as logged (JSON text: one small untracked
        # object per command instead of a tree of dicts the garbage collector walks);
        # bounded: the last `replies_keep` per principal, older ones from the log
        self.replies = ReplyCache(self.cfg.replies_keep,
                                  lambda who, cid: hub.store.find_reply(self.id, who, cid))
        self.seq = 0
        self._since_snapshot = 0
        # live-only
        self.fanout = Fanout(self, self.cfg.status_every)  # sockets, and this item's messages
        self.conns = self.fanout.conns                  # principal name -> its open sockets
        self.budgets: dict = {}                         # principal name -> its command RateBudget (all sockets)
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task: asyncio.Task | None = None
        self._ops: list[tuple] = []
        self._after: list[Callable[[BaseException | None], None]] = []
        self._tail: asyncio.Future | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._armed_generation = -1
        self._stopping = False
        self.seat_requests = seats.SeatRequests()      # "this is me on a new device", live only (server/seats.py)
        self.seat_code_failures: dict[str, int] = {}    # player id -> wrong rejoin codes tried for the seat
        self._round_dirty = False
        self.snapshots = SnapshotTimer(self, self.cfg.snapshot_quiet_seconds)  # when a due snapshot is taken
        self.snapshot_text = SnapshotText()             # its text, the histories encoded as they grow
        self._facts = 0                                 # facts applied (a refusal must come before any)
        self.batch_ends = False                         # this item ends its batch (server/mailbox.py)
        self.panel_room = PanelRoom(self)               # online panels: timers, who is online
        self.panel_cfg: dict | None = self.panel_room.cfg

    # ================================================================== lifecycle

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tail = loop.create_future()
        self._tail.set_result(None)
        self.task = asyncio.create_task(self._run(), name=f"session-{self.id}")

    def restore(self, snapshot: dict | None, records: list[dict], chat: list[dict], replies: list[dict],
                last_seq: int) -> None:
        """Rebuild the state from the latest snapshot and the facts logged after it; chat
        comes straight from the log (it is not in snapshots, which it would bloat)."""
        s = self.session
        if snapshot:
            s.state = state_from_dict(json.loads(snapshot["state"]))
            s.load(json.loads(snapshot["server"]))
        for r in records:
            fact = F.read_fact(r["type"], json.loads(r["data"]))
            evolve(s, fact)
            if fact.__class__ in _NEW_ROUND:
                self._round_dirty = True
        for r in chat:
            evolve(s, F.Chat.from_data(json.loads(r["data"])))
        for r in replies:
            self.replies.put(r["actor"], r["command_id"], r["reply"])
        self.seq = last_seq
        self.clock.restored(time.time(), self.cfg.restore_grace_seconds)

    async def stop(self) -> None:
        """Finish every queued command, write a snapshot, wait for the commit."""
        if self.task is None or self.task.done():
            return
        self.queue.put_nowait((_STOP,))
        await self.task

    async def _run(self) -> None:
        self._arm_timer()
        self.panel_room.arm_all()
        while True:
            # the items queued by now run as one batch: one commit, then one delivery (server/mailbox.py)
            if run_batch(self, await self.queue.get()):
                break
            if not self.queue.empty():
                # let committed deliveries out before the next item (one may be heavy: a
                # thousand views, a snapshot); also keeps one busy session from holding the loop
                await asyncio.sleep(0)
        self._stopping = True
        if self._timer:
            self._timer.cancel()
        self.fanout.stop()
        self.panel_room.stop()
        self.snapshots.stop()
        self._snapshot()
        self._flush()
        try:
            await self._tail
        except Exception:
            log.exception("session %s: final commit failed", self.id)
        # let the delivery callbacks queued by the final commit run before sockets close
        await asyncio.sleep(0)

    def _end_of_item(self) -> None:
        if self._round_dirty or self._since_snapshot >= self.cfg.snapshot_every:
            # taken a little later (server/snapshot_timer.py): not behind a round's pushes
            self.snapshots.due()
        self._flush()
        self._arm_timer()

    # ================================================================== entry points

    def post(self, fn: Callable, *args) -> None:
        self.queue.put_nowait((fn, *args))

    def call(self, fn: Callable, *args) -> asyncio.Future:
        """Run `fn(*args)` in the actor; the future gets its result once it is durable."""
        fut = asyncio.get_running_loop().create_future()
        if self.task is None or self.task.done():  # stopped (shutdown or ended): never hang
            fut.set_exception(ProtocolError("shutting_down", "the session is not running"))
            return fut
        self.queue.put_nowait((self._call, fut, fn, args))
        return fut

    def _call(self, fut: asyncio.Future, fn: Callable, args) -> None:
        try:
            result = fn(*args)
        except ProtocolError as e:
            fut.set_exception(e)
            return
        except Exception as e:
            log.exception("session %s: unexpected error", self.id)
            fut.set_exception(ProtocolError("internal_error", "unexpected server error"))
            raise
        if isinstance(result, tuple) and _unavailable(result[0]):  # it changed nothing: no commit to wait for (the database is away)
            fut.set_result(result)
            return

        def done(exc):
            if not fut.done():
                if exc is None:
                    fut.set_result(result)
                else:
                    fut.set_exception(ProtocolError("storage_failed", "the event log could not be written"))
        self._after.append(done)

    def command(self, conn: "Connection", msg: P._Msg) -> None:
        """A validated frame from an authenticated socket (runs in the actor)."""
        self._current_conn = conn
        try:
            reply, _ = self._execute(conn.principal, msg.type, msg.id, msg, msg.client_time)
        finally:
            self._current_conn = None
        if msg.type == "resync" and reply["type"] == "ack":
            self.fanout.view_to(conn, msg.id)
        if _unavailable(reply):  # at once: the commits it would wait behind wait for the database
            conn.send(dict(reply))
            return
        self.fanout.out.append((conn, dict(reply)))

    def http_control(self, body: P.HttpControl) -> tuple[dict, int]:
        """A control over HTTP (facilitator bearer token): the same path as over a socket."""
        return self._execute(Principal(self.id, None), "control", body.id, body, None)

    def _execute(self, who: Principal, type: str, id: str | None, msg, client_time) -> tuple[dict, int]:
        """Check, apply and log one command; returns its `ack` or `error` and an HTTP status.
        A repeated id returns the original ack; a refused command leaves no trace."""
        self.hub.metrics.commands += 1
        if id is not None:
            try:
                done = self.replies.get(who.name, id)
            except Exception:  # the log could not be read: never risk applying an id twice
                log.exception("session %s: looking up command id %r failed", self.id, id)
                self.hub.metrics.error("storage_failed")
                return P.error(id, "storage_failed", "the event log could not be read"), P.http_status("storage_failed")
            if done is not None:
                return dict(json.loads(done), duplicate=True), 200
        marks = len(self._ops), len(self.fanout.out), self.seq, self._facts
        try:
            if self.status != "live":
                raise ProtocolError("session_ended", "the session has ended")
            self.hub.check_writable()  # nothing more may change in memory only
            row = self._log("control" if type == "control" else "command", type,
                            msg.model_dump(exclude={"type", "id", "client_time"}, exclude_none=True),
                            who.name, self._firm_of(who), id, client_time)
            result = self._dispatch(who, type, msg)
        except Exception as e:
            if isinstance(e, sel.SelectionError):
                e = protocol_error(e)
            elif isinstance(e, (Refused, DecisionError, neg_rules.NegotiationError)):
                e = ProtocolError(e.code if e.code in P.ERROR_CODES else "out_of_range", e.message)
            elif not isinstance(e, ProtocolError):
                log.exception("session %s: unexpected error in %s", self.id, type)
                e = ProtocolError("internal_error", "unexpected server error")
            if self._facts == marks[3]:
                del self._ops[marks[0]:]
                del self.fanout.out[marks[1]:]
                self.seq = marks[2]
            else:  # refused after changing state: keep log and state in step (a bug if it happens)
                log.error("session %s: %s refused after applying facts", self.id, type)
            self.hub.metrics.error(e.code)
            return P.error(id, e.code, e.message), e.status
        reply = P.ack(id, result)
        row.reply = dumps(reply)
        if id is not None:
            self.replies.put(who.name, id, row.reply)
        return reply, 200

    def _firm_of(self, principal: Principal) -> str | None:
        p = self.players.get(principal.player_id) if principal.player_id else None
        return p.firm if p else None

    def _dispatch(self, who: Principal, t: str, msg) -> dict | None:
        if t == "ping":
            return {"server_time": time.time()}
        if t == "resync":
            return None
        if t == "control":
            if not who.is_facilitator:
                raise ProtocolError("forbidden", "controls need the facilitator token")
            return self.control(msg)
        if who.is_facilitator:
            if t == "chat":
                raise ProtocolError("forbidden", "the facilitator speaks through `control` inject")
            raise ProtocolError("forbidden", f"`{t}` is a player command")
        player = self.players.get(who.player_id)
        if player is None:  # removed by the facilitator; a command was already on its way
            raise ProtocolError("token_revoked", "you were removed from this session by the facilitator")
        submitter = self.submitter(player.firm) if t == "submit" and self.options["members_submit"] == "submitter" \
            else None
        result = commands.play(self._step(), player, msg, submitter)
        return {"selection": views.selection_for(self.session, player.firm)} if t == "select" else result

    def control(self, msg: "P.Control | P.HttpControl") -> dict:
        """A facilitator control (from a socket or HTTP); returns the ack result. Its fields
        are checked by its action's own schema (server/protocol/controls.py) first, then it
        is decided on the pure session (game_rules/session/controls.py)."""
        if self.status != "live":
            raise ProtocolError("session_ended", "the session has ended")
        c = P.control_variant(msg)
        if c.action in SERVER_CONTROLS:  # seats and teams: tokens move (server/seats.py, server/teams.py)
            return SERVER_CONTROLS[c.action](self, c)
        return controls.decide(self._step(), c) or {}

    def created(self, row: dict, facts: tuple = ()) -> None:
        """The session's first log line, in the same transaction as its `sessions` row;
        then `facts` ((type, data) pairs, e.g. `treatment_assigned`), logged with it."""
        self._ops.append(("session", row))
        self._log("system", "session_created", {"scenario": row["scenario"], "title": row["title"],
                                                "options": self.options, "engine_version": ENGINE_VERSION,
                                                "scenario_toml": scenario_text(row["scenario"])},
                  FACILITATOR)
        for type_, data in facts:
            self._fact(F.read_fact(type_, data), actor=FACILITATOR)

    # ================================================================== decisions: facts and notes

    def _step(self) -> Step:
        """A step of the pure session whose facts are logged and notes acted on as made."""
        return Step(self.session, self.options, time.time(), self._effect)

    def _effect(self, e) -> None:
        if e.__class__ is Logged:
            self._logged(e)
        else:
            _NOTES[e.__class__](self, e)

    def _fact(self, fact: F.Fact, kind: str = "system", actor: str = SERVER,
              firm: str | None = None, client_time: float | None = None) -> None:
        """Log one fact and apply it (for facts decided outside game_rules/session)."""
        self._step().fact(fact, actor, firm, kind, client_time)

    def _closed(self, n: Closed) -> None:
        self._ops.append(("session_status", self.id, "ended", time.time()))
        self._after.append(lambda exc: self.hub.session_closed(self))

    # ================================================================== the phase clock's timer

    def _arm_timer(self) -> None:
        if self._stopping or self.clock.generation == self._armed_generation:
            return
        self._armed_generation = self.clock.generation
        if self._timer:
            self._timer.cancel()
            self._timer = None
        if self.clock.running:
            delay = max(0.0, self.clock.deadline - time.time())
            self._timer = asyncio.get_running_loop().call_later(
                delay, self.post, self._clock_ran_out, self.clock.generation)

    def _clock_ran_out(self, generation: int) -> None:
        if generation != self.clock.generation or not self.clock.running or self.status != "live":
            return
        if not phases.clock_ran_out(self._step()):  # extended meanwhile
            self._armed_generation = -1

    # ================================================================== facts: log + apply

    def _log(self, kind: str, type: str, data: Any, actor: str | None = SERVER, firm: str | None = None,
             command_id: str | None = None, client_time: float | None = None, rnd: int | None = None) -> LogRow:
        """Append one row to this item's batch (`rnd`: the row's round, else the one being played)."""
        self.seq += 1
        self._since_snapshot += 1
        if rnd is None:
            rnd = self.state.round + (1 if self.state.phase == "execution" else 0)
        row = LogRow(self.id, self.seq, kind, type, actor, firm, rnd, command_id, client_time, dumps(data))
        self._ops.append(("log", row))
        return row

    def _logged(self, e: Logged) -> None:
        """A fact was decided (and applied): log it, then what it caused, and note what is due."""
        self._facts += 1
        fact = e.fact
        self._log(e.kind, fact.type, fact.to_data(), e.actor, e.firm, client_time=e.client_time, rnd=e.round)
        cls = fact.__class__
        if e.caused:  # engine events: consequences, logged for research (a round's: per firm)
            by_firm = cls is F.RoundClosed
            for ev in e.caused:
                self._log("event", ev["type"], ev, SERVER, ev.get("firm") if by_firm else None)
        if cls in _NEW_ROUND:
            self._round_dirty = True
        elif cls in _SEAT_ROW:
            self._ops.append(("player", self._player_row(self.players[fact.player_id])))

    def _player_row(self, p: Player) -> dict:
        return {"player_id": p.id, "session_id": self.id, "token_hash": p.token_hash, "name": p.name,
                "label": p.label, "firm": p.firm, "joined_at": p.joined_at}

    # ================================================================== snapshots

    def _snapshot(self) -> None:
        self._round_dirty = False
        self._since_snapshot = 0
        self._ops.append(("snapshot", {
            "session_id": self.id, "seq": self.seq, "round": self.state.round, "phase": self.state.phase,
            "wall_time": time.time(), "state": dumps(state_to_dict(self.state)),
            "server": self.snapshot_text.server(self.session)}))  # = dumps(self.session.to_dict())

    def summary(self) -> dict:
        return self.facilitator_view()

    # ---- views (built in game_rules/session/views.py from the session and this plain data) ----

    def live(self) -> views.Live:
        """What the views need that only the server knows, as plain data (`conns` keys: who is online)."""
        return views.Live(self.id, self.code, self.title, self.options, self.conns.keys(), time.time(),
                          self.seat_requests.public(self.players))

    def view_for(self, p: Principal) -> dict:
        if p.is_facilitator:
            return self.facilitator_view()
        return views.player_view(self.session, self.live(), p.player_id)

    def facilitator_view(self, live: views.Live | None = None) -> dict:
        return views.facilitator_view(self.session, live or self.live(), self.hub.join_url(self.code, self.options.get("language")))

    # ================================================================== delivery

    _current_conn: "Connection | None" = None

    def _flush(self) -> None:
        """Hand this item's log rows to the store, and deliver its messages after the commit."""
        ops, out, after = self._ops, self.fanout.take(), self._after
        self._ops, self._after = [], []
        if ops:
            self._tail = self.hub.store.write(ops)
            self._tail.add_done_callback(log_write_failed)
            self._open = None
        if not out and not after:
            return
        if not ops and not after and self._open is not None:
            # no rows of its own: its messages leave with the delivery that waits for the same
            # commit, one write per socket (a round's results and the round deltas built
            # meanwhile); a socket's full view (several KB) leaves after every socket's results
            out = join_open(self._open, out)
            if not out:
                return
            self._tail.add_done_callback(partial(self._deliver, out, after))
            return
        self._open = out if not after else None
        self._tail.add_done_callback(partial(self._deliver, out, after))

    _open: list | None = None   # the messages of the delivery waiting for `_tail`, until it runs

    def _deliver(self, out: list, after: list, fut: asyncio.Future) -> None:
        if self._open is out:
            self._open = None
        deliver(out, after, fut)

def _unavailable(reply) -> bool:
    """Whether `reply` refuses a command because the database is away."""
    return isinstance(reply, dict) and reply.get("code") == "database_unavailable"


_SESSION_FIELDS = ("state", "status", "players", "bots", "drafts", "submitted", "history", "last_decision",
                   "negotiations", "selection", "selection_pairs", "clock", "chat", "announcements",
                   "rejoin_allowed", "panel", "dropped", "completions")
for _name in _SESSION_FIELDS:
    setattr(SessionActor, _name, _state(_name))

# what the actor does about each note of a step (game_rules/session/step.py)
_NOTES: dict[type, Callable] = {
    Tell: lambda a, n: a.fanout.tell(n, a._current_conn),
    Views: lambda a, n: a.fanout.views(),
    ViewsNext: lambda a, n: a.fanout.views_next(),
    Team: lambda a, n: a.fanout.team(n.firm),
    Status: lambda a, n: a.fanout.status(),
    PlayerView: lambda a, n: a.fanout.player_view(n),
    SelectionBoard: lambda a, n: a.fanout.selection(n),
    Removed: seats.removed,
    Merged: seats.merged,
    Arm: lambda a, n: a.panel_room.arm(n.what),
    Closed: SessionActor._closed,
}
