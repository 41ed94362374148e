"""What the engine's speed-ups rest on (docs/benchmarks.md, "The engine's hot paths").

- `resolve_round` builds the next state's firms anew and copies every alliance: the state it
  was given must come out unchanged, and nothing the next state changes in place may be
  shared with it (a session, a replay, the practice round and the guide keep both).
- `validate_decision` checks a decision's maps in one step when all is fine and one by one
  otherwise: the step must never accept what the one-by-one checks refuse, nor change which
  problem is named.
- `Rules.numbers` and `Rules.weighted` are derived from the scenario: the same numbers as
  `Rules.params` and `Rules.weight`, also for a treatment's rules (`dataclasses.replace`).
"""
from __future__ import annotations

import copy
import dataclasses
import math
import random

import pytest

import game_rules.decisions as decisions_module
from game_rules.decisions import DecisionError, validate_decision
from game_rules.engine import resolve_round
from game_rules.rules import Rules, new_session, sign_default_alliances
from game_rules.scenario import load_scenario, scenario_ids
from game_rules.state import Decision, state_to_dict


def _session(scenario="classic", copies=2, **overrides):
    rules = Rules.from_scenario(load_scenario(scenario, {k: str(v) for k, v in overrides.items()}))
    state = new_session(rules, copies=copies, seed=5)
    sign_default_alliances(rules, state)
    state.phase = "execution"
    return rules, state


def _decisions(rules, state, rnd: int, rng: random.Random) -> dict[str, Decision]:
    """Absorbing, contributing, developing, withholding in round 2, one exit in round 4, one
    firm without a decision every round (the default decision)."""
    out = {}
    firms = list(state.firms)
    for i, fid in enumerate(firms):
        if i == rnd % len(firms):
            continue
        mine = [a for a in state.alliances.values() if fid in a.firms and a.status == "active"]
        scope = sorted({k for a in mine for k in a.terms.scope})
        own = sorted({k for a in mine for k in a.terms.contributions.get(fid, ())})
        d = Decision(fid, contribute={k: 10.0 for k in own}, absorb={k: rng.uniform(0, 12) for k in scope},
                     develop={k: 5.0 for k in rules.domains[:2]}, protect=3.0,
                     reveal={k: rng.random() for k in scope})
        if rnd == 2 and mine and own:
            d.withhold = {mine[0].id: (own[0],)}
        if rnd == 4 and i == 1 and mine:
            d.exit = (mine[0].id,)
        out[fid] = d
    return out


def _mutate_everything(state) -> None:
    """Change in place every container the engine changes from round to round."""
    for f in state.firms.values():
        for k in f.competence:
            f.competence[k] = -1.0
        f.cash = -1.0
    for al in state.alliances.values():
        for d in (al.trust, al.cum_contribution, al.breach):
            for k in d:
                d[k] = 0
        for r in al.released.values():
            for k in r:
                r[k] = 99
        al.status = "dissolved"
    for k in state.rival:
        state.rival[k] = -1.0


@pytest.mark.parametrize("model", ["1", "2", "3"])
def test_the_state_given_is_unchanged_and_shares_nothing_the_next_one_changes(model):
    rules, state = _session(model_version=model)
    rng = random.Random(int(model))
    while state.phase == "execution":
        before = copy.deepcopy(state_to_dict(state))
        decisions = _decisions(rules, state, state.round, rng)
        nxt, events = resolve_round(rules, state, decisions)
        assert state_to_dict(state) == before, "resolve_round changed the state it was given"
        assert nxt.round == state.round + 1 and events
        # no container the rounds change is shared between the two states
        for fid, f in nxt.firms.items():
            old = state.firms[fid]
            assert f.competence is not old.competence and f.pace == old.pace and f.copy == old.copy
        for aid, al in nxt.alliances.items():
            old = state.alliances[aid]
            assert al is not old
            for name in ("trust", "cum_contribution", "breach", "released"):
                assert getattr(al, name) is not getattr(old, name)
            assert all(al.released[f] is not old.released[f] for f in al.released)
        assert nxt.rival is not state.rival
        reference = state_to_dict(nxt)
        _mutate_everything(state)  # the old state changed in place: the new one stays as it was
        assert state_to_dict(nxt) == reference
        state = nxt
    assert any(f.learned_from for f in state.firms.values()) == (model == "3")


