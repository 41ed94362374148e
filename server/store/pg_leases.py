"""Who owns a live session when several server processes share one PostgreSQL database
(issue 20; the design in docs/operations.md, "Several processes on one database").

Each live session has one owner at a time: a row of `leases` (owner, epoch, expires_at).
A process claims a session only when its lease is free or expired, which gives the claim a
new epoch; the owner renews its leases well before they expire. Every transaction of the
owner's writer first reads, under a row lock (FOR SHARE), the lease of each session it
writes and compares it with the epoch it holds: a process that was paused past its lease
(SIGSTOP, a long GC, a network partition) finds a newer epoch and its writes for that
session are refused with `LeaseLost` (never acknowledged), while its other sessions go on.
A takeover updates the row, so it waits for a transaction that holds the lock, or that
transaction waits for the takeover and then sees the new epoch: no interleaving.

All statements run on the store's own event loop (server/store/postgres.py); the times are
the database's clock (`now()`), never a process's.
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time

import asyncpg

from .pg_inbox import connection_lost

log = logging.getLogger("server.store")

DDL = """
CREATE TABLE IF NOT EXISTS leases (session_id text COLLATE "C" PRIMARY KEY, owner text COLLATE "C" NOT NULL,
    epoch bigint NOT NULL, expires_at timestamptz NOT NULL);
