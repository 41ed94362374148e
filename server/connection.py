"""One authenticated WebSocket: its outgoing messages (ordered, each with the socket's
`seq`), the format the client speaks, and its command-rate budget.

Messages are handed over synchronously (the session actor never awaits a socket) and
written at the end of the current event-loop callback, in order. What a socket has not
yet taken is bounded (`outbox_limit` messages and `outbox_bytes` encoded bytes): a socket
that does not keep up (a client that stopped reading, a dead network) is disconnected with
close code 1013 and a reason once a bound is reached, so it never slows anyone else and
never holds more memory than the bound. The client reconnects, re-sends its unanswered
command ids (answered once, `duplicate` if they were applied) and gets a full view.
Closing never waits on a peer that does not read: after `CLOSE_TIMEOUT` seconds the
transport is aborted.
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


def ws_frame(payload: bytes, opcode: int) -> bytes:
    """One unmasked, uncompressed, final WebSocket frame (RFC 6455 section 5.2): what a
    server sends. Length is 7 bits, or 126 + 16 bits, or 127 + 64 bits."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")
    return head + payload


OP_TEXT, OP_BINARY = 0x1, 0x2
PING_FRAME = b"\x89\x00"  # a final, unmasked PING with no payload (RFC 6455 section 5.5.2): the heartbeat's


