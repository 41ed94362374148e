"""Async client for the live protocol (docs/protocol.md): websockets + msgpack (JSON optional).

    async with GameClient(ws_url, token) as c:
        await c.submit({"contribute": {"design": 20}})
        view = c.view

What it does for you:
- authenticates with the first frame, keeps the latest full `view` and every push;
- numbers commands with unique ids and awaits their `ack` (or raises `CommandError`);
- checks the per-socket `seq`; on a gap it asks for a full view (`resync`);
- reconnects with exponential backoff using the same token, and re-sends every command
  that was not acknowledged with the SAME id (the server applies an id at most once).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgpack
import websockets

log = logging.getLogger("alliance.client")


class CommandError(Exception):
    """The server refused a command: `code` is stable (docs/protocol.md), `message` is for people."""

    def __init__(self, code: str, message: str, id: str | None = None):
        self.code, self.message, self.id = code, message, id
        super().__init__(f"{code}: {message}")


class ConnectionLost(Exception):
    """The socket closed and reconnection is off or gave up."""


@dataclass
class _Pending:
    frame: dict
    future: asyncio.Future


@dataclass
class ClientStats:
    sent: int = 0
    acked: int = 0
    errors: int = 0
    resent: int = 0
    reconnects: int = 0
    resyncs: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, command -> ack


class GameClient:
    """One player's (or the facilitator's) live connection."""

    def __init__(self, url: str, token: str, *, binary: bool = True, reconnect: bool = True,
                 max_backoff: float = 5.0, max_attempts: int = 50, on_push: Callable[[dict], Awaitable[None] | None] | None = None,
                 id_prefix: str | None = None):
        self.url, self.token, self.binary = url, token, binary
        self.reconnect, self.max_backoff, self.max_attempts = reconnect, max_backoff, max_attempts
        self.on_push = on_push
        self.welcome: dict | None = None
        self.view: dict | None = None
        self.pushes: asyncio.Queue[dict] = asyncio.Queue()
        self.stats = ClientStats()
        self._ids = itertools.count(1)
        self._prefix = id_prefix or uuid.uuid4().hex[:8]
        self._pending: dict[str, _Pending] = {}
        self._sent_at: dict[str, float] = {}
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._seq = 0
        self._closing = False
        self._connected = asyncio.Event()
        self._view_changed = asyncio.Condition()

    # ---- connection ------------------------------------------------------------------

    async def __aenter__(self) -> "GameClient":
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self) -> None:
        await self._open()
        self._reader = asyncio.create_task(self._read_loop(), name="alliance-client-reader")

    async def _open(self) -> None:
        self._ws = await websockets.connect(self.url, max_size=2**22, open_timeout=10)
        self._seq = 0
        await self._ws.send(self._encode({"type": "auth", "token": self.token}))
        first = self._decode(await asyncio.wait_for(self._ws.recv(), 10))
        if first.get("type") == "error":
            await self._ws.close()
            raise CommandError(first["code"], first["message"])
        self._seq = first.get("seq", 0)
        self.welcome = first
        self._connected.set()

    async def close(self) -> None:
        self._closing = True
        if self._reader:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
        if self._ws is not None:
            await self._ws.close()
        for p in self._pending.values():
            if not p.future.done():
                p.future.set_exception(ConnectionLost("client closed"))

    async def drop(self) -> None:
        """Close the socket abruptly as a network failure would (tests and load tools);
        the client then reconnects by itself when `reconnect` is on."""
        if self._ws is not None:
            self._ws.transport.abort() if hasattr(self._ws, "transport") else await self._ws.close()

    # ---- commands --------------------------------------------------------------------

    def next_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    async def command(self, type: str, *, id: str | None = None, timeout: float = 30.0, **fields) -> dict | None:
        """Send a command and wait for its ack; returns the ack's `result`."""
        cid = id or self.next_id()
        frame = {"type": type, "id": cid, **{k: v for k, v in fields.items() if v is not None}}
        fut = asyncio.get_running_loop().create_future()
        self._pending[cid] = _Pending(frame, fut)
        await self._send(frame)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._pending.pop(cid, None)

    async def _send(self, frame: dict) -> None:
        self._sent_at[frame["id"]] = asyncio.get_running_loop().time()
        self.stats.sent += 1
        try:
            await self._connected.wait()
            await self._ws.send(self._encode(frame))
        except websockets.ConnectionClosed:
            pass  # re-sent after the reconnect

    async def ping(self) -> None:
        await self.command("ping")

    async def draft(self, fields: dict, round: int | None = None):
        return await self.command("draft", fields=fields, round=round)

    async def submit(self, decision: dict | None = None, round: int | None = None):
        return await self.command("submit", decision=decision, round=round)

    async def chat(self, to: str, text: str):
        return await self.command("chat", to=to, text=text)

    async def negotiate(self, action: str, terms: dict | None = None, negotiation: str | None = None):
        return await self.command("negotiate", action=action, terms=terms, negotiation=negotiation)

    async def control(self, action: str, **fields):
        return await self.command("control", action=action, **fields)

    async def resync(self):
        self.stats.resyncs += 1
        return await self.command("resync")

    async def wait_view(self, predicate: Callable[[dict], bool], timeout: float = 30.0) -> dict:
        """Wait until the latest full view satisfies `predicate` (no polling, no sleeps)."""
        async with self._view_changed:
            await asyncio.wait_for(
                self._view_changed.wait_for(lambda: self.view is not None and predicate(self.view)), timeout)
            return self.view

    # ---- reading ---------------------------------------------------------------------

    async def _read_loop(self) -> None:
        while not self._closing:
            try:
                async for raw in self._ws:
                    await self._handle(self._decode(raw))
            except websockets.ConnectionClosed:
                pass
            if self._closing:
                return
            self._connected.clear()
            if not self.reconnect:
                self._fail_pending(ConnectionLost("connection closed"))
                return
            if not await self._reconnect():
                self._fail_pending(ConnectionLost("gave up reconnecting"))
                return

    async def _reconnect(self) -> bool:
        delay = 0.05
        for _ in range(self.max_attempts):
            try:
                await self._open()
            except CommandError as e:
                if e.code in ("bad_token", "token_expired", "session_ended"):
                    return False
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException):
                pass
            else:
                self.stats.reconnects += 1
                for p in list(self._pending.values()):  # same ids: applied at most once
                    self.stats.resent += 1
                    await self._ws.send(self._encode(p.frame))
                return True
            await asyncio.sleep(delay * (0.5 + random.random()))  # backoff between attempts
            delay = min(self.max_backoff, delay * 2)
        return False

    def _fail_pending(self, exc: Exception) -> None:
        for p in self._pending.values():
            if not p.future.done():
                p.future.set_exception(exc)

    async def _handle(self, msg: dict) -> None:
        seq = msg.get("seq")
        gap = seq is not None and self._seq and seq != self._seq + 1
        if seq is not None:
            self._seq = seq
        t = msg.get("type")
        if t in ("ack", "error") and msg.get("id") in self._pending:
            self._settle(msg)
        elif t == "view":
            async with self._view_changed:
                self.view = msg["view"]
                self._view_changed.notify_all()
        if self.on_push is not None:
            r = self.on_push(msg)
            if asyncio.iscoroutine(r):
                await r
        self.pushes.put_nowait(msg)
        if gap and t != "view":
            log.info("seq gap (%s after %s): resync", seq, self._seq)
            asyncio.get_running_loop().create_task(self._safe_resync())

    async def _safe_resync(self) -> None:
        try:
            await self.resync()
        except (CommandError, ConnectionLost, asyncio.TimeoutError):
            pass

    def _settle(self, msg: dict) -> None:
        p = self._pending[msg["id"]]
        if p.future.done():
            return
        sent = self._sent_at.pop(msg["id"], None)
        if msg["type"] == "ack":
            self.stats.acked += 1
            if sent is not None:
                self.stats.latencies.append(asyncio.get_running_loop().time() - sent)
            p.future.set_result(msg.get("result"))
        else:
            self.stats.errors += 1
            p.future.set_exception(CommandError(msg["code"], msg["message"], msg["id"]))

    # ---- codec -----------------------------------------------------------------------

    def _encode(self, frame: dict) -> bytes | str:
        if self.binary:
            return msgpack.packb(frame, use_bin_type=True)
        return json.dumps(frame, separators=(",", ":"))

    @staticmethod
    def _decode(raw: bytes | str) -> dict:
        if isinstance(raw, bytes):
            return msgpack.unpackb(raw, raw=False)
        return json.loads(raw)


# ---- HTTP helpers (the non-live part of the API) ----------------------------------------

async def _post(url: str, body: dict, token: str | None = None) -> dict:
    import aiohttp
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body, headers=headers) as r:
            data = await r.json()
            if r.status >= 400:
                err = data.get("error", data) if isinstance(data, dict) else {}
                raise CommandError(err.get("code", "http_error"), err.get("message", str(data)))
            return data


async def create_session(base_url: str, **options: Any) -> dict:
    """POST /api/sessions; returns code, facilitator_token, session_id, join_url."""
    return await _post(f"{base_url}/api/sessions", options)


async def join_session(base_url: str, code: str, name: str, label: str | None = None) -> dict:
    """POST /api/join; returns the player token and firm assignment."""
    body = {"code": code, "name": name}
    if label:
        body["label"] = label
    return await _post(f"{base_url}/api/join", body)


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://").replace("https://", "wss://") + "/ws"
