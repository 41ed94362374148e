"""The practice round (session option `practice_round`) on the pure layer: round 0 against
an imagined partner between the lobby and the real game (game_rules/session/practice.py),
played with controls and commands on a `Step` and folded by `evolve`, no server.

- the real game after a practice round starts exactly as without one (the engine's state,
  books, drafts, submissions; the same round 1 for the same decisions);
- a firm's practice game holds nothing of another firm (the imagined partner, not the
  real one; the firm's own treatment for both);
- refusals: a second practice decision, a real round's decision during practice, a draft;
  the results stay until the facilitator starts the real game;
- the facts folded into a fresh session give the same state (restore, snapshot)."""
from __future__ import annotations

import json
from types import SimpleNamespace as Control

import pytest

from game_rules.rules import Rules, new_session
from game_rules.scenario import load_scenario
from game_rules.session import commands, controls, evolve, facts as F, practice, views
from game_rules.session.state import Session
from game_rules.session.step import Logged, Refused, Step
from game_rules.state import state_to_dict

BASE = {"copies": 2, "negotiation": False, "negotiation_seconds": 60, "round_seconds": 30, "members_submit": "any"}
PRACTICE = {**BASE, "practice_round": True}
T0 = 1_000.0
LIVE = views.Live("s_x", "ABCDEFGH", "t", {**PRACTICE})


class Table:
    def __init__(self, options: dict):
        rules = Rules.from_scenario(load_scenario("classic"))
        self.s = Session(rules, new_session(rules, options["copies"], 7, 3))
        self.options = options
        self.facts: list[F.Fact] = []
        for pid, firm in (("p_w", "west1"), ("p_e", "east1")):
            self.step().fact(F.PlayerJoined(pid, pid, None, firm, "h", T0), actor=pid, firm=firm)

    def step(self, now: float = T0) -> Step:
        return Step(self.s, self.options, now, lambda e: self.facts.append(e.fact) if isinstance(e, Logged) else None)

    def control(self, action: str, **fields) -> dict:
        return controls.decide(self.step(), Control(action=action, **fields))

    def submit(self, pid: str, decision: dict | None, round_: int | None) -> dict:
        return commands.submit(self.step(), self.s.players[pid], decision, round_, None)

    def draft(self, pid: str, fields: dict, round_: int | None):
        return commands.draft(self.step(), self.s.players[pid], fields, round_)


def _refused(code: str, fn, *args):
    with pytest.raises(Refused) as e:
        fn(*args)
    assert e.value.code == code, e.value.message


def _plain(t: Table, pid: str) -> dict:
    """A legal practice decision for the player's firm (what a bot plays)."""
    return practice.bot_decision(t.s, t.s.players[pid].firm)


def test_the_practice_round_changes_nothing_of_the_real_game():
    plain, rehearsed = Table(BASE), Table(PRACTICE)
    for t in (plain, rehearsed):
        t.control("fill_bots", strategy="balanced")
    assert plain.control("start") == {"phase": "execution"}
    assert rehearsed.control("start") == {"phase": "practice"}
    s = rehearsed.s
    # bots submitted at once; the people's firms are awaited
    status = views.status(s, LIVE)["practice"]
    assert status["waiting_for"] == ["west1", "east1"] and not status["closed"]
    # the people change their minds in practice: a big absorb, then submit
    west = rehearsed.submit("p_w", _plain(rehearsed, "p_w"), 0)
    assert west["practice"] and west["round"] == 0
    rehearsed.submit("p_e", _plain(rehearsed, "p_e"), None)  # no round named: the round being played
    assert s.practice["closed"] and s.practice["reason"] == "all_submitted"
    assert s.state.phase == "practice"  # the results stay until the facilitator starts the real game
    results = s.practice["results"]
    assert set(results) == set(s.state.firms) and results["west1"]["position_after"] != results["west1"]["position_before"]
    # the firm's view shows its practice result, and nothing of the real round yet
    v = views.firm_part(s, LIVE, "west1")
    assert v["practice"]["result"] == results["west1"] and v["current_round"] is None
    assert rehearsed.control("start") == {"phase": "execution"}
    assert "practice" not in views.firm_part(s, LIVE, "west1")
    # the real game starts where it would have without a practice round
    assert state_to_dict(s.state) == state_to_dict(plain.s.state)
    assert s.history == plain.s.history and s.drafts == plain.s.drafts == {}
    assert s.submitted == plain.s.submitted and s.last_decision == plain.s.last_decision
    # and round 1 resolves the same for the same decisions
    for t in (plain, rehearsed):
        t.control("end_round")
    assert state_to_dict(s.state) == state_to_dict(plain.s.state) and s.history == plain.s.history
    # facts: practice ones logged in phase practice, before the real game's
    types = [f.type for f in rehearsed.facts]
    assert types.index("practice_closed") < types.index("phase_changed", types.index("practice_closed"))
    assert types.count("practice_submitted") == 4 and "practice_opened" in types


