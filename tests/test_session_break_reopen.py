"""The results break between rounds and the undo of a round's close, on the pure layer
(game_rules/session: controls, commands, phases on a `Step`, folded by `evolve`): no server,
no socket, no clock but the `now` each step is given. The facts of each game are then
replayed by game_rules.replay from log rows and folded into a fresh session: the same
state, zero differences."""
from __future__ import annotations

import copy
import json
from types import SimpleNamespace as Msg

import pytest

from session_log import log_rows, refused
from game_rules.replay import read_sessions, replay, rules_for
from game_rules.rules import Rules, new_session
from game_rules.scenario import load_scenario
from game_rules.session import commands, controls, evolve, facts as F, phases
from game_rules.session.state import Session
from game_rules.session.step import Logged, Step
from game_rules.state import state_to_dict

T0 = 1_000.0
SEED = 11


def options(results_break=None) -> dict:
    o = {"copies": 1, "rounds": 3, "seed": SEED, "negotiation": False, "negotiation_seconds": 60,
         "round_seconds": 120, "members_submit": "any"}
    if results_break is not None:
        o["results_break"] = results_break
    return o


class Table:
    """One session played step by step; every logged fact (and the engine events it
    caused) is kept, in order, as the server's log would hold it."""

    def __init__(self, results_break=None):
        self.options = options(results_break)
        rules = Rules.from_scenario(load_scenario("classic"))
        self.s = Session(rules, new_session(rules, 1, SEED, 3))
        self.logged: list[Logged] = []
        self.now = T0
        for pid, firm in (("p_a", "west1"), ("p_b", "east1")):
            self.step().fact(F.PlayerJoined(pid, pid, None, firm, "h", T0), actor=pid, firm=firm)

    def step(self) -> Step:
        return Step(self.s, self.options, self.now, lambda e: self.logged.append(e) if isinstance(e, Logged) else None)

    def control(self, action: str, **fields) -> dict:
        return controls.decide(self.step(), Msg(action=action, **fields))

    def play(self, pid: str, type_: str, **fields) -> dict:
        return commands.play(self.step(), self.s.players[pid], Msg(type=type_, **fields))

    def submit(self, pid: str) -> dict:
        return self.play(pid, "submit", decision=None, round=None)

    def draft(self, pid: str, fields: dict) -> dict:
        return self.play(pid, "draft", fields=fields, round=None)

    def facts(self) -> list[F.Fact]:
        return [e.fact for e in self.logged]

    def rows(self) -> list[dict]:
        return log_rows(self.logged, self.options)



def picture(s: Session) -> dict:
    """Everything a round's close changes, as plain data."""
    return json.loads(json.dumps({"state": state_to_dict(s.state), "history": s.history, "submitted": s.submitted,
                                  "drafts": s.drafts, "last_decision": s.last_decision,
                                  "last_events": s.last_events, "last_by_firm": s.last_by_firm}))


def assert_replays_exactly(t: Table) -> None:
    """The log replays with zero differences, and its facts folded into a fresh session
    build the live session's state."""
    log = read_sessions(t.rows())["s1"]
    result = replay(log, rules_for(log))
    assert result.diffs == []
    assert state_to_dict(result.state) == state_to_dict(t.s.state)
    rules = Rules.from_scenario(load_scenario("classic"))
    fresh_s = Session(rules, new_session(rules, 1, SEED, 3))
    for f in t.facts():
        evolve(fresh_s, F.read_fact(f.type, json.loads(json.dumps(f.to_data()))))
    assert picture(fresh_s) == picture(t.s)
    assert fresh_s.state.phase == t.s.state.phase and (fresh_s.undo is None) == (t.s.undo is None)


# ---- the results break ----------------------------------------------------------------------------

def test_a_manual_break_waits_for_next_round_and_refuses_submissions():
    t = Table("manual")
    t.control("start")
    assert t.s.state.phase == "execution"
    refused("no_break", t.control, "next_round")
    t.submit("p_a")
    t.submit("p_b")  # the last submission closes round 1: the break opens, no clock
    assert (t.s.state.phase, t.s.state.round) == ("break", 1)
    assert not t.s.clock.running and t.s.clock.remaining_s is None
    assert [f.type for f in t.facts()[-3:]] == ["round_closed", "phase_changed", "clock"]
    # during the break nothing is decided: a clear refusal, no fact
    n = len(t.logged)
    msg = refused("results_break", t.submit, "p_a")
    assert "round 1's results are up" in msg
    refused("results_break", t.draft, "p_b", {"protect": 1})
    refused("wrong_phase", t.control, "end_round")
    assert len(t.logged) == n
    # the facilitator's Next round: round 2 opens with its clock
    t.now += 50
    assert t.control("next_round") == {"round": 2, "phase": "execution"}
    assert t.s.clock.running and t.s.clock.deadline == t.now + 120
    assert t.logged[n].actor == "facilitator" and t.logged[n].fact == F.PhaseChanged("execution")
    refused("no_break", t.control, "next_round")
    t.submit("p_a")
    t.control("end_round")
    assert t.s.state.phase == "break"
    t.control("next_round")
    # the last round has no break: the debrief opens
    t.control("end_round")
    assert (t.s.state.phase, t.s.state.round) == ("debrief", 3)
    refused("no_break", t.control, "next_round")
    assert_replays_exactly(t)


