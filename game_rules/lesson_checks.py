"""Each scenario's lesson as named claims, checkable away from the defaults.

`tests/test_scenarios.py` holds every shipped scenario's debrief to account at the defaults
(`game_rules.lessons` plays the bots); here the same assertions, with the same thresholds,
are slacks: positive when the claim holds. `check(scenario, overrides, seeds)` plays the
lesson in one setting of the robustness sweep (`game_rules.robustness.perturbations`: each
parameter x0.8 and x1.2, 5/8/10/12 rounds, serial form) and returns every claim's slack.
`tests/test_lesson_robustness.py` samples settings; `benchmarks/robustness.py --lessons`
runs them all and writes the table in docs/model.md (section 12).

Units differ between claims (positions, cash, shares of a gap); only the sign is compared.
Pure like the engine.
"""
from __future__ import annotations

from typing import Callable

from . import lessons

Claims = Callable[[dict], dict[str, float]]


def _classic(m: dict) -> dict[str, float]:
    west, east = m["west1"], m["east1"]
    return {
        "the absorbing firm gains internally": west["internal"] - 0.05,
        "the contributing firm loses internally": -0.05 - east["internal"],
        "both earn 5% more cash than alone": min(f["cash_allied"] - 1.05 * f["cash_alone"] for f in (west, east)),
        "the contributor's dependency rises": east["dependency_end"] - east["dependency_start"],
        "the absorber's dependency falls": west["dependency_start"] - 0.05 - west["dependency_end"],
        "staged release limits the loss": m["west_internal_staged"] - m["west_internal_upfront"] - 0.005,
    }


def _chip_tranches(m: dict) -> dict[str, float]:
    many, two, upfront = m["many_tranches"], m["two_tranches"], m["upfront"]
    return {
        "small doses beat upfront (internal gain)": many["chipmaker_internal"] - upfront["chipmaker_internal"] - 0.03,
        "small doses beat two tranches": many["chipmaker_internal"] - two["chipmaker_internal"] - 0.03,
        "the partner learns under 75% as much": 0.75 * upfront["hoshino_learned_design"] - many["hoshino_learned_design"],
        "at under 10% of cash": many["chipmaker_cash"] - 0.90 * upfront["chipmaker_cash"],
    }


def _joint_plant(m: dict) -> dict[str, float]:
    bal, short, long_ = m["balanced"], m["hard_short"], m["hard_long"]
    return {
        "an avoider closes nothing": -m["avoider"]["lean_gap_closed"] + 1e-12,
        "moderate effort closes under 20%": 0.20 - bal["lean_gap_closed"],
        "the codified gap closes 3x faster": bal["teacher_dealer_gap_closed"] - 3 * bal["lean_gap_closed"],
        "hard but short closes under 12%": 0.12 - short["lean_gap_closed"],
        # restated under model 3 (docs/model.md section 12): the 25% of the first text was a
        # calibration (0.2502 over 12 seeds under model 2, 0.2500 under model 3); past a fifth
        # is where moderate effort stops
        "hard and long closes over 20%": long_["lean_gap_closed"] - 0.20,
        "a faster teacher's lessons age (held < 80%)": 0.8 * long_["lean_gap_closed"] - long_["lean_gap_held"],
        "hard and long beats moderate 1.5x": long_["lean_gap_closed"] - 1.5 * bal["lean_gap_closed"],
        "hard and long beats hard short 2.5x": long_["lean_gap_closed"] - 2.5 * short["lean_gap_closed"],
        "tacitness is the reason (0.4: 3x)": m["balanced_low_tacitness"]["lean_gap_closed"] - 3 * bal["lean_gap_closed"],
    }


def _minority_stake(m: dict) -> dict[str, float]:
    alone, both = m["alone"], m["balanced/balanced"]
    firms = ("seine1", "hokuriku1")
    return {
        "both end stronger than alone (+3)": min(both[f]["position"] - alone[f]["position"] - 3 for f in firms),
        "both end richer than alone (+100)": min(both[f]["cash"] - alone[f]["cash"] - 100 for f in firms),
        "learning runs both ways (>5 each)": min(both["seine_learned_operations"], both["hokuriku_learned_strategy"]) - 5,
        "the balanced pair never dissolves": -both["dissolved"] + 1e-12,
        "mutual learning beats one-sided (+5)": min(both["combined_gain"] - m[k]["combined_gain"] - 5
                                                    for k in ("internalizer/avoider", "avoider/internalizer")),
    }


def _one_partner(m: dict) -> dict[str, float]:
    avoid = m["avoider"]
    return {
        "one partner leaves less freedom": min(r["nordia1"]["freedom"] - 0.03 - r["albion1"]["freedom"] for r in m.values()),
        "one partner ends more dependent": min(r["albion1"]["dependency_end"] - r["nordia1"]["dependency_end"] - 0.03
                                               for r in m.values()),
        "avoiding with one partner spirals": avoid["albion1"]["dependency_end"] - avoid["albion1"]["dependency_start"] - 0.03,
        "the portfolio caps the spiral": avoid["albion1"]["dependency_end"] - avoid["nordia1"]["dependency_end"] - 0.15,
    }


def _rivals_to_partners(m: dict) -> dict[str, float]:
    out: dict[str, float] = {}

    def worst(name, x):
        out[name] = min(out.get(name, x), x)
    for v in m.values():
        both, alone, singles = v["both"], v["alone"], (v["cash_only"], v["factory_only"])
        worst("both alliances beat alone (position +4)", both["position"] - alone["position"] - 4)
        worst("both alliances beat alone (cash +200)", both["cash"] - alone["cash"] - 200)
        worst("both beat either one (position +0.5)", min(both["position"] - s["position"] - 0.5 for s in singles))
        worst("both beat either one (cash +200)", min(both["cash"] - s["cash"] - 200 for s in singles))
        worst("the price is dependence (freedom -0.1)", alone["freedom"] - 0.1 - both["freedom"])
    return out


def _across_ocean(m: dict) -> dict[str, float]:
    w, wo = m["with_go_between"], m["without"]
    per_intro = w["value_per_introduced_alliance"] or 0.0
    per_found = wo["value_per_found_alliance"] or 0.0
    return {
        "the go-between introduces": w["introductions"] - 1 + 1e-12,
        "introduced pairs stay together": (w["introduced_kept"] or 0.0) - 1 + 1e-12,
        "more alliances form": w["alliances"] - wo["alliances"],
        "1.5x the joint value": w["joint_value"] - 1.5 * wo["joint_value"],
        "introduced pairs match better (1.05x)": per_intro - 1.05 * per_found,
        "the go-between is scored by its introductions": w["go_between_total"] - wo["go_between_total"],
    }


CLAIMS: dict[str, Claims] = {"classic": _classic, "chip_tranches": _chip_tranches, "joint_plant": _joint_plant,
                             "minority_stake": _minority_stake, "one_partner": _one_partner,
                             "rivals_to_partners": _rivals_to_partners, "across_ocean": _across_ocean}


def check(scenario: str, overrides: dict[str, str] | None = None, seeds: int = 12) -> dict[str, float]:
    """Every claim of the scenario's lesson in one setting: claim -> slack (> 0: holds)."""
    return CLAIMS[scenario](lessons.LESSONS[scenario](seeds, overrides or {}))


def failing(slacks: dict[str, float]) -> list[str]:
    return [name for name, s in slacks.items() if s <= 0]
