"""Roles inside a firm (`firm_roles`, issue 16, GAME.md section 2) on the pure layer: the
roles are dealt at the start in join order; the negotiator alone moves in the negotiation,
the gatekeeper alone sets protect and reveal, the learner alone absorb; everyone drafts the
rest; a role nobody holds is everyone's; the facilitator assigns and frees; a member with
empty hands takes a free role and a holder hands one on; every refusal is `not_your_role`
(or `roles_off`) and changes nothing; with roles off nothing changes; the log replays."""
from __future__ import annotations

import json
from types import SimpleNamespace as Msg

from session_log import log_rows, refused
from game_rules.replay import read_sessions, replay, rules_for
from game_rules.rules import Rules, new_session
from game_rules.scenario import load_scenario
from game_rules.session import commands, controls, evolve, facts as F, views
from game_rules.session.state import Session
from game_rules.session.step import Logged, Step, Team
from game_rules.state import state_to_dict

T0 = 1_000.0
SEED = 5
BASE = {"copies": 1, "rounds": 2, "seed": SEED, "negotiation": True, "negotiation_seconds": 300,
        "round_seconds": 120, "members_submit": "any"}
ROLES_ON = {**BASE, "firm_roles": True}
FIVE = ("p1", "p2", "p3", "p4", "p5")


class Room:
    """Five students at west1 (joined p1..p5 in that order), one at east1 (q1)."""

    def __init__(self, options: dict = ROLES_ON, west=FIVE, east=("q1",)):
        rules = Rules.from_scenario(load_scenario("classic"))
        self.s = Session(rules, new_session(rules, 1, SEED, 2))
        self.options = options
        self.effects: list = []
        for i, (pid, firm) in enumerate([(p, "west1") for p in west] + [(q, "east1") for q in east]):
            self.step().fact(F.PlayerJoined(pid, pid.upper(), None, firm, f"tok-{pid}", T0 + i), actor=pid, firm=firm)

    def step(self, now: float = T0 + 100) -> Step:
        return Step(self.s, self.options, now, self.effects.append)

    def control(self, action: str, **fields) -> dict:
        return controls.decide(self.step(), Msg(action=action, **fields))

    def play(self, pid: str, type_: str, submitter: str | None = None, **fields) -> dict:
        return commands.play(self.step(), self.s.players[pid], Msg(type=type_, **fields), submitter)

    def draft(self, pid: str, **fields) -> dict:
        return self.play(pid, "draft", fields=fields, round=None)

    def role(self, pid: str, action: str, role: str, to: str | None = None) -> dict:
        return self.play(pid, "role", action=action, role=role, to=to)

    def holders(self, firm: str = "west1") -> dict:
        return views.firm_roles.holders(self.s, firm)

    def logged(self) -> list[Logged]:
        return [e for e in self.effects if isinstance(e, Logged)]


def _unchanged(r: Room, fn, *args, code: str = "not_your_role", **kw) -> str:
    """`fn` is refused with `code` and decides nothing."""
    n, drafts, held = len(r.effects), json.dumps(r.s.drafts), json.dumps(r.s.firm_roles)
    msg = refused(code, fn, *args, **kw)
    assert (len(r.effects), json.dumps(r.s.drafts), json.dumps(r.s.firm_roles)) == (n, drafts, held)
    return msg


def test_the_start_deals_the_roles_in_join_order():
    r = Room()
    r.control("start")
    assert r.holders() == {"negotiator": "p1", "gatekeeper": "p2", "learner": "p3"}
    assert r.holders("east1") == {"negotiator": "q1", "gatekeeper": "q1", "learner": "q1"}  # a firm of one: all
    dealt = [e.fact for e in r.logged() if isinstance(e.fact, F.RoleAssigned)]
    assert {(f.how, f.by) for f in dealt} == {("dealt", "server")} and len(dealt) == 6
    two = Room(west=("a", "b"))
    two.control("start")
    assert two.holders() == {"negotiator": "a", "gatekeeper": "b", "learner": "a"}  # one member holds two
    # a role taken in the lobby stays taken; the others go to those with empty hands first
    lobby = Room()
    lobby.role("p3", "take", "negotiator")
    lobby.control("start")
    assert lobby.holders() == {"negotiator": "p3", "gatekeeper": "p1", "learner": "p2"}


