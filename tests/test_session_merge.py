"""Merging two rows of the roster that are one person (`merge_players`, issue 15 "Seats and
teams"), on the pure layer: the duplicate row is gone, the seat keeps its firm and name and
takes the duplicate's device (token and rejoin code), the notes tell the server which token
opens the seat and which one is signed out, refusals change nothing, the log replays exactly
and the replay's seat tally counts one person."""
from __future__ import annotations

import json
from types import SimpleNamespace as Msg

from session_log import log_rows, refused
from game_rules.replay import read_sessions, replay, rules_for
from game_rules.rules import Rules, new_session
from game_rules.scenario import load_scenario
from game_rules.session import commands, controls, evolve, facts as F
from game_rules.session.state import Session
from game_rules.session.step import Logged, Merged, PlayerView, Step, Team
from game_rules.state import state_to_dict

T0 = 1_000.0
SEED = 5
OPTIONS = {"copies": 1, "rounds": 2, "seed": SEED, "negotiation": False, "round_seconds": 120,
           "members_submit": "any"}


class Room:
    """Ana (west1) and Ben (east1); Ana joined again as "ana m" on a new phone and was seated
    at east1 too."""

    def __init__(self):
        rules = Rules.from_scenario(load_scenario("classic"))
        self.s = Session(rules, new_session(rules, 1, SEED, 2))
        self.effects: list = []
        for pid, firm, bot in (("p_ana", "west1", False), ("p_ben", "east1", False), ("p_anam", "east1", False),
                               ("p_bot", "west1", True)):
            self.step().fact(F.PlayerJoined(pid, pid, None, firm, f"tok-{pid}", T0, f"code-{pid}", bot),
                             actor=pid, firm=firm)

    def step(self, now: float = T0) -> Step:
        return Step(self.s, OPTIONS, now, self.effects.append)

    def control(self, action: str, **fields) -> dict:
        return controls.decide(self.step(T0 + 10), Msg(action=action, **fields))

    def logged(self) -> list[Logged]:
        return [e for e in self.effects if isinstance(e, Logged)]


def test_the_duplicate_row_goes_and_its_device_takes_the_seat():
    r = Room()
    n = len(r.effects)
    out = r.control("merge_players", player_id="p_ana", duplicate_id="p_anam")
    assert out == {"player_id": "p_ana", "duplicate_id": "p_anam", "firm": "west1"}
    assert set(r.s.players) == {"p_ana", "p_ben", "p_bot"}
    ana = r.s.players["p_ana"]
    assert (ana.firm, ana.name) == ("west1", "p_ana")           # the seat keeps its firm and name
    assert (ana.token_hash, ana.rejoin_hash) == ("tok-p_anam", "code-p_anam")  # ... and takes the device
    assert [p.id for p in r.s.members("east1")] == ["p_ben"]
    new = r.effects[n:]
    (fact,) = [e.fact for e in new if isinstance(e, Logged)]
    assert fact == F.PlayersMerged("p_ana", "p_anam", "west1", "east1", "tok-p_anam", "code-p_anam", T0 + 10)
    assert Merged("p_ana", "p_anam", "tok-p_anam", "tok-p_ana") in new
    assert PlayerView("p_ana") in new and Team("west1") in new and Team("east1") in new


def test_merging_within_one_firm_tells_that_team_once():
    r = Room()
    r.control("move_player", player="p_anam", firm="west1")
    n = len(r.effects)
    r.control("merge_players", player_id="p_ana", duplicate_id="p_anam")
    assert [e for e in r.effects[n:] if isinstance(e, Team)] == [Team("west1")]


def test_bad_merges_are_refused_and_change_nothing():
    r = Room()
    before = {pid: (p.firm, p.token_hash) for pid, p in r.s.players.items()}
    n = len(r.effects)
    refused("unknown_player", r.control, "merge_players", player_id="p_nobody", duplicate_id="p_anam")
    refused("unknown_player", r.control, "merge_players", player_id="p_ana", duplicate_id="p_nobody")
    assert "itself" in refused("out_of_range", r.control, "merge_players", player_id="p_ana", duplicate_id="p_ana")
    assert "bot" in refused("out_of_range", r.control, "merge_players", player_id="p_ana", duplicate_id="p_bot")
    assert "bot" in refused("out_of_range", r.control, "merge_players", player_id="p_bot", duplicate_id="p_ana")
    assert len(r.effects) == n
    assert {pid: (p.firm, p.token_hash) for pid, p in r.s.players.items()} == before
    # a row merged once is gone: merging it again is a clear error
    r.control("merge_players", player_id="p_ana", duplicate_id="p_anam")
    refused("unknown_player", r.control, "merge_players", player_id="p_ana", duplicate_id="p_anam")
    r.control("end_session")
    refused("session_ended", r.control, "merge_players", player_id="p_ana", duplicate_id="p_ben")


def test_a_merge_mid_round_keeps_the_round_and_replays_exactly():
    r = Room()
    r.control("start")
    west = r.s.players["p_ana"]
    commands.play(r.step(T0 + 20), west, Msg(type="draft", fields={"protect": 0.8}, round=None))
    r.control("merge_players", player_id="p_ana", duplicate_id="p_anam")
    # the seat plays on: its draft is still there and it submits as before
    assert r.s.drafts["west1"]["protect"] == 0.8
    for pid in ("p_ana", "p_ben"):
        commands.play(r.step(T0 + 30), r.s.players[pid], Msg(type="submit", decision=None, round=None))
    assert r.s.state.round == 1
    rows = log_rows(r.logged(), dict(OPTIONS))
    log = read_sessions(rows)["s1"]
    result = replay(log, rules_for(log))
    assert result.diffs == []
    assert state_to_dict(result.state) == state_to_dict(r.s.state)
    # the seat tally counts the person once: west1 has Ana (and its bot row), east1 only Ben
    assert result.rounds[0].players["east1"] == 1
    # the facts alone rebuild the roster
    rules = Rules.from_scenario(load_scenario("classic"))
    fresh = Session(rules, new_session(rules, 1, SEED, 2))
    for e in r.logged():
        evolve(fresh, F.read_fact(e.fact.type, json.loads(json.dumps(e.fact.to_data()))))
    assert {pid: (p.firm, p.token_hash) for pid, p in fresh.players.items()} == \
        {pid: (p.firm, p.token_hash) for pid, p in r.s.players.items()}


def test_a_merge_does_not_spoil_the_undo_of_a_round_closed_too_early():
    r = Room()
    r.control("start")
    r.control("end_round")
    r.control("merge_players", player_id="p_ana", duplicate_id="p_anam")
    r.control("reopen_round")
    assert (r.s.state.phase, r.s.state.round) == ("execution", 0)
