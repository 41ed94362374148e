"""A COMMIT whose answer was lost (the connection dropped while PostgreSQL restarted): the
PostgreSQL store's writer finds out after reconnecting whether the transaction went in
(server/store/postgres.py, `_outcome`), from the batch's own log rows: a row is the
batch's only if the seq holds the same type, actor and command id (the idempotency record),
since another owner may have logged that seq since. None: not committed, write it again;
else the items it did not write (refused by the fence), the rest acknowledged as written."""
from __future__ import annotations

import asyncio

from server.store.postgres import PostgresStore
from test_store_contract import row, session_row

S1 = "s_1111111111111111"


async def test_the_outcome_of_a_commit_is_read_back_from_the_log(pg_dsn):
    store = PostgresStore(pg_dsn, 15.0)
    store.open()
    try:
        created = [("session", session_row(S1, "AAAA", 10.0)), ("log", row(S1, 1, type_="session_created"))]
        said = [("log", row(S1, 2, kind="control", type_="control", command_id="say-2")),
                ("log", row(S1, 3, type_="announcement"))]
        await store.write(created)
        await store.write(said)

        def outcome(*items):
            return store._call(store._outcome([(ops, None) for ops in items]))

        assert await asyncio.to_thread(outcome, created, said) == []  # committed: nothing to write again
        later = [("log", row(S1, 4, kind="control", type_="control", command_id="say-4"))]
        assert await asyncio.to_thread(outcome, later) is None  # never committed: write it again
        # seq 2 holds another command (another owner logged it): not this batch's
        other = [("log", row(S1, 2, kind="control", type_="control", command_id="say-9"))]
        assert await asyncio.to_thread(outcome, other) is None
        # one transaction, one item written and one not: the fence refused the second
        assert await asyncio.to_thread(outcome, said, later) == [(later, None)]
        assert await asyncio.to_thread(outcome, [("snapshot", {"session_id": S1})]) is None  # upserts: again
    finally:
        await store.aclose()
