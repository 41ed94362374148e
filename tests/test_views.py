"""What each firm may see (GAME.md section 8): no private field of the partner leaks."""
from __future__ import annotations

import json

import pytest

from game_rules.rules import Rules
from game_rules.scenario import load_scenario
from game_rules.simulate import play
from game_rules.views import estimate, facilitator_view, firm_view

PRIVATE_DECISION_FIELDS = ("absorb", "develop", "protect", "reveal")


@pytest.fixture(scope="module")
def game():
    rules = Rules.from_scenario(load_scenario("classic"))
    return rules, play(rules, {"west": "random", "east": "internalizer"}, seed=5, copies=2)


def _numbers(obj):
    """Every number anywhere in a JSON-like structure."""
    if isinstance(obj, bool):
        return
    if isinstance(obj, (int, float)):
        yield float(obj)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _numbers(v)


def test_firm_view_has_own_state_exactly_and_no_partner_private_state(game):
    rules, rec = game
    state = rec.state
    view = firm_view(rules, state, "west1")
    assert view["firm"]["competence"] == state.firms["west1"].competence
    assert view["firm"]["cash"] == state.firms["west1"].cash
    text = json.dumps(view)
    east = state.firms["east1"]
    assert rules.scenario.role("east").brief.strip()[:40] not in text
    assert "east2" not in text and "west2" not in text  # nothing about another copy
    numbers = set(_numbers(view))
    assert east.cash not in numbers
    assert not set(east.competence.values()) & numbers
    assert state.alliances["a1"].trust["east1"] not in numbers or \
        state.alliances["a1"].trust["east1"] == state.alliances["a1"].trust["west1"]


def test_estimates_are_noisy_never_exact_and_sharpen_with_absorption(game):
    rules, rec = game
    state = rec.state
    true = state.firms["east1"].competence["manufacturing"]
    errs = {0: [], 200: []}
    for seed in range(200):
        state.seed = seed
        for effort in errs:
            est = estimate(rules, state, "west1", "east1", "manufacturing", effort)
            assert est != true
            errs[effort].append(abs(est - true))
    assert sum(errs[200]) < 0.5 * sum(errs[0])
    state.seed = 5


def test_events_for_firm_hide_partner_private_numbers(game):
    rules, rec = game
    state = rec.state
    for rnd, raw in enumerate(rec.decisions, start=1):
        mine = [e for e in rec.history["west1"] if e.get("round") == rnd]
        assert mine, "a firm always sees its own results"
        types = {e["type"] for e in mine}
        assert "firm_result" in types and "round_resolved" in types
        for e in mine:
            assert e.get("firm") in (None, "west1") or e["type"] in (
                "tranche_released", "tranche_withheld"), e
            assert "east2" not in json.dumps(e) and "west2" not in json.dumps(e)
            assert "mean_reveal" not in e and "trust_used" not in e and "effective_contribution" not in e
        partner_private = {v for f in PRIVATE_DECISION_FIELDS
                           for v in _numbers(raw["east1"].get(f, {})) if v not in (0.0, 1.0)}
        seen = set(_numbers(mine))
        assert not partner_private & seen, f"round {rnd}: partner decision numbers leaked"


def test_facilitator_sees_everything(game):
    rules, rec = game
    view = facilitator_view(rules, rec.state)
    assert set(view["firms"]) == {"west1", "east1", "west2", "east2"}
    assert view["firms"]["east1"]["cash"] == rec.state.firms["east1"].cash
    assert set(view["dependency"]["a1"]) == {"west1", "east1"}
