"""The robustness sweep: every stylized fact at the defaults, each parameter at x0.8 and x1.2,
5/8/10/12 rounds and serial form, in every scenario where the fact applies; each cell the
mean margin over `--seeds` games (positive: the fact holds) with twice its standard error.

    nice -n 19 python benchmarks/robustness.py [--seeds 20] [--jobs 2] [--scenarios classic,...]
                                               [--out benchmarks/results/robustness_full.json] [--docs]
    nice -n 19 python benchmarks/robustness.py --facts "13 " --out benchmarks/results/robustness_race.json
    nice -n 19 python benchmarks/robustness.py --lessons [--seeds 20] [--jobs 2] [--docs]

One task is one (scenario, setting): its facts share their games (`Context` plays each
distinct game once, on the lean path of `game_rules.lean_play`), and the longest tasks start
first. `--lessons` sweeps each scenario's lesson instead (`game_rules.lesson_checks`: the
claims of tests/test_scenarios.py as slacks) over the same settings, into
benchmarks/results/lesson_robustness.json and its own table in docs/model.md.

Results are written to `--out` as each (scenario, setting) finishes (with the wall time so
far), so an interrupted run keeps what it measured; `--docs` (re)writes the table between the
markers in docs/model.md from that file (`--docs --table-only` does so without measuring).
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

from game_rules.lesson_checks import CLAIMS, check  # noqa: E402
from game_rules.robustness import FACTS, Context, measure, perturbations  # noqa: E402
from game_rules.scenario import load_scenario  # noqa: E402

BEGIN, END = "<!-- robustness table: begin -->", "<!-- robustness table: end -->"
LESSON_BEGIN, LESSON_END = "<!-- lesson robustness table: begin -->", "<!-- lesson robustness table: end -->"


def _cells(scenarios: list[str]) -> list[tuple[str, str, dict]]:
    return [(sc, name, ov) for sc in scenarios for name, ov in perturbations(sc)]


def _run(task) -> list[dict]:
    scenario, setting, overrides, seeds, only = task
    ctx = Context(scenario, overrides, seeds)
    out = []
    for fact, (_, applies) in FACTS.items():
        if scenario in applies and (not only or any(fact.startswith(o) for o in only)):
            c = measure(fact, scenario, setting, overrides, seeds, ctx)
            out.append({"fact": fact, "scenario": scenario, "setting": setting, "mean": c.mean,
                        "margin": c.margin, "n": c.n})
    return out


def _weight(task) -> float:
    """A task's rough cost, to start the longest first (no worker is left with one long task
    at the end): the games its facts play (fact 12 plays every pairing of five strategies)
    times the rounds of each."""
    scenario, _, overrides, _, only = task
    facts = [f for f, (_, applies) in FACTS.items()
             if scenario in applies and (not only or any(f.startswith(o) for o in only))]
    games = len(facts) + sum(25 for f in facts if f.startswith("12 "))
    return games * load_scenario(scenario, overrides).rounds


def sweep(scenarios, seeds, jobs, out: pathlib.Path, only: tuple[str, ...] = ()) -> list[dict]:
    """Each task is one (scenario, setting): all its facts in one worker, so the facts share
    their games (`Context`: each distinct game is played once)."""
    tasks = sorted(((sc, name, ov, seeds, only) for sc, name, ov in _cells(scenarios)), key=_weight, reverse=True)
    rows: list[dict] = []
    t0 = time.perf_counter()
    with multiprocessing.Pool(jobs) as pool:
        for i, part in enumerate(pool.imap_unordered(_run, tasks), 1):
            rows.extend(part)
            out.write_text(json.dumps({"seeds": seeds, "wall_seconds": round(time.perf_counter() - t0),
                                       "settings": i, "rows": rows}, indent=0), encoding="utf-8")
            print(f"{i}/{len(tasks)} {part[0]['scenario'] if part else ''} {part[0]['setting'] if part else ''} "
                  f"{time.perf_counter() - t0:.0f}s", flush=True)
    return rows


def table(rows: list[dict], seeds: int) -> str:
    """Per fact and every scenario it applies to: the defaults cell, how many of the measured
    settings hold (and how many were not measured), and each failing cell."""
    lines = [f"Each cell: the mean margin over {seeds} seeds ± twice its standard error; a fact holds "
             "in a cell when the mean is positive.", "",
             "| fact | scenario | defaults | settings where it holds / measured | where it fails (mean ± margin) |",
             "|---|---|---|---|---|"]
    order = list(FACTS)
    by: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        if r["fact"] in FACTS and r["scenario"] in FACTS[r["fact"]][1]:  # measured before a fact was narrowed
            by.setdefault((r["fact"], r["scenario"]), []).append(r)
    every = {(f, sc) for f, (_, applies) in FACTS.items() for sc in applies}
    for key in sorted(every, key=lambda k: (order.index(k[0]), k[1])):
        cells = by.get(key, [])
        d = next((c for c in cells if c["setting"] == "defaults"), None)
        fails = sorted((c for c in cells if c["mean"] <= 0), key=lambda c: c["setting"])
        held = len(cells) - len(fails)
        ds = f"{d['mean']:+.4g} ± {d['margin']:.2g}" if d else "—"
        fs = _where_it_fails(cells, fails)
        unmeasured = len(perturbations(key[1])) - len(cells)  # a run stopped before it reached them
        gap = f" ({unmeasured} not measured)" if unmeasured else ""
        lines.append(f"| {key[0]} | {key[1]} | {ds} | {held}/{len(cells)}{gap} | {fs} |")
    return "\n".join(lines)


def _where_it_fails(cells: list[dict], fails: list[dict]) -> str:
    def shown(c):
        return f"{c['setting']}: {c['mean']:+.3g} ± {c['margin']:.2g}"
    if not cells:
        return "not measured"
    if len(fails) > len(cells) / 2:  # failing almost everywhere: say where it holds instead
        holds = [c for c in sorted(cells, key=lambda c: c["setting"]) if c["mean"] > 0]
        return f"fails in {len(fails)} of {len(cells)}, holds only in " + (", ".join(map(shown, holds)) or "none")
    return "; ".join(map(shown, fails)) or "none"


def write_docs(rows: list[dict], seeds: int, lessons: bool = False) -> None:
    begin, end = (LESSON_BEGIN, LESSON_END) if lessons else (BEGIN, END)
    doc = ROOT / "docs" / "model.md"
    text = doc.read_text(encoding="utf-8")
    if begin not in text:
        raise SystemExit(f"docs/model.md has no {begin} marker")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    body = lesson_table(rows, seeds) if lessons else table(rows, seeds)
    doc.write_text(head + begin + "\n" + body + "\n" + end + tail, encoding="utf-8")


def _run_lesson(task) -> list[dict]:
    scenario, setting, overrides, seeds = task
    try:
        slacks = check(scenario, overrides, seeds)
    except Exception as e:  # a setting the scenario cannot play (reported, not fatal)
        return [{"scenario": scenario, "setting": setting, "error": f"{type(e).__name__}: {e}"}]
    return [{"scenario": scenario, "setting": setting, "slacks": slacks}]


def lesson_sweep(scenarios, seeds, jobs, out: pathlib.Path) -> list[dict]:
    tasks = [(sc, name, ov, seeds) for sc, name, ov in _cells(scenarios)]
    rows: list[dict] = []
    t0 = time.perf_counter()
    with multiprocessing.Pool(jobs) as pool:
        for i, part in enumerate(pool.imap_unordered(_run_lesson, tasks), 1):
            rows.extend(part)
            out.write_text(json.dumps({"seeds": seeds, "rows": rows}, indent=0), encoding="utf-8")
            print(f"{i}/{len(tasks)} {part[0]['scenario']} {part[0]['setting']} {time.perf_counter() - t0:.0f}s", flush=True)
    return rows


def lesson_table(rows: list[dict], seeds: int) -> str:
    """Per scenario: how many settings its whole lesson holds in, and each failing claim
    with the settings it fails in."""
    lines = [f"Each setting: the lesson's claims (tests/test_scenarios.py) over {seeds} seeds; the lesson "
             "holds in a setting when every claim does.", "",
             "| scenario | settings where the whole lesson holds | claims that fail, and where |", "|---|---|---|"]
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["scenario"], []).append(r)
    for sc in sorted(by, key=list(CLAIMS).index):
        cells = by[sc]
        fails: dict[str, list[str]] = {}
        held = 0
        for c in sorted(cells, key=lambda c: c["setting"]):
            if "error" in c:
                fails.setdefault("cannot be played", []).append(f"{c['setting']} ({c['error'][:60]})")
                continue
            bad = [k for k, v in c["slacks"].items() if v <= 0]
            held += not bad
            for k in bad:
                fails.setdefault(k, []).append(c["setting"])
        every = sorted(c["setting"] for c in cells)

        def where(k, v):  # a claim that fails almost everywhere: say where it holds instead
            if len(v) <= len(cells) / 2:
                return f"{k}: {', '.join(v)}"
            return f"{k}: fails in {len(v)} of {len(cells)}, holds only in {', '.join(x for x in every if x not in v)}"
        fs = "; ".join(where(k, v) for k, v in fails.items()) or "none"
        lines.append(f"| {sc} | {held}/{len(cells)} | {fs} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--scenarios", default=None, help="default: every scenario a fact (or a lesson) applies to")
    ap.add_argument("--out", default=None, help="default: benchmarks/results/robustness_full.json "
                                                "(lesson_robustness.json with --lessons)")
    ap.add_argument("--docs", action="store_true", help="write the table into docs/model.md")
    ap.add_argument("--table-only", action="store_true", help="with --docs: from --out, no measuring")
    ap.add_argument("--lessons", action="store_true", help="sweep the scenarios' lessons, not the facts")
    ap.add_argument("--facts", default="", help="only the facts whose names start so (comma-separated, e.g. '13 ')")
    a = ap.parse_args()
    if a.lessons:
        return _lessons_main(a)
    a.scenarios = a.scenarios or ",".join(sorted({s for _, x in FACTS.values() for s in x}))
    a.out = a.out or str(ROOT / "benchmarks" / "results" / "robustness_full.json")
    out = pathlib.Path(a.out.split(",")[0])
    if a.table_only:  # --out may name several result files (runs split by scenario)
        parts = [json.loads(pathlib.Path(f).read_text(encoding="utf-8")) for f in a.out.split(",")]
        cells = {(r["fact"], r["scenario"], r["setting"]): r for d in parts for r in d["rows"]}  # later wins
        rows, seeds = list(cells.values()), min(d["seeds"] for d in parts)
    else:
        only = tuple(f for f in a.facts.split(",") if f)
        scenarios = [sc for sc in a.scenarios.split(",")
                     if any(sc in ap_ and (not only or any(f.startswith(o) for o in only)) for f, (_, ap_) in FACTS.items())]
        rows, seeds = sweep(scenarios, a.seeds, a.jobs, out, only), a.seeds
    print(table(rows, seeds))
    if a.docs:
        write_docs(rows, seeds)
    return 0


def _lessons_main(a) -> int:
    files = (a.out or str(ROOT / "benchmarks" / "results" / "lesson_robustness.json")).split(",")
    out = pathlib.Path(files[0])
    scenarios = a.scenarios.split(",") if a.scenarios else list(CLAIMS)
    if a.table_only:  # --out may name several result files (runs split by scenario); later wins
        parts = [json.loads(pathlib.Path(f).read_text(encoding="utf-8")) for f in files]
        rows = list({(r["scenario"], r["setting"]): r for d in parts for r in d["rows"]}.values())
        seeds = min(d["seeds"] for d in parts)
    else:
        rows, seeds = lesson_sweep(scenarios, a.seeds, a.jobs, out), a.seeds
    print(lesson_table(rows, seeds))
    if a.docs:
        write_docs(rows, seeds, lessons=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
