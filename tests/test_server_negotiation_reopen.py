"""Reopen negotiation through a real server: the facilitator ends the negotiation by
mistake (the default terms signed), reopens it over HTTP, the two firms' sockets get the
negotiation back with its offer, the phase is negotiation again with a fresh clock armed by
the server; the refusals (a player's token, another session's token, an unknown or junk
alliance id, twice, agreed); the log holds both the close and the reopening and replays
with zero differences."""
from __future__ import annotations

import json

from conftest import seat_players, session_log
from test_research_export import download, read_csv, unzip

from game_rules.replay import read_sessions, replay, rules_for


async def _reopen(api, session, token=None, **fields):
    return await api.request("POST", f"/api/sessions/{session['session_id']}/control",
                             {"action": "reopen_negotiation", **fields},
                             token=token or session["facilitator_token"])


async def test_reopen_negotiation_end_to_end(server, api, clients):
    session = await api.create(copies=1, rounds=2, negotiation=True, negotiation_seconds=300, round_seconds=120)
    west, east = await seat_players(api, server, session, clients)
    await api.control(session, "start")
    v = await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "negotiation")
    await east.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "negotiation")  # (consumed)
    (neg,) = v["view"]["negotiations"]
    terms = dict(neg["default_terms"], split={"west1": 0.6, "east1": 0.4})
    await west.ok("negotiate", action="offer", terms=terms)
    status, body = await _reopen(api, session, alliance_id="a1")
    assert status == 409 and body["error"]["code"] == "not_reopenable" and "is open" in body["error"]["message"]

    # the facilitator signs the default terms by mistake: round 1 opens
    await api.control(session, "pair")
    await east.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    summary = await api.summary(session)
    assert summary["status"]["reopen_negotiations"] == ["a1"] and summary["phase"] == "execution"

    # refusals: a player's token, another session's token, unknown and junk ids
    r = await west.cmd("control", action="reopen_negotiation", alliance_id="a1")
    assert r["type"] == "error" and r["code"] == "forbidden"
    other = await api.create(copies=1, negotiation=True)
    status, body = await _reopen(api, session, token=other["facilitator_token"], alliance_id="a1")
    assert status in (401, 403), body
    status, body = await _reopen(api, other, alliance_id="a1")
    assert status == 400 and body["error"]["code"] == "unknown_negotiation", body  # never opened there
    status, body = await _reopen(api, session, alliance_id="zz9")
    assert status == 400 and body["error"]["code"] == "unknown_negotiation", body
    for junk, code in (({}, "missing_field"), ({"alliance_id": None}, "missing_field"),
                       ({"alliance_id": 7}, "wrong_type"), ({"alliance_id": ["a1"]}, "wrong_type"),
                       ({"alliance_id": "x" * 65}, "out_of_range")):
        status, body = await _reopen(api, session, **junk)
        assert status == 400 and body["error"]["code"] == code and "alliance_id" in body["error"]["message"], \
            (junk, body)
    status, body = await api.request("POST", f"/api/sessions/{session['session_id']}/control",
                                     raw='{"action": "reopen_negotiation", "alliance_id": "a1"')
    assert status in (400, 401), body
    assert (await api.summary(session))["phase"] == "execution"  # nothing of that changed anything

    # Reopen negotiation: the offer is back, the alliance un-signed, a fresh clock
    r = await _reopen(api, session, alliance_id="a1")
    assert r == (200, r[1]) and r[1]["result"] == {"alliance_id": "a1", "phase": "negotiation"}
    await east.wait_for(lambda m: m["type"] == "negotiation_reopened" and m["alliance_id"] == "a1")
    v = await east.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "negotiation")
    (neg,) = v["view"]["negotiations"]
    assert (neg["status"], neg["standing"], neg["offers"][0]["by"]) == ("open", 1, "west1"), neg
    assert v["view"]["alliances"] == [] or not any(a["status"] == "active" for a in v["view"]["alliances"])
    summary = await api.summary(session)
    clock = summary["status"]["clock"]
    assert clock["running"] and 290 < clock["remaining"] <= 300, clock  # a fresh negotiation clock (not the round's 120 s)
    assert "reopen_negotiations" not in summary["status"]
    status, body = await _reopen(api, session, alliance_id="a1")
    assert status == 409 and body["error"]["code"] == "not_reopenable"  # twice

    # the firms go on: east accepts west's offer; agreed is no mistake to undo
    await east.ok("negotiate", action="accept")
    await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    status, body = await _reopen(api, session, alliance_id="a1")
    assert status == 409 and "agreed" in body["error"]["message"]

    rows = session_log(server, session)
    system = [(r["type"], r["actor"]) for r in rows if r["kind"] == "system"]
    assert ("negotiation_reopened", "facilitator") in system
    assert [t for t, _ in system].count("alliance_signed") == 2
    log = read_sessions(rows)[session["session_id"]]
    result = replay(log, rules_for(log))
    assert result.diffs == [] and result.state.alliances["a1"].terms.split == {"west1": 0.6, "east1": 0.4}
    i = [r["type"] for r in rows].index("negotiation_reopened")
    assert json.loads(rows[i]["data"]) == {"alliance_id": "a1"}

    # the research export's offers.csv says so: the offer, the close, the default signed,
    # the reopening, the accept and the alliance signed on the accepted offer
    status, data = await download(api, f"/api/sessions/{session['session_id']}/export", session["facilitator_token"])
    assert status == 200
    _, offers = read_csv(unzip(data), "offers.csv")
    assert [(o["action"], o["actor"] if o["action"] == "reopened" else "") for o in offers] == [
        ("offer", ""), ("deadline", ""), ("signed", ""), ("reopened", "facilitator"), ("accept", ""), ("signed", "")]
    assert offers[-1]["split.a"] == "0.6" and offers[2]["split.a"] == "0.5"


async def test_the_reopened_negotiation_clock_is_armed_by_the_server(server, api, clients):
    session = await api.create(copies=1, rounds=2, negotiation=True, negotiation_seconds=1)
    west, _ = await seat_players(api, server, session, clients)
    await api.control(session, "start")
    # the clock ends the negotiation (a failed one): round 1 opens
    await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    assert (await api.summary(session))["status"]["reopen_negotiations"] == ["a1"]
    await api.control(session, "reopen_negotiation", alliance_id="a1")
    await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "negotiation")
    # the fresh negotiation clock runs out again by itself: round 1 opens again
    v = await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    assert v["view"]["current_round"] == 1
    rows = session_log(server, session)
    deadlines = [r for r in rows if r["type"] == "negotiation_move" and json.loads(r["data"])["action"] == "deadline"]
    assert [r["actor"] for r in deadlines] == ["server", "server"]
    log = read_sessions(rows)[session["session_id"]]
    assert replay(log, rules_for(log)).diffs == []
