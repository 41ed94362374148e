"""Forwarding between server processes on one PostgreSQL database (issue 20; the design in
docs/operations.md, "Several processes on one database").

Any process accepts any socket and HTTP call. A process that does not own a session (its
lease is another's, server/store/pg_leases.py) hands what must run in the session to the
owner through the database:

- the forwarder inserts an `inbox` row (the session, the item as JSON) and NOTIFYs
  `alliance_inbox` with the session id; the owner takes its sessions' rows (marks them
  with its name), runs each through the session's actor as it would a local command (same
  principal, same command id: a repeated id gets its first reply), and in one transaction
  deletes the row and writes the reply to `inbox_replies` with a NOTIFY `alliance_reply`
  carrying the row id. An owner that dies between taking and answering leaves its rows
  marked: the next owner runs them again (their ids make that safe);
- the owner's writer NOTIFYs `alliance_log` with "<session id> <last seq>" in every
  transaction that logs rows for a session (delivered at COMMIT, so never before the rows
  are readable); a follower catches up with a query of the rows after the last seq it
  applied.

A notification carries no data, only "look": the forwarder also polls for its reply, the
owner sweeps its inbox and a follower catches up now and then, so a lost notification (a
dropped listening connection) only costs time. A forwarder that gets no reply within its
wait deletes its row: if nobody had taken it the item never ran (a clear, retryable
error); if it was taken, its outcome is unknown and the client retries with the same id
(answered once, never applied twice).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time

log = logging.getLogger("server.store")

DDL = """
CREATE TABLE IF NOT EXISTS inbox (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id text COLLATE "C" NOT NULL, item text NOT NULL, taken_by text COLLATE "C",
    created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS idx_inbox_session_id ON inbox (session_id, id);
CREATE TABLE IF NOT EXISTS inbox_replies (id bigint PRIMARY KEY, reply text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
"""
INBOX, REPLY, LOGGED = "alliance_inbox", "alliance_reply", "alliance_log"  # NOTIFY channels

# one statement each (every round trip counts: a forwarded command makes several): the
# NOTIFY goes out when the statement's own transaction commits, with the row readable
_PUT = f"WITH r AS (INSERT INTO inbox (session_id, item) VALUES ($1, $2) RETURNING id) " \
       f"SELECT id, pg_notify('{INBOX}', $1) FROM r"
# an owner takes the rows nobody took, and those a former owner took and never answered
# (it died: run again, its command id makes that safe), and its own that it is not running
# (their take's answer was lost when the database restarted); the answer deletes the row
_TAKE = """
UPDATE inbox SET taken_by = $2 WHERE id IN (SELECT id FROM inbox WHERE session_id = ANY($1::text[])
    AND (taken_by IS DISTINCT FROM $2 OR id <> ALL($3::bigint[])) ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 200)
RETURNING id, session_id, item
"""

_ANSWER = f"WITH d AS (DELETE FROM inbox WHERE id = $1), " \
          f"a AS (INSERT INTO inbox_replies (id, reply) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING) " \
          f"SELECT pg_notify('{REPLY}', $3)"
_FETCH_REPLY = "DELETE FROM inbox_replies WHERE id = $1 RETURNING reply"
_WITHDRAW = "DELETE FROM inbox WHERE id = $1 RETURNING taken_by"
# every row after the seq (its last seq is the log's), the data of the facts and chat only
_LOG_SINCE = ("SELECT seq, kind, type, CASE WHEN kind IN ('system', 'chat') THEN data END AS data FROM log "
              "WHERE session_id = $1 AND seq > $2 ORDER BY seq")
# the writer's NOTIFY, one per session its transaction logged for ("<session id> <last seq>")
NOTIFY_LOGGED = f"SELECT pg_notify('{LOGGED}', x) FROM unnest($1::text[]) AS x"
POLL = 0.25  # seconds between a forwarder's looks at its reply when no notification came


def connection_lost() -> tuple:
    """The errors of a database connection that dropped or cannot be made (asyncpg only
    when used: the sockets' code imports this module also on SQLite). A connection the
    server closes in the middle of an operation (`pg_ctl restart -m fast`: "terminating
    connection due to administrator command") may also surface as asyncpg's
    InternalClientError ("cannot switch to state ..."), the connection closed."""
    import asyncpg
    return (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
            asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CannotConnectNowError,
            asyncpg.exceptions.CrashShutdownError, asyncpg.exceptions.InternalClientError)


class Unanswered(Exception):
    """The owner did not answer in time. `ran`: False if the item certainly never ran
    (withdrawn from the inbox), None if it may have (taken but no reply)."""

    def __init__(self, ran: bool | None):
        self.ran = ran
        super().__init__("the session's owner did not answer in time")


class Forwarding:
    """The PostgreSQL store's side of forwarding (a mixin of server/store/postgres.py's
    PostgresStore: its loops, pool, `dsn` and `_call`). Coroutines named `_..._pg` run on
    the store's loop; the rest are called from the server's loop."""

    def listen(self, on_inbox, on_logged, on_relisten=None) -> None:
        """A connection that LISTENs: `on_inbox(session_id)` when an item is waiting for a
        session, `on_logged(session_id, seq)` when rows were committed for one. Both run on
        the server's loop. The connection is made again when it drops (the database
        restarted): then `on_relisten()` runs, since what was notified meanwhile is lost."""
        self._replies: dict[int, asyncio.Future] = {}
        self._spent: list[int] = []   # replies delivered by notification, rows not yet deleted
        self._listeners = (on_inbox, on_logged, on_relisten)
        asyncio.run_coroutine_threadsafe(self._listen_pg(), self._pg).result()

    async def _listen_pg(self) -> None:
        import asyncpg  # (this module is imported by the sockets' code also on SQLite: asyncpg only when used)
        self._listener = await asyncpg.connect(self.dsn, timeout=10)
        for channel in (INBOX, REPLY, LOGGED):
            await self._listener.add_listener(channel, self._heard)
        self._listener.add_termination_listener(self._listener_lost)

    def _listener_lost(self, conn) -> None:
        """The listening connection dropped (on the store's loop): listen again, with backoff."""
        if conn is self._listener and not getattr(self, "_unlistening", False):
            self._relisten = asyncio.ensure_future(self._relisten_pg())

    async def _relisten_pg(self) -> None:
        delay = 0.1
        while not getattr(self, "_unlistening", False):
            try:
                await self._listen_pg()
            except Exception as e:  # the database is not back yet
                log.debug("could not listen again yet (%r)", e)
                await asyncio.sleep(delay)  # backoff while the database comes back
                delay = min(2.0, delay * 2)
                continue
            log.warning("listening to PostgreSQL's notifications again")
            on_relisten = self._listeners[2]
            if on_relisten is not None:
                self._loop.call_soon_threadsafe(on_relisten)
            return

    def _heard(self, _conn, _pid, channel: str, payload: str) -> None:
        if channel == REPLY:  # "<row id>" or "<row id> <reply>"
            row_id, _, reply = payload.partition(" ")
            fut = self._replies.get(int(row_id))
            if fut is not None and not fut.done():
                fut.set_result(reply or None)
            return
        on_inbox, on_logged, _ = self._listeners
        if channel == INBOX:
            self._loop.call_soon_threadsafe(on_inbox, payload)
        else:
            sid, _, seq = payload.rpartition(" ")
            self._loop.call_soon_threadsafe(on_logged, sid, int(seq))

    async def _unlisten_pg(self) -> None:
        self._unlistening = True
        listener = getattr(self, "_listener", None)
        if listener is not None:
            listener.terminate()  # no goodbye needed: a LISTEN ends with its connection

    # -- the forwarder ---------------------------------------------------------------------

    async def forward(self, session_id: str, item: dict, wait: float) -> dict:
        """Hand `item` to the session's owner and return its reply (a dict); raises
        `Unanswered` after `wait` seconds without one."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(
            self._forward_pg(session_id, json.dumps(item), wait), self._pg))

    async def _forward_pg(self, session_id: str, item: str, wait: float) -> dict:
        end = time.monotonic() + wait
        row_id = await self._put_pg(session_id, item, end)
        # (an answer heard before this line, which takes the owner a whole round of its own,
        # would only cost a poll: the reply row is read then)
        heard = self._replies[row_id] = asyncio.get_running_loop().create_future()
        try:
            while True:
                try:
                    said = await asyncio.wait_for(asyncio.shield(heard), min(POLL, max(0.0, end - time.monotonic())))
                    if said is not None:  # the reply came with the notification: its row goes later
                        self._spent.append(row_id)
                        return json.loads(said)
                except asyncio.TimeoutError:
                    pass
                try:
                    async with self._pool.acquire() as c:
                        reply = await c.fetchval(_FETCH_REPLY, row_id)
                        if reply is not None:
                            return json.loads(reply)
                        if time.monotonic() >= end:
                            gone = await c.fetchrow(_WITHDRAW, row_id)
                            if gone is None:  # answered meanwhile
                                reply = await c.fetchval(_FETCH_REPLY, row_id)
                                if reply is not None:
                                    return json.loads(reply)
                            raise Unanswered(False if gone is not None and gone["taken_by"] is None else None)
                except connection_lost() as e:  # the database restarting: look again until the end
                    if time.monotonic() >= end:
                        raise Unanswered(None) from e
        finally:
            self._replies.pop(row_id, None)

    async def _put_pg(self, session_id: str, item: str, end: float) -> int:
        """The item's inbox row (its id). While the database cannot be reached it is tried
        again until `end` (nothing was written: `Unanswered(False)`); a connection lost
        while the row was being written may have written it (`Unanswered(None)`)."""
        delay = 0.05
        while True:
            try:
                c = await self._pool.acquire()
            except connection_lost() as e:
                if time.monotonic() + delay >= end:
                    raise Unanswered(False) from e
                await asyncio.sleep(delay)  # backoff while the database comes back
                delay = min(1.0, delay * 2)
                continue
            try:
                return await c.fetchval(_PUT, session_id, item)
            except connection_lost() as e:  # (it may have been written before the connection dropped)
                raise Unanswered(None) from e
            finally:
                await self._pool.release(c)

    # -- the owner ---------------------------------------------------------------------------

    def take_inbox(self, session_ids: list[str], running: set[int] = frozenset()) -> asyncio.Future:
        """The waiting items of these sessions, taken (each once; `running`: the rows this
        process took and has not answered yet): [(row id, session id, item dict)] (a
        future of the server's loop)."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(
            self._take_pg(list(session_ids), list(running)), self._pg))

    async def _take_pg(self, session_ids: list[str], running: list[int]) -> list[tuple[int, str, dict]]:
        if not session_ids:
            return []
        async with self._pool.acquire() as c:
            rows = await c.fetch(_TAKE, session_ids, self.leases.owner, running)
            return [(r["id"], r["session_id"], json.loads(r["item"])) for r in rows]

    def answer(self, row_id: int, reply: dict) -> asyncio.Future:
        """The reply to inbox row `row_id`, for its forwarder."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._answer_pg(row_id, json.dumps(reply)),
                                                                    self._pg))

    async def _answer_pg(self, row_id: int, reply: str) -> None:
        # the reply rides on the notification when it fits (NOTIFY payloads stop at 8000
        # bytes); its row stays for a forwarder that missed the notification
        said = f"{row_id} {reply}" if len(reply.encode()) < 7000 else str(row_id)
        async with self._pool.acquire() as c:
            await c.execute(_ANSWER, row_id, reply, said)

    async def _forget_spent_pg(self) -> None:
        """The replies already delivered by their notification: their rows are deleted in one
        statement now and then (by the sweep, server/forwarding.py)."""
        spent, self._spent = self._spent, []
        if spent:
            async with self._pool.acquire() as c:
                await c.execute("DELETE FROM inbox_replies WHERE id = ANY($1::bigint[])", spent)

    def forget_spent(self) -> asyncio.Future:
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._forget_spent_pg(), self._pg))

    # -- the follower ------------------------------------------------------------------------

    def facts_since(self, session_id: str, seq: int) -> asyncio.Future:
        """The facts (and chat) logged for a session after `seq`, in order, with the last
        seq of the log (a future of the server's loop)."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._since_pg(session_id, seq), self._pg))

    async def _since_pg(self, session_id: str, seq: int) -> tuple[list[dict], int]:
        async with self._pool.acquire() as c:
            rows = await c.fetch(_LOG_SINCE, session_id, seq)
        return [dict(r) for r in rows if r["data"] is not None], (rows[-1]["seq"] if rows else seq)

    def find_token(self, token_hash: str) -> asyncio.Future:
        """(session id, player id or None) of a live session's token, or None."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._token_pg(token_hash), self._pg))

    async def _token_pg(self, token_hash: str):
        async with self._pool.acquire() as c:
            r = await c.fetchrow("SELECT p.session_id, p.player_id FROM players p JOIN sessions s USING (session_id) "
                                 "WHERE p.token_hash = $1 AND s.status = 'live'", token_hash)
            if r is not None:
                return r["session_id"], r["player_id"]
            sid = await c.fetchval("SELECT session_id FROM sessions WHERE facilitator_token_hash = $1 "
                                   "AND status = 'live'", token_hash)
            return (sid, None) if sid else None

    def find_code(self, code: str) -> asyncio.Future:
        """The live session with this (normalised) join code, or None."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._code_pg(code), self._pg))

    async def _code_pg(self, code: str):
        async with self._pool.acquire() as c:
            return await c.fetchval("SELECT session_id FROM sessions WHERE code = $1 AND status = 'live' "
                                    "ORDER BY created_at DESC LIMIT 1", code)
