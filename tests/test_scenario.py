"""Scenario files: the shipped `classic` loads, every validation problem is a `ScenarioError`
whose `.problems` name the field path and what is wrong, `--set` overrides change the right
value, and `python -m game_rules validate PATH` reports both cases on the command line."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from game_rules.scenario import (Params, ScenarioError, apply_overrides, load_scenario,
                                 parse_scenario, scenario_ids, scenario_text, settable_names)

ROOT = Path(__file__).resolve().parents[1]
CLASSIC = scenario_text("classic")


def edit(old: str, new: str, count: int = 1, text: str = CLASSIC) -> str:
    """`text` with `old` replaced by `new`; fails loudly if `old` is not there."""
    assert old in text, f"fixture text not found: {old!r}"
    return text.replace(old, new, count)


def problems(text: str, overrides=None) -> list[str]:
    with pytest.raises(ScenarioError) as ei:
        parse_scenario(text, overrides)
    assert ei.value.problems, "a ScenarioError must list its problems"
    # the message carries every problem too
    for p in ei.value.problems:
        assert p in str(ei.value)
    return ei.value.problems


# ---- the shipped scenario ----------------------------------------------------------------

def test_classic_loads():
    assert "classic" in scenario_ids()
    s = load_scenario("classic")
    assert s.id == "classic" and s.rounds == 8
    assert s.domain_ids() == ["design", "manufacturing", "distribution", "brand"]
    assert [r.id for r in s.roles] == ["west", "east"]
    assert sum(d.weight for d in s.domains) == pytest.approx(1.0)
    assert s.role("east").pace == 1.2
    assert s.role("west").competence["design"] == 80
    t = s.alliances[0].terms
    assert (t.release, t.form, t.milestone, t.exit_penalty, t.exit_trust_below) == ("staged", "parallel", 25, 40, 0.3)
    assert t.scope == ["design", "manufacturing"]
    assert t.split == {"west": 0.5, "east": 0.5}
    assert (s.scoring.internal, s.scoring.external, s.scoring.cash, s.scoring.freedom) == (2.0, 2.0, 0.1, 0.5)
    # classic sets no [params]: every parameter is the code default
    assert s.params == Params()
    assert s.role("west").brief and s.text.case and s.text.debrief
    assert [q.id for q in s.surveys] == ["surprise", "trust"]


def test_parse_is_pure_and_equal_to_load():
    assert parse_scenario(CLASSIC) == load_scenario("classic")


def test_unknown_scenario_id():
    with pytest.raises(ScenarioError) as ei:
        load_scenario("no_such_case")
    (p,) = ei.value.problems
    assert p.startswith("scenario: unknown scenario 'no_such_case' (known: ") and "classic" in p


# ---- validation problems name the field and the problem ---------------------------------

def test_unknown_key_top_level():
    assert problems('colour = "red"\n' + CLASSIC) == ["colour: unknown key"]


def test_unknown_key_nested():
    assert problems(edit("[phases]\n", "[phases]\nfoo = 1\n")) == ["phases.foo: unknown key"]
    assert problems(edit("tacitness = 0.3\n", "tacitness = 0.3\ncolour = 1\n")) == ["domains.0.colour: unknown key"]
    assert problems(edit("[phases]\n", "[params]\netta = 1.0\n\n[phases]\n")) == ["params.etta: unknown key"]
    assert problems(edit("milestone = 25\n", "milestone = 25\nmilestones = 3\n")) == [
        "alliances.0.terms.milestones: unknown key"]


def test_wrong_type():
    (p,) = problems(edit("rounds = 8", 'rounds = "eight"'))
    assert p.startswith("rounds: ") and "valid integer" in p and "'eight'" in p
    (p,) = problems(edit("tacitness = 0.3\n", 'tacitness = "high"\n'))
    assert p.startswith("domains.0.tacitness: ") and "valid number" in p and "'high'" in p
    (p,) = problems(edit('release = "staged"', 'release = "later"'))
    assert p.startswith("alliances.0.terms.release: ") and "'staged'" in p and "'upfront'" in p


def test_out_of_range():
    (p,) = problems(edit("tacitness = 0.3\n", "tacitness = 1.5\n"))
    assert p == "domains.0.tacitness: Input should be less than or equal to 1 (got 1.5)"
    (p,) = problems(edit("[phases]\n", "[params]\neta = -1\n\n[phases]\n"))
    assert p.startswith("params.eta: ") and "greater than or equal to 0" in p and "-1" in p
    (p,) = problems(edit("rounds = 8", "rounds = 0"))
    assert p.startswith("rounds: ") and "greater than or equal to 1" in p
    (p,) = problems(edit("tacitness = 0.3\n", "tacitness = nan\n"))
    assert p.startswith("domains.0.tacitness: ") and "finite" in p
    # competences are checked against the 0..100 start scale
    assert problems(edit("competence = { design = 80,", "competence = { design = 180,")) == [
        "roles.0.competence.design: must be between 0 and 100 (got 180)"]


def test_several_problems_are_all_listed():
    ps = problems(edit("rounds = 8", "rounds = 0", text=edit("tacitness = 0.3\n", "tacitness = 1.5\n")))
    assert len(ps) == 2
    assert any(p.startswith("rounds: ") for p in ps)
    assert any(p.startswith("domains.0.tacitness: ") for p in ps)


def test_missing_required_fields():
    ps = problems('id = "x"\n')
    for field in ("title", "domains", "roles", "rival", "alliances"):
        assert f"{field}: Field required" in ps


def test_weights_must_sum_to_one():
    # first weight 0.25 -> 0.35: 0.35 + 0.30 + 0.20 + 0.25 = 1.1
    assert problems(edit("weight = 0.25\n", "weight = 0.35\n")) == [
        "domains.weight: weights must sum to 1 (they sum to 1.1)"]


def test_contribution_outside_scope():
    assert problems(edit('west = ["design"]', 'west = ["design", "brand"]')) == [
        "alliances.0.terms.contributions.west: domain 'brand' is outside the scope"]


def test_scope_with_unknown_domain():
    assert "alliances.0.terms.scope: unknown domain 'marketing'" in problems(
        edit('scope = ["design", "manufacturing"]', 'scope = ["design", "manufacturing", "marketing"]'))


def test_unknown_role_in_alliance():
    ps = problems(edit('roles = ["west", "east"]', 'roles = ["west", "north"]'))
    assert "alliances.0.roles: unknown role 'north'" in ps
    # the terms still name east, which is no longer a role of this alliance
    assert "alliances.0.terms.contributions.east: not a role of this alliance" in ps


def test_alliance_of_one_role_twice():
    assert "alliances.0.roles: an alliance needs two different roles" in problems(
        edit('roles = ["west", "east"]', 'roles = ["west", "west"]'))


def test_split_must_sum_to_one():
    assert problems(edit("split = { west = 0.5, east = 0.5 }", "split = { west = 0.6, east = 0.5 }")) == [
        "alliances.0.terms.split: shares must sum to 1 (they sum to 1.1)"]
    assert "alliances.0.terms.split: give a share for each of ['west', 'east']" in problems(
        edit("split = { west = 0.5, east = 0.5 }", "split = { west = 1.0 }"))


def test_competence_for_unknown_domain():
    assert problems(edit("competence = { design = 80,", "competence = { style = 5, design = 80,")) == [
        "roles.0.competence.style: unknown domain"]


def test_competence_missing_domain():
    assert problems(edit("competence = { design = 80, manufacturing = 35, ", "competence = { design = 80, ")) == [
        "roles.0.competence.manufacturing: missing"]
    assert problems(edit("competence = { design = 60, manufacturing = 60, ", "competence = { design = 60, ")) == [
        "rival.competence.manufacturing: missing"]


def test_duplicate_ids():
    dup = edit('id = "distribution"', 'id = "design"')
    assert "domains.id: ids must be unique" in problems(dup)


def test_invalid_toml():
    (p,) = problems(CLASSIC + "\n[[[broken\n")
    assert p.startswith("(file): not valid TOML: ") and "line" in p
    (p,) = problems('id = "classic"\nid = "again"\n')
    assert p.startswith("(file): not valid TOML")


# ---- --set overrides ----------------------------------------------------------------------

def test_overrides_change_the_right_value():
    s = load_scenario("classic", {
        "eta": "0.5", "rounds": "5", "tacitness.design": "0.9", "weight.design": "0.25",
        "pace.east": "2", "competence.west.design": "50", "rival.brand": "70",
        "terms.release": "upfront", "terms.form": "serial", "terms.exit_penalty": "10",
        "terms.duration": "3", "scoring.cash": "0.3"})
    base = load_scenario("classic")
    assert s.params.eta == 0.5 and s.params.a0 == base.params.a0
    assert s.rounds == 5
    assert s.domains[0].tacitness == 0.9 and s.domains[1].tacitness == 0.6
    assert s.role("east").pace == 2.0 and s.role("west").pace == 1.0
    assert s.role("west").competence == {"design": 50, "manufacturing": 35, "distribution": 75, "brand": 80}
    assert s.role("east").competence == base.role("east").competence
    assert s.rival.competence == {"design": 60, "manufacturing": 60, "distribution": 60, "brand": 70}
    t = s.alliances[0].terms
    assert (t.release, t.form, t.exit_penalty, t.duration) == ("upfront", "serial", 10, 3)
    assert s.scoring.cash == 0.3 and s.scoring.internal == 2.0


def test_overrides_coerce_values():
    s = load_scenario("classic", {"decay": "0", "rounds": "12"})
    assert s.params.decay == 0.0 and s.rounds == 12 and isinstance(s.rounds, int)
    # non-string values pass through unchanged
    assert load_scenario("classic", {"mu": 25.0}).params.mu == 25.0


def test_unknown_override_name_raises():
    with pytest.raises(ScenarioError) as ei:
        load_scenario("classic", {"etaa": "1"})
    (p,) = ei.value.problems
    assert p.startswith("--set etaa: unknown parameter") and "eta" in p
    for bad in ("tacitness.style", "competence.north.design", "competence.west", "terms.split"):
        with pytest.raises(ScenarioError):
            load_scenario("classic", {bad: "1"})


def test_overrides_are_validated():
    assert problems(CLASSIC, {"tacitness.design": "1.5"}) == [
        "domains.0.tacitness: Input should be less than or equal to 1 (got 1.5)"]
    assert problems(CLASSIC, {"weight.design": "0.35"}) == [
        "domains.weight: weights must sum to 1 (they sum to 1.1)"]


def test_apply_overrides_returns_a_copy():
    import tomllib
    data = tomllib.loads(CLASSIC)
    out = apply_overrides(data, {"competence.east.brand": "55", "gamma": "0.4"})
    assert out["roles"][1]["competence"]["brand"] == 55
    assert out["params"]["gamma"] == 0.4
    assert data["roles"][1]["competence"]["brand"] == 30   # the input is not changed
    assert "params" not in data
    names = settable_names(data)
    assert set(Params.model_fields) <= set(names)
    assert "competence.west.manufacturing" in names and "terms.release" in names


# ---- command line -------------------------------------------------------------------------

def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "game_rules", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_cli_validate_good_file():
    r = run_cli("validate", str(ROOT / "game_rules" / "scenarios" / "classic.toml"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok: classic (")
    assert r.stderr == ""


def test_cli_validate_bad_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(edit("tacitness = 0.3\n", "tacitness = 1.5\n"), encoding="utf-8")
    r = run_cli("validate", str(bad))
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith("error: invalid scenario:")
    assert "domains.0.tacitness: Input should be less than or equal to 1 (got 1.5)" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_validate_invalid_toml(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("id = \n", encoding="utf-8")
    r = run_cli("validate", str(bad))
    assert r.returncode == 2 and "not valid TOML" in r.stderr and "Traceback" not in r.stderr


def test_cli_validate_missing_file(tmp_path):
    r = run_cli("validate", str(tmp_path / "nope.toml"))
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("error:")


def test_a_session_logged_without_a_model_version_keeps_model_1():
    """New sessions log model_version (server/hub.py); an old log has none and must replay
    under the model it was played with (tests/test_fixture_database.py checks whole logs)."""
    from game_rules.replay import SessionLog, rules_for
    from game_rules.scenario import MODEL_VERSION, session_overrides
    assert MODEL_VERSION == Params().model_version == 3
    assert session_overrides(None) == {"model_version": 1}
    assert session_overrides({"model_version": 2, "gamma": 0.4}) == {"model_version": 2, "gamma": 0.4}
    old = SessionLog("s_old", [], "classic", "", {"overrides": {}})
    two = SessionLog("s_two", [], "classic", "", {"overrides": {"model_version": 2}})
    new = SessionLog("s_new", [], "classic", "", {"overrides": {"model_version": MODEL_VERSION}})
    assert rules_for(old).params.model_version == 1
    assert rules_for(two).params.model_version == 2  # a model-2 session keeps model 2
    assert rules_for(new).params.model_version == 3
