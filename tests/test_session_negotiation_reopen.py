"""The undo of a negotiation's close (game_rules/session/reopen_negotiation.py) on the pure
layer: controls, commands and the clock on a `Step`, folded by `evolve`; no server, no
socket. Each game's facts are then replayed by game_rules.replay from log rows and folded
into a fresh session: the same state, zero differences."""
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
from game_rules.session.views import Live, negotiation_for, status
from game_rules.state import state_from_dict, state_to_dict

T0 = 1_000.0
SEED = 11
NEG_SECONDS = 600
PLAYERS = {"p_w1": "west1", "p_e1": "east1", "p_w2": "west2", "p_e2": "east2"}


def new_session_() -> Session:
    rules = Rules.from_scenario(load_scenario("classic"))
    return Session(rules, new_session(rules, 2, SEED, 3))


class Table:
    """Two copies (negotiations a1: west1-east1, a2: west2-east2) played step by step;
    every logged fact (and the engine events it caused) is kept as the server's log would."""

    def __init__(self):
        self.options = {"copies": 2, "rounds": 3, "seed": SEED, "negotiation": True,
                        "negotiation_seconds": NEG_SECONDS, "round_seconds": 120, "members_submit": "any"}
        self.s = new_session_()
        self.logged: list[Logged] = []
        self.now = T0
        for pid, firm in PLAYERS.items():
            self.step().fact(F.PlayerJoined(pid, pid, None, firm, "h", T0), actor=pid, firm=firm)

    def step(self) -> Step:
        return Step(self.s, self.options, self.now, lambda e: self.logged.append(e) if isinstance(e, Logged) else None)

    def control(self, action: str, **fields) -> dict:
        return controls.decide(self.step(), Msg(action=action, **fields))

    def play(self, pid: str, type_: str, **fields) -> dict:
        return commands.play(self.step(), self.s.players[pid], Msg(type=type_, **fields))

    def offer(self, pid: str, aid: str, west_share: float) -> dict:
        terms = self.s.default_terms(aid).to_dict()
        west, east = sorted(terms["split"], reverse=True)  # west1 > east1
        terms["split"] = {west: west_share, east: round(1 - west_share, 6)}
        return self.play(pid, "negotiate", negotiation=aid, action="offer", terms=terms)

    def move(self, pid: str, aid: str, action: str) -> dict:
        return self.play(pid, "negotiate", negotiation=aid, action=action, terms=None)

    def reopen(self, aid: str) -> dict:
        return self.control("reopen_negotiation", alliance_id=aid)

    def reopenable(self) -> list[str]:
        return status(self.s, Live("s1", "C", "t", self.options, now=self.now)).get("reopen_negotiations", [])

    def rows(self) -> list[dict]:
        return log_rows(self.logged, self.options)



def picture(s: Session) -> dict:
    """The whole session as its snapshot holds it, and the engine's state, but the clock
    (a reopened negotiation gets a fresh one)."""
    d = s.to_dict()
    d.pop("clock")
    return json.loads(json.dumps({"session": d, "state": state_to_dict(s.state)}))


def assert_replays_exactly(t: Table) -> None:
    log = read_sessions(t.rows())["s1"]
    result = replay(log, rules_for(log))
    assert result.diffs == []
    assert state_to_dict(result.state) == state_to_dict(t.s.state)
    fresh = new_session_()
    for e in t.logged:
        evolve(fresh, F.read_fact(e.fact.type, json.loads(json.dumps(e.fact.to_data()))))
    assert picture(fresh) == picture(t.s)


def negotiating() -> Table:
    """Both negotiations open, an offer standing in a1, a draft written meanwhile."""
    t = Table()
    t.control("start")
    assert t.s.state.phase == "negotiation" and sorted(t.s.negotiations) == ["a1", "a2"]
    t.offer("p_w1", "a1", 0.6)
    t.play("p_e1", "draft", fields={"protect": 2}, round=None)
    t.now += 30
    return t


