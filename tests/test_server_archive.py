"""Idle sessions are archived instead of being restored live forever (server/archive.py):
at a start, a live session with nothing logged for `archive_idle_seconds` is archived and
not restored; while the server runs, the idle check archives it and closes its sockets.
An archived session is read-only: joins, controls, the live socket and player routes get
410 `session_archived`; its summary, debrief and exports stay readable by its facilitator
and researcher. The checks are driven by calling the sweep with a given `now`, or by a
restart with a tiny idle time; nothing sleeps."""
from __future__ import annotations

import sqlite3
import time

import aiohttp

from conftest import Api, Client

IDLE = 3600.0


async def play(api: Api, url: str, clients: list) -> tuple[dict, Client]:
    """A session in its first round, a player connected, a draft logged."""
    s = await api.create(copies=1, rounds=3, negotiation=False, round_seconds=600)
    joined = await api.join(s["code"], "Ada")
    await api.join(s["code"], "Bo")
    ada = await Client.login(url, joined["player_token"], name="ada")
    clients.append(ada)
    await api.control(s, "start")
    await ada.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    await ada.ok("draft", fields={"contribute": {"design": 12}})
    s["player_token"] = joined["player_token"]
    return s, ada


def status_in_db(db_path, session_id: str) -> str:
    con = sqlite3.connect(db_path)
    try:
        return con.execute("SELECT status FROM sessions WHERE session_id = ?", (session_id,)).fetchone()[0]
    finally:
        con.close()


async def assert_read_only(url: str, http, s: dict) -> None:
    api = Api(url, http)
    fac, sid = s["facilitator_token"], s["session_id"]

    def archived(status, body):
        return status == 410 and body["error"]["code"] == "session_archived" and "archived after" in body["error"]["message"]

    # no more players, controls or live sockets
    assert archived(*await api.request("POST", "/api/join", {"code": s["code"], "name": "Late"}))
    assert archived(*await api.request("POST", f"/api/sessions/{sid}/control", {"action": "pause"}, token=fac))
    assert archived(*await api.request("GET", "/api/web/context", token=s["player_token"]))
    for token in (fac, s["player_token"]):
        c = await Client.open(url, name="after")
        try:
            await c.send({"type": "auth", "token": token})
            err = await c.wait_for(lambda m: m["type"] == "error")
            assert err["code"] == "session_archived"
        finally:
            await c.close()
    # the summary, the debrief and the exports stay readable
    status, view = await api.request("GET", f"/api/sessions/{sid}", token=fac)
    assert status == 200 and view["session"]["status"] == "archived"
    assert view["phase"] == "execution" and view["drafts"]["west1"] == {"contribute": {"design": 12}}
    assert {p["name"] for p in view["status"]["players"]} == {"Ada", "Bo"}
    status, history = await api.request("GET", f"/api/web/history/{sid}", token=fac)
    assert status == 200 and set(history["firms"]) == {"west1", "east1"}
    for token in (fac, s["researcher_token"]):
        async with http.get(f"{url}/api/sessions/{sid}/export", headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200 and (await r.read())[:4] == b"PK\x03\x04"


async def test_an_idle_session_is_archived_at_the_next_start(start_server, db_path, clients):
    first = await start_server()
    async with aiohttp.ClientSession() as http:
        s, _ = await play(Api(first.url, http), first.url, clients)
        await first.stop()
        # not idle for a week: restored live as before
        second = await start_server()
        assert s["session_id"] in second.hub.sessions and status_in_db(db_path, s["session_id"]) == "live"
        await second.stop()
        # nothing logged for longer than the idle time: archived, not restored
        third = await start_server(archive_idle_seconds=1e-3)
        assert third.hub.sessions == {}
        assert status_in_db(db_path, s["session_id"]) == "archived"
        await assert_read_only(third.url, http, s)
        await third.stop()
        # and it stays archived, whatever the idle time of the next start
        fourth = await start_server()
        assert fourth.hub.sessions == {}
        await assert_read_only(fourth.url, http, s)


async def test_the_idle_check_archives_live_sessions(start_server, db_path, clients):
    server = await start_server(archive_idle_seconds=IDLE)
    hub = server.hub
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        old, ada = await play(api, server.url, clients)
        recent = await api.create(copies=1)
        last = hub.store.last_activity([old["session_id"], recent["session_id"]])
        t_old, t_recent = last[old["session_id"]][1], last[recent["session_id"]][1]
        assert t_old < t_recent
        assert await hub.archive.sweep(now=t_old + IDLE - 1) == []  # not idle long enough yet
        assert await hub.archive.sweep(now=(t_old + t_recent) / 2 + IDLE) == [old["session_id"]]
        code, reason = await ada.wait_closed()  # its sockets are closed, saying why
        assert code == 1000 and "archived after 3600 s without activity" in reason
        assert old["session_id"] not in hub.sessions and recent["session_id"] in hub.sessions
        assert status_in_db(db_path, old["session_id"]) == "archived"
        assert status_in_db(db_path, recent["session_id"]) == "live"
        await assert_read_only(server.url, http, old)
        await api.join(recent["code"], "Cy")  # the other session carries on
        await server.stop()
        again = await start_server(archive_idle_seconds=IDLE)
        assert list(again.hub.sessions) == [recent["session_id"]]
        await assert_read_only(again.url, http, old)


async def test_a_session_used_since_the_check_read_the_log_is_not_archived(start_server, clients):
    server = await start_server(archive_idle_seconds=IDLE)
    async with aiohttp.ClientSession() as http:
        s, ada = await play(Api(server.url, http), server.url, clients)
        actor = server.hub.sessions[s["session_id"]]
        seq_read = actor.seq
        await ada.ok("draft", fields={"contribute": {"design": 13}})  # activity after the read
        assert not await server.hub.archive._archive_live(actor, seq_read, time.time() + 2 * IDLE)
        assert server.hub.sessions[s["session_id"]] is actor and ada.closed is None


async def test_the_server_checks_for_idle_sessions_while_it_runs(start_server, clients):
    server = await start_server(archive_idle_seconds=IDLE, archive_check_every=0.01)
    async with aiohttp.ClientSession() as http:
        s, ada = await play(Api(server.url, http), server.url, clients)
        assert s["session_id"] in server.hub.sessions  # active within the hour: not idle
        server.hub.config.archive_idle_seconds = 1e-6  # from now on everything is idle
        code, reason = await ada.wait_closed()  # the periodic check archived it
        assert code == 1000 and "archived" in reason
        assert s["session_id"] in server.hub.archive.sessions and server.hub.sessions == {}
