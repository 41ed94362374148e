"""Command line: `python -m game_rules simulate|tournament|scenarios|validate|replay ...`.

Researchers and instructors use it to play bots through the engine; it is also how the
engine's behaviour is checked by hand. All output goes to stdout; errors to stderr with a
non-zero exit code and no traceback.
"""
from __future__ import annotations

import argparse
import json
import sys

from .bots import ALL_STRATEGIES, STRATEGIES
from .scenario import ScenarioError, parse_scenario, scenario_ids
from .simulate import simulate, tournament


def _overrides(pairs: list[str]) -> dict[str, str]:
    out = {}
    for p in pairs or []:
        name, sep, value = p.partition("=")
        if not sep or not name:
            raise ScenarioError([f"--set {p}: expected NAME=VALUE"])
        out[name.strip()] = value.strip()
    return out


def _strategies(text: str) -> list[str]:
    return [s.strip().replace("-", "_") for s in text.split(",") if s.strip()]


def _print_game(result: dict) -> None:
    firms = list(result["firms"])
    print(f"scenario {result['scenario']}, seed {result['seed']}, "
          f"dissolved: {result['dissolved_round'] or 'never'}")
    if result["alliances"]:  # which firms were partners: the table lists every firm
        print("alliances: " + ", ".join(f"{a} ({' with '.join(f)})" for a, f in result["alliances"].items()))
    print(f"{'round':>5} {'joint value':>11} " + " ".join(f"{f + ' trust':>12} {f + ' dep':>10} {f + ' P':>8}" for f in firms))
    for r in result["rounds"]:
        cells = []
        for f in firms:
            t = r["trust"].get(f)
            cells.append(f"{('-' if t is None else f'{t:.2f}'):>12} {r['dependency'][f]:>10.3f} {r['position'][f]:>8.1f}")
        print(f"{r['round']:>5} {r['joint_value']:>11.1f} " + " ".join(cells))
    _print_windows(result.get("renegotiations", ()))
    print()
    print(f"{'firm':<10} {'internal':>9} {'external':>9} {'cash':>9} {'freedom':>8} {'total':>7} {'rank':>4}")
    for f, s in result["firms"].items():
        print(f"{f:<10} {s['internal_gain']:>+9.3f} {s['external_gain']:>+9.3f} {s['cash']:>9.1f} "
              f"{s['freedom']:>8.3f} {s['total']:>7.3f} {s['rank']:>4}")


def _print_windows(windows) -> None:
    """One line per alliance and window: each move, what a proposal changes, the outcome."""
    def shown(v):
        return f"{v:.3g}" if isinstance(v, float) else str(v)
    for w in windows:
        for aid, x in w["alliances"].items():
            said = []
            for m in x["moves"]:
                what = "; ".join(f"{c['field']}{' ' + c['firm'] if c['firm'] else ''} "
                                 f"{shown(c['before'])}->{shown(c['after'])}" for c in m.get("changes", ()))
                said.append(f"{m['by']} {m['action'].replace('_', ' ')}" + (f" ({what})" if what else ""))
            end = f"new terms from round {w['applies_from']}" if x["outcome"] == "renegotiated" else "terms kept"
            print(f"window after round {w['round']}, {aid}: " + " · ".join(said) + f": {end}")


