"""The lesson each shipped scenario teaches, measured in bot play.

Every scenario's `[text] debrief` claims what the numbers usually show; the functions here
play the bots through the engine and return those numbers (means over seeds), so a test
can hold the claim to account and a facilitator can print them before class:

    python -m game_rules.lessons              # every scenario
    python -m game_rules.lessons joint_plant  # one

Pure like the engine: same arguments, same numbers. `play_with` is `simulate.play` with a
choice of which alliances are signed (the default pairing, a subset of the templates, the
pairings of a selection phase, or none).
"""
from __future__ import annotations

import statistics
import sys
import tomllib
from typing import Callable, Iterable

from .rules import Rules, instantiate_terms, sign_alliance, sign_default_alliances
from .scenario import Scenario, apply_overrides, load_scenario, scenario_text
from .scoring import score_session
from .selection import load_selection, pairings, run_bot_selection, sign_pairings
from .simulate import GameRecord, play
from .state import SessionState

Signer = Callable[[Rules, SessionState], object]


def rules_for(scenario: str, overrides: dict[str, str] | None = None) -> Rules:
    return Rules.from_scenario(load_scenario(scenario, overrides))


def sign_templates(template_ids: Iterable[str]) -> Signer:
    """A signer that signs only the named alliance templates (every copy)."""
    wanted = set(template_ids)

    def sign(rules: Rules, state: SessionState):
        copies = len(state.firms) // len(rules.scenario.roles)
        for c in range(1, copies + 1):
            for tpl in rules.scenario.alliances:
                if tpl.id in wanted:
                    sign_alliance(rules, state, f"{tpl.id}{c}", instantiate_terms(tpl, c, state.rounds))
    return sign


def sign_nothing(rules: Rules, state: SessionState) -> None:
    return None


def play_with(rules: Rules, strategies: dict[str, str], seed: int = 0, sign: Signer = sign_default_alliances,
              copies: int = 1, rounds: int | None = None) -> GameRecord:
    """`simulate.play`, with `sign(rules, state)` deciding which alliances exist."""
    return play(rules, strategies, seed, copies=copies, rounds=rounds, sign=sign)


# ---- what to read off a record ----------------------------------------------------------

def learned(rec: GameRecord, firm: str, domain: str) -> float:
    """Competence points `firm` learned from partners in `domain` over the game."""
    return sum(e["learned"][domain] for evs in rec.events for e in evs
               if e["type"] == "firm_result" and e["firm"] == firm)


def joint_value(rec: GameRecord) -> float:
    """Joint value created by every alliance over the game."""
    return sum(r["joint_value"] for r in rec.rounds)


def alliance_values(rec: GameRecord) -> dict[str, float]:
    """Joint value created by each alliance over the game."""
    out: dict[str, float] = {}
    for evs in rec.events:
        for e in evs:
            if e["type"] == "joint_value":
                out[e["alliance"]] = out.get(e["alliance"], 0.0) + e["value"]
    return out


def position(rules: Rules, rec: GameRecord, firm: str) -> float:
    return rules.position(rec.state.firms[firm].competence)


def mean(xs) -> float:
    return statistics.fmean(xs)


# ---- one function per scenario: the numbers its debrief talks about ------------------------

def variant(scenario: str, edit: Callable[[dict], None], overrides: dict[str, str] | None = None) -> Rules:
    """The scenario with its raw TOML data changed by `edit` (for what `--set` cannot reach),
    then `overrides` applied as `--set` would."""
    data = tomllib.loads(scenario_text(scenario))
    edit(data)
    return Rules.from_scenario(Scenario.model_validate(apply_overrides(data, overrides) if overrides else data))


def _games(rules: Rules, strategies: dict[str, str], seeds: int, sign: Signer = sign_default_alliances,
           rounds: int | None = None) -> list[GameRecord]:
    return [play_with(rules, strategies, sd, sign, rounds=rounds) for sd in range(seeds)]


def classic(seeds: int = 12, overrides: dict[str, str] | None = None) -> dict:
    """An absorbing Westward with an Orient that only contributes (allied and alone), and a
    balanced Westward against an internalizing Orient with staged or upfront release."""
    rules = rules_for("classic", overrides)
    strat = {"west": "internalizer", "east": "avoider"}
    allied = _games(rules, strat, seeds)
    alone = _games(rules, strat, seeds, sign_nothing)
    sa = [score_session(rules, g.state) for g in allied]
    out = {f: {"internal": mean(sc[f].internal_gain for sc in sa),
               "cash_allied": mean(g.state.firms[f].cash for g in allied),
               "cash_alone": mean(g.state.firms[f].cash for g in alone),
               "dependency_start": mean(g.rounds[0]["dependency"][f] for g in allied),
               "dependency_end": mean(g.rounds[-1]["dependency"][f] for g in allied)}
           for f in ("west1", "east1")}
    for release in ("staged", "upfront"):
        r = rules_for("classic", {**(overrides or {}), "terms.release": release})
        games = _games(r, {"west": "balanced", "east": "internalizer"}, seeds)
        out[f"west_internal_{release}"] = mean(score_session(r, g.state)["west1"].internal_gain for g in games)
    return out


