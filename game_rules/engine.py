"""`resolve_round`: the rules of GAME.md section 6 as one pure function.

    resolve_round(rules, state, decisions) -> (next_state, events)

No randomness is needed to resolve a round (noise lives only in the views' benchmark
estimates, seeded per session, round and firm), so the result is a function of the state
and the decisions alone. The input state is never modified.
"""
from __future__ import annotations

from math import fsum, sqrt

from .decisions import DecisionError, default_decision, validate_decision
from .events import (AllianceEnded, DefaultApplied, Event, FirmRoundResult, JointValue,
                     RoundResolved, TrancheReleased, TrancheWithheld, TrustChanged)
from .rules import Rules
from .state import Alliance, Decision, SessionState


def clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


# ---- the formulas, one function each (unit-tested against hand-computed numbers) ------

def effective_contribution(x: dict[str, float], own: dict[str, float], partner: dict[str, float],
                           domains) -> float:
    """E_i = sum_k x_k * c_ik/100 * (1 + max(0, c_ik - c_jk)/100): worth more where the partner is weak."""
    e = 0.0
    for k in domains:
        xk = x.get(k, 0.0)
        if xk:
            ci = own[k]
            diff = ci - partner[k]
            e += xk * ci / 100.0 * (1.0 + (diff if diff > 0 else 0.0) / 100.0)
    return e


def joint_value(p, e_i: float, e_j: float, mean_reveal: float, mean_released: float,
                trust: float, form: str) -> float:
    """V = A sqrt(E_i E_j) (1 + lambda o) (1 + kappa rel) (0.5 + 0.5 T) phi."""
    if e_i <= 0 or e_j <= 0:
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
    if gap <= 0 or effort <= 0 or x <= 0:
        return 0.0
    ac = (learner + p.c0) / (learner + p.c0 + gap)
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
    return p.delta * pace * sqrt(points) if points > 0 else 0.0


def market_income(p, position: float, rival_position: float) -> float:
    total = position + rival_position
    return p.mu * position / total if total > 0 else 0.0


def dependency(rules: Rules, own: dict[str, float], partner: dict[str, float],
               partner_domains, pos: float | None = None) -> float:
    """D_i = sum_{k in C_j} w_k max(0, c_jk - c_ik) / P_i (`pos`: P_i, when known already)."""
    if pos is None:
        pos = rules.position(own)
    if pos <= 0:
        return 1.0
    w = rules.weight
    return fsum(w[k] * max(0.0, partner[k] - own[k]) for k in partner_domains) / pos


# ---- one round ---------------------------------------------------------------------

class _Ledger:
    """Per-firm accumulators for one round (keeps resolve_round's loops flat)."""
    __slots__ = ("value", "penalty", "learned", "taught", "exposure", "sources")

    def __init__(self, domains):
        self.value = 0.0
        self.penalty = 0.0
        self.learned = dict.fromkeys(domains, 0.0)
        self.taught = dict.fromkeys(domains, 0.0)
        self.exposure = dict.fromkeys(domains, 0.0)
        # model 3: teacher -> domain -> learned from it, for teachers whose lessons go out of date
        self.sources: dict[str, dict[str, float]] | None = None


