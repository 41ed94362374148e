"""Strategy tournaments with a chart an instructor can put on a slide.

    python -m clients.python.tournament --scenario classic --seeds 50 --chart tournament.svg

Every strategy plays every other over many seeds through the engine (fast); with
`--live URL` the same pairings are also played end to end through a running server by
bots over the live protocol. Prints the table and writes a scatter of mean internal
against mean external gain per strategy (PNG or SVG, chosen by the file's extension).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys

from game_rules.bots import STRATEGIES
from game_rules.simulate import tournament


def per_strategy(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Mean internal gain, external gain, cash and total of each strategy over every
    opponent and both roles."""
    acc: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        for role, strategy in row["strategies"].items():
            m = row["means"][role]
            a = acc.setdefault(strategy, {"internal_gain": [], "external_gain": [], "cash": [], "total": []})
            for k in a:
                a[k].append(m[k])
    return {s: {k: statistics.fmean(v) for k, v in a.items()} for s, a in acc.items()}


def write_chart(summary: dict[str, dict[str, float]], path: str, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
    markers = "osD^v<>"  # shapes as well as colours tell the strategies apart
    for i, (strategy, m) in enumerate(sorted(summary.items())):
        ax.scatter(m["external_gain"] * 100, m["internal_gain"] * 100, s=90,
                   marker=markers[i % len(markers)], label=strategy.replace("_", "-"))
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("external gain: change of position against the rest of the industry (%)")
    ax.set_ylabel("internal gain: change of position against the partner (%)")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m clients.python.tournament", description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="classic")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    ap.add_argument("--chart", help="write the chart here (.png or .svg)")
    ap.add_argument("--live", metavar="URL", help="also play every pairing through this server, e.g. http://127.0.0.1:8080")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    strategies = [s.strip().replace("-", "_") for s in args.strategies.split(",") if s.strip()]
    bad = [s for s in strategies if s not in STRATEGIES]
    if bad or args.seeds < 1:
        print(f"error: unknown strategy {bad[0]!r}" if bad else "error: --seeds must be at least 1", file=sys.stderr)
        return 2
    if args.chart and not args.chart.lower().endswith((".png", ".svg")):
        print("error: --chart must end in .png or .svg", file=sys.stderr)
        return 2
    rows = tournament(args.scenario, args.seeds, strategies)
    summary = per_strategy(rows)
    out = {"engine": {"rows": rows, "per_strategy": summary}}
    if args.live:
        from .live_tournament import run_live_tournament
        import asyncio
        out["live"] = asyncio.run(run_live_tournament(args.live, args.scenario, strategies, seeds=min(args.seeds, 3)))
    if args.chart:
        write_chart(summary, args.chart, f"{args.scenario}: mean over {args.seeds} seeds per pairing")
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(f"{'strategy':<14} {'internal':>9} {'external':>9} {'cash':>8} {'total':>7}")
        for s, m in sorted(summary.items(), key=lambda kv: -kv[1]["total"]):
            print(f"{s:<14} {m['internal_gain']:>+9.3f} {m['external_gain']:>+9.3f} {m['cash']:>8.0f} {m['total']:>7.3f}")
        if args.chart:
            print(f"chart written to {args.chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
