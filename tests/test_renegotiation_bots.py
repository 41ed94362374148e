"""Bargaining power in renegotiation windows (game_rules/renegotiation.py): a bot's
reservation share moves with its dependency on its partner. A dependent bot accepts a
smaller share than an independent one; in a window between two seat bots the firm with the
stronger hand (lower dependency) gets the larger share, and the pair settles at once."""
from __future__ import annotations

from types import SimpleNamespace as Control

from game_rules import renegotiation as reneg
from game_rules.rules import Rules, new_session, sign_default_alliances
from game_rules.scenario import load_scenario
from game_rules.session import controls, evolve, facts as F
from game_rules.session.state import Session
from game_rules.session.step import Logged, Step
from game_rules.state import TermSheet

RULES = Rules.from_scenario(load_scenario("classic"))


def _state(west_manufacturing: float, east_design: float):
    """One alliance a1 (west1 contributes design, east1 manufacturing) with the gaps set."""
    st = new_session(RULES, 1, 7, 6)
    sign_default_alliances(RULES, st)
    st.firms["west1"].competence["manufacturing"] = west_manufacturing
    st.firms["east1"].competence["manufacturing"] = 90.0
    st.firms["west1"].competence["design"] = 90.0
    st.firms["east1"].competence["design"] = east_design
    return st


def _offer(st, west_share: float) -> TermSheet:
    d = st.alliances["a1"].terms.to_dict()
    d["split"] = {"west1": west_share, "east1": 1.0 - west_share}
    return TermSheet.from_dict(d)


def test_a_dependent_bot_accepts_worse_terms_than_an_independent_one():
    dependent = _state(west_manufacturing=10.0, east_design=90.0)     # west1 needs east1, not the reverse
    independent = _state(west_manufacturing=90.0, east_design=10.0)   # east1 needs west1
    d_dep = reneg.dependencies(RULES, dependent, "a1")
    d_ind = reneg.dependencies(RULES, independent, "a1")
    assert d_dep["west1"] > d_dep["east1"] == 0.0 and d_ind["west1"] == 0.0 < d_ind["east1"]
    worse = 0.42  # west1 has 0.5 today
    assert reneg.bot_accepts(RULES, dependent, "a1", "west1", _offer(dependent, worse))
    assert not reneg.bot_accepts(RULES, independent, "a1", "west1", _offer(independent, worse))
    assert (reneg.bot_reservation(RULES, dependent, "a1", "west1")
            < 0.5 < reneg.bot_reservation(RULES, independent, "a1", "west1"))
    # the stronger hand asks for more; the weaker one asks nothing (it keeps the terms unless offered better)
    assert reneg.bot_ask(RULES, dependent, "a1", "west1") is None
    assert reneg.bot_ask(RULES, independent, "a1", "west1").split["west1"] > 0.5
    # bounded: a huge dependency gap moves the reservation by at most MAX_SHIFT
    assert reneg.reservation_share(0.5, 1e9, 0.0) == 0.5 - reneg.MAX_SHIFT
    assert reneg.reservation_share(0.99, 0.0, 1e9) == 1.0 - reneg.MIN_SHARE


def test_two_seat_bots_settle_a_window_and_the_stronger_hand_gains():
    options = {"copies": 1, "negotiation": False, "negotiation_seconds": 60, "round_seconds": 30,
               "members_submit": "any", "renegotiation_every": 2, "rounds": 6}
    s = Session(RULES, new_session(RULES, 1, 7, 6))
    logged = []
    step = Step(s, options, 1000.0, lambda e: logged.append(e.fact) if isinstance(e, Logged) else None)
    controls.decide(step, Control(action="fill_bots", strategy="balanced"))
    controls.decide(step, Control(action="start"))  # bots alone: the whole game in one step
    assert s.state.phase == "debrief"
    assert [f.round for f in logged if isinstance(f, F.RenegotiationOpened)] == [2, 4]
    assert [f.reason for f in logged if isinstance(f, F.RenegotiationClosed)] == ["settled", "settled"]
    # fold the facts again and look at each bot's ask as it was made: the asker had the
    # lower dependency, asked for more than it had, and the weaker partner accepted
    again = Session(RULES, new_session(RULES, 1, 7, 6))
    asks = 0
    for f in logged:
        if isinstance(f, F.RenegotiationMove) and f.action == "offer":
            deps = reneg.dependencies(RULES, again.state, f.alliance_id)
            had = again.state.alliances[f.alliance_id].terms.split[f.by]
            partner = next(x for x in deps if x != f.by)
            assert deps[f.by] < deps[partner] and f.terms["split"][f.by] > had
            asks += 1
        evolve(again, F.read_fact(f.type, f.to_data()))  # as logged (a live round_closed carries its result)
    agreed = [f for f in logged if isinstance(f, F.TermsRenegotiated)]
    assert asks == len(agreed) == 1 and agreed[0].from_round == 5


def test_set_renegotiation_every_plays_windows_in_simulate():
    """`--set renegotiation_every=2` (the scenario's `phases.renegotiation_every`): the
    command line's bots renegotiate too; the less dependent firm ends with more cash."""
    from game_rules.__main__ import main
    from game_rules.simulate import simulate
    assert load_scenario("classic", {"renegotiation_every": "2"}).phases.renegotiation_every == 2
    plain = simulate("classic", ["balanced", "avoider"], rounds=8)
    windows = simulate("classic", ["balanced", "avoider"], rounds=8, overrides={"renegotiation_every": "2"})
    deps = plain["rounds"][1]["dependency"]
    strong, weak = sorted(deps, key=deps.get)
    assert windows["firms"][strong]["cash"] > plain["firms"][strong]["cash"]
    assert windows["firms"][weak]["cash"] < plain["firms"][weak]["cash"]
    assert main(["simulate", "--strategies", "balanced,avoider", "--set", "renegotiation_every=2"]) == 0
