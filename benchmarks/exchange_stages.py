"""Where the microseconds of one durable exchange go: the server of `load.py exchange` (one
chat line in flight per client, logged, pushed to the firm of two, acknowledged after the
commit) with a stopwatch (the event loop thread's CPU time, `time.thread_time_ns`) around each stage of a command's path.

    python benchmarks/exchange_stages.py --clients 100 --messages 40 --out benchmarks/results/NAME.json
    python benchmarks/exchange_stages.py --bare --before <base unpacked> --repeat 3 --out benchmarks/results/NAME.json

`--bare` leaves the stopwatches off (they cost ~2 µs a call): only the server's CPU per
command and the garbage collector's passes, the figures to compare two checkouts by.

The stopwatches are put on by THIS script in the server's process (it is started as
`LOAD_SERVER_SCRIPT`, then runs the ordinary server): nothing of it is in the product. Each
wraps a function of the path and adds its own time to a counter; the counters are read
just before and just after the exchange (SIGUSR1 makes the server write them), so setup
is not counted. Reported per command (microseconds): each stage, and the server process's
whole CPU time per command (from /proc, both threads) for what the stages leave out (the
event loop's own work, the socket handler's task switches, aiohttp's frame reader).

The stages (a `>` marks one measured inside the previous top-level stage):

- socket read: asyncio's `_read_ready__data_received` (the `recv` and aiohttp's frame
  parser feeding the socket's queue);
- decode: `decode_frame` (msgpack, size/depth/value checks); validation:
  `parse_client_message` (pydantic);
- actor: `SessionActor.command` (idempotency lookup, the command's log row, decide and
  evolve, the fan-out's messages, the ack and its JSON); inside it the log rows
  (`_log`: the row and its JSON), `commands.play` (decide, evolve, notes), JSON dumps;
- hand-off: `_end_of_item` (the rows handed to the writer thread, the delivery callback);
- commit: the writer thread's `_commit` (wall and the thread's CPU; rows per commit);
- resolve: the futures set on the event loop when a commit is done;
- deliver: `deliver` (the ack and pushes encoded: `Connection.send`; written:
  `Connection.flush`, WebSocket framing and `transport.write`).
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROFILE_ENV = "EXCHANGE_STAGES_CPROFILE"  # also write a cProfile of the exchange here
STAGES_ENV = "EXCHANGE_STAGES_OUT"  # the server writes its counters to <this>.<n>.json on SIGUSR1
BARE_ENV = "EXCHANGE_STAGES_BARE"  # no stopwatches: only the process's CPU and the collector (--bare)

# (label, module, attribute path) of every stopwatch; the order is the table's
STAGES = [
    ("socket read (recv + aiohttp frame parser)", "asyncio.selector_events", "_SelectorSocketTransport._read_ready__data_received"),
    ("decode (msgpack + value checks)", "server.protocol", "decode_frame"),
    ("validation (pydantic message)", "server.protocol", "parse_client_message"),
    ("actor: SessionActor.command", "server.session_actor", "SessionActor.command"),
    ("> log rows (_log: row + JSON of data)", "server.session_actor", "SessionActor._log"),
    ("> decide + evolve + notes (commands.play)", "game_rules.session.commands", "play"),
    ("> JSON dumps in the actor (data, reply)", "server.session_actor", "dumps"),
    ("hand-off to the writer (_end_of_item)", "server.session_actor", "SessionActor._end_of_item"),
    ("commit: writer thread _commit (wall)", "server.store.sqlite", "SqliteStore._commit"),
    ("resolve commit futures (loop)", "server.store.sqlite", "_resolve_all"),
    ("deliver (after the commit)", "server.session_actor", "deliver"),
    ("> encode ack + pushes (Connection.put, or send before it existed)", "server.connection", "Connection.put|Connection.send"),
    ("> frame + transport.write (Connection.flush)", "server.connection", "Connection.flush"),
]


# ---- in the server's process ---------------------------------------------------------------

def _install() -> dict:
    """Wrap every stage's function; a stage's figure is the CPU time of the event loop's
    thread inside it (`thread_time_ns`: not the time the machine's other work took the core)."""
    import importlib
    clock = time.thread_time_ns
    counters: dict[str, list[int]] = {label: [0, 0] for label, _, _ in STAGES}
    counters["commit: writer thread CPU"] = [0, 0]
    counters["commit: rows"] = [0, 0]
    for label, modname, path in STAGES:
        mod = importlib.import_module(modname)
        for path in path.split("|"):  # the first of the alternatives this checkout has
            owner, name = (mod, path) if "." not in path else (getattr(mod, path.split(".")[0]), path.split(".")[1])
            if hasattr(owner, name):
                break
        fn = getattr(owner, name)
        c = counters[label]
        if label.startswith("commit:"):
            cpu, rows = counters["commit: writer thread CPU"], counters["commit: rows"]

            @functools.wraps(fn)
            def timed(*a, _fn=fn, _c=c, _cpu=cpu, _rows=rows):
                t, u = time.perf_counter_ns(), time.thread_time_ns()
                try:
                    return _fn(*a)
                finally:
                    _c[0] += time.perf_counter_ns() - t
                    _c[1] += 1
                    _cpu[0] += time.thread_time_ns() - u
                    _cpu[1] += 1
                    _rows[0] += sum(len(ops) for ops, _ in a[-1])
                    _rows[1] += 1
        else:
            @functools.wraps(fn)
            def timed(*a, _fn=fn, _c=c, **k):
                t = clock()
                try:
                    return _fn(*a, **k)
                finally:
                    _c[0] += clock() - t
                    _c[1] += 1
        setattr(owner, name, timed)
    # what one stopwatch costs (two clock reads and the bookkeeping), to read the figures by
    counters["stopwatch cost per call"] = [_stopwatch_cost(clock), 1]
    return counters


def _gc_timer() -> dict:
    """The garbage collector's passes on the event loop: per generation, [passes, ns of the
    thread's CPU, objects collected] (`gc.callbacks`)."""
    import gc
    by_gen = {0: [0, 0, 0], 1: [0, 0, 0], 2: [0, 0, 0]}
    started = [0]

    def timer(phase, info):
        if phase == "start":
            started[0] = time.thread_time_ns()
        else:
            g = by_gen[info["generation"]]
            g[0] += 1
            g[1] += time.thread_time_ns() - started[0]
            g[2] += info["collected"]
    gc.callbacks.append(timer)
    return by_gen


def _stopwatch_cost(clock, n: int = 20000) -> int:
    c = [0, 0]

    def noop():
        return None

    def timed(_c=c):
        t = clock()
        try:
            return noop()
        finally:
            _c[0] += clock() - t
            _c[1] += 1
    t0 = clock()
    for _ in range(n):
        noop()
    t1 = clock()
    for _ in range(n):
        timed()
    t2 = clock()
    return ((t2 - t1) - (t1 - t0)) // n


def _serve() -> None:
    # the server's checkout is the working folder (`LOAD_SERVER_ROOT` runs another one's)
    sys.path.insert(0, os.getcwd())
    counters = {} if os.environ.get(BARE_ENV) else _install()
    gc_time = _gc_timer()
    out, n = os.environ[STAGES_ENV], [0]

    prof = None
    if os.environ.get(PROFILE_ENV):  # --cprofile: the event loop's thread between the two snapshots
        import cProfile
        prof = cProfile.Profile()

    def dump(*_):
        n[0] += 1
        if prof is not None:
            if n[0] == 1:
                prof.enable()
            else:
                prof.disable()
                prof.dump_stats(os.environ[PROFILE_ENV])
        # (the process's CPU, every thread, to the nanosecond: /proc's clock ticks of 10 ms read
        # 0 for a short run on a fast machine)
        cpu = time.process_time()
        data = {"counters": counters, "process_cpu_s": cpu, "threads": threading.active_count(), "gc": gc_time}
        tmp = f"{out}.{n[0]}.tmp"
        Path(tmp).write_text(json.dumps(data))
        os.replace(tmp, f"{out}.{n[0]}.json")
    signal.signal(signal.SIGUSR1, dump)
    from clients.python.launcher import main
    sys.exit(main())


# ---- the benchmark ---------------------------------------------------------------------------

sys.path.insert(0, str(HERE))


async def _snapshot(srv, out: str, n: int) -> dict:
    os.kill(srv.pid, signal.SIGUSR1)
    path = Path(f"{out}.{n}.json")
    t0 = time.time()
    while not path.exists():  # the server writes it from its signal handler
        if time.time() - t0 > 30:
            raise RuntimeError("the server did not write its stage counters")
        await asyncio.sleep(0.02)
    return json.loads(path.read_text())


async def run(clients: int, messages: int, workers: int, sync: str, cprofile: str | None = None,
              root: str | None = None, bare: bool = False) -> dict:
    import load
    if bare:
        os.environ[BARE_ENV] = "1"
    if cprofile:
        os.environ[PROFILE_ENV] = str(Path(cprofile).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/stages"
        os.environ[STAGES_ENV] = out
        os.environ["LOAD_SERVER_SCRIPT"] = str(Path(__file__).resolve())
        if root:
            os.environ["LOAD_SERVER_ROOT"] = root
        srv = load.ServerProcess(f"{tmp}/x.db", sync).start()
        try:
            specs, _ = await load.setup_players(srv.url, clients, max(clients, 4), 0)
            ws_url = srv.url.replace("http", "ws", 1) + "/ws"
            w = load.Workers(specs, ws_url, workers, "exchange", {"messages": messages, "drain": 10.0})
            try:
                before = await _snapshot(srv, out, 1)
                start = load.now() + 0.5
                parts = await w.aask({"cmd": "exchange", "start": start})
                wall = load.now() - start
                after = await _snapshot(srv, out, 2)
            finally:
                w.close()
        finally:
            srv.stop()
            del os.environ[STAGES_ENV], os.environ["LOAD_SERVER_SCRIPT"]
            os.environ.pop(PROFILE_ENV, None)
            os.environ.pop(BARE_ENV, None)
            os.environ.pop("LOAD_SERVER_ROOT", None)
    r = load._combine(parts)
    commands = r["acked"]
    per = lambda ns: round(ns / 1000 / max(1, commands), 2)  # noqa: E731  µs per command
    stages = []
    for label, (ns, calls) in after["counters"].items():
        b_ns, b_calls = before["counters"][label]
        d_ns, d_calls = ns - b_ns, calls - b_calls
        if label == "stopwatch cost per call":
            stages.append({"stage": "stopwatch cost per call (ns, included in the figures)", "value": ns})
            continue
        if label == "commit: rows":
            stages.append({"stage": "commit: rows per commit", "value": round(d_ns / max(1, d_calls), 1)})
        else:
            stages.append({"stage": label, "us_per_command": per(d_ns), "calls_per_command": round(d_calls / max(1, commands), 3)})
    cpu = after["process_cpu_s"] - before["process_cpu_s"]
    top = [s for s in stages if "us_per_command" in s and not s["stage"].startswith(">")
           and s["stage"] != "commit: writer thread _commit (wall)"]
    return {"clients": clients, "messages_each": messages, "commands": commands, "errors": r["errors"],
            "lost": r["lost"], "wall_s": round(wall, 3), "messages_per_s": round(commands / wall, 1),
            "server_cpu_us_per_command": round(cpu * 1e6 / max(1, commands), 1),
            "measured_top_level_us_per_command": round(sum(s["us_per_command"] for s in top), 1),
            "stages": stages, "gc": _gc_delta(before, after, commands)}


def _gc_delta(before: dict, after: dict, commands: int) -> dict:
    """The collector's passes during the exchange: per generation, passes and µs per command."""
    out = {}
    for g, (n, ns, collected) in after.get("gc", {}).items():
        b = before["gc"][g]
        out[f"gen{g}"] = {"passes": n - b[0], "us_per_command": round((ns - b[1]) / 1000 / max(1, commands), 2),
                          "collected": collected - b[2]}
    return out


def ab_table(runs: dict[str, list[dict]]) -> str:
    """Stage by stage, the median µs per command of each server over its runs (range)."""
    import statistics
    labels = list(runs)
    head = "| stage | " + " | ".join(f"{k}: µs per command, median (range)" for k in labels) + " |"
    lines = [head, "|---" * (len(labels) + 1) + "|"]
    names = [s["stage"] for s in runs[labels[0]][0]["stages"]]  # none with --bare

    def cell(vals):
        return f"{statistics.median(vals):g} ({min(vals):g}–{max(vals):g})"
    for name in names:
        cols = []
        for k in labels:
            vals = [next(x for x in r["stages"] if x["stage"] == name) for r in runs[k]]
            cols.append(cell([v.get("us_per_command", v.get("value")) for v in vals]))
        lines.append(f"| {name} | " + " | ".join(cols) + " |")
    for key, name in (("server_cpu_us_per_command", "the server process's CPU (both threads)"),
                      ("messages_per_s", "messages/s (stopwatches on)")):
        lines.append(f"| {name} | " + " | ".join(cell([r[key] for r in runs[k]]) for k in labels) + " |")
    gc_us = lambda r: sum(g["us_per_command"] for g in r.get("gc", {}).values())  # noqa: E731
    lines.append("| garbage collector on the loop (µs per command) | "
                 + " | ".join(cell([gc_us(r) for r in runs[k]]) for k in labels) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    if os.environ.get(STAGES_ENV) and sys.argv[1:2] == ["--port"]:
        _serve()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--messages", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sync", choices=["full", "normal"], default="full")
    ap.add_argument("--before", help="also run this other checkout's server (alternated with this one's)")
    ap.add_argument("--after", help="the checkout compared with --before (default: this one)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out")
    ap.add_argument("--bare", action="store_true",
                    help="no stopwatches (each costs ~2 µs a call, ~25 calls per command): only the server "
                         "process's CPU per command and the collector's passes, the figures to compare checkouts by")
    ap.add_argument("--cprofile", help="also write a cProfile of the server's event loop during the exchange here "
                                       "(pstats; slows the server: its figures are not the stage table's)")
    a = ap.parse_args()
    sys.path.insert(0, str(HERE))
    import load  # noqa: E402
    servers = [("before", a.before), ("after", a.after)] if a.before else [("this", a.after)]
    runs: dict[str, list[dict]] = {k: [] for k, _ in servers}
    for rep in range(a.repeat):
        for k, root in (servers if rep % 2 == 0 else servers[::-1]):
            runs[k].append(asyncio.run(run(a.clients, a.messages, a.workers, a.sync, a.cprofile, root, a.bare)))
    res = {"machine": load.machine(), "servers": {k: os.path.basename(os.path.normpath(r)) if r else "." for k, r in servers},
           "runs": runs}  # (folders by name: no machine path in a results file)
    print(ab_table(runs))
    load.save(res, a.out)
