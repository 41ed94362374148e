"""`python -m game_rules.selection validate PATH | profiles SCENARIO`: check a selection
sidecar, or preview the profiles of a scenario for a seed."""
from __future__ import annotations

import tomllib

from ..rules import Rules
from ..scenario import ScenarioError
from .board import SelectionError, full_profile, is_go_between, market, public_profile, sees_fully
from .config import SelectionConfigError, load_selection, parse_selection


def main(argv: list[str] | None = None) -> int:
    """Check a selection sidecar, or print what every firm of a scenario shows (and what a
    go-between sees) for a seed: the facilitator's preview of the selection phase."""
    import argparse
    import sys

    from ..scenario import load_scenario

    ap = argparse.ArgumentParser(prog="python -m game_rules.selection", description=main.__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    val = sub.add_parser("validate", help="validate a selection sidecar TOML file")
    val.add_argument("path")
    pro = sub.add_parser("profiles", help="print the public profiles (and dossiers) of a scenario")
    pro.add_argument("scenario")
    pro.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "validate":
            with open(args.path, encoding="utf-8") as fh:
                text = fh.read()
            try:
                sid = tomllib.loads(text).get("scenario")
            except tomllib.TOMLDecodeError:
                sid = None
            if not isinstance(sid, str):
                raise SelectionConfigError(["scenario: missing (name the scenario this file is for)"])
            cfg = parse_selection(text, load_scenario(sid))
            gb = f", go-between {', '.join(cfg.go_between.roles)}" if cfg.go_between else ""
            print(f"ok: selection for {cfg.scenario}{gb}")
            return 0
        from ..rules import new_session
        rules = Rules.from_scenario(load_scenario(args.scenario))
        cfg = load_selection(rules.scenario)
        state = new_session(rules, seed=args.seed)
        print(f"{rules.scenario.id}, seed {args.seed}: public profiles (rounded to {cfg.rounding:g}, noise sd {cfg.noise:g})")
        for fid in state.firms:
            p = public_profile(rules, cfg, state, fid)
            shown = ", ".join(f"{k} {v:g}" for k, v in p.values.items())
            print(f"  {p.name:<28} shows {shown or '-'}; hides {', '.join(p.hidden) or '-'}")
        for gb in (f for f in state.firms if is_go_between(cfg, state, f)):
            print(f"what {state.firms[gb].name} sees:")
            for fid in market(cfg, state, gb):
                if sees_fully(cfg, state, gb, fid):
                    p = full_profile(rules, cfg, state, gb, fid)
                    print(f"  {p.name:<28} " + ", ".join(f"{k} {v:g}" for k, v in p.values.items()))
        return 0
    except (ScenarioError, SelectionError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    import sys
    sys.exit(main())
