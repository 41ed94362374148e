"""Two real server processes (`python run.py --db postgresql://... --lease-seconds 2`) on one
PostgreSQL (issue 20, "Done when": SIGSTOP of an owner past its lease then SIGCONT, its late
writes are refused).

Process A creates a session and serves it; process B starts on the same database and
leaves it alone (A renews its lease). A is frozen with SIGSTOP; once the lease has expired B
takes the session over, restored from the log, and the facilitator goes on on B. A is
thawed with SIGCONT and its facilitator socket, still open, sends one more command: A never
writes it (its write is refused, or A closes the socket with 1012 first and the client,
reconnected to A, now a follower, has the owner apply it), the client carries on through A,
and the log holds each sequence number once."""
from __future__ import annotations

import asyncio
import signal
import time

import asyncpg


from clients.python.client import CommandError, GameClient, create_session, summary
from conftest import ServerProcess
from test_store_leases import announcements

LEASE = "2"


async def _owner(dsn: str, sid: str) -> str:
    """Whose lease the session's is: "A's" (the first process's pid is in its owner name) or "B's"."""
    conn = await asyncpg.connect(dsn)
    try:
        owner = await conn.fetchval("SELECT owner FROM leases WHERE session_id = $1", sid)
    finally:
        await conn.close()
    return "A's" if f":{_PIDS[0]}:" in owner else "B's"


_PIDS: list[int] = []


async def _owned_by(url: str, s: dict, pg_dsn: str, deadline_s: float = 30.0) -> dict:
    """Poll until B owns the session (it takes it over after the lease expires)."""
    end = time.monotonic() + deadline_s
    while await _owner(pg_dsn, s["session_id"]) != "B's":
        assert time.monotonic() < end, "B never took the session over"
        await asyncio.sleep(0.2)
    return await summary(url, s["session_id"], s["facilitator_token"])


async def test_a_frozen_owner_is_taken_over_and_its_late_writes_are_refused(pg_dsn):
    procs: list[ServerProcess] = []
    try:
        a = ServerProcess(pg_dsn, "--lease-seconds", LEASE)  # type: ignore[arg-type]
        procs.append(a)
        _PIDS[:] = [a.proc.pid]
        await a.ready()
        s = await create_session(a.url, scenario="classic", copies=1, rounds=3, negotiation=False, seed=3)
        on_a = GameClient(a.url, s["facilitator_token"], name="fac-a")
        await on_a.connect()
        await on_a.command("control", id="say-1", action="inject", text="served by A")

        b = ServerProcess(pg_dsn, "--lease-seconds", LEASE)  # type: ignore[arg-type]
        procs.append(b)
        await b.ready()
        # B answers for the session (forwarding, server/follower.py) from its replica of A's
        # log, without taking it: A renews its lease
        seen = await summary(b.url, s["session_id"], s["facilitator_token"])
        assert [a["text"] for a in seen["announcements"]] == ["served by A"], seen["announcements"]
        assert await _owner(pg_dsn, s["session_id"]) == "A's"

        a.proc.send_signal(signal.SIGSTOP)
        before = await _owned_by(b.url, s, pg_dsn)
        assert before["phase"] == "lobby"
        on_b = GameClient(b.url, s["facilitator_token"], name="fac-b")
        await on_b.connect()
        # the command acknowledged by A is in B's memory: re-sent with its id, the same ack
        await on_b.command("control", id="say-1", action="inject", text="served by A")
        await on_b.command("control", id="say-2", action="inject", text="served by B")

        a.proc.send_signal(signal.SIGCONT)
        # A's own write is refused (its lease is gone: fenced), or A has closed the socket
        # first (1012, "this session moved to another server process: reconnecting") and the
        # client, back on A as a follower's socket, has it applied once by B, the owner
        try:
            await asyncio.wait_for(on_a.command("control", id="say-3", action="inject", text="late from A"), 15)
            late = ["late from A"]
        except CommandError:
            late = []
        await on_b.command("control", id="say-4", action="inject", text="still B")
        # the facilitator on A's address carries on: its client reconnected (a 1000 close
        # would have ended it for good) and A forwards to the owner
        await asyncio.wait_for(on_a.command("control", id="say-5", action="inject", text="via A"), 15)
        assert on_a.stats.reconnects >= 1
        await on_a.close()
        await on_b.close()

        said = await announcements(pg_dsn, s["session_id"])  # (each seq once, no gap)
        assert said == ["served by A", "served by B", *late, "still B", "via A"], said
    finally:
        for p in procs:
            if p.proc.poll() is None:
                p.proc.send_signal(signal.SIGCONT)
            p.cleanup()
