"""Partner selection (GAME.md section 3, step 2): partial public profiles, proposals, a
go-between who sees more and introduces firms, and the pairings that go on to negotiation.

Everything here is pure: functions take the scenario's `Rules`, a `SelectionConfig`, the
session state and a `Board` (the selection's own state) and return a NEW board plus event
dicts; no I/O, no clock, no global random state. Noise is drawn from
`random.Random(f"{seed}:...")`, so a profile is the same for a given session seed every time
and in every process.

    cfg = load_selection(rules.scenario)           # sidecar file or defaults
    profile = public_profile(rules, cfg, state, "harbor1")
    board, events = propose(rules, cfg, state, Board(), "kinsei1", "harbor1", "os_deal")
    board, events = accept(rules, cfg, state, board, 1, "harbor1")
    board, events = introduce(rules, cfg, state, board, "bridge1", "kinsei1", "wavelink1", "net_deal")
    sign_pairings(rules, state, pairings(rules, cfg, state, board))

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

import math
import random
import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from typing import Literal

from pydantic import Field, ValidationError

from ..engine import effective_contribution
from ..rules import Rules, sign_alliance, terms_for_firms
from ..scenario import AllianceTemplate, Scenario, ScenarioError, _format_errors, _Strict
from ..state import SessionState, TermSheet

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


# ---- errors and helpers ---------------------------------------------------------------

class SelectionError(ValueError):
    """An illegal selection move; `code` is stable, `message` names the problem."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


def _firm(state: SessionState, fid) -> None:
    if not isinstance(fid, str) or fid not in state.firms:
        shown = repr(fid) if len(repr(fid)) <= 40 else repr(fid)[:37] + "..."
        raise SelectionError("unknown_firm", f"firm {shown} is not in this session")


def is_go_between(cfg: SelectionConfig, state: SessionState, fid: str) -> bool:
    return cfg.go_between is not None and state.firms[fid].role in cfg.go_between.roles


def market(cfg: SelectionConfig, state: SessionState, fid: str) -> list[str]:
    """The other firms `fid` may deal with: its own copy of the case (or every copy)."""
    copy = state.firms[fid].copy
    return [f for f, firm in state.firms.items()
            if f != fid and (cfg.across_copies or firm.copy == copy)]


def capacity(rules: Rules, cfg: SelectionConfig, state: SessionState, fid: str) -> int:
    role = state.firms[fid].role
    default = sum(role in a.roles for a in rules.scenario.alliances)
    return cfg.max_alliances.get(role, default)


# ---- profiles -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Profile:
    """What a viewer is shown about a firm. `values` maps the shown domains to rounded,
    noisy competence levels; `hidden` lists the domains it does not show. `full` is True
    for a go-between's dossier (every domain)."""

    firm: str
    name: str
    role: str
    values: dict[str, float]
    hidden: tuple[str, ...]
    full: bool = False

    def to_dict(self) -> dict:
        return {"firm": self.firm, "name": self.name, "role": self.role,
                "values": dict(self.values), "hidden": list(self.hidden), "full": self.full}


def public_domains(rules: Rules, cfg: SelectionConfig, role: str) -> tuple[str, ...]:
    """The domains a role's public profile shows, in scenario order: its `public` list, or
    its `top` strongest starting domains (ties go to the earlier domain)."""
    if role in cfg.public:
        chosen = set(cfg.public[role])
    else:
        comp = rules.scenario.role(role).competence
        order = sorted(rules.domains, key=lambda k: (-comp[k], rules.domains.index(k)))
        chosen = set(order[:cfg.top])
    return tuple(k for k in rules.domains if k in chosen)


def _gauss(*parts) -> float:
    return random.Random(":".join(str(p) for p in parts)).gauss(0.0, 1.0)


def public_profile(rules: Rules, cfg: SelectionConfig, state: SessionState, fid: str) -> Profile:
    """The same for every viewer: the shown domains with seeded noise, rounded."""
    _firm(state, fid)
    f = state.firms[fid]
    shown = public_domains(rules, cfg, f.role)
    values = {}
    for k in shown:
        v = f.competence[k] + cfg.noise * _gauss(state.seed, "profile", fid, k)
        values[k] = max(0.0, round(v / cfg.rounding) * cfg.rounding)
    return Profile(fid, f.name, f.role, values, tuple(k for k in rules.domains if k not in shown))


