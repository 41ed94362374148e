"""The database restarts under three server processes (issue 20, "Done when": `pg_ctl restart
-m immediate` under load: every process reconnects and catches up, nothing acknowledged is
lost).

Three `python run.py --db postgresql://...` processes, bots of three sessions playing through
all three (tests/pg_processes.py: two players in three forwarded to the owner), and the
throwaway cluster restarted with `pg_ctl restart -m immediate` (a crash of the database
server) while they play. Commands sent during the outage wait, or are refused with a
retryable error and sent again with the same id. Afterwards:

- every process is still running and has its notification listener back (a LISTEN session
  per process in pg_stat_activity): followers hear the owners' commits again;
- every player gets commands through again, through owner and followers alike;
- every process answers for every session the same (the followers caught up);
- every acknowledged command is in the log exactly once, each seq once, no gap, and every
  client's folded view equals a fresh full view."""
from __future__ import annotations

import asyncio
import time

import asyncpg

from pg_processes import Spread

LEASE = 6.0  # longer than the restart: the sessions stay with their owners (a move is tested elsewhere)
SEED = 20_2027


async def _listening(dsn: str) -> int:
    """How many database sessions LISTEN on the forwarding channels now."""
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %alliance_log%'")
    finally:
        await conn.close()


async def _until_listening(dsn: str, n: int, timeout: float) -> None:
    end = time.monotonic() + timeout
    while (got := await _listening(dsn)) < n:
        assert time.monotonic() < end, f"{got} of {n} processes listen for notifications again"
        await asyncio.sleep(0.1)  # polling a condition, with a deadline


async def test_three_processes_survive_a_database_restart_under_load(pg_cluster, pg_dsn):
    spread = Spread(pg_dsn, LEASE, SEED)
    try:
        await spread.start()
        await _until_listening(pg_dsn, 3, 30)
        await spread.until_acked(60)
        restarted = await asyncio.to_thread(pg_cluster.pg_ctl, "restart", "-m", "immediate", "-w", "-t", "60",
                                            "-l", str(pg_cluster.folder / "server.log"))
        assert restarted.returncode == 0, restarted.stderr
        await spread.every_player_again(60)
        await spread.until_acked(60)
        await _until_listening(pg_dsn, 3, 30)
        assert all(p.proc.poll() is None for p in spread.procs)  # still serving
        await spread.stop_playing()

        await spread.check_summaries(spread.urls)
        await spread.check_views()
    finally:
        await spread.close()
    assert await spread.check_log() > 100
    assert all(any("reconnected to PostgreSQL" in line for line in p.stderr) for p in spread.procs)
