"""Replay's seat tally (the `players` count and the bot columns of the round rows) follows
every fact that seats or unseats someone: a removed player stops counting, and a firm whose
seat bot a person replaced is no longer a bot's. The log is the one the pure layer decides,
so no server is needed."""
from __future__ import annotations

from types import SimpleNamespace as Control

from session_log import log_rows
from game_rules.replay import read_sessions, replay, rules_for
from game_rules.rules import Rules, new_session
from game_rules.scenario import load_scenario
from game_rules.session import commands, controls, facts as F
from game_rules.session.state import Session
from game_rules.session.step import Logged, Step

OPTIONS = {"copies": 1, "negotiation": False, "round_seconds": 30, "members_submit": "any",
           "rounds": 1, "seed": 3}
T0 = 1_000.0


def _play(remove: bool) -> list[dict]:
    rules = Rules.from_scenario(load_scenario("classic"))
    s = Session(rules, new_session(rules, 1, OPTIONS["seed"], OPTIONS["rounds"]))
    logged: list[Logged] = []

    def log(e):
        if isinstance(e, Logged):
            logged.append(e)

    def step(now):
        return Step(s, OPTIONS, now, log)

    west, east = list(s.state.firms)[:2]
    for pid, firm in (("p_a", west), ("p_b", west), ("p_c", east)):
        step(T0).fact(F.PlayerJoined(pid, pid, None, firm, "h", T0), actor=pid, firm=firm)
    if remove:
        controls.decide(step(T0), Control(action="remove_player", player_id="p_b"))
    controls.decide(step(T0), Control(action="start"))
    for pid in ("p_a", "p_c"):
        commands.submit(step(T0 + 5), s.players[pid], {"protect": 1.0}, 1, None)
    assert s.state.round == 1
    return log_rows(logged, dict(OPTIONS))


def _round_one(rows):
    log = read_sessions(rows)["s1"]
    result = replay(log, rules_for(log))
    assert result.diffs == []
    return result.rounds[0]


def test_a_removed_player_stops_counting():
    kept, removed = _round_one(_play(remove=False)), _round_one(_play(remove=True))
    (west,) = [f for f, n in kept.players.items() if n == 2]   # p_a and p_b, before the fix too
    assert removed.players[west] == 1
    assert sum(removed.players.values()) == 2
