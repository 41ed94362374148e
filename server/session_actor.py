"""One live session as a sequential actor: an asyncio task draining a queue, the only
writer of the session's state. No locks: nothing else touches the state.

The path of one command (ARCHITECTURE.md): the socket handler has already decoded and
validated the frame; here the command is checked against the state (phase, round, firm),
turned into *facts* (small records saying what changed: `draft_changed`,
`decision_submitted`, `round_closed`, ...), each fact is applied to the in-memory state
and appended to the event log, and the `ack` and every push are delivered only when the
log's group commit has made them durable.

The facts are typed (game_rules/session/facts.py) and the session's state is pure data
(`self.session`, game_rules/session/state.py): `_fact` logs a fact, then
`game_rules.session.evolve` applies it; the actor then does what only it can (a `players`
row, the engine events the fact caused as `event` rows, a snapshot soon).

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
from functools import cached_property, partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Callable

from game_rules import ENGINE_VERSION, negotiation as neg_rules, selection as sel
from game_rules.decisions import DecisionError
from game_rules.rules import new_session
from game_rules.scenario import Scenario, scenario_text
from game_rules.session import bots, commands, controls, decide, facts as F, negotiating, panel, phases
from game_rules.session.evolve import evolve
from game_rules.session.state import Player, Session
from game_rules.session.step import (SERVER, Closed, Logged, PlayerView, Refused, Removed, SelectionBoard,
                                     Status, Step, Team, Tell, Views, ViewsNext, Arm, people_at)
from game_rules.state import TermSheet, state_from_dict, state_to_dict

from . import protocol as P, treatments
from .auth import FACILITATOR, Principal
from .protocol import ProtocolError
from . import session_views as views
from .session_selection import protocol_error, selection_board, selection_for
from .waiting_room import PanelTimers
from .replies import ReplyCache
from .store import LogRow, dumps

if TYPE_CHECKING:
    from .connection import Connection
    from .hub import Hub

log = logging.getLogger("server.session")

_STOP = object()


# the facts after which a snapshot is due soon (a new round or phase), and those that
# change a seat (the `players` table row follows)
_NEW_ROUND = frozenset({F.PhaseChanged, F.RoundClosed})
_SEAT_ROW = frozenset({F.PlayerJoined, F.PlayerMoved, F.PlayerRejoined})


def _state(name: str) -> property:
    """An attribute of the actor that is the pure session's (`self.session.<name>`)."""
    def put(self, value):
        setattr(self.session, name, value)
    return property(attrgetter(f"session.{name}"), put)


