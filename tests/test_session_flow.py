"""A whole session played on the pure layer alone (game_rules/session/: controls, phases,
rounds, bots, commands on a `Step`, folded by `evolve`): no server, no sockets, no clock
but the `now` each step is given. Lobby -> negotiation (bots settle theirs, the clock ends
the people's) -> two rounds (one closed by its last submission with a decision the engine
cannot take, one by the clock with an unusable draft) -> debrief -> ended; then the same
facts folded into a fresh session give the same state."""
from __future__ import annotations

import json
from types import SimpleNamespace as Control

import pytest

from game_rules.rules import Rules, instantiate_terms, new_session
from game_rules.scenario import load_scenario
from game_rules.session import commands, controls, evolve, facts as F, phases
from game_rules.session.state import Session
from game_rules.session.step import Closed, Logged, Refused, Step, Tell, Views, ViewsNext
from game_rules.state import state_to_dict

OPTIONS = {"copies": 2, "negotiation": True, "negotiation_seconds": 60, "round_seconds": 30,
           "members_submit": "any"}
T0 = 1_000.0


def _new() -> Session:
    rules = Rules.from_scenario(load_scenario("classic"))
    return Session(rules, new_session(rules, OPTIONS["copies"], 7, 2))


class Table:
    """Plays steps on one session and keeps every fact decided, in order."""

    def __init__(self):
        self.s = _new()
        self.facts: list[F.Fact] = []

    def step(self, now: float) -> Step:
        return Step(self.s, OPTIONS, now, lambda e: self.facts.append(e.fact) if isinstance(e, Logged) else None)

    def control(self, now: float, action: str, **fields) -> tuple[dict, Step]:
        st = self.step(now)
        return controls.decide(st, Control(action=action, **fields)), st


def _types(step: Step) -> list[str]:
    return [f.type for f in step.facts()]


def _refused(code: str, fn, *args):
    with pytest.raises(Refused) as e:
        fn(*args)
    assert e.value.code == code


def test_a_session_from_lobby_to_debrief_on_decide_and_evolve():
    t = Table()
    s = t.s
    for pid, firm in (("p_a", "west1"), ("p_b", "east1")):
        t.step(T0).fact(F.PlayerJoined(pid, pid, None, firm, "h", T0), actor=pid, firm=firm)
    a, b = s.players["p_a"], s.players["p_b"]

    # the lobby: nothing runs yet, so there is no clock to pause and no round to end
    _refused("wrong_phase", controls.decide, t.step(T0), Control(action="pause"))
    _refused("wrong_phase", controls.decide, t.step(T0), Control(action="end_round"))
    _refused("unknown_player", controls.decide, t.step(T0), Control(action="remove_player", player_id="p_x"))
    assert t.facts[2:] == []  # refused: no fact
    result, st = t.control(T0, "fill_bots", strategy="balanced")
    assert result == {"firms": ["west2", "east2"], "strategy": "balanced"}
    assert s.bots == {"west2": "balanced", "east2": "balanced"}

    # start: both negotiations open; the bots settle theirs at once, the people's stays open
    result, st = t.control(T0, "start")
    assert result == {"phase": "negotiation"}
    kinds = _types(st)
    assert kinds[:4] == ["negotiation_opened", "negotiation_opened", "phase_changed", "clock"]
    assert "alliance_signed" in kinds and "a2" in s.state.alliances and s.negotiations["a1"].status == "open"
    assert any(isinstance(n, Views) for n in st.effects)
    clock_push = next(n for n in st.effects if isinstance(n, Tell) and n.msg["type"] == "clock")
    assert clock_push.to == "everyone" and clock_push.msg["deadline"] == T0 + 60

    # a player's offer is told to both firms and the facilitator; the clock has not run out
    sheet = instantiate_terms(s.rules.scenario.alliances[0], 1, s.state.rounds).to_dict()
    st = t.step(T0 + 10)
    commands.negotiate(st, a, "a1", "offer", sheet)
    assert {n.to for n in st.effects if isinstance(n, Tell)} == {"firm:west1", "firm:east1", "facilitator"}
    assert phases.clock_ran_out(t.step(T0 + 59)) is False and s.state.phase == "negotiation"

    # the negotiation clock runs out: the open negotiation fails, round 1 starts, the bots submit
    st = t.step(T0 + 61)
    assert phases.clock_ran_out(st) is True
    assert _types(st)[:3] == ["negotiation_move", "phase_changed", "clock"]
    assert s.negotiations["a1"].status != "open" and "a1" not in s.state.alliances
    assert s.state.phase == "execution" and set(s.submitted) == {"west2", "east2"}
    assert any(isinstance(n, ViewsNext) for n in st.effects)

    # round 1: east1's decision as an older log may hold it (the engine cannot take it);
    # west1's submission is the last one: the round closes, east1 plays its default
    t.step(T0 + 62).fact(F.DecisionSubmitted("east1", 1, "p_b", {"protect": "lots"}, "submitted"))
    _refused("wrong_phase", commands.negotiate, t.step(T0 + 63), b, None, "walk_away", None)
    st = t.step(T0 + 63)
    assert commands.submit(st, a, {"protect": 1.0}, 1, None)["round"] == 1
    closed = next(f for f in st.facts() if isinstance(f, F.RoundClosed))
    assert closed.reason == "all_submitted" and closed.round == 1
    assert closed.sources["east1"] == "default" and "east1" not in closed.decisions
    assert closed.unusable["east1"].startswith("submitted: ")
    assert s.state.round == 1 and s.state.phase == "execution" and s.submitted.keys() == {"west2", "east2"}
    to_fac = next(n.msg for n in st.effects if isinstance(n, Tell) and n.to == "facilitator"
                  and n.msg["type"] == "round_result")
    assert to_fac["unusable"] == closed.unusable and to_fac["sources"]["west1"] == "submitted"

    # round 2: west1 only drafts; east1's draft is junk (an older server stored anything);
    # nobody submits, the clock closes the round: the draft is used, the junk is not
    st = t.step(T0 + 70)
    assert commands.draft(st, a, {"protect": 2.0}, 2) == {"draft": {"protect": 2.0}}
    assert [n.to_sender for n in st.effects if isinstance(n, Tell)] == [False]  # not echoed to the sender
    t.step(T0 + 71).fact(F.DraftChanged("east1", draft={"protect": "lots"}))
    deadline = s.clock.deadline
    st = t.step(deadline + 0.5)
    assert phases.clock_ran_out(st) is True
    closed = next(f for f in st.facts() if isinstance(f, F.RoundClosed))
    assert (closed.round, closed.reason) == (2, "clock")
    assert closed.sources == {"west1": "draft", "east1": "default", "west2": "bot", "east2": "bot"}
    assert closed.decisions["west1"]["protect"] == 2.0 and closed.unusable["east1"].startswith("draft: ")
    assert s.state.phase == "debrief" and not s.clock.running

    # the debrief: nothing more to advance; ending the session stops it for good
    _refused("wrong_phase", controls.decide, t.step(deadline + 1), Control(action="advance"))
    result, st = t.control(deadline + 2, "end_session")
    assert result == {"status": "ended"} and s.status == "ended"
    assert [type(n) for n in st.effects if not isinstance(n, Logged)] == [Closed, Tell]
    _refused("session_ended", controls.decide, t.step(deadline + 3), Control(action="start"))

    # the facts alone rebuild the same session (as a restart or `replay` does)
    again = _new()
    for f in t.facts:
        evolve(again, F.read_fact(f.type, json.loads(json.dumps(f.to_data()))))
    assert state_to_dict(again.state) == state_to_dict(s.state)
    assert again.to_dict() == s.to_dict()


