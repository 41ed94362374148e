"""Scenario files: load a TOML scenario, validate it, and apply `--set` overrides.

A scenario sets the domains, the roles (firm templates), the rival, every parameter of
the model, the alliance templates with their default term sheets, the phase switches, the
scoring weights and the texts. Validation errors name the field path and the problem.
Parsing a string is pure; `load_scenario` reads one of the shipped files.
"""
from __future__ import annotations

import math
import re
import tomllib
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class ScenarioError(ValueError):
    """A scenario that does not load; `problems` lists 'field.path: what is wrong'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid scenario:\n  " + "\n  ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Params(_Strict):
    """Every number of GAME.md section 6, with its default (see docs/model.md)."""

    budget: float = Field(100.0, gt=0)
    value_scale: float = Field(3.8, ge=0, description="A: joint value per unit of sqrt(E_i E_j)")
    lam: float = Field(0.5, ge=0, description="lambda: joint value bonus for mean reveal")
    kappa: float = Field(0.5, ge=0, description="joint value bonus for mean released fraction")
    phi_parallel: float = Field(1.2, gt=0)
    phi_serial: float = Field(1.0, gt=0)
    leak_parallel: float = Field(1.0, ge=0, le=1)
    leak_serial: float = Field(0.6, ge=0, le=1)
    epsilon: float = Field(0.05, ge=0, le=1, description="spillover outside the scope")
    gamma: float = Field(0.8, ge=0, le=1, description="max share of leakage protection stops")
    p0: float = Field(10.0, gt=0, description="protection points for half effect")
    eta: float = Field(1.0, ge=0, le=5, description="learning rate")
    c0: float = Field(10.0, ge=0, description="absorptive capacity base")
    a0: float = Field(40.0, gt=0, description="absorb points for half effect")
    beta: float = Field(0.005, ge=0, le=1, description="learning by teaching")
    delta: float = Field(0.3, ge=0, description="own development rate")
    decay: float = Field(0.01, ge=0, lt=1)
    rival_growth: float = Field(0.02, ge=-0.5, le=1)
    mu: float = Field(40.0, ge=0, description="market income scale")
    trust_start: float = Field(0.7, ge=0, le=1)
    trust_withhold: float = Field(0.25, ge=0, le=1)
    trust_under_min: float = Field(0.15, ge=0, le=1)
    trust_meet: float = Field(0.05, ge=0, le=1)
    trust_convergent: float = Field(0.20, ge=0, le=1)
    convergent_share: float = Field(0.30, ge=0, le=1)
    dissolve_below: float = Field(0.2, ge=0, le=1)
    estimate_noise: float = Field(12.0, gt=0, description="sd of a partner estimate at zero absorb")
    max_competence: float = Field(200.0, gt=0)
    obsolescence: float = Field(2.0, ge=0, le=10, description="omega: how fast what a partner "
                                "absorbs from a fast developer goes out of date (model 2)")
    outdating: float = Field(0.2, ge=0, le=5, description="theta: the share of what a firm "
                             "learned from a faster partner that goes out of date each round, per "
                             "unit of pace difference (model 3)")
    model_version: int = Field(3, ge=1, le=3, description="1: the model before pace-tied "
                               "obsolescence (sessions logged without a version replay under it); "
                               "2: freshness without outdating")


class Domain(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    tacitness: float = Field(ge=0, le=1)
    weight: float = Field(gt=0, le=1)


class Role(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    competence: dict[str, float]
    pace: float = Field(1.0, gt=0, le=5)
    cash: float = Field(0.0, ge=0)
    brief: str = ""
    bot: str | None = None


class Rival(_Strict):
    name: str = "the outside industry"
    competence: dict[str, float]


class Terms(_Strict):
    """A default term sheet written with role ids (instantiated per alliance copy)."""

    scope: list[str]
    contributions: dict[str, list[str]]
    min_effort: dict[str, float] = {}
    tranches: dict[str, int] = {}
    milestone: float = Field(40.0, gt=0)
    release: Literal["staged", "upfront"] = "staged"
    split: dict[str, float]
    form: Literal["serial", "parallel"] = "parallel"
    duration: int | None = Field(None, ge=1, le=50)
    exit_penalty: float = Field(50.0, ge=0)
    exit_on_breach: bool = True
    exit_trust_below: float = Field(0.0, ge=0, le=1)
    upfront_payment: float = Field(0.0, ge=0)
    payer: str | None = None


class AllianceTemplate(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    roles: tuple[str, str]
    terms: Terms


class Phases(_Strict):
    selection: bool = False
    negotiation: bool = True
    renegotiation_every: int = Field(0, ge=0)
    members_submit: Literal["any", "submitter"] = "any"
    firm_roles: bool = False  # roles inside each firm (game_rules/session/firm_roles.py)


class Scoring(_Strict):
    internal: float = Field(2.0, ge=0)
    external: float = Field(2.0, ge=0)
    cash: float = Field(0.1, ge=0)
    freedom: float = Field(0.5, ge=0)


class SurveyQuestion(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str
    low: str = "never"
    high: str = "always"


class QuestionnaireItem(_Strict):
    """A question of the closing questionnaire (answered once the game is over)."""
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str
    kind: Literal["scale", "text", "choice"] = "scale"
    points: int = Field(5, ge=2, le=11, description="a scale's answers are 1..points")
    low: str = ""
    high: str = ""
    choices: list[str] = []


class Texts(_Strict):
    case: str = ""
    debrief: str = ""
    inspired_by: str = ""
    consent: str = ""  # informed-consent text shown before a player is seated (research sessions)


class RoleTexts(_Strict):
    """A role's texts in one language (`[translations.fr.roles.west]`)."""
    name: str = ""
    brief: str = ""