"""

_CLAIM = """
INSERT INTO leases AS l (session_id, owner, epoch, expires_at)
VALUES ($1, $2, 1, now() + make_interval(secs => $3))
ON CONFLICT (session_id) DO UPDATE SET owner = EXCLUDED.owner, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at
WHERE l.expires_at < now()
RETURNING epoch
"""
_RENEW = """
UPDATE leases AS l SET expires_at = now() + make_interval(secs => $3)
FROM unnest($2::text[], $4::bigint[]) AS h(session_id, epoch)
WHERE l.session_id = h.session_id AND l.epoch = h.epoch AND l.owner = $1
RETURNING l.session_id
"""
_FENCE = "SELECT session_id, owner, epoch FROM leases WHERE session_id = ANY($1::text[]) FOR SHARE"
_CLAIMABLE = """
SELECT s.session_id FROM sessions s LEFT JOIN leases l USING (session_id)
WHERE s.status = 'live' AND (l.session_id IS NULL OR l.expires_at < now())
ORDER BY s.created_at, s.session_id
"""
_RELEASE = """
UPDATE leases AS l SET expires_at = now() - interval '1 second'
FROM unnest($2::text[], $3::bigint[]) AS h(session_id, epoch)
WHERE l.session_id = h.session_id AND l.epoch = h.epoch AND l.owner = $1
"""


class LeaseLost(Exception):
    """A write for a session whose lease another process holds now: refused, not written."""

    def __init__(self, session_ids):
        self.session_ids = set(session_ids)
        super().__init__(f"another server process owns session(s) {', '.join(sorted(self.session_ids))} now "
                         "(this one lost its lease): the write was refused")


class Leases:
    """The leases this process holds: session id -> epoch."""

    def __init__(self, ttl: float, owner: str | None = None):
        if not ttl > 0:
            raise ValueError("the lease time must be positive")
        self.ttl = float(ttl)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.epochs: dict[str, int] = {}

    async def claim(self, conn: asyncpg.Connection, session_id: str) -> bool:
        """Take the session if its lease is free or expired (a new epoch); False if another
        process holds it."""
        epoch = await conn.fetchval(_CLAIM, session_id, self.owner, self.ttl)
        if epoch is None:
            return False
        self.epochs[session_id] = epoch
        return True

    async def claimable(self, conn: asyncpg.Connection) -> list[str]:
        """Live sessions nobody holds (never claimed, or their owner stopped renewing)."""
        return [r["session_id"] for r in await conn.fetch(_CLAIMABLE)]

    async def renew(self, conn: asyncpg.Connection) -> set[str]:
        """Extend every lease held; the ones that could not be extended are lost (returned,
        and forgotten here)."""
        if not self.epochs:
            return set()
        ids = list(self.epochs)
        kept = {r["session_id"] for r in await conn.fetch(_RENEW, self.owner, ids, self.ttl,
                                                           [self.epochs[s] for s in ids])}
        lost = set(ids) - kept
        for s in lost:
            self.epochs.pop(s, None)
        return lost

    async def fence(self, conn: asyncpg.Connection, session_ids: set[str]) -> set[str]:
        """Inside the writer's transaction: the sessions of `session_ids` this process no
        longer owns (their rows stay locked until the transaction ends)."""
        if not session_ids:
            return set()
        held = {r["session_id"]: (r["owner"], r["epoch"]) for r in await conn.fetch(_FENCE, list(session_ids))}
        lost = {s for s in session_ids if s not in self.epochs or held.get(s) != (self.owner, self.epochs[s])}
        for s in lost:
            self.epochs.pop(s, None)
        return lost

    async def release(self, conn: asyncpg.Connection) -> None:
        """A clean shutdown hands every lease back at once (another process need not wait
        for the expiry)."""
        if self.epochs:
            ids = list(self.epochs)
            await conn.execute(_RELEASE, self.owner, ids, [self.epochs[s] for s in ids])
            self.epochs.clear()


class LeaseWatch:
    """The PostgreSQL store's side of the leases that runs by itself (a mixin of
    server/store/postgres.py's PostgresStore: its loops, pool and `_load_sessions`)."""


    def watch(self, on_lost, on_claimed, chat_keep: int = 200) -> None:
        """Every third of the lease time: renew the leases held (`on_lost(ids)` for those
        that could not be), then claim and load the live sessions nobody holds
        (`on_claimed(list of LiveSession)`). Both callbacks run on the server's loop."""
        self._on_lost = on_lost
        self._watch_task = asyncio.run_coroutine_threadsafe(self._start_watch(on_claimed, chat_keep), self._pg).result()

    async def _start_watch(self, on_claimed, chat_keep: int) -> asyncio.Task:
        return asyncio.get_running_loop().create_task(self._watch(on_claimed, chat_keep))

    async def _watch(self, on_claimed, chat_keep: int) -> None:
        outage, quiet_until = False, 0.0
        while True:
            await asyncio.sleep(self.leases.ttl / 3)  # a period, not a synchronisation
            if self.failed is not None:
                return
            try:
                async with self._pool.acquire() as c:
                    self._lost(await self.leases.renew(c))
                if outage:
                    # the database was away (restarting, failing over): every process's leases
                    # may have expired meanwhile, through no fault of theirs. Each gets one
                    # lease time to renew before anyone takes a session over; a process that
                    # really stopped is taken over after that
                    outage, quiet_until = False, time.monotonic() + self.leases.ttl
                    log.warning("the session leases are renewed again; sessions of other processes are taken "
                                "over only if not renewed within %.0f s", self.leases.ttl)
                if time.monotonic() < quiet_until:
                    continue
                claimed = await self._claim_and_load(chat_keep)
            except connection_lost() + (asyncpg.PostgresError,) as e:  # (the database restarting: its next turn)
                log.warning("could not renew or check the session leases (%r); trying again", e)
                outage = True
                continue
            if claimed:
                self._loop.call_soon_threadsafe(on_claimed, claimed)

    def _lost(self, session_ids: set[str]) -> None:
        if session_ids and getattr(self, "_on_lost", None) is not None:
            self._loop.call_soon_threadsafe(self._on_lost, set(session_ids))

    async def _claim_and_load(self, chat_keep: int, held: bool = False) -> list:
        """Claim the live sessions nobody holds and load them (`held`: with those this
        process holds already)."""
        async with self._pool.acquire() as c:
            ids = [sid for sid in await self.leases.claimable(c) if await self.leases.claim(c, sid)]
            if held:
                ids += [r["session_id"] for r in await c.fetch(
                    "SELECT session_id FROM sessions WHERE status = 'live' AND session_id = ANY($1::text[])",
                    list(self.leases.epochs)) if r["session_id"] not in ids]
        if not ids:
            return []
        return await self._load_sessions("session_id = ANY($1::text[]) ORDER BY created_at, session_id", [ids],
                                         chat_keep)


def sessions_of(ops: list[tuple]) -> set[str]:
    """The sessions a write (one actor's batch of ops, server/store/sqlite.py) touches."""
    out = set()
    for op in ops:
        kind, body = op[0], op[1]
        if kind == "log":
            out.add(body.session_id)
        elif kind == "session_status":
            out.add(body)
        else:  # session, player, snapshot rows
            out.add(body["session_id"])
    return out


def new_sessions(ops: list[tuple]) -> set[str]:
    """The sessions this write creates (their lease is claimed in the same transaction)."""
    return {op[1]["session_id"] for op in ops if op[0] == "session"}