class SessionActor:
    # the session's state lives in `self.session` (pure: game_rules/session/state.py); these
    # names read and write it there
    state = _state("state")
    status = _state("status")
    players = _state("players")
    bots = _state("bots")
    drafts = _state("drafts")
    submitted = _state("submitted")
    history = _state("history")
    last_decision = _state("last_decision")
    negotiations = _state("negotiations")
    selection = _state("selection")
    selection_pairs = _state("selection_pairs")
    clock = _state("clock")
    chat = _state("chat")
    announcements = _state("announcements")
    rejoin_allowed = _state("rejoin_allowed")
    panel = _state("panel")
    dropped = _state("dropped")
    completions = _state("completions")

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
        self.conns: dict[str, set["Connection"]] = {}
        self.budgets: dict = {}                         # principal name -> its command RateBudget (all sockets)
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task: asyncio.Task | None = None
        self._ops: list[tuple] = []
        self._out: list[tuple["Connection", dict]] = []
        self._after: list[Callable[[BaseException | None], None]] = []
        self._tail: asyncio.Future | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._armed_generation = -1
        self._stopping = False
        self._round_dirty = False
        self._snapshot_posted = False
        self._views_posted = False
        self._later: list[Callable] = []                # items to queue after this one's delivery
        self._status_at = float("-inf")                 # when the facilitator last got a status
        self._status_timer: asyncio.TimerHandle | None = None
        self._facts = 0                                 # facts applied (a refusal must come before any)
        self.panel_cfg: dict | None = self.options.get("panel")  # an online panel's settings
        self._panel_timers = PanelTimers(self.post)

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
        self._panel_arm_all()
        while True:
            item = await self.queue.get()
            if item[0] is _STOP:
                break
            try:
                item[0](*item[1:])
            except Exception:
                # whatever was applied stays logged, so the log and the state agree
                log.exception("session %s: unexpected error", self.id)
            self._end_of_item()
            if self.status == "ended":
                break
            if not self.queue.empty():
                # let committed deliveries out before the next item (one may be heavy: a
                # thousand views, a snapshot); also keeps one busy session from holding the loop
                await asyncio.sleep(0)
        self._stopping = True
        for t in (self._timer, self._status_timer):
            if t:
                t.cancel()
        self._panel_timers.stop()
        self._snapshot()
        self._flush()
        try:
            await self._tail
        except Exception:
            log.exception("session %s: final commit failed", self.id)
        # let the delivery callbacks queued by the final commit run before sockets close
        await asyncio.sleep(0)

    def _end_of_item(self) -> None:
        if self._since_snapshot >= self.cfg.snapshot_every:
            self._snapshot()
        elif self._round_dirty and not self._snapshot_posted:
            # a new round or phase is snapshotted once this item is delivered, so the
            # pushes of this one (round results: what players wait for) do not wait on it
            self._snapshot_posted = True
            self._later.append(self._snapshot_if_dirty)
        self._flush()
        self._arm_timer()
        if self._later:
            self._post_after_delivery(self._later)
            self._later = []

    def _post_after_delivery(self, items: list[Callable]) -> None:
        """Queue `items` once this item's messages are written (the actor runs queued
        items back to back without yielding, so a heavy item queued at once would hold
        the delivery of the commit it follows)."""
        def post(_):
            for fn in items:
                self.post(fn)
        if self._tail is None:
            post(None)
        else:  # after `_deliver`: done callbacks run in the order they were added
            self._tail.add_done_callback(post)

    def _snapshot_if_dirty(self) -> None:
        self._snapshot_posted = False
        if self._round_dirty:
            self._snapshot()

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
            self._out.append((conn, {"type": "view", "id": msg.id, "view": views.view_for(self, conn.principal)}))
        self._out.append((conn, dict(reply)))

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
        marks = len(self._ops), len(self._out), self.seq, self._facts
        try:
            if self.status != "live":
                raise ProtocolError("session_ended", "the session has ended")
            if self.hub.store.failed is not None:  # nothing more may change in memory only
                raise ProtocolError("storage_failed", "the event log could not be written; the server accepts nothing until it is restarted")
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
                del self._out[marks[1]:]
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
        step = self._step()
        if t == "draft":
            return commands.draft(step, player, msg.fields, msg.round)
        if t == "submit":
            submitter = self.submitter(player.firm) if self.options["members_submit"] == "submitter" else None
            return commands.submit(step, player, msg.decision, msg.round, submitter)
        if t == "chat":
            return commands.chat(step, player, msg.to, msg.text, msg.client_time)
        if t == "negotiate":
            return commands.negotiate(step, player, msg.negotiation, msg.action, msg.terms)
        commands.select(step, player, msg.action, msg.to, msg.proposal, msg.firms, msg.template)
        return {"selection": selection_for(self, player.firm)}

    def control(self, msg: "P.Control | P.HttpControl") -> dict:
        """A facilitator control (from a socket or HTTP); returns the ack result. Its fields
        are checked by its action's own schema (server/protocol/controls.py) first, then it
        is decided on the pure session (game_rules/session/controls.py)."""
        if self.status != "live":
            raise ProtocolError("session_ended", "the session has ended")
        return controls.decide(self._step(), P.control_variant(msg)) or {}

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

    # ================================================================== connections

    def connect(self, conn: "Connection") -> None:
        p = conn.principal
        self.conns.setdefault(p.name, set()).add(conn)
        self.hub.metrics.connections += 1
        self._log("connection", "connected", {"sockets": len(self.conns[p.name])}, p.name, self._firm_of(p))
        welcome = {"type": "welcome", "role": "facilitator" if p.is_facilitator else "player",
                   "session_id": self.id, "player_id": p.player_id,
                   "name": self.players[p.player_id].name if p.player_id else None,
                   "firm": self._firm_of(p), "server_time": time.time(),
                   "protocol": P.PROTOCOL_VERSION,
                   "limits": {"max_frame_bytes": self.cfg.max_frame_bytes,
                              "rate_per_second": self.cfg.rate_per_second, "rate_burst": self.cfg.rate_burst}}
        self._out.append((conn, welcome))
        self._out.append((conn, {"type": "view", "view": views.view_for(self, p)}))
        if p.player_id:
            self._panel_connected(p.player_id)  # a panel dropout takes their seat back
        if p.player_id and len(self.conns[p.name]) == 1:
            # teammates see who is online (and, in submitter mode, who submits)
            self._push_team(self.players[p.player_id].firm, skip=p.player_id)
        else:
            self._push_status()

    def disconnect(self, conn: "Connection") -> None:
        p = conn.principal
        s = self.conns.get(p.name)
        if s and conn in s:
            s.discard(conn)
            self.hub.metrics.connections -= 1
            if not s:
                del self.conns[p.name]
            data = {"sockets": len(s)}
            if conn.close_reason:  # the server dropped it: slow_consumer, heartbeat_timeout, ...
                data["reason"] = conn.close_reason
            self._log("connection", "disconnected", data, p.name, self._firm_of(p))
            if p.player_id and not s and p.player_id in self.players:
                self._push_team(self.players[p.player_id].firm)
                self._panel_disconnected(p.player_id)
            else:
                self._push_status()

    def all_connections(self) -> list["Connection"]:
        return [c for s in self.conns.values() for c in s]

    # ================================================================== players

    def join(self, player_id: str, name: str, label: str | None, token_hash: str,
             firm: str | None = None, rejoin_hash: str | None = None, *, is_bot: bool = False,
             language: str | None = None) -> dict:
        """Seat a new player: in `firm` (a lab's fixed seat), else the emptiest firm."""
        if self.status != "live":
            raise ProtocolError("session_ended", "the session has ended")
        self.panel_admit()  # a panel group takes nobody once it has started
        if firm is None:
            firm = self._balanced_firm()
            cap = self.options.get("max_per_firm") or self.cfg.max_per_firm
            if len(self.members(firm)) >= cap:  # the emptiest firm is full: all are
                raise ProtocolError("session_full", f"every firm of this session has {cap} player(s); "
                                                    f"ask the facilitator")
        bot = self.bots.get(firm)
        step = self._step()
        step.fact(F.PlayerJoined(player_id, name, label, firm, token_hash, step.now, rejoin_hash, is_bot, language),
                  actor=player_id, firm=firm)
        bots.replaced(step, firm, bot, player_id, "joined", player_id)
        self._push_team(firm)
        panel.seated(step)
        return {"player_id": player_id, "firm": firm, "firm_name": self.state.firms[firm].name,
                "role": self.state.firms[firm].role, "session_id": self.id}

    def _balanced_firm(self) -> str:
        """The firm with the fewest players; ties go to the lowest copy, then role order.
        Late joiners therefore fill empty firms (and take bot-held seats) first."""
        count = {f: 0 for f in self.state.firms}
        for p in self.players.values():
            count[p.firm] += 1
        return min(self.state.firms, key=lambda f: (count[f], self.state.firms[f].copy))

    def members(self, firm: str) -> list[Player]:
        return self.session.members(firm)

    def people_at(self, firm: str) -> list[Player]:
        return people_at(self.session, firm)

    def submitter(self, firm: str) -> str | None:
        """The firm's designated submitter (`members_submit: submitter`): its earliest-joined
        member who is connected (else its earliest-joined member), so a team whose
        submitter's phone died can still submit."""
        m = self.members(firm)
        online = [p for p in m if self.conns.get(p.id)]
        return min(online or m, key=lambda p: (p.joined_at, p.id)).id if m else None

    def pair_of(self, firm: str) -> tuple[str, tuple[str, str]] | None:
        return decide.pair_of(self.session, firm)

    def _default_terms(self, alliance_id: str) -> TermSheet:
        return negotiating.default_terms(self._step(), alliance_id)

    @property
    def selection_cfg(self):
        return self.session.selection_cfg

    @cached_property
    def selection_public_profiles(self) -> dict[str, dict]:
        """Every firm's public profile (fixed for the session: the seed and the starting
        competences; the board is open before any round is played)."""
        r, cfg, st = self.rules, self.selection_cfg, self.state
        return {f: sel.public_profile(r, cfg, st, f).to_dict() for f in st.firms}

    # ================================================================== online panels (timers)

    def panel_open(self) -> bool:
        """May a new person be seated in this panel group (its waiting room is open)?"""
        return panel.is_open(self._step())

    def panel_admit(self) -> None:
        """Before a new person is seated: a panel group that started, failed or is full
        takes nobody (the hub then seats them in the study's next group)."""
        if self.panel_cfg is not None and not self.panel_open():
            raise ProtocolError("group_closed", "this group has started or is full; join again with the "
                                                "study link for the next group")

    def completion_of(self, player_id: str) -> dict:
        """`GET /api/completion` for a live session."""
        if player_id in self.completions:
            return self.completions[player_id]
        waiting = self.panel_cfg is not None and self.state.phase == "lobby"
        return {"player_id": player_id, "status": "waiting" if waiting else "playing", "code": None,
                "redirect_url": None}

    def _panel_disconnected(self, player_id: str) -> None:
        """The player's last socket closed: a dropout if they stay away `dropout_seconds`."""
        if panel.may_drop(self._step(), player_id):
            self._panel_timers.arm(("dropout", player_id), self.panel_cfg["dropout_seconds"],
                                   self._panel_dropout, player_id, time.time())

    def _panel_dropout(self, player_id: str, since: float) -> None:
        if not self.conns.get(player_id):
            panel.dropout(self._step(), player_id, since)

    def _panel_connected(self, player_id: str) -> None:
        self._panel_timers.cancel(("dropout", player_id))
        panel.returned(self._step(), player_id)

    def _panel_arm(self, what: str) -> None:
        now = time.time()
        if what == "panel_wait":
            self._panel_timers.arm(("wait",), self.panel["deadline"] - now, lambda: panel.waited(self._step()))
        elif what == "panel_end":
            self._panel_timers.arm(("end",), self.panel["end_at"] - now, lambda: panel.closing(self._step()))
        else:  # dropouts: everyone seated and offline now
            for pid in list(self.players):
                if not self.conns.get(pid):
                    self._panel_disconnected(pid)

    def _panel_arm_all(self) -> None:
        """When the actor starts (also after a restart): every deadline in the state gets its timer."""
        if self.panel_cfg is None or self.status != "live":
            return
        if self.state.phase == "lobby" and self.panel["deadline"] is not None and self.panel["formed"] is None:
            self._panel_arm("panel_wait")
        if self.panel["end_at"] is not None:
            self._panel_arm("panel_end")
        self._panel_arm("dropouts")

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

    def _tell(self, t: Tell) -> None:
        to, msg = t.to, t.msg
        if to == "everyone":
            shared = P.Shared(msg)  # encoded once for every socket
            for conn in self.all_connections():
                self._out.append((conn, shared))
        elif to == "facilitator":
            self._push_facilitator(msg)
        elif to.startswith("firm:"):
            self._push_firm(to[5:], msg, skip=None if t.to_sender else self._current_conn)
        else:  # player:<id>
            for conn in self.conns.get(to[7:], ()):
                self._out.append((conn, dict(msg)))

    def _player_view(self, n: PlayerView) -> None:
        for conn in self.conns.get(n.player_id, ()):
            self._out.append((conn, {"type": "view", "view": views.player_view(self, n.player_id)}))

    def _push_selection(self, n: SelectionBoard) -> None:
        events = n.events
        if n.firms:
            for f in sorted({f for e in events for f in e["parties"]}):
                if any(self.conns.get(p.id) for p in self.members(f)):
                    self._push_firm(f, {"type": "selection", "events": sel.events_for_firm(events, f),
                                        "selection": selection_for(self, f)})
        if self.conns.get(FACILITATOR):
            self._push_facilitator({"type": "selection", "events": events, "selection": selection_board(self)})

    def _removed(self, n: Removed) -> None:
        # its sockets get nothing more from now on, and close once the removal is durable
        gone = self.conns.pop(n.player_id, set())
        self.hub.metrics.connections -= len(gone)
        why = "you were removed from this session by the facilitator"

        def close(exc: BaseException | None) -> None:
            if exc is None:
                self.hub.revoke(n.token_hash, why)
            for conn in gone:
                asyncio.ensure_future(conn.close(4403, why))
        self._after.append(close)

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

    def _server_state(self) -> dict:
        return self.session.to_dict()

    def _snapshot(self) -> None:
        self._round_dirty = False
        self._since_snapshot = 0
        self._ops.append(("snapshot", {
            "session_id": self.id, "seq": self.seq, "round": self.state.round, "phase": self.state.phase,
            "wall_time": time.time(), "state": dumps(state_to_dict(self.state)),
            "server": dumps(self.session.to_dict())}))

    def summary(self) -> dict:
        return views.facilitator_full_view(self)

    # ================================================================== delivery

    _current_conn: "Connection | None" = None

    def _flush(self) -> None:
        """Hand this item's log rows to the store, and deliver its messages after the commit."""
        ops, out, after = self._ops, self._out, self._after
        self._ops, self._out, self._after = [], [], []
        if ops:
            self._tail = self.hub.store.write(ops)
            self._tail.add_done_callback(_retrieve)
        if out or after:
            self._tail.add_done_callback(partial(_deliver, out, after))

    # pushes -------------------------------------------------------------------------------

    def _conns_of_firm(self, firm: str):
        for p in self.members(firm):
            yield from self.conns.get(p.id, ())

    def _push_firm(self, firm: str, msg: dict, skip=None) -> None:
        shared = None  # encoded once for the whole firm; `msg` must not change afterwards
        for conn in self._conns_of_firm(firm):
            if conn is not skip:
                shared = shared or P.Shared(msg)
                self._out.append((conn, shared))

    def _push_facilitator(self, msg: dict) -> None:
        for conn in self.conns.get(FACILITATOR, ()):
            self._out.append((conn, dict(msg)))

    def _push_status(self) -> None:
        """The facilitator's status (every player, who submitted), at most every
        `status_every` seconds: at once if the last one is older, else once at the end of
        the wait. In a class of 1,000 every submission and every reconnection used to send
        the whole roster, and the console redrew it each time."""
        if not self.conns.get(FACILITATOR) or self._status_timer is not None:
            return
        wait = self._status_at + self.cfg.status_every - time.monotonic()
        if wait <= 0:
            self._send_status()
        else:
            self._status_timer = asyncio.get_running_loop().call_later(wait, self._status_due)

    def _status_due(self) -> None:
        self._status_timer = None
        if not self._stopping:
            self.post(self._send_status)

    def _send_status(self) -> None:
        if self.conns.get(FACILITATOR):
            self._status_at = time.monotonic()
            self._push_facilitator({"type": "status", "status": views.status(self)})

    def _push_team(self, firm: str, skip: str | None = None) -> None:
        """A firm's roster (or who of it is online) changed: its players get a fresh view,
        the facilitator a status."""
        part = None
        for p in self.members(firm):
            conns = self.conns.get(p.id, ()) if p.id != skip else ()
            if conns:
                part = part or P.SharedPart(views.firm_part(self, firm))
                v = P.SharedView(part, views.me_of(self, p.id))
                for conn in conns:
                    self._out.append((conn, v))
        self._push_status()

    def _push_views_next(self) -> None:
        """Full views for everyone, built by the next item: a round's results and clock
        (small, the same bytes for a whole firm) go out first, without waiting for a
        thousand views to be built and encoded."""
        if not self._views_posted:
            self._views_posted = True
            self._later.append(self._push_views)

    def _push_views(self) -> None:
        """Everyone gets a full view (phase changes, round results)."""
        self._views_posted = False
        cache: dict[str, P.SharedPart] = {}  # a firm's part is built and encoded once
        for name, conns in self.conns.items():
            if not conns:
                continue
            if name == FACILITATOR:
                v = P.Shared({"type": "view", "view": views.facilitator_full_view(self)})
            else:
                firm = self.players[name].firm
                if firm not in cache:
                    cache[firm] = P.SharedPart(views.firm_part(self, firm))
                v = P.SharedView(cache[firm], views.me_of(self, name))
            for conn in conns:
                self._out.append((conn, v))

