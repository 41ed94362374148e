"""The phases of a live session and what moves it from one to the next.

    lobby --start--> [practice: round 0, option `practice_round` (practice.py) --start-->]
          selection (partner selection on) --> negotiation (negotiation on)
          --> execution: round 1 .. N --> debrief

- `start`: the lobby's first phase (selection, negotiation, or the default alliances
  signed and the rounds started);
- the selection board closes (facilitator, clock, or nobody but bots left): its accepted
  pairs negotiate, or are signed on the templates' default terms when negotiation is off;
- the negotiation ends when every negotiation is closed, or by the clock / facilitator
  (open ones fail: `deadline`); then execution starts (rounds.py);
- `clock_ran_out`: the phase clock's expiry, whatever the phase.
"""
from __future__ import annotations

from ..rules import instantiate_terms
from . import completion, facts as F, negotiating, practice, renegotiating, rounds, selecting
from .step import FACILITATOR, SERVER, SelectionBoard, Step, Views, set_clock

EXPIRED = 0.001  # seconds left below which a running clock has run out


def start(step: Step) -> None:
    if step.options.get("selection") and not step.state.alliances:  # (`pair` in the lobby skips it)
        open_selection(step)
    elif step.options["negotiation"]:
        open_negotiations(step)
    else:
        pair_defaults(step)
        start_execution(step)


# ---- partner selection ----------------------------------------------------------------------

def open_selection(step: Step) -> None:
    s = step.session
    step.fact(F.SelectionOpened(s.selection_cfg.model_dump()))
    step.fact(F.PhaseChanged("selection"))
    seconds = step.options.get("selection_seconds") or step.options["negotiation_seconds"]
    set_clock(step, "start", seconds, SERVER)
    step.note(Views())
    selecting.bots_select(step)
    maybe_close_selection(step)


def maybe_close_selection(step: Step) -> None:
    """Every seat held by a bot: nobody is left to move, the board closes itself."""
    s = step.session
    if s.state.phase == "selection" and all(selecting.is_bot(s, f) for f in s.state.firms):
        close_selection(step, SERVER)


def close_selection(step: Step, actor: str) -> None:
    """Close the board: the accepted pairings negotiate (or are signed on default terms
    when negotiation is off); firms left unpaired play alone."""
    chosen = selecting.pairings_now(step.session)
    step.fact(F.SelectionClosed(chosen), actor=actor)
    step.note(SelectionBoard([{"type": "selection_closed", "pairings": chosen}], firms=False))
    if step.options["negotiation"]:
        open_negotiations(step, [(p["alliance_id"], p["firms"]) for p in chosen])
    else:
        for p in chosen:
            negotiating.sign(step, p["alliance_id"], negotiating.default_terms(step, p["alliance_id"]), actor)
        start_execution(step)


# ---- negotiation ----------------------------------------------------------------------------

def _every_copy(step: Step):
    """(alliance id, template, copy) for every template in every copy."""
    for c in range(1, step.options["copies"] + 1):
        for tpl in step.session.rules.scenario.alliances:
            yield f"{tpl.id}{c}", tpl, c


def open_negotiations(step: Step, pairs: list[tuple[str, list[str]]] | None = None) -> None:
    """Open a negotiation per pair (alliance id, firms): by default every template in
    every copy; after partner selection, the pairs it made."""
    s = step.session
    signed = set(s.state.alliances)
    if pairs is None:
        pairs = [(aid, [f"{r}{c}" for r in tpl.roles]) for aid, tpl, c in _every_copy(step)]
    for aid, firms in pairs:
        if aid not in signed and aid not in s.negotiations:
            step.fact(F.NegotiationOpened(aid, list(firms)))
    step.fact(F.PhaseChanged("negotiation"))
    set_clock(step, "start", step.options["negotiation_seconds"], SERVER)
    step.note(Views())
    for n in list(s.negotiations.values()):
        negotiating.bot_negotiates(step, n)
    if all(n.status != "open" for n in s.negotiations.values()):
        start_execution(step)


def after_move(step: Step, neg_id: str) -> None:
    """After a negotiation move: bots answer; when every negotiation is closed, execution starts."""
    s = step.session
    neg = s.negotiations[neg_id]
    if neg.status == "open":
        negotiating.bot_negotiates(step, neg)
    if s.state.phase == "negotiation" and all(n.status != "open" for n in s.negotiations.values()):
        start_execution(step)


def pair_defaults(step: Step) -> None:
    """Sign the scenario's default terms for every copy without an alliance; a
    negotiation still open for it is closed first. After partner selection: the pairs
    it made, and no others."""
    s = step.session
    if s.selection is not None and s.selection.closed:
        slots = [(aid, negotiating.default_terms(step, aid)) for aid in s.selection_pairs]
    else:
        slots = [(aid, instantiate_terms(tpl, c, s.state.rounds)) for aid, tpl, c in _every_copy(step)]
    for aid, terms in slots:
        if aid in s.state.alliances:
            continue
        neg = s.negotiations.get(aid)
        if neg is not None and neg.status == "open":
            negotiating.move(step, neg, "deadline", None, None, FACILITATOR)
        negotiating.sign(step, aid, terms, FACILITATOR)


def end_negotiations(step: Step, actor: str) -> None:
    """The negotiation clock ran out (or the facilitator advanced): open ones fail."""
    for n in list(step.session.negotiations.values()):
        if n.status == "open":
            negotiating.move(step, n, "deadline", None, None, actor)
    start_execution(step)


def after_renegotiation_move(step: Step, alliance_id: str) -> None:
    """After a move in a renegotiation window: bots answer; once every pair is settled the
    window closes and the next round opens."""
    s = step.session
    renegotiating.bots_play(step, alliance_id)
    if renegotiating.is_open(s) and renegotiating.settled(s):
        rounds.after_window(step, "settled", SERVER)


# ---- execution and debrief ------------------------------------------------------------------

def start_execution(step: Step) -> None:
    step.fact(F.PhaseChanged("execution"))
    rounds.start(step)


def to_debrief(step: Step, actor: str) -> None:
    """The facilitator ends the game before its last round."""
    step.fact(F.PhaseChanged("debrief"), actor=actor)
    set_clock(step, "stop", None, actor)
    step.note(Views())
    completion.game_over(step)


# ---- the clock -------------------------------------------------------------------------------

def clock_ran_out(step: Step) -> bool:
    """The phase clock's timer fired: close what the phase waits for. False when the clock
    did not run out after all (extended meanwhile: the server arms it again)."""
    s = step.session
    if not s.clock.running or s.status != "live":
        return True
    if s.clock.remaining(step.now) > EXPIRED:
        return False
    phase = s.state.phase
    if phase == "selection":
        close_selection(step, SERVER)
    elif phase == "negotiation":
        end_negotiations(step, SERVER)
    elif phase == "execution":
        rounds.close(step, "clock", SERVER)
    elif phase == "break":
        rounds.end_break(step, SERVER)
    elif phase == renegotiating.PHASE:
        rounds.after_window(step, "clock", SERVER)
    elif phase == practice.PHASE and not s.practice["closed"]:
        practice.close(step, "clock", SERVER)
    return True
