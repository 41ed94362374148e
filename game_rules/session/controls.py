"""The facilitator's controls: one function per action, decided on the pure session.

    result = controls.decide(step, control)    # `control`: the action's typed variant

The server checked the token and the control's fields (server/protocol/controls.py: each
action's own schema), so a function here only decides what depends on the session: the
phase, the clock, who is seated. It raises `Refused` before any fact, or makes the facts
and notes (on `step`) and returns the ack's result.
"""
from __future__ import annotations

from typing import Any, Callable

from . import (bots, facts as F, firm_roles, phases, practice, renegotiating, reopen, reopen_negotiation,
               rounds)
from .step import (FACILITATOR, Merged, PlayerView, Refused, Removed, Step, Team, Views, end_session, need_phase,
                   set_clock)
from .state import Player


def start(step: Step, c) -> dict:
    """The lobby's start (with a practice round: round 0 opens first); in the practice
    round: "Start the real game" (an open practice round closes first)."""
    need_phase(step, "lobby", practice.PHASE)
    if step.state.phase == "lobby" and firm_roles.enabled(step.options):
        firm_roles.deal(step)
    if step.state.phase == practice.PHASE:
        practice.end(step, FACILITATOR)
        phases.start(step)
    elif practice.enabled(step.options):
        practice.open_practice(step)
    else:
        phases.start(step)
    return {"phase": step.state.phase}


def open_negotiation(step: Step, c) -> dict:
    need_phase(step, "lobby")
    phases.open_negotiations(step)
    return {"phase": step.state.phase}


def pair(step: Step, c) -> dict:
    need_phase(step, "lobby", "negotiation")
    phases.pair_defaults(step)
    if step.state.phase == "negotiation":
        phases.start_execution(step)
    return {"phase": step.state.phase, "alliances": sorted(step.state.alliances)}


def advance(step: Step, c) -> dict:
    phase = step.state.phase
    if phase in ("lobby", practice.PHASE):
        return start(step, c)
    if phase == "selection":
        phases.close_selection(step, FACILITATOR)
    elif phase == "negotiation":
        phases.end_negotiations(step, FACILITATOR)
    elif phase == renegotiating.PHASE:
        return end_renegotiation(step, c)
    elif phase in ("execution", "break"):
        phases.to_debrief(step, FACILITATOR)
    else:
        raise Refused("wrong_phase", "the game is over; use end_session to close the session")
    return {"phase": step.state.phase}


def end_round(step: Step, c) -> dict:
    if step.state.phase == practice.PHASE:  # the practice round shows its results (the real game waits)
        if step.session.practice["closed"]:
            raise Refused("wrong_phase", "the practice round is already closed: start the real game")
        practice.close(step, "facilitator", FACILITATOR)
        return {"round": 0, "practice": True, "phase": step.state.phase}
    need_phase(step, "execution")
    rnd = step.state.round + 1
    rounds.close(step, "facilitator", FACILITATOR)
    return {"round": rnd, "phase": step.state.phase}


def next_round(step: Step, c) -> dict:
    """End the results break: the next round opens now (its clock starts)."""
    if step.state.phase != "break":
        raise Refused("no_break", f"there is no results break to end (phase: {step.state.phase})")
    rounds.end_break(step, FACILITATOR)
    return {"round": step.state.round + 1, "phase": step.state.phase}


def end_renegotiation(step: Step, c) -> dict:
    """End the renegotiation window now: open renegotiations keep their current terms; the
    next round opens."""
    if not renegotiating.is_open(step.session):
        raise Refused("no_window", f"there is no renegotiation window open (phase: {step.state.phase})")
    rounds.after_window(step, "facilitator", FACILITATOR)
    return {"round": step.state.round + 1, "phase": step.state.phase}


