"""Parsing and validating a firm's round decision: every bad input is a `DecisionError`
with the right stable `.code`, and `resolve_round` refuses an illegal decision without
touching its input state."""
from __future__ import annotations

import json
import math

import pytest

from game_rules.decisions import DecisionError, default_decision, parse_decision, validate_decision
from game_rules.engine import resolve_round
from game_rules.rules import Rules, new_session, sign_default_alliances
from game_rules.scenario import load_scenario
from game_rules.state import Decision, state_to_dict

RULES = Rules.from_scenario(load_scenario("classic"))


def session(phase: str = "execution"):
    s = new_session(RULES)
    sign_default_alliances(RULES, s)
    s.phase = phase
    return s


def check(raw, firm: str = "west1", state=None) -> Decision:
    """The server's path: parse untrusted data, then validate it against the state."""
    d = parse_decision(firm, raw)
    validate_decision(RULES, state or session(), d)
    return d


def code_of(raw, firm: str = "west1", state=None) -> str:
    with pytest.raises(DecisionError) as ei:
        check(raw, firm, state)
    e = ei.value
    assert e.message and e.code in str(e)
    return e.code


# ---- good decisions -------------------------------------------------------------------------

def test_a_full_legal_decision_parses():
    raw = {"firm": "west1", "contribute": {"design": 20}, "absorb": {"manufacturing": 30.5},
           "develop": {"brand": 10, "distribution": 5}, "protect": 4, "reveal": {"design": 0.4},
           "withhold": {"a1": ["design"]}, "exit": [], "survey": {"surprise": 3}}
    d = check(raw)
    assert d == Decision("west1", contribute={"design": 20.0}, absorb={"manufacturing": 30.5},
                         develop={"brand": 10.0, "distribution": 5.0}, protect=4.0,
                         reveal={"design": 0.4}, withhold={"a1": ("design",)}, exit=(),
                         survey={"surprise": 3})
    assert d.spent() == pytest.approx(69.5)
    # numbers arrive as floats, lists as tuples
    assert isinstance(d.contribute["design"], float) and isinstance(d.withhold["a1"], tuple)
    assert Decision.from_dict(json.loads(json.dumps(d.to_dict()))) == d


def test_empty_decision_and_edges_are_legal():
    assert check({}) == Decision("west1")
    check({"develop": {"brand": 100}})                       # exactly the budget
    check({"reveal": {"design": 1.0, "manufacturing": 0}})   # reveal 1 is allowed
    check({"absorb": {"brand": 0}})                          # zero out of scope is no request
    check({"contribute": {"manufacturing": 0}})              # zero where you do not contribute
    check({"exit": ["a1"]})


def test_default_decision_is_legal_and_honours_the_minimum():
    s = session()
    d = default_decision(RULES, s, "east1")
    validate_decision(RULES, s, d)
    assert d.contribute == {"manufacturing": 15.0} and d.spent() == 15.0


# ---- parse_decision ----------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    [], "contribute", 42, None,
    {"contribute": [10]}, {"contribute": {"design": "10"}}, {"contribute": {"design": None}},
    {"contribute": {"design": True}}, {"absorb": 5}, {"protect": "5"}, {"protect": [1]},
    {"reveal": {"design": "high"}}, {"develop": {1: 5}},
    {"withhold": ["design"]}, {"withhold": {"a1": "design"}}, {"withhold": {"a1": [1]}},
    {"exit": "a1"}, {"exit": [1]}, {"survey": [3]},
])
def test_wrong_type(raw):
    with pytest.raises(DecisionError) as ei:
        parse_decision("west1", raw)
    assert ei.value.code == "wrong_type"


@pytest.mark.parametrize("raw", [
    {"contribute": {"design": math.nan}}, {"contribute": {"design": math.inf}},
    {"absorb": {"manufacturing": -math.inf}}, {"protect": math.nan}, {"protect": math.inf},
    {"reveal": {"design": math.nan}}, {"develop": {"brand": float("inf")}},
])
def test_not_finite(raw):
    with pytest.raises(DecisionError) as ei:
        parse_decision("west1", raw)
    assert ei.value.code == "not_finite"


def test_unknown_field():
    with pytest.raises(DecisionError) as ei:
        parse_decision("west1", {"contribute": {}, "bribe": 10, "attack": 1})
    assert ei.value.code == "unknown_field"
    assert "attack, bribe" in ei.value.message


def test_not_your_firm():
    with pytest.raises(DecisionError) as ei:
        parse_decision("west1", {"firm": "east1", "develop": {"brand": 10}})
    assert ei.value.code == "not_your_firm"
    # naming your own firm is fine
    assert parse_decision("west1", {"firm": "west1"}).firm == "west1"


@pytest.mark.parametrize("answer", [0, 6, 2.5, True, "3"])
def test_survey_answer_out_of_range(answer):
    with pytest.raises(DecisionError) as ei:
        parse_decision("west1", {"survey": {"surprise": answer}})
    assert ei.value.code == "out_of_range"


# ---- validate_decision ----------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    {"contribute": {"design": -1}}, {"absorb": {"manufacturing": -0.5}},
    {"develop": {"brand": -10}}, {"reveal": {"design": -0.1}}, {"protect": -3},
])
def test_negative(raw):
    assert code_of(raw) == "negative"


