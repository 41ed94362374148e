"""Step 3 of a round (GAME.md section 6): exposure, learning and learning by teaching in
an alliance, and what model 3 takes off as out of date. `resolve_round`
(game_rules/engine.py) applies it to every active alliance; the formulas are those of
game_rules/formulas.py, one function each."""
from __future__ import annotations

from functools import lru_cache
from math import fsum

from .formulas import exposure, freshness, learning, outdating_rate, protection
from .state import Decision, SessionState


class Ledger:
    """Per-firm accumulators for one round (keeps resolve_round's loops flat)."""
    __slots__ = ("value", "penalty", "learned", "taught", "exposure", "sources")

    def __init__(self, zeros: dict[str, float]):
        # `zeros`: every domain at 0.0, in the scenario's order (a copy is cheaper than fromkeys)
        self.value = 0.0
        self.penalty = 0.0
        self.learned = zeros.copy()
        self.taught = zeros.copy()
        self.exposure = zeros.copy()
        # model 3: teacher -> domain -> learned from it, for teachers whose lessons go out of date
        self.sources: dict[str, dict[str, float]] | None = None


@lru_cache(maxsize=256)
def split(domains: tuple[str, ...], scope: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The domains inside and outside `scope`, each in the scenario's order (a function of
    its arguments alone: kept for the scopes seen, at most one per subset of the domains)."""
    return tuple(k for k in domains if k in scope), tuple(k for k in domains if k not in scope)


def learn(rules, p, t, absorb: dict[str, float], by_teacher: Decision, c_l, c_t, rel_t,
          led: Ledger, led_t: Ledger, teacher: str, pace: float, learner_pace: float,
          inside: tuple[str, ...], outside: tuple[str, ...]) -> None:
    """Step 3 in one direction: what the learner (`absorb`, competences `c_l`, ledger `led`)
    sees of the teacher's domains and learns from them, and what the teacher (`by_teacher`,
    `c_t`, released shares `rel_t`, `led_t`, `pace`) learns by teaching; the domains of the
    scope (`inside`) and the others (`outside`), each in the scenario's order.

    `learning` is called only where the learner makes an effort and the teacher is ahead:
    elsewhere the formula gives 0 and adding 0.0 changes no sum."""
    reveal, form = by_teacher.reveal, t.form
    prot = protection(p, by_teacher.protect)
    seen, learned = led.exposure, led.learned
    taught, tacit = led_t.taught, rules.tacitness
    fresh = freshness(p, pace)
    # model 3 keeps what was learned from a faster teacher: it goes out of date (paces are
    # fixed, so what a teacher no faster than the learner taught never needs keeping)
    source = None
    if p.model_version >= 3 and outdating_rate(p, pace, learner_pace) > 0.0:
        if led.sources is None:
            led.sources = {}
        source = led.sources.setdefault(teacher, dict.fromkeys(rules.domains, 0.0))
    beta = p.beta
    for k in inside:
        xk = exposure(p, True, rel_t.get(k, 0.0), reveal.get(k, 0.0), form, prot)
        if xk > seen[k]:
            seen[k] = xk
        effort = absorb.get(k, 0.0)
        if effort > 0.0 and c_t[k] > c_l[k]:
            gained = fresh * learning(p, tacit[k], xk, c_l[k], c_t[k], effort)
            learned[k] += gained
            if source is not None:
                source[k] += gained
        taught[k] += beta * xk * c_t[k]
    if not outside:
        return
    # outside the scope the exposure is the same for every domain, and the effort is the
    # firm's ambient absorption (its mean over the scope; the list built in a loop, the
    # cheapest way in CPython 3.11)
    xk = exposure(p, False, 0.0, 0.0, form, prot)
    scope = t.scope
    effort = 0.0
    if scope:
        amounts = []
        for k in scope:
            amounts.append(absorb.get(k, 0.0))
        effort = fsum(amounts) / len(scope)
    for k in outside:
        if xk > seen[k]:
            seen[k] = xk
        if effort > 0.0 and c_t[k] > c_l[k]:
            gained = fresh * learning(p, tacit[k], xk, c_l[k], c_t[k], effort)
            learned[k] += gained
            if source is not None:
                source[k] += gained


# ---- model 3: what was learned from a faster partner goes out of date --------------------

def outdated(p, state: SessionState, firm) -> dict[str, float]:
    """Model 3: per domain, the competence points of what `firm` learned from its partners
    that go out of date this round: each partner's stock (`firm.learned_from`, at the start
    of the round) times `outdating_rate`. Partners in sorted order, so the sum is the same
    whatever order a snapshot kept them in. The books (`game_rules.books`) use it too."""
    out = dict.fromkeys(firm.competence, 0.0)
    for teacher in sorted(firm.learned_from):
        rate = outdating_rate(p, state.firms[teacher].pace, firm.pace)
        if rate > 0.0:
            for k, v in firm.learned_from[teacher].items():
                out[k] += rate * v
    return out


def outdate(p, before: SessionState, firm, led: Ledger):
    """`outdated` for this round (the same sums, in the same order), and the firm's new
    stock learned from partners: after this round's loss and learning, before decay
    (applied with the competence). The old stock is never changed (the state before the
    round keeps it)."""
    lost = dict.fromkeys(firm.competence, 0.0)
    keep = 1.0 - p.decay
    old_all, new_all = firm.learned_from, led.sources or {}
    stock: dict[str, dict[str, float]] = {}
    teachers = old_all.keys() | new_all.keys()
    for teacher in sorted(teachers) if len(teachers) > 1 else teachers:  # (most firms: one)
        rate = outdating_rate(p, before.firms[teacher].pace, firm.pace)
        old, new = old_all.get(teacher), new_all.get(teacher)
        held = {}
        for k in lost:
            had = old[k] if old else 0.0
            if had:
                lost[k] += rate * had
            held[k] = (had - rate * had + (new[k] if new else 0.0)) * keep
        stock[teacher] = held
    return lost, stock


def still_current(stock: dict[str, dict[str, float]], comp: dict[str, float]) -> dict[str, dict[str, float]]:
    """The stock learned from partners, never more than the competence it is part of (a
    competence clamped at 0 or at the ceiling takes its parts with it)."""
    for held in stock.values():
        for k, v in held.items():
            c = comp[k]
            if v > c:
                held[k] = c
    return stock
