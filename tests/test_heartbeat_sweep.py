"""The heartbeat is one sweep over every socket (server/heartbeat.py), not aiohttp's timer per
socket and callback per frame read; half-open sockets are still found
(tests/test_reliability_network.py::test_heartbeat_finds_half_open_sockets), healthy ones
stay, and a client's own ping is answered."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import weakref

import aiohttp

from conftest import Api, Client
from test_reliability_network import _until, running


@contextlib.asynccontextmanager
async def forty_players(server):
    """40 players of one session, each logged in on a socket of its own (closed at the end)."""
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        s = await api.create(copies=10, rounds=3, negotiation=False)
        joined = [await api.join(s["code"], f"p{i}") for i in range(40)]
    clients = [await Client.login(server.url, j["player_token"], name=j["player_id"]) for j in joined]
    try:
        yield clients
    finally:
        await asyncio.gather(*(c.close() for c in clients))


def _heartbeat_timers(loop) -> int:
    """Timers on the loop that belong to a socket's heartbeat (aiohttp's or ours)."""
    names = ("_send_heartbeat", "_pong_not_received", "_sweep")
    return sum(1 for h in loop._scheduled if not h.cancelled() and getattr(h._callback, "__name__", "") in names)


async def test_one_heartbeat_timer_for_all_sockets_and_no_callback_per_frame(db_path):
    async with running(db_path, heartbeat=30.0, rate_per_second=1000, rate_burst=1000) as server:
        async with forty_players(server) as clients:
            loop = asyncio.get_running_loop()
            # 40 sockets: one timer for all of them (aiohttp kept one per socket: 40)
            assert _heartbeat_timers(loop) == 1
            # reading frames schedules nothing per frame: 40 sockets x 5 commands answered,
            # and the loop's ready queue never held a heartbeat reset (aiohttp: one per frame read)
            resets = 0
            call_soon = loop.call_soon

            def counting(cb, *args, **kw):
                nonlocal resets
                resets += getattr(cb, "__name__", "") == "_flush_heartbeat_reset"
                return call_soon(cb, *args, **kw)
            loop.call_soon = counting
            try:
                for k in range(5):
                    acks = await asyncio.gather(*(c.cmd("ping") for c in clients))
                    assert all(a["type"] == "ack" for a in acks)
            finally:
                del loop.call_soon
            assert resets == 0
        # every socket gone: no timer left behind
        await _until(lambda: not server.hub.heartbeat.conns)
        assert _heartbeat_timers(asyncio.get_running_loop()) == 0


async def test_a_clients_own_ping_is_answered_and_a_quiet_healthy_socket_stays(db_path):
    async with running(db_path, heartbeat=0.4) as server:
        async with aiohttp.ClientSession() as http:
            api = Api(server.url, http)
            s = await api.create(copies=1, rounds=3, negotiation=False)
            j = await api.join(s["code"], "quiet")
            c = await Client.login(server.url, j["player_token"], name="quiet")
            try:
                pong = await c.ws.ping(b"are you there")
                await asyncio.wait_for(pong, 5)  # the server's pong, with the same payload
                actor = server.hub.sessions[s["session_id"]]
                # silent for many heartbeat intervals but answering the server's pings: it stays
                await asyncio.sleep(2.0)
                assert j["player_id"] in actor.conns and c.closed is None
                assert (await c.cmd("ping"))["type"] == "ack"
            finally:
                await c.close()


async def test_a_closed_sockets_websocket_response_is_freed_without_a_full_collection(db_path):
    """aiohttp's heartbeat left each closed socket's WebSocket response in reference cycles
    (its timers' bound methods), reclaimed only by a full collection, which the server runs
    rarely (server/gctune.py); now it is freed when its handler ends."""
    async with running(db_path, heartbeat=30.0) as server:
        async with aiohttp.ClientSession() as http:
            api = Api(server.url, http)
            s = await api.create(copies=1, rounds=3, negotiation=False)
            j = await api.join(s["code"], "Ana")
            actor = server.hub.sessions[s["session_id"]]
            ws = await http.ws_connect(server.url.replace("http", "ws", 1) + "/ws")
            await ws.send_str(json.dumps({"type": "auth", "token": j["player_token"]}))
            await ws.receive()  # welcome
            await _until(lambda: j["player_id"] in actor.conns)
            (conn,) = actor.conns[j["player_id"]]
            ref = weakref.ref(conn.ws)
            del conn
            closed = server.hub.metrics.sockets_closed
            gc.disable()  # no collection of any generation from here: only reference counting frees
            try:
                await ws.close()
                await _until(lambda: server.hub.metrics.sockets_closed > closed)  # its handler ended
                await _until(lambda: ref() is None, timeout=5)
            finally:
                gc.enable()


async def test_a_sweep_goes_in_slices_and_the_loop_runs_other_work_between_them(db_path, monkeypatch):
    """The idle sockets of a class fall silent together, so one sweep pinged thousands of
    them in one callback (10-13 ms of the loop at 5,000 players). Now a sweep runs `SLICE`
    sockets per callback; what was queued meanwhile runs between the slices. Counted: the
    sockets swept when a callback queued after the sweep's start runs."""
    from server import heartbeat
    monkeypatch.setattr(heartbeat, "SLICE", 16, raising=False)
    async with running(db_path, heartbeat=30.0, rate_per_second=1000, rate_burst=1000) as server:
        async with forty_players(server) as clients:
            hb = server.hub.heartbeat
            await _until(lambda: len(hb.conns) == 40)
            conns = list(hb.conns)
            for c in conns:  # silent since the last sweep: this one counts them once each
                c.heard_at_sweep, c.silent = c.heard, 0
            loop = asyncio.get_running_loop()
            hb._sweep()  # (as its timer would call it) the first slice runs now
            marked = loop.create_future()
            loop.call_soon(lambda: marked.set_result(sum(c.silent for c in conns)))
            assert 16 <= await marked < 40  # 40: the whole sweep in one callback before
            await _until(lambda: sum(c.silent for c in conns) == 40)
            assert all(c.silent == 1 for c in conns)   # each socket once, none pinged yet
            assert all(a["type"] == "ack" for a in await asyncio.gather(*(c.cmd("ping") for c in clients)))
        await _until(lambda: not server.hub.heartbeat.conns)