def test_over_budget():
    assert code_of({"develop": {"brand": 60}, "absorb": {"manufacturing": 40.5}}) == "over_budget"
    assert code_of({"contribute": {"design": 50}, "protect": 51}) == "over_budget"
    # with a larger budget the same decision is legal
    rules = Rules.from_scenario(load_scenario("classic", {"budget": "200"}))
    s = new_session(rules)
    sign_default_alliances(rules, s)
    s.phase = "execution"
    validate_decision(rules, s, parse_decision("west1", {"contribute": {"design": 50}, "protect": 51}))


def test_reveal_above_one_is_out_of_range():
    assert code_of({"reveal": {"design": 1.01}}) == "out_of_range"


@pytest.mark.parametrize("raw", [
    {"absorb": {"brand": 10}}, {"absorb": {"distribution": 0.1}},
    {"reveal": {"brand": 0.5}},
])
def test_out_of_scope(raw):
    assert code_of(raw) == "out_of_scope"


def test_reveal_above_one_out_of_scope_reports_the_scope():
    assert code_of({"reveal": {"brand": 2}}) == "out_of_scope"


@pytest.mark.parametrize("raw", [
    {"contribute": {"manufacturing": 10}},   # east's domain, not west's
    {"contribute": {"brand": 5}},            # outside the scope
    {"withhold": {"a1": ["manufacturing"]}},  # west releases no manufacturing tranches
])
def test_not_contributed(raw):
    assert code_of(raw) == "not_contributed"


@pytest.mark.parametrize("field", ["contribute", "absorb", "develop", "reveal"])
def test_unknown_domain(field):
    assert code_of({field: {"marketing": 0.5}}) == "unknown_domain"


@pytest.mark.parametrize("raw", [{"withhold": {"zz": ["design"]}}, {"exit": ["zz"]}])
def test_unknown_alliance(raw):
    assert code_of(raw) == "unknown_alliance"


def test_ended_alliance_is_no_longer_active():
    s = session()
    s.alliances["a1"].status = "dissolved"
    assert code_of({"exit": ["a1"]}, state=s) == "unknown_alliance"
    assert code_of({"contribute": {"design": 5}}, state=s) == "not_contributed"
    assert code_of({"absorb": {"manufacturing": 5}}, state=s) == "out_of_scope"
    check({"develop": {"design": 5}}, state=s)   # own development needs no alliance


def test_another_firms_alliance_is_unknown():
    s = new_session(RULES, copies=2)
    sign_default_alliances(RULES, s)
    s.phase = "execution"
    assert code_of({"exit": ["a2"]}, state=s) == "unknown_alliance"


@pytest.mark.parametrize("phase", ["lobby", "selection", "negotiation", "debrief"])
def test_wrong_phase(phase):
    assert code_of({}, state=session(phase)) == "wrong_phase"


def test_unknown_firm():
    with pytest.raises(DecisionError) as ei:
        validate_decision(RULES, session(), Decision("north1"))
    assert ei.value.code == "unknown_firm"


def test_messages_name_the_field():
    for raw, field in [({"contribute": {"design": -1}}, "contribute.design"),
                       ({"absorb": {"brand": 3}}, "absorb.brand"),
                       ({"reveal": {"design": 3}}, "reveal.design"),
                       ({"exit": ["zz"]}, "exit.zz")]:
        with pytest.raises(DecisionError) as ei:
            check(raw)
        assert ei.value.message.startswith(field)


# ---- resolve_round refuses an illegal decision ------------------------------------------------

@pytest.mark.parametrize("bad", [
    Decision("west1", contribute={"design": 101}),
    Decision("west1", absorb={"brand": 5}),
    Decision("west1", contribute={"manufacturing": 5}),
    Decision("west1", reveal={"design": 1.5}),
    Decision("west1", develop={"marketing": 1}),
    Decision("west1", protect=-1),
    Decision("west1", exit=("zz",)),
    Decision("west1", withhold={"a1": ("brand",)}),
])
def test_resolve_round_raises_and_leaves_state_unchanged(bad):
    s = session()
    before = json.dumps(state_to_dict(s), sort_keys=True)
    good = Decision("east1", contribute={"manufacturing": 20})
    with pytest.raises(DecisionError):
        resolve_round(RULES, s, {"east1": good, "west1": bad})
    assert json.dumps(state_to_dict(s), sort_keys=True) == before
    # and the same state still resolves with legal decisions
    s2, _ = resolve_round(RULES, s, {"east1": good})
    assert s2.round == 1 and s.round == 0


def test_resolve_round_outside_execution_raises():
    s = session("negotiation")
    before = json.dumps(state_to_dict(s), sort_keys=True)
    with pytest.raises(DecisionError) as ei:
        resolve_round(RULES, s, {"west1": Decision("west1")})
    assert ei.value.code == "wrong_phase"
    assert json.dumps(state_to_dict(s), sort_keys=True) == before


@pytest.mark.parametrize("bad", [Decision("west1", contribute={"design": math.nan}),
                                 Decision("west1", protect=math.nan),
                                 Decision("west1", reveal={"design": math.nan}),
                                 Decision("west1", develop={"brand": math.inf})])
def test_validate_decision_rejects_non_finite_numbers_built_in_code(bad):
    # parse_decision stops NaN and inf from the wire; a Decision built in code must be
    # stopped too, or NaN (which slips past `< 0` and `> budget`) would reach the cash
    s = session()
    before = json.dumps(state_to_dict(s), sort_keys=True)
    with pytest.raises(DecisionError) as ei:
        resolve_round(RULES, s, {"west1": bad})
    assert ei.value.code == "not_finite"
    assert json.dumps(state_to_dict(s), sort_keys=True) == before
