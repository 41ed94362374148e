"""What each recipient is told by a step (game_rules/session/outbox.py), on the pure layer:
a submission tells only the firm's members (the submitter too) and owes the facilitator a
status; a draft tells the firm's members, not the sending socket; an announcement tells
everyone; a round closed by the last submission tells each firm its own events and owes
everyone a full view."""
from __future__ import annotations

from types import SimpleNamespace as Control

from game_rules.rules import Rules, new_session
from game_rules.scenario import load_scenario
from game_rules.session import commands, controls, facts as F
from game_rules.session.outbox import Out, outbox
from game_rules.session.state import Session
from game_rules.session.step import Step

OPTIONS = {"copies": 1, "negotiation": False, "round_seconds": 30, "members_submit": "any"}
T0 = 1_000.0


def _session() -> Session:
    rules = Rules.from_scenario(load_scenario("classic"))
    s = Session(rules, new_session(rules, OPTIONS["copies"], 7, 2))
    for pid, firm in (("p_a", "west1"), ("p_c", "west1"), ("p_b", "east1")):
        Step(s, OPTIONS, T0).fact(F.PlayerJoined(pid, pid, None, firm, "h", T0), actor=pid, firm=firm)
    controls.decide(Step(s, OPTIONS, T0), Control(action="start"))
    assert s.state.phase == "execution"
    return s


def test_a_submission_tells_the_firm_and_owes_the_facilitator_a_status():
    s = _session()
    step = Step(s, OPTIONS, T0 + 1)
    commands.submit(step, s.players["p_a"], {"protect": 1.0}, 1, None)
    box = outbox(step)
    assert set(box) == {"p_a", "p_c", "facilitator"}          # not east1's p_b
    told = box["p_a"]
    assert [o.msg["type"] for o in told] == ["submitted"] and told == box["p_c"]
    assert told[0].msg["firm"] == "west1" and told[0].msg["by"] == "p_a" and told[0].to_sender
    assert box["facilitator"] == [Out({"type": "status"})]


def test_a_draft_is_not_echoed_to_the_sender_and_an_announcement_tells_everyone():
    s = _session()
    step = Step(s, OPTIONS, T0 + 1)
    commands.draft(step, s.players["p_c"], {"protect": 2.0}, 1)
    box = outbox(step)
    assert set(box) == {"p_a", "p_c"}                         # the facilitator is not told drafts
    assert all(not o.to_sender and o.msg["changed"] == {"protect": 2.0} for o in box["p_a"] + box["p_c"])
    step = Step(s, OPTIONS, T0 + 2)
    controls.decide(step, Control(action="inject", text="news", event=None))
    box = outbox(step)
    assert set(box) == {"p_a", "p_b", "p_c", "facilitator"}
    assert {o.msg["text"] for told in box.values() for o in told} == {"news"}


def test_the_last_submission_closes_the_round_each_firm_told_its_own_events():
    s = _session()
    commands.submit(Step(s, OPTIONS, T0 + 1), s.players["p_b"], {"protect": 1.0}, 1, None)
    step = Step(s, OPTIONS, T0 + 2)
    commands.submit(step, s.players["p_a"], {"protect": 1.0}, 1, None)
    box = outbox(step)
    results = {r: [o.msg for o in told if o.msg["type"] == "round_result"] for r, told in box.items()}
    assert all(len(rs) == 1 for rs in results.values())
    for pid, firm in (("p_a", "west1"), ("p_b", "east1")):
        assert all(ev.get("firm") in (firm, None) for ev in results[pid][0]["events"])
    assert "sources" in results["facilitator"][0] and "sources" not in results["p_a"][0]
    for r in ("p_a", "p_b", "p_c", "facilitator"):                  # everyone's full view is due
        assert Out({"type": "view"}) in box[r]
