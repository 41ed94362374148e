"""A control sent over HTTP without an id, through a process that does not own the session,
is applied once even when its inbox row is run again (issue 20): an owner that dies after
running a forwarded item but before answering leaves the row to the next owner, which runs
the very same item again. The accepting process gives the control an id
(server/follower.py `forward_control`), so the second run answers with the first reply.

Two real `python run.py --db postgresql://...` processes: A owns the session, the
facilitator's HTTP control goes to B. A is paused (SIGSTOP, well within its lease) so the
inbox row can be read as any owner would take it; A goes on (SIGCONT) and answers. The same
item is then run again, as the next owner would run a row its dead predecessor had taken
(written into the inbox as a follower writes it): the announcement is in the log once."""
from __future__ import annotations

import asyncio
import json
import signal
import time

import asyncpg

from clients.python.http_api import create_session, http_request, summary
from pg_processes import two_processes
from test_store_leases import announcements
from test_store_postgres_follower_revoke import _forwarded

LEASE = "10"  # A is paused for far less: it keeps the session


async def _waiting_item(dsn: str, sid: str, timeout: float = 30) -> dict:
    """The item of the session's inbox row, once the forwarder has written it."""
    conn = await asyncpg.connect(dsn)
    try:
        end = time.monotonic() + timeout
        while (item := await conn.fetchval("SELECT item FROM inbox WHERE session_id = $1", sid)) is None:
            assert time.monotonic() < end, "the forwarded control never reached the inbox"
            await asyncio.sleep(0.05)  # polling for a condition, with a deadline
        return json.loads(item)
    finally:
        await conn.close()


async def test_a_forwarded_http_control_without_an_id_is_applied_once_when_run_again(pg_dsn):
    procs = await two_processes(pg_dsn, LEASE)
    a, b = procs
    try:
        s = await create_session(a.url, scenario="classic", copies=1, rounds=3, negotiation=False, seed=3)
        sid, fac = s["session_id"], s["facilitator_token"]
        await summary(b.url, sid, fac)  # B follows the session

        a.proc.send_signal(signal.SIGSTOP)
        try:
            sent = asyncio.create_task(http_request("POST", f"{b.url}/api/sessions/{sid}/control",
                                                    {"action": "inject", "text": "only once"}, fac))
            item = await _waiting_item(pg_dsn, sid)
        finally:
            a.proc.send_signal(signal.SIGCONT)
        ack = await asyncio.wait_for(sent, 60)
        assert ack["type"] == "ack" and ack["id"] is None, ack  # no id the client did not send
        assert item["op"] == "control" and item["body"]["id"], item  # but the forwarded item has one

        again = await _forwarded(pg_dsn, sid, item)  # the row run again by a next owner
        assert again["reply"]["type"] == "ack" and again["reply"].get("duplicate") is True, again
        assert await announcements(pg_dsn, sid) == ["only once"]
    finally:
        a.proc.send_signal(signal.SIGCONT)
        for p in procs:
            p.cleanup()
