"""The Python client (clients/python/client.py) against the real server on loopback:
commands and their acks or errors, the view kept current by deltas, a reconnect that
re-sends unacknowledged commands which are then applied exactly once, a seq gap healed
by a resync, and the ways a connection ends for good. Waits on messages, never on time."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest

from aiohttp import web

from clients.python.client import CommandError, ConnectionLost, GameClient, create_session, join_session
from clients.python.live_bots import default_terms
from server.http.app import HUB, make_app
from server.config import ServerConfig

from conftest import InProcessServer


async def _player(server, code: str, name: str, made: list, **kw) -> GameClient:
    j = await join_session(server.url, code, name)
    c = GameClient(server.url, j["player_token"], name=name, **kw)
    await c.connect()
    made.append(c)
    c.joined = j
    return c


async def _facilitator(server, session: dict, made: list) -> GameClient:
    c = GameClient(server.url, session["facilitator_token"], name="fac")
    await c.connect()
    made.append(c)
    return c


def _db(server) -> sqlite3.Connection:
    return sqlite3.connect(server.config.db_path)


async def test_commands_acks_errors_and_deltas(server, api, made):
    session = await api.create(copies=1, rounds=2, negotiation=True)
    a = await _player(server, session["code"], "Ann", made)             # west1 (msgpack)
    b = await _player(server, session["code"], "Bao", made, binary=False)  # east1 (JSON)
    a2 = await _player(server, session["code"], "Ari", made)            # west1 too: Ann's teammate
    assert a.welcome["role"] == "player" and a.firm == "west1" and b.firm == "east1" and a2.firm == "west1"
    assert (await a.ping())["server_time"] > 0

    fac = await _facilitator(server, session, made)
    await fac.control("start")
    await a.wait_view(lambda v: v["phase"] == "negotiation")

    # deltas: a teammate's draft, chat, the partner's offer, the facilitator's announcement
    r = await a.draft({"contribute": {"design": 12}, "develop": {"brand": 5}})
    assert r["draft"] == {"contribute": {"design": 12}, "develop": {"brand": 5}}
    await a2.wait_view(lambda v: v["draft"] == r["draft"])
    await a.chat("alliance", "hello east")
    await b.wait_view(lambda v: [m["text"] for m in v["chat"]["alliance:a1"]] == ["hello east"])
    offer = default_terms("classic", "a1", 2)
    await a.negotiate("offer", offer, "a1")
    await b.wait_view(lambda v: v["negotiations"][0]["standing"] is not None)
    await fac.control("inject", text="news")
    await a2.wait_view(lambda v: v["announcements"] and v["announcements"][-1]["text"] == "news")

    # the delta-built view agrees with a fresh full view
    for c in (a, a2, b):
        before = {k: c.view[k] for k in ("draft", "chat", "negotiations", "announcements", "phase")}
        fresh = await c.resync()
        assert {k: fresh[k] for k in before} == before

    # a refusal raises with the stable code and changes nothing
    with pytest.raises(CommandError) as e:
        await b.negotiate("accept", negotiation="a2")
    assert e.value.code == "unknown_negotiation"
    with pytest.raises(CommandError) as e:
        await a.negotiate("accept", negotiation="a1")  # its own offer
    assert e.value.code == "not_your_turn"
    await b.negotiate("accept", negotiation="a1")
    v = await a.wait_view(lambda v: v["phase"] == "execution")
    with pytest.raises(CommandError) as e:
        await a.submit({"develop": {"design": 1000}}, round=v["current_round"])
    assert e.value.code == "over_budget"
    with pytest.raises(CommandError) as e:
        await a.submit({}, round=7)
    assert e.value.code == "stale_round"
    res = await a2.submit(round=1)  # the shared draft becomes the decision
    assert res["round"] == 1
    await a.wait_view(lambda v: v["submitted"] and v["submitted"]["by"] == a2.player_id)
    await b.submit({"contribute": {"manufacturing": 15}}, round=1)
    await a.wait(lambda c: 1 in c.round_results and c.view["current_round"] == 2)
    assert any(e["type"] == "firm_result" for e in a.round_results[1]["events"])
    assert a.stats.acked >= 4 and a.stats.errors == 3 and a.stats.reconnects == 0


@pytest.mark.parametrize("binary", [True, False], ids=["msgpack", "json"])
async def test_reconnect_resends_unacknowledged_commands_applied_exactly_once(server, api, made, binary):
    session = await api.create(copies=1, rounds=3, negotiation=False)
    west = await _player(server, session["code"], "west", made, binary=binary)
    await _player(server, session["code"], "east", made)
    fac = await _facilitator(server, session, made)
    await fac.control("start")
    await west.wait_view(lambda v: v["phase"] == "execution")
    await west.chat("firm", "line 0")

    # 1. commands the server applies while their acks are stuck: the client stops reading
    west.freeze()
    stuck = [asyncio.create_task(west.chat("firm", f"line {i}")) for i in (1, 2, 3)]
    stuck.append(asyncio.create_task(west.draft({"develop": {"design": 7}})))
    stuck.append(asyncio.create_task(west.submit({"contribute": {"design": 15}}, round=1)))
    # the facilitator's pushes go out after the same commit as the acks: all applied
    await fac.wait(lambda c: "west1" in c.view["status"]["submitted"]
                   and len(c.view["chat"].get("firm:west1", [])) == 4)
    # 2. two more written to the frozen socket (they may or may not get there)
    maybe = [asyncio.create_task(west.chat("firm", f"line {i}")) for i in (4, 5)]
    await fac.ping()  # a round trip: the tasks above get to run meanwhile
    # 3. the network fails; two more are issued at once (written after the reconnect)
    await west.drop()
    down = [asyncio.create_task(west.chat("firm", f"line {i}")) for i in (6, 7)]

    results = await asyncio.gather(*stuck, *maybe, *down)
    assert west.stats.reconnects == 1
    assert west.stats.resent >= 5 and west.stats.duplicates >= 5  # 1. were applied before the drop
    assert results[4] == {"round": 1, "decision": results[4]["decision"]}  # the original result

    db = _db(server)
    texts = [t for (t,) in db.execute("SELECT json_extract(data, '$.text') FROM log WHERE kind='chat'")]
    assert sorted(texts) == [f"line {i}" for i in range(8)]  # each exactly once
    assert db.execute("SELECT count(*) FROM log WHERE type='decision_submitted'").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM log WHERE type='draft_changed'").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM log WHERE kind='command' AND command_id IS NOT NULL "
                      "GROUP BY actor, command_id HAVING count(*) > 1").fetchall() == []
    # the client is live again on its new socket, same token, same firm
    view = await west.resync()
    assert view["me"]["player_id"] == west.player_id and view["submitted"]["by"] == west.player_id
    assert [m["text"] for m in view["chat"]["firm:west1"]] == [f"line {i}" for i in range(8)]


async def test_a_socket_that_does_not_keep_up_comes_back_whole(start_server, made, db_path):
    # a tiny send queue: the messages of one round close overflow it and the server
    # disconnects the socket (older servers dropped pushes instead: a seq gap, then a
    # resync; the client handles both)
    server = await start_server(outbox_limit=3)
    session = await create_session(server.url, copies=1, rounds=2, negotiation=False)
    west = await _player(server, session["code"], "west", made)
    east = await _player(server, session["code"], "east", made)
    await control_start(server, session)
    await west.wait_view(lambda v: v["phase"] == "execution")
    await east.submit({"contribute": {"manufacturing": 15}}, round=1)
    # west's submit closes the round: submitted, round_result, clock, view and ack at once
    res = await west.submit({"contribute": {"design": 15}}, round=1)
    assert res["round"] == 1  # the answer came, on the new socket if not on the old one
    view = await west.wait_view(lambda v: v["current_round"] == 2 and v["round"] == 1)
    assert west.stats.reconnects + west.stats.gaps >= 1
    assert view["history"] and view["submitted"] is None
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT count(*) FROM log WHERE type='decision_submitted' AND firm='west1'").fetchone()[0] == 1


async def control_start(server, session: dict) -> None:
    from clients.python.client import control
    await control(server.url, session["session_id"], session["facilitator_token"], "start")


async def test_connections_that_end_for_good(server, api, made):
    with pytest.raises(CommandError) as e:
        await GameClient(server.url, "not-a-token").connect()
    assert e.value.code == "bad_token"

    session = await api.create(copies=1, rounds=2, negotiation=False)
    west = await _player(server, session["code"], "west", made)
    await api.control(session, "end_session")
    await west.wait(lambda c: c.ended is not None and not c.connected)
    assert west.gone
    with pytest.raises(CommandError) as e:
        await west.chat("firm", "anyone?")
    assert e.value.code == "session_ended"
    with pytest.raises(ConnectionLost):
        await west.wait_view(lambda v: v["phase"] == "execution", timeout=5)
    with pytest.raises(CommandError) as e:  # the token has expired with the session
        await GameClient(server.url, west.token).connect()
    assert e.value.code == "token_expired"


class PortServer(InProcessServer):
    """The real application on a given loopback port (to come back on the same one)."""

    async def start(self) -> "PortServer":
        app = make_app(self.config)
        self.runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.config.port)
        await site.start()
        self.port = self.config.port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.hub = app[HUB]
        return self


async def test_a_server_restart_is_survived_with_the_same_token(made, db_path):
    def config(port: int) -> ServerConfig:
        return ServerConfig(host="127.0.0.1", port=port, db_path=str(db_path), synchronous="normal")

    first = await PortServer(config(0)).start()
    second = None
    try:
        session = await create_session(first.url, copies=1, rounds=2, negotiation=False)
        west = await _player(first, session["code"], "west", made, max_backoff=0.2)
        await control_start(first, session)
        await west.wait_view(lambda v: v["phase"] == "execution")
        await west.draft({"develop": {"design": 3}})
        await first.stop()  # clean shutdown: sockets closed with 1001, the client keeps trying
        await west.wait(lambda c: not c.connected)
        pending = asyncio.create_task(west.chat("firm", "are you back?"))
        second = await PortServer(config(first.port)).start()
        assert await pending == {"channel": "firm:west1"}
        assert west.stats.reconnects == 1 and west.view["draft"] == {"develop": {"design": 3}}
    finally:
        for c in made:  # before the server stops, or they would keep coming back
            await c.close()
        await first.stop()
        if second is not None:
            await second.stop()
