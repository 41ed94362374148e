"""`resolve_round`: the rules of GAME.md section 6 as one pure function.

    resolve_round(rules, state, decisions) -> (next_state, events)

No randomness is needed to resolve a round (noise lives only in the views' benchmark
estimates, seeded per session, round and firm), so the result is a function of the state
and the decisions alone. The input state is never modified.
"""
from __future__ import annotations

from functools import lru_cache
from math import fsum

from .decisions import DecisionError, default_decision, validate_decision
from .events import (AllianceEnded, DefaultApplied, Event, FirmRoundResult, JointValue,
                     RoundResolved, TrancheReleased, TrancheWithheld, TrustChanged)
# (the formulas are read as engine.<name> too: books, views, scoring, tests)
from .formulas import (clamp, dependency, development, effective_contribution, exposure,  # noqa: F401
                       freshness, joint_value, learning, market_income, outdating_rate, protection)
from .rules import Rules
from .state import Alliance, Decision, SessionState


# ---- one round ---------------------------------------------------------------------

class _Ledger:
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


def resolve_round(rules: Rules, state: SessionState, decisions: dict[str, Decision]):
    """Resolve the next round. Firms missing from `decisions` play `default_decision`
    (and a `DefaultApplied` event says so). Raises `DecisionError` on an illegal decision."""
    if state.phase != "execution":
        raise DecisionError("wrong_phase", f"rounds are resolved in the execution phase (now: {state.phase})")
    events: list[Event] = []
    decisions = dict(decisions)
    by_firm = _alliances_by_firm(state)
    spent = {}  # firm -> the points its decision spends (validation sums them)
    for fid in state.firms:
        if fid not in decisions:
            decisions[fid] = d = default_decision(rules, state, fid)
            events.append(DefaultApplied(fid, state.round + 1, d.to_dict()))
            spent[fid] = d.spent()
        else:
            spent[fid] = validate_decision(rules, state, decisions[fid], by_firm.get(fid, []))
    rnd = state.round + 1
    # the next state: every alliance copied (the round changes the active ones); the firms
    # are built anew by _update_firms (their competence and cash are new), the rival at the end
    alliances = {k: al.clone() for k, al in state.alliances.items()}
    s = SessionState(state.scenario_id, state.seed, rnd, state.rounds, state.phase, {}, alliances,
                     state.rival, state.start_rival)
    p = rules.numbers
    zeros = dict.fromkeys(rules.domains, 0.0)
    ledgers = {fid: _Ledger(zeros) for fid in state.firms}
    start_comp = {fid: f.competence for fid, f in state.firms.items()}
    rival_pos = rules.position(state.rival)

    # the alliances active at the start of the round, as the next state's copies (the same
    # order as `by_firm`): the ones this round plays, ends, and reports on
    started = [al for al in alliances.values() if al.status == "active"]
    for al in started:
        _handle_exits(al, decisions, ledgers, events, rnd)
    active = [al for al in started if al.status == "active"]
    shares = _contribution_shares(active)
    for al in active:
        _resolve_alliance(rules, al, decisions, shares, start_comp, ledgers, events, rnd, state.firms)

    firm_results = _update_firms(rules, state, s, decisions, spent, ledgers, rival_pos, rnd)
    _report_alliances(rules, s, started, firm_results)
    g1 = 1 + p.rival_growth
    s.rival = {k: v * g1 for k, v in state.rival.items()}
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
                mine = out.get(f)
                if mine is None:
                    out[f] = [al]
                else:
                    mine.append(al)
    return out


def _report_alliances(rules: Rules, s: SessionState, started: list[Alliance], results) -> None:
    """Each firm's trust in and dependency on the partner of every alliance it played this
    round (still active, or ended by it), on the new competences (`res.position`: the
    firm's new position), in the order of the session's alliances."""
    firms = s.firms
    for al in started:
        a, b = al.firms
        for fid, partner in ((a, b), (b, a)):
            res = results[fid]
            res.trust[al.id] = al.trust[fid]
            res.dependency[al.id] = dependency(rules, firms[fid].competence, firms[partner].competence,
                                               al.terms.contributions.get(partner, ()), res.position)