def close(t: Table, how: str) -> None:
    if how == "clock":
        t.now += NEG_SECONDS
        assert phases.clock_ran_out(t.step())
    else:
        t.control(how)


@pytest.mark.parametrize("how", ["advance", "pair", "clock"])
def test_reopening_every_closed_negotiation_restores_the_session_exactly(how):
    t = negotiating()
    before = picture(t.s)
    assert t.reopenable() == []
    refused("not_reopenable", t.reopen, "a1")  # open: nothing to reopen
    close(t, how)
    assert (t.s.state.phase, t.s.state.round) == ("execution", 0)
    assert {n.outcome_reason for n in t.s.negotiations.values()} == {"deadline"}
    assert sorted(t.s.state.alliances) == (["a1", "a2"] if how == "pair" else [])
    assert t.reopenable() == ["a1", "a2"]

    t.now += 20
    n = len(t.logged)
    assert t.reopen("a1") == {"alliance_id": "a1", "phase": "negotiation"}
    assert t.logged[n].fact == F.NegotiationReopened("a1") and t.logged[n].actor == "facilitator"
    assert t.s.negotiations["a1"].status == "open" and t.s.negotiations["a1"].standing.by == "west1"
    assert sorted(t.s.state.alliances) == (["a2"] if how == "pair" else [])  # only a1 is un-signed
    assert t.s.clock.running and t.s.clock.deadline == t.now + NEG_SECONDS  # a fresh negotiation clock
    assert t.s.submitted == {} and t.s.drafts == {"east1": {"protect": 2}}
    assert t.reopenable() == ["a2"]
    refused("not_reopenable", t.reopen, "a1")  # twice: it is open
    t.reopen("a2")
    assert picture(t.s) == before  # exactly as just before the close (but the clock)
    assert t.reopenable() == [] and "neg_undo" not in t.s.to_dict()

    # played on: a1 agreed, a2 ended again by the facilitator; round 1 opens
    t.move("p_e1", "a1", "accept")
    assert t.s.state.phase == "negotiation" and "a1" in t.s.state.alliances
    t.control("advance")
    assert t.s.state.phase == "execution" and t.reopenable() == ["a2"]
    assert_replays_exactly(t)


def test_the_phase_is_back_to_negotiation_and_moves_are_legal_again():
    t = negotiating()
    t.control("advance")
    refused("wrong_phase", t.offer, "p_e1", "a1", 0.5)
    t.reopen("a1")
    view = negotiation_for(t.s, t.s.negotiations["a1"], "east1")
    assert view["status"] == "open" and len(view["offers"]) == 1
    t.move("p_e1", "a1", "accept")  # the last open one: round 1 opens again
    assert (t.s.state.phase, sorted(t.s.state.alliances)) == ("execution", ["a1"])
    assert t.reopenable() == []  # a2's close is older than a move: it can no longer be reopened
    assert "decided since" in refused("not_reopenable", t.reopen, "a2")
    assert_replays_exactly(t)


def test_nothing_can_be_reopened_once_something_was_decided_since():
    t = negotiating()
    t.control("pair")
    t.play("p_w1", "draft", fields={"protect": 1}, round=None)  # a person's draft of round 1
    assert "decided since" in refused("not_reopenable", t.reopen, "a1")
    t2 = negotiating()
    t2.control("advance")
    t2.play("p_e2", "submit", decision=None, round=1)  # a person's decision of round 1
    refused("not_reopenable", t2.reopen, "a2")
    t3 = negotiating()
    t3.control("advance")
    t3.control("end_round")  # round 1 closed
    refused("not_reopenable", t3.reopen, "a1")
    t4 = negotiating()
    t4.control("advance")
    t4.reopen("a1")
    t4.move("p_e1", "a1", "reject")  # a move in the reopened one
    assert t4.reopenable() == [] and "decided since" in refused("not_reopenable", t4.reopen, "a2")
    # the clock, chat, an announcement and a seat bot's decision for round 1 do not stop it
    t5 = negotiating()
    t5.control("advance")
    t5.control("pause")
    t5.play("p_w1", "chat", to="firm", text="oops", client_time=None)
    t5.control("inject", text="Negotiation over", event=None)
    t5.step().fact(F.DecisionSubmitted("east2", 1, "bot:east2", {}, "bot"))
    assert t5.reopenable() == ["a1", "a2"]
    t5.reopen("a2")
    assert t5.s.submitted == {}  # the bot's decision for round 1 goes with round 1
    assert_replays_exactly(t5)


