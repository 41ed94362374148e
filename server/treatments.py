"""Treatments: the parameter sets a study compares, and who plays which.

A session's configuration names the treatments (name -> scenario `--set` overrides,
exactly the names `python -m game_rules simulate --set` takes), the unit they are assigned
to (`assignment_unit`) and how. A *study* (a name given when sessions are created) groups
the sessions that are compared.

Unit `alliance` or `firm` (docs/research.md): treatments differ **inside** the session,
per alliance group (a copy of the case) or per firm; `game_rules.treatments` checks which
settings may differ, draws the assignment (random and balanced from the recorded seed,
or `fixed` from `treatment_of`) and gives every firm its own rules. The assignment is
logged as `treatment_assigned` and kept in the session's options (`treatment_of_firm`).

Unit `session` (the default): one treatment for the whole session, chosen so:

- `random`: `random.Random(seed).choice(names)`, names in the order given;
- `balanced`: the treatment used least so far in the study (every session created with
  the same `study` counts, live or ended); ties are broken by `random.Random(seed)`;
- `fixed`: the one named in `treatment`.

The seed is recorded (drawn at random when not given), so anyone can recompute the draw.
The overrides of the chosen treatment are merged into the session's `overrides` (after
scoring weights) and the assignment is logged as the `treatment_assigned` fact right
after `session_created`.
"""
from __future__ import annotations

import functools
import json
import random
import re
import secrets
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from game_rules import treatments as within
from game_rules.rules import Rules, firm_id
from game_rules.scenario import Scenario, ScenarioError, load_scenario, session_overrides
from game_rules.selection import load_selection

from .protocol import CreateSession, ProtocolError
from .store import DatabaseError

if TYPE_CHECKING:
    from .interfaces import Hub

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


@dataclass
class Assignment:
    study: str | None
    treatment: str
    method: str                    # random | balanced | fixed
    seed: int
    overrides: dict[str, Any]      # the chosen treatment's overrides
    treatments: dict[str, dict]    # every treatment of the configuration, in the order given
    counts_before: dict[str, int]  # sessions of the study per treatment before this one (balanced)
    unit: str = "session"          # session | alliance | firm
    of_unit: dict[str, str] | None = None  # within a session: copy number or firm id -> treatment
    of_firm: dict[str, str] | None = None  # within a session: firm id -> treatment

    def fact(self) -> dict:
        return asdict(self)


def _invalid(msg: str) -> ProtocolError:
    return ProtocolError("invalid_options", msg)


def assign(hub: "Hub", req: CreateSession) -> Assignment | None:
    """Validate the request's treatment options and choose the session's treatment (or
    None when the request names no treatments)."""
    if not req.treatments:
        if (req.assignment or req.treatment or req.assignment_seed is not None or req.treatment_of is not None
                or req.assignment_unit != "session"):
            raise _invalid("assignment, assignment_unit, treatment, treatment_of and assignment_seed need `treatments`")
        return None
    names = list(req.treatments)
    bad = [n for n in names if not NAME.match(n)]
    if bad:
        raise _invalid(f"treatments: {bad[0]!r} is not a valid treatment name (letters, digits, _ . -)")
    _check_scenarios(req)
    seed = req.assignment_seed if req.assignment_seed is not None else secrets.randbelow(2**31)
    if req.assignment_unit != "session":
        return _assign_within(req, names, seed)
    if req.treatment_of is not None:
        raise _invalid("treatment_of: only with assignment_unit alliance or firm (use `treatment` for a session)")
    method = req.assignment or ("fixed" if req.treatment else "random")
    if method == "fixed":
        if req.treatment is None:
            raise _invalid("treatment: missing (fixed assignment names the treatment)")
    elif req.treatment is not None:
        raise _invalid(f"treatment: only for fixed assignment (this one is {method})")
    if req.treatment is not None and req.treatment not in req.treatments:
        raise _invalid(f"treatment: {req.treatment!r} is not one of the treatments ({', '.join(names)})")
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    if method == "fixed":
        chosen = req.treatment
    elif method == "random":
        chosen = rng.choice(names)
    else:
        counts = {n: 0 for n in names}
        for t in prior_treatments(hub, req.study):
            if t in counts:
                counts[t] += 1
        least = min(counts.values())
        chosen = rng.choice([n for n in names if counts[n] == least])
    return Assignment(req.study, chosen, method, seed, dict(req.treatments[chosen]),
                      {k: dict(v) for k, v in req.treatments.items()}, counts)


def _check_scenarios(req: CreateSession) -> None:
    """Each treatment must make a valid scenario."""
    for name, overrides in req.treatments.items():
        try:
            load_scenario(req.scenario, {k: v for k, v in overrides.items()} or None)
        except ScenarioError as e:
            if "unknown scenario" in str(e):
                raise ProtocolError("unknown_scenario", "; ".join(e.problems)) from None
            raise _invalid(f"treatments.{name}: " + "; ".join(e.problems)) from None


