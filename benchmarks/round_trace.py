"""Where a round's end goes inside the server: the server under test with timing marks.

    # run the server with marks (the load generator starts it; any commit's tree works):
    ROUND_TRACE=/tmp/t.jsonl LOAD_SERVER_SCRIPT=$PWD/benchmarks/round_trace.py \\
        [LOAD_SERVER_ROOT=<a checkout>] python benchmarks/load.py fanout --players 1000 --rounds 5 --deltas
    # then, per round: what the server did after the round's closing item
    python benchmarks/round_trace.py --summary /tmp/t.jsonl

As the server (`LOAD_SERVER_SCRIPT`, run in the server's folder) it wraps, without
changing them: the actor's batches (server/mailbox.py `run_batch`: wall and CPU time of
the event loop's thread, the first item's name), deliveries (server/fanout.py `deliver`),
the store's commits (hand-off to durable), snapshots, the garbage collector's passes of
generations 1 and 2, and every socket write (`Connection.flush` with frames: one
`transport.write`). One JSON line per mark.

`--summary` finds each round's closing batch (the one whose delivery carried the
`round_result`s) and sums, up to the last `round_delta` or view delivery of the new round:
the closing item's CPU, the CPU of the view chunks, the deliveries' CPU (with the socket
writes: `Unwritten.write` where the server has it), the socket writes (and frames), the
garbage collector's pauses, when the last views were handed to the sockets, and the
snapshot that followed. CPU time and write counts depend on
the machine's load much less than the latencies `load.py` reports.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time


def _install(out) -> None:
    import gc

    import server.connection as conn_mod
    import server.fanout as fo
    import server.mailbox as mb
    import server.session_actor as sa
    import server.store.sqlite as sq

    def mark(kind, t0, c0, **kw):
        out.write(json.dumps({"k": kind, "t": t0, "dur": time.perf_counter() - t0,
                              "cpu": time.thread_time() - c0, **kw}) + "\n")

    run_batch = mb.run_batch

    def traced_batch(actor, item, budget=None):
        t0, c0 = time.perf_counter(), time.thread_time()
        name = getattr(item[0], "__name__", str(item[0]))
        if name == "_call" and len(item) > 2:
            name = getattr(item[2], "__name__", name)
        stop = run_batch(actor, item, budget)
        mark("batch", t0, c0, first=name)
        return stop
    sa.run_batch = traced_batch

    deliver = fo.deliver

    def traced_deliver(out_, after, *rest):
        t0, c0 = time.perf_counter(), time.thread_time()
        types: dict[str, int] = {}
        for _, m in out_:
            t = m.get("type")
            types[t] = types.get(t, 0) + 1
        deliver(out_, after, *rest)
        mark("deliver", t0, c0, n=len(out_), types=types)
    sa.deliver = traced_deliver

    if hasattr(fo, "Unwritten"):   # deliveries written together at the end of a turn of the loop
        written = fo.Unwritten.write

        def traced_written(self):
            t0, c0 = time.perf_counter(), time.thread_time()
            n = len(self.conns)
            written(self)
            if n:
                mark("deliver", t0, c0, n=0, types={}, written=n)
        fo.Unwritten.write = traced_written

    snapshot = sa.SessionActor._snapshot

    def traced_snapshot(self):
        t0, c0 = time.perf_counter(), time.thread_time()
        snapshot(self)
        mark("snapshot", t0, c0)
    sa.SessionActor._snapshot = traced_snapshot

    flush = conn_mod.Connection.flush

    def traced_flush(self):
        n = len(self._batch)
        flush(self)
        if n:
            out.write(json.dumps({"k": "write", "t": time.perf_counter(), "frames": n}) + "\n")
    conn_mod.Connection.flush = traced_flush

    write = sq.SqliteStore.write

    def traced_write(self, ops):
        t0, n = time.perf_counter(), len(ops)
        fut = write(self, ops)
        fut.add_done_callback(lambda _: out.write(json.dumps(
            {"k": "commit", "t": t0, "dur": time.perf_counter() - t0, "n": n}) + "\n"))
        return fut
    sq.SqliteStore.write = traced_write

    started: dict = {}

    def gc_pass(phase, info):
        if phase == "start":
            started["t"] = (time.perf_counter(), time.thread_time())
        elif "t" in started and info["generation"] >= 1:
            t0, c0 = started.pop("t")
            mark("gc", t0, c0, gen=info["generation"])
    gc.callbacks.append(gc_pass)


def summary(path: str) -> dict:
    rows = sorted((json.loads(x) for x in open(path)), key=lambda r: r["t"])
    batches = [i for i, r in enumerate(rows) if r["k"] == "batch"]
    # a round's views start with a `_round_views` item, posted by the item that closed the round
    closes = [max(b for b in batches if b < i) for i in batches
              if rows[i]["first"] == "_round_views" and any(b < i for b in batches)]
    rounds = []
    for n, c in enumerate(closes):
        close = rows[c]
        span = rows[c:closes[n + 1] if n + 1 < len(closes) else len(rows)]
        if not any(r["k"] == "deliver" and r["types"].get("round_result") for r in span):
            continue   # views after something else (the session's start)
        chunks = [r for r in span if r["k"] == "batch" and r["first"].startswith("_round_views")]
        # the views' chunks run back to back (each posts the next); the round's views end with the last
        ends = [i for i, r in enumerate(span) if r["k"] == "batch" and r["first"].startswith("_round_views")]
        last_chunk = span[ends[-1]]
        views = [r for r in span if r["k"] == "deliver" and r["t"] >= last_chunk["t"]
                 and (r["types"].get("round_delta") or r["types"].get("view") or r.get("written"))]
        if len(views) > 1 and views[1].get("written") and not views[0].get("written"):
            views = views[1:]   # the last chunk's delivery, then its writes
        last = views[0]["t"] + views[0]["dur"] if views else last_chunk["t"]
        # the chunks built while the round was committed are delivered after it, in order: the
        # new round's last view is the delivery that brings the views to as many sockets as got
        # the results (each socket gets one; counted from the results' delivery on)
        got, want = -1, next((r["types"]["round_result"] for r in span if r["k"] == "deliver" and r["types"].get("round_result")), 0)
        for r in span:
            if r["k"] == "deliver" and r["types"].get("round_result") and got < 0:
                got = 0
            if r["k"] == "deliver" and 0 <= got < want:
                got += r["types"].get("round_delta", 0) + r["types"].get("view", 0)
                if got >= want:
                    last = max(last, r["t"] + r["dur"])
        upto = [r for r in span if r["t"] <= last]
        writes = [r for r in span if r["k"] == "write" and r["t"] <= last + 0.5]
        snaps = [r for r in span if r["k"] == "snapshot"]
        commit = next((r for r in span if r["k"] == "commit" and r["n"] > 100), None)
        landed = commit["t"] + commit["dur"] if commit else None
        results = next((r for r in span if r["k"] == "deliver" and r["types"].get("round_result")), None)
        rounds.append({
            "closing_item_cpu_ms": round(close["cpu"] * 1000, 1),
            "round_commit_ms": round(commit["dur"] * 1000, 1) if commit else None,
            "view_chunks": len(chunks),
            "view_chunks_cpu_ms": round(1000 * sum(r["cpu"] for r in chunks), 1),
            # the messages handed to the sockets and their writes (`Unwritten.write` where it exists)
            "deliveries_cpu_ms": round(1000 * sum(r["cpu"] for r in upto if r["k"] == "deliver"), 1),
            "socket_writes": len(writes), "frames": sum(r["frames"] for r in writes),
            "gc_ms": round(1000 * sum(r["dur"] for r in upto if r["k"] == "gc"), 1),
            "last_views_delivered_ms": round((last - close["t"]) * 1000, 1),
            # from the round's commit landing: the results' delivery written (its last socket
            # is the closer's, the load generator's ack), and the new round's last view written
            "results_after_commit_ms": round(1000 * (results["t"] + results["dur"] - landed), 1) if results else None,
            "views_after_commit_ms": round(1000 * (last - landed), 1) if commit else None,
            "snapshot_cpu_ms": round(snaps[0]["cpu"] * 1000, 1) if snaps else None,
        })
    keys = rounds[0].keys() if rounds else ()
    med = {k: statistics.median(r[k] for r in rounds if r[k] is not None) for k in keys
           if any(r[k] is not None for r in rounds)}
    return {"rounds": rounds, "median": med}


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--summary":
        print(json.dumps(summary(sys.argv[2]), indent=1))
        sys.exit(0)
    sys.path.insert(0, os.getcwd())   # the server under test (LOAD_SERVER_ROOT) is the current folder
    _install(open(os.environ["ROUND_TRACE"], "a", buffering=1))
    sys.argv[0] = "run.py"
    from clients.python.launcher import main
    sys.exit(main())
