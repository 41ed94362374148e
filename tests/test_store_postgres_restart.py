"""The database restarts under a running server (issue 20, "Done when": `pg_ctl restart -m
immediate` under load: the process reconnects and catches up, nothing acknowledged is lost).

A real `python run.py --db postgresql://...` serves a session; a facilitator keeps sending
announcements, each with its own id, while the throwaway cluster is restarted with
`pg_ctl restart -m immediate` (a crash of the database server). Commands sent during the
outage wait (or time out unacknowledged: the client re-sends them with the same id). The
server never stops writing: after the restart every command is acknowledged, and the log
holds every acknowledged announcement exactly once, in order, with no gap in the seqs."""
from __future__ import annotations

import asyncio


from clients.python.client import GameClient, create_session
from conftest import ServerProcess
from test_store_leases import announcements

N = 40


async def _say(fac: GameClient, i: int) -> dict:
    """Send announcement i until it is acknowledged (the same id each time: applied once)."""
    for _ in range(20):
        try:
            return await fac.command("control", id=f"say-{i}", action="inject", text=f"line {i}", timeout=10)
        except asyncio.TimeoutError:
            continue
    raise AssertionError(f"announcement {i} was never acknowledged")


async def test_a_database_restart_loses_nothing_acknowledged(pg_cluster, pg_dsn):
    server = ServerProcess(pg_dsn)  # type: ignore[arg-type]
    try:
        await server.ready()
        s = await create_session(server.url, scenario="classic", copies=1, rounds=2, negotiation=False, seed=2)
        fac = GameClient(server.url, s["facilitator_token"], name="fac")
        await fac.connect()
        acked = []
        restart = None
        for i in range(N):
            if i == N // 4:  # the database crashes and comes back while commands keep coming
                restart = asyncio.create_task(asyncio.to_thread(
                    pg_cluster.pg_ctl, "restart", "-m", "immediate", "-w", "-t", "60",
                    "-l", str(pg_cluster.folder / "server.log")))  # (its log must not hold our pipe)
            acked.append(await _say(fac, i))
        done = await restart
        assert done.returncode == 0, done.stderr
        assert len(acked) == N
        await fac.close()
        assert server.proc.poll() is None  # still serving

        said = await announcements(pg_dsn, s["session_id"])  # (each seq once, no gap)
        assert said == [f"line {i}" for i in range(N)]
        assert server.terminate() == 0
        assert "reconnected to PostgreSQL" in server.proc.stderr.read()  # the writer did lose its connection
    finally:
        server.cleanup()
