"""The stylized facts away from the defaults, sampled so the suite stays fast: a few cells
of the robustness sweep (`benchmarks/robustness.py` runs them all, 20 seeds a cell, and
writes the table in docs/model.md). Each cell is a mean margin over paired seeds; the fact
holds when it is positive beyond twice its standard error."""
from __future__ import annotations

import pytest

from game_rules.robustness import FACTS, Context, measure, perturbations

SEEDS = 6
# (fact, scenario, setting): the facts the issue found fragile, where they used to fail,
# and one cell per other kind of perturbation
SAMPLE = [
    ("5 pace (DiD)", "classic", "eta x1.2"),
    ("5 pace (DiD)", "classic", "obsolescence x0.8"),
    ("5 pace (DiD)", "minority_stake", "defaults"),
    ("1 internal", "classic", "12 rounds"),
    ("1 cash, learning as investment", "chip_tranches", "value_scale x0.8"),
    ("9 spiral", "classic", "serial form"),
    ("3 staged: partner learns less", "classic", "12 rounds"),
    ("13 race: internal gain", "minority_stake", "defaults"),
    ("13 race: leaves earlier", "classic", "12 rounds"),
]


def _overrides(scenario: str, setting: str) -> dict[str, str]:
    return dict(perturbations(scenario))[setting]


@pytest.mark.parametrize("fact, scenario, setting", SAMPLE)
def test_fact_holds_in_a_sampled_cell(fact, scenario, setting):
    cell = measure(fact, scenario, setting, _overrides(scenario, setting), SEEDS)
    assert cell.mean - cell.margin > 0, cell


def test_pace_protects_for_the_right_reason():
    """Model 1 (no obsolescence) fails the difference in differences: a faster firm's partner
    learned more from it, not less; model 2 passes it (tests/test_stylized_facts.py checks
    the size at the defaults)."""
    old = measure("5 pace (DiD)", "classic", "model 1", {"model_version": "1"}, SEEDS)
    new = measure("5 pace (DiD)", "classic", "defaults", {}, SEEDS)
    assert old.mean + old.margin < 0 < new.mean - new.margin


def test_the_sweep_covers_every_parameter_both_ways_and_every_length():
    names = [n for n, _ in perturbations("classic")]
    from game_rules.scenario import Params
    for p in Params.model_fields:
        if p != "model_version":
            assert f"{p} x0.8" in names, p
    assert {"5 rounds", "8 rounds", "10 rounds", "12 rounds", "serial form", "defaults"} <= set(names)
    for fact, (_, scenarios) in FACTS.items():
        assert "classic" in scenarios, fact


def test_a_cell_is_a_pure_function_of_its_setting():
    a = measure("9 spiral", "classic", "defaults", {}, 3)
    b = measure("9 spiral", "classic", "defaults", {}, 3, Context("classic", {}, 3))
    assert (a.mean, a.margin) == (b.mean, b.margin)