def test_a_timed_break_ends_when_its_clock_runs_out():
    t = Table(30)
    t.control("start")
    t.now += 10
    t.control("end_round")
    assert t.s.state.phase == "break" and t.s.clock.deadline == t.now + 30
    t.now += 29
    assert phases.clock_ran_out(t.step()) is False and t.s.state.phase == "break"  # not yet
    t.control("extend", seconds=10)  # the break clock is a clock like any other
    t.now += 5
    assert phases.clock_ran_out(t.step()) is False
    t.now += 6
    assert phases.clock_ran_out(t.step()) is True
    assert (t.s.state.phase, t.s.state.round) == ("execution", 1)
    assert t.s.clock.deadline == t.now + 120 and t.logged[-1].fact.type == "clock"
    assert_replays_exactly(t)


def test_without_the_option_the_next_round_opens_at_once():
    t = Table()
    t.control("start")
    t.control("end_round")
    assert (t.s.state.phase, t.s.state.round) == ("execution", 1)
    assert "phase_changed" not in [f.type for f in t.facts()[-3:]]


# ---- undo of a close ------------------------------------------------------------------------------------

@pytest.mark.parametrize("results_break", [None, "manual"])
def test_reopening_a_round_restores_the_state_before_the_close(results_break):
    t = Table(results_break)
    t.control("start")
    t.submit("p_a")
    t.draft("p_b", {"protect": 2})
    t.now += 30
    before = picture(t.s)
    refused("not_reopenable", t.control, "reopen_round")  # no round has closed yet
    t.control("end_round")
    assert t.s.state.round == 1 and picture(t.s) != before
    t.now += 5
    assert t.control("reopen_round") == {"round": 1, "phase": "execution"}
    assert picture(t.s) == before  # positions, cash, books, submitted, drafts: as before the close
    assert t.s.submitted["west1"]["by"] == "p_a"  # a decision submitted before the close still counts
    assert t.s.clock.running and t.s.clock.deadline == t.now + 120  # a fresh round clock
    assert t.logged[-2].fact == F.RoundReopened(1) and t.logged[-2].actor == "facilitator"
    assert t.logged[-2].round == (1 if results_break else 2)  # the log row: the round being played then
    refused("not_reopenable", t.control, "reopen_round")  # twice: nothing left to undo
    refused("already_submitted", t.submit, "p_a")
    # the round goes on: east's submission closes it (every firm has submitted)
    t.submit("p_b")
    assert t.s.state.round == 1 and t.s.state.phase == ("break" if results_break else "execution")
    msg = refused("not_reopenable", t.control, "reopen_round")
    assert "every firm had submitted" in msg
    assert_replays_exactly(t)


def test_a_round_cannot_be_reopened_once_something_was_decided_since():
    t = Table()
    t.control("start")
    t.control("end_round")
    t.draft("p_a", {"protect": 1})  # a draft of round 2
    assert "decided since" in refused("not_reopenable", t.control, "reopen_round")
    t2 = Table("manual")
    t2.control("start")
    t2.control("end_round")
    t2.control("next_round")
    t2.play("p_b", "submit", decision=None, round=2)  # a decision of round 2
    refused("not_reopenable", t2.control, "reopen_round")
    # the last round: the debrief has opened
    t3 = Table()
    t3.control("start")
    for _ in range(3):
        t3.control("end_round")
    assert "last one" in refused("not_reopenable", t3.control, "reopen_round")


def test_clock_and_chat_during_the_break_do_not_stop_an_undo_and_replay_stays_exact():
    t = Table(60)
    t.control("start")
    t.submit("p_b")
    t.control("end_round")
    before_round2 = picture(t.s)
    t.control("pause")
    t.play("p_a", "chat", to="firm", text="look at that", client_time=None)
    t.control("inject", text="Results are up", event=None)
    t.control("reopen_round")
    assert t.s.state.phase == "execution" and t.s.state.round == 0
    assert t.s.submitted["east1"]["by"] == "p_b"
    # played on, closed again, reopened once more, then finished: the log holds it all
    t.control("end_round")
    assert picture(t.s)["state"] == before_round2["state"]  # the same decisions: the same result
    t.control("reopen_round")
    t.control("end_round")
    t.control("next_round")
    t.control("end_round")
    t.now += 60
    assert phases.clock_ran_out(t.step())
    t.control("end_round")
    assert t.s.state.phase == "debrief"
    types = [f.type for f in t.facts()]
    assert types.count("round_closed") == 5 and types.count("round_reopened") == 2
    assert_replays_exactly(t)
    log = read_sessions(t.rows())["s1"]
    assert [r.round for r in replay(log, rules_for(log)).rounds] == [1, 2, 3]


def test_the_undo_record_survives_a_snapshot():
    """A restart between the close and the reopen (the snapshot holds the undo record)."""
    t = Table("manual")
    t.control("start")
    t.submit("p_a")
    before = picture(t.s)
    t.control("end_round")
    snap = json.loads(json.dumps(t.s.to_dict()))
    engine = state_to_dict(t.s.state)
    from game_rules.state import state_from_dict
    rules = Rules.from_scenario(load_scenario("classic"))
    restored = Session(rules, state_from_dict(engine))
    restored.load(copy.deepcopy(snap))
    t.s = restored
    t.control("reopen_round")
    assert picture(t.s) == before
    # a session without an undo record snapshots exactly as before (no new key)
    t.control("end_round")
    t.control("next_round")
    t.draft("p_a", {"protect": 1})
    assert "undo" not in t.s.to_dict()
