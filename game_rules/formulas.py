"""The formulas of GAME.md section 6, one function each, unit-tested against hand-computed
numbers (tests/test_formulas.py). `resolve_round` (game_rules/engine.py) applies them to a
round; the books, the views, scoring and the bots read single terms of them.

(Numbers are compared with 0.0, not 0: the same test, and CPython 3.11 specialises a
comparison of two floats only; the engine calls these formulas dozens of times a round.)"""
from __future__ import annotations

from math import fsum, sqrt

from .rules import Rules


def clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def effective_contribution(x: dict[str, float], own: dict[str, float], partner: dict[str, float],
                           domains) -> float:
    """E_i = sum_k x_k * c_ik/100 * (1 + max(0, c_ik - c_jk)/100): worth more where the partner is weak."""
    e = 0.0
    for k in domains:
        if k not in x:  # (no points: nothing to add; cheaper than x.get for the many such domains)
            continue
        xk = x[k]
        if xk:
            ci = own[k]
            diff = ci - partner[k]
            e += xk * ci / 100.0 * (1.0 + (diff if diff > 0.0 else 0.0) / 100.0)
    return e


def joint_value(p, e_i: float, e_j: float, mean_reveal: float, mean_released: float,
                trust: float, form: str) -> float:
    """V = A sqrt(E_i E_j) (1 + lambda o) (1 + kappa rel) (0.5 + 0.5 T) phi."""
    if e_i <= 0.0 or e_j <= 0.0:
        return 0.0
    phi = p.phi_parallel if form == "parallel" else p.phi_serial
    return (p.value_scale * sqrt(e_i * e_j) * (1 + p.lam * mean_reveal)
            * (1 + p.kappa * mean_released) * (0.5 + 0.5 * trust) * phi)


def protection(p, points: float) -> float:
    """prot = 1 - gamma p / (p + P0): the share of leakage that gets past the gatekeepers."""
    return 1.0 - p.gamma * points / (points + p.p0)


def exposure(p, in_scope: bool, released: float, reveal: float, form: str, prot: float) -> float:
    """X: how much of the partner's domain crosses the membrane this round."""
    leak = p.leak_parallel if form == "parallel" else p.leak_serial
    if not in_scope:
        return p.epsilon * leak * prot
    return released + (1.0 - released) * reveal * leak * prot


def learning(p, tacitness: float, x: float, learner: float, teacher: float, effort: float) -> float:
    """dc = eta (1 - tau) X gap ac a/(a + A0), ac = (c + c0)/(c + c0 + gap)."""
    gap = teacher - learner
    if gap <= 0.0 or effort <= 0.0 or x <= 0.0:
        return 0.0
    held = learner + p.c0
    ac = held / (held + gap)
    return p.eta * (1.0 - tacitness) * x * gap * ac * effort / (effort + p.a0)


def freshness(p, teacher_pace: float) -> float:
    """The share of what a learner absorbs from a partner that is still current when it is
    put to use: (1 + omega)/(1 + omega pace_j). 1 at pace 1, less behind a faster developer
    (it has moved on from what was copied), more behind a slower one (its fixed stock of
    advantage stays current). Model 1 had no such term (docs/model.md, section 4)."""
    if p.model_version < 2:
        return 1.0
    w = p.obsolescence
    return (1.0 + w) / (1.0 + w * teacher_pace)


def outdating_rate(p, teacher_pace: float, learner_pace: float) -> float:
    """The share of what a learner still holds from a partner that goes out of date this
    round (model 3): theta * (pace_j - pace_i) when the partner develops faster than the
    learner, else 0, never above 1. A learner can keep its copy current only as fast as it
    develops itself; what it cannot keep up with is the difference ("you can only draft
    behind the leader if the speed differential is not too great", docs/model.md section 10)."""
    d = teacher_pace - learner_pace
    if d <= 0.0 or p.model_version < 3:
        return 0.0
    r = p.outdating * d
    return r if r < 1.0 else 1.0


def development(p, pace: float, points: float) -> float:
    return p.delta * pace * sqrt(points) if points > 0.0 else 0.0


def market_income(p, position: float, rival_position: float) -> float:
    total = position + rival_position
    return p.mu * position / total if total > 0.0 else 0.0


def dependency(rules: Rules, own: dict[str, float], partner: dict[str, float],
               partner_domains, pos: float | None = None) -> float:
    """D_i = sum_{k in C_j} w_k max(0, c_jk - c_ik) / P_i (`pos`: P_i, when known already)."""
    if pos is None:
        pos = rules.position(own)
    if pos <= 0.0:
        return 1.0
    w = rules.weight
    # (max(0.0, c_j - c_i) without the call: c_j > c_i exactly when c_j - c_i > 0; fsum is
    # exact, so any list of the terms gives the same sum; built in a loop, the cheapest way)
    terms = []
    for k in partner_domains:
        terms.append(w[k] * (partner[k] - own[k] if partner[k] > own[k] else 0.0))
    return fsum(terms) / pos
