"""SQLite in one process, PostgreSQL in one process and PostgreSQL in three processes, side
by side in one run (issue 20): paced players (benchmarks/load.py's lean player and its
command mix), the round results' fan-out, and, with three processes, the failover time.

    python benchmarks/processes.py --players 120 --per-session 20 --seconds 15 --runs 3 \\
        --out benchmarks/results/i20_processes.json

One throwaway PostgreSQL cluster (tests/pg_cluster.py: Debian's server binaries) serves
every PostgreSQL run, each in a new schema. The configurations alternate run by run
(sqlite1, pg1, pg3, sqlite1, ...), so the machine's load falls on all of them alike.

With three processes, session k is created on process k mod 3 (which owns it) and player i
of session k joins and plays through process (k + i) mod 3: two players in three are served
by a process that forwards to the owner (server/forwarding.py). After the paced run,
process 0 is killed with SIGKILL; the failover time is from the kill to the first control
for one of its sessions acknowledged through another process (the lease, a third of it for
the lease watch, the restore; `--lease-seconds` as given).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchmarks.load import (ServerProcess, Workers, _combine, command_line, create_session, machine, now,  # noqa: E402
                             results_push_latency, summary_ms)
from pg_cluster import start_cluster  # noqa: E402

CONFIGS = ("sqlite1", "pg1", "pg3")


async def _setup(urls: list[str], players: int, per_session: int) -> tuple[list[dict], list[dict]]:
    """Sessions spread over the processes (session k on k mod n); player i of session k
    joins through process (k + i) mod n and plays there."""
    specs, sessions = [], []
    n = len(urls)
    async with aiohttp.ClientSession() as http:
        for k in range((players + per_session - 1) // per_session):
            size = min(per_session, players - k * per_session)
            owner = urls[k % n]
            s = await create_session(http, owner, copies=max(1, (size + 3) // 4), negotiation=False)
            seen: set[str] = set()
            for i in range(size):
                at = urls[(k + i) % n]
                async with http.post(f"{at}/api/join", json={"code": s["code"], "name": f"p{i}"}) as r:
                    assert r.status == 200, await r.text()
                    j = await r.json()
                firm = j["firm"]
                specs.append({"token": j["player_token"], "firm": firm, "session": k, "negotiation": False,
                              "copy": int("".join(c for c in firm if c.isdigit())),
                              "role": firm.rstrip("0123456789"), "submitter": firm not in seen,
                              "ws_url": at.replace("http", "ws", 1) + "/ws"})
                seen.add(firm)
            async with http.post(f"{owner}/api/sessions/{s['session_id']}/control", json={"action": "start"},
                                 headers={"Authorization": f"Bearer {s['facilitator_token']}"}) as r:
                assert r.status == 200, await r.text()
            sessions.append({**s, "owner": k % n})
    return specs, sessions


async def _failover(urls: list[str], procs: list[ServerProcess], sessions: list[dict]) -> float:
    """SIGKILL process 0; seconds until a control for its first session is acknowledged
    through process 1 (each attempt waits for the owner; a 503 is tried again)."""
    s = next(x for x in sessions if x["owner"] == 0)
    procs[0].proc.send_signal(signal.SIGKILL)
    procs[0].proc.wait(10)
    t0 = now()
    async with aiohttp.ClientSession() as http:
        for attempt in range(60):
            async with http.post(f"{urls[1]}/api/sessions/{s['session_id']}/control",
                                 json={"action": "inject", "text": "after the kill", "id": "failover-1"},
                                 headers={"Authorization": f"Bearer {s['facilitator_token']}"}) as r:
                if r.status == 200:
                    return now() - t0
    raise RuntimeError("no process took the session over")


async def one_run(config: str, a, cluster, run: int) -> dict:
    n = 3 if config == "pg3" else 1
    with tempfile.TemporaryDirectory() as tmp:
        if config == "sqlite1":
            procs = [ServerProcess(f"{tmp}/load.db")]
        else:
            dsn = cluster.schema(f"bench_{config}_{run}_{os.getpid()}")
            procs = [ServerProcess(dsn, extra=["--lease-seconds", str(a.lease_seconds)]) for _ in range(n)]
        try:
            for p in procs:
                p.start()
            urls = [p.url for p in procs]
            specs, sessions = await _setup(urls, a.players, a.per_session)
            workers = Workers(specs, "", a.workers, "paced", {"interval": a.interval, "drain": a.drain})
            try:
                cpu0 = sum(p.cpu_seconds() for p in procs)
                start = now() + 1.0
                parts = await workers.aask({"cmd": "paced", "start": start, "end": start + a.seconds})
                cpu1 = sum(p.cpu_seconds() for p in procs)
            finally:
                workers.close()
            failover = await _failover(urls, procs, sessions) if n == 3 else None
        finally:
            for p in procs:
                if p.proc is not None and p.proc.poll() is None:
                    p.stop()
    r = _combine(parts)
    return {"config": config, "processes": n, "run": run, "players": a.players, "per_session": a.per_session,
            "sessions": len(sessions), "interval_s": a.interval, "seconds": a.seconds,
            "commands_per_s": round((r["acked"] + r["errors"]) / a.seconds, 1), "ack_ms": summary_ms(r["lat"]),
            "errors": r["errors"], "error_codes": r["error_codes"], "sent": r["sent"], "lost": r["lost"],
            "round_result_after_closing_ack_ms": results_push_latency(r["by_session"]),
            "server_cpu_s": round(cpu1 - cpu0, 2),
            "failover_s": round(failover, 2) if failover is not None else None, "loadavg": os.getloadavg()}


def _median(runs: list[dict], path: tuple) -> dict:
    xs = []
    for r in runs:
        v = r
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        if v is not None:
            xs.append(v)
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)} if xs else {}


async def main(a) -> dict:
    cluster = start_cluster()
    out = {"command": command_line("benchmarks/processes.py", sys.argv[1:]), "machine": machine(),
           "runs": []}
    try:
        for run in range(a.runs):
            for config in a.configs:
                r = await one_run(config, a, cluster, run)
                print(json.dumps(r), flush=True)
                out["runs"].append(r)
    finally:
        cluster.stop()
    out["loadavg_at_end"] = os.getloadavg()
    out["summary"] = {c: {"ack_p50_ms": _median([r for r in out["runs"] if r["config"] == c], ("ack_ms", "p50")),
                          "ack_p99_ms": _median([r for r in out["runs"] if r["config"] == c], ("ack_ms", "p99")),
                          "round_result_p99_ms": _median([r for r in out["runs"] if r["config"] == c],
                                                         ("round_result_after_closing_ack_ms", "p99")),
                          "commands_per_s": _median([r for r in out["runs"] if r["config"] == c], ("commands_per_s",)),
                          "failover_s": _median([r for r in out["runs"] if r["config"] == c], ("failover_s",))}
                      for c in a.configs}
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--players", type=int, default=120)
    p.add_argument("--per-session", type=int, default=20)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--drain", type=float, default=10.0)
    p.add_argument("--lease-seconds", type=float, default=2.0)
    p.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS),
                   help="the set-ups to run, alternated run by run (default: all three)")
    p.add_argument("--out")
    args = p.parse_args()
    result = asyncio.run(main(args))
    print(json.dumps(result["summary"], indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
