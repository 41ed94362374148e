"""Renegotiation windows on the pure layer (game_rules/session/renegotiating.py, game_rules/
renegotiation.py): a window opens after every n-th round but the last; an accepted proposal
changes the alliance's terms from the next round; no agreement keeps them (the clock, the
facilitator); refusals for a non-party, outside a window and for bad terms change nothing;
the facts rebuild the same session and `replay` recomputes it with zero differences."""
from __future__ import annotations

import json
from types import SimpleNamespace as Control

import pytest

from game_rules import renegotiation as reneg
from game_rules.negotiation import NegotiationError
from game_rules.replay import read_sessions, replay, rules_for
from game_rules.rules import Rules, new_session
from game_rules.scenario import load_scenario
from game_rules.session import commands, controls, evolve, facts as F, phases, renegotiating
from game_rules.session.state import Session
from game_rules.session.step import Logged, Step, Tell
from game_rules.state import state_to_dict
from session_log import log_rows, refused

OPTIONS = {"copies": 2, "negotiation": False, "negotiation_seconds": 60, "round_seconds": 30,
           "members_submit": "any", "renegotiation_every": 2, "renegotiation_seconds": 90, "rounds": 5, "seed": 7}
T0 = 1_000.0
CONTRIBUTES = {"west": "design", "east": "manufacturing"}


class Table:
    def __init__(self, options=OPTIONS):
        self.options = options
        rules = Rules.from_scenario(load_scenario("classic"))
        self.s = Session(rules, new_session(rules, options["copies"], options["seed"], options["rounds"]))
        self.logged: list[Logged] = []

    def step(self, now: float) -> Step:
        return Step(self.s, self.options, now, lambda e: self.logged.append(e) if isinstance(e, Logged) else None)

    def control(self, now: float, action: str, **fields) -> tuple[dict, Step]:
        st = self.step(now)
        return controls.decide(st, Control(action=action, **fields)), st

    def facts(self, cls):
        return [e.fact for e in self.logged if isinstance(e.fact, cls)]

    def play_round(self, now: float) -> Step:
        st = self.step(now)
        for pid in ("p_a", "p_b", "p_c"):  # each meets its minimum effort: the alliances hold
            p = self.s.players[pid]
            commands.submit(st, p, {"contribute": {CONTRIBUTES[p.firm[:4]]: 20.0}}, None, None)
        return st


def _seated(t: Table) -> None:
    for pid, firm in (("p_a", "west1"), ("p_b", "east1"), ("p_c", "west2")):
        t.step(T0).fact(F.PlayerJoined(pid, pid, None, firm, "h", T0), actor=pid, firm=firm)
    t.control(T0, "fill_bots", strategy="balanced")  # east2: a seat bot
    t.control(T0, "start")


