"""A snapshot's text with the firms' histories encoded as they grow (server/snapshot_text.py):
the same bytes as encoding the whole session, over rounds played, a reopened round and a
session restored from a snapshot, and only the entries appended since the last snapshot
are encoded."""
from __future__ import annotations

import json

from game_rules.bots import bot_decision
from game_rules.decisions import parse_decision
from game_rules.rules import Rules, new_session
from game_rules.scenario import load_scenario
from game_rules.session import evolve, facts as F
from game_rules.session.state import Session
from game_rules.session.views import firm_engine_view
from server.snapshot_text import SnapshotText
from server.store import dumps


def _session(copies: int = 2) -> Session:
    rules = Rules.from_scenario(load_scenario("classic"))
    s = Session(rules, new_session(rules, copies, 7, 6))
    for i, firm in enumerate(s.state.firms):
        evolve(s, F.PlayerJoined(f"p_{firm}", f"Player of {firm}", None, firm, "h", float(i)))
    evolve(s, F.PhaseChanged("negotiation"))
    for tpl in rules.scenario.alliances:
        for c in range(1, copies + 1):
            aid = f"{tpl.id}{c}"
            evolve(s, F.AllianceSigned(aid, s.default_terms(aid).to_dict()))
    evolve(s, F.PhaseChanged("execution"))
    return s


def _close(s: Session, style: str = "balanced") -> None:
    decisions = {f: parse_decision(f, bot_decision(firm_engine_view(s, f), style, 1)).to_dict() for f in s.state.firms}
    evolve(s, F.RoundClosed(s.state.round + 1, "facilitator", decisions, {f: "submitted" for f in decisions}))


def test_the_text_is_the_whole_sessions_encoding_through_rounds_a_reopen_and_a_restore():
    s, text = _session(), SnapshotText()
    assert text.server(s) == dumps(s.to_dict())
    for _ in range(3):
        _close(s)
        assert text.server(s) == dumps(s.to_dict())
    assert any(len(h) >= 3 for h in s.history.values())
    # the facilitator reopens round 3: the histories are cut back, and the round closes again otherwise
    evolve(s, F.RoundReopened(3))
    assert text.server(s) == dumps(s.to_dict())
    _close(s, "internalizer")
    assert text.server(s) == dumps(s.to_dict())
    # a session restored from that snapshot (new lists, new entries): encoded anew, the same text
    restored = _session()
    restored.load(json.loads(text.server(s)))
    assert text.server(restored) == dumps(restored.to_dict()) == dumps(s.to_dict())
    _close(restored)
    assert text.server(restored) == dumps(restored.to_dict())


def test_only_the_entries_appended_since_the_last_snapshot_are_encoded():
    s, text = _session(), SnapshotText()
    _close(s)
    text.server(s)
    assert text.encoded == sum(len(h) for h in s.history.values()) > 0   # the first: every entry
    before = {f: len(h) for f, h in s.history.items()}
    _close(s)
    text.server(s)
    assert text.encoded == sum(len(h) - before[f] for f, h in s.history.items()) > 0
    text.server(s)
    assert text.encoded == 0
