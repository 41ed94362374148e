"""Learning races and exits (game_rules/race.py, docs/model.md section 13): the racing
internalizer leaves once it has learned what it came for and the exit pays, the watchful
avoider leaves when it sees its own side of the dependency spiral, and the debrief tells who
graduated and when."""
from __future__ import annotations

from game_rules import race
from game_rules.bots import STRATEGIES, bot_decision
from game_rules.lessons import rules_for
from game_rules.simulate import play


def _rounds(g):
    return [{"round": i + 1, "events": evs} for i, evs in enumerate(g.events)]


def _exits(g):
    return [e for evs in g.events for e in evs if e["type"] == "alliance_ended" and e["reason"] == "exited"]


def test_the_race_strategies_are_not_in_the_five_that_tournaments_loop_over():
    assert "racing_internalizer" not in STRATEGIES and "watchful_avoider" not in STRATEGIES


def test_a_racing_internalizer_plays_the_internalizer_until_it_leaves():
    rules = rules_for("minority_stake")
    racing = play(rules, {"seine": "racing_internalizer", "hokuriku": "balanced"}, 0)
    staying = play(rules, {"seine": "internalizer", "hokuriku": "balanced"}, 0)
    left = _exits(racing)[0]["round"]
    assert 1 < left <= rules.scenario.rounds
    for rnd in range(left - 1):  # the same jitter, the same decisions, until the exit
        assert racing.decisions[rnd] == staying.decisions[rnd]
    assert racing.decisions[left - 1]["seine1"]["exit"] == ["stake1"]
    # it puts nothing into the alliance it leaves, and then builds on what it learned
    assert not racing.decisions[left - 1]["seine1"]["contribute"]
    after = sum(racing.decisions[left]["seine1"]["develop"].values()) if left < rules.scenario.rounds else None
    assert after is None or after > sum(staying.decisions[left]["seine1"]["develop"].values())


def test_the_graduate_pays_the_penalty_and_the_debrief_says_it_graduated():
    rules = rules_for("minority_stake")
    g = play(rules, {"seine": "racing_internalizer", "hokuriku": "balanced"}, 1)
    (ended,) = _exits(g)
    assert ended["by"] == "seine1" and ended["penalty"] == rules.scenario.alliances[0].terms.exit_penalty
    (grad,) = race.graduations(g.state, _rounds(g))
    assert grad["firm"] == "seine1" and grad["partner"] == "hokuriku1" and grad["round"] == ended["round"]
    assert grad["graduated"] and grad["closed"] >= race.GRADUATE_SHARE and grad["learned"] > 0
    assert grad["penalty"] == ended["penalty"]


def test_a_graduate_does_not_pay_a_penalty_worth_more_than_leaving():
    """The same game with an exit penalty no denied learning can be worth: it stays."""
    rules = rules_for("minority_stake", {"terms.exit_penalty": "100000"})
    for seed in range(3):
        assert not _exits(play(rules, {"seine": "racing_internalizer", "hokuriku": "balanced"}, seed))


def test_a_racing_internalizer_does_not_leave_an_open_partner():
    """An avoider reveals openly and is not taken for a rival learner: nothing to race."""
    rules = rules_for("minority_stake")
    for seed in range(3):
        assert not _exits(play(rules, {"seine": "racing_internalizer", "hokuriku": "avoider"}, seed))


def test_a_watchful_avoider_leaves_and_is_told_it_left_without_graduating():
    rules = rules_for("one_partner")
    g = play(rules, {"albion": "watchful_avoider"}, 0)
    plain = play(rules, {"albion": "avoider"}, 0)
    assert not _exits(plain)
    (grad,) = race.graduations(g.state, _rounds(g))
    assert grad["firm"] == "albion1" and not grad["graduated"] and grad["learned"] == 0.0
    assert grad["round"] < rules.scenario.rounds


def test_a_game_without_exits_has_no_graduations():
    rules = rules_for("classic")
    g = play(rules, {"west": "internalizer", "east": "avoider"}, 0)
    assert race.graduations(g.state, _rounds(g)) == []


def test_a_race_bot_sees_only_its_view():
    """The race reads the view (books, estimates, public terms), like every bot: the same
    view gives the same decision whatever else the state holds."""
    from game_rules.rules import new_session, sign_default_alliances
    from game_rules.views import firm_view
    rules = rules_for("minority_stake")
    st = new_session(rules, seed=3)
    sign_default_alliances(rules, st)
    st.phase = "execution"
    v = firm_view(rules, st, "seine1")
    assert bot_decision(v, "racing_internalizer", 3) == bot_decision(v, "internalizer", 3)


def test_a_racing_internalizer_without_a_partner_plays_the_internalizer():
    """Only its own exit changes its plan: alone from the start, it is an internalizer."""
    from game_rules.lessons import sign_nothing
    rules = rules_for("minority_stake")
    racing = play(rules, {"seine": "racing_internalizer"}, 2, sign=sign_nothing)
    staying = play(rules, {"seine": "internalizer"}, 2, sign=sign_nothing)
    assert racing.decisions == staying.decisions
