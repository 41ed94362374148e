"""A session's snapshot at a round's end, in one process: the server's part of it (`server`
column: `dumps(session.to_dict())`) encoded whole, against server/snapshot_text.py, which
encodes only the history entries appended since the previous snapshot.

    python benchmarks/snapshot.py [--copies 250] [--rounds 6] [--repeat 3]

A class of the `classic` scenario with `copies` copies (500 firms, 1,000 players at 250)
is played on the pure layer (benchmarks/views.py's class) to round `rounds` - 2, its
snapshot taken; after each of the next two rounds both are timed in CPU time (the process's: less disturbed by other processes on a shared machine
than the wall clock), best of `repeat`. One JSON line per round.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cpu(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        c0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - c0)
    return best, out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=250)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    from benchmarks.views import _session
    from server.snapshot_text import SnapshotText
    from server.store import dumps
    s, close_round = _session(a.copies, a.rounds - 2)   # (the class has rounds + 1 rounds)
    text = SnapshotText()
    text.server(s)   # the snapshot of round `rounds` - 2; then the last two rounds are timed
    for _ in range(2):
        close_round()
        whole, expected = _cpu(lambda: dumps(s.to_dict()), a.repeat)
        c0 = time.process_time()
        got = text.server(s)   # once: the next call would find nothing new
        grown = time.process_time() - c0
        again, _ = _cpu(lambda: text.server(s), a.repeat)
        assert got == expected
        print(json.dumps({"round": s.state.round, "firms": len(s.state.firms), "bytes": len(expected),
                          "whole_cpu_ms": round(whole * 1000, 1), "grown_cpu_ms": round(grown * 1000, 1),
                          "nothing_new_cpu_ms": round(again * 1000, 1), "load": os.getloadavg()[0]}), flush=True)


if __name__ == "__main__":
    main()
