"""The server (`run.py`) with counters of what its event loop does, shown in `/metrics` as
`bench_*` lines: `load.py paced` reports them for its run's window (`server_counts`, per
command). Counting costs CPU: read the counts from this run, the CPU per command from runs
without it.

    LOAD_SERVER_SCRIPT=$PWD/benchmarks/server_counts.py python benchmarks/load.py paced --players 5000 --active 2000 --seconds 30 --workers 3
    LOAD_SERVER_ROOT=<another checkout> LOAD_SERVER_SCRIPT=$PWD/benchmarks/server_counts.py python benchmarks/load.py paced ...

Counted: event-loop iterations (`select` calls) and the events they returned, callbacks run
(`Handle._run`, task steps included), socket reads and writes (`transport.write` calls and
bytes), frames queued to sockets (`Connection.put`/`send`), actor batches, store hand-offs,
wake-ups from other threads (`call_soon_threadsafe`); and the CPU (thread time, µs) of a
command in the actor by type (`cpu_command_<type>_us` / `_n`), of deliveries, of a frame's
decoding and its message's check in the socket handler. It runs from the server's checkout
(the current folder), so the same counters apply to any commit.
"""
from __future__ import annotations

import asyncio
import asyncio.events
import asyncio.selector_events
import os
import selectors
import sys
import time
from collections import Counter

sys.path.insert(0, os.getcwd())  # the server's checkout (load.py starts it there)

COUNTS: Counter = Counter()


def _counting(owner, name: str, key: str, size=None) -> None:
    original = getattr(owner, name)

    def wrapper(*args, **kw):
        COUNTS[key] += 1
        if size is not None:
            COUNTS[key + "_bytes"] += size(args)
        return original(*args, **kw)
    setattr(owner, name, wrapper)


def install() -> None:
    select = selectors.EpollSelector.select

    def counted_select(self, timeout=None):
        ready = select(self, timeout)
        COUNTS["bench_loop_iterations"] += 1
        COUNTS["bench_loop_events"] += len(ready)
        return ready
    selectors.EpollSelector.select = counted_select
    _counting(asyncio.events.Handle, "_run", "bench_callbacks")
    T = asyncio.selector_events._SelectorSocketTransport
    _counting(T, "write", "bench_socket_writes", size=lambda a: len(a[1]))
    _counting(T, "_read_ready", "bench_socket_reads")
    _counting(asyncio.BaseEventLoop, "call_soon_threadsafe", "bench_thread_wakeups")

    from server import connection, gctune, session_actor
    from server.store import sqlite
    _counting(connection.Connection, "put", "bench_frames_put")
    _counting(connection.Connection, "send", "bench_frames_send")
    _counting(session_actor, "run_batch", "bench_actor_batches")
    _counting(session_actor.SessionActor, "command", "bench_actor_commands")
    _counting(sqlite.SqliteStore, "write", "bench_store_handoffs")

    # CPU (thread time) of the stages: a command in the actor (by type), a delivery, a frame's
    # decoding and checking in the socket handler
    from server import protocol
    cpu = time.thread_time_ns

    def timed(owner, name: str, key) -> None:
        original = getattr(owner, name)

        def wrapper(*args, **kw):
            t0 = cpu()
            try:
                return original(*args, **kw)
            finally:
                k = key(args)
                COUNTS[f"bench_cpu_{k}_n"] += 1
                COUNTS[f"bench_cpu_{k}_us"] += (cpu() - t0) // 1000
        setattr(owner, name, wrapper)
    timed(session_actor.SessionActor, "command", lambda a: "command_" + a[2].type)
    timed(session_actor, "deliver", lambda a: "deliver")
    timed(protocol, "decode_frame", lambda a: "decode_frame")
    timed(protocol, "parse_client_message", lambda a: "parse_message")

    metrics = gctune.GcPauses.metrics

    def with_counts(self):
        return metrics(self) + [f"{k} {v}" for k, v in sorted(COUNTS.items())]
    gctune.GcPauses.metrics = with_counts


if __name__ == "__main__":
    install()
    from clients.python.launcher import main
    sys.exit(main())