def resolve_round(rules: Rules, state: SessionState, decisions: dict[str, Decision]):
    """Resolve the next round. Firms missing from `decisions` play `default_decision`
    (and a `DefaultApplied` event says so). Raises `DecisionError` on an illegal decision."""
    if state.phase != "execution":
        raise DecisionError("wrong_phase", f"rounds are resolved in the execution phase (now: {state.phase})")
    events: list[Event] = []
    decisions = dict(decisions)
    by_firm = _alliances_by_firm(state)
    for fid in state.firms:
        if fid not in decisions:
            decisions[fid] = default_decision(rules, state, fid)
            events.append(DefaultApplied(fid, state.round + 1, decisions[fid].to_dict()))
        else:
            validate_decision(rules, state, decisions[fid], by_firm.get(fid, []))
    s = state.clone()
    s.round += 1
    rnd = s.round
    p = rules.params
    ledgers = {fid: _Ledger(rules.domains) for fid in s.firms}
    start_comp = {fid: f.competence for fid, f in state.firms.items()}
    rival_pos = rules.position(state.rival)

    for al in s.alliances.values():
        if al.status == "active":
            _handle_exits(al, decisions, ledgers, events, rnd)
    active = [al for al in s.alliances.values() if al.status == "active"]
    shares = _contribution_shares(active)
    for al in active:
        _resolve_alliance(rules, al, decisions, shares, start_comp, ledgers, events, rnd, s.firms)

    firm_results = _update_firms(rules, state, s, decisions, ledgers, rival_pos, rnd)
    by_firm_all = _alliances_by_firm(s, active_only=False)
    for fid, res in firm_results.items():
        for al in by_firm_all.get(fid, ()):
            if al.status == "active" or al.ended_round == rnd:
                res.trust[al.id] = al.trust[fid]
                partner = al.partner(fid)
                res.dependency[al.id] = dependency(  # (res.position: the firm's new position)
                    rules, s.firms[fid].competence, s.firms[partner].competence,
                    al.terms.contributions.get(partner, ()), res.position)
    g = p.rival_growth
    s.rival = {k: v * (1 + g) for k, v in s.rival.items()}
    events.extend(firm_results.values())
    events.append(RoundResolved(rnd, rules.position(s.rival), dict(s.rival)))
    if rnd >= s.rounds:
        s.phase = "debrief"
    return s, events


def _alliances_by_firm(state: SessionState, active_only: bool = True) -> dict[str, list[Alliance]]:
    """firm id -> its alliances, built once per round (a class can hold hundreds)."""
    out: dict[str, list[Alliance]] = {}
    for al in state.alliances.values():
        if al.status == "active" or not active_only:
            for f in al.firms:
                out.setdefault(f, []).append(al)
    return out


def _handle_exits(al: Alliance, decisions, ledgers, events, rnd) -> None:
    """End the alliance if a partner exits; the leaver pays the penalty unless a trigger
    fired. When both leave in the same round it is a mutual exit: nobody pays."""
    leavers = [fid for fid in al.firms if al.id in decisions[fid].exit]
    if len(leavers) == 2:
        al.status, al.ended_round, al.ended_reason = "exited", rnd, "mutual exit"
        events.append(AllianceEnded(al.id, rnd, "exited", None, 0.0, "mutual"))
        return
    for fid in leavers:
        partner = al.partner(fid)
        trigger = None
        if al.terms.exit_on_breach and al.breach.get(partner):
            trigger = "partner_breach"
        elif al.trust[fid] < al.terms.exit_trust_below:
            trigger = "trust_below"
        penalty = 0.0 if trigger else al.terms.exit_penalty
        ledgers[fid].penalty -= penalty
        ledgers[partner].penalty += penalty
        al.status, al.ended_round, al.ended_reason = "exited", rnd, f"exit by {fid}"
        events.append(AllianceEnded(al.id, rnd, "exited", fid, penalty, trigger))
        return


