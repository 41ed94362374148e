"""Treatments inside one session: several parameter sets (`--set` overrides, one set per
treatment name) played side by side, each by some **alliance groups** or by some **firms**.

- unit `alliance`: a group is one copy of the case (its firms and the alliances the
  scenario makes between them); both partners of an alliance play the same treatment.
  Any setting may differ between groups except what the whole session shares
  (`SESSION_WIDE`: the rival, the market weights, the calendar, the budget, the default
  term sheet).
- unit `firm`: the two partners of an alliance may play different treatments, so only
  what belongs to one firm may differ (`FIRM_SIDE`: how it is scored, how sharply it
  sees its partners, how fast it develops on its own).

Assignment is a function of the units, the treatment names (in the order given), the
method and the seed, so anyone can recompute it:

- `random`: each unit in turn gets `random.Random(seed).choice(names)`;
- `balanced`: the units are shuffled with `random.Random(seed)` and dealt out in the order
  of the names, so the counts of any two treatments differ by at most one;
- `fixed`: the configuration names the treatment of every unit.
"""
from __future__ import annotations

import random
from dataclasses import replace
from typing import Any, Callable

from .rules import Rules

UNITS = ("alliance", "firm")
METHODS = ("random", "balanced", "fixed")

SESSION_WIDE = ("rounds", "budget", "rival_growth", "rival.", "weight.", "terms.")
FIRM_SIDE = ("scoring.", "estimate_noise", "pace.")


class TreatmentError(ValueError):
    pass


def _matches(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or (p.endswith(".") and name.startswith(p)) for p in prefixes)


def check_overrides(unit: str, treatments: dict[str, dict[str, Any]]) -> list[str]:
    """Problems with treatments that are to differ inside one session (empty when fine)."""
    if unit not in UNITS:
        return [f"assignment_unit: {unit!r} is not one of session, {', '.join(UNITS)}"]
    problems = []
    for tname, overrides in treatments.items():
        for name in overrides:
            if _matches(name, SESSION_WIDE):
                problems.append(f"treatments.{tname}.{name}: the whole session shares this setting; "
                                f"compare it across sessions (assignment_unit session)")
            elif unit == "firm" and not _matches(name, FIRM_SIDE):
                problems.append(f"treatments.{tname}.{name}: partners share this setting; with "
                                f"assignment_unit firm only scoring.*, estimate_noise and pace.* may differ")
    return problems


def units_of(unit: str, copies: dict[str, int]) -> list[str]:
    """The units to assign, in a fixed order: copy numbers ("1", "2", ...) or firm ids
    (`copies`: firm id -> copy, in the session's firm order)."""
    if unit == "alliance":
        return [str(c) for c in sorted(set(copies.values()))]
    return list(copies)


def assign(units: list[str], names: list[str], method: str, seed: int,
           fixed: dict[str, str] | None = None) -> dict[str, str]:
    """unit -> treatment name (see the module text for the methods)."""
    if not names:
        raise TreatmentError("treatments: name at least one")
    rng = random.Random(seed)
    if method == "fixed":
        fixed = fixed or {}
        missing = [u for u in units if u not in fixed]
        unknown = sorted(set(fixed) - set(units))
        bad = sorted({t for t in fixed.values() if t not in names})
        if missing or unknown or bad:
            raise TreatmentError(
                "treatment_of: " + "; ".join(filter(None, [
                    missing and f"no treatment for {', '.join(missing)}",
                    unknown and f"{', '.join(unknown)} is not a unit of this session (units: {', '.join(units)})",
                    bad and f"{', '.join(bad)} is not one of the treatments ({', '.join(names)})"])))
        return {u: fixed[u] for u in units}
    if method == "random":
        return {u: rng.choice(names) for u in units}
    if method == "balanced":
        order = list(units)
        rng.shuffle(order)
        dealt = {u: names[i % len(names)] for i, u in enumerate(order)}
        return {u: dealt[u] for u in units}
    raise TreatmentError(f"assignment: {method!r} is not one of {', '.join(METHODS)}")


def firm_treatments(unit: str, of_unit: dict[str, str], copies: dict[str, int]) -> dict[str, str]:
    """firm id -> treatment name."""
    if unit == "alliance":
        return {fid: of_unit[str(c)] for fid, c in copies.items()}
    return {fid: of_unit[fid] for fid in copies}


def treated_rules(base: Rules, by_treatment: dict[str, Rules], of_firm: dict[str, str]) -> Rules:
    """`base` (the session's rules) with each firm's own rules attached (`Rules.of`)."""
    return replace(base, treated={fid: by_treatment[t] for fid, t in of_firm.items()})


def session_rules(base: Rules, options: dict, build: Callable[[dict], Rules]) -> Rules:
    """A session's rules from its options: `base`, and when treatments differ inside the
    session (`treatment_of_firm`) each firm's own, `build(treatment overrides)` for each
    treatment played (the server and the replay build them each their way)."""
    of_firm = options.get("treatment_of_firm")
    if not of_firm:
        return base
    played = sorted(set(of_firm.values()))
    return treated_rules(base, {t: build(options["treatments"][t]) for t in played}, of_firm)
