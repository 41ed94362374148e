"""Facilitator controls over the socket: bots in empty seats, the clock (its run-out is the
server's timer), moving players, the designated submitter, announcements. Ending a round
early (drafts, defaults) is decided on the pure layer alone: tests/test_session_flow.py."""
from __future__ import annotations

import sqlite3

from conftest import Client


async def _join(api, server, session, clients, n, binary=True):
    out = []
    for i in range(len(clients), len(clients) + n):  # one seat per name: each join its own name
        j = await api.join(session["code"], f"c{i}")
        c = await Client.login(server.url, j["player_token"], binary=binary, name=f"c{i}")
        c.joined = j
        clients.append(c)
        out.append(c)
    return out


async def test_bots_fill_empty_seats_and_play(server, api, clients):
    session = await api.create(copies=2, rounds=2, negotiation=False)
    (human,) = await _join(api, server, session, clients, 1)
    fac = await Client.login(server.url, session["facilitator_token"], name="fac")
    clients.append(fac)
    r = await fac.ok("control", action="fill_bots", strategy="internalizer")
    assert sorted(r["result"]["firms"]) == ["east1", "east2", "west2"]
    await fac.ok("control", action="start")
    for rnd in (1, 2):
        await human.ok("submit", round=rnd, decision={"contribute": {"design": 20}})
        res = await fac.wait_for(lambda m: m["type"] == "round_result" and m["round"] == rnd)
        assert res["sources"] == {"west1": "submitted", "east1": "bot", "west2": "bot", "east2": "bot"}
    v = await human.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "debrief")
    assert v["view"]["score"]["rank"] in (1, 2, 3, 4)


async def test_all_bot_session_negotiates_and_plays_through(server, api, clients):
    session = await api.create(copies=1, rounds=3, negotiation=True)
    await api.control(session, "fill_bots", strategy="balanced")
    await api.control(session, "start")
    summary = await api.summary(session)
    assert summary["phase"] == "debrief" and summary["round"] == 3
    assert summary["negotiations"]["a1"]["status"] == "agreed"


async def test_clock_pause_resume_extend_and_run_out(server, api, clients):
    session = await api.create(copies=1, rounds=2, negotiation=False, round_seconds=600)
    (west,) = await _join(api, server, session, clients, 1)
    await api.control(session, "start")
    await west.wait_for(lambda m: m["type"] == "clock" and m["running"])
    r = await api.control(session, "pause")
    assert r["result"]["clock"]["running"] is False
    paused = await west.wait_for(lambda m: m["type"] == "clock" and not m["running"])
    r = await api.control(session, "extend", seconds=60)
    assert r["result"]["clock"]["remaining"] == paused["remaining"] + 60
    await api.control(session, "resume")
    await west.wait_for(lambda m: m["type"] == "clock" and m["running"])
    # a short clock runs out by itself and closes the round with defaults
    s2 = await api.create(copies=1, rounds=1, negotiation=False, round_seconds=0.3)
    (solo,) = await _join(api, server, s2, clients, 1)
    await api.control(s2, "start")
    res = await solo.wait_for(lambda m: m["type"] == "round_result" and m["round"] == 1)
    assert any(e["type"] == "default_applied" for e in res["events"])


async def test_designated_submitter_shared_firms_and_moves(server, api, clients):
    session = await api.create(copies=1, rounds=2, negotiation=False, members_submit="submitter")
    a, b, c = await _join(api, server, session, clients, 3)
    assert [x.joined["firm"] for x in (a, b, c)] == ["west1", "east1", "west1"]
    await api.control(session, "start")
    await c.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    r = await c.cmd("submit", decision={"contribute": {"design": 15}})
    assert r["type"] == "error" and r["code"] == "not_submitter"
    await a.ok("submit", decision={"contribute": {"design": 15}})
    await c.wait_for(lambda m: m["type"] == "submitted" and m["by"] == a.joined["player_id"])
    # the facilitator moves c to the other firm: c now works on east's draft
    await api.control(session, "move_player", player=c.joined["player_id"], firm="east1")
    v = await c.wait_for(lambda m: m["type"] == "view" and m["view"]["me"]["firm"] == "east1")
    assert v["view"]["firm"]["id"] == "east1"
    await c.ok("draft", fields={"contribute": {"manufacturing": 15}})
    await b.wait_for(lambda m: m["type"] == "draft" and m["by"] == c.joined["player_id"])
    # a late joiner fills the firm with the fewest players
    (d,) = await _join(api, server, session, clients, 1)
    assert d.joined["firm"] == "west1"


async def test_inject_announces_to_everyone_and_is_logged(server, api, clients):
    session = await api.create(copies=1, negotiation=False)
    west, east = await _join(api, server, session, clients, 2)
    await api.control(session, "inject", text="Breaking: a new rival enters", event={"kind": "news"})
    for c in (west, east):
        m = await c.wait_for(lambda m: m["type"] == "announcement")
        assert m["text"] == "Breaking: a new rival enters" and m["event"] == {"kind": "news"}
    db = sqlite3.connect(server.config.db_path)
    assert db.execute("SELECT actor FROM log WHERE type='announcement'").fetchone() == ("facilitator",)
