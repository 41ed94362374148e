"""Negotiation moves as facts, the alliances they sign, and how seat bots negotiate.

Every move (a player's, a bot's, the clock's `deadline`) is checked by the rules first
(`negotiation_step` raises `NegotiationError` and changes nothing), then decided as a
`negotiation_move` fact; the two firms and the facilitator are told; an agreement signs
the alliance (`alliance_signed`) at once.
"""
from __future__ import annotations

from ..state import TermSheet
from . import facts as F
from .evolve import negotiation_step
from .step import Step

# a seat bot accepts an offer that leaves it at least this share of the alliance's value
BOT_ACCEPTS_SHARE = 0.45


def move(step: Step, neg, action: str, firm: str | None, terms: TermSheet | None, actor: str) -> None:
    """A move on `neg` (legality first: raises, changing nothing)."""
    _, events = negotiation_step(step.session, neg, action, firm, terms)
    moved(step, F.NegotiationMove(neg.id, action, firm, terms.to_dict() if terms else None), events, actor)


def moved(step: Step, fact: F.NegotiationMove, events: list, actor: str) -> None:
    """A move already checked (`decide.negotiate`): the fact, who is told, the signature."""
    step.fact(fact, actor=actor, firm=fact.by)
    new = step.session.negotiations[fact.id]
    push = {"type": "negotiation", "negotiation": new.to_dict(), "events": events}
    for f in new.firms:
        step.tell(f"firm:{f}", push)
    step.tell("facilitator", push)
    if new.status == "agreed":
        sign(step, fact.id, new.agreed_terms, actor)


def sign(step: Step, alliance_id: str, terms: TermSheet, actor: str) -> None:
    step.fact(F.AllianceSigned(alliance_id, terms.to_dict()), actor=actor)


def default_terms(step: Step, alliance_id: str) -> TermSheet:
    """The term sheet an alliance is signed on when nobody negotiates it (`Session.default_terms`)."""
    return step.session.default_terms(alliance_id)


def bot_negotiates(step: Step, neg) -> None:
    """Seat-filling bots negotiate simply: offer the default terms, accept an offer that
    leaves them at least 45% of the value, reject (and re-offer) otherwise. (Negotiation
    strategies for bots belong to the bot runner.)"""
    s = step.session
    for _ in range(4):  # bounded: two bots settle in one exchange
        neg = s.negotiations[neg.id]
        if neg.status != "open":
            return
        standing = neg.standing
        if standing is None:
            bot = next((f for f in neg.firms if f in s.bots), None)
            if bot is None:
                return
            move(step, neg, "offer", bot, default_terms(step, neg.id), actor=f"bot:{bot}")
        else:
            answer = neg.partner(standing.by)
            if answer not in s.bots:
                return
            action = "accept" if standing.terms.split.get(answer, 0) >= BOT_ACCEPTS_SHARE else "reject"
            move(step, neg, action, answer, None, actor=f"bot:{answer}")
