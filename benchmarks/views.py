"""The round's end in one process: every firm's new view after a round, as the server makes it.

    python benchmarks/views.py [--copies 250] [--played 2] [--repeat 5] [--ahead] [--debrief]
    python benchmarks/views.py --compare <folder> [--runs 3] [--ahead] [--debrief]

A class of the `classic` scenario with `copies` copies (two firms of two players each per
copy: 250 copies = 500 firms, 1,000 players) is played on the pure layer (facts through
`evolve`, no server) with the `balanced` bot's decisions; every firm's view is built (the
views its players hold), then round `played` is closed (`--debrief`: the debrief opens).
Timed, as server/fanout.py does them after a round: building every firm's part
(`views.firm_part`: "build"), its changes from the held view (`view_changes`: "diff") and
encoding each firm's `round_delta` (msgpack: "encode"); the best of `repeat` for each, and
the best of the process's CPU time for all three (less disturbed by other processes on a
shared machine than the wall clock). The estimates' noise is drawn anew for every
repetition, as at a round's end; with `--ahead` it was drawn while the round was open
(`game_rules.views.noise_ahead`, as server/views_ahead.py does).

`--compare <folder>` alternates this code and the code in `folder` (a `git archive` of
another commit unpacked there), each in its own process (`--root`), `runs` times each, and
prints one JSON line per run and a summary: side by side in one run, as docs/benchmarks.md
asks on a shared machine (`--ahead` for both, where the other code has `noise_ahead`).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _session(copies: int, played: int):
    """A class of `copies` copies played on the pure layer to round `played`, and a function
    that closes the next round (every firm's decision from the `balanced` bot)."""
    from game_rules.bots import bot_decision
    from game_rules.decisions import parse_decision
    from game_rules.rules import Rules, new_session
    from game_rules.scenario import load_scenario
    from game_rules.session import evolve, facts as F
    from game_rules.session.state import Session
    from game_rules.session.views import firm_engine_view

    rules = Rules.from_scenario(load_scenario("classic"))
    s = Session(rules, new_session(rules, copies, 1, played + 3))
    for i, firm in enumerate(s.state.firms):
        for n in (1, 2):
            evolve(s, F.PlayerJoined(f"p_{firm}_{n}", f"Player {n} of {firm}", None, firm, "h", float(i * 2 + n)))
    evolve(s, F.PhaseChanged("negotiation"))
    for tpl in rules.scenario.alliances:
        for c in range(1, copies + 1):
            aid = f"{tpl.id}{c}"
            evolve(s, F.AllianceSigned(aid, s.default_terms(aid).to_dict()))
    evolve(s, F.PhaseChanged("execution"))

    def close_round():
        decisions = {f: parse_decision(f, bot_decision(firm_engine_view(s, f), "balanced", 1)).to_dict()
                     for f in s.state.firms}
        evolve(s, F.RoundClosed(s.state.round + 1, "all_submitted", decisions, {f: "submitted" for f in decisions}))

    for _ in range(played):
        close_round()
    return s, close_round


TOUCHED = frozenset({"clock", "submitted", "practice"})  # what a round's pushes wrote (round result, clock, submitted)


def measure(copies: int, played: int, repeat: int, debrief: bool, ahead: bool) -> dict:
    import msgpack

    from game_rules import books, views as views_engine
    from game_rules.session import evolve, facts as F, views
    from game_rules.session.deltas import view_changes

    s, close_round = _session(copies, played - 1)
    live = views.Live("s_1", "CODE", "A class", {"members_submit": "any"}, frozenset(), 1000.0)
    firms = list(s.state.firms)
    held = {f: views.firm_part(s, live, f) for f in firms}  # the views the players hold
    ahead = ahead and hasattr(views_engine, "noise_ahead")  # (older code drew nothing ahead)
    drawn_ahead = views_engine.noise_ahead(s.rules, s.state) if ahead else []
    if debrief:
        evolve(s, F.PhaseChanged("debrief"))
    else:
        close_round()
    stages = {"build": [], "diff": [], "encode": [], "total": [], "cpu": []}
    for _ in range(repeat):
        if hasattr(books, "noise"):  # the estimates' noise is drawn anew, as at a round's end ...
            books.noise.cache_clear()
            for seed in drawn_ahead:  # ... unless it was drawn while the round was open
                books.noise(seed)
        t0, c0 = time.perf_counter(), time.process_time()
        scores = views.scores_now(s) if hasattr(views, "scores_now") else None  # once per round of views
        parts = {f: views.firm_part(s, live, f, scores) if scores else views.firm_part(s, live, f) for f in firms}
        t1 = time.perf_counter()
        changes = {f: view_changes(held[f], TOUCHED, parts[f]) for f in firms}
        t2 = time.perf_counter()
        frames = [msgpack.packb({"type": "round_delta", "version": 1, "base": 2, "round": parts[f].get("current_round"),
                                 "changes": changes[f]}, use_bin_type=True) for f in firms]
        t3 = time.perf_counter()
        for k, x in (("build", t1 - t0), ("diff", t2 - t1), ("encode", t3 - t2), ("total", t3 - t0),
                     ("cpu", time.process_time() - c0)):
            stages[k].append(x)
    ms = {k: round(1000 * min(v), 1) for k, v in stages.items()}
    return {"firms": len(parts), "players": len(s.players), "round": s.state.round, "phase": s.state.phase,
            "ahead": ahead, "best_ms": ms["build"], "cpu_best_ms": ms["cpu"], "stages_best_ms": ms,
            "delta_bytes_median": statistics.median(len(b) for b in frames),
            "python": platform.python_version(), "machine": platform.machine()}


def _one(root: str, a) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--root", root, "--copies", str(a.copies),
           "--played", str(a.played), "--repeat", str(a.repeat)] + (["--debrief"] if a.debrief else []) + (
           ["--ahead"] if a.ahead else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=root).stdout
    return json.loads(out.strip().splitlines()[-1])


def compare(other: str, a) -> dict:
    rows = {"this": [], "other": [], "this_cpu": [], "other_cpu": [], "this_total": [], "other_total": []}
    for i in range(a.runs):
        for name, root in (("other", other), ("this", HERE)):
            r = _one(root, a)
            rows[name].append(r["best_ms"])
            rows[name + "_cpu"].append(r["cpu_best_ms"])
            rows[name + "_total"].append(r["stages_best_ms"]["total"])
            print(json.dumps({"run": i + 1, "code": name, **r, "load": os.getloadavg()[0]}), flush=True)
    return {k: {"median_ms": statistics.median(v), "min_ms": min(v), "max_ms": max(v), "runs": v}
            for k, v in rows.items()}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=250)
    ap.add_argument("--played", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--debrief", action="store_true")
    ap.add_argument("--ahead", action="store_true", help="the estimates' noise drawn while the round was open")
    ap.add_argument("--root", help="import the game from this folder (a checkout)")
    ap.add_argument("--compare", help="a checkout to alternate with this one")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if args.compare:
        print(json.dumps({"summary": compare(os.path.abspath(args.compare), args), "copies": args.copies,
                          "debrief": args.debrief, "load_after": os.getloadavg()}))
    else:
        sys.path.insert(0, os.path.abspath(args.root or HERE))
        print(json.dumps(measure(args.copies, args.played, args.repeat, args.debrief, args.ahead)))