def test_refusals_during_practice():
    t = Table(PRACTICE)
    t.control("start")
    assert t.s.state.phase == "practice"
    # a real round's decision during practice; a draft (drafts are the real rounds'); junk
    _refused("wrong_phase", t.submit, "p_w", _plain(t, "p_w"), 1)
    _refused("wrong_phase", t.draft, "p_w", {"protect": 5}, None)
    with pytest.raises(Exception) as e:
        t.submit("p_w", {"develop": {"nowhere": 5}}, 0)
    assert getattr(e.value, "code", None)  # a DecisionError with its code, never a crash
    assert t.s.practice["submitted"] == {} and t.s.drafts == {}
    # twice: the second is refused and the first stands
    t.submit("p_w", _plain(t, "p_w"), 0)
    before = dict(t.s.practice["submitted"])
    _refused("already_submitted", t.submit, "p_w", {}, 0)
    assert t.s.practice["submitted"] == before
    # a real round's controls: end_round closes the practice round, a second one is refused
    assert t.control("end_round") == {"round": 0, "practice": True, "phase": "practice"}
    assert t.s.practice["sources"]["east1"] == "default" and t.s.practice["reason"] == "facilitator"
    _refused("wrong_phase", t.control, "end_round")
    _refused("wrong_phase", t.submit, "p_e", _plain(t, "p_e"), 0)  # closed: too late
    assert t.control("advance") == {"phase": "execution"}
    _refused("stale_round", t.submit, "p_w", _plain(t, "p_w"), 0)  # round 0 is over
    t.submit("p_w", _plain(t, "p_w"), 1)  # the real round 1 takes the same legal decision


def test_a_firm_practises_with_an_imagined_partner_only():
    t = Table(PRACTICE)
    s = t.s
    rules, game, aid = practice.game_of(s, "west1")
    partner = next(f for f in game.alliances[aid].firms if f != "west1")
    # the firm as it starts; the partner imagined (not the real firm's competences)
    assert game.firms["west1"].competence == s.state.firms["west1"].competence
    assert game.firms[partner].competence != s.state.firms[partner].competence
    v = views.firm_part(s, LIVE, "west1")
    assert "practice" not in v  # the lobby: no practice yet
    t.control("start")
    pv = views.firm_part(s, LIVE, "west1")["practice"]
    assert pv["alliances"] and all(a["partner_imagined"] for a in pv["alliances"])
    # another firm's changes (its competences, its practice decision) do not move this view
    before = json.dumps(views.firm_part(s, LIVE, "west1")["practice"], sort_keys=True)
    s.state.firms["east1"].competence = {k: 1.0 for k in s.state.firms["east1"].competence}
    t.submit("p_e", _plain(t, "p_e"), 0)
    assert json.dumps(views.firm_part(s, LIVE, "west1")["practice"], sort_keys=True) == before


def test_the_facts_fold_into_the_same_session_and_snapshot():
    t = Table(PRACTICE)
    t.control("fill_bots", strategy="balanced")
    t.control("start")
    t.submit("p_w", _plain(t, "p_w"), 0)
    mid = t.s.to_dict()
    t.control("start")
    rules = Rules.from_scenario(load_scenario("classic"))
    again = Session(rules, new_session(rules, 2, 7, 3))
    for f in t.facts:  # each fact as the log holds it
        evolve(again, F.read_fact(f.type, json.loads(json.dumps(f.to_data()))))
    assert again.to_dict() == t.s.to_dict() and state_to_dict(again.state) == state_to_dict(t.s.state)
    restored = Session(rules, new_session(rules, 2, 7, 3))
    restored.load(json.loads(json.dumps(mid)))
    assert restored.practice == mid["practice"]
    # the logged results are what the engine computes from the logged decisions (replay exact)
    closed = next(f for f in t.facts if f.type == "practice_closed")
    for firm, result in closed.results.items():
        assert practice.result_of(t.s, firm, closed.decisions.get(firm)) == result


def test_the_clock_closes_the_practice_round_and_the_real_game_still_waits():
    t = Table(PRACTICE)
    t.control("start")
    t.submit("p_w", _plain(t, "p_w"), 0)
    from game_rules.session import phases
    assert phases.clock_ran_out(t.step(T0 + 10)) is False  # not yet: 30 s
    assert not t.s.practice["closed"]
    assert phases.clock_ran_out(t.step(T0 + 31)) is True
    pr = t.s.practice
    assert pr["closed"] and pr["reason"] == "clock" and pr["sources"] == {
        "west1": "submitted", "east1": "default", "west2": "default", "east2": "default"}
    assert t.s.state.phase == "practice" and not t.s.clock.running  # waits for "Start the real game"
    assert phases.clock_ran_out(t.step(T0 + 60)) is True and t.s.state.phase == "practice"


def test_bots_seated_during_the_practice_round_submit_at_once():
    t = Table(PRACTICE)
    t.control("start")
    assert t.s.practice["submitted"] == {}
    t.control("fill_bots", strategy="balanced")  # the empty copy-2 firms
    assert sorted(t.s.practice["submitted"]) == ["east2", "west2"]
    assert {v["source"] for v in t.s.practice["submitted"].values()} == {"bot"}
    t.submit("p_w", _plain(t, "p_w"), 0)
    t.submit("p_e", _plain(t, "p_e"), 0)
    assert t.s.practice["closed"] and t.s.practice["reason"] == "all_submitted"
