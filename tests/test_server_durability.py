"""Durability with `run.py` as a real process: kill -9 during a round loses nothing that
was acknowledged and a restart restores the session (clock included); SIGTERM shuts down
cleanly (sockets told why, in-flight commands finished, log flushed)."""
from __future__ import annotations

import asyncio
import sqlite3

import aiohttp

from conftest import Api, Client


async def _setup(url: str, http, clients, round_seconds: float = 600):
    api = Api(url, http)
    session = await api.create(copies=1, rounds=3, negotiation=False, round_seconds=round_seconds)
    players = {}
    for i in range(2):
        j = await api.join(session["code"], f"k{i}")
        c = await Client.login(url, j["player_token"], binary=bool(i), name=j["firm"])
        c.joined = j
        clients.append(c)
        players[j["firm"]] = c
    await api.control(session, "start")
    for c in players.values():
        c.view = (await c.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution"))["view"]
    return api, session, players["west1"], players["east1"]


async def test_kill9_during_a_round_loses_nothing_acknowledged(server_process, db_path, clients):
    proc = await server_process()
    async with aiohttp.ClientSession() as http:
        api, session, west, east = await _setup(proc.url, http, clients)
        clock_before = west.view["clock"]["remaining"]
        await west.ok("draft", id="w-draft", fields={"contribute": {"design": 18}, "develop": {"brand": 4}})
        await east.ok("draft", id="e-draft", fields={"contribute": {"manufacturing": 16}})
        # a burst of commands, all in flight together (they share group commits)
        ids = [f"chat-{i}" for i in range(30)]
        for i in ids:
            await west.send({"type": "chat", "id": i, "to": "alliance", "text": f"line {i}"})
        for i in ids:
            assert (await west.reply(i))["type"] == "ack"
        await west.ok("submit", id="w-submit")
        await api.control(session, "inject", text="A rival launches a new product")
        proc.kill9()  # no chance to flush anything: only what was committed survives

        proc2 = await server_process()
        api2 = Api(proc2.url, http)
        west2 = await Client.login(proc2.url, west.joined["player_token"], name="west-after")
        east2 = await Client.login(proc2.url, east.joined["player_token"], binary=True, name="east-after")
        clients += [west2, east2]
        wv, ev = west2.view, east2.view
        assert wv["phase"] == "execution" and wv["current_round"] == 1
        assert wv["draft"] == {"contribute": {"design": 18}, "develop": {"brand": 4}}
        assert wv["submitted"]["by"] == west.joined["player_id"]
        assert ev["draft"] == {"contribute": {"manufacturing": 16}} and ev["submitted"] is None
        assert [m["text"] for m in wv["chat"]["alliance:a1"]] == [f"line {i}" for i in ids]
        assert wv["announcements"][-1]["text"] == "A rival launches a new product"
        # the clock came back running, with no more time than it had
        assert wv["clock"]["running"] and 0 < wv["clock"]["remaining"] <= clock_before
        # re-sent ids are recognised after the restart
        again = await west2.cmd("submit", id="w-submit")
        assert again["type"] == "ack" and again["duplicate"]
        again = await west2.cmd("chat", id="chat-0", to="alliance", text="line chat-0")
        assert again["duplicate"]
        # and the game goes on
        await east2.ok("submit")
        res = await west2.wait_for(lambda m: m["type"] == "round_result" and m["round"] == 1)
        assert any(e["type"] == "firm_result" for e in res["events"])
        summary = await api2.summary(session)
        assert summary["round"] == 1
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT count(*) FROM log WHERE kind='chat'").fetchone()[0] == 30
    assert db.execute("SELECT count(*) FROM log WHERE type='round_closed'").fetchone()[0] == 1


async def test_restart_restores_a_resolved_round_and_the_clock(server_process, db_path, clients):
    proc = await server_process()
    async with aiohttp.ClientSession() as http:
        api, session, west, east = await _setup(proc.url, http, clients)
        await west.ok("submit", decision={"contribute": {"design": 20}, "absorb": {"manufacturing": 10}})
        await east.ok("submit", decision={"contribute": {"manufacturing": 20}, "develop": {"brand": 9}})
        await west.wait_for(lambda m: m["type"] == "view" and m["view"]["round"] == 1)
        await api.control(session, "pause")
        paused = (await api.summary(session))["status"]["clock"]
        before = await api.summary(session)
        proc.kill9()
        proc2 = await server_process()
        after = await Api(proc2.url, http).summary(session)
    assert after["firms"] == before["firms"] and after["alliances"] == before["alliances"]
    assert after["status"]["clock"] == paused and not paused["running"]


async def test_sigterm_shuts_down_cleanly(server_process, db_path, clients):
    proc = await server_process()
    async with aiohttp.ClientSession() as http:
        api, session, west, east = await _setup(proc.url, http, clients)
        ids = [f"t{i}" for i in range(20)]
        for i in ids:
            await west.send({"type": "draft", "id": i, "fields": {"develop": {"design": int(i[1:])}}})
        await west.reply(ids[0])
        code = await asyncio.get_running_loop().run_in_executor(None, proc.terminate)
        assert code == 0
        assert west.closed is None or west.closed[0] in (1001, 1006)
        closed = await west.wait_closed()
        assert closed == (1001, "server shutting down")
        acked = {m["id"] for m in west.messages if m["type"] == "ack"}
    db = sqlite3.connect(db_path)
    logged = {r[0] for r in db.execute("SELECT command_id FROM log WHERE kind='command'")}
    assert acked <= logged
    # a snapshot was written at shutdown, covering the whole log
    last = db.execute("SELECT max(seq) FROM log").fetchone()[0]
    assert db.execute("SELECT max(seq) FROM snapshots").fetchone()[0] == last
