"""The round's views counted in instructions (valgrind's callgrind), not seconds: a measure
that the other processes of a shared machine do not move.

    python benchmarks/views_instructions.py [--compare <folder>] [--copies 50] [--repeat 5]

The class of benchmarks/views.py (`copies` copies of `classic`, two firms of two players
each per copy) is played to round 1 on the pure layer, every firm's part is built (the
views its players hold), the estimates' noise of round 2 is drawn ahead (as
server/views_ahead.py does) and round 2 is closed. Then, `repeat` times, every firm's new
part is built ("build") and its changes from the held part found (`view_changes`, with the
touched keys of a round's pushes: "diff"). Each figure is the instructions of a process
that does it, less those of one that stops before it, per firm and repetition: three
processes under callgrind for each code. `--compare` counts the code in `folder` too (a
`git archive` of another commit unpacked there), one after the other. Needs valgrind
(Debian's package `valgrind`); a run takes a minute or two per code.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def child(root: str, copies: int, repeat: int, stage: str) -> None:
    """The work counted: set up, then `repeat` times build (and with stage "diff", diff)."""
    sys.path.insert(0, root)
    import importlib.util
    import inspect

    spec = importlib.util.spec_from_file_location("views_bench", os.path.join(HERE, "benchmarks", "views.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from game_rules import books, views as views_engine
    from game_rules.session import views
    from game_rules.session.deltas import view_changes

    s, close_round = bench._session(copies, 1)
    live = views.Live("s_1", "CODE", "A class", {"members_submit": "any"}, frozenset(), 1000.0)
    firms = list(s.state.firms)
    held = {f: views.firm_part(s, live, f) for f in firms}
    for seed in views_engine.noise_ahead(s.rules, s.state):
        books.noise(seed)
    close_round()
    memo = "memo" in inspect.signature(view_changes).parameters  # (a round's memo of shared parts, where there is one)
    for _ in range(repeat):
        parts = {f: views.firm_part(s, live, f) for f in firms}
        if stage == "diff":
            shared: dict = {}
            for f in firms:
                view_changes(held[f], bench.TOUCHED, parts[f], *([shared] if memo else []))


def instructions(root: str, copies: int, repeat: int, stage: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={os.path.join(tmp, 'cg')}",
                              sys.executable, os.path.abspath(__file__), "--child", root, "--copies", str(copies),
                              "--repeat", str(repeat), "--stage", stage],
                             capture_output=True, text=True, cwd=tmp, check=True).stderr
    return int(re.search(r"I\s+refs:\s+([\d,]+)", out).group(1).replace(",", ""))


def count(root: str, copies: int, repeat: int) -> dict:
    none, built, diffed = (instructions(root, copies, r, st) for r, st in ((0, "build"), (repeat, "build"),
                                                                           (repeat, "diff")))
    per = 2 * copies * repeat  # firms x repetitions
    return {"build_per_firm": round((built - none) / per), "diff_per_firm": round((diffed - built) / per),
            "total_per_firm": round((diffed - none) / per)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--compare", help="a checkout to count too")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--stage", default="diff", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child, a.copies, a.repeat, a.stage)
        sys.exit(0)
    rows = {}
    for name, root in ((("other", os.path.abspath(a.compare)),) if a.compare else ()) + (("this", HERE),):
        rows[name] = count(root, a.copies, a.repeat)
        print(json.dumps({"code": name, "root": os.path.basename(root), **rows[name]}), flush=True)
    if a.compare:
        print(json.dumps({"ratio_other_to_this": {k: round(rows["other"][k] / rows["this"][k], 2)
                                                   for k in rows["this"]}, "copies": a.copies, "repeat": a.repeat}))
