"""One authenticated WebSocket: its outbox (ordered sends with a per-socket `seq`), the
format the client speaks, and its command-rate budget.

Messages are queued synchronously (the session actor never awaits a socket) and a small
sender task writes them in order. A socket that does not keep up loses pushes beyond
`outbox_limit`; `seq` still advances, so the client sees the gap and asks for `resync`.
"""
from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from .auth import Principal
from .protocol import encode

log = logging.getLogger("server.connection")


class RateBudget:
    """Token bucket: `rate` commands per second, bursts up to `burst`."""

    __slots__ = ("rate", "burst", "tokens", "at")

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Connection:
    def __init__(self, ws: web.WebSocketResponse, principal: Principal, binary: bool,
                 outbox_limit: int, rate: float, burst: int):
        self.ws = ws
        self.principal = principal
        self.binary = binary           # msgpack if the client's last frame was binary
        self.seq = 0
        self.dropped = 0
        self.budget = RateBudget(rate, burst)
        self.closed = False
        self._outbox: asyncio.Queue = asyncio.Queue()
        self._limit = outbox_limit
        self._sender = asyncio.create_task(self._send_loop())

    def send(self, msg: dict) -> None:
        """Queue one message (a fresh dict per recipient: `seq` is written into it)."""
        if self.closed:
            return
        self.seq += 1
        if self._outbox.qsize() >= self._limit:
            self.dropped += 1
            return
        msg["seq"] = self.seq
        self._outbox.put_nowait(encode(msg, self.binary))

    async def _send_loop(self) -> None:
        try:
            while True:
                frame = await self._outbox.get()
                if frame is None:
                    break
                if isinstance(frame, bytes):
                    await self.ws.send_bytes(frame)
                else:
                    await self.ws.send_str(frame)
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            pass  # the socket went away; the reader side notices and unregisters us
        except Exception:
            log.exception("sender failed")

    async def close(self, code: int, reason: str) -> None:
        """Flush what is queued, then close the socket with `code` and `reason`."""
        if self.closed:
            return
        self.closed = True
        self._outbox.put_nowait(None)
        try:
            await asyncio.wait_for(self._sender, timeout=5)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            self._sender.cancel()
        if not self.ws.closed:
            await self.ws.close(code=code, message=reason.encode()[:120])

    def stop(self) -> None:
        """The socket is gone: stop the sender without waiting."""
        self.closed = True
        self._sender.cancel()
