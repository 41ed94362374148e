"""Term-sheet negotiation between two firms (GAME.md sections 3 and 4): a pure state machine.

A negotiation is open until one firm accepts the other's standing offer ("agreed"), a firm
walks away, or the clock runs out ("failed": both firms play their outside option, no
alliance). Every transition is a function that returns a NEW `Negotiation` plus a list of
event dicts and never mutates its input; the server owns the clock and calls `deadline`.

Illegal moves raise `NegotiationError` with a stable `code`:
  not_a_party    the acting firm is not one of the two firms
  closed         the negotiation is already agreed or failed
  no_offer       accept / reject / counter with nothing on the table
  not_your_turn  accept / reject / counter your own offer (the partner must answer it)
  offer_pending  make_offer while the partner's offer stands (answer it instead)
  invalid_terms  the term sheet is malformed ("field.path: problem")
  invalid_firms  open_negotiation without two distinct firm ids
Messages only repeat firm ids, field names and the terms the caller sent, never private state.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Literal

from .scenario import Params
from .state import TermSheet

DEFAULT_BUDGET: float = Params.model_fields["budget"].default
MAX_DURATION = 50
MAX_TRANCHES = 20
SPLIT_TOLERANCE = 1e-6

Status = Literal["open", "agreed", "failed"]
OfferStatus = Literal["standing", "accepted", "rejected", "countered", "replaced", "withdrawn-by-close"]


class NegotiationError(ValueError):
    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


@dataclass(frozen=True, slots=True)
class Offer:
    """One term sheet put on the table; `n` counts offers from 1 within a negotiation.
    `status` is "replaced" when its author put a new offer of its own on the table."""

    n: int
    by: str
    terms: TermSheet
    kind: Literal["offer", "counter"]
    status: OfferStatus = "standing"

    def to_dict(self) -> dict:
        return {"n": self.n, "by": self.by, "kind": self.kind, "status": self.status,
                "terms": self.terms.to_dict()}


@dataclass(frozen=True, slots=True)
class Negotiation:
    """Invariant: `standing` is None or is `offers[-1]` with status "standing"; it is None
    once the negotiation is closed."""

    id: str
    firms: tuple[str, str]
    status: Status = "open"
    offers: list[Offer] = field(default_factory=list)
    standing: Offer | None = None
    outcome_reason: Literal["accepted", "walked_away", "deadline"] | None = None
    walked_away_by: str | None = None

    @property
    def agreed_terms(self) -> TermSheet | None:
        # A copy, so that a caller editing the result cannot rewrite the history.
        return _copy_terms(self.offers[-1].terms) if self.status == "agreed" else None

    def partner(self, firm: str) -> str:
        a, b = self.firms
        return b if firm == a else a

    def to_dict(self) -> dict:
        return {"id": self.id, "firms": list(self.firms), "status": self.status,
                "offers": [o.to_dict() for o in self.offers],
                "standing": self.standing.n if self.standing else None,
                "outcome_reason": self.outcome_reason, "walked_away_by": self.walked_away_by}


Result = tuple[Negotiation, list[dict]]


# ---- transitions --------------------------------------------------------------------

def open_negotiation(id: str, firms) -> Negotiation:
    if (not isinstance(firms, (tuple, list)) or len(firms) != 2
            or not all(isinstance(f, str) and f for f in firms) or firms[0] == firms[1]):
        raise NegotiationError("invalid_firms", "firms: a negotiation needs two different firm ids")
    return Negotiation(id, (firms[0], firms[1]))


def make_offer(neg: Negotiation, by: str, terms: TermSheet, domains, *,
               budget: float = DEFAULT_BUDGET, max_duration: int = MAX_DURATION) -> Result:
    """Put an offer on the table, replacing `by`'s own standing offer if there is one."""
    _check_actor(neg, by)
    s = neg.standing
    if s is not None and s.by != by:
        raise NegotiationError("offer_pending", f"offer #{s.n} from {s.by} is on the table: "
                                                "accept, reject or counter it")
    return _put(neg, by, terms, "offer", "replaced", domains, budget, max_duration)


