"""The "How to play" tab's worked example (game_rules/guide.py, GET /api/web/guide): the
numbers are the engine's own for the player's firm, they follow the rules the firm plays
(away from the defaults too), and they never carry the real partner's numbers."""
from __future__ import annotations

import math

import pytest

from game_rules import treatments as tr
from game_rules.guide import worked_example
from game_rules.rules import Rules, new_session
from game_rules.scenario import load_scenario, scenario_ids


def rules_of(overrides: dict | None = None, scenario: str = "classic") -> Rules:
    return Rules.from_scenario(load_scenario(scenario, overrides or None))


@pytest.mark.parametrize("scenario", scenario_ids())
def test_the_example_adds_up_for_every_firm_of_every_scenario(scenario):
    rules = rules_of(scenario=scenario)
    state = new_session(rules, copies=2)
    for firm in state.firms:
        x = worked_example(rules, state, firm)
        if x is None:
            continue
        p = x["plan"]
        spent = sum(p["contribute"].values()) + sum(p["absorb"].values()) + sum(p["develop"].values()) + p["protect"]
        assert math.isclose(spent + p["kept"], x["budget"], abs_tol=0.02)
        assert math.isclose(x["value_received"], x["share"] * x["joint_value"], abs_tol=0.02)
        assert x["cash"]["value"] == x["value_received"] and x["cash"]["kept"] == p["kept"]
        # learning has diminishing returns: twice the absorption teaches more, not twice as much
        assert x["learned"] < x["more_learned"] < 2 * x["learned"], (firm, x)


def test_the_contribution_is_worth_more_where_the_partner_is_weak():
    """GAME.md 6: E = x * c/100 * (1 + max(0, c - c_partner)/100), the imagined partner
    mirroring the firm (100 - c, kept in 10..90)."""
    rules = rules_of()
    state = new_session(rules)
    x = worked_example(rules, state, "west1")
    own = rules.scenario.role("west").competence
    (domain, points), = x["plan"]["contribute"].items()
    c, c_partner = own[domain], min(90, max(10, 100 - own[domain]))
    assert x["effective_contribution"]["own"] == round(points * c / 100 * (1 + max(0, c - c_partner) / 100), 2)


def test_the_example_follows_the_parameters_away_from_the_defaults():
    state = new_session(rules_of())
    base = worked_example(rules_of(), state, "east1")
    scaled = worked_example(rules_of({"value_scale": 7.6}), state, "east1")  # twice the default A
    assert math.isclose(scaled["joint_value"], 2 * base["joint_value"], rel_tol=0.01)
    keen = worked_example(rules_of({"eta": 2.0}), state, "east1")
    assert keen["learned"] > base["learned"]
    rich = worked_example(rules_of({"budget": 200}), state, "east1")
    assert rich["budget"] == 200 and rich["plan"]["absorb"]["design"] == 2 * base["plan"]["absorb"]["design"]


def test_the_example_uses_the_firms_own_treatment_and_nothing_of_the_partners():
    base = rules_of()
    state = new_session(base)
    plain = worked_example(base, state, "west1")
    # the partner (east1) plays a treatment that changes its pace and scoring: west1's example is unchanged
    partner_treated = tr.treated_rules(base, {"a": base, "b": rules_of({"pace.east": 3.0, "estimate_noise": 0.01})},
                                       {"west1": "a", "east1": "b"})
    assert worked_example(partner_treated, state, "west1") == plain
    # the partner's real competences play no part either
    state.firms["east1"].competence = {k: 1.0 for k in state.firms["east1"].competence}
    assert worked_example(base, state, "west1") == plain
    # the firm's own treatment does change its example
    own_treated = tr.treated_rules(base, {"a": rules_of({"eta": 2.0}), "b": base}, {"west1": "a", "east1": "b"})
    assert worked_example(own_treated, state, "west1")["learned"] > plain["learned"]


async def test_a_player_gets_the_example_for_its_own_firm_only(api):
    s = await api.create(scenario="classic", copies=2, rounds=3)
    ann = await api.join(s["code"], "Ann")
    status, body = await api.request("GET", "/api/web/guide", token=ann["player_token"])
    assert status == 200 and body["firm"] == ann["firm"]
    assert body["example"]["plan"]["contribute"] and body["example"]["joint_value"] > 0
    assert body["outdating"] is True  # model 3: the guide tells of learned skills going out of date
    # a session whose treatment turns outdating off is not told of it
    still = await api.create(scenario="classic", copies=1, rounds=3, treatments={"still": {"outdating": 0}},
                             assignment="fixed", treatment="still")
    bob = await api.join(still["code"], "Bob")
    status, body = await api.request("GET", "/api/web/guide", token=bob["player_token"])
    assert status == 200 and body["outdating"] is False and body["example"]["joint_value"] > 0
    # the facilitator, no token, a junk token: refused with a clear error
    for token, code in ((s["facilitator_token"], 403), (None, 401), ("junk", 401)):
        status, body = await api.request("GET", "/api/web/guide", token=token)
        assert status == code and body["error"]["code"], body