def sees_fully(cfg: SelectionConfig, state: SessionState, viewer: str, fid: str) -> bool:
    """Whether go-between `viewer` sees `fid`'s full profile."""
    if not is_go_between(cfg, state, viewer) or fid == viewer or fid not in market(cfg, state, viewer):
        return False
    sees = cfg.go_between.sees
    return sees is None or state.firms[fid].role in sees


def full_profile(rules: Rules, cfg: SelectionConfig, state: SessionState, viewer: str,
                 fid: str) -> Profile:
    """A go-between's dossier on `fid`: every domain, with the go-between's (small) noise."""
    _firm(state, viewer)
    _firm(state, fid)
    if not sees_fully(cfg, state, viewer, fid):
        raise SelectionError("not_visible", f"{viewer} does not see the full profile of {fid}")
    f = state.firms[fid]
    sd = cfg.go_between.noise
    values = {k: round(max(0.0, f.competence[k] + sd * _gauss(state.seed, "dossier", viewer, fid, k)), 1)
              for k in rules.domains}
    return Profile(fid, f.name, f.role, values, (), True)


def visible_profiles(rules: Rules, cfg: SelectionConfig, state: SessionState, viewer: str,
                     board: "Board | None" = None) -> dict[str, Profile]:
    """Every profile `viewer` may see now: public profiles of the firms in its market, full
    ones where it is a go-between that sees them, and, once a go-between has introduced it
    to a firm, the go-between's dossier on that firm."""
    _firm(state, viewer)
    out = {}
    introduced = _introduced_partners(board, viewer) if board else {}
    for fid in market(cfg, state, viewer):
        if sees_fully(cfg, state, viewer, fid):
            out[fid] = full_profile(rules, cfg, state, viewer, fid)
        elif fid in introduced:
            out[fid] = full_profile(rules, cfg, state, introduced[fid], fid)
        else:
            out[fid] = public_profile(rules, cfg, state, fid)
    return out


# ---- the selection board: proposals, answers, introductions ------------------------------

Status = Literal["pending", "accepted", "declined"]


@dataclass(frozen=True, slots=True)
class Proposal:
    id: int
    template: str
    sender: str
    receiver: str
    status: Status = "pending"
    introduced_by: str | None = None

    def parties(self) -> tuple[str, str]:
        return (self.sender, self.receiver)

    def to_dict(self) -> dict:
        return {"id": self.id, "template": self.template, "sender": self.sender,
                "receiver": self.receiver, "status": self.status,
                "introduced_by": self.introduced_by}


@dataclass(frozen=True, slots=True)
class Introduction:
    id: int
    by: str
    firms: tuple[str, str]
    template: str
    proposal: int


@dataclass(frozen=True, slots=True)
class Board:
    """The state of one selection phase. Immutable: every move returns a new board."""

    proposals: tuple[Proposal, ...] = ()
    introductions: tuple[Introduction, ...] = ()
    closed: bool = False

    def proposal(self, pid) -> Proposal:
        for p in self.proposals:
            if p.id == pid:
                return p
        raise SelectionError("unknown_proposal", f"no proposal #{pid!r}")

    def to_dict(self) -> dict:
        return {"proposals": [p.to_dict() for p in self.proposals],
                "introductions": [{"id": i.id, "by": i.by, "firms": list(i.firms),
                                   "template": i.template, "proposal": i.proposal}
                                  for i in self.introductions],
                "closed": self.closed}


Result = tuple[Board, list[dict]]


def _introduced_partners(board: Board, fid: str) -> dict[str, str]:
    out = {}
    for i in board.introductions:
        if fid in i.firms:
            out[i.firms[1] if i.firms[0] == fid else i.firms[0]] = i.by
    return out


def _template(rules: Rules, tid) -> AllianceTemplate:
    for a in rules.scenario.alliances:
        if a.id == tid:
            return a
    known = ", ".join(a.id for a in rules.scenario.alliances)
    raise SelectionError("unknown_template", f"no alliance template {tid!r} (known: {known})")


