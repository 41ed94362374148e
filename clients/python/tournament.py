"""Strategy tournaments with a chart an instructor can put on a slide.

    python -m clients.python.tournament --scenario classic --seeds 50 --chart tournament.png
    python -m clients.python.tournament --seeds 3 --live http://127.0.0.1:8080

Every strategy plays every other, in both roles, over many seeds through the engine (fast).
With `--live URL` the same pairings are also played end to end on a running server, each
firm a bot over the live protocol, and the two are compared (they should agree exactly:
same engine, same bots, same seeds). Prints the pairing table and the per-strategy means,
and writes a chart of mean internal against mean external gain per strategy (PNG or SVG,
chosen by the file's extension; both with `--chart a.png --chart a.svg`).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path

from game_rules.bots import STRATEGIES
from game_rules.scenario import ScenarioError
from game_rules.simulate import tournament

CHART_SUFFIXES = (".png", ".svg")


def per_strategy(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Mean internal gain, external gain, cash and total of each strategy over every
    opponent and both roles (each pairing and role counts once)."""
    acc: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        for role, strategy in row["strategies"].items():
            m = row["means"][role]
            a = acc.setdefault(strategy, {"internal_gain": [], "external_gain": [], "cash": [], "total": []})
            for k in a:
                a[k].append(m[k])
    return {s: {k: statistics.fmean(v) for k, v in a.items()} for s, a in acc.items()}


def write_chart(summary: dict[str, dict[str, float]], path: str | Path, title: str) -> Path:
    """A scatter of mean external gain (x) against mean internal gain (y) per strategy,
    each point labelled, quadrants explained; the format follows the file's extension."""
    import matplotlib
    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt

    path = Path(path)
    if path.suffix.lower() not in CHART_SUFFIXES:
        raise ValueError(f"{path}: the chart must end in .png or .svg")
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text: editable on a slide
        _draw(plt, summary, path, title)
    return path


def _draw(plt, summary: dict[str, dict[str, float]], path: Path, title: str) -> None:
    fig, ax = plt.subplots(figsize=(8, 5.6), dpi=150)
    markers = "osD^v<>ph"  # shapes as well as colours tell the strategies apart
    xs = [m["external_gain"] * 100 for m in summary.values()]
    ys = [m["internal_gain"] * 100 for m in summary.values()]
    span_x = max(max(xs) - min(xs), 1.0)
    span_y = max(max(ys) - min(ys), 1.0)
    x0, x1 = min(xs) - 0.25 * span_x, max(xs) + 0.35 * span_x
    y0, y1 = min(ys) - 0.25 * span_y, max(ys) + 0.25 * span_y
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    points = []
    for i, (strategy, m) in enumerate(sorted(summary.items(), key=lambda kv: -kv[1]["total"])):
        x, y = m["external_gain"] * 100, m["internal_gain"] * 100
        name = strategy.replace("_", "-")
        ax.scatter(x, y, s=110, marker=markers[i % len(markers)], label=f"{name} (score {m['total']:.2f})",
                   zorder=3)
        points.append((name, x, y))
    ax.axhline(0, color="grey", linewidth=0.8, zorder=1)
    ax.axvline(0, color="grey", linewidth=0.8, zorder=1)
    ax.grid(True, linewidth=0.3, alpha=0.5)
    ax.set_xlabel("external gain: change of position against the rest of the industry (%)")
    ax.set_ylabel("internal gain: change of position\nagainst the partner (%)")
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    _label_points(fig, ax, points)  # after the layout: it measures where things are
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    fig.savefig(path, format=path.suffix[1:].lower())
    plt.close(fig)


