"""The live partner-selection phase (GAME.md section 3, step 2): a mixin of `SessionActor`.

The rules are `game_rules.selection` (pure): this module turns its moves into facts and
pushes; what each firm may see of the board is `game_rules.session.views.selection_for`.

    lobby --start / open_selection--> selection --advance / close_selection / clock-->
        negotiation of the accepted pairs (or, negotiation off, the pairs signed on the
        templates' default terms) --> execution; a firm left unpaired plays alone.

Facts (game_rules/session/facts.py; applied by game_rules/session/evolve.py, live and on restart):
  `selection_opened` {settings}                      a new, empty board
  `selection_move`   {action, by, to?, proposal?, firms?, template?}
                     one accepted move, re-applied through `game_rules.selection`
  `selection_closed` {pairings: [{alliance_id, template, firms, introduced_by}]}

Seat bots (the actor's `bots`) play through the module's selection bots: a go-between bot
introduces, a bot keeps or declines an introduction made to it, answers every proposal
addressed to it and proposes to the partner that looks best (never twice to a firm that
declined it).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from game_rules import selection as sel
from game_rules.session import facts as F, views
from game_rules.session.evolve import selection_step

from .auth import FACILITATOR
from .protocol import ERROR_CODES, SELECTION_CODES, ProtocolError

if TYPE_CHECKING:
    from .session_actor import SessionActor

SERVER = "server"


def protocol_error(e: sel.SelectionError) -> ProtocolError:
    code = SELECTION_CODES.get(e.code, e.code)
    if code not in ERROR_CODES:
        code = "out_of_range"
    return ProtocolError(code, e.message)


# ---- the actor's part ----------------------------------------------------------------------

class SelectionPhase:
    """Mixed into `SessionActor` (which sets `selection` and `selection_pairs`)."""

    selection: sel.Board | None
    selection_pairs: dict[str, dict]

    @property
    def selection_cfg(self) -> sel.SelectionConfig:
        return self.session.selection_cfg

    # commands -------------------------------------------------------------------------------

    def _cmd_select(self: "SessionActor", player, msg) -> dict:
        if self.state.phase != "selection" or self.selection is None:
            raise ProtocolError("wrong_phase", f"selection moves are made in the selection phase (now: {self.state.phase})")
        firm = player.firm
        data: dict = {"action": msg.action}
        if msg.action == "propose":
            if msg.to is None:
                raise ProtocolError("missing_field", "to: missing (the firm you propose to)")
            gb = sel.is_go_between(self.selection_cfg, self.state, firm)
            data["to"] = msg.to
            data["template"] = msg.template or ("" if gb else self._infer_template(firm, msg.to))
        elif msg.action in ("accept", "decline"):
            if msg.proposal is None:
                raise ProtocolError("missing_field", "proposal: missing (the proposal id)")
            data["proposal"] = msg.proposal
        else:  # introduce
            if msg.firms is None:
                raise ProtocolError("missing_field", "firms: missing (the two firms you introduce)")
            data["firms"] = list(msg.firms)
            data["template"] = msg.template or self._infer_template(*msg.firms)
        self._selection_move(firm, data, actor=player.id)
        self._bots_select()
        return {"selection": views.selection_for(self.session, firm)}

    def _infer_template(self: "SessionActor", a: str, b: str) -> str:
        """The only template joining the roles of `a` and `b` (unknown firms: selection.py
        names them)."""
        firms = self.state.firms
        if a not in firms or b not in firms:
            return ""
        ra, rb = firms[a].role, firms[b].role
        fits = [t.id for t in self.rules.scenario.alliances if ra != rb and {ra, rb} == set(t.roles)]
        if len(fits) == 1:
            return fits[0]
        if not fits:
            raise ProtocolError("role_mismatch", f"no alliance template joins {a} (a {ra}) and {b} (a {rb})")
        raise ProtocolError("ambiguous_template", f"templates {', '.join(fits)} all join {a} and {b}: "
                                                  "name one in `template`")

    def _selection_move(self: "SessionActor", firm: str, data: dict, actor: str) -> None:
        """Check one move (raises, changing nothing), log it as a fact, push it."""
        move = F.SelectionMove.from_data({**data, "by": firm})
        try:
            _, events = selection_step(self.session, self.selection, move)
        except sel.SelectionError as e:
            raise protocol_error(e) from None
        self._fact(move, actor=actor, firm=firm)
        self._push_selection(events)
        if move.action == "introduce":
            # a bot introduced to a partner keeps the pairing or declines it at once
            p = self.selection.proposals[-1]
            for f in p.parties():
                cur = self.selection.proposal(p.id)
                if cur.status == "accepted" and self._selection_bot(f) and not sel.bot_answer(
                        self.rules, self.selection_cfg, self.state, self.selection, cur, f):
                    self._bot_select_move(f, {"action": "decline", "proposal": p.id})

    def _push_selection(self: "SessionActor", events: list[dict]) -> None:
        for f in sorted({f for e in events for f in e["parties"]}):
            if any(self.conns.get(p.id) for p in self.members(f)):
                self._push_firm(f, {"type": "selection", "events": sel.events_for_firm(events, f),
                                    "selection": views.selection_for(self.session, f)})
        if self.conns.get(FACILITATOR):
            self._push_facilitator({"type": "selection", "events": events, "selection": views.selection_board(self.session)})

    # bots ------------------------------------------------------------------------------------

    def _selection_bot(self: "SessionActor", firm: str) -> bool:
        return firm in self.bots and not self.people_at(firm)

    def _bot_select_move(self: "SessionActor", firm: str, data: dict) -> bool:
        try:
            self._selection_move(firm, data, actor=f"bot:{firm}")
            return True
        except ProtocolError:
            return False  # the board changed under it: a bot does not insist

    def _bots_select(self: "SessionActor") -> None:
        """Seat bots introduce, answer the proposals addressed to them and propose."""
        if self.state.phase != "selection" or self.selection is None or self.selection.closed:
            return
        bots = sorted(f for f in self.state.firms if self._selection_bot(f))
        if not bots:
            return
        r, cfg, st = self.rules, self.selection_cfg, self.state
        for _ in range(4):  # bounded: a pass only adds moves; two or three settle the board
            before = self.selection
            for gb in bots:
                if sel.is_go_between(cfg, st, gb):
                    for a, b, tid in sel.bot_introductions(r, cfg, st, self.selection, gb):
                        self._bot_select_move(gb, {"action": "introduce", "firms": [a, b], "template": tid})
            self._bots_answer(bots)
            for fid in bots:
                declined = {(frozenset(p.parties()), p.template) for p in self.selection.proposals
                            if p.status == "declined"}
                for receiver, tid in sel.bot_proposals(r, cfg, st, self.selection, fid):
                    if (frozenset((fid, receiver)), tid) not in declined:
                        self._bot_select_move(fid, {"action": "propose", "to": receiver, "template": tid})
            self._bots_answer(bots)
            if self.selection == before:
                break

    def _bots_answer(self: "SessionActor", bots: list[str]) -> None:
        r, cfg, st = self.rules, self.selection_cfg, self.state
        for p in list(self.selection.proposals):
            cur = self.selection.proposal(p.id)
            if cur.status != "pending" or cur.receiver not in bots:
                continue
            if sel.bot_answer(r, cfg, st, self.selection, cur, cur.receiver) and \
                    self._bot_select_move(cur.receiver, {"action": "accept", "proposal": cur.id}):
                continue
            self._bot_select_move(cur.receiver, {"action": "decline", "proposal": cur.id})

    # phases ------------------------------------------------------------------------------------

    def _ctl_open_selection(self: "SessionActor", c) -> dict:
        self._need_phase("lobby")
        if not self.options.get("selection"):
            raise ProtocolError("selection_off", "this session has no partner-selection phase "
                                                 "(create it with `selection: true`)")
        self._open_selection()
        return {"phase": self.state.phase}

    def _ctl_close_selection(self: "SessionActor", c) -> dict:
        self._need_phase("selection")
        self._close_selection(FACILITATOR)
        return {"phase": self.state.phase, "pairings": list(self.selection_pairs.values())}

    def _open_selection(self: "SessionActor") -> None:
        self._fact(F.SelectionOpened(self.selection_cfg.model_dump()))
        self._fact(F.PhaseChanged("selection"))
        seconds = self.options.get("selection_seconds") or self.options["negotiation_seconds"]
        self._set_clock("start", seconds, SERVER)
        self._push_views()
        self._bots_select()
        self._maybe_close_selection()

    def _maybe_close_selection(self: "SessionActor") -> None:
        """Every seat held by a bot: nobody is left to move, the board closes itself."""
        if self.state.phase == "selection" and all(self._selection_bot(f) for f in self.state.firms):
            self._close_selection(SERVER)

    def _close_selection(self: "SessionActor", actor: str) -> None:
        """Close the board: the accepted pairings negotiate (or are signed on default terms
        when negotiation is off); firms left unpaired play alone."""
        chosen = [p.to_dict() for p in sel.pairings(self.rules, self.selection_cfg, self.state, self.selection)]
        self._fact(F.SelectionClosed(chosen), actor=actor)
        if self.conns.get(FACILITATOR):
            self._push_facilitator({"type": "selection", "events": [{"type": "selection_closed", "pairings": chosen}],
                                    "selection": views.selection_board(self.session)})
        if self.options["negotiation"]:
            self._open_negotiations([(p["alliance_id"], p["firms"]) for p in chosen])
        else:
            for p in chosen:
                self._sign(p["alliance_id"], self.session.default_terms(p["alliance_id"]), actor)
            self._start_execution()
