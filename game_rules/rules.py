"""`Rules`: a validated scenario compiled into the flat numbers the engine reads, and the
functions that build a fresh session from it (instantiating the case once per copy)."""
from __future__ import annotations

from dataclasses import dataclass, field
# Domain and firm ids are interned where a session's rules and firms are built: the engine
# looks them up in dicts built from different sources (the scenario's domains, a role's
# competences, a term sheet, the firms), and a lookup with the very same string object skips
# comparing the characters. Equal strings either way: nothing else changes.
from sys import intern

from .scenario import Params, Scenario, AllianceTemplate
from .state import Alliance, Firm, SessionState, TermSheet
from .events import AllianceSigned


class Numbers:
    """A scenario's parameters (`Params`) as plain attributes of a plain object: CPython
    3.11 reads those fastest (a pydantic model's every read goes through its __getattr__
    hook; a SimpleNamespace's reads are not specialised), and the formulas read them
    several times per domain and round."""

    def __init__(self, params: dict):
        for k, v in params.items():
            setattr(self, k, v)  # (one by one, as __init__ would: the instance keeps its values inline)

    def __repr__(self) -> str:
        return f"Numbers({vars(self)!r})"


@dataclass(frozen=True, slots=True)
class Rules:
    scenario: Scenario
    params: Params
    domains: tuple[str, ...]
    tacitness: dict[str, float]
    weight: dict[str, float]
    domain_set: frozenset[str]
    # firm id -> the rules of its treatment, when treatments differ inside the session
    # (game_rules.treatments); None when every firm plays these rules
    treated: dict[str, "Rules"] | None = None
    # (domain, weight) in the scenario's order, for `position` (derived: not an argument)
    weighted: tuple[tuple[str, float], ...] = field(init=False, repr=False, compare=False)
    # `params`' numbers as plain attributes, for the engine's formulas (derived: the same
    # values; a pydantic model's every attribute read goes through its __getattr__ hook)
    numbers: "Numbers" = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "weighted", tuple((k, self.weight[k]) for k in self.domains))
        object.__setattr__(self, "numbers", Numbers(dict(self.params)))

    @classmethod
    def from_scenario(cls, s: Scenario) -> "Rules":
        ids = tuple(intern(d) for d in s.domain_ids())
        return cls(s, s.params, ids, {k: d.tacitness for k, d in zip(ids, s.domains)},
                   {k: d.weight for k, d in zip(ids, s.domains)}, frozenset(ids))

    def of(self, firm: str) -> "Rules":
        """The rules firm `firm` plays under: its treatment's, else these."""
        t = self.treated
        return t.get(firm, self) if t is not None else self

    def position(self, competence: dict[str, float]) -> float:
        # summed in the scenario's domain order, whatever the dict's order: deterministic.
        # The same products, added in the same order, as sum([w[k] * c[k] for k in domains]):
        # the weights are floats, so every product is one, and 0.0 + x is 0 + x (an integer
        # start is converted to 0.0; a float start keeps CPython 3.11's float addition
        # specialised). A loop is the fastest way to it (no list, no iterator objects), and
        # the engine asks for positions several times per firm
        total = 0.0
        for k, w in self.weighted:
            total += w * competence[k]
        return total


def firm_id(role: str, copy: int) -> str:
    return intern(f"{role}{copy}")


def new_session(rules: Rules, copies: int = 1, seed: int = 0, rounds: int | None = None) -> SessionState:
    """A session in the lobby with `copies` instances of every role; no alliance yet."""
    s = rules.scenario
    if copies < 1:
        raise ValueError("copies must be at least 1")
    firms = {}
    for c in range(1, copies + 1):
        for r in s.roles:
            firms[firm_id(r.id, c)] = fresh_firm(rules, r.id, c, copies > 1)
    rival = {intern(k): v for k, v in s.rival.competence.items()}
    return SessionState(s.id, seed, 0, rounds or s.rounds, "lobby", firms, {}, rival, dict(rival))


def fresh_firm(rules: Rules, role: str, copy: int, numbered: bool = True) -> Firm:
    """Copy `copy`'s firm of `role` as it starts the game (before any round or alliance)."""
    fid = firm_id(role, copy)
    r = rules.scenario.role(role)
    own = rules.of(fid).scenario.role(role)  # a treatment may change pace or competence
    return Firm(fid, f"{r.name} {copy}" if numbered else r.name, role,
                {intern(k): v for k, v in own.competence.items()}, own.pace, own.cash, dict(own.competence), copy)


def instantiate_terms(template: AllianceTemplate, copy: int, duration: int) -> TermSheet:
    """The template's default term sheet with role ids replaced by this copy's firm ids."""
    return terms_for_firms(template, tuple(firm_id(r, copy) for r in template.roles), duration)


def terms_for_firms(template: AllianceTemplate, firms: tuple[str, str], duration: int) -> TermSheet:
    """The template's default term sheet for two given firms (in the template's role order)."""
    t = template.terms
    fid = dict(zip(template.roles, firms))
    return TermSheet(
        scope=tuple(intern(k) for k in t.scope),
        contributions={fid[r]: tuple(intern(k) for k in t.contributions.get(r, ())) for r in template.roles},
        min_effort={fid[r]: float(t.min_effort.get(r, 0.0)) for r in template.roles},
        tranches={fid[r]: int(t.tranches.get(r, 4)) for r in template.roles},
        milestone=t.milestone, release=t.release,
        split={fid[r]: t.split[r] for r in template.roles},
        form=t.form, duration=t.duration or duration, exit_penalty=t.exit_penalty,
        exit_on_breach=t.exit_on_breach, exit_trust_below=t.exit_trust_below,
        upfront_payment=t.upfront_payment, payer=fid[t.payer] if t.payer else None)


def sign_alliance(rules: Rules, state: SessionState, alliance_id: str, terms: TermSheet):
    """Bind the two firms of `terms` into an alliance (mutates `state`); returns the event.
    Upfront release opens every tranche at signing; the upfront payment changes hands."""
    firms = tuple(terms.split)
    if len(firms) != 2 or any(f not in state.firms for f in firms):
        raise ValueError(f"alliance {alliance_id}: terms must name two firms of the session")
    released = {f: {k: (terms.tranches[f] if terms.release == "upfront" else 0)
                    for k in terms.contributions.get(f, ())} for f in firms}
    t0 = rules.of(firms[0]).params.trust_start  # partners share it (game_rules.treatments)
    al = Alliance(alliance_id, firms, terms, state.round, {f: t0 for f in firms}, released,
                  {f: 0.0 for f in firms}, breach={f: False for f in firms})
    state.alliances[alliance_id] = al
    if terms.upfront_payment and terms.payer:
        payee = al.partner(terms.payer)
        state.firms[terms.payer].cash -= terms.upfront_payment
        state.firms[payee].cash += terms.upfront_payment
    return AllianceSigned(alliance_id, firms, state.round, terms.upfront_payment, terms.payer)


def sign_default_alliances(rules: Rules, state: SessionState) -> list[AllianceSigned]:
    """Pair every copy with the scenario's default terms (the facilitator's 'pair firms')."""
    copies = len(state.firms) // len(rules.scenario.roles)
    events = []
    for c in range(1, copies + 1):
        for tpl in rules.scenario.alliances:
            terms = instantiate_terms(tpl, c, state.rounds)
            events.append(sign_alliance(rules, state, f"{tpl.id}{c}", terms))
    return events
