"""Bot play through the engine alone (no server): one game, and tournaments.

`play` runs a whole session with a strategy per role and records, per round, what the
command line and the stylized-fact tests read; with `renegotiation_every` (`--set`) the bots
renegotiate in each window as a session's seat bots and the live bots do, each from its own
firm's view (game_rules/renegotiation_moves.py: shares, release schedule, exit terms). Pure:
same arguments, same result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

from . import renegotiation, renegotiation_moves as reneg_moves
from .bots import ALL_STRATEGIES, STRATEGIES, bot_decision
from .decisions import parse_decision
from .engine import resolve_round
from .renegotiation_story import changes
from .rules import Rules, new_session, sign_default_alliances
from .scenario import load_scenario
from .scoring import score_session
from .state import SessionState
from .views import events_by_firm, firm_view


@dataclass
class GameRecord:
    state: SessionState
    rounds: list[dict] = field(default_factory=list)
    events: list[list[dict]] = field(default_factory=list)
    decisions: list[dict[str, dict]] = field(default_factory=list)
    history: dict[str, list[dict]] = field(default_factory=dict)  # firm -> what it was shown
    windows: list[dict] = field(default_factory=list)  # renegotiation windows (`_window`), in order

    def dissolved_round(self, alliance: str | None = None) -> int | None:
        for al in self.state.alliances.values():
            if (alliance is None or al.id == alliance) and al.status == "dissolved":
                return al.ended_round
        return None


def play(rules: Rules, strategies: dict[str, str], seed: int = 0, copies: int = 1,
         rounds: int | None = None, allied: bool = True, sign=sign_default_alliances) -> GameRecord:
    """Play a session where each role follows `strategies[role]` (roles not named play
    balanced). `sign(rules, state)` decides which alliances exist (default: every
    template, once per copy); with `allied=False` none is signed and every firm plays its
    outside option (alone)."""
    state = new_session(rules, copies=copies, seed=seed, rounds=rounds)
    if allied:
        sign(rules, state)
    state.phase = "execution"
    history: dict[str, list[dict]] = {f: [] for f in state.firms}
    rec = GameRecord(state, history=history)
    last: dict = {}
    while state.phase == "execution":
        raw = {fid: bot_decision(firm_view(rules, state, fid, history[fid], last.get(fid)),
                                 strategies.get(firm.role, "balanced"), seed)
               for fid, firm in state.firms.items()}
        decisions = {fid: parse_decision(fid, d) for fid, d in raw.items()}
        before = state
        state, events = resolve_round(rules, state, decisions)
        dicts = [e.to_dict() for e in events]
        shown = events_by_firm(rules, before, state, dicts, decisions, history)
        for fid in state.firms:
            history[fid].extend(shown[fid])
        last = decisions
        rec.state = state
        rec.events.append(dicts)
        rec.decisions.append(raw)
        rec.rounds.append(_round_record(rules, state, dicts))
        if renegotiation.due(rules.scenario.phases.renegotiation_every, state):  # `--set renegotiation_every=n`
            rec.windows.append(_window(rules, state, strategies, history, last))
    return rec


def _window(rules: Rules, state: SessionState, strategies: dict[str, str], history: dict, last: dict) -> dict:
    """A renegotiation window between rounds: the two bots of each active alliance bargain
    (renegotiation_moves.bots_settle), each from its own firm's view as a seat bot of a
    session does; agreed terms apply from the next round. What was said, as a record."""
    views: dict[str, dict] = {}

    def view_of(fid: str) -> dict:
        if fid not in views:
            views[fid] = firm_view(rules, state, fid, history[fid], last.get(fid))
        return views[fid]
    plays = {fid: strategies.get(f.role, "balanced") for fid, f in state.firms.items()}
    window = {"round": state.round, "applies_from": state.round + 1, "alliances": {}}
    for al in [a for a in state.alliances.values() if a.status == "active"]:
        hands = {f: reneg_moves.hand(view_of(f), al.id) for f in al.firms}  # as each judged it, before
        exact = renegotiation.dependencies(rules, state, al.id)                # ... and what it did not see
        in_force = al.terms.to_dict()
        terms, moves = reneg_moves.bots_settle(rules, state, al.id, {f: plays[f] for f in al.firms}, view_of)
        for m in moves:  # what each proposal changes, as the debrief tells it
            if m["terms"] is not None:
                m["changes"] = changes(in_force, m["terms"])
        if terms is not None:
            renegotiation.apply_terms(state, al.id, terms)
        window["alliances"][al.id] = {"hands": hands, "exact_dependency": exact, "moves": moves,
                                      "outcome": "renegotiated" if terms is not None else "kept",
                                      "terms": al.terms.to_dict()}
    return window


def _round_record(rules: Rules, state: SessionState, events: list[dict]) -> dict:
    results = {e["firm"]: e for e in events if e["type"] == "firm_result"}
    return {
        "round": state.round,
        "joint_value": sum(e["value"] for e in events if e["type"] == "joint_value"),
        "trust": {f: (sum(r["trust"].values()) / len(r["trust"]) if r["trust"] else None)
                  for f, r in results.items()},
        "dependency": {f: (max(r["dependency"].values()) if r["dependency"] else 0.0)
                       for f, r in results.items()},
        "competence": {f: r["competence"] for f, r in results.items()},
        "position": {f: r["position"] for f, r in results.items()},
        "cash": {f: r["cash"] for f, r in results.items()},
        "rival_position": rules.position(state.rival),
    }


def summary(rules: Rules, rec: GameRecord) -> dict:
    scores = score_session(rules, rec.state)
    return {
        "scenario": rules.scenario.id,
        "seed": rec.state.seed,
        "firms": {f: {"internal_gain": s.internal_gain, "external_gain": s.external_gain,
                      "cash": s.cash, "freedom": s.freedom, "total": s.total, "rank": s.rank,
                      "parts": s.parts}
                  for f, s in scores.items()},
        "dissolved_round": rec.dissolved_round(),
        # the pairings actually played (a scenario's first two roles need not be partners)
        "alliances": {a.id: list(a.firms) for a in rec.state.alliances.values()},
        "rounds": rec.rounds,
        # the windows' moves and outcomes (only with `renegotiation_every`: other outputs stay as they were)
        **({"renegotiations": rec.windows} if rules.scenario.phases.renegotiation_every else {}),
    }


def simulate(scenario: str, strategies: list[str], seed: int = 0, rounds: int | None = None,
             release: str | None = None, overrides: dict[str, str] | None = None,
             allied: bool = True) -> dict:
    """One copy of the case, strategies given in the scenario's role order."""
    overrides = dict(overrides or {})
    if release:
        overrides["terms.release"] = release
    rules = Rules.from_scenario(load_scenario(scenario, overrides))
    roles = [r.id for r in rules.scenario.roles]
    if not 2 <= len(strategies) <= len(roles):
        raise ValueError(f"give one strategy per role ({', '.join(roles)}), at least for the "
                         f"first two; got {len(strategies)}")
    strategies = list(strategies) + ["balanced"] * (len(roles) - len(strategies))  # the rest play balanced
    bad = [s for s in strategies if s not in ALL_STRATEGIES]
    if bad:
        raise ValueError(f"unknown strategy {bad[0]!r} (known: {', '.join(ALL_STRATEGIES)})")
    return summary(rules, play(rules, dict(zip(roles, strategies)), seed, rounds=rounds, allied=allied))