def _label_points(fig, ax, points: list[tuple[str, float, float]]) -> None:
    """Name every point next to it without covering another point or label: candidate
    positions are tried nearest first; a label set further away gets a leader line."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = []
    for _, x, y in points:  # the markers themselves
        px, py = ax.transData.transform((x, y))
        taken.append(_Box(px - 9, py - 9, px + 9, py + 9))
    near = [(9, 0), (-9, 0), (8, 11), (8, -11), (-8, 11), (-8, -11)]
    far = [(d * sx, d * sy) for d in (24, 40, 58) for sx, sy in ((1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0))]
    for name, x, y in points:
        for dx, dy in near + far:
            arrow = dict(arrowstyle="-", color="grey", linewidth=0.6) if (dx, dy) in far else None
            ann = ax.annotate(name, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=10,
                              ha="left" if dx > 0 else "right", va="center", arrowprops=arrow, zorder=4)
            bb = ann.get_window_extent(renderer)
            box = _Box(bb.x0 - 2, bb.y0 - 2, bb.x1 + 2, bb.y1 + 2)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(t) for t in taken):
                taken.append(box)
                break
            ann.remove()
        else:  # nowhere free: the nearest spot (the legend still names it)
            ax.annotate(name, (x, y), xytext=near[0], textcoords="offset points", fontsize=10, va="center")


class _Box:
    __slots__ = ("x0", "y0", "x1", "y1")

    def __init__(self, x0, y0, x1, y1):
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1

    def overlaps(self, o: "_Box") -> bool:
        return self.x0 < o.x1 and o.x0 < self.x1 and self.y0 < o.y1 and o.y0 < self.y1


def format_pairings(rows: list[dict]) -> str:
    roles = list(rows[0]["strategies"])
    head = "".join(f"{r:<14}" for r in roles)
    cols = "".join(f"{r + ' ' + k:>14}" for r in roles for k in ("internal", "external", "total"))
    lines = [f"{head}{cols}  dissolved"]
    for row in rows:
        cells = "".join(f"{row['strategies'][r]:<14}" for r in roles)
        nums = "".join(f"{row['means'][r][k]:>+14.3f}" for r in roles
                       for k in ("internal_gain", "external_gain", "total"))
        lines.append(f"{cells}{nums}  {row['dissolution_rate']:>8.0%}")
    return "\n".join(lines)


def format_summary(summary: dict[str, dict[str, float]]) -> str:
    lines = [f"{'strategy':<14} {'internal':>9} {'external':>9} {'cash':>8} {'total':>7}"]
    for s, m in sorted(summary.items(), key=lambda kv: -kv[1]["total"]):
        lines.append(f"{s:<14} {m['internal_gain']:>+9.3f} {m['external_gain']:>+9.3f} "
                     f"{m['cash']:>8.0f} {m['total']:>7.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m clients.python.tournament",
                                 description="Every strategy against every other: table and chart.")
    ap.add_argument("--scenario", default="classic")
    ap.add_argument("--seeds", type=int, default=20, help="games per pairing in the engine (seeds 0..N-1)")
    ap.add_argument("--strategies", default=",".join(STRATEGIES), help="comma-separated (default: all)")
    ap.add_argument("--chart", action="append", default=[], metavar="FILE",
                    help="write the chart here (.png or .svg); repeat for both")
    ap.add_argument("--live", metavar="URL", help="also play every pairing through this server, e.g. http://127.0.0.1:8080")
    ap.add_argument("--live-seeds", type=int, default=None, help="games per pairing on the server (default: min(seeds, 3))")
    ap.add_argument("--json", action="store_true", help="print everything as JSON")
    args = ap.parse_args(argv)
    strategies = [s.strip().replace("-", "_") for s in args.strategies.split(",") if s.strip()]
    bad = [s for s in strategies if s not in STRATEGIES]
    if bad:
        ap.error(f"unknown strategy {bad[0]!r} (known: {', '.join(STRATEGIES)})")
    if not strategies:
        ap.error("give at least one strategy")
    if args.seeds < 1 or (args.live_seeds is not None and args.live_seeds < 1):
        ap.error("--seeds and --live-seeds must be at least 1")
    for c in args.chart:
        if not c.lower().endswith(CHART_SUFFIXES):
            ap.error(f"--chart {c}: must end in .png or .svg")
    try:
        rows = tournament(args.scenario, args.seeds, strategies)
    except ScenarioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    summary = per_strategy(rows)
    out: dict = {"engine": {"seeds": args.seeds, "rows": rows, "per_strategy": summary}}
    if args.live:
        from .client import CommandError
        from .live_tournament import compare, run_live_tournament
        live_seeds = args.live_seeds or min(args.seeds, 3)
        try:
            live_rows = asyncio.run(run_live_tournament(args.live.rstrip("/"), args.scenario, strategies, live_seeds))
        except (CommandError, OSError, RuntimeError) as e:
            print(f"error: the live tournament failed: {e}", file=sys.stderr)
            return 1
        same = rows if live_seeds == args.seeds else tournament(args.scenario, live_seeds, strategies)
        out["live"] = {"seeds": live_seeds, "rows": live_rows, "per_strategy": per_strategy(live_rows),
                       "max_difference_from_engine": compare(same, live_rows)}
    for c in args.chart:
        write_chart(summary, c, f"{args.scenario}: each strategy against every other, "
                                f"mean over both roles and {args.seeds} seeds")
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"Engine: {args.scenario}, {args.seeds} seed(s) per pairing\n")
    print(format_pairings(rows))
    print()
    print(format_summary(summary))
    if "live" in out:
        live = out["live"]
        print(f"\nLive server ({args.live}): {live['seeds']} seed(s) per pairing, every move over the live protocol\n")
        print(format_summary(live["per_strategy"]))
        diff = live["max_difference_from_engine"]
        verdict = "the same numbers as the engine" if diff < 1e-9 else "DIFFERENT from the engine"
        print(f"\nlive vs engine over the same seeds: largest difference {diff:.3g} ({verdict})")
    for c in args.chart:
        print(f"chart written to {c}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