def _assign_within(req: CreateSession, names: list[str], seed: int) -> Assignment:
    """Treatments per alliance group or per firm inside one session."""
    unit = req.assignment_unit
    method = req.assignment or ("fixed" if req.treatment_of else "random")
    if req.treatment is not None:
        raise _invalid("treatment: one treatment for the whole session needs assignment_unit session "
                       "(per unit, name them in `treatment_of`)")
    if (method == "fixed") != (req.treatment_of is not None):
        raise _invalid("treatment_of: missing (fixed assignment names every unit's treatment)" if method == "fixed"
                       else f"treatment_of: only for fixed assignment (this one is {method})")
    problems = within.check_overrides(unit, req.treatments)
    if problems:
        raise _invalid("; ".join(problems))
    base = load_scenario(req.scenario)
    selection = base.phases.selection if req.selection is None else req.selection
    if unit == "alliance" and selection and load_selection(base).across_copies:
        raise _invalid("assignment_unit alliance: this scenario's partner selection pairs firms across copies, "
                       "so an alliance could join two treatments; use assignment_unit firm or session")
    copies = {firm_id(r.id, c): c for c in range(1, req.copies + 1) for r in base.roles}
    try:
        of_unit = within.assign(within.units_of(unit, copies), names, method, seed, req.treatment_of)
    except within.TreatmentError as e:
        raise _invalid(str(e)) from None
    return Assignment(req.study, None, method, seed, {}, {k: dict(v) for k, v in req.treatments.items()}, {},
                      unit, of_unit, within.firm_treatments(unit, of_unit, copies))


def session_rules(scenario: Scenario, options: dict) -> Rules:
    """The rules of a session: its scenario, and with treatments inside the session each
    firm's own (its treatment's overrides on top of the session's)."""
    overrides = session_overrides(options.get("overrides"))
    return within.session_rules(Rules.from_scenario(scenario), options, lambda treatment: _rules(
        scenario.id, json.dumps({**overrides, **treatment}, sort_keys=True)))


@functools.lru_cache(maxsize=256)
def _rules(scenario_id: str, overrides_json: str) -> Rules:
    """Parsed once per (scenario, overrides): a restart restores every session of a study
    with the same few treatments (Rules are frozen, so sharing them is safe)."""
    return Rules.from_scenario(load_scenario(scenario_id, json.loads(overrides_json) or None))


def prior_treatments(hub: "Hub", study: str | None) -> list[str]:
    """The treatment of every session already created in `study` (live ones from memory:
    they are registered before their row is committed; the rest from the database)."""
    out: dict[str, str | None] = {}
    try:
        rows = hub.store.session_options()
    except DatabaseError:
        rows = []
    for sid, o in rows:
        if o.get("study") == study:
            out[sid] = o.get("treatment")
    for sid, actor in hub.sessions.items():
        if actor.options.get("study") == study:
            out[sid] = actor.options.get("treatment")
    return [t for t in out.values() if t is not None]


def session_options(req: CreateSession, assignment: Assignment | None, firms: list[str]) -> dict:
    """The research entries of a session's `options` (only those that are set)."""
    o: dict[str, Any] = {}
    if req.study is not None:
        o["study"] = req.study
    if assignment is not None and assignment.unit == "session":
        o["treatment"] = assignment.treatment
        o["assignment"] = {"method": assignment.method, "seed": assignment.seed}
        o["treatments"] = assignment.treatments
    elif assignment is not None:
        o["assignment"] = {"method": assignment.method, "seed": assignment.seed, "unit": assignment.unit}
        o["treatments"] = assignment.treatments
        o["treatment_of"] = assignment.of_unit
        o["treatment_of_firm"] = assignment.of_firm
    if req.labels is not None:
        labels = list(req.labels)
        if len(set(labels)) != len(labels) or any(not str(x).strip() for x in labels):
            raise _invalid("labels: labels must be unique and not blank")
        if any(len(x) > 80 for x in labels):
            raise _invalid("labels: a label has at most 80 characters")
        if isinstance(req.labels, dict):
            bad = sorted({f for f in req.labels.values() if f is not None and f not in firms})
            if bad:
                raise _invalid(f"labels: {bad[0]!r} is not a firm of this session ({', '.join(firms)})")
            o["labels"] = dict(req.labels)
        else:
            o["labels"] = labels
    if req.consent_text is not None:
        o["consent_text"] = req.consent_text
    if req.questionnaire is not None:
        ids = [q.id for q in req.questionnaire]
        if len(set(ids)) != len(ids):
            raise _invalid("questionnaire: question ids must be unique")
        for q in req.questionnaire:
            if q.kind == "choice" and not q.choices:
                raise _invalid(f"questionnaire.{q.id}: a choice question needs `choices`")
        o["questionnaire"] = [q.model_dump() for q in req.questionnaire]
    return o