def chip_tranches(seeds: int = 12, overrides: dict[str, str] | None = None) -> dict:
    """A balanced chip maker against a partner that internalizes, releasing its
    microprocessor know-how in ten small tranches (as shipped), in two large ones, or all
    at signing."""
    def two(d):
        d["alliances"][0]["terms"]["tranches"]["chipmaker"] = 2
    variants = {"many_tranches": rules_for("chip_tranches", overrides),
                "two_tranches": variant("chip_tranches", two, overrides),
                "upfront": rules_for("chip_tranches", {**(overrides or {}), "terms.release": "upfront"})}
    out = {}
    for name, rules in variants.items():
        games = _games(rules, {"chipmaker": "balanced", "hoshino": "internalizer"}, seeds)
        scores = [score_session(rules, g.state) for g in games]
        out[name] = {
            "chipmaker_internal": mean(sc["chipmaker1"].internal_gain for sc in scores),
            "chipmaker_cash": mean(sc["chipmaker1"].cash for sc in scores),
            "hoshino_learned_design": mean(learned(g, "hoshino1", "mpu_design") for g in games),
        }
    return out


def joint_plant(seeds: int = 12, overrides: dict[str, str] | None = None) -> dict:
    """The share of its lean-production gap the car maker closes by how hard and how long it
    absorbs (the lean producer balanced), the share it still holds at the end (model 3: what
    it copied from a faster developer goes out of date), the share of its dealer gap the lean
    producer closes with moderate effort, and the same moderate learner at a lower tacitness."""
    rules = rules_for("joint_plant", overrides)
    s = rules.scenario
    lean_gap = s.role("kiyomizu").competence["lean_production"] - s.role("lakeshore").competence["lean_production"]
    dealer_gap = s.role("lakeshore").competence["dealers"] - s.role("kiyomizu").competence["dealers"]
    out = {}
    cases = (("avoider", rules, "avoider", None), ("balanced", rules, "balanced", None),
             ("hard_short", rules, "internalizer", 4), ("hard_long", rules, "internalizer", None),
             ("balanced_low_tacitness", rules_for("joint_plant", {**(overrides or {}), "tacitness.lean_production": "0.4"}),
              "balanced", None))
    for name, r, strat, rounds in cases:
        games = _games(r, {"lakeshore": strat, "kiyomizu": "balanced"}, seeds, rounds=rounds)
        out[name] = {
            "lean_gap_closed": mean(learned(g, "lakeshore1", "lean_production") for g in games) / lean_gap,
            "lean_gap_held": mean(g.state.firms["lakeshore1"].learned_from.get("kiyomizu1", {})
                                  .get("lean_production", 0.0) for g in games) / lean_gap,
            "teacher_dealer_gap_closed": mean(learned(g, "kiyomizu1", "dealers") for g in games) / dealer_gap,
        }
    return out


def minority_stake(seeds: int = 12, overrides: dict[str, str] | None = None) -> dict:
    """Both partners against the same firms alone (positions, cash), what each learned, and
    the combined gain in position by pair of intents."""
    rules = rules_for("minority_stake", overrides)
    firms = ("seine1", "hokuriku1")
    alone = _games(rules, {}, seeds, sign_nothing)
    base = {f: mean(position(rules, g, f) for g in alone) for f in firms}
    base_cash = {f: mean(g.state.firms[f].cash for g in alone) for f in firms}
    out = {"alone": {f: {"position": base[f], "cash": base_cash[f]} for f in firms}}
    for a, b in (("balanced", "balanced"), ("internalizer", "avoider"), ("avoider", "internalizer")):
        games = _games(rules, {"seine": a, "hokuriku": b}, seeds)
        out[f"{a}/{b}"] = {
            **{f: {"position": mean(position(rules, g, f) for g in games),
                   "cash": mean(g.state.firms[f].cash for g in games)} for f in firms},
            "combined_gain": sum(mean(position(rules, g, f) for g in games) - base[f] for f in firms),
            "seine_learned_operations": mean(learned(g, "seine1", "operations") for g in games),
            "hokuriku_learned_strategy": mean(learned(g, "hokuriku1", "strategy") for g in games),
            "dissolved": mean(g.dissolved_round() is not None for g in games),
        }
    return out


