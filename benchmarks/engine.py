"""Engine throughput: alliance-rounds resolved per second in one process.

    python benchmarks/engine.py [--copies 50] [--rounds 8] [--repeat 5]

A session of the `classic` scenario with `copies` alliances is played for `rounds` rounds
from precomputed bot decisions (bots and views are not timed: this measures
`resolve_round` alone, including decision validation and state copying). Prints one JSON
line; the best of `repeat` runs is reported, as is usual for a CPU-bound micro-benchmark
on a shared machine.
"""
from __future__ import annotations

import argparse
import json
import platform
import time

from game_rules.engine import resolve_round
from game_rules.rules import Rules
from game_rules.scenario import load_scenario
from game_rules.simulate import play
from game_rules.decisions import parse_decision


def measure(copies: int, repeat: int) -> dict:
    rules = Rules.from_scenario(load_scenario("classic"))
    strategies = {"west": "tit_for_tat", "east": "internalizer"}
    rec = play(rules, strategies, seed=1, copies=copies)
    # replay the recorded decisions from the same starting state, timing only the engine
    from game_rules.rules import new_session, sign_default_alliances
    rounds = [{f: parse_decision(f, d) for f, d in raw.items()} for raw in rec.decisions]
    best = float("inf")
    for _ in range(repeat):
        state = new_session(rules, copies=copies, seed=1)
        sign_default_alliances(rules, state)
        state.phase = "execution"
        t0 = time.perf_counter()
        for decisions in rounds:
            state, _events = resolve_round(rules, state, decisions)
        best = min(best, time.perf_counter() - t0)
    alliance_rounds = copies * len(rounds)
    return {"alliance_rounds": alliance_rounds, "seconds": round(best, 4),
            "alliance_rounds_per_s": round(alliance_rounds / best),
            "python": platform.python_version(), "machine": platform.machine()}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(json.dumps(measure(args.copies, args.repeat)))
