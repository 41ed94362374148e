"""Tests for the term-sheet negotiation state machine (game_rules/negotiation.py)."""
from __future__ import annotations

import copy
import math

import pytest
from hypothesis import given, settings, strategies as st

from game_rules.negotiation import (
    Negotiation, NegotiationError, Offer, accept, counter, deadline, make_offer,
    open_negotiation, reject, terms_from_dict, validate_terms, walk_away,
)
from game_rules.rules import Rules, instantiate_terms, new_session, sign_alliance
from game_rules.scenario import load_scenario
from game_rules.engine import resolve_round
from game_rules.state import TermSheet

A, B = "west1", "east1"
FIRMS = (A, B)
DOMAINS = ["design", "manufacturing", "distribution", "brand"]
BUDGET = 100.0


def terms(**over) -> TermSheet:
    base = dict(
        scope=("design", "manufacturing"),
        contributions={A: ("design",), B: ("manufacturing",)},
        min_effort={A: 15.0, B: 15.0},
        tranches={A: 4, B: 4},
        milestone=25.0, release="staged",
        split={A: 0.5, B: 0.5},
        form="parallel", duration=8, exit_penalty=40.0,
    )
    base.update(over)
    return TermSheet(**base)


T1 = terms()
T2 = terms(split={A: 0.6, B: 0.4})
T3 = terms(form="serial", duration=6)


def fresh() -> Negotiation:
    return open_negotiation("n1", FIRMS)


def offer(neg, by, t=T1):
    return make_offer(neg, by, t, DOMAINS)


def cnt(neg, by, t=T2):
    return counter(neg, by, t, DOMAINS)


def raises(code: str, fn, *args, **kw) -> NegotiationError:
    with pytest.raises(NegotiationError) as e:
        fn(*args, **kw)
    assert e.value.code == code, e.value.message
    return e.value


# ---- legal paths --------------------------------------------------------------------

def test_open_negotiation():
    n = fresh()
    assert (n.id, n.firms, n.status, n.offers, n.standing) == ("n1", FIRMS, "open", [], None)
    assert n.outcome_reason is None and n.walked_away_by is None and n.agreed_terms is None
    assert n.partner(A) == B and n.partner(B) == A


def test_offer_then_accept():
    n1, ev1 = offer(fresh(), A)
    assert n1.status == "open" and n1.standing == n1.offers[-1]
    assert n1.standing == Offer(1, A, T1, "offer", "standing")
    assert ev1 == [{"type": "offer_made", "negotiation": "n1", "by": A, "n": 1, "kind": "offer",
                    "previous": None, "terms": T1.to_dict()}]
    n2, ev2 = accept(n1, B)
    assert n2.status == "agreed" and n2.outcome_reason == "accepted" and n2.standing is None
    assert n2.offers[-1].status == "accepted"
    assert n2.agreed_terms == T1
    assert ev2 == [{"type": "offer_accepted", "negotiation": "n1", "by": B, "n": 1,
                    "terms": T1.to_dict()}]


def test_offer_counter_accept():
    n1, _ = offer(fresh(), A)
    n2, ev = cnt(n1, B)
    assert [o.status for o in n2.offers] == ["countered", "standing"]
    assert n2.standing.by == B and n2.standing.kind == "counter" and n2.standing.n == 2
    assert ev[0]["kind"] == "counter" and ev[0]["previous"] == 1 and ev[0]["terms"] == T2.to_dict()
    n3, ev = accept(n2, A)
    assert n3.status == "agreed" and n3.agreed_terms == T2
    assert [o.status for o in n3.offers] == ["countered", "accepted"]
    assert ev[0]["n"] == 2 and ev[0]["by"] == A


def test_counter_chain():
    n, _ = offer(fresh(), A)
    n, _ = cnt(n, B, T2)
    n, _ = cnt(n, A, T3)
    n, _ = accept(n, B)
    assert [(o.by, o.kind, o.status) for o in n.offers] == [
        (A, "offer", "countered"), (B, "counter", "countered"), (A, "counter", "accepted")]
    assert n.agreed_terms == T3


