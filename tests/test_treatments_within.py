"""Treatments inside one session (game_rules.treatments): which settings may differ, the
seeded assignment, and the engine playing each alliance group or firm under its own rules.

The strongest check: copies of the case never touch each other, so a session whose two
copies play two treatments must give each copy exactly the results it gets in a session
where every copy plays that copy's treatment."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from game_rules import treatments as tr
from game_rules.rules import Rules, new_session
from game_rules.scenario import load_scenario
from game_rules.scoring import score_session
from game_rules.simulate import play
from game_rules.views import estimate

LOW = {"value_scale": 2, "eta": 0.5, "competence.west.design": 70}
HIGH = {"value_scale": 6, "eta": 1.5, "tacitness.design": 0.2}


def rules_of(overrides: dict | None = None) -> Rules:
    return Rules.from_scenario(load_scenario("classic", overrides or None))


def mixed(unit: str, treatments: dict[str, dict], of_unit: dict[str, str], copies: int) -> Rules:
    base = rules_of()
    firm_copies = {f: c for f, c in ((f"{r}{c}", c) for c in range(1, copies + 1) for r in ("west", "east"))}
    of_firm = tr.firm_treatments(unit, of_unit, firm_copies)
    return tr.treated_rules(base, {t: rules_of(o) for t, o in treatments.items()}, of_firm)


def test_each_alliance_group_plays_exactly_its_treatment():
    rules = mixed("alliance", {"low": LOW, "high": HIGH}, {"1": "low", "2": "high"}, copies=2)
    strategies = {"west": "internalizer", "east": "balanced"}
    both = play(rules, strategies, seed=3, copies=2)
    all_low = play(rules_of(LOW), strategies, seed=3, copies=2)
    all_high = play(rules_of(HIGH), strategies, seed=3, copies=2)
    assert both.state.firms["west1"].start_competence["design"] == 70  # the low group's endowment
    assert all_high.state.firms["west2"].start_competence["design"] != 70
    for copy, alone in ((1, all_low), (2, all_high)):
        for role in ("west", "east"):
            f = f"{role}{copy}"
            assert both.state.firms[f] == alone.state.firms[f]
        a = f"a{copy}"
        assert both.state.alliances[a] == alone.state.alliances[a]
        for r_both, r_alone in zip(both.events, alone.events):
            mine = [e for e in r_both if e.get("firm") in (f"west{copy}", f"east{copy}") or e.get("alliance") == a]
            theirs = [e for e in r_alone if e.get("firm") in (f"west{copy}", f"east{copy}") or e.get("alliance") == a]
            assert mine == theirs
    # and the treatments made a difference (the test is not comparing equal things)
    assert both.state.firms["west1"].cash != both.state.firms["west2"].cash
    assert all_low.state.firms["west2"] != all_high.state.firms["west2"]


def test_firm_treatments_change_scores_estimates_and_pace_of_that_firm_only():
    sharp_score = {"scoring.internal": 5, "scoring.external": 0, "estimate_noise": 1, "pace.west": 2}
    rules = mixed("firm", {"plain": {}, "sharp": sharp_score}, {"west1": "sharp", "east1": "plain"}, copies=1)
    state = new_session(rules, 1, seed=9)
    assert state.firms["west1"].pace == 2 and state.firms["east1"].pace == rules_of().scenario.role("east").pace
    rec = play(rules, {}, seed=9)
    plain_scores = score_session(rules_of(), rec.state)
    sharp_scores = score_session(rules_of(sharp_score), rec.state)
    scores = score_session(rules, rec.state)
    assert scores["west1"].total == sharp_scores["west1"].total != plain_scores["west1"].total
    assert scores["east1"].total == plain_scores["east1"].total
    # west sees east through its own (small) noise, east sees west through the default noise
    s = rec.state
    for d in ("design", "manufacturing"):
        assert estimate(rules, s, "west1", "east1", d, 0) == estimate(rules_of(sharp_score), s, "west1", "east1", d, 0)
        assert estimate(rules, s, "east1", "west1", d, 0) == estimate(rules_of(), s, "east1", "west1", d, 0)


@pytest.mark.parametrize("method", ["random", "balanced"])
def test_assignment_is_recomputed_from_the_seed(method):
    units = [str(c) for c in range(1, 12)]
    names = ["a", "b", "c"]
    first = tr.assign(units, names, method, seed=42)
    assert first == tr.assign(units, names, method, seed=42)
    assert set(first) == set(units) and set(first.values()) <= set(names)
    if method == "balanced":
        counts = Counter(first.values())
        assert max(counts.values()) - min(counts.values()) <= 1 and set(counts) == set(names)
        order = list(units)
        random.Random(42).shuffle(order)
        assert [first[u] for u in order] == [names[i % 3] for i in range(len(order))]
    else:
        rng = random.Random(42)
        assert first == {u: rng.choice(names) for u in units}
    others = [tr.assign(units, names, method, seed=s) for s in range(5)]
    assert len({tuple(sorted(o.items())) for o in others}) > 1  # the seed matters


def test_fixed_assignment_names_every_unit_with_a_known_treatment():
    units = ["west1", "east1"]
    assert tr.assign(units, ["x", "y"], "fixed", 0, {"west1": "y", "east1": "x"}) == {"west1": "y", "east1": "x"}
    for fixed, words in (({"west1": "x"}, "no treatment for east1"),
                         ({"west1": "x", "east1": "x", "north1": "y"}, "north1 is not a unit"),
                         ({"west1": "x", "east1": "z"}, "z is not one of the treatments")):
        with pytest.raises(tr.TreatmentError, match=words):
            tr.assign(units, ["x", "y"], "fixed", 0, fixed)


def test_what_may_differ_inside_a_session():
    assert tr.check_overrides("alliance", {"t": {"value_scale": 5, "tacitness.design": 0.1, "pace.west": 2,
                                                 "competence.west.design": 50, "scoring.internal": 1}}) == []
    for name in ("rounds", "budget", "rival_growth", "rival.design", "weight.design", "terms.release"):
        (problem,) = tr.check_overrides("alliance", {"t": {name: 1}})
        assert f"treatments.t.{name}" in problem and "whole session" in problem
    assert tr.check_overrides("firm", {"t": {"scoring.freedom": 1, "estimate_noise": 3, "pace.east": 2}}) == []
    (problem,) = tr.check_overrides("firm", {"t": {"value_scale": 5}})
    assert "partners share this setting" in problem
    assert tr.check_overrides("nobody", {}) and "assignment_unit" in tr.check_overrides("nobody", {})[0]


def test_units_are_copies_or_firms_in_session_order():
    copies = {"west1": 1, "east1": 1, "west2": 2, "east2": 2}
    assert tr.units_of("alliance", copies) == ["1", "2"]
    assert tr.units_of("firm", copies) == ["west1", "east1", "west2", "east2"]
    assert tr.firm_treatments("alliance", {"1": "a", "2": "b"}, copies) == {
        "west1": "a", "east1": "a", "west2": "b", "east2": "b"}