def counter(neg: Negotiation, by: str, terms: TermSheet, domains, *,
            budget: float = DEFAULT_BUDGET, max_duration: int = MAX_DURATION) -> Result:
    """Answer the partner's standing offer with a different term sheet."""
    _partners_offer(neg, by, "counter")
    return _put(neg, by, terms, "counter", "countered", domains, budget, max_duration)


def accept(neg: Negotiation, by: str) -> Result:
    s = _partners_offer(neg, by, "accept")
    new = replace(neg, status="agreed", offers=_settle(neg, "accepted"), standing=None,
                  outcome_reason="accepted")
    return new, [{"type": "offer_accepted", "negotiation": neg.id, "by": by, "n": s.n,
                  "terms": s.terms.to_dict()}]


def reject(neg: Negotiation, by: str) -> Result:
    """Turn the partner's offer down; the table is empty and either firm may offer next."""
    s = _partners_offer(neg, by, "reject")
    new = replace(neg, offers=_settle(neg, "rejected"), standing=None)
    return new, [{"type": "offer_rejected", "negotiation": neg.id, "by": by, "n": s.n}]


def walk_away(neg: Negotiation, by: str) -> Result:
    _check_actor(neg, by)
    new, events = _fail(neg, "walked_away", by)
    return new, [{"type": "walked_away", "negotiation": neg.id, "by": by}] + events


def deadline(neg: Negotiation) -> Result:
    """The clock ran out. Idempotent: a closed negotiation is returned unchanged, so a late
    timer firing after an agreement is harmless."""
    if neg.status != "open":
        return neg, []
    return _fail(neg, "deadline", None)


def transition(neg: Negotiation, action: str, firm: str | None, terms: TermSheet | None, domains, *,
               budget: float = DEFAULT_BUDGET, max_duration: int = MAX_DURATION) -> Result:
    """`neg` after one move named by its action (offer, counter, accept, reject, walk_away,
    deadline); raises `NegotiationError` for an illegal one."""
    if action == "offer":
        return make_offer(neg, firm, terms, domains, budget=budget, max_duration=max_duration)
    if action == "counter":
        return counter(neg, firm, terms, domains, budget=budget, max_duration=max_duration)
    if action == "deadline":
        return deadline(neg)
    return {"accept": accept, "reject": reject, "walk_away": walk_away}[action](neg, firm)


def _check_actor(neg: Negotiation, by) -> None:
    # Party first: an outsider learns nothing about the negotiation, not even that it closed.
    if by not in neg.firms:
        raise NegotiationError("not_a_party", f"{_show(by)} is not a party to negotiation {neg.id}")
    if neg.status != "open":
        raise NegotiationError("closed", f"negotiation {neg.id} is closed ({neg.outcome_reason})")


def _partners_offer(neg: Negotiation, by: str, action: str) -> Offer:
    _check_actor(neg, by)
    s = neg.standing
    if s is None:
        raise NegotiationError("no_offer", f"there is no offer on the table to {action}")
    if s.by == by:
        raise NegotiationError("not_your_turn", f"you cannot {action} your own offer #{s.n}; "
                                                f"{neg.partner(by)} must answer it")
    return s


def _settle(neg: Negotiation, status: OfferStatus) -> list[Offer]:
    """A copy of the history with the standing offer (always the last one) given `status`."""
    offers = list(neg.offers)
    if neg.standing is not None:
        offers[-1] = replace(neg.standing, status=status)
    return offers


def _put(neg, by, terms, kind, old_status, domains, budget, max_duration) -> Result:
    validate_terms(terms, neg.firms, domains, budget, max_duration)
    # Store a private copy: the caller may keep editing its TermSheet (it is mutable).
    offer = Offer(len(neg.offers) + 1, by, _copy_terms(terms), kind)
    prev = neg.standing.n if neg.standing else None
    new = replace(neg, offers=_settle(neg, old_status) + [offer], standing=offer)
    return new, [{"type": "offer_made", "negotiation": neg.id, "by": by, "n": offer.n,
                  "kind": kind, "previous": prev, "terms": offer.terms.to_dict()}]


def _fail(neg: Negotiation, reason: str, by: str | None) -> Result:
    new = replace(neg, status="failed", offers=_settle(neg, "withdrawn-by-close"), standing=None,
                  outcome_reason=reason, walked_away_by=by)
    return new, [{"type": "negotiation_failed", "negotiation": neg.id, "reason": reason}]