def test_a_firm_keeps_its_identity_fields_and_its_stock_is_new_each_round():
    rules, state = _session(model_version="3")
    rng = random.Random(9)
    stocks = []
    while state.phase == "execution":
        nxt, _ = resolve_round(rules, state, _decisions(rules, state, state.round, rng))
        for fid, f in nxt.firms.items():
            old = state.firms[fid]
            assert (f.id, f.name, f.role, f.pace, f.copy) == (old.id, old.name, old.role, old.pace, old.copy)
            assert f.start_competence == old.start_competence
            if f.learned_from:
                assert f.learned_from is not old.learned_from
                stocks.append(f.learned_from)
        state = nxt
    assert stocks, "classic's west learns from a faster east: model 3 keeps a stock"


def _random_decision(rules, firm: str, rng: random.Random) -> Decision:
    """A decision that is often legal and otherwise near an edge: unknown domains, zero
    amounts outside the scope, NaN, infinities, negatives, amounts over the budget,
    openness over 1."""
    edges = [-1.0, -0.0, math.nan, math.inf, -math.inf, 1e308, 5e-324, 100.0, 101.0, 0.0]

    def amount():
        return rng.choice(edges) if rng.random() < 0.08 else rng.choice([0.0, 1.0, 5.5, 10.0])

    def keys():
        pool = list(rules.domains) + (["nowhere"] if rng.random() < 0.1 else [])
        return rng.sample(pool, rng.randint(0, len(pool)))

    return Decision(firm, contribute={k: amount() for k in keys()}, absorb={k: amount() for k in keys()},
                    develop={k: amount() for k in keys()},
                    reveal={k: rng.choice([0.0, 0.5, 1.0] * 5 + [1.5, math.nan]) for k in keys()},
                    protect=rng.choice([0.0, 3.0] * 10 + [100.0, 101.0, -2.0, math.nan, math.inf]))


def _outcome(rules, state, d):
    try:
        return ("ok", validate_decision(rules, state, d))
    except DecisionError as e:
        return (e.code, e.message)


@pytest.mark.parametrize("scenario", ["classic", "across_ocean"])
def test_the_one_step_check_names_the_same_problem_as_the_checks_one_by_one(scenario, monkeypatch):
    rules, state = _session(scenario, copies=1)
    rng = random.Random(11)
    cases = [(fid, _random_decision(rules, fid, rng)) for _ in range(1500) for fid in state.firms]
    fast = [_outcome(rules, state, d) for _, d in cases]
    monkeypatch.setattr(decisions_module, "_at_a_glance", lambda *args: False)
    slow = [_outcome(rules, state, d) for _, d in cases]
    assert fast == slow
    codes = {o[0] for o in fast}
    assert {"ok", "not_finite", "negative", "over_budget", "unknown_domain", "out_of_range"} <= codes
    # what is accepted spends exactly what Decision.spent() says
    assert all(o[1] == d.spent() for o, (_, d) in zip(fast, cases) if o[0] == "ok")


@pytest.mark.parametrize("scenario", scenario_ids())
def test_the_rules_derived_numbers_are_the_scenarios(scenario):
    rules = Rules.from_scenario(load_scenario(scenario))
    other = Rules.from_scenario(load_scenario(scenario, {"eta": "0.5"}))
    treated = dataclasses.replace(rules, treated={"x": other})
    for r, source in ((rules, rules), (treated, rules), (other, other)):
        assert vars(r.numbers) == dict(source.params)
        assert r.weighted == tuple((k, source.weight[k]) for k in source.domains)
    comp = {k: 10.0 + i * 7.3 for i, k in enumerate(reversed(rules.domains))}  # dict order is not the domains'
    assert rules.position(comp) == sum([rules.weight[k] * comp[k] for k in rules.domains])
