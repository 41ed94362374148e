"""The server (`run.py`) with a recorder of the event loop's long items: every callback or
task step that takes more than `LONG_ITEM_MS` (3 ms unless set) of the loop thread's CPU is
counted by what it was, and the loop's busy time is summed, shown in `/metrics` as
`bench_long_*` lines. `load.py paced` reports them for its run's window
(`server_long_items`: per kind, items, their CPU ms and ms per second of the window, and wall
ms). CPU, not the clock, decides what is long: on a shared machine an item's wall time is
mostly the other processes' (`wall`: the items long on the clock, whatever the reason).
Timing costs CPU (~1-2 µs per callback and per tagged call): read kinds and shares from
this run, the CPU per command from runs without it.

    LOAD_SERVER_SCRIPT=$PWD/benchmarks/server_long_items.py python benchmarks/load.py paced --players 5000 --active 2000 --seconds 30 --workers 3
    LOAD_SERVER_ROOT=<another checkout> LOAD_SERVER_SCRIPT=$PWD/benchmarks/server_long_items.py python benchmarks/load.py paced ...

What an item was: the functions below are tagged, and an item's CPU is split between the
tags by *exclusive* time (a tag's own CPU minus the tags it called); the item's kind is its
largest share, `other:<callback>` when the untagged rest is larger (the callback's or the
task's coroutine name). Tags: the engine (`resolve_round`), log rows (`SessionActor._log`:
the row's JSON), a command in the actor (by type), a round's view chunk, the phase views, a
snapshot, delivery (`deliver`: the frames' encoding and `put`), socket writes
(`Connection.flush`), the store hand-off, a frame's decoding and check, the heartbeat
sweep, a player joining or a socket connecting to its session, the status push, and the
collector's passes on the loop (`gc.callbacks`, per generation). Every collector pass is
also counted with its CPU and the objects it freed (`gcpass_gen<N>`); a pass in the writer
thread is counted apart (`gc_in_writer`: it holds the GIL while the loop waits).

`LONG_ITEMS_OUT=<file>`: every long item (start time, wall and CPU ms, kind, its three
largest tags) is also written there as JSON at each `/metrics` read, for a timeline.
"""
from __future__ import annotations

import asyncio
import asyncio.events
import gc
import json
import os
import sys
import threading
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.getcwd())  # the server's checkout (load.py starts it there)

LONG = float(os.environ.get("LONG_ITEM_MS", "3")) / 1000
OUT = os.environ.get("LONG_ITEMS_OUT")

COUNTS: Counter = Counter()          # bench_long_* metrics
ITEMS: list = []                     # every long item, for LONG_ITEMS_OUT
_parts: dict = defaultdict(float)    # the current item's exclusive seconds per tag
_stack: list = []                    # the tagged calls running: their children's seconds
_in_item = False
_loop_thread = None
pc, cpu = time.perf_counter, time.thread_time


def _add_child(dt: float) -> None:
    if _stack:
        _stack[-1] += dt


def tag(owner, name: str, kind) -> None:
    """Time `owner.name` as `kind` (a string, or a function of the call's arguments)."""
    original = getattr(owner, name)

    def wrapper(*args, **kw):
        if not _in_item:
            return original(*args, **kw)
        t0 = cpu()
        _stack.append(0.0)
        try:
            return original(*args, **kw)
        finally:
            dt = cpu() - t0
            _parts[kind if isinstance(kind, str) else kind(args)] += dt - _stack.pop()
            _add_child(dt)
    setattr(owner, name, wrapper)


_gc_started = 0.0


def _gc(phase: str, info: dict) -> None:
    global _gc_started
    if phase == "start":
        _gc_started = cpu()
        return
    dt, g = cpu() - _gc_started, info["generation"]
    COUNTS[f"bench_long_gcpass_gen{g}_n"] += 1
    COUNTS[f"bench_long_gcpass_gen{g}_cpu_us"] += int(dt * 1e6)
    COUNTS[f"bench_long_gcpass_gen{g}_collected"] += info.get("collected", 0)
    if dt >= LONG:
        COUNTS[f"bench_long_gcpass_gen{g}_over_long_n"] += 1
    if threading.get_ident() != _loop_thread:
        COUNTS[f"bench_long_gc_in_writer_gen{g}_n"] += 1
        COUNTS[f"bench_long_gc_in_writer_gen{g}_us"] += int(dt * 1e6)
        return
    if _in_item:
        _parts[f"gc_gen{g}"] += dt
        _add_child(dt)


def _label(cb) -> str:
    owner = getattr(cb, "__self__", None)
    if isinstance(owner, asyncio.Task):
        name = owner.get_name()
        if name.startswith("session-"):
            return "session_task"
        coro = owner.get_coro()
        return getattr(coro, "__qualname__", name)
    return getattr(cb, "__qualname__", type(cb).__name__)