def test_a_window_opens_after_every_nth_round_and_an_accept_changes_the_terms_from_the_next():
    t = Table()
    s = t.s
    _seated(t)
    a, b, c = (s.players[p] for p in ("p_a", "p_b", "p_c"))
    old_a2 = s.state.alliances["a2"].terms.to_dict()

    # outside a window: a renegotiation move is refused (the phase, and the pure check itself)
    refused("wrong_phase", commands.negotiate, t.step(T0 + 1), a, "a1", "offer", {"split": {"west1": 0.6, "east1": 0.4}})
    refused("no_window", renegotiating.decide, s, "west1", "a1", "offer", {"split": {"west1": 0.6, "east1": 0.4}})

    t.play_round(T0 + 2)
    assert s.state.round == 1 and s.state.phase == "execution" and not t.facts(F.RenegotiationOpened)
    st = t.play_round(T0 + 3)
    (opened,) = t.facts(F.RenegotiationOpened)
    assert (opened.round, opened.alliances) == (2, {"a1": ["west1", "east1"], "a2": ["west2", "east2"]})
    assert s.state.phase == "renegotiation" and s.clock.deadline == T0 + 3 + 90
    assert "renegotiation" in {n.msg.get("phase") for n in st.effects if isinstance(n, Tell) and n.msg["type"] == "clock"}

    # refusals change nothing: another alliance's id, an unknown one, junk and out-of-range terms
    before = (state_to_dict(s.state), s.to_dict())
    n = len(t.logged)
    with pytest.raises(NegotiationError) as e:
        commands.negotiate(t.step(T0 + 4), c, "a1", "offer", {"split": {"west1": 0.6, "east1": 0.4}})
    assert e.value.code == "not_a_party" and "west1" not in e.value.message.split("alliance")[0].replace("west2", "")
    refused("unknown_negotiation", commands.negotiate, t.step(T0 + 4), a, "a1'; DROP TABLE", "offer", {})
    for terms in ({"split": {"west1": 2.0, "east1": -1.0}}, {"bogus": 1}, {"exit_penalty": 1e308},
                  {"milestone": 0}, {"split": {"west1": 1e-320, "east1": 1.0}, "tranches": {"west1": 10**9}},
                  {"scope": ["design"]}, {"duration": 1}, {"upfront_payment": 5.0, "payer": "east1"},
                  {"split": {"west1": 0.5, "east1": 0.5, "west2": 0.0}}, {"split": "all of it"}, ["split"]):
        with pytest.raises(NegotiationError) as e:
            commands.negotiate(t.step(T0 + 4), a, "a1", "offer", terms)
        assert e.value.code == "invalid_terms", terms
    refused("missing_field", commands.negotiate, t.step(T0 + 4), a, "a1", "offer", None)
    with pytest.raises(NegotiationError) as e:
        commands.negotiate(t.step(T0 + 4), b, "a1", "accept", None)
    assert e.value.code == "no_offer"
    assert len(t.logged) == n and (state_to_dict(s.state), s.to_dict()) == before

    # west1 asks for 60% (naming only what changes), east1 accepts: the terms change from round 3
    st = t.step(T0 + 5)
    result = commands.negotiate(st, a, None, "offer", {"split": {"west1": 0.6, "east1": 0.4}})
    assert result["renegotiation"]["alliances"][0]["standing"] == 1
    told = {n.to for n in st.effects if isinstance(n, Tell) and n.msg["type"] == "renegotiation"}
    assert told == {"firm:west1", "firm:east1", "facilitator"}
    commands.negotiate(t.step(T0 + 6), b, "a1", "accept", None)
    (agreed,) = t.facts(F.TermsRenegotiated)
    assert (agreed.alliance_id, agreed.from_round, agreed.terms["split"]) == ("a1", 3, {"west1": 0.6, "east1": 0.4})
    assert s.state.alliances["a1"].terms.split == {"west1": 0.6, "east1": 0.4}
    assert s.state.phase == "renegotiation"  # a2 is not settled yet: p_c has not moved
    # a snapshot taken in the window loads back to the same session (a restart's path)
    snap = Session(s.rules, s.state)
    stored = json.loads(json.dumps(s.to_dict()))
    snap.load(stored)
    assert json.loads(json.dumps(snap.to_dict())) == stored and snap.renegotiation.negotiations["a1"].status == "agreed"

    # the clock runs out: a2 keeps its terms, round 3 opens and plays the new split
    st = t.step(T0 + 3 + 91)
    assert phases.clock_ran_out(st) is True
    (closed,) = t.facts(F.RenegotiationClosed)
    assert (closed.round, closed.reason, closed.kept) == (2, "clock", ["a2"])
    assert s.state.alliances["a2"].terms.to_dict() == old_a2
    assert s.state.phase == "execution" and s.state.round == 2
    refused("wrong_phase", commands.negotiate, t.step(T0 + 100), a, "a1", "offer", {"split": {"west1": 0.7, "east1": 0.3}})
    st = t.play_round(T0 + 101)
    jv = next(e for e in st.effects if isinstance(e, Logged) for e in e.caused
              if e["type"] == "joint_value" and e["alliance"] == "a1")
    assert jv["shares"]["west1"] == pytest.approx(0.6 * jv["value"])

    # after round 4 a second window; the facilitator ends it: every pair keeps its terms
    t.play_round(T0 + 102)
    assert s.state.phase == "renegotiation" and s.renegotiation.round == 4
    result, st = t.control(T0 + 103, "end_renegotiation")
    assert result == {"round": 5, "phase": "execution"}
    assert t.facts(F.RenegotiationClosed)[-1].reason == "facilitator"
    assert set(t.facts(F.RenegotiationClosed)[-1].kept) >= {"a1"}
    refused("no_window", controls.decide, t.step(T0 + 104), Control(action="end_renegotiation"))

    # round 5 is the last: no window after it
    t.play_round(T0 + 105)
    assert s.state.phase == "debrief" and len(t.facts(F.RenegotiationOpened)) == 2

    # the facts rebuild the same session; replay recomputes every round with zero differences
    again = Session(s.rules, new_session(s.rules, 2, 7, 5))
    for e in t.logged:
        evolve(again, F.read_fact(e.fact.type, json.loads(json.dumps(e.fact.to_data()))))
    assert state_to_dict(again.state) == state_to_dict(s.state) and again.to_dict() == s.to_dict()
    log = read_sessions(log_rows(t.logged, OPTIONS))["s1"]
    result = replay(log, rules_for(log))
    assert result.diffs == [] and len(result.rounds) == 5
    in_force = {r.round: r.terms["a1"]["split"] for r in result.rounds}
    assert in_force[2] == {"west1": 0.5, "east1": 0.5} and in_force[3] == {"west1": 0.6, "east1": 0.4}
    # without the agreement the replay differs (it is what makes round 3's numbers)
    rows = [r for r in log_rows(t.logged, OPTIONS) if r["type"] != "terms_renegotiated"]
    log2 = read_sessions(rows)["s1"]
    assert replay(log2, rules_for(log2)).diffs


