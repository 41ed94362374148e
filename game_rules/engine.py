"""`resolve_round`: the rules of GAME.md section 6 as one pure function.

    resolve_round(rules, state, decisions) -> (next_state, events)

No randomness is needed to resolve a round (noise lives only in the views' benchmark
estimates, seeded per session, round and firm), so the result is a function of the state
and the decisions alone. The input state is never modified. Step 3 (learning) is in
game_rules/learning_step.py.
"""
from __future__ import annotations

from math import fsum

from .decisions import DecisionError, default_decision, validate_decision
from .events import (AllianceEnded, DefaultApplied, Event, FirmRoundResult, JointValue,
                     RoundResolved, TrancheReleased, TrancheWithheld, TrustChanged)
# (the formulas are read as engine.<name> too: books, views, scoring, tests)
from .formulas import (clamp, dependency, development, effective_contribution, exposure,  # noqa: F401
                       freshness, joint_value, learning, market_income, outdating_rate, protection)
from .learning_step import Ledger, learn, outdate, outdated, split, still_current  # noqa: F401
from .rules import Rules
from .state import Alliance, Decision, SessionState


# ---- one round ---------------------------------------------------------------------

def resolve_round(rules: Rules, state: SessionState, decisions: dict[str, Decision]):
    """Resolve the next round. Firms missing from `decisions` play `default_decision`
    (and a `DefaultApplied` event says so). Raises `DecisionError` on an illegal decision."""
    if state.phase != "execution":
        raise DecisionError("wrong_phase", f"rounds are resolved in the execution phase (now: {state.phase})")
    events: list[Event] = []
    decisions = dict(decisions)
    by_firm = _alliances_by_firm(state)
    spent = {}  # firm -> the points its decision spends (validation sums them)
    exits = False  # (most rounds: nobody leaves anything)
    for fid in state.firms:
        d = decisions.get(fid)
        if d is None:
            decisions[fid] = d = default_decision(rules, state, fid)
            events.append(DefaultApplied(fid, state.round + 1, d.to_dict()))
            spent[fid] = d.spent()
        else:
            spent[fid] = validate_decision(rules, state, d, by_firm.get(fid, ()))
            if d.exit:
                exits = True
    rnd = state.round + 1
    # the next state: every alliance copied (the round changes the active ones); the firms
    # are built anew by _update_firms (their competence and cash are new), the rival at the end
    alliances = {k: al.clone() for k, al in state.alliances.items()}
    s = SessionState(state.scenario_id, state.seed, rnd, state.rounds, state.phase, {}, alliances,
                     state.rival, state.start_rival)
    p = rules.numbers
    zeros = dict.fromkeys(rules.domains, 0.0)
    ledgers = {fid: Ledger(zeros) for fid in state.firms}
    rival_pos = rules.position(state.rival)

    # the alliances active at the start of the round, as the next state's copies (the same
    # order as `by_firm`): the ones this round plays, ends, and reports on
    started = [al for al in alliances.values() if al.status == "active"]
    active = started
    if exits:
        for al in started:
            _handle_exits(al, decisions, ledgers, events, rnd)
        active = [al for al in started if al.status == "active"]
    # a domain promised to several active alliances has its points split between them; when
    # no firm plays two (the common case: as many firms as two per alliance) nothing is split
    shares = _contribution_shares(active) if exits or len(by_firm) != 2 * len(active) else None
    for al in active:
        _resolve_alliance(rules, al, decisions, shares, ledgers, events, rnd, state.firms)

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
        aid, trust, contributions = al.id, al.trust, al.terms.contributions
        res_a, res_b = results[a], results[b]
        comp_a, comp_b = firms[a].competence, firms[b].competence
        # (a's line, then b's: the two directions written out, no pair tuples to build)
        res_a.trust[aid] = trust[a]
        res_a.dependency[aid] = dependency(rules, comp_a, comp_b, contributions.get(b, ()), res_a.position)
        res_b.trust[aid] = trust[b]
        res_b.dependency[aid] = dependency(rules, comp_b, comp_a, contributions.get(a, ()), res_b.position)


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