def _handle_exits(al: Alliance, decisions, ledgers, events, rnd) -> None:
    """End the alliance if a partner exits; the leaver pays the penalty unless a trigger
    fired. When both leave in the same round it is a mutual exit: nobody pays."""
    a, b = al.firms
    if not (decisions[a].exit or decisions[b].exit):  # (most rounds: nobody leaves anything)
        return
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
    p = rules.numbers
    t = al.terms
    a, b = al.firms
    da, db = decisions[a], decisions[b]
    # 1. tranches due this round are released, unless withheld (a breach)
    rel_a, breach_a = _release(al, t, a, b, da.withhold, events, rnd)
    rel_b, breach_b = _release(al, t, b, a, db.withhold, events, rnd)
    breached = {a: breach_a, b: breach_b}
    # 2. joint value from effective contributions
    contributions = t.contributions
    x = {a: _points(da.contribute, contributions.get(a, ()), shares.get(a)),
         b: _points(db.contribute, contributions.get(b, ()), shares.get(b))}
    e = {a: effective_contribution(x[a], comp[a], comp[b], rules.domains),
         b: effective_contribution(x[b], comp[b], comp[a], rules.domains)}
    scope = t.scope
    ra, rb = da.reveal, db.reveal
    reveals = [ra.get(k, 0.0) for k in scope] + [rb.get(k, 0.0) for k in scope]
    mean_reveal = sum(reveals) / len(reveals) if reveals else 0.0
    rel_all = [*rel_a.values(), *rel_b.values()]
    mean_rel = sum(rel_all) / len(rel_all) if rel_all else 0.0
    trust_used = min(al.trust.values())
    v = joint_value(p, e[a], e[b], mean_reveal, mean_rel, trust_used, t.form)
    split = t.split
    va, vb = split[a] * v, split[b] * v
    ledgers[a].value += va
    ledgers[b].value += vb
    events.append(JointValue(al.id, rnd, v, {a: va, b: vb}, e, mean_reveal, mean_rel, trust_used))
    # 3. exposure, learning, learning by teaching (on start-of-round competences)
    inside, outside = _split(rules.domains, tuple(scope))  # (a list, if terms were built by hand)
    pace_a, pace_b = firms[a].pace, firms[b].pace
    _learn(rules, p, t, da.absorb, db, comp[a], comp[b], rel_b, ledgers[a], ledgers[b], b, pace_b, pace_a,
           inside, outside)
    _learn(rules, p, t, db.absorb, da, comp[b], comp[a], rel_a, ledgers[b], ledgers[a], a, pace_a, pace_b,
           inside, outside)
    # 4. trust and contributions
    given = {a: fsum(x[a].values()), b: fsum(x[b].values())}
    _update_trust(p, al, da, db, given, breached, events, rnd)
    cum = al.cum_contribution
    cum[a] += given[a]
    cum[b] += given[b]
    # a firm is in breach while it withholds a due tranche; releasing it cures the breach
    al.breach[a], al.breach[b] = breach_a, breach_b
    if min(al.trust.values()) < p.dissolve_below:
        al.status, al.ended_round, al.ended_reason = "dissolved", rnd, "trust"
        events.append(AllianceEnded(al.id, rnd, "dissolved"))
    elif rnd >= al.signed_round + t.duration:
        al.status, al.ended_round, al.ended_reason = "ended", rnd, "completed"
        events.append(AllianceEnded(al.id, rnd, "completed"))