def reopen_round(step: Step, c) -> dict:
    """Undo the last round's close (reopen.py says exactly when): the round is played on,
    with the decisions submitted before the close, and a fresh round clock."""
    s = step.session
    why = reopen.refusal(s)
    if why is not None:
        raise Refused(*why)
    rnd = s.undo.round
    step.fact(F.RoundReopened(rnd), actor=FACILITATOR)
    set_clock(step, "start", step.options["round_seconds"], FACILITATOR)
    step.tell("everyone", {"type": "round_reopened", "round": rnd})
    step.note(Views())
    rounds.bots_submit(step)  # a seat bot placed during the break decides; the round does not close by itself
    return {"round": rnd, "phase": step.state.phase}


def reopen_negotiation_(step: Step, c) -> dict:
    """Undo the close of one negotiation (reopen_negotiation.py says exactly when): it is open
    again with its offers, the phase is `negotiation` again, with a fresh negotiation clock."""
    s, aid = step.session, c.alliance_id
    why = reopen_negotiation.refusal(s, aid)
    if why is not None:
        raise Refused(*why)
    step.fact(F.NegotiationReopened(aid), actor=FACILITATOR)
    set_clock(step, "start", step.options["negotiation_seconds"], FACILITATOR)
    neg = s.negotiations[aid]
    push = {"type": "negotiation", "negotiation": neg.to_dict(), "events": []}
    for party in ("facilitator", *(f"firm:{f}" for f in neg.firms)):
        step.tell(party, {"type": "negotiation_reopened", "alliance_id": aid})
        step.tell(party, push)
    step.note(Views())
    phases.after_move(step, aid)  # a seat bot whose turn it is answers (bots settle at once)
    return {"alliance_id": aid, "phase": step.state.phase}


def open_selection(step: Step, c) -> dict:
    need_phase(step, "lobby")
    if not step.options.get("selection"):
        raise Refused("selection_off", "this session has no partner-selection phase (create it with `selection: true`)")
    phases.open_selection(step)
    return {"phase": step.state.phase}


def close_selection(step: Step, c) -> dict:
    need_phase(step, "selection")
    phases.close_selection(step, FACILITATOR)
    return {"phase": step.state.phase, "pairings": list(step.session.selection_pairs.values())}


# ---- the clock ---------------------------------------------------------------------------------

def _clock_now(step: Step) -> dict:
    return {"clock": step.session.clock.public(step.now)}


def pause(step: Step, c) -> dict:
    if not step.session.clock.running:
        raise Refused("wrong_phase", "the clock is not running")
    set_clock(step, "pause", None, FACILITATOR)
    return _clock_now(step)


def resume(step: Step, c) -> dict:
    clock = step.session.clock
    if clock.running or clock.remaining_s is None:
        raise Refused("wrong_phase", "the clock is not paused")
    set_clock(step, "resume", None, FACILITATOR)
    return _clock_now(step)


def extend(step: Step, c) -> dict:
    clock = step.session.clock
    if not clock.running and clock.remaining_s is None:
        raise Refused("wrong_phase", "there is no clock to extend")
    set_clock(step, "extend", c.seconds, FACILITATOR)
    return _clock_now(step)


# ---- seats ---------------------------------------------------------------------------------------

def _known_player(step: Step, player_id: str) -> Player:
    p = step.session.players.get(player_id)
    if p is None:
        raise Refused("unknown_player", f"no player {player_id!r} in this session")
    return p


def move_player(step: Step, c) -> dict:
    s = step.session
    p = _known_player(step, c.player)
    firm = c.firm
    if firm not in s.state.firms:
        raise Refused("unknown_firm", f"no firm {firm!r} in this session")
    old, bot = p.firm, s.bots.get(firm)
    step.fact(F.PlayerMoved(p.id, old, firm), actor=FACILITATOR, firm=firm)
    bots.replaced(step, firm, bot, p.id, "moved", FACILITATOR)
    step.note(PlayerView(p.id))
    step.note(Team(old))
    step.note(Team(firm))
    return {"player": p.id, "firm": firm}


