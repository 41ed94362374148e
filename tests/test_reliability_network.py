"""Network faults against the real server (in this process, on loopback):

- a reconnect storm: all 100 sockets of a session drop at once, with acks in flight, and
  reconnect at once; everyone resumes with a correct view and no command is applied twice;
- a client that stops reading does not slow anyone else: its send queue is bounded and
  then it is disconnected with a reason (logged in the event log);
- half-open sockets (no answer to pings) are found by the heartbeat; healthy ones stay.
"""
from __future__ import annotations

import asyncio
import contextlib
import time

import aiohttp

from clients.python.client import GameClient, control, create_session, join_session, summary
from server.config import ServerConfig

from conftest import Api, Client, InProcessServer
from reliability_tools import RawSocket, log_rows


@contextlib.asynccontextmanager
async def running(db_path, **cfg):
    s = await InProcessServer(ServerConfig(host="127.0.0.1", port=0, db_path=str(db_path),
                                           synchronous="normal", **cfg)).start()
    try:
        yield s
    finally:
        await s.stop()


async def _until(pred, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(step)


async def test_reconnect_storm_100_sockets(db_path):
    async with running(db_path) as server:
        url = server.url
        s = await create_session(url, copies=25, rounds=5, negotiation=False, round_seconds=600)
        clients: list[GameClient] = []
        try:
            for i in range(100):
                j = await join_session(url, s["code"], f"storm{i}")
                c = GameClient(url, j["player_token"], binary=i % 2 == 0, id_prefix=f"st{i}", name=f"st{i}",
                               min_backoff=0.02, max_backoff=0.5, max_attempts=100)
                c.joined = j
                clients.append(c)
            await asyncio.gather(*(c.connect() for c in clients))
            await control(url, s["session_id"], s["facilitator_token"], "start")
            await asyncio.gather(*(c.wait_view(lambda v: v["phase"] == "execution") for c in clients))
            actor = server.hub.sessions[s["session_id"]]
            # every player drafts once (acked)
            await asyncio.gather(*(c.draft({"develop": {"design": i % 7}}) for i, c in enumerate(clients)))
            # then, with every socket frozen (acks will be lost in flight), every player sends
            # one more command; once the server has logged them all, every socket drops at once
            for c in clients:
                c.freeze()
            before = server.hub.store.rows_written
            inflight = [asyncio.create_task(c.command("chat", id=f"{c._prefix}-storm", to="firm", text=f"storm {i}"))
                        for i, c in enumerate(clients)]
            await _until(lambda: server.hub.store.rows_written >= before + 200)  # command + chat row each
            await asyncio.gather(*(c.drop() for c in clients))
            results = await asyncio.wait_for(asyncio.gather(*inflight), 30)
            assert all(r == {"channel": f"firm:{c.firm}"} for r, c in zip(results, clients))
            await _until(lambda: sum(len(v) for k, v in actor.conns.items()) == 100)
            # every client came back once, and got its lost ack as a duplicate (applied once)
            assert all(c.stats.reconnects == 1 for c in clients), [c.stats.reconnects for c in clients]
            assert sum(c.stats.duplicates for c in clients) == 100
            assert server.hub.metrics.connections == 100
            # everyone resumed with a correct view of their firm
            facil = await summary(url, s["session_id"], s["facilitator_token"])
            for c in clients:
                assert c.view["me"]["player_id"] == c.joined["player_id"]
                assert c.view["firm"]["id"] == c.joined["firm"]
                assert c.view["draft"] == facil["drafts"][c.joined["firm"]]
                mine = [m["text"] for m in c.view["chat"][f"firm:{c.joined['firm']}"]]
                assert sum(1 for t in mine if t.startswith("storm")) == 2  # both players of the firm, once each
            rows = log_rows(db_path, "kind = 'command' AND type = 'chat'")
            assert len(rows) == 100 and len({(r["actor"], r["command_id"]) for r in rows}) == 100
            # and they continue
            await asyncio.gather(*(c.ping() for c in clients))
        finally:
            await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


async def test_a_client_that_stops_reading_is_disconnected_and_slows_nobody(db_path):
    async with running(db_path, outbox_limit=30, outbox_bytes=1_000_000, max_frame_bytes=400_000) as server:
        async with aiohttp.ClientSession() as http:
            api = Api(server.url, http)
            s = await api.create(copies=1, rounds=3, negotiation=False)
            frozen_j = await api.join(s["code"], "frozen")
            fast_j = await api.join(s["code"], "fast")
            frozen = await asyncio.to_thread(RawSocket, server.port)
            fast = await Client.login(server.url, fast_j["player_token"], name="fast")
            try:
                await asyncio.to_thread(frozen.login, frozen_j["player_token"])  # ...and never reads again
                actor = server.hub.sessions[s["session_id"]]
                blob = "x" * 150_000
                t0 = time.monotonic()
                n = 60
                for i in range(n):  # ~9 MB of announcements to everyone
                    await api.control(s, "inject", text=f"news {i}", event={"blob": blob})
                got = [await fast.wait_for(lambda m, i=i: m["type"] == "announcement" and m["text"] == f"news {i}")
                       for i in range(n)]
                fast_time = time.monotonic() - t0
                assert len(got) == n
                # the reader kept up the whole time: no seq gap, nothing dropped for it
                seqs = [m["seq"] for m in fast.messages]
                assert seqs == list(range(1, len(seqs) + 1))
                assert (await fast.cmd("ping"))["type"] == "ack"
                # the frozen one was cut off: no socket of it is left in the session
                frozen_pid = frozen_j["player_id"]
                await _until(lambda: frozen_pid not in actor.conns, timeout=10)
                # the `disconnected` row is in the next group commit: wait for it, not for a guess
                await _until(lambda: log_rows(db_path, "type = 'disconnected' AND actor = ?", (frozen_pid,)), timeout=10)
                rows = log_rows(db_path, "type = 'disconnected' AND actor = ?", (frozen_pid,))
                assert rows and '"reason":"slow_consumer"' in rows[-1]["data"]
                assert await asyncio.to_thread(frozen.is_closed_by_peer, 5.0)
                # and it can come back like anyone (a full view)
                back = await Client.login(server.url, frozen_j["player_token"], name="back")
                await back.close()
                print(f"fast reader got {n} x 150 kB pushes in {fast_time:.2f} s")
            finally:
                frozen.close()
                await fast.close()


async def test_heartbeat_finds_half_open_sockets(db_path):
    async with running(db_path, heartbeat=0.4) as server:
        async with aiohttp.ClientSession() as http:
            api = Api(server.url, http)
            s = await api.create(copies=1, rounds=3, negotiation=False)
            mute_j = await api.join(s["code"], "mute")      # reads, never answers a ping
            frozen_j = await api.join(s["code"], "frozen")  # reads nothing at all
            ok_j = await api.join(s["code"], "healthy")     # a normal client: answers pings
            mute = await asyncio.to_thread(RawSocket, server.port)
            frozen = await asyncio.to_thread(RawSocket, server.port)
            healthy = await Client.login(server.url, ok_j["player_token"], name="healthy")
            try:
                await asyncio.to_thread(mute.login, mute_j["player_token"])
                await asyncio.to_thread(frozen.login, frozen_j["player_token"])
                actor = server.hub.sessions[s["session_id"]]
                t0 = time.monotonic()
                await _until(lambda: mute_j["player_id"] not in actor.conns
                             and frozen_j["player_id"] not in actor.conns, timeout=5)
                found = time.monotonic() - t0
                assert found < 3.0
                for j in (mute_j, frozen_j):  # the `disconnected` rows are in the next group commit
                    await _until(lambda j=j: log_rows(db_path, "type = 'disconnected' AND actor = ?",
                                                      (j["player_id"],)), timeout=10)
                    rows = log_rows(db_path, "type = 'disconnected' AND actor = ?", (j["player_id"],))
                    assert rows and '"reason":"heartbeat_timeout"' in rows[-1]["data"], rows
                # several heartbeats later the healthy client is still there and served
                await asyncio.sleep(1.5)
                assert ok_j["player_id"] in actor.conns and healthy.closed is None
                assert (await healthy.cmd("ping"))["type"] == "ack"
            finally:
                mute.close()
                frozen.close()
                await healthy.close()


async def test_old_command_ids_are_answered_from_the_log_and_memory_stays_bounded(db_path):
    """Only the last `replies_keep` acks per player stay in memory; an older id re-sent
    is answered from the event log with its original result, and applied once."""
    async with running(db_path, replies_keep=5, rate_per_second=1000, rate_burst=1000) as server:
        async with aiohttp.ClientSession() as http:
            api = Api(server.url, http)
            s = await api.create(copies=1, rounds=3, negotiation=False)
            j = await api.join(s["code"], "many")
            c = await Client.login(server.url, j["player_token"], name="many")
            try:
                await api.control(s, "start")
                first = await c.cmd("draft", id="old-1", fields={"develop": {"design": 7}})
                for i in range(40):
                    assert (await c.cmd("chat", id=f"n{i}", to="firm", text=f"{i}"))["type"] == "ack"
                actor = server.hub.sessions[s["session_id"]]
                assert len(actor.replies) <= 6  # the player's 5 + the facilitator's control
                again = await c.cmd("draft", id="old-1", fields={"develop": {"design": 1}})
                assert again["type"] == "ack" and again["duplicate"] and again["result"] == first["result"]
                recent = await c.cmd("chat", id="n39", to="firm", text="39")
                assert recent["duplicate"]
                fresh = await c.cmd("chat", id="brand-new", to="firm", text="new")
                assert fresh["type"] == "ack" and not fresh.get("duplicate")
            finally:
                await c.close()
        rows = log_rows(db_path, "kind = 'command' AND actor = ?", (j["player_id"],))
        ids = [r["command_id"] for r in rows]
        assert len(ids) == len(set(ids)) == 42
