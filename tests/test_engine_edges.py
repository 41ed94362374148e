"""Edge rules: mutual exit, curing a breach, resolving out of phase, no exact dependency leak."""
from __future__ import annotations

import pytest

from game_rules.decisions import DecisionError
from game_rules.engine import resolve_round
from game_rules.rules import Rules, new_session, sign_default_alliances
from game_rules.scenario import load_scenario
from game_rules.state import Decision
from game_rules.views import events_for_firm, firm_view


def fresh(**overrides):
    rules = Rules.from_scenario(load_scenario("classic", {k: str(v) for k, v in overrides.items()}))
    state = new_session(rules, seed=3)
    sign_default_alliances(rules, state)
    state.phase = "execution"
    return rules, state


def test_mutual_exit_costs_nobody_a_penalty():
    rules, state = fresh()
    state, events = resolve_round(rules, state, {
        "west1": Decision("west1", exit=("a1",)), "east1": Decision("east1", exit=("a1",))})
    ended = [e for e in events if e.type == "alliance_ended"]
    assert len(ended) == 1 and ended[0].trigger == "mutual" and ended[0].penalty == 0
    results = {e.firm: e for e in events if e.type == "firm_result"}
    assert results["west1"].cash_penalties == 0 and results["east1"].cash_penalties == 0
    assert state.alliances["a1"].status == "exited"


def test_one_sided_exit_pays_the_penalty_to_the_partner():
    rules, state = fresh()
    state, events = resolve_round(rules, state, {"west1": Decision("west1", exit=("a1",)),
                                                 "east1": Decision("east1")})
    results = {e.firm: e for e in events if e.type == "firm_result"}
    assert results["west1"].cash_penalties == -40 and results["east1"].cash_penalties == 40


def test_a_released_tranche_cures_the_breach():
    rules, state = fresh(**{"terms.milestone": 10})
    give = {"contribute": {"manufacturing": 20}}
    # round 1: east contributes, so west's first tranches fall due from round 2
    state, _ = resolve_round(rules, state, {"west1": Decision("west1", contribute={"design": 20}),
                                            "east1": Decision("east1", **give)})
    state, _ = resolve_round(rules, state, {
        "west1": Decision("west1", contribute={"design": 20}, withhold={"a1": ("design",)}),
        "east1": Decision("east1", **give)})
    assert state.alliances["a1"].breach["west1"] is True
    state, events = resolve_round(rules, state, {"west1": Decision("west1", contribute={"design": 20}),
                                                 "east1": Decision("east1", **give)})
    assert state.alliances["a1"].breach["west1"] is False
    assert any(e.type == "tranche_released" and e.firm == "west1" for e in events)


def test_resolving_outside_the_execution_phase_is_refused():
    rules, state = fresh()
    state.phase = "lobby"
    with pytest.raises(DecisionError) as err:
        resolve_round(rules, state, {})
    assert err.value.code == "wrong_phase"


def test_a_firm_never_gets_its_exact_dependency():
    rules, state = fresh()
    before = state
    state, events = resolve_round(rules, state, {})
    mine = events_for_firm(rules, before, state, "west1", [e.to_dict() for e in events], {}, {})
    view = firm_view(rules, state, "west1", mine)
    al = view["alliances"][0]
    true_partner = state.firms["east1"].competence["manufacturing"]
    backed_out = al["dependency"] * view["firm"]["position"] / 0.30 + view["firm"]["competence"]["manufacturing"]
    assert abs(backed_out - true_partner) > 1e-6
    assert all("dependency" not in e for e in mine if e["type"] == "firm_result")