def remove_player(step: Step, c) -> dict:
    """The player's token stops working and its sockets close once this is durable; the
    seat is freed (the firm plays on with its other members, or its draft and default)."""
    p = _known_player(step, c.player_id)
    step.fact(F.PlayerRemoved(p.id, p.firm, step.now), actor=FACILITATOR, firm=p.firm)
    step.note(Removed(p.id, p.token_hash))
    step.note(Team(p.firm))
    return {"player_id": p.id, "firm": p.firm}


def merge_players(step: Step, c) -> dict:
    """Two rows of the roster are one person (joined again on another device, under another
    spelling): the row `duplicate_id` is merged into the seat `player_id`. The seat keeps its
    firm and name and goes on on the device the duplicate row is on now (the one in the
    person's hand); the seat's earlier device is signed out. To drop a row whose device is
    not used any more, Remove it instead."""
    keep, dup = _known_player(step, c.player_id), _known_player(step, c.duplicate_id)
    if keep.id == dup.id:
        raise Refused("out_of_range", "merge_players: a row cannot be merged into itself")
    if keep.is_bot or dup.is_bot:
        raise Refused("out_of_range", "merge_players: a bot's row is not a person's; remove it instead")
    fact = F.PlayersMerged(keep.id, dup.id, keep.firm, dup.firm, dup.token_hash, dup.rejoin_hash, step.now)
    old_token = keep.token_hash
    step.fact(fact, actor=FACILITATOR, firm=keep.firm)
    step.note(Merged(keep.id, dup.id, dup.token_hash, old_token))
    step.note(PlayerView(keep.id))
    step.note(Team(keep.firm))
    if dup.firm != keep.firm:
        step.note(Team(dup.firm))
    return {"player_id": keep.id, "duplicate_id": dup.id, "firm": keep.firm}


def assign_role(step: Step, c) -> dict:
    """Give a player a role inside its firm, or free its roles (`role: none`): firm_roles.py."""
    if not firm_roles.enabled(step.options):
        raise Refused("roles_off", "this session has no roles inside the firms (create it with firm_roles)")
    return firm_roles.assign(step, _known_player(step, c.player_id), c.role)


def allow_rejoin(step: Step, c) -> dict:
    p = _known_player(step, c.player_id)
    if p.label is None:
        raise Refused("out_of_range", "allow_rejoin: this player joined without a participant label; "
                                      "only a labelled seat is taken again by its label")
    step.fact(F.RejoinAllowed(p.id), actor=FACILITATOR, firm=p.firm)
    return {"player_id": p.id, "label": p.label}


def fill_bots(step: Step, c) -> dict:
    return {"firms": bots.fill(step, c.strategy, FACILITATOR), "strategy": c.strategy}


# ---- the class -----------------------------------------------------------------------------------

def inject(step: Step, c) -> dict:
    fact = F.Announcement(c.text or "", c.event, step.now)
    step.fact(fact, actor=FACILITATOR)
    step.tell("everyone", {"type": "announcement", **fact.to_data()})
    return {}


def end_session_(step: Step, c) -> dict:
    end_session(step, "ended by the facilitator", FACILITATOR)
    return {"status": "ended"}


CONTROLS: dict[str, Callable[[Step, Any], dict]] = {
    "start": start, "open_negotiation": open_negotiation, "pair": pair, "advance": advance,
    "end_round": end_round, "next_round": next_round, "end_renegotiation": end_renegotiation, "reopen_round": reopen_round,
    "reopen_negotiation": reopen_negotiation_, "pause": pause, "resume": resume, "extend": extend,
    "move_player": move_player, "remove_player": remove_player, "merge_players": merge_players,
    "allow_rejoin": allow_rejoin, "assign_role": assign_role,
    "fill_bots": fill_bots, "inject": inject, "end_session": end_session_,
    "open_selection": open_selection, "close_selection": close_selection,
}


def decide(step: Step, c) -> dict:
    """One control (its typed variant: `c.action` and that action's fields)."""
    if step.session.status != "live":
        raise Refused("session_ended", "the session has ended")
    return CONTROLS[c.action](step, c)
