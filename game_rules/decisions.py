"""Parsing and validating a firm's round decision. Every problem is a `DecisionError` with
a stable code and a message that names the field; a rejected decision changes nothing.

Messages only ever mention the firm's own numbers and the public terms, never the
partner's private state, so they are safe to send back to the player."""
from __future__ import annotations

import math
from functools import lru_cache
from math import fsum

from .rules import Rules
from .state import Decision, SessionState


class DecisionError(ValueError):
    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


_POINT_FIELDS = ("contribute", "absorb", "develop")
_KNOWN = {"firm", "contribute", "absorb", "develop", "protect", "reveal", "withhold", "exit", "survey"}


def _number(path: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise DecisionError("wrong_type", f"{path}: must be a number (got {type(v).__name__})")
    v = float(v)
    if not math.isfinite(v):
        raise DecisionError("not_finite", f"{path}: must be a finite number")
    return v


def _str_list(path: str, v) -> tuple[str, ...]:
    if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) for x in v):
        raise DecisionError("wrong_type", f"{path}: must be a list of strings")
    return tuple(v)


def _num_map(path: str, v) -> dict[str, float]:
    if not isinstance(v, dict):
        raise DecisionError("wrong_type", f"{path}: must be a mapping of domain to number")
    out = {}
    for k, x in v.items():
        if not isinstance(k, str):
            raise DecisionError("wrong_type", f"{path}: keys must be domain names")
        out[k] = _number(f"{path}.{k}", x)
    return out


def parse_decision(firm: str, raw) -> Decision:
    """Build a `Decision` from untrusted data (a decoded JSON or msgpack map)."""
    if not isinstance(raw, dict):
        raise DecisionError("wrong_type", "decision: must be a mapping")
    unknown = sorted(str(k) for k in raw if k not in _KNOWN)
    if unknown:
        raise DecisionError("unknown_field", f"decision: unknown field(s) {', '.join(unknown)}")
    if "firm" in raw and raw["firm"] != firm:
        raise DecisionError("not_your_firm", "decision: you can only decide for your own firm")
    d = Decision(firm=firm)
    for name in _POINT_FIELDS + ("reveal",):
        if name in raw:
            setattr(d, name, _num_map(name, raw[name]))
    if "protect" in raw:
        d.protect = _number("protect", raw["protect"])
    if "withhold" in raw:
        w = raw["withhold"]
        if not isinstance(w, dict):
            raise DecisionError("wrong_type", "withhold: must map an alliance id to a list of domains")
        d.withhold = {str(a): _str_list(f"withhold.{a}", v) for a, v in w.items()}
    if "exit" in raw:
        d.exit = _str_list("exit", raw["exit"])
    if "survey" in raw:
        s = raw["survey"]
        if not isinstance(s, dict):
            raise DecisionError("wrong_type", "survey: must map a question id to an answer 1..5")
        for q, a in s.items():
            if isinstance(a, bool) or not isinstance(a, int) or not 1 <= a <= 5:
                raise DecisionError("out_of_range", f"survey.{q}: answer must be an integer from 1 to 5")
        d.survey = dict(s)
    return d


def _check_amount(path: str, v: float) -> None:
    # a Decision built in code (not parsed) may still carry NaN, which slips past `< 0`
    if not math.isfinite(v):
        raise DecisionError("not_finite", f"{path}: must be a finite number")
    if v < 0:
        raise DecisionError("negative", f"{path}: must not be negative")


_INF = math.inf


def _check_map(rules: Rules, name: str, values: dict[str, float], allowed, allowed_code: str,
               allowed_msg: str, upper: float = _INF) -> None:
    """Every key a known (and `allowed`) domain, every value finite, >= 0 and <= `upper`.
    The common case (all fine) is one pass; the slow path finds the field to name."""
    domains = rules.domain_set
    for k, v in values.items():
        if k not in domains:
            raise DecisionError("unknown_domain", f"{name}.{k}: no such domain")
        if not 0.0 <= v < _INF:
            _check_amount(f"{name}.{k}", v)
        if v > 0 and k not in allowed:
            raise DecisionError(allowed_code, allowed_msg.format(name=name, k=k))
        if v > upper:
            if name == "reveal":
                raise DecisionError("out_of_range", f"{name}.{k}: must be between 0 and {upper:g}")
            raise DecisionError("over_budget", f"{name}.{k}: {v:g} points but only {upper:g} available")