def test_no_window_without_the_option_nor_after_the_last_round():
    options = {**OPTIONS, "rounds": 4}
    del options["renegotiation_every"]
    t = Table(options)
    _seated(t)
    for i in range(4):
        t.play_round(T0 + i)
    assert t.s.state.phase == "debrief" and not t.facts(F.RenegotiationOpened) and t.s.renegotiation is None
    t = Table({**OPTIONS, "rounds": 4})
    _seated(t)
    for i in range(4):
        if t.s.state.phase == "renegotiation":
            t.control(T0 + i, "end_renegotiation")
        t.play_round(T0 + i)
    assert [f.round for f in t.facts(F.RenegotiationOpened)] == [2] and t.s.state.phase == "debrief"


def test_advance_in_a_window_ends_it_and_a_walk_away_keeps_the_terms():
    t = Table()
    _seated(t)
    t.play_round(T0 + 1)
    t.play_round(T0 + 2)
    a = t.s.players["p_a"]
    commands.negotiate(t.step(T0 + 3), a, "a1", "walk_away", None)
    assert t.s.renegotiation.negotiations["a1"].status == "failed" and not t.facts(F.TermsRenegotiated)
    result, _ = t.control(T0 + 4, "advance")
    assert result["phase"] == "execution" and t.facts(F.RenegotiationClosed)[-1].reason == "facilitator"


def test_a_replay_refuses_a_counterfactual_on_the_windows():
    """The log's windows are replayed as agreed: `--set renegotiation_every` would change
    nothing, so it is refused with why (as a view-only setting is)."""
    from game_rules.replay import ReplayError
    t = Table({**OPTIONS, "rounds": 2})
    _seated(t)
    log = read_sessions(log_rows(t.logged, OPTIONS))["s1"]
    with pytest.raises(ReplayError, match="renegotiation windows as they were agreed"):
        replay(log, rules_for(log, extra_overrides={"renegotiation_every": "3"}), counterfactual={"renegotiation_every": "3"})