def _check_open(rules: Rules, state: SessionState, board: Board) -> None:
    if not rules.scenario.phases.selection:
        raise SelectionError("selection_off", f"scenario {rules.scenario.id!r} has no selection phase "
                                              "(the facilitator pairs the firms)")
    if state.phase != "selection":
        raise SelectionError("wrong_phase", f"proposals are made in the selection phase (now: {state.phase})")
    if board.closed:
        raise SelectionError("closed", "the selection phase is closed")


def _check_pair(rules: Rules, cfg: SelectionConfig, state: SessionState, a, b, tid) -> AllianceTemplate:
    _firm(state, a)
    _firm(state, b)
    if a == b:
        raise SelectionError("same_firm", f"{a} cannot ally with itself")
    if b not in market(cfg, state, a):
        raise SelectionError("other_market", f"{b} plays in another copy of the case than {a}")
    tpl = _template(rules, tid)
    ra, rb = state.firms[a].role, state.firms[b].role
    if {ra, rb} != set(tpl.roles) or ra == rb:
        raise SelectionError("role_mismatch", f"template {tpl.id!r} joins a {tpl.roles[0]} and a "
                                              f"{tpl.roles[1]}; {a} is a {ra} and {b} a {rb}")
    return tpl


def _live(board: Board, statuses=("pending", "accepted")):
    return [p for p in board.proposals if p.status in statuses]


def _check_free(rules: Rules, cfg: SelectionConfig, state: SessionState, board: Board,
                a: str, b: str, tid: str, ignore: int | None = None) -> None:
    """Neither firm may hold two pairings under one template or exceed its capacity."""
    for f in (a, b):
        accepted = [p for p in _live(board, ("accepted",)) if f in p.parties() and p.id != ignore]
        if any(p.template == tid for p in accepted):
            raise SelectionError("already_paired", f"{f} is already paired under template {tid!r}")
        cap = capacity(rules, cfg, state, f)
        if len(accepted) >= cap:
            raise SelectionError("at_capacity", f"{f} already holds {cap} pairing(s), its maximum")


def _event(kind: str, p: Proposal, by: str | None = None) -> dict:
    parties = [p.sender, p.receiver] + ([p.introduced_by] if p.introduced_by else [])
    return {"type": kind, "proposal": p.id, "template": p.template, "sender": p.sender,
            "receiver": p.receiver, "by": by, "introduced_by": p.introduced_by, "parties": parties}


def propose(rules: Rules, cfg: SelectionConfig, state: SessionState, board: Board,
            sender: str, receiver: str, template: str) -> Result:
    """`sender` asks `receiver` to ally under alliance template `template`."""
    _check_open(rules, state, board)
    if isinstance(sender, str) and sender in state.firms and is_go_between(cfg, state, sender):
        raise SelectionError("go_between", f"{sender} is a go-between: it introduces firms, it does not propose")
    tpl = _check_pair(rules, cfg, state, sender, receiver, template)
    for p in _live(board):
        if set(p.parties()) == {sender, receiver} and p.template == tpl.id:
            raise SelectionError("duplicate", f"proposal #{p.id} between {p.sender} and {p.receiver} "
                                              f"under {tpl.id!r} is already {p.status}")
    _check_free(rules, cfg, state, board, sender, receiver, tpl.id)
    p = Proposal(len(board.proposals) + 1, tpl.id, sender, receiver)
    return replace(board, proposals=board.proposals + (p,)), [_event("selection_proposed", p, sender)]


def _set(board: Board, p: Proposal, status: Status) -> Board:
    q = replace(p, status=status)
    return replace(board, proposals=tuple(q if x.id == p.id else x for x in board.proposals))


def accept(rules: Rules, cfg: SelectionConfig, state: SessionState, board: Board,
           proposal_id: int, firm: str) -> Result:
    """The receiver of a pending proposal accepts it: the two firms are paired."""
    _check_open(rules, state, board)
    _firm(state, firm)
    p = board.proposal(proposal_id)
    if firm != p.receiver:
        raise SelectionError("not_addressee", f"proposal #{p.id} is addressed to {p.receiver}, not {firm}")
    if p.status != "pending":
        raise SelectionError("not_pending", f"proposal #{p.id} is already {p.status}")
    _check_free(rules, cfg, state, board, p.sender, p.receiver, p.template, ignore=p.id)
    new = _set(board, p, "accepted")
    return new, [_event("selection_accepted", new.proposal(p.id), firm)]