def _resolve_alliance(rules: Rules, al: Alliance, decisions, shares, ledgers, events, rnd, firms) -> None:
    """Steps 1-4 of the round for one active alliance (`firms`: the state at the start of
    the round, whose competences every step reads)."""
    t = al.terms
    a, b = al.firms
    if rules.treated is not None:
        rules = rules.of(a)  # partners play the same alliance-level settings (game_rules.treatments)
    p = rules.numbers
    da, db = decisions[a], decisions[b]
    led_a, led_b = ledgers[a], ledgers[b]
    # 1. tranches due this round are released, unless withheld (a breach)
    rel_a, breach_a = _release(al, t, a, b, da.withhold, events, rnd)
    rel_b, breach_b = _release(al, t, b, a, db.withhold, events, rnd)
    # 2. joint value from effective contributions
    contributions = t.contributions
    xa = _points(da.contribute, contributions.get(a, ()), shares, a)
    xb = _points(db.contribute, contributions.get(b, ()), shares, b)
    firm_a, firm_b = firms[a], firms[b]
    ca, cb = firm_a.competence, firm_b.competence
    domains = rules.domains
    ea = effective_contribution(xa, ca, cb, domains)
    eb = effective_contribution(xb, cb, ca, domains)
    scope = t.scope
    # the mean openness over the scope, a's then b's: the sum of their list, added in a loop
    # in the same order (from 0.0: sum([...])'s integer 0 is converted to 0.0 at the first
    # float, and openness is a float or a validated 0 or 1)
    mean_reveal = 0.0
    if scope:
        total, ra, rb = 0.0, da.reveal, db.reveal
        for k in scope:
            total += ra.get(k, 0.0)
        for k in scope:
            total += rb.get(k, 0.0)
        mean_reveal = total / (2 * len(scope))
    # the mean share released, a's then b's (as the sum of their list)
    mean_rel = 0.0
    if rel_a or rel_b:
        total = 0.0
        for r in rel_a.values():
            total += r
        for r in rel_b.values():
            total += r
        mean_rel = total / (len(rel_a) + len(rel_b))
    trust = al.trust
    trust_used = _least(trust)
    v = joint_value(p, ea, eb, mean_reveal, mean_rel, trust_used, t.form)
    split_ = t.split
    va, vb = split_[a] * v, split_[b] * v
    led_a.value += va
    led_b.value += vb
    events.append(JointValue(al.id, rnd, v, {a: va, b: vb}, {a: ea, b: eb}, mean_reveal, mean_rel, trust_used))
    # 3. exposure, learning, learning by teaching (on start-of-round competences)
    inside, outside = split(domains, tuple(scope))  # (a list, if terms were built by hand)
    pace_a, pace_b = firm_a.pace, firm_b.pace
    learn(rules, p, t, da.absorb, db, ca, cb, rel_b, led_a, led_b, b, pace_b, pace_a, inside, outside)
    learn(rules, p, t, db.absorb, da, cb, ca, rel_a, led_b, led_a, a, pace_a, pace_b, inside, outside)
    # 4. trust and contributions
    given_a, given_b = fsum(xa.values()), fsum(xb.values())
    _update_trust(p, al, da, db, given_a, given_b, breach_a, breach_b, events, rnd)
    cum = al.cum_contribution
    cum[a] += given_a
    cum[b] += given_b
    # a firm is in breach while it withholds a due tranche; releasing it cures the breach
    breach = al.breach
    breach[a], breach[b] = breach_a, breach_b
    if _least(trust) < p.dissolve_below:
        al.status, al.ended_round, al.ended_reason = "dissolved", rnd, "trust"
        events.append(AllianceEnded(al.id, rnd, "dissolved"))
    elif rnd >= al.signed_round + t.duration:
        al.status, al.ended_round, al.ended_reason = "ended", rnd, "completed"
        events.append(AllianceEnded(al.id, rnd, "completed"))


def _least(trust: dict[str, float]) -> float:
    """min(trust.values()) of an alliance's two trusts, without the builtin's argument parsing
    (the same rule: the first unless the second is smaller)."""
    try:
        first, second = trust.values()
    except ValueError:  # (not two: an alliance built by hand)
        return min(trust.values())
    return second if second < first else first