def _resolve_alliance(rules: Rules, al: Alliance, decisions, shares, comp, ledgers, events, rnd,
                      firms) -> None:
    rules = rules.of(al.firms[0])  # partners play the same alliance-level settings (game_rules.treatments)
    p = rules.params
    t = al.terms
    a, b = al.firms
    # 1. tranches due this round are released, unless withheld (a breach)
    rel: dict[str, dict[str, float]] = {}
    breached = dict.fromkeys(al.firms, False)
    for f in al.firms:
        partner = al.partner(f)
        n = t.tranches[f]
        due = n if t.release == "upfront" else min(n, int(al.cum_contribution[partner] // t.milestone))
        withheld = decisions[f].withhold.get(al.id, ())
        rel[f] = {}
        for k in t.contributions.get(f, ()):
            done = al.released[f][k]
            if due > done:
                if k in withheld:
                    breached[f] = True
                    events.append(TrancheWithheld(al.id, f, k, due, rnd))
                else:
                    al.released[f][k] = done = due
                    events.append(TrancheReleased(al.id, f, k, due, n, rnd))
            rel[f][k] = done / n
    # 2. joint value from effective contributions
    x = {f: {k: decisions[f].contribute.get(k, 0.0) / shares[f, k] for k in t.contributions.get(f, ())}
         for f in al.firms}
    e = {f: effective_contribution(x[f], comp[f], comp[al.partner(f)], rules.domains) for f in al.firms}
    scope = t.scope
    reveals = [decisions[f].reveal.get(k, 0.0) for f in al.firms for k in scope]
    mean_reveal = sum(reveals) / len(reveals) if reveals else 0.0
    rel_all = [v for f in al.firms for v in rel[f].values()]
    mean_rel = sum(rel_all) / len(rel_all) if rel_all else 0.0
    trust_used = min(al.trust.values())
    v = joint_value(p, e[a], e[b], mean_reveal, mean_rel, trust_used, t.form)
    for f in al.firms:
        ledgers[f].value += t.split[f] * v
    events.append(JointValue(al.id, rnd, v, {f: t.split[f] * v for f in al.firms}, e,
                             mean_reveal, mean_rel, trust_used))
    # 3. exposure, learning, learning by teaching (on start-of-round competences)
    beta, tacit, form = p.beta, rules.tacitness, t.form
    for learner, teacher in ((a, b), (b, a)):
        absorb, reveal = decisions[learner].absorb, decisions[teacher].reveal
        prot = protection(p, decisions[teacher].protect)
        ambient = fsum(absorb.get(k, 0.0) for k in scope) / len(scope) if scope else 0.0
        seen, learned, taught = ledgers[learner].exposure, ledgers[learner].learned, ledgers[teacher].taught
        c_l, c_t, rel_t = comp[learner], comp[teacher], rel[teacher]
        fresh = freshness(p, firms[teacher].pace)
        # model 3 keeps what was learned from a faster teacher: it goes out of date (paces are
        # fixed, so what a teacher no faster than the learner taught never needs keeping)
        source = None
        if p.model_version >= 3 and outdating_rate(p, firms[teacher].pace, firms[learner].pace) > 0.0:
            led = ledgers[learner]
            if led.sources is None:
                led.sources = {}
            source = led.sources.setdefault(teacher, dict.fromkeys(rules.domains, 0.0))
        for k in rules.domains:
            inside = k in scope
            xk = exposure(p, inside, rel_t.get(k, 0.0), reveal.get(k, 0.0), form, prot)
            if xk > seen[k]:
                seen[k] = xk
            effort = absorb.get(k, 0.0) if inside else ambient
            if effort > 0.0:
                gained = fresh * learning(p, tacit[k], xk, c_l[k], c_t[k], effort)
                learned[k] += gained
                if source is not None:
                    source[k] += gained
            if inside:
                taught[k] += beta * xk * c_t[k]
    # 4. trust and contributions
    _update_trust(p, al, decisions, x, breached, events, rnd)
    for f in al.firms:
        al.cum_contribution[f] += fsum(x[f].values())
        # a firm is in breach while it withholds a due tranche; releasing it cures the breach
        al.breach[f] = breached[f]
    if min(al.trust.values()) < p.dissolve_below:
        al.status, al.ended_round, al.ended_reason = "dissolved", rnd, "trust"
        events.append(AllianceEnded(al.id, rnd, "dissolved"))
    elif rnd >= al.signed_round + t.duration:
        al.status, al.ended_round, al.ended_reason = "ended", rnd, "completed"
        events.append(AllianceEnded(al.id, rnd, "completed"))


def _contribution_shares(active: list[Alliance]) -> dict[tuple[str, str], int]:
    """How many active alliances each (firm, domain) contribution is split across: points
    contributed to a domain promised to two partners are shared evenly, never counted twice."""
    n: dict[tuple[str, str], int] = {}
    for al in active:
        for f, doms in al.terms.contributions.items():
            for k in doms:
                n[f, k] = n.get((f, k), 0) + 1
    return n


def _update_trust(p, al: Alliance, decisions, x, breached, events, rnd) -> None:
    budget = p.budget
    convergent = all(fsum(decisions[f].absorb.values()) > p.convergent_share * budget for f in al.firms)
    for f in al.firms:
        partner = al.partner(f)
        before = al.trust[f]
        delta, reasons = 0.0, []
        if breached[partner]:
            delta -= p.trust_withhold
            reasons.append("partner_withheld")
        under = fsum(x[partner].values()) + 1e-9 < al.terms.min_effort.get(partner, 0.0)
        if under:
            delta -= p.trust_under_min
            reasons.append("partner_under_minimum")
        if not breached[partner] and not under:
            delta += p.trust_meet
            reasons.append("partner_met_terms")
        if convergent:
            delta -= p.trust_convergent
            reasons.append("convergent_intents")
        al.trust[f] = after = clamp(before + delta, 0.0, 1.0)
        if after != before:
            events.append(TrustChanged(al.id, f, rnd, before, after, reasons))


def _update_firms(rules: Rules, before: SessionState, s: SessionState, decisions, ledgers,
                  rival_pos: float, rnd: int) -> dict[str, FirmRoundResult]:
    out = {}
    for fid, firm in s.firms.items():
        p = rules.of(fid).params
        keep = 1.0 - p.decay
        cap = p.max_competence
        d = decisions[fid]
        led = ledgers[fid]
        developed, comp = {}, {}
        develop, learned, taught, pace = d.develop, led.learned, led.taught, firm.pace
        lost = _outdate(p, s, firm, led) if firm.learned_from or led.sources else None
        for k, c in firm.competence.items():
            developed[k] = dev = development(p, pace, develop.get(k, 0.0))
            c = (c + learned[k] + taught[k] + dev - (lost[k] if lost is not None else 0.0)) * keep
            comp[k] = 0.0 if c < 0.0 else cap if c > cap else c  # clamp(c, 0, cap), without the call
        firm.competence = comp
        if lost is not None:
            firm.learned_from = _still_current(firm.learned_from, comp)
        market = market_income(p, rules.position(before.firms[fid].competence), rival_pos)
        unspent = p.budget - d.spent()
        firm.cash += led.value + market + unspent + led.penalty
        out[fid] = FirmRoundResult(fid, rnd, firm.cash, led.value, market, unspent, led.penalty,
                                   rules.position(comp), dict(comp), led.learned, led.taught,
                                   developed, exposure=led.exposure)
    return out


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


def _outdate(p, s: SessionState, firm, led: _Ledger) -> dict[str, float]:
    """`outdated` for this round (the same sums, in the same order); `firm.learned_from`
    becomes a new stock: after this round's loss and learning, before decay (applied with
    the competence). The old one is never changed (a cloned state shares it)."""
    lost = dict.fromkeys(firm.competence, 0.0)
    keep = 1.0 - p.decay
    old_all, new_all = firm.learned_from, led.sources or {}
    stock: dict[str, dict[str, float]] = {}
    for teacher in sorted(old_all.keys() | new_all.keys()):
        rate = outdating_rate(p, s.firms[teacher].pace, firm.pace)
        old, new = old_all.get(teacher), new_all.get(teacher)
        held = {}
        for k in lost:
            had = old[k] if old else 0.0
            if had:
                lost[k] += rate * had
            held[k] = (had - rate * had + (new[k] if new else 0.0)) * keep
        stock[teacher] = held
    firm.learned_from = stock
    return lost


def _still_current(stock: dict[str, dict[str, float]], comp: dict[str, float]) -> dict[str, dict[str, float]]:
    """The stock learned from partners, never more than the competence it is part of (a
    competence clamped at 0 or at the ceiling takes its parts with it)."""
    for held in stock.values():
        for k, v in held.items():
            c = comp[k]
            if v > c:
                held[k] = c
    return stock
