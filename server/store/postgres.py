"""The event store on PostgreSQL (asyncpg), behind the same interface as SQLite's
(`EventStore` in server/store/records.py): `--db postgresql://user:password@host:port/db`.

The shape is SQLite's: the server's event loop never waits on the database for a write.
The store runs its own event loop in a thread ("event-log-postgres") with one writing
connection and a small pool for reads. `write(ops)` hands a batch to that loop and returns
a future of the server's loop that resolves after COMMIT; whatever arrives while a
transaction is being written goes into the next one together (group commit), so one round
trip and one WAL flush cover many commands, and the server acknowledges a command only
once its future resolved (ack after commit). The reads are the interface's plain calls:
they run on the store's loop and the caller waits for them, as SQLite's reads wait on the
file (the server calls the slow ones from an executor thread).

Durability is PostgreSQL's: with its default `synchronous_commit = on` a COMMIT returns
once the WAL is flushed, so an acknowledged command survives the server process and the
database server being killed. `--sync` is SQLite's knob and is ignored here. After a failed
write the store refuses every later one (`failed`), as the SQLite store does: the log is the
truth, and a restart restores every session from what was committed. A lost connection is
not a failed write (the database restarting, failing over, unreachable): the writer
reconnects for as long as it takes, finds out whether the COMMIT it had sent went through
(the batch's log rows, each with its command id), and writes the batch again if not; the
commands in it wait unacknowledged, and new ones are refused meanwhile (`unavailable`:
`database_unavailable`, retryable), so memory never holds a change the log may not get.

Several server processes may share one database: each live session has one owner at a
time, by lease, and every write is fenced by the lease's epoch (server/store/pg_leases.py).
A process restores only the sessions it could claim, renews its leases every third of
their time, takes over the sessions whose owner stopped renewing, and drops (never writes
for) a session whose lease it lost. Commands reach the owner only on the owner's own
sockets; any other process forwards to it through the database (server/store/pg_inbox.py)."""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
import time
from typing import Any

import asyncpg

from . import pg_schema
from .pg_inbox import DDL as INBOX_DDL, NOTIFY_LOGGED, Forwarding, connection_lost
from .pg_leases import DDL as LEASES_DDL, LeaseLost, Leases, LeaseWatch, new_sessions, sessions_of
from .pg_schema import redacted, row_values, upsert
from .reads import HISTORY_FACTS, StoreReadError
from .records import _LOG_COLUMNS, LiveSession, StoreError, _resolve_all, log_values

log = logging.getLogger("server.store")

_LOG_INSERT = (f"INSERT INTO log ({', '.join(_LOG_COLUMNS)}) "
               f"VALUES ({', '.join(f'${i + 1}' for i in range(len(_LOG_COLUMNS)))})")
_PLAYER_COLUMNS = ", ".join(pg_schema.COLUMNS["players"])
_REPLAY_KINDS = ["system"]  # as server/store/records.py: facts; commands are kept for their replies
WAIT = 60.0  # seconds a read may take before the caller gets an error
REMIND_SECONDS = 30.0  # how often the log says again that the database is still unreachable
# what a database restart or a dropped connection raises (a write is then retried, not failed)
_CONNECTION_LOST = tuple(e for e in connection_lost() if e is not asyncio.TimeoutError)
LEASE_SECONDS = 15.0  # a session's lease; a process that stopped is replaced after at most this


