"""Renegotiation windows (GAME.md sections 3 and 6): the rules, without a session.

Every `renegotiation_every` rounds a window opens between two rounds. In it the two partners
of each active alliance may agree new terms for the rest of the alliance, with the same
state machine as the first negotiation (game_rules/negotiation.py: offer, counter, accept,
reject, walk away). Whatever is not agreed when the window closes keeps its terms.

What can change: the shares of the joint value, the release schedule (tranches, milestone,
staged or upfront), the contributions and minimum efforts, and the exit terms. What cannot:
the scope, the form and the duration (the alliance's shape: a new shape is a new alliance)
and the upfront payment (paid once, at signing). A proposal names only what it changes; the
rest is taken from the terms in force.

Bargaining position. The seeds' one-partner case: the firm that needs its partner more (the
higher dependency D, engine.dependency) has the weaker hand, "the weaker partner finds it
necessary to reveal more and more just to keep the other interested". The bots read that
as a reservation share: `reservation_share` moves a bot's lowest acceptable share of the
joint value away from its current share by `LEVERAGE` times the difference between its
partner's dependency and its own (capped at `MAX_SHIFT`). A dependent bot accepts less than
it has; an independent one asks for more. Every bot (live, seated in a session, or the
command line's) takes both dependencies from its own firm's view, never the exact ones
(`dependencies` below is the facilitator's): game_rules/renegotiation_moves.py.

Pure: no I/O, no clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import negotiation as neg_rules
from .engine import clamp, dependency
from .negotiation import Negotiation, NegotiationError
from .rules import Rules
from .state import SessionState, TermSheet

FIXED = ("scope", "form", "duration", "upfront_payment", "payer")
LEVERAGE = 0.5      # share of the joint value per unit of dependency difference
MAX_SHIFT = 0.2     # the most a bot's reservation moves from its current share
MIN_SHARE = 0.05    # no bot asks for more than 1 - MIN_SHARE, nor accepts less than MIN_SHARE
ASKS_FROM = 0.01    # a bot proposes only when its hand is worth at least this share


@dataclass(slots=True)
class Window:
    """One renegotiation window: `round` rounds were played when it opened (the terms agreed
    apply from round `round + 1`); one negotiation per active alliance, keyed by its id."""
    round: int
    negotiations: dict[str, Negotiation] = field(default_factory=dict)
    open: bool = True
    renegotiated: list = field(default_factory=list)   # alliance ids whose terms changed

    @property
    def applies_from(self) -> int:
        return self.round + 1

    def to_dict(self) -> dict:
        return {"round": self.round, "open": self.open, "renegotiated": list(self.renegotiated),
                "negotiations": {k: n.to_dict() for k, n in self.negotiations.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> "Window":
        return cls(d["round"], {k: _negotiation(n) for k, n in d["negotiations"].items()},
                   d["open"], list(d["renegotiated"]))


def _negotiation(d: dict) -> Negotiation:
    """`Negotiation.to_dict` reversed (a snapshot's window)."""
    offers = [neg_rules.Offer(o["n"], o["by"], TermSheet.from_dict(o["terms"]), o["kind"], o["status"])
              for o in d["offers"]]
    standing = next((o for o in offers if o.n == d["standing"]), None)
    return Negotiation(d["id"], tuple(d["firms"]), d["status"], offers, standing, d["outcome_reason"],
                       d["walked_away_by"])


def due(every: int, state: SessionState) -> bool:
    """A window opens after round k*every (never after the last round), when an alliance is
    active to renegotiate."""
    return (every > 0 and state.round > 0 and state.round % every == 0 and state.round < state.rounds
            and any(a.status == "active" for a in state.alliances.values()))


def proposal(raw, current: TermSheet, rules: Rules, rounds: int) -> TermSheet:
    """A renegotiation proposal from untrusted data: the fields it names over the terms in
    force, parsed and validated like any term sheet; the fixed fields must not change."""
    if not isinstance(raw, dict):
        raise NegotiationError("invalid_terms", "terms: must be a mapping of field to value")
    firms = tuple(current.split)
    terms = neg_rules.terms_from_dict({**current.to_dict(), **raw}, firms, rules.domains,
                                      rules.params.budget, max(rounds, current.duration))
    check_fixed(current, terms)
    return terms


def check_fixed(current: TermSheet, terms: TermSheet) -> None:
    for name in FIXED:
        if getattr(terms, name) != getattr(current, name):
            raise NegotiationError("invalid_terms", f"{name}: cannot change in a renegotiation (only the shares, "
                                                    "release schedule, contributions, minimum efforts and exit "
                                                    "terms can)")


def apply_terms(state: SessionState, alliance_id: str, terms: TermSheet) -> None:
    """The alliance plays `terms` from the next round (mutates `state`, like signing). What
    was released stays released (capped at the new number of tranches); a domain newly
    contributed starts with none released (all of them under upfront release)."""
    al = state.alliances[alliance_id]
    released = {}
    for f in al.firms:
        n, before = terms.tranches[f], al.released.get(f, {})
        released[f] = {k: n if terms.release == "upfront" else min(before.get(k, 0), n)
                       for k in terms.contributions.get(f, ())}
    al.terms = neg_rules._copy_terms(terms)
    al.released = released


# ---- bargaining power ------------------------------------------------------------------------

def dependencies(rules: Rules, state: SessionState, alliance_id: str) -> dict[str, float]:
    """Each partner's exact dependency on the other now (what the partner's contributed
    domains fill of its position gap): the facilitator's console shows it; no bot reads it."""
    al = state.alliances[alliance_id]
    comp = {f: state.firms[f].competence for f in al.firms}
    return {f: dependency(rules, comp[f], comp[al.partner(f)], al.terms.contributions.get(al.partner(f), ()))
            for f in al.firms}


def reservation_share(current: float, own_dependency: float, partner_dependency: float) -> float:
    """The lowest share of the joint value a bot accepts in a renegotiation (see the module)."""
    shift = clamp(LEVERAGE * (partner_dependency - own_dependency), -MAX_SHIFT, MAX_SHIFT)
    return clamp(current + shift, MIN_SHARE, 1.0 - MIN_SHARE)