def test_a_refused_control_changes_nothing():
    t = Table()
    before = (state_to_dict(t.s.state), t.s.to_dict())
    for action, fields, code in [("extend", {"seconds": 5.0}, "wrong_phase"), ("close_selection", {}, "wrong_phase"),
                                 ("open_selection", {}, "selection_off"),
                                 ("move_player", {"player": "p_x", "firm": "west1"}, "unknown_player")]:
        st = t.step(T0)
        _refused(code, controls.decide, st, Control(action=action, **fields))
        assert st.effects == []
    assert (state_to_dict(t.s.state), t.s.to_dict()) == before


def test_bots_alone_play_a_session_to_its_debrief():
    """Every seat a bot: `start` alone plays the whole game (negotiations settle, each
    round closes on the bots' submissions), in one step."""
    t = Table()
    t.control(T0, "fill_bots", strategy="balanced")
    result, st = t.control(T0, "start")
    assert t.s.state.phase == "debrief" and t.s.state.round == 2
    closes = [f for f in st.facts() if isinstance(f, F.RoundClosed)]
    assert [(c.round, c.reason) for c in closes] == [(1, "all_submitted"), (2, "all_submitted")]
    assert set(t.s.state.alliances) == {"a1", "a2"}


def test_end_round_now_uses_drafts_then_defaults():
    """The facilitator ends a round early: a firm's legal draft is its decision, an illegal
    one (not the firm's domain) gives way to the default, and only that firm is told so.
    (Moved from tests/test_server_controls.py: the same assertions, on the pure layer.)"""
    rules = Rules.from_scenario(load_scenario("classic"))
    s = Session(rules, new_session(rules, 1, 7, 3))
    options = {**OPTIONS, "copies": 1, "negotiation": False}
    for pid, firm in (("p_w", "west1"), ("p_e", "east1")):
        Step(s, options, T0).fact(F.PlayerJoined(pid, pid, None, firm, "h", T0), actor=pid, firm=firm)
    controls.decide(Step(s, options, T0), Control(action="start"))
    commands.draft(Step(s, options, T0 + 1), s.players["p_w"], {"contribute": {"design": 17}}, None)
    commands.draft(Step(s, options, T0 + 2), s.players["p_e"], {"contribute": {"design": 17}}, None)  # not east's domain
    st = Step(s, options, T0 + 3)
    controls.decide(st, Control(action="end_round"))
    res = next(n.msg for n in st.effects if isinstance(n, Tell) and n.to == "facilitator"
               and n.msg["type"] == "round_result" and n.msg["round"] == 1)
    assert res["sources"] == {"west1": "draft", "east1": "default"}
    assert any(e["type"] == "default_applied" and e["firm"] == "east1" for e in res["events"])
    logged = next(e for e in st.effects if isinstance(e, Logged) and isinstance(e.fact, F.RoundClosed))
    data = logged.fact.to_data()  # what the log row holds
    assert logged.actor == "facilitator" and data["reason"] == "facilitator"
    assert data["sources"] == {"west1": "draft", "east1": "default"}
    assert data["decisions"]["west1"]["contribute"] == {"design": 17}
    wres = next(n.msg for n in st.effects if isinstance(n, Tell) and n.to == "firm:west1"
                and n.msg["type"] == "round_result")
    assert [e for e in wres["events"] if e["type"] == "default_applied"] == []
