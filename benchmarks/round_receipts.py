"""Where the time after a round's last ack goes, per side: the server's socket writes
(benchmarks/round_trace.py) against each load-generator process's receipts and CPU.

    # the load generator with receipt marks, the server with round_trace's (any tree's server):
    RECEIPTS=/tmp/r ROUND_TRACE=/tmp/r/server.jsonl LOAD_SERVER_SCRIPT=$PWD/benchmarks/round_trace.py \\
        [LOAD_SERVER_ROOT=<a checkout>] python benchmarks/round_receipts.py fanout --players 1000 --rounds 5 --deltas
    python benchmarks/round_receipts.py --summary /tmp/r

As the load generator it is benchmarks/load.py unchanged but for marks: in every process
(the closer's and each generator's) the frames of a round's end (`round_result`, `clock`,
`round_delta` or `view`, `ack`) are marked as they are decoded, with the receipt time
(perf_counter: one clock for every process), the process's CPU time then, the type, the
round, the bytes and the decode's time; and the collector's passes of generations 1 and 2.
Kept in memory, written to RECEIPTS/gen<pid>.jsonl between rounds (the next round's
first `submitted` push) and at the end.

`--summary` gives, per round (from the closer's ack): the server's writes that carried the
round (how many, the first and the last after the ack), and per generator process: its last
complete new round after the ack, its CPU per socket for the round's end (from its first
`round_result` to its last delta) and back to back (between two deltas read in one go), its
pauses over 8 ms (with CPU: its own work, such as a collection; without: it did not run) and
its collections; and the new round after the ack (p50, p95, max) over all its players.
"""
from __future__ import annotations

import gc
import glob
import json
import os
import statistics
import sys
import time

MARKED = {"round_result", "clock", "round_delta", "view", "ack"}
_buf: list = []


def _out() -> str:
    return os.path.join(os.environ["RECEIPTS"], f"gen{os.getpid()}.jsonl")


def _flush() -> None:
    if _buf:
        with open(_out(), "a") as f:
            f.writelines(json.dumps(r) + "\n" for r in _buf)
        _buf.clear()


def _install(load) -> None:
    import msgpack
    pc, tt, unpack = time.perf_counter, time.thread_time, msgpack.unpackb

    class Marked:
        """`load.msgpack`: msgpack, its `unpackb` marking each frame of a round's end."""

        def __getattr__(self, name):
            return getattr(msgpack, name)

        @staticmethod
        def unpackb(data, **kw):
            t, c = pc(), tt()
            m = unpack(data, **kw)
            typ = m.get("type") if isinstance(m, dict) else None
            if typ in MARKED:
                _buf.append((t, c, typ, m.get("round"), len(data), pc() - t))
            elif typ == "submitted":   # the next round has begun: write the last one's marks
                _flush()
            return m
    load.msgpack = Marked()
    worker = load._worker

    async def marked_worker(*args):
        try:
            await worker(*args)
        finally:
            _flush()
    load._worker = marked_worker

    started: dict = {}

    def collection(phase, info):
        if phase == "start":
            started["t"] = (pc(), tt())
        elif "t" in started:
            t0, c0 = started.pop("t")
            if info["generation"] >= 1:
                _buf.append((t0, c0, "gc", info["generation"], info.get("collected"), pc() - t0))
    gc.callbacks.append(collection)


def _pct(xs: list, p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def summary(folder: str) -> dict:
    gens = {os.path.basename(f): [json.loads(x) for x in open(f)] for f in glob.glob(f"{folder}/gen*.jsonl")}
    closer = min(gens, key=lambda k: sum(r[2] == "round_result" for r in gens[k]))  # the main process: one player
    acks = [r[0] for r in gens[closer] if r[2] == "ack"]
    server = f"{folder}/server.jsonl"
    writes = [json.loads(x) for x in open(server)] if os.path.exists(server) else []
    writes = [w for w in writes if w["k"] == "write"]
    rounds = []
    for n, t_ack in enumerate(acks, start=1):
        row = {"round": n, "processes": []}
        news = []
        for name, marks in gens.items():
            if name == closer:
                continue
            res = [r for r in marks if r[2] == "round_result" and r[3] == n]
            new = sorted(r for r in marks if r[2] in ("round_delta", "view") and (r[3] == n + 1 or r[3] is None)
                         and r[0] > t_ack - 0.15 and r[0] < t_ack + 1)
            if not res or not new:
                continue
            news += [max(0.0, r[0] - t_ack) for r in new]
            window = sorted(r for r in marks if min(x[0] for x in res) <= r[0] <= new[-1][0])
            pauses = [(round(1000 * (b[0] - a[0]), 1), round(1000 * (b[1] - a[1]), 1))
                      for a, b in zip(window, window[1:]) if b[0] - a[0] > 0.008]
            back = [b[1] - a[1] for a, b in zip(new, new[1:]) if b[0] - a[0] < 0.0005]
            row["processes"].append({
                "sockets": len(new), "last_ms": round(1000 * (new[-1][0] - t_ack), 1),
                "cpu_us_per_socket": round(1e6 * (new[-1][1] - min(r[1] for r in res)) / len(new), 1),
                "back_to_back_cpu_us_per_socket": round(1e6 * statistics.median(back), 1) if back else None,
                "pauses_wall_cpu_ms": pauses,
                "collections_ms": [(r[3], round(1000 * r[5], 1)) for r in window if r[2] == "gc"],
                "bytes": {t: statistics.median(r[4] for r in marks if r[2] == t and r[3] in (n, n + 1))
                          for t in ("round_result", "clock", "round_delta") if any(r[2] == t for r in marks)}})
        # the server's writes up to the last player's new round (those after it cannot matter)
        w = [x["t"] - t_ack for x in writes if -0.15 < x["t"] - t_ack <= max(news, default=0.3)]
        row.update({"server_writes": len(w), "server_first_write_ms": round(1000 * min(w), 1) if w else None,
                    "server_last_write_ms": round(1000 * max(w), 1) if w else None})
        if news:
            row["new_round_after_ack_ms"] = {"p50": round(1000 * _pct(news, 50), 1), "p95": round(1000 * _pct(news, 95), 1),
                                             "max": round(1000 * max(news), 1)}
        rounds.append(row)
    return {"rounds": rounds}


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--summary":
        for r in summary(sys.argv[2])["rounds"]:
            print(json.dumps(r))
        sys.exit(0)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
if os.environ.get("RECEIPTS"):   # (also in the spawned generator processes, which import this file first)
    import load as _load
    _install(_load)
    if __name__ == "__main__":
        import atexit
        atexit.register(_flush)
        _load.main()