def decline(rules: Rules, cfg: SelectionConfig, state: SessionState, board: Board,
            proposal_id: int, firm: str) -> Result:
    """The receiver turns a pending proposal down; either introduced firm may also opt out
    of a pairing the go-between made (effect "skip")."""
    _check_open(rules, state, board)
    _firm(state, firm)
    p = board.proposal(proposal_id)
    introduced_pairing = p.introduced_by is not None and p.status == "accepted"
    if firm != p.receiver and not (introduced_pairing and firm in p.parties()):
        raise SelectionError("not_addressee", f"proposal #{p.id} is addressed to {p.receiver}, not {firm}")
    if p.status != "pending" and not introduced_pairing:
        raise SelectionError("not_pending", f"proposal #{p.id} is already {p.status}")
    new = _set(board, p, "declined")
    return new, [_event("selection_declined", new.proposal(p.id), firm)]


def introduce(rules: Rules, cfg: SelectionConfig, state: SessionState, board: Board,
              by: str, firm_a: str, firm_b: str, template: str) -> Result:
    """Go-between `by` introduces `firm_a` to `firm_b` for `template`. Both then see its
    dossier on the other. With effect "skip" they are paired at once (either may decline);
    with "priority" a pending proposal from `firm_a` to `firm_b` is made that goes first
    when pairings are drawn up."""
    _check_open(rules, state, board)
    _firm(state, by)
    if not is_go_between(cfg, state, by):
        raise SelectionError("not_go_between", f"{by} is not a go-between")
    tpl = _check_pair(rules, cfg, state, firm_a, firm_b, template)
    for f in (firm_a, firm_b):
        if not sees_fully(cfg, state, by, f):
            raise SelectionError("not_visible", f"{by} does not know {f} well enough to introduce it")
    made = [i for i in board.introductions if i.by == by]
    if len(made) >= cfg.go_between.introductions:
        raise SelectionError("no_introductions_left",
                             f"{by} has used its {cfg.go_between.introductions} introduction(s)")
    for p in _live(board):
        if set(p.parties()) == {firm_a, firm_b} and p.template == tpl.id:
            raise SelectionError("duplicate", f"proposal #{p.id} between {p.sender} and {p.receiver} "
                                              f"under {tpl.id!r} is already {p.status}")
    skip = cfg.go_between.effect == "skip"
    if skip:
        _check_free(rules, cfg, state, board, firm_a, firm_b, tpl.id)
    p = Proposal(len(board.proposals) + 1, tpl.id, firm_a, firm_b,
                 "accepted" if skip else "pending", by)
    intro = Introduction(len(board.introductions) + 1, by, (firm_a, firm_b), tpl.id, p.id)
    new = replace(board, proposals=board.proposals + (p,), introductions=board.introductions + (intro,))
    return new, [_event("selection_introduced", p, by)]


def close(board: Board) -> Board:
    """End the selection phase; pending proposals lapse."""
    return replace(board, closed=True)


def events_for_firm(events: list[dict], fid: str) -> list[dict]:
    """The selection events a firm may see: those it is a party to."""
    return [e for e in events if fid in e.get("parties", ())]


# ---- pairings and signing -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Pairing:
    """Two firms to negotiate under `template`; `firms` in the template's role order."""

    alliance_id: str
    template: str
    firms: tuple[str, str]
    introduced_by: str | None = None


def alliance_id(state: SessionState, template: str, firms: tuple[str, str]) -> str:
    """`<template><copy>` as the facilitator's default pairing names it; across copies
    `<template><copy a>x<copy b>`."""
    ca, cb = (state.firms[f].copy for f in firms)
    return f"{template}{ca}" if ca == cb else f"{template}{ca}x{cb}"


