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


# ---- a firm's books (game_rules.books; docs/model.md, "What a firm knows of its partner") --

def _results(rec, firm):
    true = [e for evs in rec.events for e in evs if e["type"] == "firm_result" and e["firm"] == firm]
    shown = [e for e in rec.history[firm] if e["type"] == "firm_result"]
    return true, shown


def test_a_firm_that_learns_nothing_books_its_exact_competence():
    rules = Rules.from_scenario(load_scenario("classic"))
    rec = play(rules, {"west": "internalizer", "east": "avoider"}, seed=2)
    true, shown = _results(rec, "east1")  # the avoider absorbs nothing: nothing to benchmark
    assert len(true) == len(shown) == rules.scenario.rounds
    for t, s in zip(true, shown):
        assert s["competence"] == t["competence"] and s["learned"] == t["learned"] == dict.fromkeys(rules.domains, 0.0)
        assert s["position"] == t["position"] and s["developed"] == t["developed"] and s["taught"] == t["taught"]
        assert s["cash"] == round(t["cash"]) and s["booked"] is True and "dependency" not in s


def test_what_came_from_the_partner_is_booked_as_a_benchmark(game):
    rules, rec = game
    true, shown = _results(rec, "east1")  # the internalizer learns every round
    assert [s["round"] for s in shown] == [t["round"] for t in true]
    for t, s in zip(true, shown):
        assert s["learned"] != t["learned"] and s["exposure"] != t["exposure"]
        assert all(0.0 <= x <= 1.0 for x in s["exposure"].values())
        for k in ("cash", "cash_from_value", "cash_from_market", "cash_unspent", "cash_penalties"):
            assert s[k] == round(t[k]) and s[k] == int(s[k])
        assert s["position"] == rules.position(s["competence"])
    # the books drift from the truth by what the benchmarks missed, not more than a few points
    drift = [abs(s["competence"][k] - t["competence"][k]) for t, s in zip(true, shown) for k in rules.domains]
    assert 0 < max(drift) < 10
    # the joint value in the steps the firm's own cash allows, no effective contributions
    for evs in rec.history["east1"]:
        if evs["type"] == "joint_value":
            assert evs["value"] % 5 == 0 and evs["shares"]["east1"] == int(evs["shares"]["east1"])
            assert set(evs) == {"type", "alliance", "round", "value", "shares", "mean_released"}


def test_books_are_reproducible_and_leave_the_engine_alone():
    rules = Rules.from_scenario(load_scenario("classic"))
    a = play(rules, {"west": "tit_for_tat", "east": "internalizer"}, seed=4)
    b = play(rules, {"west": "tit_for_tat", "east": "internalizer"}, seed=4)
    assert a.history == b.history and a.events == b.events  # seeded noise: same game, same books
    c = play(rules, {"west": "tit_for_tat", "east": "internalizer"}, seed=5)
    assert c.history["east1"] != a.history["east1"]
    # replaying the logged decisions through the engine gives the logged (exact) events: the
    # views never touch the engine's state or events
    from game_rules.decisions import parse_decision
    from game_rules.engine import resolve_round
    from game_rules.rules import new_session, sign_default_alliances
    state = new_session(rules, seed=4)
    sign_default_alliances(rules, state)
    state.phase = "execution"
    for raw, logged in zip(a.decisions, a.events):
        state, events = resolve_round(rules, state, {f: parse_decision(f, d) for f, d in raw.items()})
        assert [e.to_dict() for e in events] == logged


def test_a_view_during_play_needs_the_firms_books_and_shows_them(game):
    rules, rec = game
    state = rec.state
    state.phase = "execution"
    try:
        with pytest.raises(ValueError, match="history"):
            firm_view(rules, state, "east1")
        view = firm_view(rules, state, "east1", rec.history["east1"])
        booked = [e for e in rec.history["east1"] if e["type"] == "firm_result"][-1]
        assert view["firm"]["competence"] == booked["competence"] != state.firms["east1"].competence
        assert view["firm"]["cash"] == round(state.firms["east1"].cash) and view["firm"]["booked"] is True
    finally:
        state.phase = "debrief"
    closed = firm_view(rules, state, "east1", rec.history["east1"])  # the books close at the debrief
    assert closed["firm"]["competence"] == state.firms["east1"].competence
    assert closed["firm"]["cash"] == state.firms["east1"].cash and closed["firm"]["booked"] is False