def test_each_role_controls_its_fields_and_everyone_drafts_the_rest():
    r = Room()
    r.control("start")
    assert r.s.state.phase == "negotiation"
    r.draft("p2", protect=5, reveal={"design": 0.5})          # the gatekeeper
    r.draft("p3", absorb={"design": 3})                       # the learner
    for pid in FIVE:                                          # everyone: contribute, develop
        r.draft(pid, develop={"design": 1})
    msg = _unchanged(r, r.draft, "p3", protect=1)
    assert "gatekeeper" in msg and "P2" in msg                # says whose it is
    _unchanged(r, r.draft, "p4", reveal={"design": 0.1})
    _unchanged(r, r.draft, "p2", absorb={"design": 1})
    _unchanged(r, r.draft, "p1", develop={"design": 2}, absorb=None)  # one controlled key refuses the whole draft
    assert r.s.drafts["west1"]["protect"] == 5 and r.s.drafts["west1"]["develop"] == {"design": 1}


def test_only_the_negotiator_moves_in_the_negotiation():
    r = Room()
    r.control("start")
    for pid in ("p2", "p3", "p4", "p5"):
        _unchanged(r, r.play, pid, "negotiate", negotiation=None, action="walk_away", terms=None)
    r.play("p1", "negotiate", negotiation=None, action="walk_away", terms=None)
    assert r.s.state.phase == "execution"


def test_a_submission_keeps_the_roles_fields_and_the_submitter_rule():
    r = Room()
    r.control("start")
    r.draft("p2", protect=4)
    r.play("p1", "negotiate", negotiation=None, action="walk_away", terms=None)
    # an explicit decision may not change a field a teammate's role controls ...
    _unchanged(r, r.play, "p4", "submit", decision={"protect": 9}, round=None)
    # ... the submitter rule still holds, even for the role's holder
    refused("not_submitter", r.play, "p2", "submit", "p1", decision=None, round=None)
    # a page's whole decision says "nothing" its own way (0, zero entries): the same as the draft
    r.draft("p3", absorb={"design": 0})
    r.draft("p2", reveal={"design": 0})
    _unchanged(r, r.play, "p4", "submit", decision={"protect": 4, "absorb": {"design": 1}}, round=None)
    r.play("p4", "submit", decision={"protect": 4.0, "absorb": {}, "reveal": {}, "develop": {"design": 1}}, round=None)
    assert r.s.submitted["west1"]["decision"]["develop"] == {"design": 1.0}


def test_a_submission_from_the_draft_is_anyones():
    r = Room()
    r.control("start")
    assert r.holders()["gatekeeper"] == "p2" and r.holders()["learner"] == "p3"
    r.draft("p2", protect=4)
    r.play("p1", "negotiate", negotiation=None, action="walk_away", terms=None)
    # the draft (each field set by its holder) goes in from anyone allowed to submit
    r.play("p4", "submit", decision=None, round=None)
    assert r.s.submitted["west1"]["decision"]["protect"] == 4


def test_a_role_nobody_holds_is_everyones():
    r = Room()
    r.control("start")
    _unchanged(r, r.draft, "p4", protect=1)
    out = r.control("assign_role", player_id="p2", role="none")  # the facilitator frees p2's role
    assert out["roles"]["gatekeeper"] is None
    r.draft("p4", protect=1)
    r.draft("p5", protect=2)
    # a holder who leaves the firm leaves its role free
    r.control("remove_player", player_id="p3")
    assert r.holders()["learner"] is None
    r.draft("p5", absorb={"design": 1})
    r.control("move_player", player="p1", firm="east1")
    assert r.holders()["negotiator"] is None and r.holders("east1")["negotiator"] == "q1"


def test_the_facilitator_assigns_and_the_firm_swaps():
    r = Room()
    r.control("start")
    n = len(r.effects)
    r.control("assign_role", player_id="p4", role="learner")    # from p3 to p4
    (fact,) = [e.fact for e in r.effects[n:] if isinstance(e, Logged)]
    assert fact == F.RoleAssigned("west1", "learner", "p4", "p3", "assigned", "facilitator")
    assert Team("west1") in r.effects[n:]                       # the firm sees it at once
    r.draft("p4", absorb={"design": 1})
    _unchanged(r, r.draft, "p3", absorb={"design": 2})
    # a holder hands its role to a teammate
    r.role("p1", "hand", "negotiator", to="p5")
    assert r.holders()["negotiator"] == "p5"
    _unchanged(r, r.play, "p1", "negotiate", negotiation=None, action="walk_away", terms=None)
    # p3 has empty hands: it may take a free role, and only one
    r.control("assign_role", player_id="p2", role="none")
    r.role("p3", "take", "gatekeeper")
    assert r.holders() == {"negotiator": "p5", "gatekeeper": "p3", "learner": "p4"}
    roles = [e.fact for e in r.logged() if isinstance(e.fact, F.RoleAssigned)][-2:]
    assert [(f.how, f.by) for f in roles] == [("freed", "facilitator"), ("taken", "p3")]