def pairings(rules: Rules, cfg: SelectionConfig, state: SessionState, board: Board) -> list[Pairing]:
    """The accepted proposals as pairings: introduced ones first, then in the order they
    were made; one that would break a firm's capacity or pair it twice under one template
    is left out (it cannot happen through the move functions, which check both)."""
    order = sorted(_live(board, ("accepted",)), key=lambda p: (p.introduced_by is None, p.id))
    held: dict[str, list[str]] = {}
    out = []
    for p in order:
        a, b = p.parties()
        if any(p.template in held.get(f, []) or len(held.get(f, [])) >= capacity(rules, cfg, state, f)
               for f in (a, b)):
            continue
        tpl = _template(rules, p.template)
        firms = (a, b) if state.firms[a].role == tpl.roles[0] else (b, a)
        for f in (a, b):
            held.setdefault(f, []).append(p.template)
        out.append(Pairing(alliance_id(state, tpl.id, firms), tpl.id, firms, p.introduced_by))
    return out


def terms_for(template: AllianceTemplate, firms: tuple[str, str], duration: int) -> TermSheet:
    """The template's default term sheet for two given firms (in the template's role order)."""
    return terms_for_firms(template, firms, duration)


def sign_pairings(rules: Rules, state: SessionState, chosen: list[Pairing]) -> list:
    """Sign every pairing on the template's default terms (mutates `state`, like
    `rules.sign_default_alliances`); returns the `AllianceSigned` events. A server that
    negotiates first signs the agreed term sheet with `rules.sign_alliance` instead."""
    events = []
    for p in chosen:
        terms = terms_for(_template(rules, p.template), p.firms, state.rounds)
        events.append(sign_alliance(rules, state, p.alliance_id, terms))
    return events


# ---- selection bots ---------------------------------------------------------------------

def estimated_fit(rules: Rules, template: AllianceTemplate, own_role: str,
                  own: dict[str, float], partner: dict[str, float]) -> float:
    """How much joint value a pairing promises, on a competence-like scale: sqrt(E_a E_b)
    where each firm spreads 100 points over the domains it contributes (the engine's
    effective contribution, so differences count). `partner` holds what the firm believes
    of its partner (shown values, a prior for hidden ones)."""
    other = template.roles[1] if template.roles[0] == own_role else template.roles[0]
    comp = {own_role: own, other: partner}
    es = []
    for r in template.roles:
        ks = template.terms.contributions.get(r, [])
        x = {k: 100.0 / len(ks) for k in ks}
        o = other if r == own_role else own_role
        es.append(effective_contribution(x, comp[r], comp[o], rules.domains))
    return math.sqrt(es[0] * es[1]) if es[0] > 0 and es[1] > 0 else 0.0


def believed(rules: Rules, cfg: SelectionConfig, profile: Profile) -> dict[str, float]:
    """A profile as a full competence vector: shown values, the bots' prior elsewhere."""
    return {k: profile.values.get(k, cfg.bots.prior) for k in rules.domains}


def _fit_for(rules, cfg, state, board, fid, partner, tpl) -> float:
    prof = visible_profiles(rules, cfg, state, fid, board)[partner]
    return estimated_fit(rules, tpl, state.firms[fid].role, state.firms[fid].competence,
                         believed(rules, cfg, prof))


def _candidates(rules, cfg, state, fid):
    """(partner, template) pairs open to `fid` under the scenario's templates."""
    role = state.firms[fid].role
    out = []
    for tpl in rules.scenario.alliances:
        if role not in tpl.roles:
            continue
        other = tpl.roles[1] if tpl.roles[0] == role else tpl.roles[0]
        out += [(g, tpl) for g in market(cfg, state, fid) if state.firms[g].role == other]
    return out