def _copy_terms(t: TermSheet) -> TermSheet:
    return TermSheet.from_dict(t.to_dict())


# ---- validation ---------------------------------------------------------------------

def _invalid(path: str, problem: str) -> NegotiationError:
    return NegotiationError("invalid_terms", f"{path}: {problem}")


def _show(v) -> str:
    # Echo untrusted input, but never a megabyte of it.
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def _num(path: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _invalid(path, f"must be a number (got {type(v).__name__})")
    if not math.isfinite(v):
        raise _invalid(path, "must be a finite number")
    return float(v)


def _int(path: str, v) -> int:
    # JSON encoders may send 4 as 4.0; accept whole floats, refuse 4.5.
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise _invalid(path, f"must be a whole number (got {_show(v)})")
    return v


def _unique(path: str, items) -> None:
    if len(set(items)) != len(items):
        raise _invalid(path, "lists a domain more than once")


def _parties_only(path: str, d: dict, firms) -> None:
    for f in d:
        if f not in firms:
            raise _invalid(f"{path}.{f}", "not a party to this negotiation")


MONEY_BUDGETS = 1000  # exit penalty, upfront payment and milestone: at most this many round budgets


def _money(path: str, v, most: float) -> None:
    if _num(path, v) < 0:
        raise _invalid(path, "must not be negative")
    if v > most:
        raise _invalid(path, f"must be at most {most:g} (1000 round budgets)")


def validate_terms(terms: TermSheet, firms: tuple[str, str], domains, budget: float,
                   max_duration: int = MAX_DURATION) -> None:
    """Raise NegotiationError("invalid_terms", "field.path: problem") at the first problem."""
    if not isinstance(terms, TermSheet):
        raise _invalid("terms", "must be a term sheet")
    t = terms
    # Membership is checked before `_unique` so that set() only ever sees domain strings.
    if not t.scope:
        raise _invalid("scope", "must name at least one domain")
    for k in t.scope:
        if k not in domains:
            raise _invalid("scope", f"unknown domain {_show(k)}")
    _unique("scope", t.scope)
    _parties_only("contributions", t.contributions, firms)
    for f, ks in t.contributions.items():
        for k in ks:
            if k not in t.scope:
                raise _invalid(f"contributions.{f}", f"domain {_show(k)} is outside the scope")
        _unique(f"contributions.{f}", ks)
    if set(t.split) != set(firms):
        raise _invalid("split", f"give a share for each of {firms[0]} and {firms[1]}, and no one else")
    for f, s in t.split.items():
        if _num(f"split.{f}", s) < 0:
            raise _invalid(f"split.{f}", "must not be negative")
    total = sum(t.split.values())
    if abs(total - 1.0) > SPLIT_TOLERANCE:
        raise _invalid("split", f"shares must sum to 1 (they sum to {total:g})")
    _parties_only("tranches", t.tranches, firms)
    # The engine reads tranches[f] for both firms (engine.py), so every party needs a count,
    # not only the contributing ones.
    for f in firms:
        if f not in t.tranches:
            raise _invalid(f"tranches.{f}", "missing")
        n = t.tranches[f]
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_TRANCHES:
            raise _invalid(f"tranches.{f}", f"must be a whole number from 1 to {MAX_TRANCHES}")
    # money and milestones are bounded like decisions: finite numbers whose sums overflow
    # (two upfront payments of 1e308) must never reach a firm's cash
    money = MONEY_BUDGETS * budget
    if not 0 < _num("milestone", t.milestone) <= money:
        raise _invalid("milestone", f"must be greater than 0 and at most {money:g}")
    if t.release not in ("staged", "upfront"):
        raise _invalid("release", f"must be 'staged' or 'upfront' (got {_show(t.release)})")
    if t.form not in ("serial", "parallel"):
        raise _invalid("form", f"must be 'serial' or 'parallel' (got {_show(t.form)})")
    d = t.duration
    if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= max_duration:
        raise _invalid("duration", f"must be a whole number of rounds from 1 to {max_duration}")
    _money("exit_penalty", t.exit_penalty, money)
    if not isinstance(t.exit_on_breach, bool):
        raise _invalid("exit_on_breach", "must be true or false")
    if not 0 <= _num("exit_trust_below", t.exit_trust_below) <= 1:
        raise _invalid("exit_trust_below", "must be between 0 and 1")
    _parties_only("min_effort", t.min_effort, firms)
    for f, v in t.min_effort.items():
        if not 0 <= _num(f"min_effort.{f}", v) <= budget:
            raise _invalid(f"min_effort.{f}", f"must be between 0 and the budget ({budget:g})")
    _money("upfront_payment", t.upfront_payment, money)
    if t.payer is not None and t.payer not in firms:
        raise _invalid("payer", f"{_show(t.payer)} is not a party to this negotiation")
    if t.upfront_payment > 0 and t.payer is None:
        raise _invalid("payer", "say which firm pays the upfront payment")


# ---- untrusted client data ----------------------------------------------------------

_FIELDS = tuple(f.name for f in fields(TermSheet))
_REQUIRED = ("scope", "contributions", "split", "duration")


def _mapping(path: str, v) -> dict:
    if not isinstance(v, dict):
        raise _invalid(path, "must be a mapping of firm id to value")
    for k in v:
        if not isinstance(k, str):
            raise _invalid(path, f"keys must be firm ids (got {_show(k)})")
    return v


def _str_list(path: str, v) -> tuple[str, ...]:
    if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) for x in v):
        raise _invalid(path, "must be a list of domain ids")
    return tuple(v)