def _print_tournament(rows: list[dict]) -> None:
    roles = list(rows[0]["strategies"])
    print(f"{roles[0]:<13} {roles[1]:<13} " + " ".join(
        f"{r + ' ' + k:>16}" for r in roles for k in ("internal", "external", "cash")) + "  dissolved")
    for row in rows:
        s = row["strategies"]
        cells = " ".join(f"{row['means'][r][k]:>16.3f}" if k != "cash" else f"{row['means'][r][k]:>16.1f}"
                         for r in roles for k in ("internal_gain", "external_gain", "cash"))
        print(f"{s[roles[0]]:<13} {s[roles[1]]:<13} {cells}  {row['dissolution_rate']:>8.0%}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m game_rules", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sim = sub.add_parser("simulate", help="play one copy of the case: a strategy per role in the scenario's role order, every alliance of the scenario")
    sim.add_argument("--scenario", default="classic")
    sim.add_argument("--strategies", required=True, help=f"one per role, from {', '.join(ALL_STRATEGIES)}")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--rounds", type=int)
    sim.add_argument("--release", choices=("staged", "upfront"))
    sim.add_argument("--alone", action="store_true", help="no alliance: every firm plays its outside option")
    sim.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    sim.add_argument("--json", action="store_true")
    tour = sub.add_parser("tournament", help="every strategy against every other over many seeds")
    tour.add_argument("--scenario", default="classic")
    tour.add_argument("--seeds", type=int, default=20)
    tour.add_argument("--rounds", type=int)
    tour.add_argument("--strategies", default=",".join(STRATEGIES))
    tour.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    tour.add_argument("--json", action="store_true")
    sub.add_parser("scenarios", help="list the shipped scenarios")
    val = sub.add_parser("validate", help="validate a scenario TOML file")
    val.add_argument("path")
    rep = sub.add_parser("replay", help="recompute a logged session from an export; --set for a counterfactual",
                         description="Recompute every round of the exported session(s) from the logged decisions "
                                     "through the engine and report any difference from the logged results "
                                     "(exit 0: none, 1: some). With --set, a counterfactual: the same decisions "
                                     "under changed parameters, written in the wide format (--out).")
    rep.add_argument("export", help="an export archive (.zip) or its log.jsonl")
    rep.add_argument("--session", action="append", metavar="ID", help="only this session (repeatable)")
    rep.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    rep.add_argument("--out", metavar="FILE.csv", help="write the recomputed rounds (wide format) here")
    args = ap.parse_args(argv)
    try:
        return _run(args)
    except (ScenarioError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _run(args) -> int:
    if args.cmd == "replay":
        return _replay(args)
    if args.cmd == "scenarios":
        print("\n".join(scenario_ids()))
        return 0
    if args.cmd == "validate":
        with open(args.path, encoding="utf-8") as fh:
            s = parse_scenario(fh.read())
        for warning in s.missing_translations():  # warnings, not errors: English stands in
            print(f"warning: {warning}", file=sys.stderr)
        langs = ", ".join(sorted(s.translations)) or "none"
        print(f"ok: {s.id} ({s.title}); translations: {langs}")
        return 0
    if args.rounds is not None and not 1 <= args.rounds <= 50:
        raise ValueError("--rounds must be between 1 and 50")
    if args.cmd == "simulate":
        result = simulate(args.scenario, _strategies(args.strategies), args.seed, args.rounds,
                          args.release, _overrides(args.set), allied=not args.alone)
        print(json.dumps(result, indent=1)) if args.json else _print_game(result)
        return 0
    if args.seeds < 1:
        raise ValueError("--seeds must be at least 1")
    strategies = _strategies(args.strategies)
    bad = [s for s in strategies if s not in ALL_STRATEGIES]
    if bad:
        raise ValueError(f"unknown strategy {bad[0]!r} (known: {', '.join(ALL_STRATEGIES)})")
    rows = tournament(args.scenario, args.seeds, strategies, args.rounds, _overrides(args.set))
    print(json.dumps(rows, indent=1)) if args.json else _print_tournament(rows)
    return 0


def _read_export(path: str) -> tuple[list[dict], dict[str, str]]:
    """Log rows and scenario texts (session id -> TOML) of an export archive or a JSON Lines log."""
    import zipfile
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            if "log.jsonl" not in z.namelist():
                raise ValueError(f"{path}: not an export archive (no log.jsonl)")
            lines = z.read("log.jsonl").decode("utf-8").splitlines()
            tomls = {n[len("scenarios/"):-len(".toml")]: z.read(n).decode("utf-8")
                     for n in z.namelist() if n.startswith("scenarios/") and n.endswith(".toml")}
    else:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        tomls = {}
    return [json.loads(x) for x in lines if x.strip()], tomls


def _replay(args) -> int:
    from .csv_cells import csv_line
    from .replay import read_sessions, replay, rules_for
    from .wide_format import wide_columns, wide_rows
    rows, tomls = _read_export(args.export)
    logs = read_sessions(rows)
    if args.session:
        missing = [s for s in args.session if s not in logs]
        if missing:
            raise ValueError(f"no session {missing[0]!r} in {args.export}")
        logs = {s: logs[s] for s in args.session}
    cf = _overrides(args.set) or None
    columns: list[str] = []
    out_rows: list[dict] = []
    differences = 0
    for sid, log in logs.items():
        toml = tomls.get(sid) or next((r["data"].get("scenario_toml") for r in log.rows
                                       if r["type"] == "session_created"), None)
        logged = replay(log, rules_for(log, toml))
        result = logged if cf is None else replay(log, rules_for(log, toml, cf), counterfactual=cf)
        rows_ = wide_rows(log, result)
        columns += [c for c in wide_columns(result.rules) if c not in columns]
        out_rows += rows_
        if cf is None:
            differences += len(logged.diffs)
            status = "no differences" if not logged.diffs else f"{len(logged.diffs)} difference(s)"
            print(f"{sid}: {len(logged.rounds)} round(s) replayed, {status}")
            for d in logged.diffs[:50]:
                print(f"  {d}")
            if len(logged.diffs) > 50:
                print(f"  ... and {len(logged.diffs) - 50} more")
        else:
            print(f"{sid}: counterfactual {' '.join(f'{k}={v}' for k, v in cf.items())}: "
                  f"{len(result.rounds)} round(s)")
            for n in result.notes:
                print(f"  note: {n}")
            before = {f: r for f, r in _last_results(wide_rows(log, logged)).items()}
            after = _last_results(rows_)
            print(f"  {'firm':<10} {'cash':>12} {'cf cash':>12} {'position':>10} {'cf position':>12}")
            for f, r in after.items():
                b = before.get(f, {})
                print(f"  {f:<10} {b.get('cash') or 0:>12.2f} {r['cash'] or 0:>12.2f} "
                      f"{b.get('position') or 0:>10.2f} {r['position'] or 0:>12.2f}")
            adjusted = sum(1 for r in rows_ if r["adjusted"])
            if adjusted:
                print(f"  {adjusted} decision(s) adapted to the changed rules (column `adjusted`)")
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="") as fh:
            fh.write(csv_line(columns))
            for r in out_rows:
                fh.write(csv_line(r.get(c) for c in columns))
        print(f"wrote {len(out_rows)} row(s) to {args.out}")
    return 1 if differences else 0


def _last_results(rows: list[dict]) -> dict[str, dict]:
    """The last round's row of each firm (rows of one session, in round order)."""
    return {r["firm"]: r for r in rows}


if __name__ == "__main__":
    sys.exit(main())
