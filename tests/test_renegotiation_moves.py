"""What a live bot proposes and answers in a renegotiation window, from its firm's view only
(game_rules/renegotiation_moves.py): the hand from its own dependency and its estimate of
the partner's, the direction from its strategy, one counter per window."""
from __future__ import annotations

import copy

import pytest

from game_rules import renegotiation_moves as moves
from game_rules.renegotiation import reservation_share

TERMS = {"scope": ["design", "manufacturing"], "contributions": {"west1": ["design"], "east1": ["manufacturing"]},
         "min_effort": {"west1": 15.0, "east1": 15.0}, "tranches": {"west1": 4, "east1": 4}, "milestone": 25.0,
         "release": "staged", "split": {"west1": 0.5, "east1": 0.5}, "form": "parallel", "duration": 8,
         "exit_penalty": 40.0, "exit_on_breach": True, "exit_trust_below": 0.3, "upfront_payment": 0.0, "payer": None}


def window(own, partner, start=None, terms=TERMS, own_dep=None):
    """west1's view and its window pair: `own` its competence, `partner` its estimate of east1."""
    view = {"firm": {"id": "west1", "competence": own, "start_competence": start or own},
            "domains": [{"id": "design", "weight": 0.5}, {"id": "manufacturing", "weight": 0.5}],
            "alliances": [{"id": "a1", "partner": {"id": "east1"}, "partner_estimate": partner, "terms": terms, "dependency": 0.0}]}
    al = view["alliances"][0]
    pos = 0.5 * own["design"] + 0.5 * own["manufacturing"]
    al["dependency"] = own_dep if own_dep is not None else 0.5 * max(0.0, partner["manufacturing"] - own["manufacturing"]) / pos
    return view, {"id": "a1", "terms": terms, "dependency": al["dependency"]}


STRONG = ({"design": 80.0, "manufacturing": 40.0}, {"design": 20.0, "manufacturing": 50.0})  # east1 needs west1 more
WEAK = ({"design": 50.0, "manufacturing": 20.0}, {"design": 45.0, "manufacturing": 80.0})


def test_the_partners_dependency_is_estimated_from_the_firms_own_view():
    view, pair = window(*STRONG)
    # west1 fills east1's design gap: 0.5 * (80 - 20) over east1's estimated position 35
    assert moves.partner_dependency(view, view["alliances"][0]) == pytest.approx(30 / 35)
    assert moves.reservation(view, pair) == reservation_share(0.5, pair["dependency"], 30 / 35)


def test_the_stronger_hand_asks_in_its_strategys_direction():
    view, pair = window(*STRONG)
    want = moves.reservation(view, pair)
    assert want > 0.51
    before = copy.deepcopy(pair)
    balanced = moves.ask(view, pair, "balanced")
    assert balanced == {**TERMS, "split": {"west1": want, "east1": 1 - want}}  # share only
    inter = moves.ask(view, pair, "internalizer")  # more access: the partner's knowledge a tranche sooner
    assert inter["split"]["west1"] == want and inter["tranches"] == {"west1": 4, "east1": 3}
    avoid = moves.ask(view, pair, "watchful_avoider")  # protection: its own knowledge a tranche later
    assert avoid["tranches"] == {"west1": 5, "east1": 4} and avoid["exit_penalty"] == 60.0
    assert pair == before and moves.ask(view, pair, "internalizer") == inter  # pure and deterministic
    one = {**TERMS, "tranches": {"west1": 4, "east1": 1}}
    view1, pair1 = window(*STRONG, terms=one)
    assert moves.ask(view1, pair1, "internalizer")["milestone"] == 25.0 * moves.MILESTONE_CUT
    upfront = {**TERMS, "release": "upfront"}
    view2, pair2 = window(*STRONG, terms=upfront)
    asked = moves.ask(view2, pair2, "avoider")
    assert asked["release"] == "staged" and asked["tranches"]["west1"] >= 2


def test_a_weak_hand_waits_unless_an_avoider_sees_its_dependency_rise():
    view, pair = window(*WEAK)
    floor = moves.reservation(view, pair)
    assert floor < 0.5
    for strategy in ("balanced", "internalizer", "avoider", "tit_for_tat"):
        assert moves.ask(view, pair, strategy) is None, strategy
    # the avoider let its manufacturing slip since signing: its dependency rose; it asks for
    # protection and pays with half of what its hand would concede
    slipped, _ = window({"design": 50.0, "manufacturing": 40.0}, WEAK[1])
    view["firm"]["start_competence"] = slipped["firm"]["competence"]
    asked = moves.ask(view, pair, "avoider")
    assert asked["tranches"]["west1"] == 5 and asked["split"]["west1"] == pytest.approx((0.5 + floor) / 2)


def test_answers_accept_counter_once_then_walk_away():
    view, pair = window(*WEAK)
    floor = moves.reservation(view, pair)
    fair = {**TERMS, "split": {"west1": floor, "east1": 1 - floor}}
    assert moves.answer(view, pair, "balanced", fair, may_counter=True) == ("accept", None)
    low = {**TERMS, "split": {"west1": floor / 2, "east1": 1 - floor / 2}}
    action, counter = moves.answer(view, pair, "balanced", low, may_counter=True)
    assert action == "counter" and counter["split"]["west1"] == floor
    assert moves.answer(view, pair, "balanced", low, may_counter=False) == ("walk_away", None)
    # an internalizer keeps its access and a cheap exit: it counters with them put back
    guarded = {**TERMS, "tranches": {"west1": 4, "east1": 6}, "exit_penalty": 90.0}
    assert moves.guarded("internalizer", "west1", TERMS, guarded) == ["access", "exit_penalty"]
    action, counter = moves.answer(view, pair, "internalizer", guarded, may_counter=True)
    assert action == "counter" and counter["tranches"] == TERMS["tranches"] and counter["exit_penalty"] == 40.0
    # an avoider keeps its protection
    exposed = {**TERMS, "tranches": {"west1": 2, "east1": 4}}
    assert moves.guarded("avoider", "west1", TERMS, exposed) == ["protection"]
    assert moves.answer(view, pair, "avoider", exposed, may_counter=False) == ("walk_away", None)
    assert moves.answer(view, pair, "balanced", exposed, may_counter=False) == ("accept", None)