class Translation(_Strict):
    """A scenario's texts in one language (`[translations.fr]`): the same keys as the
    English texts they translate; a key left out falls back to English (docs/languages.md)."""
    title: str = ""
    case: str = ""
    debrief: str = ""
    inspired_by: str = ""
    roles: dict[str, RoleTexts] = {}


# The texts a translation may carry, as the validator names them ('roles.<id>.brief' per role).
TRANSLATED_TEXTS = ("title", "case", "debrief", "inspired_by")


class Scenario(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    rounds: int = Field(8, ge=1, le=50)
    text: Texts = Texts()
    domains: list[Domain] = Field(min_length=1)
    roles: list[Role] = Field(min_length=2)
    rival: Rival
    alliances: list[AllianceTemplate] = Field(min_length=1)
    params: Params = Params()
    phases: Phases = Phases()
    scoring: Scoring = Scoring()
    surveys: list[SurveyQuestion] = []
    questionnaire: list[QuestionnaireItem] = []
    translations: dict[str, Translation] = {}  # language (ISO 639-1, e.g. "fr") -> its texts

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        problems = _cross_checks(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def domain_ids(self) -> list[str]:
        return [d.id for d in self.domains]

    def role(self, role_id: str) -> Role:
        return next(r for r in self.roles if r.id == role_id)

    def translation(self, language: str | None) -> Translation | None:
        """The translation for a BCP-47 tag (`fr-CA` -> `fr`), or None (English, or none shipped)."""
        primary = (language or "").split("-")[0].lower()
        return self.translations.get(primary)

    def texts_in(self, language: str | None) -> dict:
        """The scenario's texts in `language`, each falling back to English when not translated:
        `title`, `case`, `debrief`, `inspired_by` and `roles` (id -> {name, brief})."""
        tr = self.translation(language) or Translation()
        out = {k: getattr(tr, k) or (self.title if k == "title" else getattr(self.text, k))
               for k in TRANSLATED_TEXTS}
        out["roles"] = {r.id: {"name": (tr.roles.get(r.id) or RoleTexts()).name or r.name,
                               "brief": (tr.roles.get(r.id) or RoleTexts()).brief or r.brief}
                        for r in self.roles}
        return out

    def missing_translations(self) -> list[str]:
        """Warnings, not errors: per language, every English text that has no translation
        ('translations.fr.roles.east.brief: missing'); a scenario without translations has none."""
        out = []
        english = {k: self.title if k == "title" else getattr(self.text, k) for k in TRANSLATED_TEXTS}
        for lang, tr in sorted(self.translations.items()):
            out += [f"translations.{lang}.{k}: missing" for k, v in english.items() if v.strip() and not getattr(tr, k).strip()]
            for r in self.roles:
                rt = tr.roles.get(r.id) or RoleTexts()
                out += [f"translations.{lang}.roles.{r.id}.{k}: missing"
                        for k in ("name", "brief") if getattr(r, k).strip() and not getattr(rt, k).strip()]
        return out


def _cross_checks(s: Scenario) -> list[str]:
    out: list[str] = []
    dom = s.domain_ids()
    roles = [r.id for r in s.roles]
    total = sum(d.weight for d in s.domains)
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        out.append(f"domains.weight: weights must sum to 1 (they sum to {total:g})")
    for name, ids in (("domains", dom), ("roles", roles), ("alliances", [a.id for a in s.alliances])):
        if len(set(ids)) != len(ids):
            out.append(f"{name}.id: ids must be unique")
    for i, r in enumerate(s.roles):
        out += _check_competence(f"roles.{i}.competence", r.competence, dom)
    out += _check_competence("rival.competence", s.rival.competence, dom)
    for i, a in enumerate(s.alliances):
        out += _check_terms(f"alliances.{i}", a, dom, roles)
    for lang, tr in s.translations.items():
        if not re.fullmatch(r"[a-z]{2,3}", lang) or lang == "en":
            out.append(f"translations.{lang}: not a language code other than English (e.g. fr, de, zh)")
        out += [f"translations.{lang}.roles.{r}: unknown role" for r in tr.roles if r not in roles]
    return out


def _check_competence(path: str, comp: dict[str, float], dom: list[str]) -> list[str]:
    out = [f"{path}.{k}: unknown domain" for k in comp if k not in dom]
    out += [f"{path}.{k}: missing" for k in dom if k not in comp]
    out += [f"{path}.{k}: must be between 0 and 100 (got {v:g})"
            for k, v in comp.items() if not 0 <= v <= 100]
    return out


def _check_terms(path: str, a: AllianceTemplate, dom: list[str], roles: list[str]) -> list[str]:
    t = a.terms
    out = [f"{path}.roles: unknown role {r!r}" for r in a.roles if r not in roles]
    if a.roles[0] == a.roles[1]:
        out.append(f"{path}.roles: an alliance needs two different roles")
    out += [f"{path}.terms.scope: unknown domain {k!r}" for k in t.scope if k not in dom]
    for r, ks in t.contributions.items():
        if r not in a.roles:
            out.append(f"{path}.terms.contributions.{r}: not a role of this alliance")
        out += [f"{path}.terms.contributions.{r}: domain {k!r} is outside the scope"
                for k in ks if k not in t.scope]
    for name in ("split", "min_effort", "tranches"):
        out += [f"{path}.terms.{name}.{r}: not a role of this alliance"
                for r in getattr(t, name) if r not in a.roles]
    if set(t.split) != set(a.roles):
        out.append(f"{path}.terms.split: give a share for each of {list(a.roles)}")
    elif not math.isclose(sum(t.split.values()), 1.0, abs_tol=1e-6):
        out.append(f"{path}.terms.split: shares must sum to 1 (they sum to {sum(t.split.values()):g})")
    out += [f"{path}.terms.split.{r}: must be between 0 and 1" for r, v in t.split.items() if not 0 <= v <= 1]
    out += [f"{path}.terms.tranches.{r}: must be between 1 and 20" for r, n in t.tranches.items() if not 1 <= n <= 20]
    out += [f"{path}.terms.min_effort.{r}: must be between 0 and the budget" for r, v in t.min_effort.items() if v < 0]
    if t.payer is not None and t.payer not in a.roles:
        out.append(f"{path}.terms.payer: not a role of this alliance")
    return out


def _format_errors(err: ValidationError) -> list[str]:
    out = []
    for e in err.errors():
        path = ".".join(str(p) for p in e["loc"]) or "(top)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif "input" in e and e["type"] not in ("missing", "value_error") and not isinstance(e["input"], (dict, list)):
            msg += f" (got {e['input']!r})"
        for part in msg.split("; ") if e["type"] == "value_error" else [msg]:
            out.append(part if e["type"] == "value_error" and ":" in part else f"{path}: {part}")
    return out


def parse_scenario(text: str, overrides: dict[str, str] | None = None) -> Scenario:
    """Parse and validate TOML text; `overrides` maps `--set` names to values."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError([f"(file): not valid TOML: {e}"]) from None
    if overrides:
        data = apply_overrides(data, overrides)
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(_format_errors(e)) from None


def scenario_ids() -> list[str]:
    files = resources.files("game_rules.scenarios").iterdir()
    return sorted(f.name[:-5] for f in files if f.name.endswith(".toml"))


def scenario_text(scenario_id: str) -> str:
    if scenario_id not in scenario_ids():
        raise ScenarioError([f"scenario: unknown scenario {scenario_id!r} (known: {', '.join(scenario_ids())})"])
    return resources.files("game_rules.scenarios").joinpath(f"{scenario_id}.toml").read_text("utf-8")


# The model a new session plays (Params.model_version). A session is logged with it in its
# overrides; a log written before versions existed has none and keeps model 1, so an old
# session restores and replays exactly as it was played.
MODEL_VERSION = 3


def session_overrides(overrides: dict | None) -> dict:
    """A logged session's overrides as its rules read them (model 1 when none is named)."""
    out = dict(overrides or {})
    out.setdefault("model_version", 1)
    return out


def load_scenario(scenario_id: str, overrides: dict[str, str] | None = None) -> Scenario:
    """Load a shipped scenario by id (a package resource, read-only)."""
    return parse_scenario(scenario_text(scenario_id), overrides)


# ---- `--set NAME=VALUE` -------------------------------------------------------------

def settable_names(data: dict) -> list[str]:
    names = list(Params.model_fields) + ["rounds", "renegotiation_every"]
    names += [f"tacitness.{d['id']}" for d in data.get("domains", [])]
    names += [f"weight.{d['id']}" for d in data.get("domains", [])]
    names += [f"pace.{r['id']}" for r in data.get("roles", [])]
    names += [f"competence.{r['id']}.{d['id']}" for r in data.get("roles", []) for d in data.get("domains", [])]
    names += [f"rival.{d['id']}" for d in data.get("domains", [])]
    names += [f"terms.{f}" for f in ("release", "form", "milestone", "exit_penalty", "duration")]
    names += [f"scoring.{f}" for f in Scoring.model_fields]
    names += ["firm_roles"]  # roles inside each firm ([phases] firm_roles): a session treatment may vary it
    return names


def _coerce(value: str):
    low = value.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def apply_overrides(data: dict, overrides: dict[str, str]) -> dict:
    """Return a copy of raw scenario data with `--set` overrides applied; unknown names fail."""
    import copy
    data = copy.deepcopy(data)
    known = settable_names(data)
    bad = [n for n in overrides if n not in known]
    if bad:
        raise ScenarioError([f"--set {n}: unknown parameter (settable: {', '.join(known)})" for n in bad])
    for name, raw in overrides.items():
        value = _coerce(raw) if isinstance(raw, str) else raw
        head, _, rest = name.partition(".")
        if name in Params.model_fields:
            data.setdefault("params", {})[name] = value
        elif name == "rounds":
            data["rounds"] = value
        elif name == "firm_roles":
            data.setdefault("phases", {})["firm_roles"] = value
        elif name == "renegotiation_every":
            data.setdefault("phases", {})[name] = value
        elif head in ("tacitness", "weight"):
            next(d for d in data["domains"] if d["id"] == rest)[head] = value
        elif head == "pace":
            next(r for r in data["roles"] if r["id"] == rest)["pace"] = value
        elif head == "competence":
            role, dom = rest.split(".")
            next(r for r in data["roles"] if r["id"] == role)["competence"][dom] = value
        elif head == "rival":
            data["rival"]["competence"][rest] = value
        elif head == "terms":
            for a in data["alliances"]:
                a["terms"][rest] = value
        elif head == "scoring":
            data.setdefault("scoring", {})[rest] = value
    return data