# what the actor does about each note of a step (game_rules/session/step.py)
_NOTES: dict[type, Callable] = {
    Tell: SessionActor._tell,
    Views: lambda a, n: a._push_views(),
    ViewsNext: lambda a, n: a._push_views_next(),
    Team: lambda a, n: a._push_team(n.firm),
    Status: lambda a, n: a._push_status(),
    PlayerView: SessionActor._player_view,
    SelectionBoard: SessionActor._push_selection,
    Removed: SessionActor._removed,
    Arm: lambda a, n: a._panel_arm(n.what),
    Closed: SessionActor._closed,
}


def _retrieve(fut: asyncio.Future) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.error("event log write failed: %r", fut.exception())


def _deliver(out: list, after: list, fut: asyncio.Future) -> None:
    exc = fut.exception() if not fut.cancelled() else asyncio.CancelledError()
    touched = {}
    for conn, msg in out:
        touched[conn] = None
        if exc is None:
            conn.send(msg)
        elif msg.get("type") == "ack":
            # the command is not durable: tell the client it failed (it may retry the id)
            conn.send(P.error(msg["id"], "storage_failed", "the event log could not be written"))
        elif msg.get("type") == "error":
            conn.send(msg)  # a refusal changed nothing: it never waits on the log
    for conn in touched:  # one write per socket, now, in the order the sockets came
        conn.flush()
    for fn in after:
        fn(exc)
