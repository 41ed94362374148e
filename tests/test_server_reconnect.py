"""Dropped sockets come back where they were; a re-sent command id is never applied twice."""
from __future__ import annotations

import sqlite3

from conftest import Client


async def _lobby(api, server, clients, players=2, **opts):
    session = await api.create(copies=1, rounds=3, negotiation=False, **opts)
    out = []
    for i in range(players):
        j = await api.join(session["code"], f"r{i}")
        c = await Client.login(server.url, j["player_token"], name=f"r{i}")
        c.joined = j
        clients.append(c)
        out.append(c)
    return session, out


async def test_reconnect_mid_round_keeps_draft_and_applies_nothing_twice(server, api, clients):
    session, (west, east) = await _lobby(api, server, clients)
    await api.control(session, "start")
    await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    await west.ok("draft", id="d-1", fields={"contribute": {"design": 15}, "develop": {"design": 5}})
    await west.ok("chat", id="c-1", to="firm", text="first line")

    # the socket drops; the player comes back with the same token on a new socket
    await west.close()
    back = await Client.login(server.url, west.joined["player_token"], binary=False, name="west-again")
    clients.append(back)
    assert back.view["draft"] == {"contribute": {"design": 15}, "develop": {"design": 5}}
    assert [m["text"] for m in back.view["chat"]["firm:west1"]] == ["first line"]
    assert back.view["current_round"] == 1 and back.view["me"]["player_id"] == west.joined["player_id"]

    # it re-sends its last commands (it never saw the acks): nothing is applied twice
    r = await back.cmd("chat", id="c-1", to="firm", text="first line")
    assert r["type"] == "ack" and r["duplicate"] is True
    r = await back.cmd("draft", id="d-1", fields={"contribute": {"design": 15}})
    assert r["duplicate"] is True and r["result"]["draft"] == {"contribute": {"design": 15}, "develop": {"design": 5}}
    view = await back.resync()
    assert [m["text"] for m in view["chat"]["firm:west1"]] == ["first line"]

    # a submit re-sent on the same socket is one submission
    s1 = await back.cmd("submit", id="s-1")
    s2 = await back.cmd("submit", id="s-1")
    assert s1["type"] == "ack" and s2["type"] == "ack" and s2["duplicate"] and s2["result"] == s1["result"]
    db = sqlite3.connect(server.config.db_path)
    assert db.execute("SELECT count(*) FROM log WHERE type='decision_submitted'").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM log WHERE type='chat' AND kind='chat'").fetchone()[0] == 1

    # the teammate-side: east finishes the round, the returned west sees the result
    await east.ok("submit", decision={"contribute": {"manufacturing": 15}})
    res = await back.wait_for(lambda m: m["type"] == "round_result" and m["round"] == 1)
    assert any(e["type"] == "firm_result" and e["firm"] == "west1" for e in res["events"])


async def test_ids_are_per_token(server, api, clients):
    session, (west, east) = await _lobby(api, server, clients)
    await api.control(session, "start")
    a = await west.cmd("chat", id="same", to="alliance", text="from west")
    b = await east.cmd("chat", id="same", to="alliance", text="from east")
    assert a["type"] == b["type"] == "ack" and not a.get("duplicate") and not b.get("duplicate")


async def test_resync_gives_full_view_then_deltas(server, api, clients):
    session, (west, east) = await _lobby(api, server, clients)
    await api.control(session, "start")
    view = await west.resync()
    assert view["phase"] == "execution" and view["firm"]["id"] == "west1"
    await east.ok("chat", to="alliance", text="hello partner")
    push = await west.wait_for(lambda m: m["type"] == "chat")
    assert push["seq"] > max(m["seq"] for m in west.messages if m["type"] == "view")


async def test_facilitator_sees_connections_and_who_holds_up_the_round(server, api, clients):
    session, (west, east) = await _lobby(api, server, clients)
    fac = await Client.login(server.url, session["facilitator_token"], name="fac")
    clients.append(fac)
    await fac.ok("control", action="start")
    await west.ok("submit", decision={"contribute": {"design": 15}})
    st = await fac.wait_for(lambda m: m["type"] == "status" and m["status"]["submitted"])
    assert st["status"]["waiting_for"] == ["east1"] and st["status"]["connected"] == 2
    await east.close()
    st = await fac.wait_for(lambda m: m["type"] == "status" and m["status"]["connected"] == 1)
    assert [p["connected"] for p in st["status"]["players"]] == [True, False]
