"""PostgreSQL restarts the way a managed database does it (a maintenance restart, a
failover: `pg_ctl restart -m fast`, "terminating connection due to administrator
command"), and stays away for a while, under running server processes that nobody
restarts.

Real `python run.py --db postgresql://...` processes, bots of one session per process
playing through all of them (tests/pg_processes.py: commands refused with a retryable error
are sent again with the same id), the throwaway cluster restarted or stopped and started.

- A fast restart in the middle of a transaction surfaced in asyncpg as InternalClientError
  ("cannot switch to state 15; another operation is in progress"), which the store took for
  a failed write: it stopped writing for good (`storage_failed` until the server was
  restarted by hand). Now it reconnects, whatever asyncpg calls the dropped connection.
- While the database is away, a command that cannot be written is refused at once with
  `database_unavailable` (retryable; nothing applied), `/healthz` answers 503
  `database_unavailable` and `/metrics` says `alliance_database_unavailable 1`; within
  seconds after it is back every process serves again: commands acked, forwarded commands
  answered, notifications heard, and the same id re-sent gets the one result.
- An outage longer than the session leases moves no session: every process gets one lease
  time to renew its own before another takes any over.
- In the end every acknowledged command is in the log exactly once, each seq once with no
  gap, every process answers the same for every session, and every client's folded view
  equals a fresh one."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import asyncpg

from clients.python.client import CommandError, control
from pg_processes import Spread
from test_store_leases import announcements
from test_store_postgres_restart_three import _until_listening

LEASE = 4.0  # the long outage below lasts longer than this
SEED = 21_2026


async def _health(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.get(url + "/healthz") as r:
            return r.status, await r.json()


async def _metric(url: str, name: str) -> float:
    async with aiohttp.ClientSession() as http:
        async with http.get(url + "/metrics") as r:
            text = await r.text()
    return float(next(line.split()[1] for line in text.splitlines() if line.startswith(name + " ")))


async def _until_health(urls: list[str], status: str, timeout: float) -> None:
    """Wait until every process's /healthz says `status`."""
    end = time.monotonic() + timeout
    while True:
        said = [(await _health(u))[1]["status"] for u in urls]
        if all(s == status for s in said):
            return
        assert time.monotonic() < end, f"/healthz says {said}, not {status} everywhere"
        await asyncio.sleep(0.1)  # polling a condition, with a deadline


async def _owners(dsn: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)
    try:
        return {r["session_id"]: r["owner"] for r in await conn.fetch("SELECT session_id, owner FROM leases")}
    finally:
        await conn.close()


async def _finish(spread: Spread) -> None:
    assert all(p.proc.poll() is None for p in spread.procs)  # still serving, never restarted
    await spread.stop_playing()
    await spread.check_summaries(spread.urls)
    await spread.check_views()


def _never_stopped_writing(spread: Spread) -> None:
    for p in spread.procs:
        assert not any("could not be written" in line for line in p.stderr), "".join(p.stderr)[-2000:]


async def _through_fast_restarts(spread: Spread, pg_cluster, pg_dsn: str, acked: int, listening: int = 0) -> None:
    """Three fast restarts of PostgreSQL, each after `acked` more acknowledged commands (a
    restart meets a writer in or between transactions: several, to meet both); after each,
    every player gets a command through again within 15 s, through owners and followers
    alike (and `listening` processes listen for notifications again)."""
    for _ in range(3):
        await spread.until_acked(acked)
        await asyncio.to_thread(pg_cluster.restart, "fast")
        took = await spread.every_player_again(30)
        assert took < 15, (took, "".join(spread.procs[0].stderr)[-3000:])
        if listening:
            await _until_listening(pg_dsn, listening, 30)


async def test_one_process_keeps_serving_through_fast_restarts(pg_cluster, pg_dsn):
    spread = Spread(pg_dsn, 15.0, SEED, processes=1)
    try:
        await spread.start()
        await _through_fast_restarts(spread, pg_cluster, pg_dsn, acked=20)
        await spread.until_acked(20)
        assert (await _health(spread.urls[0]))[0] == 200
        await _finish(spread)
    finally:
        await spread.close()
    assert await spread.check_log() > 60
    _never_stopped_writing(spread)


async def test_three_processes_serve_again_after_a_fast_restart(pg_cluster, pg_dsn):
    spread = Spread(pg_dsn, 6.0, SEED + 1)
    try:
        await spread.start()
        await _until_listening(pg_dsn, 3, 30)
        await _through_fast_restarts(spread, pg_cluster, pg_dsn, acked=30, listening=3)
        await spread.until_acked(40)
        await _finish(spread)
    finally:
        await spread.close()
    assert await spread.check_log() > 80
    _never_stopped_writing(spread)


async def test_an_outage_longer_than_a_lease_is_refused_clearly_and_moves_nothing(pg_cluster, pg_dsn):
    spread = Spread(pg_dsn, LEASE, SEED + 2)
    try:
        await spread.start()
        await spread.until_acked(40)
        owners = await _owners(pg_dsn)
        s, owner = spread.sessions[0], spread.urls[0]  # process 0 owns session 0
        await asyncio.to_thread(pg_cluster.down, "fast")
        t0 = time.monotonic()
        # the players keep sending: every process finds the database gone and says so
        await _until_health(spread.urls, "database_unavailable", 30)
        assert [await _metric(u, "alliance_database_unavailable") for u in spread.urls] == [1.0] * 3
        try:
            await control(owner, s["session_id"], s["facilitator_token"], "inject", text="during", id="say-1")
            raise AssertionError("a command was acknowledged while the database was down")
        except CommandError as e:
            assert (e.code, e.status) == ("database_unavailable", 503), e
        while time.monotonic() < t0 + 2 * LEASE:  # longer than a lease (a condition on the clock, not a sync)
            await asyncio.sleep(0.2)
        await asyncio.to_thread(pg_cluster.up)
        await _until_health(spread.urls, "ok", 20)
        took = await spread.every_player_again(30)
        assert took < 15, took
        said = await control(owner, s["session_id"], s["facilitator_token"], "inject", text="during", id="say-1")
        again = await control(spread.urls[1], s["session_id"], s["facilitator_token"], "inject", text="during",
                              id="say-1")  # the same id through a follower: the one result
        assert again["result"] == said["result"]
        assert [await _metric(u, "alliance_database_unavailable") for u in spread.urls] == [0.0] * 3
        assert all([await _metric(u, "alliance_database_reconnects_total") >= 1 for u in spread.urls])
        await spread.until_acked(40)
        await _until_listening(pg_dsn, 3, 30)
        await _finish(spread)
        assert await _owners(pg_dsn) == owners  # nobody took a session over
        assert (await announcements(pg_dsn, s["session_id"])).count("during") == 1
    finally:
        await spread.close()
    assert await spread.check_log() > 80
    _never_stopped_writing(spread)
    assert not any("took it over" in line for p in spread.procs for line in p.stderr)
