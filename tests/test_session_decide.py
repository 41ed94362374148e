"""Player commands decided on the pure session (game_rules/session/decide.py): no server,
no sockets. A command gives its facts (folded by `evolve`), or is refused before any fact."""
from __future__ import annotations

import pytest

from game_rules.rules import Rules, instantiate_terms, new_session
from game_rules.scenario import load_scenario
from game_rules.session import decide, evolve, facts as F
from game_rules.session.decide import Refused
from game_rules.session.state import Session


def _session() -> tuple[Session, object, object]:
    rules = Rules.from_scenario(load_scenario("classic"))
    s = Session(rules, new_session(rules, 1, 7, 2))
    for pid, firm in (("p_a", "west1"), ("p_b", "east1")):
        evolve(s, F.PlayerJoined(pid, pid, None, firm, "h", 0.0))
    return s, s.players["p_a"], s.players["p_b"]


def _refused(code: str, fn, *args):
    with pytest.raises(Refused) as e:
        fn(*args)
    assert e.value.code == code


def test_a_negotiated_session_played_without_sockets():
    s, a, b = _session()
    _refused("wrong_phase", decide.draft, s, a, {"protect": 1.0}, None)
    _refused("no_partner", decide.chat, s, a, "alliance", "hi", 1.0)
    evolve(s, F.NegotiationOpened("a1", ["west1", "east1"]))
    evolve(s, F.PhaseChanged("negotiation"))
    line, firms = decide.chat(s, a, "alliance", "  hi  ", 5.0)
    assert line.to_data() == {"channel": "alliance:a1", "sender": "p_a", "sender_name": "p_a", "firm": "west1",
                              "text": "hi", "time": 5.0} and firms == ["west1", "east1"]
    _refused("out_of_range", decide.chat, s, a, "firm", "   ", 5.0)
    _refused("missing_field", decide.negotiate, s, a, None, "offer", None)
    _refused("unknown_negotiation", decide.negotiate, s, a, "zz", "accept", None)
    before = s.negotiations["a1"]
    # the scenario's default sheet, as a client sends it back
    sheet = instantiate_terms(s.rules.scenario.alliances[0], 1, s.state.rounds).to_dict()
    offer, events = decide.negotiate(s, a, None, "offer", sheet)
    assert offer.type == "negotiation_move" and offer.by == "west1" and events
    assert s.negotiations["a1"] is before  # deciding changed nothing
    evolve(s, offer)
    accept, _ = decide.negotiate(s, b, "a1", "accept", None)
    evolve(s, accept)
    assert s.negotiations["a1"].status == "agreed"
    evolve(s, F.AllianceSigned("a1", s.negotiations["a1"].agreed_terms.to_dict()))
    evolve(s, F.PhaseChanged("execution"))

    _refused("stale_round", decide.draft, s, a, {"protect": 1.0}, 2)
    change, result = decide.draft(s, a, {"protect": 1.0}, 1)
    assert change.to_data() == {"firm": "west1", "by": "p_a", "changed": {"protect": 1.0}}
    assert result == {"draft": {"protect": 1.0}} and "west1" not in s.drafts
    evolve(s, change)
    _refused("not_submitter", decide.submit, s, a, None, None, "p_other")
    sub, result = decide.submit(s, a, None, 1, None)  # the draft is the decision
    assert sub.decision["protect"] == 1.0 and sub.source == "submitted" and result["round"] == 1
    evolve(s, sub)
    _refused("already_submitted", decide.submit, s, a, None, None, None)
    _refused("wrong_phase", decide.negotiate, s, b, None, "walk_away", None)
