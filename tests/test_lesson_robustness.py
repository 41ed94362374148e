"""Each scenario's lesson away from the defaults, sampled so the suite stays fast: the claims
of tests/test_scenarios.py (game_rules/lesson_checks.py) in a few settings of the robustness
sweep (`benchmarks/robustness.py --lessons` runs them all; the table is in docs/model.md,
section 12, with the fragile lessons and why)."""
from __future__ import annotations

import pytest

from game_rules import lesson_checks, lessons
from game_rules.robustness import perturbations

SEEDS = 6
# one setting per kind of perturbation, spread over the scenarios
SAMPLE = [
    ("classic", "eta x0.8"),
    ("chip_tranches", "decay x1.2"),
    ("minority_stake", "value_scale x1.2"),
    ("one_partner", "decay x1.2"),
    ("rivals_to_partners", "serial form"),
    ("across_ocean", "budget x0.8"),
]


def _overrides(scenario: str, setting: str) -> dict[str, str]:
    return dict(perturbations(scenario))[setting]


@pytest.mark.parametrize("scenario, setting", SAMPLE)
def test_the_lesson_holds_in_a_sampled_setting(scenario, setting):
    slacks = lesson_checks.check(scenario, _overrides(scenario, setting), SEEDS)
    assert lesson_checks.failing(slacks) == [], slacks


def test_every_scenario_with_a_lesson_has_its_claims():
    assert set(lesson_checks.CLAIMS) == set(lessons.LESSONS)


def test_a_lesson_takes_the_settings_it_is_played_in():
    """The perturbation reaches the games: the same lesson at another length is another result."""
    a = lessons.classic(2, {})
    b = lessons.classic(2, {"rounds": "5"})
    assert a != b and lessons.classic(2, {}) == a


def test_joint_plants_long_push_needs_a_long_game():
    """The fragility docs/model.md names: "hard and long beats hard but short 2.5x" compares
    a fixed 4-round push with one over the whole game, so in a 5-round game the long push is
    barely longer and the claim fails, while the mechanism claims (long beats moderate,
    tacitness is the reason) still hold."""
    full = lesson_checks.check("joint_plant", {}, SEEDS)
    short = lesson_checks.check("joint_plant", {"rounds": "5"}, SEEDS)
    assert full["hard and long beats hard short 2.5x"] > 0 > short["hard and long beats hard short 2.5x"]
    for claim in ("hard and long beats moderate 1.5x", "tacitness is the reason (0.4: 3x)"):
        assert short[claim] > 0 and full[claim] > 0, claim
