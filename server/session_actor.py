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
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Callable

from game_rules import ENGINE_VERSION, negotiation as neg_rules
from game_rules.bots import bot_decision
from game_rules.decisions import DecisionError, parse_decision, validate_decision
from game_rules.engine import resolve_round
from game_rules.rules import instantiate_terms, new_session
from game_rules.scenario import Scenario, scenario_text
from game_rules.session import decide, facts as F
from game_rules.session.decide import Refused
from game_rules.session.clock import PhaseClock
from game_rules.session.evolve import evolve, negotiation_step
from game_rules.session.state import Player, Session
from game_rules.state import Decision, TermSheet, state_from_dict, state_to_dict

from . import protocol as P, seats, teams, treatments
from .auth import FACILITATOR, Principal
from .protocol import ProtocolError
from . import session_views as views
from .session_selection import SelectionPhase
from .waiting_room import PanelRoom
from .replies import ReplyCache
from .store import LogRow, dumps

if TYPE_CHECKING:
    from .connection import Connection
    from .hub import Hub

log = logging.getLogger("server.session")

SERVER = "server"
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


class SessionActor(SelectionPhase, PanelRoom):
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
        self.seat_requests = seats.SeatRequests()      # "this is me on a new device", live only (server/seats.py)
        self.seat_code_failures: dict[str, int] = {}    # player id -> wrong rejoin codes tried for the seat
        self._round_dirty = False
        self._snapshot_posted = False
        self._views_posted = False
        self._later: list[Callable] = []                # items to queue after this one's delivery
        self._status_at = float("-inf")                 # when the facilitator last got a status
        self._status_timer: asyncio.TimerHandle | None = None
        self._facts = 0                                 # facts applied (a refusal must come before any)
        self._panel_init()                              # online panels: server/waiting_room.py

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
        self._panel_stop()
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
        except (ProtocolError, Refused, DecisionError, neg_rules.NegotiationError, Exception) as e:
            if isinstance(e, (Refused, DecisionError, neg_rules.NegotiationError)):
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
        return {"draft": self._cmd_draft, "submit": self._cmd_submit, "chat": self._cmd_chat,
                "negotiate": self._cmd_negotiate, "select": self._cmd_select}[t](player, msg)

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
        self._fact(F.PlayerJoined(player_id, name, label, firm, token_hash, time.time(), rejoin_hash, is_bot, language),
                   actor=player_id, firm=firm)
        self._bot_replaced(firm, bot, player_id, "joined", player_id)
        self._push_team(firm)
        self._panel_seated()
        return {"player_id": player_id, "firm": firm, "firm_name": self.state.firms[firm].name,
                "role": self.state.firms[firm].role, "session_id": self.id}

    def _bot_replaced(self, firm: str, strategy: str | None, player_id: str, reason: str, actor: str) -> None:
        """A person joined (or was moved into) a bot-held firm: the bot stops playing it from
        the firm's next decision on (a decision it already submitted this round stands).
        Logged as the `bot_replaced` fact."""
        if strategy is None:
            return
        decided = self.state.phase == "execution" and firm in self.submitted
        self._fact(F.BotReplaced(firm, strategy, player_id, reason, self.state.round + (2 if decided else 1)),
                   actor=actor, firm=firm)

    def _balanced_firm(self) -> str:
        """The firm with the fewest players; ties go to the lowest copy, then role order.
        Late joiners therefore fill empty firms (and take bot-held seats) first."""
        count = {f: 0 for f in self.state.firms}
        for p in self.players.values():
            count[p.firm] += 1
        return min(self.state.firms, key=lambda f: (count[f], self.state.firms[f].copy))

    def members(self, firm: str) -> list[Player]:
        return self.session.members(firm)

    def submitter(self, firm: str) -> str | None:
        """The firm's designated submitter (`members_submit: submitter`): its earliest-joined
        member who is connected (else its earliest-joined member), so a team whose
        submitter's phone died can still submit."""
        m = self.members(firm)
        online = [p for p in m if self.conns.get(p.id)]
        return min(online or m, key=lambda p: (p.joined_at, p.id)).id if m else None

    # ================================================================== player commands

    def _cmd_draft(self, player: Player, msg: P.Draft) -> dict:
        fact, result = decide.draft(self.session, player, msg.fields, msg.round)
        self._fact(fact, actor=player.id, firm=player.firm)
        push = {"type": "draft", "firm": player.firm, "by": player.id, "by_name": player.name,
                "changed": msg.fields}
        self._push_firm(player.firm, push, skip=self._current_conn)
        return result

    def _cmd_submit(self, player: Player, msg: P.Submit) -> dict:
        submitter = self.submitter(player.firm) if self.options["members_submit"] == "submitter" else None
        fact, result = decide.submit(self.session, player, msg.decision, msg.round, submitter)
        self._submitted(fact)
        self._maybe_close_round()
        return result

    def _submit(self, firm: str, by: str, decision: dict, source: str) -> None:
        self._submitted(F.DecisionSubmitted(firm, self.state.round + 1, by, decision, source))

    def _submitted(self, fact: F.DecisionSubmitted) -> None:
        self._fact(fact, actor=fact.by, firm=fact.firm)
        self._push_firm(fact.firm, {"type": "submitted", "firm": fact.firm, "round": fact.round, "by": fact.by,
                                    "decision": fact.decision})
        self._push_status()

    def _cmd_chat(self, player: Player, msg: P.Chat) -> dict:
        fact, firms = decide.chat(self.session, player, msg.to, msg.text, time.time())
        line = fact.to_data()
        self._fact(fact, kind="chat", actor=player.id, firm=player.firm, client_time=msg.client_time)
        for f in firms:
            self._push_firm(f, {"type": "chat", **line})
        self._push_facilitator({"type": "chat", **line})
        return {"channel": fact.channel}

    def pair_of(self, firm: str) -> tuple[str, tuple[str, str]] | None:
        return decide.pair_of(self.session, firm)

    def _cmd_negotiate(self, player: Player, msg: P.Negotiate) -> dict:
        fact, events = decide.negotiate(self.session, player, msg.negotiation, msg.action, msg.terms)
        self._negotiation_moved(fact, events, player.id)
        result = {"negotiation": self.negotiations[fact.id].to_dict()}
        self._after_negotiation_move(fact.id)
        return result

    def _negotiation_move(self, neg, action: str, firm: str | None, terms: TermSheet | None, actor: str) -> None:
        _, events = negotiation_step(self.session, neg, action, firm, terms)  # legality first: raises, changes nothing
        self._negotiation_moved(F.NegotiationMove(neg.id, action, firm, terms.to_dict() if terms else None),
                                events, actor)

    def _negotiation_moved(self, fact: F.NegotiationMove, events: list, actor: str) -> None:
        self._fact(fact, actor=actor, firm=fact.by)
        new = self.negotiations[fact.id]
        push = {"type": "negotiation", "negotiation": new.to_dict(), "events": events}
        for f in new.firms:
            self._push_firm(f, push)
        self._push_facilitator(push)
        if new.status == "agreed":
            self._sign(fact.id, new.agreed_terms, actor)

    def _after_negotiation_move(self, neg_id: str) -> None:
        """Bots answer; when every negotiation is closed, execution starts."""
        neg = self.negotiations[neg_id]
        if neg.status == "open":
            self._bot_negotiates(neg)
        if self.state.phase == "negotiation" and all(n.status != "open" for n in self.negotiations.values()):
            self._start_execution()

    def _bot_negotiates(self, neg) -> None:
        """Seat-filling bots negotiate simply: offer the scenario's default terms, accept an
        offer that leaves them at least 45% of the value, reject (and re-offer) otherwise.
        (Negotiation strategies for bots belong to the bot runner, a later issue.)"""
        for _ in range(4):  # bounded: two bots settle in one exchange
            neg = self.negotiations[neg.id]
            if neg.status != "open":
                return
            s = neg.standing
            if s is None:
                bot = next((f for f in neg.firms if f in self.bots), None)
                if bot is None:
                    return
                self._negotiation_move(neg, "offer", bot, self._default_terms(neg.id), actor=f"bot:{bot}")
            else:
                answer = neg.partner(s.by)
                if answer not in self.bots:
                    return
                action = "accept" if s.terms.split.get(answer, 0) >= 0.45 else "reject"
                self._negotiation_move(neg, action, answer, None, actor=f"bot:{answer}")

    def _default_terms(self, alliance_id: str) -> TermSheet:
        chosen = self._selection_terms(alliance_id)
        if chosen is not None:
            return chosen
        for tpl in self.rules.scenario.alliances:
            if alliance_id.startswith(tpl.id) and alliance_id[len(tpl.id):].isdigit():
                return instantiate_terms(tpl, int(alliance_id[len(tpl.id):]), self.state.rounds)
        raise KeyError(alliance_id)

    def _sign(self, alliance_id: str, terms: TermSheet, actor: str) -> None:
        self._fact(F.AllianceSigned(alliance_id, terms.to_dict()), actor=actor)

    # ================================================================== facilitator controls

    def control(self, msg: "P.Control | P.HttpControl") -> dict:
        """A facilitator control (from a socket or HTTP); returns the ack result. Its fields
        are checked by its action's own schema (server/protocol/controls.py) first."""
        if self.status != "live":
            raise ProtocolError("session_ended", "the session has ended")
        c = P.control_variant(msg)
        handler = getattr(self, f"_ctl_{c.action}")
        return handler(c) or {}

    def _need_phase(self, *phases: str) -> None:
        if self.state.phase not in phases:
            raise ProtocolError("wrong_phase", f"not possible in the {self.state.phase} phase "
                                               f"(only in: {', '.join(phases)})")

    def _ctl_start(self, c) -> dict:
        self._need_phase("lobby")
        if self.options.get("selection") and not self.state.alliances:  # (`pair` in the lobby skips it)
            self._open_selection()
        elif self.options["negotiation"]:
            self._open_negotiations()
        else:
            self._pair_defaults()
            self._start_execution()
        return {"phase": self.state.phase}

    def _ctl_open_negotiation(self, c) -> dict:
        self._need_phase("lobby")
        self._open_negotiations()
        return {"phase": self.state.phase}

    def _ctl_pair(self, c) -> dict:
        self._need_phase("lobby", "negotiation")
        self._pair_defaults()
        if self.state.phase == "negotiation":
            self._start_execution()
        return {"phase": self.state.phase, "alliances": sorted(self.state.alliances)}

    def _ctl_advance(self, c) -> dict:
        phase = self.state.phase
        if phase == "lobby":
            return self._ctl_start(c)
        if phase == "selection":
            self._close_selection(FACILITATOR)
        elif phase == "negotiation":
            self._end_negotiations(FACILITATOR)
        elif phase == "execution":
            self._fact(F.PhaseChanged("debrief"), actor=FACILITATOR)
            self._set_clock("stop", None, FACILITATOR)
            self._push_views()
            self._panel_game_over()
        else:
            raise ProtocolError("wrong_phase", "the game is over; use end_session to close the session")
        return {"phase": self.state.phase}

    def _ctl_end_round(self, c) -> dict:
        self._need_phase("execution")
        rnd = self.state.round + 1
        self._close_round("facilitator", FACILITATOR)
        return {"round": rnd, "phase": self.state.phase}

    def _ctl_pause(self, c) -> dict:
        if not self.clock.running:
            raise ProtocolError("wrong_phase", "the clock is not running")
        self._set_clock("pause", None, FACILITATOR)
        return {"clock": self.clock.public(time.time())}

    def _ctl_resume(self, c) -> dict:
        if self.clock.running or self.clock.remaining_s is None:
            raise ProtocolError("wrong_phase", "the clock is not paused")
        self._set_clock("resume", None, FACILITATOR)
        return {"clock": self.clock.public(time.time())}

    def _ctl_extend(self, c: P.Extend) -> dict:
        if not self.clock.running and self.clock.remaining_s is None:
            raise ProtocolError("wrong_phase", "there is no clock to extend")
        self._set_clock("extend", c.seconds, FACILITATOR)
        return {"clock": self.clock.public(time.time())}

    def _ctl_move_player(self, c: P.MovePlayer) -> dict:
        pid, firm = c.player, c.firm
        if pid not in self.players:
            raise ProtocolError("unknown_player", f"no player {pid!r} in this session")
        if firm not in self.state.firms:
            raise ProtocolError("unknown_firm", f"no firm {firm!r} in this session")
        old = self.players[pid].firm
        bot = self.bots.get(firm)
        self._fact(F.PlayerMoved(pid, old, firm), actor=FACILITATOR, firm=firm)
        self._bot_replaced(firm, bot, pid, "moved", FACILITATOR)
        for conn in self.conns.get(pid, ()):
            self._out.append((conn, {"type": "view", "view": views.player_view(self, pid)}))
        self._push_team(old)
        self._push_team(firm)
        return {"player": pid, "firm": firm}

    def _known_player(self, c: "P.RemovePlayer | P.AllowRejoin") -> Player:
        if c.player_id not in self.players:
            raise ProtocolError("unknown_player", f"no player {c.player_id!r} in this session")
        return self.players[c.player_id]

    def _ctl_remove_player(self, c: P.RemovePlayer) -> dict:
        """The player's token stops working and its sockets close once this is durable; the
        seat is freed (the firm plays on with its other members, or its draft and default)."""
        p = self._known_player(c)
        self._fact(F.PlayerRemoved(p.id, p.firm, time.time()), actor=FACILITATOR, firm=p.firm)
        # its sockets get nothing more from now on, and close once the removal is durable
        gone = self.conns.pop(p.id, set())
        self.hub.metrics.connections -= len(gone)
        self._after.append(lambda exc: self._removed(p.token_hash, gone, exc))
        self._push_team(p.firm)
        return {"player_id": p.id, "firm": p.firm}

    def _removed(self, token_hash: str, conns: set, exc: BaseException | None) -> None:
        why = "you were removed from this session by the facilitator"
        if exc is None:
            self.hub.revoke(token_hash, why)
        for conn in conns:
            asyncio.ensure_future(conn.close(4403, why))

    def _ctl_allow_rejoin(self, c: P.AllowRejoin) -> dict:
        p = self._known_player(c)
        if p.label is None:
            raise ProtocolError("out_of_range", "allow_rejoin: this player joined without a participant label; "
                                                "only a labelled seat is taken again by its label")
        self._fact(F.RejoinAllowed(p.id), actor=FACILITATOR, firm=p.firm)
        return {"player_id": p.id, "label": p.label}

    def _ctl_approve_seat(self, c: P.ApproveSeat) -> dict:
        return seats.approve(self, c.request, FACILITATOR)

    def _ctl_refuse_seat(self, c: P.RefuseSeat) -> dict:
        return seats.refuse(self, c.request)

    def _ctl_form_teams(self, c: P.FormTeams) -> dict:
        return teams.form_teams(self, c)

    def _ctl_fill_bots(self, c: P.FillBots) -> dict:
        strategy = c.strategy
        empty = [f for f in self.state.firms if not self.members(f) and f not in self.bots]
        if empty:
            self._fact(F.BotsSeated({f: strategy for f in empty}), actor=FACILITATOR)
            self._bots_seated(set(empty))
        return {"firms": empty, "strategy": strategy}

    def _bots_seated(self, firms: set[str]) -> None:
        """Bots just took `firms`: they play what the phase waits for at once (a round, a
        negotiation, the selection board) so nobody waits on an empty seat."""
        self._push_status()
        if self.state.phase == "execution":
            self._bots_submit()
            self._maybe_close_round()
        elif self.state.phase == "negotiation":
            for n in list(self.negotiations.values()):
                if firms & set(n.firms):
                    self._after_negotiation_move(n.id)
        elif self.state.phase == "selection":
            self._bots_select()
            self._maybe_close_selection()

    def _ctl_inject(self, c: P.Inject) -> dict:
        fact = F.Announcement(c.text or "", c.event, time.time())
        a = fact.to_data()
        self._fact(fact, actor=FACILITATOR)
        msg = {"type": "announcement", **a}
        for conn in self.all_connections():
            self._out.append((conn, dict(msg)))
        return {}

    def _ctl_end_session(self, c) -> dict:
        self._end_session("ended by the facilitator", FACILITATOR)
        return {"status": "ended"}

    def _end_session(self, reason: str, actor: str) -> None:
        self._fact(F.SessionEnded(reason), actor=actor)
        self._ops.append(("session_status", self.id, "ended", time.time()))
        if self.clock.running or self.clock.remaining_s is not None:
            self._set_clock("stop", None, actor)
        for conn in self.all_connections():
            self._out.append((conn, {"type": "session_ended", "reason": reason}))
        self._after.append(lambda exc: self.hub.session_closed(self))

    # ================================================================== phases and rounds

    def _open_negotiations(self, pairs: list[tuple[str, list[str]]] | None = None) -> None:
        """Open a negotiation per pair (alliance id, firms): by default every template in
        every copy; after partner selection, the pairs it made."""
        signed = {a for a in self.state.alliances}
        if pairs is None:
            pairs = [(f"{tpl.id}{c}", [f"{r}{c}" for r in tpl.roles])
                     for c in range(1, self.options["copies"] + 1) for tpl in self.rules.scenario.alliances]
        for aid, firms in pairs:
            if aid not in signed and aid not in self.negotiations:
                self._fact(F.NegotiationOpened(aid, list(firms)))
        self._fact(F.PhaseChanged("negotiation"))
        self._set_clock("start", self.options["negotiation_seconds"], SERVER)
        self._push_views()
        for n in list(self.negotiations.values()):
            self._bot_negotiates(n)
        if all(n.status != "open" for n in self.negotiations.values()):
            self._start_execution()

    def _pair_defaults(self) -> None:
        """Sign the scenario's default terms for every copy without an alliance; a
        negotiation still open for it is closed first. After partner selection: the pairs
        it made, and no others."""
        if self.selection is not None and self.selection.closed:
            slots = [(aid, self._default_terms(aid)) for aid in self.selection_pairs]
        else:
            slots = [(f"{tpl.id}{c}", instantiate_terms(tpl, c, self.state.rounds))
                     for c in range(1, self.options["copies"] + 1) for tpl in self.rules.scenario.alliances]
        for aid, terms in slots:
            if aid in self.state.alliances:
                continue
            neg = self.negotiations.get(aid)
            if neg is not None and neg.status == "open":
                self._negotiation_move(neg, "deadline", None, None, FACILITATOR)
            self._sign(aid, terms, FACILITATOR)

    def _end_negotiations(self, actor: str) -> None:
        """The negotiation clock ran out (or the facilitator advanced): open ones fail."""
        for n in list(self.negotiations.values()):
            if n.status == "open":
                self._negotiation_move(n, "deadline", None, None, actor)
        self._start_execution()

    def _start_execution(self) -> None:
        self._fact(F.PhaseChanged("execution"))
        self._start_round()

    def _start_round(self) -> None:
        self._set_clock("start", self.options["round_seconds"], SERVER)
        self._push_views_next()
        self._bots_submit()
        self._maybe_close_round()

    def _bots_submit(self) -> None:
        for firm, strategy in self.bots.items():
            if firm in self.submitted or self.people_at(firm):
                continue
            view = views.firm_engine_view(self, firm)
            try:
                d = parse_decision(firm, bot_decision(view, strategy, f"{self.state.seed}:{firm}"))
                validate_decision(self.rules, self.state, d)
                decision = d.to_dict()
            except DecisionError:
                log.warning("session %s: bot %s made an illegal decision; it plays the default", self.id, firm)
                continue
            self._submit(firm, f"bot:{firm}", decision, "bot")

    def _maybe_close_round(self) -> None:
        # `submitted` only holds firms of the session: counting is enough (a scan of every
        # firm at every submission made a 500-firm round quadratic)
        if self.state.phase == "execution" and len(self.submitted) == len(self.state.firms):
            self._close_round("all_submitted", SERVER)

    def _close_round(self, reason: str, actor: str) -> None:
        """Resolve the round: submitted decisions, else the firm's last draft if it is a
        legal decision, else the engine's default (the record says which for each firm).
        Nothing one firm sent can keep the round from closing: a decision that cannot be
        used is replaced by that firm's default and the record says why (`unusable`)."""
        decisions, sources, unusable = self._round_decisions()
        rnd = self.state.round + 1
        resolved = self._resolve(decisions, sources, unusable)
        self._fact(F.RoundClosed(rnd, reason, decisions, sources, unusable or F.ABSENT, resolved=resolved),
                   actor=actor)
        # round_result pushes: what each firm may see of the engine's events
        events, by_firm = self.session.last_events, self.session.last_by_firm
        for fid in self.state.firms:
            mine = by_firm.get(fid, [])
            self._push_firm(fid, {"type": "round_result", "round": rnd, "events": mine})
        self._push_facilitator({"type": "round_result", "round": rnd, "events": events, "sources": sources,
                                **({"unusable": unusable} if unusable else {})})
        if self.state.phase == "debrief":
            self._set_clock("stop", None, SERVER)
            self._push_views_next()
            self._panel_game_over()
        else:
            self._start_round()

    def _round_decisions(self) -> tuple[dict, dict, dict]:
        decisions, sources, unusable = {}, {}, {}
        for fid in self.state.firms:
            sub = self.submitted.get(fid)
            if sub is not None:  # checked when it was submitted
                decisions[fid], sources[fid] = sub["decision"], sub["source"]
                continue
            sources[fid] = "default"
            draft = self.drafts.get(fid)
            if draft:
                d, problem = _checked(self.rules, self.state, fid, draft)  # an older server's draft may hold anything
                if problem is not None:
                    unusable[fid] = _why("draft", problem)
                    continue
                decisions[fid], sources[fid] = d.to_dict(), "draft"
        return decisions, sources, unusable

    def _resolve(self, decisions: dict, sources: dict, unusable: dict):
        """The engine's result for these decisions; a decision the engine cannot take is
        dropped (that firm plays its default) and `decisions`, `sources`, `unusable` say so."""
        for _ in range(2):
            try:
                return resolve_round(self.rules, self.state, {f: Decision.from_dict(x) for f, x in decisions.items()})
            except Exception as e:
                log.exception("session %s: round %d could not be resolved as decided", self.id, self.state.round + 1)
                problems = {f: _checked(self.rules, self.state, f, x)[1] for f, x in decisions.items()}
                bad = [f for f, p in problems.items() if p is not None] or list(decisions)  # none: drop them all
                for f in bad:
                    unusable[f] = _why(sources[f], problems[f] or e)
                    del decisions[f]
                    sources[f] = "default"
        return None  # every firm plays its default: resolved again when the fact is applied

    def _set_clock(self, action: str, seconds: float | None, actor: str) -> None:
        now = time.time()
        c = PhaseClock.from_dict(self.clock.to_dict())
        if action == "start":
            c.start(seconds, now)
        elif action == "pause":
            c.pause(now)
        elif action == "resume":
            c.resume(now)
        elif action == "extend":
            c.extend(seconds, now)
        elif action == "stop":
            c.stop()
        self._fact(F.Clock(action, seconds, c.to_dict()), actor=actor)
        msg = {"type": "clock", "phase": self.state.phase, "round": self.state.round + 1,
               **self.clock.public(now)}
        shared = P.Shared(msg)  # encoded once for every socket
        for conn in self.all_connections():
            self._out.append((conn, shared))

    # timers -----------------------------------------------------------------------------

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
        if self.clock.remaining(time.time()) > 0.001:  # extended meanwhile
            self._armed_generation = -1
            return
        if self.state.phase == "selection":
            self._close_selection(SERVER)
        elif self.state.phase == "negotiation":
            self._end_negotiations(SERVER)
        elif self.state.phase == "execution":
            self._close_round("clock", SERVER)

    # ================================================================== facts: log + apply

    def _log(self, kind: str, type: str, data: Any, actor: str | None = SERVER, firm: str | None = None,
             command_id: str | None = None, client_time: float | None = None) -> LogRow:
        """Append one row to this item's batch (not applied: see `_fact`)."""
        self.seq += 1
        self._since_snapshot += 1
        rnd = self.state.round + (1 if self.state.phase == "execution" else 0)
        row = LogRow(self.id, self.seq, kind, type, actor, firm, rnd, command_id, client_time, dumps(data))
        self._ops.append(("log", row))
        return row

    def _fact(self, fact: F.Fact, kind: str = "system", actor: str = SERVER,
              firm: str | None = None, client_time: float | None = None) -> None:
        """Log one fact, apply it (`evolve`), then log what it caused and note what is due."""
        self._facts += 1
        self._log(kind, fact.type, fact.to_data(), actor, firm, client_time=client_time)
        caused = evolve(self.session, fact)
        cls = fact.__class__
        if caused:  # engine events: consequences, logged for research (a round's: per firm)
            by_firm = cls is F.RoundClosed
            for e in caused:
                self._log("event", e["type"], e, SERVER, e.get("firm") if by_firm else None)
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

def _checked(rules, state, firm: str, raw: dict) -> tuple[Decision | None, Exception | None]:
    """`raw` as a legal decision of `firm` now, or why it is not one (any exception: the
    round's close must survive whatever an older log holds)."""
    try:
        d = parse_decision(firm, raw)
        validate_decision(rules, state, d)
    except Exception as e:
        return None, e
    return d, None


def _why(source: str, e: BaseException) -> str:
    code = e.code if isinstance(e, DecisionError) else type(e).__name__
    return f"{source}: {code}: {getattr(e, 'message', None) or e}"[:300]


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