def test_offer_reject_then_new_offer_by_either_firm():
    n1, _ = offer(fresh(), A)
    n2, ev = reject(n1, B)
    assert n2.status == "open" and n2.standing is None
    assert n2.offers[0].status == "rejected"
    assert ev == [{"type": "offer_rejected", "negotiation": "n1", "by": B, "n": 1}]
    for firm in FIRMS:
        n3, ev = offer(n2, firm, T3)
        assert n3.standing.by == firm and n3.standing.n == 2 and ev[0]["previous"] is None


def test_replace_own_offer():
    n1, _ = offer(fresh(), A, T1)
    n2, ev = offer(n1, A, T2)
    assert [o.status for o in n2.offers] == ["replaced", "standing"]
    assert n2.standing.terms == T2 and n2.standing.n == 2
    assert ev[0]["previous"] == 1 and ev[0]["kind"] == "offer"
    n3, _ = accept(n2, B)
    assert n3.agreed_terms == T2


def test_walk_away_without_and_with_offer():
    n, ev = walk_away(fresh(), B)
    assert (n.status, n.outcome_reason, n.walked_away_by) == ("failed", "walked_away", B)
    assert ev == [{"type": "walked_away", "negotiation": "n1", "by": B},
                  {"type": "negotiation_failed", "negotiation": "n1", "reason": "walked_away"}]
    n1, _ = offer(fresh(), A)
    for firm in FIRMS:  # the offerer and the receiver may both walk away
        n2, _ = walk_away(n1, firm)
        assert n2.status == "failed" and n2.walked_away_by == firm and n2.standing is None
        assert n2.offers[0].status == "withdrawn-by-close" and n2.agreed_terms is None


def test_deadline_fails_an_open_negotiation():
    n1, _ = offer(fresh(), A)
    n2, ev = deadline(n1)
    assert (n2.status, n2.outcome_reason, n2.walked_away_by) == ("failed", "deadline", None)
    assert n2.standing is None and n2.offers[0].status == "withdrawn-by-close"
    assert ev == [{"type": "negotiation_failed", "negotiation": "n1", "reason": "deadline"}]
    n3, ev = deadline(fresh())
    assert n3.status == "failed" and n3.offers == [] and ev[0]["reason"] == "deadline"


def test_deadline_after_close_changes_nothing():
    agreed, _ = accept(offer(fresh(), A)[0], B)
    failed, _ = walk_away(fresh(), A)
    expired, _ = deadline(fresh())
    for n in (agreed, failed, expired):
        before = copy.deepcopy(n)
        n2, ev = deadline(n)
        assert ev == [] and n2 == before and n == before


def test_to_dict():
    n, _ = cnt(offer(fresh(), A)[0], B)
    d = n.to_dict()
    assert d["firms"] == [A, B] and d["status"] == "open" and d["standing"] == 2
    assert [o["status"] for o in d["offers"]] == ["countered", "standing"]
    assert d["offers"][1]["terms"] == T2.to_dict()


# ---- illegal transitions ------------------------------------------------------------

@pytest.mark.parametrize("firms", [("a",), ("a", "a"), ("a", ""), ("a", 3), "ab", None, ("a", "b", "c")])
def test_open_needs_two_distinct_firms(firms):
    raises("invalid_firms", open_negotiation, "n", firms)


def _all_actions(n, by):
    return [lambda: offer(n, by), lambda: cnt(n, by), lambda: accept(n, by),
            lambda: reject(n, by), lambda: walk_away(n, by)]


@pytest.mark.parametrize("stranger", ["mallory", "", None, "WEST1"])
def test_not_a_party(stranger):
    n, _ = offer(fresh(), A)
    for act in _all_actions(n, stranger):
        raises("not_a_party", act)


