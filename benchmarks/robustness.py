"""The robustness sweep: every stylized fact at the defaults, each parameter at x0.8 and x1.2,
5/8/10/12 rounds and serial form, in every scenario where the fact applies; each cell the
mean margin over `--seeds` games (positive: the fact holds) with twice its standard error.

    nice -n 10 python benchmarks/robustness.py [--seeds 20] [--jobs 2] [--scenarios classic,...]
                                               [--out benchmarks/results/robustness.json] [--docs]

Results are written to `--out` as each (scenario, setting) finishes, so an interrupted run
keeps what it measured; `--docs` (re)writes the table between the markers in docs/model.md
from that file (`--docs --table-only` does so without measuring).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from game_rules.robustness import FACTS, Context, measure, perturbations  # noqa: E402

BEGIN, END = "<!-- robustness table: begin -->", "<!-- robustness table: end -->"


def _cells(scenarios: list[str]) -> list[tuple[str, str, dict]]:
    return [(sc, name, ov) for sc in scenarios for name, ov in perturbations(sc)]


def _run(task) -> list[dict]:
    scenario, setting, overrides, seeds = task
    ctx = Context(scenario, overrides, seeds)
    out = []
    for fact, (_, applies) in FACTS.items():
        if scenario in applies:
            c = measure(fact, scenario, setting, overrides, seeds, ctx)
            out.append({"fact": fact, "scenario": scenario, "setting": setting, "mean": c.mean,
                        "margin": c.margin, "n": c.n})
    return out


def sweep(scenarios, seeds, jobs, out: pathlib.Path) -> list[dict]:
    tasks = [(sc, name, ov, seeds) for sc, name, ov in _cells(scenarios)]
    rows: list[dict] = []
    t0 = time.perf_counter()
    with multiprocessing.Pool(jobs) as pool:
        for i, part in enumerate(pool.imap_unordered(_run, tasks), 1):
            rows.extend(part)
            out.write_text(json.dumps({"seeds": seeds, "rows": rows}, indent=0), encoding="utf-8")
            print(f"{i}/{len(tasks)} {part[0]['scenario'] if part else ''} {part[0]['setting'] if part else ''} "
                  f"{time.perf_counter() - t0:.0f}s", flush=True)
    return rows


def table(rows: list[dict], seeds: int) -> str:
    """Per fact and scenario: the defaults cell, how many settings hold, and each failing cell."""
    lines = [f"Each cell: the mean margin over {seeds} seeds ± twice its standard error; a fact holds "
             "in a cell when the mean is positive.", "",
             "| fact | scenario | defaults | settings where it holds | where it fails (mean ± margin) |",
             "|---|---|---|---|---|"]
    order = list(FACTS)
    by: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        by.setdefault((r["fact"], r["scenario"]), []).append(r)
    for key in sorted(by, key=lambda k: (order.index(k[0]), k[1])):
        cells = by[key]
        d = next((c for c in cells if c["setting"] == "defaults"), None)
        fails = sorted((c for c in cells if c["mean"] <= 0), key=lambda c: c["setting"])
        held = len(cells) - len(fails)
        ds = f"{d['mean']:+.4g} ± {d['margin']:.2g}" if d else "—"
        fs = "; ".join(f"{c['setting']}: {c['mean']:+.3g} ± {c['margin']:.2g}" for c in fails) or "none"
        lines.append(f"| {key[0]} | {key[1]} | {ds} | {held}/{len(cells)} | {fs} |")
    return "\n".join(lines)


def write_docs(rows: list[dict], seeds: int) -> None:
    doc = ROOT / "docs" / "model.md"
    text = doc.read_text(encoding="utf-8")
    if BEGIN not in text:
        raise SystemExit(f"docs/model.md has no {BEGIN} marker")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(head + BEGIN + "\n" + table(rows, seeds) + "\n" + END + tail, encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--scenarios", default=",".join(sorted({s for _, a in FACTS.values() for s in a})))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "robustness.json"))
    ap.add_argument("--docs", action="store_true", help="write the table into docs/model.md")
    ap.add_argument("--table-only", action="store_true", help="with --docs: from --out, no measuring")
    a = ap.parse_args()
    out = pathlib.Path(a.out.split(",")[0])
    if a.table_only:  # --out may name several result files (runs split by scenario)
        parts = [json.loads(pathlib.Path(f).read_text(encoding="utf-8")) for f in a.out.split(",")]
        cells = {(r["fact"], r["scenario"], r["setting"]): r for d in parts for r in d["rows"]}  # later wins
        rows, seeds = list(cells.values()), min(d["seeds"] for d in parts)
    else:
        rows, seeds = sweep(a.scenarios.split(","), a.seeds, a.jobs, out), a.seeds
    print(table(rows, seeds))
    if a.docs:
        write_docs(rows, seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
