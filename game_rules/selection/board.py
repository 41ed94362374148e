"""Profiles, the selection board and its pairings: what a firm shows and what a go-between
sees (seeded noise, the same in every process), the moves on the board (propose, accept,
decline, introduce, close) as pure functions that return a NEW board and event dicts, and
the accepted pairings signed as alliances."""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Literal

from ..rules import Rules, sign_alliance, terms_for_firms
from ..scenario import AllianceTemplate
from ..state import SessionState, TermSheet
from .config import SelectionConfig


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

    def to_dict(self) -> dict:
        return {"alliance_id": self.alliance_id, "template": self.template, "firms": list(self.firms),
                "introduced_by": self.introduced_by}


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
