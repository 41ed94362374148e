"""One authenticated WebSocket: its outbox (ordered sends with a per-socket `seq`), the
format the client speaks, and its command-rate budget.

Messages are queued synchronously (the session actor never awaits a socket) and a small
sender task writes them in order. The queue is bounded (`outbox_limit` messages and
`outbox_bytes` encoded bytes): a socket that does not keep up (a client that stopped
reading, a dead network) is disconnected with close code 1013 and a reason once a bound is
reached, so it never slows anyone else and never holds more memory than the bound. The
client reconnects, re-sends its unanswered command ids (answered once, `duplicate` if
they were applied) and gets a full view. Closing never waits on a peer that does not
read: after `CLOSE_TIMEOUT` seconds the transport is aborted.
"""
from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from .auth import Principal
from .protocol import Shared, encode

log = logging.getLogger("server.connection")

CLOSE_TIMEOUT = 2.0     # seconds a close may wait for the peer before the transport is aborted
SLOW_CLOSE_CODE = 1013  # "try again later": the send queue overflowed


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
                 outbox_limit: int, rate: float, burst: int, outbox_bytes: int = 16 * 2**20,
                 transport: asyncio.Transport | None = None):
        self.ws = ws
        self.principal = principal
        self.binary = binary           # msgpack if the client's last frame was binary
        self.seq = 0
        self.dropped = 0
        self.budget = RateBudget(rate, burst)
        self.closed = False
        self.close_reason: str | None = None  # why the server dropped it (logged at disconnect)
        self._outbox: asyncio.Queue = asyncio.Queue()
        self._limit = outbox_limit
        self._byte_limit = outbox_bytes
        self._queued_bytes = 0
        self._transport = transport
        self._sender = asyncio.create_task(self._send_loop())

    def send(self, msg: "dict | Shared") -> None:
        """Queue one message: a fresh dict per recipient (`seq` is written into it), or a
        `Shared` push encoded once for all its recipients (only `seq` is added per socket)."""
        if self.closed:
            return
        self.seq += 1
        # a full queue disconnects the socket (nothing is silently dropped): the client
        # reconnects, re-sends the ids it has no answer for, and gets a full view
        if self._outbox.qsize() >= self._limit or self._queued_bytes > self._byte_limit:
            self.dropped += 1
            self._overflow()
            return
        if isinstance(msg, Shared):
            frame = msg.frame(self.seq, self.binary)
        else:
            msg["seq"] = self.seq
            frame = encode(msg, self.binary)
        self._queued_bytes += len(frame)
        self._outbox.put_nowait(frame)

    def _overflow(self) -> None:
        """The peer does not keep up: drop its queue and disconnect it."""
        reason = "send queue full: the client does not keep up"
        log.warning("%s: %s (%d messages, %d bytes queued); disconnecting",
                    self.principal.name if self.principal else "socket", reason,
                    self._outbox.qsize(), self._queued_bytes)
        self.closed = True
        self.close_reason = "slow_consumer"
        self._sender.cancel()
        while not self._outbox.empty():
            self._outbox.get_nowait()
        self._queued_bytes = 0
        asyncio.ensure_future(self._close_socket(SLOW_CLOSE_CODE, reason))

    async def _send_loop(self) -> None:
        try:
            while True:
                frame = await self._outbox.get()
                if frame is None:
                    break
                self._queued_bytes -= len(frame)
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
        self.close_reason = self.close_reason or reason
        self._outbox.put_nowait(None)
        try:
            await asyncio.wait_for(self._sender, timeout=5)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            self._sender.cancel()
        await self._close_socket(code, reason)

    async def _close_socket(self, code: int, reason: str) -> None:
        """Close with `code` and `reason`; a peer that does not answer (or does not read)
        within CLOSE_TIMEOUT has its transport aborted, so no socket lingers."""
        try:
            if not self.ws.closed:
                await asyncio.wait_for(self.ws.close(code=code, message=reason.encode()[:120]), CLOSE_TIMEOUT)
        except (asyncio.TimeoutError, ConnectionError, RuntimeError):
            pass
        except Exception:
            log.exception("closing a socket failed")
        finally:
            t = self._transport
            if t is not None and (not t.is_closing() or t.get_write_buffer_size()):
                t.abort()  # still open, or closing but waiting to flush to a peer that does not read

    def stop(self) -> None:
        """The socket is gone: stop the sender without waiting."""
        self.closed = True
        self._sender.cancel()