def test_not_a_party_is_reported_before_closed():
    n, _ = walk_away(fresh(), A)
    for act in _all_actions(n, "mallory"):
        e = raises("not_a_party", act)
        assert "closed" not in e.message


@pytest.mark.parametrize("close", ["agreed", "walked_away", "deadline"])
def test_every_action_after_close_raises_closed(close):
    n, _ = offer(fresh(), A)
    n = {"agreed": lambda: accept(n, B), "walked_away": lambda: walk_away(n, B),
         "deadline": lambda: deadline(n)}[close]()[0]
    for firm in FIRMS:
        for act in _all_actions(n, firm):
            raises("closed", act)


@pytest.mark.parametrize("action", [accept, reject])
def test_accept_or_reject_without_offer(action):
    raises("no_offer", action, fresh(), A)
    n, _ = reject(offer(fresh(), A)[0], B)  # table emptied by a rejection
    raises("no_offer", action, n, A)


def test_counter_without_offer():
    raises("no_offer", cnt, fresh(), A)


@pytest.mark.parametrize("action", [accept, reject])
def test_cannot_answer_own_offer(action):
    n, _ = offer(fresh(), A)
    e = raises("not_your_turn", action, n, A)
    assert B in e.message


def test_cannot_counter_own_offer():
    n, _ = offer(fresh(), A)
    raises("not_your_turn", cnt, n, A)
    n, _ = cnt(n, B)
    raises("not_your_turn", cnt, n, B)


def test_cannot_offer_over_partners_offer():
    n, _ = offer(fresh(), A)
    e = raises("offer_pending", offer, n, B)
    assert "#1" in e.message


def test_invalid_terms_are_refused_by_offer_and_counter():
    bad = terms(duration=0)
    raises("invalid_terms", offer, fresh(), A, bad)
    n, _ = offer(fresh(), A)
    raises("invalid_terms", cnt, n, B, bad)
    raises("invalid_terms", make_offer, fresh(), A, {"scope": []}, DOMAINS)


def test_offer_uses_budget_and_max_duration():
    t = terms(min_effort={A: 60.0, B: 0.0}, duration=20)
    make_offer(fresh(), A, t, DOMAINS)
    raises("invalid_terms", make_offer, fresh(), A, t, DOMAINS, budget=50)
    raises("invalid_terms", make_offer, fresh(), A, t, DOMAINS, max_duration=12)
    n, _ = offer(fresh(), B)
    raises("invalid_terms", counter, n, A, t, DOMAINS, budget=50)


# ---- immutability -------------------------------------------------------------------

def test_transitions_never_mutate_their_input():
    n0 = fresh()
    n1, _ = offer(n0, A)
    steps = [(n0, lambda n: offer(n, A)), (n1, lambda n: offer(n, A, T2)),
             (n1, lambda n: cnt(n, B)), (n1, lambda n: accept(n, B)), (n1, lambda n: reject(n, B)),
             (n1, lambda n: walk_away(n, A)), (n1, deadline)]
    for n, step in steps:
        before = copy.deepcopy(n)
        after, _ = step(n)
        assert n == before and after is not n
        assert after.offers is not n.offers


def test_caller_editing_terms_does_not_change_history():
    t = terms()
    snapshot = copy.deepcopy(t)
    n, ev = make_offer(fresh(), A, t, DOMAINS)
    assert t == snapshot  # make_offer did not touch the caller's term sheet
    t.split[A] = 0.99
    t.contributions[A] = ("brand",)
    assert n.standing.terms == snapshot and ev[0]["terms"] == snapshot.to_dict()
    agreed, _ = accept(n, B)
    got = agreed.agreed_terms
    got.split[B] = 0.0
    assert agreed.agreed_terms == snapshot


def test_negotiation_and_offer_are_frozen():
    n, _ = offer(fresh(), A)
    with pytest.raises(AttributeError):
        n.status = "agreed"
    with pytest.raises(AttributeError):
        n.standing.status = "accepted"