def _release(al: Alliance, t, f: str, partner: str, withhold, events, rnd) -> tuple[dict[str, float], bool]:
    """Step 1 for firm `f`: its tranches due this round are released unless withheld. The
    share released per contributed domain, and whether `f` withheld a due one (a breach)."""
    n = t.tranches[f]
    due = n if t.release == "upfront" else min(n, int(al.cum_contribution[partner] // t.milestone))
    withheld = withhold.get(al.id, ()) if withhold else ()
    released = al.released[f]
    rel: dict[str, float] = {}
    breached = False
    for k in t.contributions.get(f, ()):
        done = released[k]
        if due > done:
            if k in withheld:
                breached = True
                events.append(TrancheWithheld(al.id, f, k, due, rnd))
            else:
                released[k] = done = due
                events.append(TrancheReleased(al.id, f, k, due, n, rnd))
        rel[k] = done / n
    return rel, breached


@lru_cache(maxsize=256)
def _split(domains: tuple[str, ...], scope: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The domains inside and outside `scope`, each in the scenario's order (a function of
    its arguments alone: kept for the scopes seen, at most one per subset of the domains)."""
    return tuple(k for k in domains if k in scope), tuple(k for k in domains if k not in scope)


def _points(contribute: dict[str, float], domains, shares: dict[str, int] | None) -> dict[str, float]:
    """A firm's contribution points to this alliance per domain: a domain promised to
    several active alliances has its points split evenly between them."""
    return {k: contribute.get(k, 0.0) / shares[k] for k in domains}


def _learn(rules: Rules, p, t, absorb: dict[str, float], by_teacher: Decision, c_l, c_t, rel_t,
           led: _Ledger, led_t: _Ledger, teacher: str, pace: float, learner_pace: float,
           inside: tuple[str, ...], outside: tuple[str, ...]) -> None:
    """Step 3 in one direction: what the learner (`absorb`, competences `c_l`, ledger `led`)
    sees of the teacher's domains and learns from them, and what the teacher (`by_teacher`,
    `c_t`, released shares `rel_t`, `led_t`, `pace`) learns by teaching; the domains of the
    scope (`inside`) and the others (`outside`), each in the scenario's order."""
    reveal, form = by_teacher.reveal, t.form
    prot = protection(p, by_teacher.protect)
    seen, learned, taught, tacit = led.exposure, led.learned, led_t.taught, rules.tacitness
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
        if effort > 0.0:
            gained = fresh * learning(p, tacit[k], xk, c_l[k], c_t[k], effort)
            learned[k] += gained
            if source is not None:
                source[k] += gained
        taught[k] += beta * xk * c_t[k]
    if not outside:
        return
    # outside the scope the exposure is the same for every domain, and the effort is the
    # firm's ambient absorption (its mean over the scope)
    xk = exposure(p, False, 0.0, 0.0, form, prot)
    scope = t.scope
    effort = fsum([absorb.get(k, 0.0) for k in scope]) / len(scope) if scope else 0.0
    for k in outside:
        if xk > seen[k]:
            seen[k] = xk
        if effort > 0.0:
            gained = fresh * learning(p, tacit[k], xk, c_l[k], c_t[k], effort)
            learned[k] += gained
            if source is not None:
                source[k] += gained


def _contribution_shares(active: list[Alliance]) -> dict[str, dict[str, int]]:
    """firm -> domain -> how many active alliances that contribution is split across:
    points contributed to a domain promised to two partners are shared evenly, never
    counted twice."""
    n: dict[str, dict[str, int]] = {}
    for al in active:
        for f, doms in al.terms.contributions.items():
            mine = n.get(f)
            if mine is None:
                mine = n[f] = {}
            for k in doms:
                mine[k] = mine.get(k, 0) + 1
    return n


def _update_trust(p, al: Alliance, da: Decision, db: Decision, given: dict[str, float], breached,
                  events, rnd) -> None:
    """Step 4: each firm's trust in its partner (`given`: each firm's contribution points)."""
    share = p.convergent_share * p.budget
    convergent = fsum(da.absorb.values()) > share and fsum(db.absorb.values()) > share
    a, b = al.firms
    min_effort, trust = al.terms.min_effort, al.trust
    for f, partner in ((a, b), (b, a)):
        before = trust[f]
        delta, reasons = 0.0, []
        if breached[partner]:
            delta -= p.trust_withhold
            reasons.append("partner_withheld")
        under = given[partner] + 1e-9 < min_effort.get(partner, 0.0)
        if under:
            delta -= p.trust_under_min
            reasons.append("partner_under_minimum")
        if not breached[partner] and not under:
            delta += p.trust_meet
            reasons.append("partner_met_terms")
        if convergent:
            delta -= p.trust_convergent
            reasons.append("convergent_intents")
        trust[f] = after = clamp(before + delta, 0.0, 1.0)
        if after != before:
            events.append(TrustChanged(al.id, f, rnd, before, after, reasons))


def _update_firms(rules: Rules, before: SessionState, s: SessionState, decisions, spent, ledgers,
                  rival_pos: float, rnd: int) -> dict[str, FirmRoundResult]:
    """Every firm of the next state (`s.firms`, built here in the session's order) and its
    round result: competences, the stock learned from partners (model 3), cash."""
    out = {}
    firms = s.firms
    position = rules.position
    for fid, firm in before.firms.items():
        p = rules.of(fid).numbers
        keep = 1.0 - p.decay
        cap = p.max_competence
        d = decisions[fid]
        led = ledgers[fid]
        developed, comp = {}, {}
        develop, learned, taught, pace = d.develop, led.learned, led.taught, firm.pace
        stock, lost = firm.learned_from, None
        if stock or led.sources:
            lost, stock = _outdate(p, before, firm, led)
        if lost is None:  # (x - 0.0 is x: the same sums without the lookup)
            for k, c in firm.competence.items():
                developed[k] = dev = development(p, pace, develop.get(k, 0.0))
                c = (c + learned[k] + taught[k] + dev) * keep
                comp[k] = 0.0 if c < 0.0 else cap if c > cap else c  # clamp(c, 0, cap), without the call
        else:
            for k, c in firm.competence.items():
                developed[k] = dev = development(p, pace, develop.get(k, 0.0))
                c = (c + learned[k] + taught[k] + dev - lost[k]) * keep
                comp[k] = 0.0 if c < 0.0 else cap if c > cap else c
            stock = _still_current(stock, comp)
        market = market_income(p, position(firm.competence), rival_pos)
        unspent = p.budget - spent[fid]
        cash = firm.cash + (led.value + market + unspent + led.penalty)
        firms[fid] = firm.after_round(comp, cash, stock)
        out[fid] = FirmRoundResult(fid, rnd, cash, led.value, market, unspent, led.penalty,
                                   position(comp), dict(comp), learned, taught, developed,
                                   exposure=led.exposure)
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


def _outdate(p, before: SessionState, firm, led: _Ledger):
    """`outdated` for this round (the same sums, in the same order), and the firm's new
    stock learned from partners: after this round's loss and learning, before decay
    (applied with the competence). The old stock is never changed (the state before the
    round keeps it)."""
    lost = dict.fromkeys(firm.competence, 0.0)
    keep = 1.0 - p.decay
    old_all, new_all = firm.learned_from, led.sources or {}
    stock: dict[str, dict[str, float]] = {}
    for teacher in sorted(old_all.keys() | new_all.keys()):
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


def _still_current(stock: dict[str, dict[str, float]], comp: dict[str, float]) -> dict[str, dict[str, float]]:
    """The stock learned from partners, never more than the competence it is part of (a
    competence clamped at 0 or at the ceiling takes its parts with it)."""
    for held in stock.values():
        for k, v in held.items():
            c = comp[k]
            if v > c:
                held[k] = c
    return stock