def _firm_order(d: dict, firms, default=None) -> dict:
    # Firms first and in negotiation order: sign_alliance takes the alliance's firm order from
    # the split's keys. Extra keys stay so that validate_terms can name them.
    out = {f: d.get(f, default) for f in firms if f in d or default is not None}
    return {**out, **{k: v for k, v in d.items() if k not in out}}


def terms_from_dict(raw, firms: tuple[str, str], domains, budget: float,
                    max_duration: int = MAX_DURATION) -> TermSheet:
    """Parse a term sheet from untrusted data (a decoded JSON map) and validate it."""
    if not isinstance(raw, dict):
        raise _invalid("terms", "must be a mapping of field to value")
    unknown = sorted(_show(k) for k in raw if k not in _FIELDS)
    if unknown:
        raise _invalid("terms", f"unknown field(s) {', '.join(unknown)}")
    for name in _REQUIRED:
        if name not in raw:
            raise _invalid(name, "missing")
    get = raw.get
    contributions = {f: _str_list(f"contributions.{f}", v)
                     for f, v in _mapping("contributions", raw["contributions"]).items()}
    min_effort = {f: _num(f"min_effort.{f}", v)
                  for f, v in _mapping("min_effort", get("min_effort", {})).items()}
    tranches = {f: _int(f"tranches.{f}", v) for f, v in _mapping("tranches", get("tranches", {})).items()}
    split = {f: _num(f"split.{f}", v) for f, v in _mapping("split", raw["split"]).items()}
    for name in ("release", "form"):
        if not isinstance(get(name, ""), str):
            raise _invalid(name, "must be a string")
    if not isinstance(get("exit_on_breach", True), bool):
        raise _invalid("exit_on_breach", "must be true or false")
    payer = get("payer")
    if payer is not None and not isinstance(payer, str):
        raise _invalid("payer", "must be a firm id or null")
    terms = TermSheet(
        scope=_str_list("scope", raw["scope"]),
        contributions=_firm_order(contributions, firms, ()),
        min_effort=_firm_order(min_effort, firms, 0.0),
        tranches=_firm_order(tranches, firms, 4),
        milestone=_num("milestone", get("milestone", 25.0)),
        release=get("release", "staged"),
        split=_firm_order(split, firms),
        form=get("form", "parallel"),
        duration=_int("duration", raw["duration"]),
        exit_penalty=_num("exit_penalty", get("exit_penalty", 40.0)),
        exit_on_breach=get("exit_on_breach", True),
        exit_trust_below=_num("exit_trust_below", get("exit_trust_below", 0.0)),
        upfront_payment=_num("upfront_payment", get("upfront_payment", 0.0)),
        payer=payer,
    )
    validate_terms(terms, firms, domains, budget, max_duration)
    return terms
