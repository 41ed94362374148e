"""A player's command played on a step: decide.py's facts, and what follows from them.

    result = commands.submit(step, player, raw, round_, submitter)

decide.py says whether a command is allowed and which fact it makes; here the fact is
made (`step.fact`), the firm (and partner, facilitator) are told, and what the command
sets off follows: a round closes once every firm has submitted, bots answer an offer,
execution starts once every negotiation is closed. Returns the ack's result.
"""
from __future__ import annotations

from . import decide, firm_roles, negotiating, phases, practice, renegotiating, rounds, selecting
from .state import Player
from .step import Step


def draft(step: Step, player: Player, fields: dict, round_: int | None) -> dict:
    fact, result = decide.draft(step.session, player, fields, round_)
    step.fact(fact, actor=player.id, firm=player.firm)
    step.tell(f"firm:{player.firm}", {"type": "draft", "firm": player.firm, "by": player.id,
                                      "by_name": player.name, "changed": fields}, to_sender=False)
    return result


def submit(step: Step, player: Player, raw: dict | None, round_: int | None, submitter: str | None) -> dict:
    if step.state.phase == practice.PHASE:
        return practice.submit(step, player, raw, round_, submitter)
    fact, result = decide.submit(step.session, player, raw, round_, submitter)
    rounds.submitted(step, fact)
    rounds.maybe_close(step)
    return result


def chat(step: Step, player: Player, to: str, text: str, client_time: float | None = None) -> dict:
    fact, firms = decide.chat(step.session, player, to, text, step.now)
    line = fact.to_data()
    step.fact(fact, actor=player.id, firm=player.firm, kind="chat", client_time=client_time)
    for f in firms:
        step.tell(f"firm:{f}", {"type": "chat", **line})
    step.tell("facilitator", {"type": "chat", **line})
    return {"channel": fact.channel}


def negotiate(step: Step, player: Player, negotiation: str | None, action: str, terms: dict | None) -> dict:
    if step.state.phase == renegotiating.PHASE:  # a move in a renegotiation window
        return renegotiate(step, player, negotiation, action, terms)
    fact, events = decide.negotiate(step.session, player, negotiation, action, terms)
    negotiating.moved(step, fact, events, player.id)
    result = {"negotiation": step.session.negotiations[fact.id].to_dict()}
    phases.after_move(step, fact.id)
    return result


def renegotiate(step: Step, player: Player, alliance_id: str | None, action: str, terms: dict | None) -> dict:
    s = step.session
    fact, events = renegotiating.decide(s, player.firm, alliance_id, action, terms)
    renegotiating.moved(step, fact, events, player.id)
    result = {"renegotiation": renegotiating.firm_view(s, player.firm)}
    phases.after_renegotiation_move(step, fact.alliance_id)
    return result


def select(step: Step, player: Player, action: str, to: str | None = None, proposal: str | None = None,
           firms: list | None = None, template: str | None = None) -> None:
    """A move on the selection board (the ack's result is the firm's view of the board:
    the server builds it)."""
    selecting.select(step, player, action, to, proposal, firms, template)


def play(step: Step, player: Player, msg, submitter: str | None = None) -> dict | None:
    """One player command (`msg`: its validated message, `msg.type` names it); `submitter`:
    the only player who may submit for the firm, if the session has one. Returns the ack's
    result (a `select`: None, the server adds the firm's view of the board)."""
    t = msg.type
    if firm_roles.enabled(step.options):  # a role held by a teammate: refused, never dropped
        firm_roles.check(step.session, player, msg)
    if t == "role":
        return firm_roles.command(step, player, msg.action, msg.role, msg.to)
    if t == "draft":
        return draft(step, player, msg.fields, msg.round)
    if t == "submit":
        return submit(step, player, msg.decision, msg.round, submitter)
    if t == "chat":
        return chat(step, player, msg.to, msg.text, msg.client_time)
    if t == "negotiate":
        return negotiate(step, player, msg.negotiation, msg.action, msg.terms)
    if t == "select":
        return select(step, player, msg.action, msg.to, msg.proposal, msg.firms, msg.template)
    raise ValueError(f"not a player command: {t!r}")
