"""Session leases and fencing on PostgreSQL (issue 20; server/store/pg_leases.py), with two
stores on one database of the throwaway cluster standing for two server processes.

Process A creates two sessions and so holds their leases. Process B, starting, restores
neither. A stops renewing (as a process paused by SIGSTOP does); once the leases expire, B
takes one over. A, waking up, writes for both sessions in one group commit: the write for
the session B owns now is refused (`LeaseLost`, never written, A's store does not stop),
the other commits. B's writes for its session go on; the log holds each seq once, by its
owner. A clean stop hands the leases back at once."""
from __future__ import annotations

import asyncio
import json
import time

import asyncpg
import pytest

from server.store.pg_leases import LeaseLost
from server.store.postgres import PostgresStore
from test_store_contract import row, session_row

S1, S2 = "s_1111111111111111", "s_2222222222222222"
TTL = 1.0


@pytest.fixture
async def stores(pg_dsn):
    made: list[PostgresStore] = []

    def open_(ttl: float = TTL) -> PostgresStore:
        s = PostgresStore(pg_dsn, ttl)
        s.open()
        made.append(s)
        return s
    yield open_
    for s in made:
        await s.aclose()


async def _expired(store: PostgresStore, deadline_s: float = 20.0) -> list[str]:
    """Poll (the lease expires by the database's clock) until `store` can claim something."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        got = await asyncio.to_thread(store.load_live_sessions)
        if got:
            return [ls.session["session_id"] for ls in got]
        await asyncio.sleep(0.1)
    raise AssertionError("no lease expired in time")


async def logged(pg_dsn: str, sid: str) -> list:
    """The log rows (seq, type, data) of session `sid`, in seq order, read straight from the database."""
    conn = await asyncpg.connect(pg_dsn)
    try:
        return await conn.fetch("SELECT seq, type, data FROM log WHERE session_id = $1 ORDER BY seq", sid)
    finally:
        await conn.close()


async def announcements(pg_dsn: str, sid: str) -> list[str]:
    """The texts announced in session `sid`, after checking each seq is there once, with no gap."""
    rows = await logged(pg_dsn, sid)
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    return [json.loads(r["data"])["text"] for r in rows if r["type"] == "announcement"]


async def test_a_paused_owner_cannot_write_after_a_takeover(stores, pg_dsn):
    a = stores()
    await a.write([("session", session_row(S1, "AAAA", 10.0)), ("log", row(S1, 1, type_="session_created"))])
    await a.write([("session", session_row(S2, "BBBB", 11.0)), ("log", row(S2, 1, type_="session_created"))])
    assert set(a.leases.epochs) == {S1, S2}

    b = stores()
    assert await asyncio.to_thread(b.load_live_sessions) == []  # A holds both: B restores neither

    # A stops renewing; B takes over both once they expire (in order of creation)
    taken = await _expired(b)
    assert S1 in taken
    # A comes back: it re-claims nothing of B's. It writes for S1 (now B's) and creates S3
    # in one group commit: the S1 write is refused, S3 commits, A's store keeps working
    s3 = "s_3333333333333333"
    late = a.write([("log", row(S1, 2, data={"by": "A"}))])
    fresh = a.write([("session", session_row(s3, "CCCC", 12.0)), ("log", row(s3, 1, type_="session_created"))])
    results = await asyncio.gather(late, fresh, return_exceptions=True)
    assert isinstance(results[0], LeaseLost) and S1 in results[0].session_ids, results
    assert results[1] is None, results
    assert a.failed is None and S1 not in a.leases.epochs
    await b.write([("log", row(S1, 2, data={"by": "B"}))])
    assert [(r["seq"], r["data"]) for r in await logged(pg_dsn, S1)] == [(1, json.dumps({"seq": 1})),
                                                                         (2, json.dumps({"by": "B"}))]
    assert [r["seq"] for r in await logged(pg_dsn, s3)] == [1]

    # a clean stop of B hands its leases back at once: A can claim them without waiting
    await b.aclose()
    assert S1 in [ls.session["session_id"] for ls in await asyncio.to_thread(a.load_live_sessions)]


async def test_an_owner_that_renews_keeps_its_sessions(stores):
    a = stores()
    await a.write([("session", session_row(S1, "AAAA", 10.0)), ("log", row(S1, 1, type_="session_created"))])
    b = stores()
    lost: list[set] = []
    claimed: list[list] = []
    a.watch(lost.append, claimed.append)   # renews every TTL / 3
    b.watch(lost.append, claimed.append)   # looks for expired leases every TTL / 3
    for seq in range(2, 8):  # several lease times pass while A renews
        await a.write([("log", row(S1, seq))])
        await asyncio.sleep(TTL / 2)  # the time passing is what is tested: leases expire by the clock
    assert lost == [] and claimed == []
    assert await asyncio.to_thread(b.load_live_sessions) == []