# ---- validate_terms -----------------------------------------------------------------

def test_valid_terms_pass():
    for t in (T1, T2, T3, terms(release="upfront", upfront_payment=10.0, payer=B),
              terms(contributions={A: ("design", "manufacturing")}, min_effort={}),
              terms(split={A: 1.0, B: 0.0}), terms(duration=50), terms(tranches={A: 1, B: 20}),
              terms(exit_trust_below=1.0), terms(min_effort={A: BUDGET, B: 0}),
              terms(split={A: 0.3 + 1e-7, B: 0.7}), terms(payer=A)):
        validate_terms(t, FIRMS, DOMAINS, BUDGET)


def test_default_scenario_terms_are_valid():
    s = load_scenario("classic")
    for tpl in s.alliances:
        t = instantiate_terms(tpl, 1, s.rounds)
        validate_terms(t, tuple(t.split), s.domain_ids(), s.params.budget)


NAN, INF = float("nan"), float("inf")

BAD_TERMS = [
    (dict(scope=()), "scope", "at least one"),
    (dict(scope=("design", "cooking")), "scope", "'cooking'"),
    (dict(scope=("design", "design", "manufacturing")), "scope", "more than once"),
    (dict(contributions={A: ("design",), "mallory": ("manufacturing",)}), "contributions.mallory", "not a party"),
    (dict(contributions={A: ("brand",)}), f"contributions.{A}", "outside the scope"),
    (dict(contributions={A: ("design", "design")}), f"contributions.{A}", "more than once"),
    (dict(split={A: 1.0}), "split", "each of"),
    (dict(split={A: 0.5, B: 0.25, "mallory": 0.25}), "split", "each of"),
    (dict(split={A: 1.5, B: -0.5}), f"split.{B}", "negative"),
    (dict(split={A: 0.5, B: 0.6}), "split", "sum to 1"),
    (dict(split={A: 0.5, B: 0.5 - 2e-6}), "split", "sum to 1"),
    (dict(split={A: NAN, B: 0.5}), f"split.{A}", "finite"),
    (dict(split={A: "0.5", B: 0.5}), f"split.{A}", "number"),
    (dict(tranches={A: 0, B: 4}), f"tranches.{A}", "1 to 20"),
    (dict(tranches={A: 4, B: 21}), f"tranches.{B}", "1 to 20"),
    (dict(tranches={A: 2.5, B: 4}), f"tranches.{A}", "whole number"),
    (dict(tranches={A: True, B: 4}), f"tranches.{A}", "whole number"),
    (dict(tranches={B: 4}), f"tranches.{A}", "missing"),
    (dict(tranches={A: 4, B: 4, "mallory": 4}), "tranches.mallory", "not a party"),
    (dict(milestone=0.0), "milestone", "greater than 0"),
    (dict(milestone=-5.0), "milestone", "greater than 0"),
    (dict(milestone=INF), "milestone", "finite"),
    (dict(release="eventually"), "release", "staged"),
    (dict(form="circular"), "form", "serial"),
    (dict(duration=0), "duration", "1 to 50"),
    (dict(duration=51), "duration", "1 to 50"),
    (dict(duration=8.0), "duration", "whole number"),
    (dict(exit_penalty=-1.0), "exit_penalty", "negative"),
    (dict(exit_penalty=INF), "exit_penalty", "finite"),
    (dict(exit_penalty=NAN), "exit_penalty", "finite"),
    (dict(exit_on_breach="yes"), "exit_on_breach", "true or false"),
    (dict(exit_trust_below=-0.1), "exit_trust_below", "between 0 and 1"),
    (dict(exit_trust_below=1.1), "exit_trust_below", "between 0 and 1"),
    (dict(exit_trust_below=NAN), "exit_trust_below", "finite"),
    (dict(min_effort={A: -1.0, B: 0.0}), f"min_effort.{A}", "between 0 and the budget"),
    (dict(min_effort={A: 100.5, B: 0.0}), f"min_effort.{A}", "between 0 and the budget"),
    (dict(min_effort={A: INF, B: 0.0}), f"min_effort.{A}", "finite"),
    (dict(min_effort={"mallory": 1.0}), "min_effort.mallory", "not a party"),
    (dict(upfront_payment=-5.0, payer=A), "upfront_payment", "negative"),
    (dict(upfront_payment=NAN, payer=A), "upfront_payment", "finite"),
    (dict(upfront_payment=10.0), "payer", "which firm pays"),
    (dict(upfront_payment=10.0, payer="mallory"), "payer", "not a party"),
    (dict(payer="mallory"), "payer", "not a party"),
]


