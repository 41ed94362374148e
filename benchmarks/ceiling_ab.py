"""Before and after against the ceiling, alternated in ONE run: per repeat the bare echo
(benchmarks/ceiling.py), the server of another checkout (`--before`: e.g. an unpacked
`git archive` of the base commit, run as `LOAD_SERVER_ROOT`) and this checkout's server
(or `--after`, another unpacked checkout),
each with the exchange's pattern (`load.py exchange`: one chat line in flight per client,
logged, pushed to the firm, acknowledged after the commit).

    python benchmarks/ceiling_ab.py --before <unpacked checkout> --clients 100 --messages 40 --repeat 3 --out benchmarks/results/NAME.json

Reported per repeat: messages/s of the three, each server's fraction of that repeat's
ceiling, after/before, and each server process's CPU time per message (steadier than
messages/s when other work shares the cores), split into the event loop's thread and the
others (the log writer), and the load generator's processes' CPU per message (they share
the machine's cores with the server: on 2 cores the sum of both bounds the rate); `summary`: median and range over the repeats. The order inside a
repeat alternates (before first, then after first) so neither always runs on a warmer or
busier machine.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402
from ceiling import run_echo  # noqa: E402


async def exchange(root: str | None, clients: int, messages: int, workers: int, sync: str) -> dict:
    saved = os.environ.pop("LOAD_SERVER_ROOT", None)
    if root:
        os.environ["LOAD_SERVER_ROOT"] = root
    try:
        a = argparse.Namespace(players=clients, messages=messages, workers=workers, sync=sync, drain=10.0, profile=None)
        return await load.run_exchange(a)
    finally:
        os.environ.pop("LOAD_SERVER_ROOT", None)
        if saved is not None:
            os.environ["LOAD_SERVER_ROOT"] = saved


def cpu_us_per_message(r: dict) -> float:
    """The server process's CPU time per message (µs): steadier than messages/s on a machine
    whose other work takes the cores away from the benchmark."""
    return round(r["server_cpu_percent"] * r["wall_s"] / 100 / max(1, r["messages"]) * 1e6, 1)


def per_message(cpu_s: float, r: dict) -> float:
    """CPU seconds over the window, in µs per message (the load generator's processes, a
    server thread). /proc counts in clock ticks (10 ms): a run of ~0.3 s reads to ~3%."""
    return round(cpu_s / max(1, r["messages"]) * 1e6, 1)


def _stats(v: list[float]) -> dict:
    return {"median": statistics.median(v), "min": min(v), "max": max(v)}


async def main(a) -> dict:
    out = {"machine": load.machine(), "before": a.before_label, "after": a.after_label, "clients": a.clients,
           "messages_each": a.messages, "sync": a.sync, "rows": []}
    for rep in range(a.repeat):
        print(f"repeat {rep + 1}: echo, before, after ...", file=sys.stderr, flush=True)
        row = {"repeat": rep + 1, "loadavg_at_start": os.getloadavg()}
        row["echo"] = await run_echo(a.clients, a.messages, a.workers)
        order = [("before", a.before), ("after", a.after)]
        for name, root in (order if rep % 2 == 0 else order[::-1]):
            row[name] = await exchange(root, a.clients, a.messages, a.workers, a.sync)
        e = row["echo"]["messages_per_s"]
        for name in ("before", "after"):
            row[f"{name}_of_ceiling"] = round(row[name]["messages_per_s"] / e, 4)
        row["after_over_before"] = round(row["after"]["messages_per_s"] / row["before"]["messages_per_s"], 3)
        for name in ("echo", "before", "after"):
            row[f"{name}_cpu_us_per_message"] = cpu_us_per_message(row[name])
            row[f"{name}_generator_cpu_us_per_message"] = per_message(row[name]["generator_cpu_s"], row[name])
        for name in ("before", "after"):
            th = row[name]["server_threads_cpu_s"]
            row[f"{name}_loop_cpu_us_per_message"] = per_message(th.get("loop", 0.0), row[name])
            row[f"{name}_other_threads_cpu_us_per_message"] = per_message(
                sum(v for k, v in th.items() if k != "loop"), row[name])
        out["rows"].append(row)
    rows = out["rows"]
    out["summary"] = {
        "echo_msgs_per_s": _stats([r["echo"]["messages_per_s"] for r in rows]),
        "before_msgs_per_s": _stats([r["before"]["messages_per_s"] for r in rows]),
        "after_msgs_per_s": _stats([r["after"]["messages_per_s"] for r in rows]),
        "before_of_ceiling": _stats([r["before_of_ceiling"] for r in rows]),
        "after_of_ceiling": _stats([r["after_of_ceiling"] for r in rows]),
        "after_over_before": _stats([r["after_over_before"] for r in rows]),
        "echo_cpu_us_per_message": _stats([r["echo_cpu_us_per_message"] for r in rows]),
        "before_cpu_us_per_message": _stats([r["before_cpu_us_per_message"] for r in rows]),
        "after_cpu_us_per_message": _stats([r["after_cpu_us_per_message"] for r in rows]),
        "echo_generator_cpu_us_per_message": _stats([r["echo_generator_cpu_us_per_message"] for r in rows]),
        "before_generator_cpu_us_per_message": _stats([r["before_generator_cpu_us_per_message"] for r in rows]),
        "after_generator_cpu_us_per_message": _stats([r["after_generator_cpu_us_per_message"] for r in rows]),
        "before_loop_cpu_us_per_message": _stats([r["before_loop_cpu_us_per_message"] for r in rows]),
        "after_loop_cpu_us_per_message": _stats([r["after_loop_cpu_us_per_message"] for r in rows]),
        "before_other_threads_cpu_us_per_message": _stats([r["before_other_threads_cpu_us_per_message"] for r in rows]),
        "after_other_threads_cpu_us_per_message": _stats([r["after_other_threads_cpu_us_per_message"] for r in rows]),
        "before_ack_p99_ms": _stats([r["before"]["ack_ms"]["p99"] for r in rows]),
        "after_ack_p99_ms": _stats([r["after"]["ack_ms"]["p99"] for r in rows]),
        "errors_lost": [(r["before"]["errors"], r["before"]["lost"], r["after"]["errors"], r["after"]["lost"])
                        for r in rows],
    }
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="the other checkout's root (run as LOAD_SERVER_ROOT)")
    ap.add_argument("--after", default=None, help="the checkout to compare (default: this one)")
    ap.add_argument("--before-label", default="before")
    ap.add_argument("--after-label", default="this checkout")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--messages", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sync", choices=["full", "normal"], default="full")
    ap.add_argument("--out")
    a = ap.parse_args()
    res = asyncio.run(main(a))
    print(json.dumps(res["summary"], indent=1))
    load.save(res, a.out)