def test_one_student_cannot_grab_the_roles():
    r = Room()
    r.control("start")
    # a held role cannot be taken; one's own hands must be empty to take a free one
    assert "P1" in _unchanged(r, r.role, "p4", "take", "negotiator")
    r.control("assign_role", player_id="p1", role="none")
    _unchanged(r, r.role, "p2", "take", "negotiator")           # p2 is the gatekeeper already
    r.role("p4", "take", "negotiator")
    r.control("assign_role", player_id="p3", role="none")
    _unchanged(r, r.role, "p4", "take", "learner")              # one free role each
    # only a holder hands a role on, and only to a teammate
    _unchanged(r, r.role, "p5", "hand", "gatekeeper", to="p5")
    _unchanged(r, r.role, "p2", "hand", "gatekeeper", to="q1", code="unknown_player")
    _unchanged(r, r.role, "p2", "hand", "gatekeeper", to="p2", code="unknown_player")
    _unchanged(r, r.role, "p2", "take", "tea_maker", code="out_of_range")
    _unchanged(r, r.control, "assign_role", player_id="p9", role="learner", code="unknown_player")


def test_with_roles_off_nothing_changes():
    r = Room(BASE)
    r.control("start")
    assert r.s.firm_roles == {} and not any(isinstance(e.fact, F.RoleAssigned) for e in r.logged())
    r.draft("p4", protect=1, absorb={"design": 1}, reveal={"design": 0.2})
    _unchanged(r, r.role, "p4", "take", "learner", code="roles_off")
    _unchanged(r, r.control, "assign_role", player_id="p4", role="learner", code="roles_off")
    r.play("p5", "negotiate", negotiation=None, action="walk_away", terms=None)
    live = views.Live("s", "C", "t", BASE)
    assert "firm_roles" not in views.firm_part(r.s, live, "west1")
    assert "firm_roles" not in views.status(r.s, live)


def test_the_views_show_the_roles_to_the_firm_and_the_facilitator():
    r = Room()
    r.control("start")
    live = views.Live("s", "C", "t", ROLES_ON)
    part = views.firm_part(r.s, live, "west1")["firm_roles"]
    assert part["holders"] == {"negotiator": "p1", "gatekeeper": "p2", "learner": "p3"}
    assert part["fields"] == {"protect": "gatekeeper", "reveal": "gatekeeper", "absorb": "learner"}
    assert views.status(r.s, live)["firm_roles"]["east1"] == {"negotiator": "q1", "gatekeeper": "q1",
                                                              "learner": "q1"}


def test_the_roles_replay_exactly_and_survive_a_snapshot():
    r = Room()
    r.control("start")
    r.role("p1", "hand", "negotiator", to="p5")
    r.control("assign_role", player_id="p2", role="none")
    r.role("p4", "take", "gatekeeper")
    r.control("remove_player", player_id="p3")
    r.draft("p4", protect=3)
    r.play("p5", "negotiate", negotiation=None, action="walk_away", terms=None)
    for pid in ("p4", "q1"):
        r.play(pid, "submit", decision=None, round=None)
    assert r.s.state.round == 1
    rows = log_rows(r.logged(), dict(ROLES_ON))
    log = read_sessions(rows)["s1"]
    result = replay(log, rules_for(log))
    assert result.diffs == []
    assert state_to_dict(result.state) == state_to_dict(r.s.state)
    rules = Rules.from_scenario(load_scenario("classic"))
    fresh = Session(rules, new_session(rules, 1, SEED, 2))
    for e in r.logged():
        evolve(fresh, F.read_fact(e.fact.type, json.loads(json.dumps(e.fact.to_data()))))
    assert fresh.firm_roles == r.s.firm_roles == {"west1": {"negotiator": "p5", "gatekeeper": "p4"},
                                                   "east1": {"negotiator": "q1", "gatekeeper": "q1", "learner": "q1"}}
    restored = Session(rules, new_session(rules, 1, SEED, 2))
    restored.load(json.loads(json.dumps(r.s.to_dict())))
    assert restored.firm_roles == r.s.firm_roles