class Connection:
    """Sends are gathered until the current event-loop callback ends (a session's delivery
    of one committed batch), then written in order. A socket without compression gets
    the whole batch as WebSocket frames in **one** `transport.write`: one system call and
    one wake-up of the peer instead of one per message, the largest cost of a results push
    to a thousand sockets. A socket that negotiated permessage-deflate (only when the server
    runs with `--ws-compress`) goes through aiohttp's writer, which owns the compressor,
    from a small sender task."""

    def __init__(self, ws: web.WebSocketResponse, principal: Principal, binary: bool,
                 outbox_limit: int, rate: float, burst: int, outbox_bytes: int = 16 * 2**20,
                 transport: asyncio.Transport | None = None):
        self.ws = ws
        self.principal = principal
        self.token_hash: str | None = None  # the token it authenticated with (revoking it closes the socket)
        self.language: str | None = None    # the page language its `auth` declared (players' pages)
        self.binary = binary           # msgpack if the client's last frame was binary
        self.seq = 0
        self.deltas: int | None = None  # the round-delta format its `auth` said it reads
        self.views = 0                 # views and round deltas sent (a `round_delta`'s base: server/view_deltas.py)
        self.held = None               # the player's view it was last sent (server/view_deltas.py Held)
        self.dropped = 0
        self.budget = RateBudget(rate, burst)
        self.closed = False
        self.close_reason: str | None = None  # why the server dropped it (logged at disconnect)
        self._batch: list[bytes | str] = []  # frames of the current callback, not yet written
        self._batch_bytes = 0
        self._backlog = 0              # frames written while the transport was still busy
        self._outbox: asyncio.Queue | None = None  # compressed sockets only
        self._limit = outbox_limit
        self._byte_limit = outbox_bytes
        self._queued_bytes = 0         # in the compressed sockets' outbox
        self._transport = transport
        self._sender: asyncio.Task | None = None
        # the server's heartbeat (server/heartbeat.py): frames read, as of the last sweep, sweeps since
        self.heard = 0
        self.heard_at_sweep = 0
        self.silent = 0

    def send(self, msg: "dict | Shared") -> None:
        """Queue one message: a fresh dict per recipient (`seq` is written into it), or a
        `Shared` push encoded once for all its recipients (only `seq` is added per socket).
        It is written at the end of the current event-loop callback."""
        if not self._batch:
            self.put(msg)
            if self._batch:
                asyncio.get_running_loop().call_soon(self.flush)
        else:
            self.put(msg)

    def put(self, msg: "dict | Shared") -> None:
        """`send` for a caller that calls `flush()` itself before it returns (a delivery:
        server/fanout.py), so no write is scheduled for later: one callback less per socket."""
        if self.closed:
            return
        self.seq += 1
        if isinstance(msg, Shared):
            frame = msg.frame(self.seq, self.binary)
        else:
            msg["seq"] = self.seq
            frame = encode(msg, self.binary)
        self._batch.append(frame)
        self._batch_bytes += len(frame)

    def _pending(self) -> tuple[int, int]:
        """Messages and bytes handed to this socket and not yet taken by the kernel."""
        if self._outbox is not None:
            return self._outbox.qsize() + len(self._batch), self._queued_bytes + self._batch_bytes
        t = self._transport
        buffered = t.get_write_buffer_size() if t is not None else 0
        if not buffered:
            self._backlog = 0
        return self._backlog + len(self._batch), buffered + self._batch_bytes

    def flush(self) -> None:
        """Write what was handed over so far. Runs at the end of the callback that sent it;
        a delivery calls it itself, so its frames leave before the event loop runs anything
        else (such as the next heavy item)."""
        batch = self._batch
        if self.closed or not batch:
            self._batch, self._batch_bytes = [], 0
            return
        # a socket that does not keep up is disconnected (nothing is silently dropped): the
        # client reconnects, re-sends the ids it has no answer for, and gets a full view
        # (as if checked message by message: the one that crosses a bound still goes in)
        messages, size = self._pending()
        if messages > self._limit or size - len(batch[-1]) > self._byte_limit:
            self.dropped += len(batch)
            self._overflow(messages, size)
            return
        self._batch, self._batch_bytes = [], 0
        if self.ws.compress or self._transport is None:
            self._queue(batch)
            return
        t = self._transport
        if t.is_closing() or self.ws.closed:
            return  # the reader side notices and unregisters us
        was_busy = t.get_write_buffer_size() > 0
        t.write(b"".join(ws_frame(f, OP_BINARY) if isinstance(f, bytes) else ws_frame(f.encode(), OP_TEXT)
                         for f in batch))
        if was_busy or t.get_write_buffer_size():
            self._backlog += len(batch)

    def ping(self) -> None:
        """A WebSocket ping (the heartbeat: the peer's pong is a frame read). Control frames
        are never compressed, so it goes straight to the transport, between whole frames."""
        t = self._transport
        if t is not None and not t.is_closing() and not self.ws.closed:
            t.write(PING_FRAME)

    def drop_dead(self) -> None:
        """No frame, not even a pong, since the heartbeat's ping: the peer is gone or the
        connection half-open. Closed as aiohttp's heartbeat closed it (no closing handshake
        with a peer that does not answer); the socket's handler sees it end and logs why."""
        if self.close_reason is None:
            self.close_reason = "heartbeat_timeout"
        t = self._transport
        if t is not None and not t.is_closing():
            t.abort()

    def _queue(self, frames: list) -> None:
        if self._outbox is None:
            self._outbox = asyncio.Queue()
            self._sender = asyncio.create_task(self._send_loop())
        for f in frames:
            self._queued_bytes += len(f)
            self._outbox.put_nowait(f)

    def _overflow(self, messages: int, size: int) -> None:
        """The peer does not keep up: drop what is queued for it and disconnect it."""
        reason = "send queue full: the client does not keep up"
        log.warning("%s: %s (%d messages, %d bytes queued); disconnecting",
                    self.principal.name if self.principal else "socket", reason, messages, size)
        self.closed = True
        self.close_reason = "slow_consumer"
        self._batch, self._batch_bytes = [], 0
        if self._sender is not None:
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
        """Write what is pending, then close the socket with `code` and `reason`."""
        if self.closed:
            return
        self.flush()
        self.closed = True
        self.close_reason = self.close_reason or reason
        if self._sender is not None:
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
        self._batch, self._batch_bytes = [], 0
        if self._sender is not None:
            self._sender.cancel()
