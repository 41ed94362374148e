"""Property tests: random *legal* decisions (contributions only to contributed domains,
absorb and reveal only in scope, the budget respected, sometimes withholding or exiting)
played for a few rounds, checking the invariants of the engine."""
from __future__ import annotations

import json
import math

from hypothesis import given, settings, strategies as st

from game_rules.engine import outdated, resolve_round
from game_rules.events import FirmRoundResult, JointValue
from game_rules.rules import Rules, new_session, sign_default_alliances
from game_rules.scenario import load_scenario
from game_rules.state import Decision, SessionState, state_from_dict, state_to_dict

RULESETS = {
    "classic": Rules.from_scenario(load_scenario("classic")),
    "upfront_serial": Rules.from_scenario(load_scenario(
        "classic", {"terms.release": "upfront", "terms.form": "serial"})),
    "no_decay": Rules.from_scenario(load_scenario("classic", {"decay": "0"})),
}
NO_DECAY = RULESETS["no_decay"]
unit = st.floats(0.0, 1.0, allow_nan=False)
SETTINGS = dict(deadline=None, max_examples=150)


def fresh(rules: Rules, copies: int = 1) -> SessionState:
    s = new_session(rules, copies=copies)
    sign_default_alliances(rules, s)
    s.phase = "execution"
    return s


def draw_decision(data, rules: Rules, state: SessionState, fid: str, exits: bool = True) -> Decision:
    """A random decision that validate_decision accepts for `fid` in `state`."""
    alliances = state.alliances_of(fid)
    contributed = sorted({k for a in alliances for k in a.terms.contributions.get(fid, ())})
    scope = sorted({k for a in alliances for k in a.terms.scope})
    slots = ([("contribute", k) for k in contributed] + [("absorb", k) for k in scope]
             + [("develop", k) for k in rules.domains] + [("protect", None)])
    # contributions weigh more on average, so milestones (and tranches) fall due
    weights = [data.draw(st.floats(0.0, 4.0 if field == "contribute" else 1.0)) for field, _ in slots]
    spend = data.draw(unit) * rules.params.budget * (1 - 1e-12)
    total = math.fsum(weights)
    d = Decision(fid)
    for (field, k), w in zip(slots, weights):
        pts = spend * w / total if total > 0 else 0.0
        if field == "protect":
            d.protect = pts
        else:
            getattr(d, field)[k] = pts
    d.reveal = {k: data.draw(unit) for k in scope}
    for a in alliances:
        own = a.terms.contributions.get(fid, ())
        withheld = tuple(k for k in own if data.draw(st.integers(0, 9)) == 0)
        if withheld:
            d.withhold[a.id] = withheld
    if exits:
        d.exit = tuple(a.id for a in alliances if data.draw(st.integers(0, 39)) == 0)
    return d


def play_rounds(data, rules, state, rounds, exits=True):
    """Yield (before, decisions, after, events) for `rounds` random legal rounds."""
    for _ in range(rounds):
        if state.phase != "execution":
            return
        decisions = {f: draw_decision(data, rules, state, f, exits) for f in state.firms}
        after, events = resolve_round(rules, state, decisions)
        yield state, decisions, after, events
        state = after


def dump(obj) -> str:
    return json.dumps(obj, sort_keys=True)


@settings(**SETTINGS)
@given(data=st.data(), ruleset=st.sampled_from(sorted(RULESETS)), copies=st.integers(1, 2),
       rounds=st.integers(1, 5))
def test_invariants(data, ruleset, copies, rounds):
    rules = RULESETS[ruleset]
    p = rules.params
    for before, decisions, after, events in play_rounds(data, rules, fresh(rules, copies), rounds):
        for f in after.firms.values():
            assert all(0.0 <= c <= p.max_competence for c in f.competence.values())
        for al in after.alliances.values():
            assert all(0.0 <= t <= 1.0 for t in al.trust.values())
            assert math.isclose(math.fsum(al.terms.split.values()), 1.0, abs_tol=1e-9)
            for f, doms in al.released.items():
                assert all(0 <= n <= al.terms.tranches[f] for n in doms.values())
        value_of = dict.fromkeys(after.firms, 0.0)
        for jv in (e for e in events if isinstance(e, JointValue)):
            assert jv.value >= 0.0 and math.isfinite(jv.value)
            assert math.isclose(math.fsum(jv.shares.values()), jv.value, rel_tol=1e-9, abs_tol=1e-9)
            for f, v in jv.shares.items():
                value_of[f] += v
        results = {e.firm: e for e in events if isinstance(e, FirmRoundResult)}
        assert set(results) == set(after.firms)
        for fid, r in results.items():
            spent = decisions[fid].spent()
            assert spent <= p.budget + 1e-9
            assert math.isclose(r.cash_unspent, p.budget - spent, abs_tol=1e-9)
            assert r.cash_unspent >= -1e-9 and r.cash_from_market >= 0.0
            assert math.isclose(r.cash_from_value, value_of[fid], rel_tol=1e-9, abs_tol=1e-9)
            parts = r.cash_from_value + r.cash_from_market + r.cash_unspent + r.cash_penalties
            change = after.firms[fid].cash - before.firms[fid].cash
            assert math.isclose(change, parts, rel_tol=1e-9, abs_tol=1e-9)
            assert r.cash == after.firms[fid].cash
            assert r.competence == after.firms[fid].competence
        # penalties move cash between partners, never create it
        assert math.isclose(math.fsum(r.cash_penalties for r in results.values()), 0.0, abs_tol=1e-9)


