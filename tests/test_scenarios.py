"""The scenario library: every shipped scenario validates, carries its texts, plays to the
end with every pair of bot strategies, and teaches the lesson its debrief notes claim (a mean
over seeds, with a margin, measured by `game_rules.lessons`)."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from game_rules import lessons
from game_rules.bots import STRATEGIES
from game_rules.decisions import DecisionError
from game_rules.rules import Rules
from game_rules.scenario import load_scenario, parse_scenario, scenario_ids, scenario_text
from game_rules.simulate import tournament

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = scenario_ids()
LIBRARY = {"classic", "chip_tranches", "joint_plant", "minority_stake", "one_partner",
           "rivals_to_partners", "across_ocean"}
SEEDS = 12  # lessons are means over this many seeds


def test_the_library_ships_the_seven_cases():
    assert LIBRARY <= set(SCENARIOS)


# ---- every scenario validates and carries its texts ------------------------------------

@pytest.mark.parametrize("sid", SCENARIOS)
def test_scenario_validates_with_texts_for_every_role(sid):
    s = load_scenario(sid)
    assert s == parse_scenario(scenario_text(sid))
    assert s.id == sid and s.title
    assert s.text.case.strip() and s.text.inspired_by.strip()
    debrief = s.text.debrief
    assert "Questions to ask" in debrief and "What the numbers usually show" in debrief
    for r in s.roles:
        assert r.brief.strip().startswith("Confidential to"), f"{sid}: role {r.id} needs a brief"
        assert r.name in r.brief, f"{sid}: the brief of {r.id} should name its firm"
    for a in s.alliances:
        assert len(set(a.roles)) == 2
    assert s.surveys, f"{sid}: give the class at least one pulse-survey question"


def test_the_command_line_validates_every_shipped_file():
    for sid in SCENARIOS:
        path = ROOT / "game_rules" / "scenarios" / f"{sid}.toml"
        out = subprocess.run([sys.executable, "-m", "game_rules", "validate", str(path)],
                             capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith(f"ok: {sid} ")


def test_multi_role_cases_use_several_alliances_and_selection():
    op = load_scenario("one_partner")
    assert len(op.roles) >= 3 and op.phases.selection
    per_role = {r.id: sum(r.id in a.roles for a in op.alliances) for r in op.roles}
    assert max(per_role.values()) >= 2
    rp = load_scenario("rivals_to_partners")
    assert len(rp.roles) == 3 and len(rp.alliances) == 2
    assert any(a.terms.upfront_payment > 0 and a.terms.payer for a in rp.alliances)
    ms = load_scenario("minority_stake").alliances[0].terms
    assert ms.upfront_payment > 0 and ms.payer == "seine"
    ao = load_scenario("across_ocean")
    assert ao.phases.selection and len(ao.roles) == 5


# ---- every pair of strategies plays to the end ------------------------------------------

def test_play_with_default_signing_is_simulate_play():
    from game_rules.simulate import play
    rules = Rules.from_scenario(load_scenario("classic"))
    strat = {"west": "internalizer", "east": "tit_for_tat"}
    a, b = play(rules, strat, seed=4), lessons.play_with(rules, strat, seed=4)
    assert a.rounds == b.rounds and a.decisions == b.decisions and a.events == b.events


@pytest.mark.parametrize("sid", SCENARIOS)
def test_every_pair_of_strategies_plays_to_the_end(sid):
    rows = tournament(sid, seeds=3)
    assert len(rows) == len(STRATEGIES) ** 2
    for row in rows:
        for role_means in row["means"].values():
            assert all(math.isfinite(v) for v in role_means.values())
        assert 0.0 <= row["dissolution_rate"] <= 1.0


def _multi_alliance_roles():
    out = []
    for sid in SCENARIOS:
        s = load_scenario(sid)
        for r in s.roles:
            if sum(r.id in a.roles for a in s.alliances) >= 2:
                out.append((sid, r.id))
    return out


MULTI = _multi_alliance_roles()

def test_the_first_two_roles_hold_one_alliance_each():
    # so that the tournament above (strategies for the first two roles) can include `random`
    for sid in SCENARIOS:
        s = load_scenario(sid)
        for r in s.roles[:2]:
            assert sum(r.id in a.roles for a in s.alliances) == 1, (sid, r.id)


@pytest.mark.parametrize("sid, role", MULTI)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_firms_with_several_alliances_play_every_strategy(sid, role, strategy):
    rules = Rules.from_scenario(load_scenario(sid))
    for seed in range(3):
        rec = lessons.play_with(rules, {role: strategy}, seed)
        assert rec.state.phase == "debrief" and rec.state.round == rules.scenario.rounds


# ---- the lesson of each scenario ----------------------------------------------------------

def test_lesson_classic():
    m = lessons.classic(SEEDS)
    west, east = m["west1"], m["east1"]  # west absorbs, east only contributes
    assert west["internal"] > 0.05 and east["internal"] < -0.05
    for f in (west, east):
        assert f["cash_allied"] > 1.05 * f["cash_alone"]
    assert east["dependency_end"] > east["dependency_start"]
    assert west["dependency_end"] < west["dependency_start"] - 0.05
    assert m["west_internal_staged"] > m["west_internal_upfront"] + 0.005


def test_lesson_chip_tranches_small_doses_protect_the_chip_maker():
    m = lessons.chip_tranches(SEEDS)
    many, two, upfront = m["many_tranches"], m["two_tranches"], m["upfront"]
    # against an internalizing partner, ten small tranches keep the chip maker's internal gain
    # well above an upfront release and above two large tranches ...
    assert many["chipmaker_internal"] > upfront["chipmaker_internal"] + 0.03
    assert many["chipmaker_internal"] > two["chipmaker_internal"] + 0.03
    # ... because the partner absorbs far less design know-how ...
    assert many["hoshino_learned_design"] < 0.75 * upfront["hoshino_learned_design"]
    # ... at a modest cost in cash
    assert many["chipmaker_cash"] > 0.90 * upfront["chipmaker_cash"]


def test_lesson_joint_plant_tacit_skills_need_hard_and_long_learning():
    m = lessons.joint_plant(SEEDS)
    bal, short, long_ = m["balanced"], m["hard_short"], m["hard_long"]
    assert m["avoider"]["lean_gap_closed"] == 0.0
    # moderate effort closes little of the lean gap, while the lean producer closes most of
    # its (codified) dealer gap with the same moderate effort
    assert bal["lean_gap_closed"] < 0.20
    assert bal["teacher_dealer_gap_closed"] > 3 * bal["lean_gap_closed"]
    # a hard but short push closes little too; hard AND long is what it takes (past a fifth,
    # where moderate effort stops: about a quarter; the first text's "over 25%" was a
    # calibration, docs/model.md section 12) ...
    assert short["lean_gap_closed"] < 0.12
    assert long_["lean_gap_closed"] > 0.20
    # ... and part of it does not last: Kiyomizu develops faster (1.2 against 0.9), so what
    # Lakeshore copied goes out of date (model 3); at the end it holds under 80% of it
    assert long_["lean_gap_held"] < 0.8 * long_["lean_gap_closed"]
    assert long_["lean_gap_closed"] > 1.5 * bal["lean_gap_closed"]
    assert long_["lean_gap_closed"] > 2.5 * short["lean_gap_closed"]
    # it is the tacitness: the same moderate learner at tacitness 0.4 closes far more
    assert m["balanced_low_tacitness"]["lean_gap_closed"] > 3 * bal["lean_gap_closed"]


def test_lesson_minority_stake_mutual_learning_is_positive_sum():
    m = lessons.minority_stake(SEEDS)
    alone, both = m["alone"], m["balanced/balanced"]
    for f in ("seine1", "hokuriku1"):
        # both partners end stronger and richer than alone (Seine after paying for its stake)
        assert both[f]["position"] > alone[f]["position"] + 3
        assert both[f]["cash"] > alone[f]["cash"] + 100
    # learning runs both ways
    assert both["seine_learned_operations"] > 5 and both["hokuriku_learned_strategy"] > 5
    assert both["dissolved"] == 0
    # and the combined gain is largest when both learn, not when one takes and one gives
    for one_sided in ("internalizer/avoider", "avoider/internalizer"):
        assert both["combined_gain"] > m[one_sided]["combined_gain"] + 5


def test_lesson_one_partner_single_partner_ends_more_dependent():
    m = lessons.one_partner(SEEDS)
    for intent, row in m.items():
        albion, nordia = row["albion1"], row["nordia1"]
        # same strengths, same needs, same intent: one partner for everything leaves less freedom
        assert albion["freedom"] < nordia["freedom"] - 0.03, intent
        assert albion["dependency_end"] > nordia["dependency_end"] + 0.03, intent
    avoid = m["avoider"]
    # avoiding with one partner is a dependency spiral; the portfolio caps it
    assert avoid["albion1"]["dependency_end"] > avoid["albion1"]["dependency_start"] + 0.03
    assert avoid["albion1"]["dependency_end"] > avoid["nordia1"]["dependency_end"] + 0.15


def test_lesson_rivals_to_partners_the_portfolio_beats_going_alone():
    m = lessons.rivals_to_partners(SEEDS)
    for incumbents, v in m.items():
        both, alone = v["both"], v["alone"]
        singles = (v["cash_only"], v["factory_only"])
        # with both alliances the young company ends stronger and richer than alone ...
        assert both["position"] > alone["position"] + 4, incumbents
        assert both["cash"] > alone["cash"] + 200, incumbents
        # ... and than with either alliance alone: each partner fills a different gap
        assert all(both["position"] > s["position"] + 0.5 for s in singles), incumbents
        assert all(both["cash"] > s["cash"] + 200 for s in singles), incumbents
        # the price: dependence on two partners
        assert both["freedom"] < alone["freedom"] - 0.1, incumbents


def test_lesson_across_ocean_the_go_between_makes_the_valuable_pairs_form():
    m = lessons.across_ocean(SEEDS)
    with_gb, without = m["with_go_between"], m["without"]
    assert with_gb["introductions"] >= 1
    # introduced pairs form alliances and stay together through the selection
    assert with_gb["introduced_kept"] == 1.0
    # partial profiles make the searching firms miss valuable partners; introductions fix it
    assert with_gb["alliances"] > without["alliances"]
    assert with_gb["joint_value"] > 1.5 * without["joint_value"]
    # and the introduced alliances are better matches than the one firms found alone
    assert with_gb["value_per_introduced_alliance"] > 1.05 * without["value_per_found_alliance"]
    # the go-between is scored by what its introductions create: nothing introduced, last place
    assert with_gb["go_between_total"] > without["go_between_total"] == 0
    assert without["go_between_rank"] == len(lessons.rules_for("across_ocean").scenario.roles)


def test_a_go_between_is_scored_by_what_its_introductions_create():
    """across_ocean's Bridgeway signs no alliance: it used to be scored like a firm that
    never allied (against every other firm of its copy) and, having done nothing, ranked
    2nd after round 1. It now scores the mean of the firms it introduced, zero for none."""
    import statistics

    from game_rules.scoring import score_session
    rules = lessons.rules_for("across_ocean")
    g = lessons.play_with(rules, {}, seed=1, rounds=1)  # the templates' alliances, no introduction
    sc = score_session(rules, g.state)
    assert sc["bridge1"].total == 0 and not any(sc["bridge1"].parts.values())
    assert sc["bridge1"].rank > 2
    intro = {"os_deal1": "bridge1"}
    sc = score_session(rules, g.state, intro)
    firms = g.state.alliances["os_deal1"].firms
    assert sc["bridge1"].total == pytest.approx(statistics.fmean(sc[f].total for f in firms))
    assert sc["bridge1"].partners == sorted(firms)
    # a session logged under model 1 keeps the score it was played with
    old = lessons.rules_for("across_ocean", {"model_version": "1"})
    assert score_session(old, g.state)["bridge1"].total != 0