def test_agreed_or_walked_away_is_no_mistake_to_undo():
    t = Table()
    t.control("start")
    t.offer("p_w1", "a1", 0.5)
    t.move("p_e1", "a1", "accept")
    t.move("p_w2", "a2", "walk_away")  # the last one open: round 1 opens by itself
    assert t.s.state.phase == "execution" and t.reopenable() == []
    assert "agreed" in refused("not_reopenable", t.reopen, "a1")
    assert "walked away" in refused("not_reopenable", t.reopen, "a2")
    assert "no negotiation" in refused("unknown_negotiation", t.reopen, "zz9")
    # a close ending the one open negotiation can reopen it, never the one already agreed
    t2 = Table()
    t2.control("start")
    t2.offer("p_w1", "a1", 0.5)
    t2.move("p_e1", "a1", "accept")
    t2.control("pair")
    assert t2.reopenable() == ["a2"]
    refused("not_reopenable", t2.reopen, "a1")
    t2.reopen("a2")
    assert (t2.s.state.phase, sorted(t2.s.state.alliances)) == ("negotiation", ["a1"])
    assert_replays_exactly(t2)


def test_the_undo_record_survives_a_snapshot():
    t = negotiating()
    before = picture(t.s)
    t.control("pair")
    snap = json.loads(json.dumps(t.s.to_dict()))
    rules = Rules.from_scenario(load_scenario("classic"))
    restored = Session(rules, state_from_dict(state_to_dict(t.s.state)))
    restored.load(copy.deepcopy(snap))
    t.s = restored
    assert t.reopenable() == ["a1", "a2"]
    t.reopen("a1")
    snap = json.loads(json.dumps(t.s.to_dict()))  # once more between the two reopenings
    restored = Session(rules, state_from_dict(state_to_dict(t.s.state)))
    restored.load(copy.deepcopy(snap))
    t.s = restored
    t.reopen("a2")
    assert picture(t.s) == before


def test_a_log_with_a_close_and_a_reopening_replays_with_the_same_rounds():
    t = negotiating()
    t.control("pair")
    t.reopen("a1")
    t.move("p_e1", "a1", "accept")  # a1 now on west1's offer, a2 still on the default terms
    assert t.s.state.phase == "execution"
    for _ in range(3):
        t.control("end_round")
    assert t.s.state.phase == "debrief"
    types = [e.fact.type for e in t.logged]
    assert types.count("alliance_signed") == 3 and types.count("negotiation_reopened") == 1
    log = read_sessions(t.rows())["s1"]
    result = replay(log, rules_for(log))
    assert result.diffs == [] and [r.round for r in result.rounds] == [1, 2, 3]
    assert result.state.alliances["a1"].terms.split == {"west1": 0.6, "east1": 0.4}
    assert_replays_exactly(t)
    # a reopening the log cannot have made (nothing closed): a difference, not a crash
    bad = t.rows()
    i = next(k for k, r in enumerate(bad) if r["type"] == "negotiation_reopened")
    bad.insert(3, dict(bad[i], seq=2.5))
    log = read_sessions(sorted(bad, key=lambda r: r["seq"]))["s1"]
    assert [d.what for d in replay(log, rules_for(log)).diffs] == ["negotiation reopened"]
