"""Bots play legal decisions from a view; the command line behaves as documented."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from game_rules.bots import STRATEGIES, bot_decision
from game_rules.decisions import parse_decision, validate_decision
from game_rules.engine import resolve_round
from game_rules.rules import Rules, new_session, sign_default_alliances
from game_rules.scenario import load_scenario
from game_rules.views import events_by_firm, firm_view


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("allied", [True, False])
def test_every_bot_plays_legal_decisions_every_round(strategy, allied):
    rules = Rules.from_scenario(load_scenario("classic"))
    for seed in range(5):
        state = new_session(rules, copies=1, seed=seed)
        if allied:
            sign_default_alliances(rules, state)
        state.phase = "execution"
        history = {f: [] for f in state.firms}
        while state.phase == "execution":
            decisions = {}
            for fid in state.firms:
                raw = bot_decision(firm_view(rules, state, fid, history[fid]), strategy, seed)
                d = parse_decision(fid, raw)
                validate_decision(rules, state, d)
                decisions[fid] = d
            before = state
            state, events = resolve_round(rules, state, decisions)
            shown = events_by_firm(rules, before, state, [e.to_dict() for e in events], decisions, history)
            for fid, evs in shown.items():
                history[fid].extend(evs)


def test_unknown_strategy_is_a_clear_error():
    rules = Rules.from_scenario(load_scenario("classic"))
    state = new_session(rules)
    with pytest.raises(ValueError, match="unknown strategy 'greedy'"):
        bot_decision(firm_view(rules, state, "west1"), "greedy")


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "game_rules", *args], capture_output=True, text=True)


def test_simulate_json_has_the_documented_fields():
    out = run_cli("simulate", "--scenario", "classic", "--strategies", "internalizer,avoider",
                  "--seed", "3", "--rounds", "6", "--release", "upfront", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data["firms"]) == {"west1", "east1"}
    for f in data["firms"].values():
        assert {"internal_gain", "external_gain", "cash", "freedom"} <= set(f)
    assert data["dissolved_round"] is None
    assert len(data["rounds"]) == 6
    r = data["rounds"][0]
    assert {"joint_value", "trust", "dependency", "competence"} <= set(r)
    assert set(r["competence"]["west1"]) == {"design", "manufacturing", "distribution", "brand"}


def test_set_overrides_change_results_and_unknown_names_fail():
    base = json.loads(run_cli("simulate", "--strategies", "internalizer,avoider", "--json").stdout)
    tacit = json.loads(run_cli("simulate", "--strategies", "internalizer,avoider", "--json",
                               "--set", "tacitness.manufacturing=0.9", "--set", "eta=0.3").stdout)
    assert tacit["firms"]["west1"]["internal_gain"] < base["firms"]["west1"]["internal_gain"]
    bad = run_cli("simulate", "--strategies", "internalizer,avoider", "--set", "nope=1")
    assert bad.returncode == 2 and "nope: unknown parameter" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_readable_table_and_bad_arguments():
    out = run_cli("simulate", "--strategies", "balanced,tit-for-tat")
    assert out.returncode == 0 and "internal" in out.stdout and "west1" in out.stdout
    bad = run_cli("simulate", "--strategies", "balanced")
    assert bad.returncode == 2 and "one strategy per role" in bad.stderr
    bad = run_cli("simulate", "--strategies", "balanced,greedy")
    assert bad.returncode == 2 and "unknown strategy" in bad.stderr
    bad = run_cli("simulate", "--scenario", "nosuch", "--strategies", "balanced,balanced")
    assert bad.returncode == 2 and "unknown scenario" in bad.stderr


def test_tournament_json_covers_every_pairing():
    out = run_cli("tournament", "--scenario", "classic", "--seeds", "2", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) == len(STRATEGIES) ** 2
    for row in rows:
        assert 0.0 <= row["dissolution_rate"] <= 1.0
        for m in row["means"].values():
            assert {"internal_gain", "external_gain", "cash"} <= set(m)
    table = run_cli("tournament", "--seeds", "1")
    assert table.returncode == 0 and "dissolved" in table.stdout


def test_tournament_and_simulate_play_the_scenarios_real_pairings():
    """In rivals_to_partners the first two roles (two incumbents) never ally with each other:
    the tournament pits the partners of the first alliance, and simulate says who allied."""
    from game_rules.scenario import load_scenario
    from game_rules.simulate import simulate, tournament
    templates = {frozenset(a.roles) for a in load_scenario("rivals_to_partners").alliances}
    rows = tournament("rivals_to_partners", seeds=1, strategies=("balanced", "avoider"))
    for row in rows:
        assert frozenset(row["strategies"]) in templates, row["strategies"]
        assert set(row["means"]) == set(row["strategies"])
    game = simulate("rivals_to_partners", ["internalizer", "avoider"], seed=1)
    assert {frozenset(f[:-1] for f in firms) for firms in game["alliances"].values()} == templates
    out = run_cli("simulate", "--scenario", "rivals_to_partners", "--strategies", "balanced,balanced")
    assert out.returncode == 0 and "cash_deal1 (voltara1 with rhenania1)" in out.stdout