class PostgresStore(LeaseWatch, Forwarding):
    """PostgreSQL event store: a store-owned event loop thread, one writer, group commit."""

    def __init__(self, dsn: str, lease_seconds: float = LEASE_SECONDS):
        self.dsn = dsn
        self.leases = Leases(lease_seconds)
        self.location = dsn          # what an export opens (server/export.py)
        self.failed: BaseException | None = None
        self.unavailable: str | None = None  # why the database cannot be reached now (the writer reconnects)
        self.reconnects = 0  # the writer's connection made again (/metrics)
        self.commits = 0
        self.rows_written = 0
        self.max_batch = 0
        self._loop: asyncio.AbstractEventLoop | None = None      # the server's
        self._pg: asyncio.AbstractEventLoop | None = None        # the store's
        self._thread: threading.Thread | None = None
        self._q: asyncio.Queue | None = None
        self._writer_task: asyncio.Task | None = None
        self._conn: asyncpg.Connection | None = None
        self._pool: asyncpg.Pool | None = None
        self._watch_task: asyncio.Task | None = None

    def __repr__(self) -> str:
        return f"PostgresStore({redacted(self.dsn)})"

    # -- lifecycle -----------------------------------------------------------------------

    def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._pg = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._pg.run_forever, name="event-log-postgres", daemon=True)
        self._thread.start()
        try:
            self._call(self._open())
        except BaseException:
            self._stop_loop()
            raise

    async def _open(self) -> None:
        where = redacted(self.dsn)
        try:
            self._conn = await asyncpg.connect(self.dsn, timeout=10)
            async with self._conn.transaction():
                await self._conn.execute("SELECT pg_advisory_xact_lock($1)", pg_schema.SCHEMA_LOCK)
                await self._conn.execute(pg_schema.SCHEMA)
                await self._conn.execute(LEASES_DDL)
                await self._conn.execute(INBOX_DDL)
            self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=8, timeout=10)  # (forwarding reads too)
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            if self._conn is not None:
                await self._conn.close()
            raise StoreError(f"cannot open the event log on PostgreSQL {where}: {e}. Nothing was changed; "
                             f"check the --db address, the user's rights and that the server runs") from None
        self._q = asyncio.Queue()
        self._writer_task = asyncio.get_running_loop().create_task(self._writer())

    def close(self) -> None:
        """Flush everything queued and stop (blocks until done)."""
        if self._pg is None:
            return
        if self._q is not None:
            self._pg.call_soon_threadsafe(self._q.put_nowait, None)
            self._call(self._drain_and_close(), timeout=None)
        self._stop_loop()

    async def _drain_and_close(self) -> None:
        if self._watch_task is not None:
            self._watch_task.cancel()
            await asyncio.gather(self._watch_task, return_exceptions=True)
        await self._unlisten_pg()
        if self._writer_task is not None:
            await self._writer_task
        if self.failed is None:  # a clean stop hands the leases back: no one waits for them to expire
            try:
                await self.leases.release(self._conn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                log.warning("could not hand the session leases back (%r): they expire by themselves", e)
        if self._pool is not None:
            await self._pool.close()
        if self._conn is not None:
            await self._conn.close()

    def _stop_loop(self) -> None:
        self._pg.call_soon_threadsafe(self._pg.stop)
        self._thread.join()
        self._pg.close()
        self._pg = None

    async def aclose(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    def _call(self, coro, timeout: float | None = WAIT) -> Any:
        """Run `coro` on the store's loop and wait for its result (from any other thread)."""
        fut = asyncio.run_coroutine_threadsafe(coro, self._pg)
        try:
            return fut.result(timeout)
        except concurrent.futures.TimeoutError:
            fut.cancel()
            raise StoreReadError(f"PostgreSQL {redacted(self.dsn)} did not answer within {timeout} s") from None
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            raise StoreReadError(f"PostgreSQL {redacted(self.dsn)}: {e}") from e

    # -- writing ---------------------------------------------------------------------------

    def write(self, ops: list[tuple]) -> asyncio.Future:
        """Queue `ops` for the next transaction; the future resolves after COMMIT."""
        fut = self._loop.create_future()
        if self.failed is not None:
            fut.set_exception(self.failed)
        else:
            self._pg.call_soon_threadsafe(self._q.put_nowait, (ops, fut))
        return fut

    async def _writer(self) -> None:
        while True:
            first = await self._q.get()
            if first is None:
                return
            batch, stop = [first], False
            while not self._q.empty() and len(batch) < 10_000:  # group commit
                item = self._q.get_nowait()
                if item is None:
                    stop = True
                    break
                batch.append(item)
            exc, refused = await self._commit(batch)
            if refused:
                self._loop.call_soon_threadsafe(_resolve_all, [f for _, f in refused], LeaseLost(refused_ids(refused)))
                self._lost(refused_ids(refused))
                gone = {f for _, f in refused}
                batch = [item for item in batch if item[1] not in gone]
            self._loop.call_soon_threadsafe(_resolve_all, [f for _, f in batch], exc)
            if stop:
                return

    async def _commit(self, batch) -> tuple[BaseException | None, list]:
        """Write `batch` in one transaction; returns the error (None) and the items refused
        because their session's lease is another process's now (not written). A lost
        connection (the database restarting, failing over, unreachable) is not an error:
        the writer reconnects with backoff for as long as it takes, resolves whether the
        COMMIT it had sent went through, and writes the batch again if it did not; the
        batch's commands wait, unacknowledged, and new ones are refused meanwhile
        (`unavailable`: nothing changes in memory that could not be logged)."""
        if self.failed is not None:
            return self.failed, []
        while True:
            try:
                return await self._transaction(batch)
            except BaseException as e:
                if not self._dropped(e):
                    return self._fail(e), []  # the log is the truth: after a failed write, stop writing
                lost = e
            self.unavailable = f"{type(lost).__name__}: {lost}"
            log.warning("the connection to PostgreSQL %s was lost (%r): reconnecting; the commands being "
                        "written wait, new ones are refused with database_unavailable", redacted(self.dsn), lost)
            await self._reconnect()
            try:
                outcome = await self._outcome(batch)
            except BaseException as e:
                if not self._dropped(e):
                    return self._fail(e), []
                continue  # lost again at once: reconnect again
            self.unavailable = None
            if outcome is not None:  # its COMMIT went through before the connection dropped
                self.commits += 1
                return None, outcome

    def _dropped(self, e: BaseException) -> bool:
        """Whether `e` means the writing connection dropped (not a refused write). asyncpg
        reports a connection the server closed mid-operation (`pg_ctl restart -m fast`)
        also as InternalClientError or a bare InterfaceError: the connection is closed."""
        return isinstance(e, _CONNECTION_LOST) or (isinstance(e, Exception) and self._conn.is_closed())

    async def _outcome(self, batch) -> list | None:
        """After a COMMIT whose answer was lost: None if the transaction did not commit, else
        the items it did not write (refused by the fence: their session's lease was lost).
        One transaction writes all or nothing; an item is in the log if its first log row is
        there with its own type, actor and command id (the idempotency record: another
        owner may have logged that seq since). A batch with no log row is only upserts,
        safe to write again."""
        firsts = [next((op[1] for op in ops if op[0] == "log"), None) for ops, _ in batch]
        keyed = [r for r in firsts if r is not None]
        if not keyed:
            return None
        found = {(r["session_id"], r["seq"]): (r["type"], r["actor"], r["command_id"]) for r in await self._conn.fetch(
            "SELECT l.session_id, l.seq, l.type, l.actor, l.command_id FROM log l "
            "JOIN unnest($1::text[], $2::bigint[]) AS k(session_id, seq) USING (session_id, seq)",
            [r.session_id for r in keyed], [r.seq for r in keyed])}
        written = [r is not None and found.get((r.session_id, r.seq)) == (r.type, r.actor, r.command_id)
                   for r in firsts]
        if not any(written):
            return None
        held = set(self.leases.epochs)
        return [item for item, w, r in zip(batch, written, firsts)
                if not w and (r is not None or sessions_of(item[0]) - held)]

    async def _transaction(self, batch) -> tuple[None, list]:
        conn = self._conn
        n = 0
        last: dict[str, int] = {}  # session id -> the last seq this transaction logs
        async with conn.transaction():
            batch, refused = await self._fence(conn, batch)
            logs: list[tuple] = []
            for ops, _ in batch:
                for op in ops:
                    n += 1
                    if op[0] == "log":
                        logs.append(log_values(op[1]))
                        last[op[1].session_id] = op[1].seq
                        continue
                    if logs:
                        await conn.executemany(_LOG_INSERT, logs)
                        logs = []
                    await _apply_op(conn, op)
            if logs:
                await conn.executemany(_LOG_INSERT, logs)
            if last:  # followers in other processes catch up (delivered at COMMIT)
                await conn.execute(NOTIFY_LOGGED, [f"{sid} {seq}" for sid, seq in last.items()])
        self.commits += 1
        self.rows_written += n
        self.max_batch = max(self.max_batch, len(batch))
        return None, refused

    async def _reconnect(self) -> None:
        """A new writing connection, retried with backoff (at most 2 s apart) until the
        database answers again, however long that takes."""
        delay, since, said = 0.1, time.monotonic(), time.monotonic()
        while True:
            try:
                self._conn.terminate()
            except Exception:  # already gone
                pass
            try:
                self._conn = await asyncpg.connect(self.dsn, timeout=10)
                self.reconnects += 1
                log.warning("reconnected to PostgreSQL %s after %.1f s", redacted(self.dsn), time.monotonic() - since)
                return
            except _CONNECTION_LOST + (asyncio.TimeoutError,) as e:
                if time.monotonic() - said >= REMIND_SECONDS:  # the operator sees it is still down
                    said = time.monotonic()
                    log.error("PostgreSQL %s is still unreachable after %.0f s (%r): commands are refused with "
                              "database_unavailable until it answers", redacted(self.dsn), said - since, e)
                await asyncio.sleep(delay)  # backoff while the database comes back
                delay = min(2.0, delay * 2)

    def _fail(self, e: BaseException) -> BaseException:
        self.failed = e
        log.critical("the event log on PostgreSQL %s could not be written (%r): from now on every command "
                     "is refused with storage_failed. Fix the database, then restart the server: it "
                     "restores every session from what was committed", redacted(self.dsn), e)
        return e

    async def _fence(self, conn, batch) -> tuple[list, list]:
        """In the transaction: claim the sessions this batch creates, lock the leases of the
        others; (the items to write, the items of sessions this process no longer owns)."""
        touched = [sessions_of(ops) for ops, _ in batch]
        created = set().union(*(new_sessions(ops) for ops, _ in batch))
        for sid in created:
            if not await self.leases.claim(conn, sid):
                self.leases.epochs.pop(sid, None)
        lost = await self.leases.fence(conn, set().union(*touched) - created) | (created - set(self.leases.epochs))
        if not lost:
            return batch, []
        keep = [item for item, sids in zip(batch, touched) if not sids & lost]
        return keep, [item for item, sids in zip(batch, touched) if sids & lost]

    # -- what a restart reads ------------------------------------------------------------------

    def _fetch(self, sql: str, *args) -> list[dict]:
        async def go():
            async with self._pool.acquire() as c:
                return [dict(r) for r in await c.fetch(sql, *args)]
        return self._call(go())

    def load_live_sessions(self, chat_keep: int = 200) -> list[LiveSession]:
        """The live sessions this process could claim (another process may own the rest)."""
        return self._call(self._claim_and_load(chat_keep, held=True))

    def load_session(self, session_id: str, chat_keep: int = 200) -> LiveSession | None:
        """One session whatever its status (an archived session is restored read-only)."""
        got = self._call(self._load_sessions("session_id = $1", [session_id], chat_keep))
        return got[0] if got else None

    async def _load_sessions(self, where: str, args: list, chat_keep: int) -> list[LiveSession]:
        async with self._pool.acquire() as c:
            async with c.transaction(readonly=True, isolation="repeatable_read"):  # one consistent view
                return [await _load_session(c, dict(s), chat_keep)
                        for s in await c.fetch(f"SELECT * FROM sessions WHERE {where}", *args)]

    def last_activity(self, session_ids: list[str]) -> dict[str, tuple[int, float]]:
        """session id -> (seq, wall time) of its last logged record."""
        rows = self._fetch("SELECT DISTINCT ON (session_id) session_id, seq, wall_time FROM log "
                           "WHERE session_id = ANY($1::text[]) ORDER BY session_id, seq DESC", list(session_ids))
        return {r["session_id"]: (r["seq"], r["wall_time"]) for r in rows}

    def load_ended_tokens(self, status: str = "ended") -> list[tuple[str, str, str | None]]:
        rows = [(r["facilitator_token_hash"], r["session_id"], None) for r in self._fetch(
            "SELECT facilitator_token_hash, session_id FROM sessions WHERE status = $1", status)]
        rows += [(r["token_hash"], r["session_id"], r["player_id"]) for r in self._fetch(
            "SELECT p.token_hash, p.session_id, p.player_id FROM players p JOIN sessions s USING (session_id) "
            "WHERE s.status = $1 AND NOT EXISTS (SELECT 1 FROM log l WHERE l.session_id = p.session_id "
            "AND l.type = 'player_removed' AND (l.data::jsonb ->> 'player_id') = p.player_id) "
            "ORDER BY p.row_order", status)]
        return rows

    def load_codes(self, status: str) -> list[tuple[str, str]]:
        return [(r["code"], r["session_id"]) for r in self._fetch(
            "SELECT code, session_id FROM sessions WHERE status = $1", status)]

    def find_reply(self, session_id: str, actor: str, command_id: str) -> str | None:
        """The logged ack of a command no longer in the actor's memory (server/replies.py)."""
        rows = self._fetch("SELECT reply FROM log WHERE session_id = $1 AND actor = $2 AND command_id = $3 "
                           "AND reply IS NOT NULL LIMIT 1", session_id, actor, command_id)
        return rows[0]["reply"] if rows else None

    def find_session(self, session_id: str) -> dict | None:
        rows = self._fetch("SELECT * FROM sessions WHERE session_id = $1", session_id)
        return rows[0] if rows else None

    # -- reads for the rest of the server (server/store/reads.py on SQLite) --------------------

    def session_options(self) -> list[tuple[str, dict]]:
        return [(r["session_id"], json.loads(r["options"] or "{}"))
                for r in self._fetch("SELECT session_id, options FROM sessions")]

    def sessions_of_token(self, token_hash: str) -> tuple[list[str], bool]:
        rows = self._fetch("SELECT session_id FROM sessions WHERE researcher_token_hash = $1 "
                           "OR facilitator_token_hash = $1 ORDER BY created_at, session_id", token_hash)
        player = not rows and bool(self._fetch("SELECT 1 FROM players WHERE token_hash = $1", token_hash))
        return [r["session_id"] for r in rows], player

    def logged_completion(self, session_id: str, player_id: str) -> dict | None:
        rows = self._fetch("SELECT data FROM log WHERE session_id = $1 AND type = 'completion_given' "
                           "AND data::json ->> 'player_id' = $2 ORDER BY seq DESC LIMIT 1", session_id, player_id)
        return json.loads(rows[0]["data"]) if rows else None

    def round_history(self, session_id: str) -> list[tuple[str, str, dict]]:
        rows = self._fetch("SELECT kind, type, data FROM log WHERE session_id = $1 AND "
                           "(kind = 'event' OR type = ANY($2::text[])) ORDER BY seq", session_id, list(HISTORY_FACTS))
        return [(r["kind"], r["type"], json.loads(r["data"])) for r in rows]


def refused_ids(items) -> set[str]:
    return set().union(*(sessions_of(ops) for ops, _ in items))


async def _apply_op(conn: asyncpg.Connection, op: tuple) -> None:
    kind = op[0]
    if kind in ("session", "player", "snapshot"):
        table = {"session": "sessions", "player": "players", "snapshot": "snapshots"}[kind]
        cols, values = row_values(table, op[1])
        if kind == "player":  # SQLite's INSERT OR REPLACE drops the row whose token the seat takes
            # over (merge_players: the duplicate row); an upsert on the key alone would violate
            # the unique token index and stop every write
            await conn.execute("DELETE FROM players WHERE token_hash = $1 AND player_id <> $2",
                               op[1]["token_hash"], op[1]["player_id"])
        await conn.execute(upsert(table, cols, replace=kind != "session"), *values)
    elif kind == "session_status":
        await conn.execute("UPDATE sessions SET status = $1, ended_at = $2 WHERE session_id = $3",
                           op[2], None if op[3] is None else float(op[3]), op[1])
    else:
        raise ValueError(f"unknown store operation {kind!r}")


async def _load_session(c: asyncpg.Connection, s: dict, chat_keep: int) -> LiveSession:
    """What restoring one session needs: players, latest snapshot, facts after it, chat, replies."""
    sid = s["session_id"]
    players = [dict(r) for r in await c.fetch(
        f"SELECT {_PLAYER_COLUMNS} FROM players WHERE session_id = $1 ORDER BY joined_at, row_order", sid)]
    snap = await c.fetchrow("SELECT * FROM snapshots WHERE session_id = $1 ORDER BY seq DESC LIMIT 1", sid)
    after = snap["seq"] if snap else 0
    records = [dict(r) for r in await c.fetch(
        "SELECT * FROM log WHERE session_id = $1 AND seq > $2 AND kind = ANY($3::text[]) ORDER BY seq",
        sid, after, _REPLAY_KINDS)]
    chat = [dict(r) for r in await c.fetch(
        "SELECT data FROM (SELECT data, seq, row_number() OVER (PARTITION BY data::json ->> 'channel' "
        "ORDER BY seq DESC) AS n FROM log WHERE session_id = $1 AND kind = 'chat') AS recent "
        "WHERE n <= $2 ORDER BY seq", sid, chat_keep)]
    replies = [dict(r) for r in await c.fetch(
        "SELECT actor, command_id, reply FROM log WHERE session_id = $1 AND reply IS NOT NULL ORDER BY seq", sid)]
    last = await c.fetchrow("SELECT seq, wall_time FROM log WHERE session_id = $1 ORDER BY seq DESC LIMIT 1", sid)
    return LiveSession(s, players, dict(snap) if snap else None, records, chat, replies,
                       last["seq"] if last else 0, last["wall_time"] if last else None)