@pytest.mark.parametrize("over,path,problem", BAD_TERMS, ids=[f"{p}-{w}" for _, p, w in BAD_TERMS])
def test_validate_terms_problems(over, path, problem):
    e = raises("invalid_terms", validate_terms, terms(**over), FIRMS, DOMAINS, BUDGET)
    assert e.message.startswith(f"{path}: "), e.message
    assert problem in e.message


def test_validate_terms_respects_max_duration_and_needs_a_term_sheet():
    validate_terms(terms(duration=12), FIRMS, DOMAINS, BUDGET, max_duration=12)
    e = raises("invalid_terms", validate_terms, terms(duration=13), FIRMS, DOMAINS, BUDGET, max_duration=12)
    assert e.message.startswith("duration:") and "1 to 12" in e.message
    raises("invalid_terms", validate_terms, T1.to_dict(), FIRMS, DOMAINS, BUDGET)


def test_error_is_a_value_error_with_code_and_message():
    e = raises("invalid_terms", validate_terms, terms(form="x"), FIRMS, DOMAINS, BUDGET)
    assert isinstance(e, ValueError) and str(e) == f"invalid_terms: {e.message}"


# ---- terms_from_dict ----------------------------------------------------------------

MINIMAL = {"scope": ["design", "manufacturing"], "contributions": {A: ["design"]},
           "split": {B: 0.4, A: 0.6}, "duration": 8}


def parse(raw, **kw):
    return terms_from_dict(raw, FIRMS, DOMAINS, BUDGET, **kw)


def test_from_dict_defaults():
    raw = copy.deepcopy(MINIMAL)
    t = parse(raw)
    assert raw == MINIMAL  # the client's data is not touched
    assert t == TermSheet(
        scope=("design", "manufacturing"), contributions={A: ("design",), B: ()},
        min_effort={A: 0.0, B: 0.0}, tranches={A: 4, B: 4}, milestone=25.0, release="staged",
        split={A: 0.6, B: 0.4}, form="parallel", duration=8, exit_penalty=40.0,
        exit_on_breach=True, exit_trust_below=0.0, upfront_payment=0.0, payer=None)
    # firm order follows the negotiation (sign_alliance reads the alliance's firms off the split)
    assert list(t.split) == [A, B] and list(t.contributions) == [A, B]


def test_from_dict_round_trips_a_full_term_sheet():
    t = terms(release="upfront", upfront_payment=12.5, payer=B, exit_on_breach=False,
              exit_trust_below=0.3, tranches={A: 3, B: 5})
    assert parse(t.to_dict()) == t


def test_from_dict_fills_partial_maps_and_accepts_whole_floats():
    raw = {**MINIMAL, "min_effort": {A: 10}, "tranches": {A: 6.0}, "duration": 8.0, "milestone": 30}
    t = parse(raw)
    assert t.min_effort == {A: 10.0, B: 0.0} and t.tranches == {A: 6, B: 4}
    assert t.duration == 8 and isinstance(t.duration, int) and t.milestone == 30.0


