"""A team's draft carries over from round to round; after its alliance ended, the entries for
what that alliance offered (contributing and learning in its areas) made the whole carried
draft illegal, so a team that did not touch its form in the next round had the default
played at the close (everything kept as cash), not the choices its form showed (found
playing a class day). The close now drops those entries and plays the rest of the draft.
Real server, real SQLite; the log replays exactly."""
from __future__ import annotations

import json

from conftest import seat_players, session_log

from game_rules.replay import read_sessions, replay, rules_for


async def test_a_carried_draft_is_played_after_the_alliance_ended(server, api, clients):
    session = await api.create(copies=1, rounds=3, negotiation=False)
    west, east = await seat_players(api, server, session, clients)
    await api.control(session, "start")
    await west.ok("draft", round=1, fields={"contribute": {"design": 15}, "absorb": {"manufacturing": 10},
                                            "develop": {"design": 30}})
    await west.ok("submit", round=1, decision={"contribute": {"design": 15}, "absorb": {"manufacturing": 10},
                                               "develop": {"design": 30}, "exit": ["a1"]})
    await east.ok("submit", round=1, decision={"contribute": {"manufacturing": 15}})
    await west.wait_for(lambda m: m["type"] == "view" and m["view"]["current_round"] == 2)
    # round 2: west's team does not touch its form; the facilitator closes the round
    await east.ok("submit", round=2, decision={})
    await api.control(session, "end_round")
    rows = session_log(server, session)
    closes = [json.loads(r["data"]) for r in rows if r["type"] == "round_closed"]
    assert closes[1]["round"] == 2
    assert closes[1]["sources"]["west1"] == "draft", closes[1]
    assert closes[1]["decisions"]["west1"]["develop"] == {"design": 30}
    assert "west1" not in closes[1].get("unusable", {})
    log = read_sessions(rows)[session["session_id"]]
    assert replay(log, rules_for(log)).diffs == []
