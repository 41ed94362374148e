"""Two real server processes (`python run.py --db postgresql://... --lease-seconds 2`) on one
PostgreSQL (issue 20, "Done when": SIGSTOP of an owner past its lease then SIGCONT, its late
writes are refused).

Process A creates a session and serves it; process B starts on the same database and
leaves it alone (A renews its lease). A is frozen with SIGSTOP; once the lease has expired B
takes the session over, restored from the log, and the facilitator goes on on B. A is
thawed with SIGCONT and its facilitator socket, still open, sends one more command: it is
never acknowledged (refused, or the socket closes), and the log holds each sequence number
once, with nothing from A after the takeover."""
from __future__ import annotations

import asyncio
import signal
import time


from clients.python.client import CommandError, ConnectionLost, GameClient, create_session, summary
from conftest import ServerProcess
from test_store_leases import announcements

LEASE = "2"


async def _owned_by(url: str, s: dict, deadline_s: float = 30.0) -> dict:
    """Poll B until it serves the session (it takes it over after the lease expires)."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            return await summary(url, s["session_id"], s["facilitator_token"])
        except CommandError:
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.2)


async def test_a_frozen_owner_is_taken_over_and_its_late_writes_are_refused(pg_dsn):
    procs: list[ServerProcess] = []
    try:
        a = ServerProcess(pg_dsn, "--lease-seconds", LEASE)  # type: ignore[arg-type]
        procs.append(a)
        await a.ready()
        s = await create_session(a.url, scenario="classic", copies=1, rounds=3, negotiation=False, seed=3)
        on_a = GameClient(a.url, s["facilitator_token"], name="fac-a")
        await on_a.connect()
        await on_a.command("control", id="say-1", action="inject", text="served by A")

        b = ServerProcess(pg_dsn, "--lease-seconds", LEASE)  # type: ignore[arg-type]
        procs.append(b)
        await b.ready()
        try:
            await summary(b.url, s["session_id"], s["facilitator_token"])
            raise AssertionError("B serves a session A owns")
        except CommandError:
            pass

        a.proc.send_signal(signal.SIGSTOP)
        before = await _owned_by(b.url, s)
        assert before["phase"] == "lobby"
        on_b = GameClient(b.url, s["facilitator_token"], name="fac-b")
        await on_b.connect()
        # the command acknowledged by A is in B's memory: re-sent with its id, the same ack
        await on_b.command("control", id="say-1", action="inject", text="served by A")
        await on_b.command("control", id="say-2", action="inject", text="served by B")

        a.proc.send_signal(signal.SIGCONT)
        try:
            await asyncio.wait_for(on_a.command("control", id="say-3", action="inject", text="late from A"), 15)
            raise AssertionError("A acknowledged a write after B took over")
        except (CommandError, ConnectionLost):  # refused, or closed: "this session moved to another server process"
            pass
        await on_b.command("control", id="say-4", action="inject", text="still B")
        await on_a.close()
        await on_b.close()

        said = await announcements(pg_dsn, s["session_id"])  # (each seq once, no gap)
        assert said == ["served by A", "served by B", "still B"], said
    finally:
        for p in procs:
            if p.proc.poll() is None:
                p.proc.send_signal(signal.SIGCONT)
            p.cleanup()