def bot_introductions(rules: Rules, cfg: SelectionConfig, state: SessionState, board: Board,
                      go_between: str) -> list[tuple[str, str, str]]:
    """The pairs a go-between bot introduces: those with the best fit by its dossiers, above
    the bots' reservation, not already proposed, at most its introductions left."""
    if not is_go_between(cfg, state, go_between):
        return []
    left = cfg.go_between.introductions - sum(i.by == go_between for i in board.introductions)
    scored = []
    for tpl in rules.scenario.alliances:
        r0, r1 = tpl.roles
        for a in market(cfg, state, go_between):
            for b in market(cfg, state, go_between):
                if (state.firms[a].role, state.firms[b].role) != (r0, r1):
                    continue
                if not (sees_fully(cfg, state, go_between, a) and sees_fully(cfg, state, go_between, b)):
                    continue
                if b not in market(cfg, state, a):
                    continue
                da = full_profile(rules, cfg, state, go_between, a).values
                db = full_profile(rules, cfg, state, go_between, b).values
                fit = estimated_fit(rules, tpl, r0, da, db)
                if fit >= cfg.bots.reservation:
                    scored.append((-fit, tpl.id, a, b))
    out, used = [], {}
    for _, tid, a, b in sorted(scored):
        if len(out) >= left:
            break
        if any(set(p.parties()) == {a, b} and p.template == tid for p in _live(board)):
            continue
        if any(used.get(f, 0) >= capacity(rules, cfg, state, f) for f in (a, b)):
            continue
        try:
            _check_free(rules, cfg, state, board, a, b, tid)
        except SelectionError:
            continue  # already paired there, or full
        for f in (a, b):
            used[f] = used.get(f, 0) + 1
        out.append((a, b, tid))
    return out


def bot_proposals(rules: Rules, cfg: SelectionConfig, state: SessionState, board: Board,
                  fid: str) -> list[tuple[str, str]]:
    """(receiver, template) proposals a firm's bot sends: under each template it is not yet
    paired in, the partner that looks best from its profiles, if it clears the reservation."""
    if is_go_between(cfg, state, fid):
        return []
    held = [p for p in _live(board) if fid in p.parties()]
    room = capacity(rules, cfg, state, fid) - sum(p.status == "accepted" for p in held)
    best: dict[str, tuple[float, str]] = {}
    for g, tpl in _candidates(rules, cfg, state, fid):
        if any(p.template == tpl.id for p in held):
            continue
        fit = _fit_for(rules, cfg, state, board, fid, g, tpl)
        if fit >= cfg.bots.reservation and (tpl.id not in best or fit > best[tpl.id][0]):
            best[tpl.id] = (fit, g)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [(g, tid) for tid, (_, g) in ranked[:max(0, room)]]


def bot_answer(rules: Rules, cfg: SelectionConfig, state: SessionState, board: Board,
               proposal: Proposal, fid: str) -> bool:
    """Whether a firm's bot wants the pairing `proposal` offers (or, for an introduced
    pairing, keeps it): the fit it sees clears the reservation."""
    partner = proposal.sender if proposal.receiver == fid else proposal.receiver
    return _fit_for(rules, cfg, state, board, fid, partner, _template(rules, proposal.template)) \
        >= cfg.bots.reservation


def run_bot_selection(rules: Rules, cfg: SelectionConfig, state: SessionState,
                      introductions: bool = True) -> tuple[Board, list[dict]]:
    """A whole selection phase played by bots, in a fixed order: go-betweens introduce,
    introduced firms keep or decline, every firm proposes, receivers answer, the board
    closes. `state.phase` must be "selection"."""
    board, events = Board(), []

    def do(result):
        nonlocal board
        board, ev = result
        events.extend(ev)

    if introductions:
        for gb in sorted(f for f in state.firms if is_go_between(cfg, state, f)):
            for a, b, tid in bot_introductions(rules, cfg, state, board, gb):
                do(introduce(rules, cfg, state, board, gb, a, b, tid))
        for p in [p for p in board.proposals if p.introduced_by]:
            for f in p.parties():
                current = board.proposal(p.id)
                if current.status == "accepted" and not bot_answer(rules, cfg, state, board, current, f):
                    do(decline(rules, cfg, state, board, p.id, f))
    for fid in sorted(state.firms):
        for receiver, tid in bot_proposals(rules, cfg, state, board, fid):
            try:
                do(propose(rules, cfg, state, board, fid, receiver, tid))
            except SelectionError:
                pass  # the partner filled up meanwhile: a bot does not insist
    for p in list(board.proposals):
        current = board.proposal(p.id)
        if current.status != "pending":
            continue
        if bot_answer(rules, cfg, state, board, current, current.receiver):
            try:
                do(accept(rules, cfg, state, board, p.id, current.receiver))
                continue
            except SelectionError:
                pass
        do(decline(rules, cfg, state, board, p.id, current.receiver))
    return close(board), events


# ---- command line: `python -m game_rules.selection validate PATH | profiles SCENARIO` ---------

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
