"""Engine throughput: alliance-rounds resolved per second in one process.

    python benchmarks/engine.py [--copies 50] [--repeat 5]
    python benchmarks/engine.py --compare <folder> [--runs 3]
    python benchmarks/engine.py --instructions [--compare <folder>] [--copies 20]

A session of the `classic` scenario with `copies` alliances is played for its rounds
from precomputed bot decisions (bots and views are not timed: this measures
`resolve_round` alone, including decision validation and state copying). Prints one JSON
line; the best of `repeat` runs is reported, as is usual for a CPU-bound micro-benchmark
on a shared machine, by the wall clock and by the process's CPU time (`per_cpu_s`: what a
busy machine disturbs less; its clock ticks are coarse, so use enough `--copies`).

`--collector server` runs the replay under the garbage collector's settings of the server
process (server/gctune.py `freeze_regime`: what was alive frozen, the survivors of every
pass frozen, no automatic full collection), where the engine runs in production; the
default is CPython's own (the middle and full passes walk the states the replay keeps).

`--compare <folder>` alternates this code and the code in `folder` (a `git archive` of
another commit unpacked there), each in its own process (`--root`), `runs` times each:
side by side in one run, as docs/benchmarks.md asks on a shared machine.

`--instructions` counts the CPU instructions of one replay instead of timing it (valgrind's
callgrind, which a loaded machine does not disturb): a process replaying the decisions
once and one replaying them three times, the difference halved is one replay; reported per
alliance-round, for this code and (with `--compare`) the other, with PYTHONHASHSEED=0 (the
same count every time), under `--collector` as the timed runs (at `--copies 200` CPython's
default settings count ~5% more than the server's: the middle and full passes).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def server_collector() -> None:
    """The collector as the server process runs it (server/gctune.py `freeze_regime`, from this
    checkout whatever `--root` says, so both sides of a comparison run under the same one)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("_gctune", os.path.join(HERE, "server", "gctune.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.freeze_regime()


def measure(copies: int, repeat: int, collector: str = "default") -> dict:
    from game_rules.decisions import parse_decision
    from game_rules.engine import resolve_round
    from game_rules.rules import Rules, new_session, sign_default_alliances
    from game_rules.scenario import load_scenario
    from game_rules.simulate import play

    rules = Rules.from_scenario(load_scenario("classic"))
    strategies = {"west": "tit_for_tat", "east": "internalizer"}
    rec = play(rules, strategies, seed=1, copies=copies)
    # replay the recorded decisions from the same starting state, timing only the engine
    rounds = [{f: parse_decision(f, d) for f, d in raw.items()} for raw in rec.decisions]
    if collector == "server":
        server_collector()
    best = best_cpu = float("inf")
    for _ in range(repeat):
        state = new_session(rules, copies=copies, seed=1)
        sign_default_alliances(rules, state)
        state.phase = "execution"
        t0, c0 = time.perf_counter(), time.process_time()
        for decisions in rounds:
            state, _events = resolve_round(rules, state, decisions)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    alliance_rounds = copies * len(rounds)
    return {"alliance_rounds": alliance_rounds, "seconds": round(best, 4),
            "alliance_rounds_per_s": round(alliance_rounds / best),
            "per_cpu_s": round(alliance_rounds / best_cpu) if best_cpu > 0 else None,
            "collector": collector, "python": platform.python_version(), "machine": platform.machine()}


def compare(other: str, a) -> dict:
    rows: dict[str, list[int]] = {"this": [], "other": [], "this_cpu": [], "other_cpu": []}
    for i in range(a.runs):
        for name, root in (("other", other), ("this", HERE)):
            cmd = [sys.executable, os.path.abspath(__file__), "--root", root, "--copies", str(a.copies),
                   "--repeat", str(a.repeat), "--collector", a.collector]
            r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=root).stdout)
            rows[name].append(r["alliance_rounds_per_s"])
            rows[name + "_cpu"].append(r["per_cpu_s"])
            print(json.dumps({"run": i + 1, "code": name, **r, "load": os.getloadavg()[0]}), flush=True)
    return {k: {"median": statistics.median(v), "min": min(v), "max": max(v), "runs": v} for k, v in rows.items()}


def instructions(root: str, copies: int, collector: str = "default") -> dict:
    """Instructions of one replay (callgrind; the bots' play and the imports cancel out)."""
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in (1, 3):
            out = os.path.join(tmp, f"callgrind.{repeat}")
            # one string-hash seed for every count: a random one moves dicts' probe paths, and
            # the count by up to 3% from run to run
            run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
                                  os.path.abspath(__file__), "--root", root, "--copies", str(copies),
                                  "--repeat", str(repeat), "--collector", collector], check=True, capture_output=True,
                                 text=True, cwd=root,
                                 env={**os.environ, "PYTHONHASHSEED": "0"})
            alliance_rounds = json.loads(run.stdout)["alliance_rounds"]
            with open(out) as f:
                counts[repeat] = next(int(line.split()[1]) for line in f if line.startswith("summary:"))
    replay = (counts[3] - counts[1]) // 2
    return {"root": os.path.basename(root), "copies": copies, "collector": collector, "alliance_rounds": alliance_rounds,
            "instructions_per_replay": replay,
            "per_alliance_round": round(replay / alliance_rounds), "load": os.getloadavg()[0]}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--root", help="import the game from this folder (a checkout)")
    ap.add_argument("--compare", help="a checkout to alternate with this one")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--instructions", action="store_true", help="count instructions (valgrind) instead of timing")
    ap.add_argument("--collector", choices=("default", "server"), default="default",
                    help="the garbage collector as CPython starts it, or as the server runs it (server/gctune.py)")
    args = ap.parse_args()
    if args.instructions:
        for root in ([os.path.abspath(args.compare)] if args.compare else []) + [HERE]:
            print(json.dumps({"code": "this" if root == HERE else "other", **instructions(root, args.copies, args.collector)}),
                  flush=True)
    elif args.compare:
        print(json.dumps({"summary": compare(os.path.abspath(args.compare), args), "load_after": os.getloadavg()}))
    else:
        sys.path.insert(0, os.path.abspath(args.root or HERE))
        print(json.dumps(measure(args.copies, args.repeat, args.collector)))