def validate_decision(rules: Rules, state: SessionState, d: Decision, alliances=None) -> float:
    """Raise `DecisionError` unless `d` is a legal decision for its firm this round; return
    the points it spends (`Decision.spent`). `alliances` (the firm's active alliances) may
    be passed to save a scan of the state."""
    if state.phase != "execution":
        raise DecisionError("wrong_phase", f"decisions are taken in the execution phase (now: {state.phase})")
    firm = d.firm
    if firm not in state.firms:
        raise DecisionError("unknown_firm", f"firm {firm!r} is not in this session")
    budget = (rules if rules.treated is None else rules.of(firm)).numbers.budget
    if alliances is None:
        alliances = state.alliances_of(firm)
    domains = rules.domain_set
    # (only known domains: then a key in `scope` or `contributed` is known, as the checks need;
    # most firms play one alliance: its term sheet's sets are kept from round to round)
    if len(alliances) == 1:
        terms = alliances[0].terms
        scope, contributed = _allowed(domains, tuple(terms.scope), tuple(terms.contributions.get(firm, ())))
    else:
        scope = domains.intersection([k for a in alliances for k in a.terms.scope])
        contributed = domains.intersection([k for a in alliances for k in a.terms.contributions.get(firm, ())])
    # the points in `Decision.spent`'s order: their fsum is what it returns
    points = (*d.contribute.values(), *d.absorb.values(), *d.develop.values(), d.protect)
    if _at_a_glance(d, points, scope, contributed, domains, budget):
        spent = fsum(points)  # (no overflow, no NaN: every point is in [0, budget])
    else:
        _check_maps(rules, d, scope, contributed, budget)  # raises: the first problem, named
        spent = d.spent()
    if d.survey:
        _check_survey(rules, d.survey)
    if spent > budget + 1e-9:
        raise DecisionError("over_budget", f"budget: {spent:g} points allocated but only {budget:g} available")
    if d.withhold or d.exit:  # (most decisions name no alliance: no set of ids to build)
        _check_alliance_lists(d, {a.id for a in alliances}, "an active alliance",
                              lambda a: state.alliances[a].terms.contributions.get(firm, ()),
                              "not_contributed", "you release no tranches in {k}")
    return spent


@lru_cache(maxsize=1024)
def _allowed(domains: frozenset[str], scope: tuple[str, ...], contributed: tuple[str, ...]):
    """The known domains of a term sheet's scope and of the ones a firm contributes to it: a
    function of its arguments alone, kept for the term sheets seen (terms change at signing
    and renegotiation, decisions every round)."""
    return domains.intersection(scope), domains.intersection(contributed)


def _at_a_glance(d: Decision, points: tuple, scope, contributed, domains, budget: float) -> bool:
    """The common case in one step: every key allowed, every point in [0, budget], every
    openness in [0, 1] and none NaN. False sends the decision through `_check_maps`, which
    names the problem (or finds none: a zero amount outside the allowed domains is legal)."""
    reveal = d.reveal
    # (a set's issuperset of a dict reads its keys; a loop over a few values costs less than
    # min and max)
    if not (contributed.issuperset(d.contribute) and scope.issuperset(d.absorb) and domains.issuperset(d.develop)
            and scope.issuperset(reveal)):
        return False
    for v in points:
        if not 0.0 <= v <= budget:  # (NaN fails too)
            return False
    for v in reveal.values():
        if not 0.0 <= v <= 1.0:
            return False
    return True


def _check_maps(rules: Rules, d: Decision, scope, contributed, budget: float) -> None:
    """Every amount and openness checked one by one, in the order a player reads the
    problems; every amount is bounded by the budget before anything is summed: finite
    numbers whose sum overflows (1e308 + 1e308) must never reach `spent()` or the engine."""
    _check_map(rules, "contribute", d.contribute, contributed, "not_contributed",
               "{name}.{k}: your firm does not contribute {k} in an active alliance", budget)
    _check_map(rules, "develop", d.develop, rules.domain_set, "unknown_domain", "{name}.{k}: no such domain",
               budget)
    out_of_scope = "{name}.{k}: {k} is not in the scope of an active alliance"
    _check_map(rules, "absorb", d.absorb, scope, "out_of_scope", out_of_scope, budget)
    _check_map(rules, "reveal", d.reveal, scope, "out_of_scope", out_of_scope, upper=1.0)
    _check_protect(d.protect, budget)