def install() -> None:
    global _loop_thread
    _loop_thread = threading.get_ident()
    run = asyncio.events.Handle._run

    def timed_run(self):
        global _in_item
        _parts.clear()
        _stack.clear()
        _in_item = True
        t0, c0 = pc(), cpu()
        try:
            return run(self)
        finally:
            _in_item = False
            wall, used = pc() - t0, cpu() - c0
            COUNTS["bench_long_busy_us"] += int(wall * 1e6)
            COUNTS["bench_long_busy_cpu_us"] += int(used * 1e6)
            COUNTS["bench_long_callbacks_n"] += 1
            if wall >= LONG:  # long on the clock, whatever the reason (a core or the GIL elsewhere)
                COUNTS["bench_long_wall_n"] += 1
                COUNTS["bench_long_wall_us"] += int(wall * 1e6)
                COUNTS["bench_long_wall_cpu_us"] += int(used * 1e6)
            if used >= LONG:  # long in the loop thread's own CPU: the work itself
                _record(self, t0, wall, used)
    asyncio.events.Handle._run = timed_run
    gc.callbacks.append(_gc)

    import importlib
    evolve = importlib.import_module("game_rules.session.evolve")
    rounds = importlib.import_module("game_rules.session.rounds")
    from server import connection, fanout, heartbeat, protocol, session_actor
    from server.store import sqlite
    A, Fo = session_actor.SessionActor, fanout.Fanout
    tag(evolve, "resolve_round", "engine")
    tag(rounds, "resolve_round", "engine")
    tag(A, "_log", "log_rows")
    tag(A, "command", lambda a: "command_" + a[2].type)
    tag(A, "_snapshot", "snapshot")
    tag(A, "join", "join")
    tag(A, "connect", "connect")
    tag(A, "disconnect", "disconnect")
    tag(Fo, "_round_views_chunk", "round_view_chunk")
    tag(Fo, "_round_views", "round_views_start")
    tag(Fo, "views", "phase_views")
    tag(Fo, "team", "team_push")
    tag(Fo, "_send_status", "status_push")
    tag(Fo, "greet", "greet")
    tag(session_actor, "deliver", "deliver")
    tag(connection.Connection, "flush", "socket_writes")
    tag(sqlite.SqliteStore, "write", "store_handoff")
    tag(protocol, "decode_frame", "decode_frame")
    tag(protocol, "parse_client_message", "parse_message")
    tag(heartbeat.Heartbeat, "_sweep", "heartbeat_sweep")
    if hasattr(heartbeat.Heartbeat, "_sweep_slice"):  # a sweep in slices (after 85a1ecb)
        tag(heartbeat.Heartbeat, "_sweep_slice", "heartbeat_sweep")
    if hasattr(session_actor, "run_batch"):
        tag(session_actor, "run_batch", "actor_batch")

    from server import gctune
    metrics = gctune.GcPauses.metrics

    def with_counts(self):
        if OUT:
            with open(OUT, "w") as f:
                json.dump({"read_at": pc(), "long_ms": LONG * 1000, "items": ITEMS}, f)
        return metrics(self) + [f"{k} {v}" for k, v in sorted(COUNTS.items())]
    gctune.GcPauses.metrics = with_counts


def _record(handle, t0: float, wall: float, thread_cpu: float) -> None:
    parts = sorted(_parts.items(), key=lambda kv: -kv[1])
    tagged = sum(v for _, v in parts)
    top = parts[0] if parts else ("", 0.0)
    untagged = thread_cpu - tagged
    kind = top[0] if top[1] >= untagged else "other:" + _label(handle._callback)
    COUNTS[f"bench_long_{kind}_n"] += 1
    COUNTS[f"bench_long_{kind}_us"] += int(wall * 1e6)
    COUNTS[f"bench_long_{kind}_cpu_us"] += int(thread_cpu * 1e6)
    COUNTS["bench_long_all_n"] += 1
    COUNTS["bench_long_all_us"] += int(wall * 1e6)
    COUNTS["bench_long_all_cpu_us"] += int(thread_cpu * 1e6)
    for k, v in parts:  # every tag's share of the long items, whatever their kind
        COUNTS[f"bench_long_share_{k}_us"] += int(v * 1e6)
    COUNTS["bench_long_share_untagged_us"] += int(max(0.0, untagged) * 1e6)
    for lim in (5, 10, 20, 50):
        if thread_cpu >= lim / 1000:
            COUNTS[f"bench_long_over_{lim}ms_n"] += 1
    if OUT:
        ITEMS.append((round(t0, 4), round(wall * 1000, 2), round(thread_cpu * 1000, 2), kind,
                      [(k, round(v * 1000, 2)) for k, v in parts[:3]]))


if __name__ == "__main__":
    install()
    from clients.python.launcher import main
    sys.exit(main())
