"""Dead and half-open sockets found by one sweep over all of them, not by a timer per socket.

aiohttp's own heartbeat (`WebSocketResponse(heartbeat=...)`) keeps a timer per socket and,
for every chunk a socket receives, schedules one more event-loop callback that pushes the
socket's ping back (`_on_data_received` -> `call_soon(_flush_heartbeat_reset)`). With 5,000
sockets and 1,000 commands a second that is a callback per command and a timer firing per
socket every interval: about a tenth of the event loop's samples in the 5,000-player run
(docs/benchmarks.md, "5,000 players: the server's CPU per command").

Here a socket only counts the frames it reads (`Connection.heard`, one integer add in the
socket handler), and one timer per server sweeps every socket each quarter interval: a
socket that read nothing for four sweeps (`interval`, up to a quarter more) gets a ping; one
that still read nothing (not even the pong) two sweeps later is dropped as aiohttp dropped it
(transport aborted, `close_reason` "heartbeat_timeout", logged at the disconnect). The bounds
of aiohttp's heartbeat, give or take a quarter interval: silent for `interval` -> ping; no
pong within half of it -> closed (20 s and 30-35 s at the default 20 s).

A sweep runs in slices of `SLICE` sockets, each its own event-loop callback: the sockets of a
class connect within seconds, so the idle ones fall silent together and one sweep pings
thousands of them (a `transport.write` each: 10-13 ms of the loop at 5,000 players in one
callback, docs/benchmarks.md "The loop's long items"); between slices the commands waiting
run. A socket closed meanwhile is skipped; one opened meanwhile waits for the next sweep.
"""
from __future__ import annotations

import asyncio
from typing import Any

# the sockets are server/connection.py's `Connection`s (`heard`, `heard_at_sweep`, `silent`,
# `ping()`, `drop_dead()`); not imported, as the connection imports nothing from here
Connection = Any

SWEEPS = 4                # sweeps per interval
PING_AFTER = 4            # silent sweeps (a quarter interval each) before a ping: the interval
DROP_AFTER = 6            # silent sweeps before the socket is dropped: half an interval after the ping
SLICE = 500               # sockets swept per event-loop callback


class Heartbeat:
    """Every authenticated-or-not socket of the server while its handler runs."""

    def __init__(self, interval: float | None):
        self.every = interval / SWEEPS if interval else None   # no heartbeat: sockets are never pinged
        self.conns: set[Connection] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._slice: asyncio.Handle | None = None  # the sweep's next slice, queued

    def add(self, conn: Connection) -> None:
        if self.every is None:
            return
        self.conns.add(conn)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.every, self._sweep)

    def discard(self, conn: Connection) -> None:
        self.conns.discard(conn)
        if not self.conns and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._slice is not None:
            self._slice.cancel()
            self._slice = None

    def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.every, self._sweep)
        if self._slice is not None:  # the last sweep is not done (a loop late by a quarter interval)
            self._slice.cancel()
        self._sweep_slice(list(self.conns), 0)

    def _sweep_slice(self, conns: list[Connection], start: int) -> None:
        end = start + SLICE
        self._slice = asyncio.get_running_loop().call_soon(self._sweep_slice, conns, end) if end < len(conns) else None
        alive = self.conns
        for conn in conns[start:end]:
            if conn not in alive:  # closed since the sweep began
                continue
            heard = conn.heard
            if heard != conn.heard_at_sweep:
                conn.heard_at_sweep, conn.silent = heard, 0
                continue
            conn.silent += 1
            if conn.silent == PING_AFTER:
                conn.ping()
            elif conn.silent >= DROP_AFTER:
                conn.drop_dead()