@settings(**SETTINGS)
@given(data=st.data(), rounds=st.integers(1, 6))
def test_with_no_decay_competence_never_falls(data, rounds):
    """Knowledge is not used up: with decay 0, whatever a firm reveals, releases or teaches,
    none of its competences goes down from one round to the next, but for what it learned
    from a faster partner going out of date (model 3; `engine.outdated`, 0 in classic for
    east, which is faster than west)."""
    for before, decisions, after, events in play_rounds(data, NO_DECAY, fresh(NO_DECAY), rounds):
        for fid, f in after.firms.items():
            lost = outdated(NO_DECAY.params, before, before.firms[fid])
            for k, c in f.competence.items():
                assert c >= before.firms[fid].competence[k] - lost[k] - 1e-9 * (1 + lost[k])
                if not lost[k]:
                    assert c >= before.firms[fid].competence[k]


@settings(**SETTINGS)
@given(data=st.data(), warmup=st.integers(0, 3), more=unit,
       ruleset=st.sampled_from(["classic", "upfront_serial"]))
def test_revealing_more_never_lowers_the_revealer(data, warmup, more, ruleset):
    """Same state, same decisions, only the revealer's openness raised: its own competences
    end no lower (learning by teaching), whatever the decay."""
    rules = RULESETS[ruleset]
    state = fresh(rules)
    for _, _, state, _ in play_rounds(data, rules, state, warmup, exits=False):
        pass
    if state.phase != "execution" or not state.alliances_of("west1"):
        return
    decisions = {f: draw_decision(data, rules, state, f, exits=False) for f in state.firms}
    closed = dict(decisions)
    opened = dict(decisions)
    w = decisions["west1"]
    opened["west1"] = Decision("west1", dict(w.contribute), dict(w.absorb), dict(w.develop), w.protect,
                               {k: v + (1 - v) * more for k, v in w.reveal.items()}, dict(w.withhold))
    a, _ = resolve_round(rules, state, closed)
    b, _ = resolve_round(rules, state, opened)
    for k, c in b.firms["west1"].competence.items():
        assert c >= a.firms["west1"].competence[k] - 1e-12


@settings(**SETTINGS)
@given(data=st.data(), ruleset=st.sampled_from(sorted(RULESETS)), rounds=st.integers(1, 4))
def test_determinism(data, ruleset, rounds):
    """Same scenario, same decisions: identical states and events, to the last bit."""
    rules = RULESETS[ruleset]
    played = list(play_rounds(data, rules, fresh(rules, 2), rounds))
    replay = fresh(rules, 2)
    for before, decisions, after, events in played:
        again = {f: Decision.from_dict(json.loads(json.dumps(d.to_dict()))) for f, d in decisions.items()}
        replay, events2 = resolve_round(rules, replay, again)
        assert dump(state_to_dict(replay)) == dump(state_to_dict(after))
        assert dump([e.to_dict() for e in events2]) == dump([e.to_dict() for e in events])


@settings(**SETTINGS)
@given(data=st.data(), ruleset=st.sampled_from(sorted(RULESETS)), rounds=st.integers(0, 4))
def test_snapshot_round_trip(data, ruleset, rounds):
    """state_to_dict -> JSON -> state_from_dict gives the same state, which resolves the
    next round exactly as the original does."""
    rules = RULESETS[ruleset]
    state = fresh(rules)
    for _, _, state, _ in play_rounds(data, rules, state, rounds):
        pass
    d = state_to_dict(state)
    back = state_from_dict(json.loads(json.dumps(d)))
    assert dump(state_to_dict(back)) == dump(d)
    assert state_to_dict(back) == json.loads(json.dumps(d))
    if state.phase != "execution":
        return
    decisions = {f: draw_decision(data, rules, state, f) for f in state.firms}
    s1, e1 = resolve_round(rules, state, decisions)
    s2, e2 = resolve_round(rules, back, decisions)
    assert dump(state_to_dict(s1)) == dump(state_to_dict(s2))
    assert dump([e.to_dict() for e in e1]) == dump([e.to_dict() for e in e2])


@settings(**SETTINGS)
@given(data=st.data(), rounds=st.integers(1, 4))
def test_input_state_is_never_mutated(data, rounds):
    rules = RULESETS["classic"]
    state = fresh(rules)
    for _ in range(rounds):
        if state.phase != "execution":
            break
        snap = dump(state_to_dict(state))
        decisions = {f: draw_decision(data, rules, state, f) for f in state.firms}
        nxt, _ = resolve_round(rules, state, decisions)
        assert dump(state_to_dict(state)) == snap
        state = nxt