BAD_RAW = [
    ("not a map", "terms", "mapping"),
    ([MINIMAL], "terms", "mapping"),
    ({**MINIMAL, "bonus": 1}, "terms", "unknown field(s) 'bonus'"),
    ({k: v for k, v in MINIMAL.items() if k != "scope"}, "scope", "missing"),
    ({k: v for k, v in MINIMAL.items() if k != "contributions"}, "contributions", "missing"),
    ({k: v for k, v in MINIMAL.items() if k != "split"}, "split", "missing"),
    ({k: v for k, v in MINIMAL.items() if k != "duration"}, "duration", "missing"),
    ({**MINIMAL, "scope": "design"}, "scope", "list"),
    ({**MINIMAL, "scope": ["design", 3]}, "scope", "list"),
    ({**MINIMAL, "contributions": ["design"]}, "contributions", "mapping"),
    ({**MINIMAL, "contributions": {A: "design"}}, f"contributions.{A}", "list"),
    ({**MINIMAL, "contributions": {1: ["design"]}}, "contributions", "keys"),
    ({**MINIMAL, "split": {A: "0.6", B: 0.4}}, f"split.{A}", "number"),
    ({**MINIMAL, "split": {A: None, B: 0.4}}, f"split.{A}", "number"),
    ({**MINIMAL, "split": {A: True, B: 0.4}}, f"split.{A}", "number"),
    ({**MINIMAL, "split": {A: 0.6, B: INF}}, f"split.{B}", "finite"),
    ({**MINIMAL, "duration": "8"}, "duration", "whole number"),
    ({**MINIMAL, "duration": 8.5}, "duration", "whole number"),
    ({**MINIMAL, "duration": NAN}, "duration", "whole number"),
    ({**MINIMAL, "tranches": {A: "4"}}, f"tranches.{A}", "whole number"),
    ({**MINIMAL, "min_effort": 5}, "min_effort", "mapping"),
    ({**MINIMAL, "milestone": None}, "milestone", "number"),
    ({**MINIMAL, "release": 1}, "release", "string"),
    ({**MINIMAL, "form": ["serial"]}, "form", "string"),
    ({**MINIMAL, "exit_on_breach": 1}, "exit_on_breach", "true or false"),
    ({**MINIMAL, "payer": 7}, "payer", "firm id"),
    ({**MINIMAL, "exit_penalty": NAN}, "exit_penalty", "finite"),
    # well-typed but invalid: validate_terms runs on the parsed sheet
    ({**MINIMAL, "scope": ["design", "cooking"]}, "scope", "unknown domain"),
    ({**MINIMAL, "split": {A: 0.6, B: 0.6}}, "split", "sum to 1"),
    ({**MINIMAL, "contributions": {"mallory": ["design"]}}, "contributions.mallory", "not a party"),
    ({**MINIMAL, "upfront_payment": 5}, "payer", "which firm pays"),
    ({**MINIMAL, "release": "never"}, "release", "staged"),
    ({**MINIMAL, "min_effort": {A: 101}}, f"min_effort.{A}", "budget"),
]


@pytest.mark.parametrize("raw,path,problem", BAD_RAW, ids=[f"{i}-{p}" for i, (_, p, _w) in enumerate(BAD_RAW)])
def test_from_dict_problems(raw, path, problem):
    e = raises("invalid_terms", parse, raw)
    assert e.message.startswith(f"{path}: "), e.message
    assert problem in e.message


def test_from_dict_truncates_echoed_input():
    e = raises("invalid_terms", parse, {**MINIMAL, "x" * 10_000: 1})
    assert len(e.message) < 120


def test_from_dict_max_duration():
    raises("invalid_terms", parse, {**MINIMAL, "duration": 9}, max_duration=8)


# ---- integration: agreed terms run in the engine ------------------------------------

