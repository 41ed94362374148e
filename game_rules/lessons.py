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
from typing import Callable, Iterable

from .bots import bot_decision
from .decisions import parse_decision
from .engine import resolve_round
from .rules import Rules, instantiate_terms, new_session, sign_alliance, sign_default_alliances
from .scenario import load_scenario
from .scoring import score_session
from .selection import load_selection, pairings, run_bot_selection, sign_pairings
from .simulate import GameRecord, _round_record
from .state import SessionState
from .views import events_for_firm, firm_view

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
    state = new_session(rules, copies=copies, seed=seed, rounds=rounds)
    sign(rules, state)
    state.phase = "execution"
    rec = GameRecord(state)
    history: dict[str, list[dict]] = {f: [] for f in state.firms}
    last: dict = {}
    while state.phase == "execution":
        raw = {fid: bot_decision(firm_view(rules, state, fid, history[fid], last.get(fid)),
                                 strategies.get(firm.role, "balanced"), seed)
               for fid, firm in state.firms.items()}
        decisions = {fid: parse_decision(fid, d) for fid, d in raw.items()}
        state, events = resolve_round(rules, state, decisions)
        dicts = [e.to_dict() for e in events]
        for fid in state.firms:
            history[fid].extend(events_for_firm(state, fid, dicts))
        last = decisions
        rec.state = state
        rec.events.append(dicts)
        rec.decisions.append(raw)
        rec.rounds.append(_round_record(rules, state, dicts))
    return rec


# ---- what to read off a record ----------------------------------------------------------

def learned(rec: GameRecord, firm: str, domain: str) -> float:
    """Competence points `firm` learned from partners in `domain` over the game."""
    return sum(e["learned"][domain] for evs in rec.events for e in evs
               if e["type"] == "firm_result" and e["firm"] == firm)


def joint_value(rec: GameRecord) -> float:
    """Joint value created by every alliance over the game."""
    return sum(r["joint_value"] for r in rec.rounds)


def position(rules: Rules, rec: GameRecord, firm: str) -> float:
    return rules.position(rec.state.firms[firm].competence)


def mean(xs) -> float:
    return statistics.fmean(xs)


# ---- one function per scenario: the numbers its debrief talks about ------------------------

def chip_tranches(seeds: int = 12) -> dict:
    """Against a partner that internalizes, the chip maker releases its microprocessor
    technology in many small tranches, in two tranches, or all upfront."""
    out = {}
    variants = {"many_tranches": {}, "two_tranches": {"milestone": "60"},
                "upfront": {"terms.release": "upfront"}}
    for name, ov in variants.items():
        ov = dict(ov)
        if "milestone" in ov:
            ov = {"terms.milestone": ov.pop("milestone")}
        rules = rules_for("chip_tranches", ov)
        games = [play_with(rules, {"chipmaker": "balanced", "hoshino": "internalizer"}, s) for s in range(seeds)]
        scores = [score_session(rules, g.state) for g in games]
        out[name] = {
            "chipmaker_internal": mean(sc["chipmaker1"].internal_gain for sc in scores),
            "chipmaker_cash": mean(sc["chipmaker1"].cash for sc in scores),
            "hoshino_learned_design": mean(learned(g, "hoshino1", "mpu_design") for g in games),
        }
    return out


def joint_plant(seeds: int = 12) -> dict:
    """How much of its lean-production gap the car maker closes, by how hard and how long
    it absorbs, and how much of its dealer-network gap the lean producer closes."""
    rules = rules_for("joint_plant")
    s = rules.scenario
    lean_gap = s.role("kiyomizu").competence["lean_production"] - s.role("lakeshore").competence["lean_production"]
    dealer_gap = s.role("lakeshore").competence["dealers"] - s.role("kiyomizu").competence["dealers"]
    out = {}
    for name, strat, rounds in (("avoider", "avoider", None), ("balanced", "balanced", None),
                                ("hard_short", "internalizer", 4), ("hard_long", "internalizer", None)):
        games = [play_with(rules, {"lakeshore": strat, "kiyomizu": "balanced"}, sd, rounds=rounds)
                 for sd in range(seeds)]
        out[name] = {
            "lean_gap_closed": mean(learned(g, "lakeshore1", "lean_production") for g in games) / lean_gap,
            "teacher_dealer_gap_closed": mean(learned(g, "kiyomizu1", "dealers") for g in games) / dealer_gap,
        }
    return out


def minority_stake(seeds: int = 12) -> dict:
    """Both partners of a capability alliance against the same firms alone."""
    rules = rules_for("minority_stake")
    strat = {"seine": "balanced", "hokuriku": "balanced"}
    out = {}
    for name, sign in (("allied", sign_default_alliances), ("alone", sign_nothing)):
        games = [play_with(rules, strat, sd, sign) for sd in range(seeds)]
        scores = [score_session(rules, g.state) for g in games]
        out[name] = {f: {"position": mean(position(rules, g, f) for g in games),
                         "cash": mean(sc[f].cash for sc in scores),
                         "external": mean(sc[f].external_gain for sc in scores)}
                     for f in ("seine1", "hokuriku1")}
    games = [play_with(rules, strat, sd) for sd in range(seeds)]
    out["learned"] = {"seine_operations": mean(learned(g, "seine1", "operations") for g in games),
                      "hokuriku_strategy": mean(learned(g, "hokuriku1", "strategy") for g in games)}
    return out


def one_partner(seeds: int = 12) -> dict:
    """Dependency of the firm tied to one partner against the firm with a portfolio."""
    rules = rules_for("one_partner")
    games = [play_with(rules, {}, sd) for sd in range(seeds)]
    scores = [score_session(rules, g.state) for g in games]
    out = {}
    for f in ("albion1", "nordia1"):
        out[f] = {"freedom": mean(sc[f].freedom for sc in scores),
                  "dependency_start": mean(g.rounds[0]["dependency"][f] for g in games),
                  "dependency_end": mean(g.rounds[-1]["dependency"][f] for g in games),
                  "internal": mean(sc[f].internal_gain for sc in scores)}
    return out


def rivals_to_partners(seeds: int = 12) -> dict:
    """The young company with both incumbents, with one of them, and alone."""
    rules = rules_for("rivals_to_partners")
    variants = {"both": sign_default_alliances, "cash_only": sign_templates(["cash_deal"]),
                "factory_only": sign_templates(["factory_deal"]), "alone": sign_nothing}
    out = {}
    for name, sign in variants.items():
        games = [play_with(rules, {}, sd, sign) for sd in range(seeds)]
        out[name] = {"position": mean(position(rules, g, "voltara1") for g in games),
                     "cash": mean(g.state.firms["voltara1"].cash for g in games)}
    return out


def across_ocean(seeds: int = 12) -> dict:
    """Selection played by bots with and without the go-between's introductions."""
    rules = rules_for("across_ocean")
    cfg = load_selection(rules.scenario)
    out = {}
    for name, intro in (("with_go_between", True), ("without", False)):
        values, formed, introduced, kept = [], [], 0, 0
        for sd in range(seeds):
            box = {}

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
        out[name] = {"joint_value": mean(values), "alliances": mean(formed),
                     "introductions": introduced / seeds,
                     "introduced_kept": (kept / introduced) if introduced else None}
    return out


LESSONS = {"chip_tranches": chip_tranches, "joint_plant": joint_plant, "minority_stake": minority_stake,
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
