"""Async client for the live protocol (docs/protocol.md): websockets + msgpack, JSON optional.

    joined = await join_session("http://127.0.0.1:8080", "K7QM-3XRD", "Ada")
    async with GameClient("http://127.0.0.1:8080", joined["player_token"]) as c:
        await c.wait_view(lambda v: v["phase"] == "execution")
        await c.draft({"contribute": {"design": 20}})
        await c.submit(round=c.view["current_round"])     # the draft becomes the decision

What it does for you:

- authenticates with the first frame (the token never goes into a URL);
- keeps `view`, the latest full view with every delta the server pushed since applied to
  it (draft, submitted, chat, clock, negotiation, announcement, status), and the engine
  events of every resolved round in `round_results`;
- numbers commands with ids unique to this client and awaits their `ack` (the result is
  returned) or `error` (raised as `CommandError` with the stable code);
- checks the per-socket `seq`: on a gap (the server dropped pushes to a slow socket) it
  asks for a full view (`resync`) and re-sends the commands still unanswered, with the
  SAME ids: the server applies an id at most once and answers a repeat with the original
  ack (`duplicate: true`);
- reconnects after a dropped socket with exponential backoff and jitter, with the same
  token, and re-sends every unacknowledged command with its original id, in the original
  order, before any new command. A command is therefore applied exactly once however
  often the network fails; `rate_limited` refusals are retried after a short wait.

It stops for good (and fails what is pending with `ConnectionLost` or `CommandError`)
when the session ends, the token is refused, the server closes with a policy code (1008),
`close()` is called, or reconnecting has failed `max_attempts` times in a row.

The small HTTP helpers for what is not live (`create_session`, `join_session`, `control`,
`summary`) live in http_api.py and are importable from here too.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgpack
import websockets

from .http_api import CommandError, control, create_session, http_request, join_session, summary, ws_url
from .view_fold import DELTA_VERSION, PatchError, apply as fold_push, delta_fits

__all__ = ["GameClient", "ClientStats", "CommandError", "ConnectionLost", "control", "create_session",
           "http_request", "join_session", "summary", "ws_url"]

log = logging.getLogger("alliance.client")

#: close codes after which reconnecting is pointless
FATAL_CLOSE_CODES = frozenset({1000, 1008})
#: auth refusals after which reconnecting is pointless
FATAL_AUTH_CODES = frozenset({"bad_token", "token_expired", "token_revoked", "session_ended", "session_archived", "bad_frame",
                              "wrong_type", "missing_field", "out_of_range"})


class ConnectionLost(Exception):
    """The connection is gone for good (closed, refused, or reconnecting gave up)."""


@dataclass
class ClientStats:
    """Counters for tests, load tools and the curious."""
    sent: int = 0             # command frames written (re-sends included)
    acked: int = 0
    errors: int = 0
    duplicates: int = 0       # acks marked `duplicate`: a re-sent id the server had applied
    resent: int = 0           # command frames written again with an id already sent
    reconnects: int = 0
    gaps: int = 0             # seq gaps seen
    resyncs: int = 0
    delta_misses: int = 0     # round deltas that did not fit the view held (a full view was asked for)
    latencies: list[float] = field(default_factory=list)  # seconds, first send -> ack


@dataclass
class _Pending:
    frame: dict
    future: asyncio.Future
    gen: int = -1             # the connection generation it was last written on
    first_sent: float | None = None


PushHandler = Callable[[dict], Awaitable[None] | None]


class GameClient:
    """One player's (or the facilitator's) live connection.

    `url` is the server's base URL (`http://host:port`) or its WebSocket URL (`ws://.../ws`).
    `binary=True` speaks msgpack (binary frames), `False` JSON (text frames).
    """

    def __init__(self, url: str, token: str, *, binary: bool = True, reconnect: bool = True,
                 min_backoff: float = 0.05, max_backoff: float = 5.0, max_attempts: int = 40,
                 command_timeout: float = 30.0, on_push: PushHandler | None = None,
                 id_prefix: str | None = None, name: str | None = None, also: tuple[str, ...] = ()):
        self.url = ws_url(url) if url.startswith(("http://", "https://")) else url
        # `also`: other addresses of the same service (several server processes on one
        # database, no proxy in front): a reconnect that cannot reach one tries the next
        self._urls = [self.url, *(ws_url(u) if u.startswith(("http://", "https://")) else u for u in also)]
        self.token, self.binary = token, binary
        self.reconnect, self.max_attempts = reconnect, max_attempts
        self.min_backoff, self.max_backoff = min_backoff, max_backoff
        self.command_timeout = command_timeout
        self.on_push = on_push
        self.name = name or "client"
        self.welcome: dict | None = None
        self.view: dict | None = None
        self.round_results: dict[int, dict] = {}
        self.ended: str | None = None          # the reason, once the session has ended
        self.stats = ClientStats()
        self.version = 0                       # +1 per message handled (see `wait_change`)
        self._prefix = id_prefix or uuid.uuid4().hex[:10]
        self._ids = itertools.count(1)
        self._pending: dict[str, _Pending] = {}   # insertion order = send order
        self._ws: Any = None
        self._gen = 0
        self._seq = 0
        self._views = 0                           # views and round deltas got on this socket
        self._reader: asyncio.Task | None = None
        self._send_lock = asyncio.Lock()
        self._connected = asyncio.Event()
        self._changed = asyncio.Condition()
        self._listeners: list[asyncio.Queue] = []
        self._recovering = False
        self._closing = False
        self._failure: BaseException | None = None
        self._tasks: set[asyncio.Task] = set()

    # ---- connection ----------------------------------------------------------------------

    async def __aenter__(self) -> "GameClient":
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def player_id(self) -> str | None:
        return self.welcome.get("player_id") if self.welcome else None

    @property
    def firm(self) -> str | None:
        """The player's firm now (a facilitator's move changes it; the view says so)."""
        if self.view and isinstance(self.view.get("me"), dict):
            return self.view["me"].get("firm")
        return self.welcome.get("firm") if self.welcome else None

    async def connect(self) -> None:
        """Open the socket and authenticate; raises `CommandError` if the token is refused."""
        if self._reader is not None:
            raise RuntimeError("already connected")
        ws, welcome = await self._open()
        await self._install(ws, welcome)
        self._reader = asyncio.create_task(self._run(), name=f"alliance-client-{self.name}")

    async def _open(self):
        ws = await websockets.connect(self.url, max_size=2 ** 24, open_timeout=10,
                                      ping_interval=20, ping_timeout=20, close_timeout=2)
        try:
            await ws.send(self._encode({"type": "auth", "token": self.token, "client_time": time.time(),
                                              "deltas": DELTA_VERSION}))
            async with asyncio.timeout(10):  # not wait_for: on 3.11 it can swallow a cancel
                first = self._decode(await ws.recv())
        except BaseException:
            await ws.close()
            raise
        if first.get("type") != "welcome":
            await ws.close()
            raise CommandError(first.get("code", "bad_frame"), first.get("message", f"unexpected {first!r}"))
        return ws, first

    async def _install(self, ws, welcome: dict) -> None:
        """Make `ws` the live socket, then re-send, in order and before anything new, the
        commands still unanswered (same ids: never applied twice)."""
        async with self._send_lock:
            self._ws = ws
            self._gen += 1
            self._seq = 0
            self._views = 0
            self._handle(welcome)
            for p in list(self._pending.values()):
                if not p.future.done():
                    await self._write(p)
            self._connected.set()

    async def close(self) -> None:
        """Close the socket; pending commands fail with `ConnectionLost`."""
        self._closing = True
        self._connected.clear()
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
            try:
                await self._reader
            except BaseException:
                pass
        for t in list(self._tasks):
            t.cancel()
        if self._ws is not None:
            try:
                await self._ws.close()
            except Exception:
                pass
        self._fail_pending(ConnectionLost("the client was closed"))
        await self._notify()

    async def drop(self) -> None:
        """Cut the socket abruptly, as a network failure would (no close handshake). With
        `reconnect` on, the client comes back by itself. For tests and load tools."""
        if self._ws is not None:
            self._ws.transport.abort()

    def freeze(self) -> None:
        """Stop reading from the socket (what the server sends waits unread in the network
        buffers) until the socket is dropped. Fault injection for tests: `freeze()`, let
        the server apply commands, then `drop()`, and their acks are lost in flight."""
        if self._ws is not None:
            self._ws.transport.pause_reading()

    async def _run(self) -> None:
        """Read until the socket closes; then reconnect, or fail everything for good."""
        while True:
            ws = self._ws
            try:
                async for raw in ws:
                    try:
                        msg = self._decode(raw)
                    except Exception:
                        log.warning("%s: undecodable frame dropped", self.name)
                        continue
                    self._handle(msg)
                    await self._notify()
            except websockets.ConnectionClosed:
                pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: reader failed", self.name)
            self._connected.clear()
            await self._notify()
            code = ws.close_code
            if self._closing:
                return
            if self.ended is not None:
                self._fail_pending(CommandError("session_ended", f"the session has ended ({self.ended})"))
                break
            if not self.reconnect or code in FATAL_CLOSE_CODES:
                reason = ws.close_reason or "connection closed"
                self._fail_pending(ConnectionLost(f"closed by the server ({code}: {reason})"))
                self._failure = ConnectionLost(f"closed ({code}: {reason})")
                break
            # "going away" / "try again later": the server is stopping or shedding load,
            # so give it a moment before the first attempt (a network failure: at once)
            if not await self._reconnect(0.25 if code in (1001, 1012, 1013) else 0.0):
                break
        await self._notify()

    async def _reconnect(self, first_delay: float = 0.0) -> bool:
        delay = self.min_backoff
        last: BaseException | None = None
        for attempt in range(self.max_attempts):
            if attempt:
                await asyncio.sleep(delay * (0.5 + random.random()))  # backoff with jitter
                delay = min(self.max_backoff, delay * 2)
            elif first_delay:
                await asyncio.sleep(first_delay * (0.5 + random.random()))
            try:
                ws, welcome = await self._open()
            except CommandError as e:
                last = e
                log.debug("%s: reconnect attempt %d refused: %s", self.name, attempt + 1, e)
                if e.code in FATAL_AUTH_CODES:
                    if e.code in ("token_expired", "session_ended"):
                        self.ended = self.ended or e.message
                    self._failure = e
                    self._fail_pending(e)
                    return False
                continue  # shutting_down, rate_limited...: try again later
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as e:
                last = e
                log.debug("%s: reconnect attempt %d failed: %r", self.name, attempt + 1, e)
                self._urls.append(self._urls.pop(0))
                self.url = self._urls[0]
                continue
            self.stats.reconnects += 1
            log.info("%s: reconnected (attempt %d)", self.name, attempt + 1)
            await self._install(ws, welcome)
            return True
        self._failure = ConnectionLost(f"gave up reconnecting after {self.max_attempts} attempts: {last!r}")
        self._fail_pending(self._failure)
        return False

    # ---- commands ------------------------------------------------------------------------

    def next_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    async def command(self, type: str, *, id: str | None = None, timeout: float | None = None,
                      **fields: Any) -> dict | None:
        """Send a command and wait for its ack; returns the ack's `result` (None fields are
        left out). Raises `CommandError` on a refusal, `ConnectionLost` if the connection is
        gone for good, `asyncio.TimeoutError` after `timeout` (default `command_timeout`)."""
        if self.ended is not None:
            raise CommandError("session_ended", f"the session has ended ({self.ended})")
        if self._failure is not None:
            raise ConnectionLost(str(self._failure))
        if self._closing:
            raise ConnectionLost("the client was closed")
        if self._reader is None:
            raise ConnectionLost("not connected: call connect() first")
        cid = id or self.next_id()
        frame = {"type": type, "id": cid, **{k: v for k, v in fields.items() if v is not None},
                 "client_time": time.time()}
        p = _Pending(frame, asyncio.get_running_loop().create_future())
        self._pending[cid] = p
        try:
            async with self._send_lock:
                if self._connected.is_set():
                    await self._write(p)
            # else: written by `_install` once the connection is back
            async with asyncio.timeout(timeout or self.command_timeout):
                return await asyncio.shield(p.future)
        finally:
            if self._pending.get(cid) is p:
                del self._pending[cid]

    async def _write(self, p: _Pending) -> None:
        """Write one command frame on the current socket (call with `_send_lock` held)."""
        if p.gen == self._gen or p.future.done():
            return
        if p.first_sent is None:
            p.first_sent = time.monotonic()
        else:
            self.stats.resent += 1
        try:
            await self._ws.send(self._encode(p.frame))
        except websockets.ConnectionClosed:
            return  # the reader notices; `_install` writes it again on the next socket
        p.gen = self._gen
        self.stats.sent += 1

    async def ping(self) -> dict | None:
        return await self.command("ping")

    async def resync(self) -> dict:
        """Ask for a full view; returns it once it has arrived."""
        self.stats.resyncs += 1
        await self.command("resync")
        return self.view

    async def draft(self, fields: dict, round: int | None = None) -> dict | None:
        return await self.command("draft", fields=fields, round=round)

    async def submit(self, decision: dict | None = None, round: int | None = None) -> dict | None:
        return await self.command("submit", decision=decision, round=round)

    async def chat(self, to: str, text: str) -> dict | None:
        return await self.command("chat", to=to, text=text)

    async def negotiate(self, action: str, terms: dict | None = None,
                        negotiation: str | None = None) -> dict | None:
        return await self.command("negotiate", action=action, terms=terms, negotiation=negotiation)

    async def select(self, action: str, *, to: str | None = None, proposal: int | None = None,
                     firms: list[str] | None = None, template: str | None = None) -> dict | None:
        """A move on the partner-selection board (propose, accept, decline, introduce)."""
        return await self.command("select", action=action, to=to, proposal=proposal, firms=firms,
                                  template=template)

    async def control(self, action: str, **fields: Any) -> dict | None:
        """A facilitator control (facilitator token only)."""
        return await self.command("control", action=action, **fields)

    # ---- waiting (no polling, no sleeps) -----------------------------------------------------

    async def wait(self, predicate: Callable[["GameClient"], bool], timeout: float = 30.0) -> None:
        """Wait until `predicate(self)` holds; re-checked after every message handled.
        Raises `ConnectionLost` if the connection is gone for good before it holds."""
        def ready() -> bool:
            return predicate(self) or self.gone
        async with self._changed:
            async with asyncio.timeout(timeout):
                await self._changed.wait_for(ready)
        if not predicate(self):
            raise ConnectionLost(str(self._failure or self.ended or "the client was closed"))

    async def wait_view(self, predicate: Callable[[dict], bool], timeout: float = 30.0) -> dict:
        """Wait until the (delta-updated) view satisfies `predicate`; returns it."""
        await self.wait(lambda c: c.view is not None and predicate(c.view), timeout)
        return self.view

    async def wait_change(self, since: int, timeout: float | None = None) -> int:
        """Wait until a message arrived after `version` was `since`; returns the new version."""
        async with self._changed:
            async with asyncio.timeout(timeout):
                await self._changed.wait_for(lambda: self.version > since or self.gone)
        return self.version

    @property
    def gone(self) -> bool:
        """True once the connection is over for good (closed, refused, gave up, ended)."""
        return self._failure is not None or self._closing or (
            self.ended is not None and not self._connected.is_set())

    def listen(self, maxsize: int = 0) -> asyncio.Queue:
        """A queue that receives every message from now on (`unlisten` it when done)."""
        q: asyncio.Queue = asyncio.Queue(maxsize)
        self._listeners.append(q)
        return q

    def unlisten(self, q: asyncio.Queue) -> None:
        if q in self._listeners:
            self._listeners.remove(q)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ---- handling what the server sends ------------------------------------------------------

    def _handle(self, msg: dict) -> None:
        """Apply one server message (synchronous: messages are handled in order)."""
        self.version += 1
        seq = msg.get("seq")
        if isinstance(seq, int):
            if self._seq and seq > self._seq + 1:
                self.stats.gaps += 1
                log.info("%s: seq gap (%d after %d): resync", self.name, seq, self._seq)
                self._spawn(self._recover())
            self._seq = max(self._seq, seq)
        t = msg.get("type")
        if t in ("ack", "error"):
            self._settle(msg)
        elif t == "welcome":
            self.welcome = msg
        elif t == "round_result":
            self.round_results[msg["round"]] = msg
        elif t == "session_ended":
            self.ended = msg.get("reason") or "ended"
        if t == "round_delta" and not delta_fits(self._views, msg):
            self._delta_missed(f"base {msg.get('base')}, {self._views} views held")
        else:
            try:  # a full view, or a push folded into it (view_fold.py)
                self.view = fold_push(self.view, msg, self.round_results.get(msg.get("results")))
            except PatchError as e:
                self._delta_missed(str(e))
        if t in ("view", "round_delta"):
            self._views += 1
        if self.on_push is not None:
            try:
                r = self.on_push(msg)
                if asyncio.iscoroutine(r):
                    self._spawn(r)
            except Exception:
                log.exception("%s: on_push failed", self.name)
        for q in self._listeners:
            try:
                q.put_nowait(msg)
            except asyncio.QueueFull:
                pass

    def _settle(self, msg: dict) -> None:
        p = self._pending.get(msg.get("id"))
        if p is None or p.future.done():
            return  # an answer to a re-send that was already settled, or an `auth` error
        if msg["type"] == "error" and msg.get("code") == "rate_limited":
            p.gen = -1  # not applied: write it again a little later, same id
            self._spawn(self._retry_later(p, 1.0 / max(1.0, (self.welcome or {}).get("limits", {}).get("rate_per_second", 5))))
            return
        if msg["type"] == "ack":
            self.stats.acked += 1
            if msg.get("duplicate"):
                self.stats.duplicates += 1
            if p.first_sent is not None:
                self.stats.latencies.append(time.monotonic() - p.first_sent)
            p.future.set_result(msg.get("result"))  # (a draft's result is folded into the view)
        else:
            self.stats.errors += 1
            p.future.set_exception(CommandError(msg.get("code", "error"), msg.get("message", ""), msg.get("id")))

    async def _retry_later(self, p: _Pending, delay: float) -> None:
        await asyncio.sleep(delay * (1 + random.random()))
        async with self._send_lock:
            if self._connected.is_set():
                await self._write(p)

    def _delta_missed(self, why: str) -> None:
        """A round delta is not for the view held: ask for a full view (the view stays as
        it was until it comes)."""
        self.stats.delta_misses += 1
        log.info("%s: round delta does not fit (%s): resync", self.name, why)
        self._spawn(self._resync_quietly())

    async def _resync_quietly(self) -> None:
        try:
            await self.resync()
        except (CommandError, ConnectionLost, asyncio.TimeoutError) as e:
            log.info("%s: resync after a delta that did not fit failed: %s", self.name, e)

    async def _recover(self) -> None:
        """After a seq gap: get a full view, and re-send what is unanswered (an ack may be
        among what was dropped; a repeated id is answered, never applied twice)."""
        if self._recovering:
            return
        self._recovering = True
        try:
            async with self._send_lock:
                gen = self._gen
                for p in list(self._pending.values()):
                    if p.gen == gen and not p.future.done():
                        p.gen = -1
                        await self._write(p)
            await self.resync()
        except (CommandError, ConnectionLost, asyncio.TimeoutError) as e:
            log.info("%s: resync after a gap failed: %s", self.name, e)
        finally:
            self._recovering = False

    def _spawn(self, coro) -> None:
        t = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)

    def _fail_pending(self, exc: BaseException) -> None:
        for p in self._pending.values():
            if not p.future.done():
                p.future.set_exception(exc)
                p.future.exception()  # mark retrieved: the caller may have gone already

    # ---- codec -----------------------------------------------------------------------------

    def _encode(self, frame: dict) -> bytes | str:
        if self.binary:
            return msgpack.packb(frame, use_bin_type=True)
        return json.dumps(frame, separators=(",", ":"))

    @staticmethod
    def _decode(raw: bytes | str) -> dict:
        msg = msgpack.unpackb(raw, raw=False) if isinstance(raw, bytes) else json.loads(raw)
        if not isinstance(msg, dict):
            raise ValueError("not a map")
        return msg