def one_partner(seeds: int = 12, overrides: dict[str, str] | None = None) -> dict:
    """Dependency and freedom of the firm tied to one partner (Albion) and of the firm with
    a portfolio (Nordia), both playing the same intent, their partners balanced."""
    rules = rules_for("one_partner", overrides)
    out = {}
    for intent in ("balanced", "avoider", "internalizer"):
        games = _games(rules, {"albion": intent, "nordia": intent}, seeds)
        scores = [score_session(rules, g.state) for g in games]
        out[intent] = {f: {"freedom": mean(sc[f].freedom for sc in scores),
                           "dependency_start": mean(g.rounds[0]["dependency"][f] for g in games),
                           "dependency_end": mean(g.rounds[-1]["dependency"][f] for g in games),
                           "cash": mean(sc[f].cash for sc in scores)}
                       for f in ("albion1", "nordia1")}
    return out


def rivals_to_partners(seeds: int = 12, overrides: dict[str, str] | None = None) -> dict:
    """The young company with both incumbents, with one of them, and alone; the incumbents
    balanced or internalizing, the young company balanced."""
    out = {}
    rules = rules_for("rivals_to_partners", overrides)
    variants = {"both": sign_default_alliances, "cash_only": sign_templates(["cash_deal"]),
                "factory_only": sign_templates(["factory_deal"]), "alone": sign_nothing}
    for incumbents in ("balanced", "internalizer"):
        strat = {"rhenania": incumbents, "mikawa": incumbents, "voltara": "balanced"}
        out[incumbents] = {}
        for name, sign in variants.items():
            games = _games(rules, strat, seeds, sign)
            scores = [score_session(rules, g.state) for g in games]
            out[incumbents][name] = {"position": mean(position(rules, g, "voltara1") for g in games),
                                     "cash": mean(g.state.firms["voltara1"].cash for g in games),
                                     "freedom": mean(sc["voltara1"].freedom for sc in scores)}
    return out


def across_ocean(seeds: int = 12, overrides: dict[str, str] | None = None) -> dict:
    """Selection played by bots with and without the go-between's introductions, then the
    alliances that formed played out (every firm balanced)."""
    rules = rules_for("across_ocean", overrides)
    cfg = load_selection(rules.scenario)
    out = {}
    for name, intro in (("with_go_between", True), ("without", False)):
        values, formed, introduced, kept, broker = [], [], 0, 0, []
        per_kind = {"introduced": [], "found": []}
        for sd in range(seeds):
            box: dict = {}

            def sign(rules, state, intro=intro, box=box):
                state.phase = "selection"
                board, _ = run_bot_selection(rules, cfg, state, introductions=intro)
                box["pairs"] = pairings(rules, cfg, state, board)
                box["intros"] = board.introductions
                sign_pairings(rules, state, box["pairs"])

            g = play_with(rules, {}, sd, sign)
            values.append(joint_value(g))
            formed.append(len(box["pairs"]))
            introduced += len(box["intros"])
            kept += sum(p.introduced_by is not None for p in box["pairs"])
            intro_map = {p.alliance_id: p.introduced_by for p in box["pairs"] if p.introduced_by}
            broker.append(score_session(rules, g.state, intro_map)["bridge1"])
            by_alliance = alliance_values(g)
            for p in box["pairs"]:
                per_kind["introduced" if p.introduced_by else "found"].append(by_alliance.get(p.alliance_id, 0.0))
        out[name] = {"joint_value": mean(values), "alliances": mean(formed),
                     "introductions": introduced / seeds,
                     "introduced_kept": (kept / introduced) if introduced else None,
                     "value_per_introduced_alliance": mean(per_kind["introduced"]) if per_kind["introduced"] else None,
                     "value_per_found_alliance": mean(per_kind["found"]) if per_kind["found"] else None,
                     "go_between_total": mean(b.total for b in broker),
                     "go_between_rank": mean(b.rank for b in broker)}
    return out


LESSONS = {"classic": classic, "chip_tranches": chip_tranches, "joint_plant": joint_plant, "minority_stake": minority_stake,
           "one_partner": one_partner, "rivals_to_partners": rivals_to_partners,
           "across_ocean": across_ocean}


def main(argv: list[str] | None = None) -> int:
    import json
    names = (argv if argv is not None else sys.argv[1:]) or list(LESSONS)
    for n in names:
        if n not in LESSONS:
            print(f"error: no lesson for {n!r} (known: {', '.join(LESSONS)})", file=sys.stderr)
            return 2
        print(n, json.dumps(LESSONS[n](), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
