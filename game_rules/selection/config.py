"""The selection settings of a scenario.

Configuration. The scenario schema (`scenario.py`) is strict and has no field for a
go-between, so the selection settings of a scenario live in a sidecar TOML file,
`game_rules/scenarios/selection/<scenario id>.toml`, parsed and validated here (unknown keys
are errors, as in scenario files). A scenario without a sidecar gets the defaults: every
firm shows its two strongest domains, values rounded to 5 with noise of sd 5, no go-between.

    scenario = "across_ocean"      # must name the scenario and match its id
    top = 2                        # domains shown by a role without its own `public` list
    rounding = 5.0                 # shown values are rounded to a multiple of this
    noise = 6.0                    # sd of the seeded noise added before rounding
    across_copies = false          # true: firms may pair with firms of other class copies
    [public]                       # role id -> the domains its public profile shows
    kinsei = ["manufacturing", "instruments"]
    [max_alliances]                # role id -> most pairings a firm of that role may hold
    kinsei = 2
    [go_between]
    roles = ["bridge"]             # roles that broker (they never sign an alliance)
    sees = ["kinsei", "harbor"]    # roles whose FULL profile it sees (omit: every role)
    noise = 0.0                    # sd of the noise on what it sees (0: exact, to 0.1)
    introductions = 2              # introductions per go-between firm
    effect = "skip"                # skip: an introduced pair is paired at once (either may
                                   # still decline); priority: a proposal that goes first
    [bots]                         # how selection bots judge a partner (see `estimated_fit`)
    prior = 30.0                   # the value a bot assumes for a domain it cannot see
    reservation = 60.0             # the lowest fit a bot proposes to or accepts
"""
from __future__ import annotations

import tomllib
from importlib import resources
from typing import Literal

from pydantic import Field, ValidationError

from ..scenario import Scenario, ScenarioError, _format_errors, _Strict

SIDECAR_PACKAGE = "game_rules.scenarios"
SIDECAR_DIR = "selection"


# ---- configuration --------------------------------------------------------------------

class GoBetweenConfig(_Strict):
    roles: list[str] = Field(min_length=1)
    sees: list[str] | None = None
    noise: float = Field(0.0, ge=0, le=50)
    introductions: int = Field(2, ge=0, le=20)
    effect: Literal["skip", "priority"] = "skip"


class SelectionBots(_Strict):
    prior: float = Field(30.0, ge=0, le=100)
    reservation: float = Field(50.0, ge=0)


class SelectionConfig(_Strict):
    scenario: str
    top: int = Field(2, ge=0, le=20)
    public: dict[str, list[str]] = {}
    rounding: float = Field(5.0, gt=0, le=50)
    noise: float = Field(5.0, ge=0, le=50)
    across_copies: bool = False
    max_alliances: dict[str, int] = {}
    go_between: GoBetweenConfig | None = None
    bots: SelectionBots = SelectionBots()


class SelectionConfigError(ScenarioError):
    """A selection sidecar that does not load; `problems` lists 'field.path: what is wrong'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        ValueError.__init__(self, "invalid selection file:\n  " + "\n  ".join(problems))


def _config_problems(cfg: SelectionConfig, s: Scenario) -> list[str]:
    out: list[str] = []
    roles = [r.id for r in s.roles]
    dom = s.domain_ids()
    if cfg.scenario != s.id:
        out.append(f"scenario: this file is for {cfg.scenario!r}, not {s.id!r}")
    if not s.phases.selection:
        out.append(f"scenario: {s.id!r} has phases.selection = false; set it to true to use a selection file")
    for r, ks in cfg.public.items():
        if r not in roles:
            out.append(f"public.{r}: unknown role")
        out += [f"public.{r}: unknown domain {k!r}" for k in ks if k not in dom]
        if len(set(ks)) != len(ks):
            out.append(f"public.{r}: lists a domain more than once")
    for r, n in cfg.max_alliances.items():
        if r not in roles:
            out.append(f"max_alliances.{r}: unknown role")
        if not 0 <= n <= 50:
            out.append(f"max_alliances.{r}: must be between 0 and 50 (got {n})")
    gb = cfg.go_between
    if gb is not None:
        for r in gb.roles:
            if r not in roles:
                out.append(f"go_between.roles: unknown role {r!r}")
            for a in s.alliances:
                if r in a.roles:
                    out.append(f"go_between.roles: {r!r} is a party to alliance {a.id!r}; "
                               "a go-between brokers alliances, it does not sign them")
        out += [f"go_between.sees: unknown role {r!r}" for r in gb.sees or () if r not in roles]
    return out


def parse_selection(text: str, scenario: Scenario) -> SelectionConfig:
    """Parse and validate a selection sidecar for `scenario`; problems raise
    `SelectionConfigError` (a `ScenarioError`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SelectionConfigError([f"(selection file): not valid TOML: {e}"]) from None
    try:
        cfg = SelectionConfig.model_validate(data)
    except ValidationError as e:
        raise SelectionConfigError(_format_errors(e)) from None
    problems = _config_problems(cfg, scenario)
    if problems:
        raise SelectionConfigError(problems)
    return cfg


def default_selection(scenario: Scenario) -> SelectionConfig:
    return SelectionConfig(scenario=scenario.id)


def selection_ids() -> list[str]:
    """Scenario ids that ship a selection sidecar."""
    base = resources.files(SIDECAR_PACKAGE).joinpath(SIDECAR_DIR)
    if not base.is_dir():
        return []
    return sorted(f.name[:-5] for f in base.iterdir() if f.name.endswith(".toml"))


def load_selection(scenario: Scenario) -> SelectionConfig:
    """The shipped sidecar of `scenario` if there is one, else the defaults."""
    if scenario.id not in selection_ids():
        return default_selection(scenario)
    text = (resources.files(SIDECAR_PACKAGE).joinpath(SIDECAR_DIR, f"{scenario.id}.toml")
            .read_text("utf-8"))
    return parse_selection(text, scenario)