def tournament(scenario: str, seeds: int = 20, strategies=STRATEGIES, rounds: int | None = None,
               overrides: dict[str, str] | None = None) -> list[dict]:
    """Every strategy for one partner of the scenario's first alliance against every
    strategy for the other (other roles play balanced), `seeds` games each; means per
    pairing and role. The two roles are a real pairing of the scenario, not its first two
    roles (in `rivals_to_partners` those two never ally with each other)."""
    rules = Rules.from_scenario(load_scenario(scenario, overrides))
    pair = list(rules.scenario.alliances[0].roles)
    roles = pair + [r.id for r in rules.scenario.roles if r.id not in pair]
    rows = []
    for s1, s2 in product(strategies, repeat=2):
        strat = {r: "balanced" for r in roles} | {roles[0]: s1, roles[1]: s2}
        acc = {r: {"internal_gain": 0.0, "external_gain": 0.0, "cash": 0.0, "cash_score": 0.0, "freedom": 0.0, "total": 0.0} for r in roles[:2]}
        dissolved = 0
        for seed in range(seeds):
            rec = play(rules, strat, seed, rounds=rounds)
            scores = score_session(rules, rec.state)
            dissolved += rec.dissolved_round() is not None
            for fid, sc in scores.items():
                role = rec.state.firms[fid].role
                if role in acc:
                    for k in acc[role]:
                        acc[role][k] += getattr(sc, k) / seeds
        rows.append({"strategies": {roles[0]: s1, roles[1]: s2}, "means": acc,
                     "dissolution_rate": dissolved / seeds})
    return rows