def _release(al: Alliance, t, f: str, partner: str, withhold, events, rnd) -> tuple[dict[str, float], bool]:
    """Step 1 for firm `f`: its tranches due this round are released unless withheld. The
    share released per contributed domain, and whether `f` withheld a due one (a breach)."""
    n = t.tranches[f]
    if t.release == "upfront":
        due = n
    else:  # min(n, milestones reached), without the call
        due = int(al.cum_contribution[partner] // t.milestone)
        if due > n:
            due = n
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


def _points(contribute: dict[str, float], domains, shares: dict | None, firm: str) -> dict[str, float]:
    """A firm's contribution points to this alliance per domain: a domain promised to
    several active alliances has its points split evenly between them (`shares`: None when
    no firm plays two alliances: then the points are the decision's own map)."""
    if shares is None:
        # the firm's only alliance: its validated contribution is this alliance's as it is
        # (a key outside `domains` can only hold a zero, and a missing one is a zero: the
        # effective contribution skips zeros, and their sum adds none)
        return contribute
    # (a loop: a comprehension is one more function call in CPython 3.11)
    points = {}
    mine = shares.get(firm)  # (None only for a firm that promises nothing: no domain to divide)
    for k in domains:
        points[k] = contribute.get(k, 0.0) / mine[k]
    return points


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


def _update_trust(p, al: Alliance, da: Decision, db: Decision, given_a: float, given_b: float,
                  breach_a: bool, breach_b: bool, events, rnd) -> None:
    """Step 4: each firm's trust in its partner (`given_*`: each firm's contribution
    points this round, `breach_*`: whether it withheld a due tranche)."""
    share = p.convergent_share * p.budget
    convergent = fsum(da.absorb.values()) > share and fsum(db.absorb.values()) > share
    a, b = al.firms
    min_effort, trust = al.terms.min_effort, al.trust
    for f, partner, breached, given in ((a, b, breach_b, given_b), (b, a, breach_a, given_a)):
        before = trust[f]
        delta, reasons = 0.0, []
        if breached:
            delta -= p.trust_withhold
            reasons.append("partner_withheld")
        under = given + 1e-9 < min_effort.get(partner, 0.0)
        if under:
            delta -= p.trust_under_min
            reasons.append("partner_under_minimum")
        if not breached and not under:
            delta += p.trust_meet
            reasons.append("partner_met_terms")
        if convergent:
            delta -= p.trust_convergent
            reasons.append("convergent_intents")
        after = before + delta
        trust[f] = after = 0.0 if after < 0.0 else 1.0 if after > 1.0 else after  # clamp(.., 0, 1), without the call
        if after != before:
            events.append(TrustChanged(al.id, f, rnd, before, after, reasons))


def _update_firms(rules: Rules, before: SessionState, s: SessionState, decisions, spent, ledgers,
                  rival_pos: float, rnd: int) -> dict[str, FirmRoundResult]:
    """Every firm of the next state (`s.firms`, built here in the session's order) and its
    round result: competences, the stock learned from partners (model 3), cash."""
    out = {}
    firms = s.firms
    position = rules.position
    treated = rules.treated is not None
    p = rules.numbers
    keep, cap = 1.0 - p.decay, p.max_competence
    for fid, firm in before.firms.items():
        if treated:
            p = rules.of(fid).numbers
            keep, cap = 1.0 - p.decay, p.max_competence
        led = ledgers[fid]
        developed, comp = {}, {}
        develop, learned, taught, pace = decisions[fid].develop, led.learned, led.taught, firm.pace
        start = firm.competence
        stock, lost = firm.learned_from, None
        if stock or led.sources:
            lost, stock = outdate(p, before, firm, led)
        if lost is None:  # (x - 0.0 is x: the same sums without the lookup)
            for k, c in start.items():
                developed[k] = dev = development(p, pace, develop.get(k, 0.0))
                c = (c + learned[k] + taught[k] + dev) * keep
                comp[k] = 0.0 if c < 0.0 else cap if c > cap else c  # clamp(c, 0, cap), without the call
        else:
            for k, c in start.items():
                developed[k] = dev = development(p, pace, develop.get(k, 0.0))
                c = (c + learned[k] + taught[k] + dev - lost[k]) * keep
                comp[k] = 0.0 if c < 0.0 else cap if c > cap else c
            stock = still_current(stock, comp)
        market = market_income(p, position(start), rival_pos)
        unspent = p.budget - spent[fid]
        value, penalty = led.value, led.penalty
        cash = firm.cash + (value + market + unspent + penalty)
        firms[fid] = firm.after_round(comp, cash, stock)
        # (trust and dependency: filled by _report_alliances)
        out[fid] = FirmRoundResult(fid, rnd, cash, value, market, unspent, penalty, position(comp), comp.copy(),
                                   learned, taught, developed, {}, {}, led.exposure)
    return out