def test_agreed_minimal_terms_can_be_signed_and_played():
    s = load_scenario("classic")
    rules = Rules.from_scenario(s)
    state = new_session(rules)
    firms = ("west1", "east1")
    # Only one firm contributes: the engine still reads tranches for both.
    t = terms_from_dict({"scope": ["design", "manufacturing"], "contributions": {"west1": ["design"]},
                         "split": {"west1": 0.5, "east1": 0.5}, "duration": 4,
                         "upfront_payment": 5, "payer": "east1"},
                        firms, s.domain_ids(), s.params.budget)
    n, _ = make_offer(open_negotiation("n1", firms), "west1", t, s.domain_ids(), budget=s.params.budget)
    n, _ = accept(n, "east1")
    sign_alliance(rules, state, "a1", n.agreed_terms)
    state.phase = "execution"
    state2, _ = resolve_round(rules, state, {})
    assert state2.round == 1 and state2.alliances["a1"].firms == firms


# ---- property: random play never breaks the machine ---------------------------------

POOL = [T1, T2, T3, terms(duration=0)]  # the last one is invalid on purpose
ACTORS = [A, B, "mallory"]
FIRM_ACTIONS = ["offer", "counter", "accept", "reject", "walk_away"]
# Weighted so that closing moves are rare and random play reaches long offer chains.
ACTION_MIX = ["offer"] * 3 + ["counter"] * 3 + ["accept", "reject"] * 2 + ["walk_away", "deadline"]
ACTOR_MIX = [A] * 3 + [B] * 3 + ["mallory"]


def _act(n, action, by, t):
    if action == "offer":
        return make_offer(n, by, t, DOMAINS)
    if action == "counter":
        return counter(n, by, t, DOMAINS)
    if action == "deadline":
        return deadline(n)
    return {"accept": accept, "reject": reject, "walk_away": walk_away}[action](n, by)


def _check_consistent(n: Negotiation) -> None:
    assert n.status in ("open", "agreed", "failed")
    assert [o.n for o in n.offers] == list(range(1, len(n.offers) + 1))
    assert all(o.by in FIRMS and o.kind in ("offer", "counter") for o in n.offers)
    standing = [o for o in n.offers if o.status == "standing"]
    accepted = [o for o in n.offers if o.status == "accepted"]
    if n.standing is None:
        assert standing == []
    else:
        assert standing == [n.standing] and n.offers[-1] is n.standing
    if n.status == "open":
        assert n.outcome_reason is None and n.walked_away_by is None
        assert n.agreed_terms is None and accepted == []
    elif n.status == "agreed":
        assert n.agreed_terms is not None and n.outcome_reason == "accepted"
        assert n.offers[-1].status == "accepted" and accepted == [n.offers[-1]]
        assert n.agreed_terms == n.offers[-1].terms and n.standing is None
    else:
        assert n.agreed_terms is None and n.standing is None and accepted == []
        assert n.outcome_reason in ("walked_away", "deadline")
        assert (n.walked_away_by in FIRMS) == (n.outcome_reason == "walked_away")
    for o in n.offers:  # a counter always answers the other firm's offer
        if o.kind == "counter":
            prev = n.offers[o.n - 2]
            assert prev.status == "countered" and prev.by != o.by


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ACTION_MIX), st.sampled_from(ACTOR_MIX),
                          st.sampled_from(range(len(POOL)))), max_size=40))
def test_random_play_stays_consistent(steps):
    n = fresh()
    for action, by, i in steps:
        before = copy.deepcopy(n)
        try:
            new, events = _act(n, action, by, POOL[i])
        except NegotiationError as e:
            assert e.code in ("not_a_party", "closed", "no_offer", "not_your_turn",
                              "offer_pending", "invalid_terms")
            new, events = n, []
        assert n == before  # the input never changes, success or failure
        assert all(ev["type"] and ev["negotiation"] == "n1" for ev in events)
        n = new
        _check_consistent(n)
        if n.status != "open":
            for firm in ACTORS:
                for act in FIRM_ACTIONS:
                    with pytest.raises(NegotiationError) as e:
                        _act(n, act, firm, T1)
                    assert e.value.code == ("not_a_party" if firm == "mallory" else "closed")
            assert deadline(n) == (n, [])