def _check_protect(v: float, budget: float) -> None:
    _check_amount("protect", v)
    if v > budget:
        raise DecisionError("over_budget", f"protect: {v:g} points but only {budget:g} available")


def _check_alliance_lists(d: Decision, known: set[str], what: str, allowed, code: str, problem: str) -> None:
    """`withhold` and `exit` name only alliances in `known`; each withheld domain is in
    `allowed(alliance)` (else `code`, with `problem` naming it)."""
    for a, doms in d.withhold.items():
        if a not in known:
            raise DecisionError("unknown_alliance", f"withhold.{a}: not {what} of your firm")
        ok = allowed(a)
        for k in doms:
            if k not in ok:
                raise DecisionError(code, f"withhold.{a}.{k}: " + problem.format(k=k))
    for a in d.exit:
        if a not in known:
            raise DecisionError("unknown_alliance", f"exit.{a}: not {what} of your firm")


def _check_survey(rules: Rules, survey: dict[str, int]) -> None:
    if not survey:  # (most decisions: no set of the questions to build)
        return
    asked = {q.id for q in rules.scenario.surveys}
    for q in survey:
        if q not in asked:
            raise DecisionError("unknown_field", f"survey.{q}: no such question in this scenario")


# A draft is bounded by what a legal decision could hold; this caps what one firm's draft
# may weigh in the log and in every teammate's pushes (the domain checks already bound it;
# this guards the lists and maps that name alliances).
MAX_DRAFT_ENTRIES = 256


def check_draft(rules: Rules, state: SessionState, firm: str, draft: dict) -> Decision:
    """Raise `DecisionError` unless `draft` (the merged draft) could become a legal decision
    of `firm`: known keys and domains, every amount within the budget, reveal in [0, 1],
    survey answers 1-5 to the scenario's questions, withhold and exit naming the firm's own
    alliances. Unlike `validate_decision` it does not need the execution phase, and the
    total may still exceed the budget (a team fills the form field by field)."""
    d = parse_decision(firm, draft)
    entries = sum(len(v) if isinstance(v, (dict, list)) else 1 for v in draft.values())
    entries += sum(len(v) for v in d.withhold.values())
    if entries > MAX_DRAFT_ENTRIES:
        raise DecisionError("out_of_range", f"draft: at most {MAX_DRAFT_ENTRIES} entries")
    budget = rules.of(firm).params.budget
    domains = rules.domain_set
    for name in ("contribute", "absorb", "develop"):
        _check_map(rules, name, getattr(d, name), domains, "unknown_domain", "{name}.{k}: no such domain", budget)
    _check_map(rules, "reveal", d.reveal, domains, "unknown_domain", "{name}.{k}: no such domain", upper=1.0)
    _check_protect(d.protect, budget)
    _check_survey(rules, d.survey)
    if d.withhold or d.exit:  # the scan of every alliance only when the draft names some (drafts are hot)
        _check_alliance_lists(d, {a.id for a in state.alliances.values() if firm in a.firms}, "an alliance",
                              lambda a: domains, "unknown_domain", "no such domain")
    return d


def merge_draft(draft: dict, fields: dict) -> dict:
    """A draft with `fields` merged in, one level deep: a map field merges key by key; null
    removes a field or a key. The same merge runs live, on restore and in the clients."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in draft.items()}
    for k, v in fields.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict):
            into = out[k] if isinstance(out.get(k), dict) else {}
            for kk, vv in v.items():
                if vv is None:
                    into.pop(kk, None)
                else:
                    into[kk] = vv
            out[k] = into
        else:
            out[k] = v
    return out


def default_decision(rules: Rules, state: SessionState, firm: str) -> Decision:
    """What a firm that did not submit plays: it honours its minimum effort, evenly over its
    contributed domains, releases what is due, and keeps the rest as cash."""
    d = Decision(firm=firm)
    for a in state.alliances_of(firm):
        own = a.terms.contributions.get(firm, ())
        for k in own:
            d.contribute[k] = d.contribute.get(k, 0.0) + a.terms.min_effort.get(firm, 0.0) / len(own)
    return d
