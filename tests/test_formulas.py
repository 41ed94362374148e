"""Every formula of game_rules/engine.py against numbers computed by hand, then one round
of `resolve_round` on a tiny hand-built `classic` session, then scoring.

The expected numbers are written out as arithmetic in the comments (and in the code) so a
reader can check them without running anything; none comes from calling the function under
test a second time.

Defaults used below (scenario.Params): A=3.8, lambda=0.5, kappa=0.5, phi 1.2/1.0,
leak 1.0/0.6, epsilon=0.05, gamma=0.8, P0=10, eta=1.0, c0=10, A0=40, beta=0.005,
delta=0.3, decay=0.01, g=0.02, mu=40, trust start 0.7.

The classic session: west1 {design 80, manufacturing 35, distribution 75, brand 80},
east1 {design 35, manufacturing 85, distribution 30, brand 30}, rival 60 everywhere,
weights design .25, manufacturing .30, distribution .20, brand .25; alliance a1 with
scope (design, manufacturing), west contributes design, east manufacturing, minimum 15
each, 4 tranches, milestone 25, staged, split 0.5/0.5, parallel, exit penalty 40,
exit on breach, exit if trust below 0.3. Positions: west 20 + 10.5 + 15 + 20 = 65.5,
east 8.75 + 25.5 + 6 + 7.5 = 47.75, rival 60.
"""
from __future__ import annotations

import json
import math

import pytest

from game_rules.engine import (development, dependency, effective_contribution, exposure,
                               joint_value, learning, market_income, protection, resolve_round)
from game_rules.events import (AllianceEnded, DefaultApplied, FirmRoundResult, JointValue,
                               RoundResolved, TrancheReleased, TrancheWithheld, TrustChanged)
from game_rules.rules import Rules, new_session, sign_default_alliances
from game_rules.scenario import Params, load_scenario
from game_rules.scoring import external_gain, freedom, internal_gain, score_session
from game_rules.state import Decision, state_to_dict

approx = pytest.approx
P = Params()
DOMAINS = ("design", "manufacturing", "distribution", "brand")
WEST = {"design": 80.0, "manufacturing": 35.0, "distribution": 75.0, "brand": 80.0}
EAST = {"design": 35.0, "manufacturing": 85.0, "distribution": 30.0, "brand": 30.0}


def rules_for(overrides: dict[str, str] | None = None) -> Rules:
    return Rules.from_scenario(load_scenario("classic", overrides))


RULES = rules_for()


def session(rules: Rules = RULES, **kw):
    s = new_session(rules, **kw)
    sign_default_alliances(rules, s)
    s.phase = "execution"
    return s


def snapshot(state) -> str:
    return json.dumps(state_to_dict(state), sort_keys=True)


def of_type(events, cls):
    return [e for e in events if isinstance(e, cls)]


def result(events, firm) -> FirmRoundResult:
    (r,) = [e for e in of_type(events, FirmRoundResult) if e.firm == firm]
    return r


def honour(west_points: float = 30.0, east_points: float = 30.0, **kw) -> dict[str, Decision]:
    """Both firms contribute to their own domain, nothing else (kw adds fields per firm)."""
    return {"west1": Decision("west1", contribute={"design": west_points}, **kw.get("west", {})),
            "east1": Decision("east1", contribute={"manufacturing": east_points}, **kw.get("east", {}))}


# ---- effective contribution -----------------------------------------------------------

def test_effective_contribution_where_partner_is_weak():
    # 30 * 80/100 * (1 + (80 - 35)/100) = 30 * 0.8 * 1.45 = 34.8
    assert effective_contribution({"design": 30}, WEST, EAST, DOMAINS) == approx(34.8)
    # 30 * 85/100 * (1 + (85 - 35)/100) = 25.5 * 1.5 = 38.25
    assert effective_contribution({"manufacturing": 30}, EAST, WEST, DOMAINS) == approx(38.25)


def test_effective_contribution_where_partner_is_stronger_gets_no_bonus():
    # 20 * 35/100 * (1 + max(0, 35 - 85)/100) = 20 * 0.35 * 1 = 7.0
    assert effective_contribution({"manufacturing": 20}, WEST, EAST, DOMAINS) == approx(7.0)


def test_effective_contribution_sums_domains_and_ignores_others():
    # design 10 * 0.8 * 1.45 = 11.6; brand 20 * 0.8 * (1 + 50/100) = 24.0; total 35.6
    x = {"design": 10, "brand": 20}
    assert effective_contribution(x, WEST, EAST, DOMAINS) == approx(35.6)
    # a domain not in the `domains` argument is not counted: only brand, 24.0
    assert effective_contribution(x, WEST, EAST, ("brand",)) == approx(24.0)
    assert effective_contribution({}, WEST, EAST, DOMAINS) == 0.0
    assert effective_contribution({"design": 0.0}, WEST, EAST, DOMAINS) == 0.0


# ---- joint value ----------------------------------------------------------------------

def test_joint_value_parallel_with_all_factors():
    # 3.8 * sqrt(16 * 25) * (1 + 0.5*0.4) * (1 + 0.5*0.5) * (0.5 + 0.5*0.6) * 1.2
    # = 3.8 * 20 * 1.2 * 1.25 * 0.8 * 1.2 = 76 * 1.44 = 109.44
    assert joint_value(P, 16, 25, 0.4, 0.5, 0.6, "parallel") == approx(109.44)


def test_joint_value_serial_is_phi_1():
    # same as above with phi = 1.0: 76 * 1.2 * 1.25 * 0.8 = 91.2
    assert joint_value(P, 16, 25, 0.4, 0.5, 0.6, "serial") == approx(91.2)


def test_joint_value_factors_one_at_a_time():
    # baseline: no reveal, nothing released, full trust: 3.8 * 20 * 1 * 1 * 1 * 1.2 = 91.2
    assert joint_value(P, 16, 25, 0.0, 0.0, 1.0, "parallel") == approx(91.2)
    # full reveal: 91.2 * (1 + 0.5) = 136.8
    assert joint_value(P, 16, 25, 1.0, 0.0, 1.0, "parallel") == approx(136.8)
    # everything released: 91.2 * (1 + 0.5) = 136.8
    assert joint_value(P, 16, 25, 0.0, 1.0, 1.0, "parallel") == approx(136.8)
    # zero trust halves it: 91.2 * 0.5 = 45.6
    assert joint_value(P, 16, 25, 0.0, 0.0, 0.0, "parallel") == approx(45.6)
    # other parameters: A=2, lambda=1, kappa=0 -> 2 * 20 * (1 + 1*0.5) * 1 * 1 * 1.0 = 60
    q = Params(value_scale=2.0, lam=1.0, kappa=0.0)
    assert joint_value(q, 16, 25, 0.5, 0.9, 1.0, "serial") == approx(60.0)


def test_joint_value_needs_both_contributions():
    assert joint_value(P, 0.0, 25, 1, 1, 1, "parallel") == 0.0
    assert joint_value(P, 16, 0.0, 1, 1, 1, "parallel") == 0.0


# ---- protection and exposure ----------------------------------------------------------

def test_protection():
    assert protection(P, 0) == approx(1.0)                    # 1 - 0.8*0/10
    assert protection(P, 10) == approx(0.6)                   # 1 - 0.8*10/20
    assert protection(P, 30) == approx(0.4)                   # 1 - 0.8*30/40
    assert protection(P, 1e9) == approx(0.2, abs=1e-6)        # never below 1 - gamma
    assert protection(Params(gamma=0.5, p0=5), 5) == approx(0.75)  # 1 - 0.5*5/10


def test_exposure_in_scope_parallel_and_serial():
    # parallel: 0.25 + (1 - 0.25) * 0.6 * 1.0 * 0.6 = 0.25 + 0.27 = 0.52
    assert exposure(P, True, 0.25, 0.6, "parallel", 0.6) == approx(0.52)
    # serial:   0.25 + 0.75 * 0.6 * 0.6 * 0.6 = 0.25 + 0.162 = 0.412
    assert exposure(P, True, 0.25, 0.6, "serial", 0.6) == approx(0.412)
    # fully released: 1 whatever the reveal and the gatekeepers
    assert exposure(P, True, 1.0, 0.0, "serial", 0.2) == approx(1.0)
    # nothing released, closed: nothing crosses
    assert exposure(P, True, 0.0, 0.0, "parallel", 1.0) == 0.0


def test_exposure_out_of_scope_is_a_small_spillover():
    # parallel: 0.05 * 1.0 * 0.6 = 0.03 ; serial: 0.05 * 0.6 * 0.6 = 0.018
    assert exposure(P, False, 0.0, 0.0, "parallel", 0.6) == approx(0.03)
    assert exposure(P, False, 0.0, 0.0, "serial", 0.6) == approx(0.018)
    # release and reveal do not matter outside the scope
    assert exposure(P, False, 1.0, 1.0, "parallel", 1.0) == approx(0.05)


# ---- learning ---------------------------------------------------------------------------

def test_learning_hand_computed():
    # gap = 85 - 35 = 50; ac = (35 + 10)/(35 + 10 + 50) = 45/95; effort 40/(40 + 40) = 0.5
    # 1.0 * (1 - 0.6) * 0.5 * 50 * 45/95 * 0.5 = 10 * 45/95 * 0.5 = 45/19 = 2.368421...
    assert learning(P, 0.6, 0.5, 35, 85, 40) == approx(45 / 19)
    # eta=0.6, A0=10: 0.6 * 0.4 * 0.5 * 50 * 45/95 * 40/50 = 6 * 45/95 * 0.8 = 216/95
    assert learning(Params(eta=0.6, a0=10), 0.6, 0.5, 35, 85, 40) == approx(216 / 95)


def test_learning_is_zero_without_gap_effort_or_exposure():
    assert learning(P, 0.3, 1.0, 80, 35, 50) == 0.0   # learner ahead
    assert learning(P, 0.3, 1.0, 50, 50, 50) == 0.0   # equal
    assert learning(P, 0.3, 1.0, 35, 80, 0) == 0.0    # no effort
    assert learning(P, 0.3, 0.0, 35, 80, 50) == 0.0   # nothing crosses
    assert learning(P, 1.0, 1.0, 35, 80, 50) == 0.0   # fully tacit: (1 - 1) = 0


def test_learning_absorptive_capacity():
    # far behind: learner 0, teacher 100, gap 100, ac = 10/110;
    # 1 * 1 * 1 * 100 * 10/110 * 0.5 = 500/110 = 4.5454...
    far = learning(P, 0.0, 1.0, 0, 100, 40)
    assert far == approx(500 / 110)
    # closer: learner 50, gap 50, ac = 60/110; 50 * 60/110 * 0.5 = 1500/110 = 13.636...
    near = learning(P, 0.0, 1.0, 50, 100, 40)
    assert near == approx(1500 / 110)
    assert near > far  # a smaller gap to a leader you can follow teaches more
    # with no base (c0 = 0) a firm at 0 cannot learn at all: ac = 0/100
    assert learning(Params(c0=0), 0.0, 1.0, 0, 100, 40) == 0.0


def test_learning_effort_saturates():
    # a/(a + A0): 40 -> 0.5, 120 -> 0.75; base 1 * 1 * 1 * 50 * 60/110 = 3000/110
    assert learning(P, 0.0, 1.0, 50, 100, 120) == approx(3000 / 110 * 0.75)


# ---- development, market income, dependency ------------------------------------------------

def test_development():
    assert development(P, 1.2, 25) == approx(1.8)   # 0.3 * 1.2 * sqrt(25) = 1.8
    assert development(P, 1.0, 16) == approx(1.2)   # 0.3 * 1.0 * 4 = 1.2
    assert development(P, 1.0, 0) == 0.0
    assert development(Params(delta=0.6), 2.0, 9) == approx(3.6)  # 0.6 * 2 * 3


def test_market_income():
    assert market_income(P, 60, 60) == approx(20.0)               # 40 * 60/120
    assert market_income(P, 65.5, 60) == approx(40 * 65.5 / 125.5)  # 20.8765...
    assert market_income(P, 0, 0) == 0.0
    assert market_income(Params(mu=10), 30, 90) == approx(2.5)    # 10 * 30/120


def test_position():
    assert RULES.position(WEST) == approx(65.5)
    assert RULES.position(EAST) == approx(47.75)


def test_dependency():
    # west on east, east contributes manufacturing: 0.30 * (85 - 35) / 65.5 = 15/65.5
    assert dependency(RULES, WEST, EAST, ("manufacturing",)) == approx(15 / 65.5)
    # east on west, west contributes design: 0.25 * (80 - 35) / 47.75 = 11.25/47.75
    assert dependency(RULES, EAST, WEST, ("design",)) == approx(11.25 / 47.75)
    # domains where the firm is ahead count zero: west on east over design+manufacturing
    assert dependency(RULES, WEST, EAST, ("design", "manufacturing")) == approx(15 / 65.5)
    # east on west over design, distribution, brand: (11.25 + 0.2*45 + 0.25*50)/47.75
    assert dependency(RULES, EAST, WEST, ("design", "distribution", "brand")) == approx(32.75 / 47.75)
    assert dependency(RULES, EAST, WEST, ()) == 0.0
    zero = dict.fromkeys(DOMAINS, 0.0)
    assert dependency(RULES, zero, WEST, ("design",)) == 1.0


# ---- one round, by hand ---------------------------------------------------------------

def test_round_one_by_hand():
    s = session()
    before = snapshot(s)
    decisions = {
        # spent 30 + 40 + 10 = 80, unspent 20
        "west1": Decision("west1", contribute={"design": 30}, absorb={"manufacturing": 40},
                          protect=10, reveal={"design": 0.5}),
        # spent 30 + 20 + 25 = 75, unspent 25
        "east1": Decision("east1", contribute={"manufacturing": 30}, absorb={"design": 20},
                          develop={"brand": 25}, reveal={"manufacturing": 0.5}),
    }
    s2, ev = resolve_round(RULES, s, decisions)
    assert snapshot(s) == before  # the input state is not touched
    assert s2.round == 1 and s.round == 0

    # nothing is due in round 1 (cumulative contributions are 0 < 25)
    assert not of_type(ev, TrancheReleased) and not of_type(ev, TrancheWithheld)
    # E_w = 34.8, E_e = 38.25; mean reveal over (west design .5, west manuf 0, east design 0,
    # east manuf .5) = 0.25; nothing released; T = 0.7 -> 0.85; parallel 1.2
    (jv,) = of_type(ev, JointValue)
    v = 3.8 * math.sqrt(34.8 * 38.25) * (1 + 0.5 * 0.25) * 1.0 * 0.85 * 1.2  # 3.8 * 36.48424 * 1.125 * 0.85 * 1.2 = 159.0895
    assert jv.effective_contribution == approx({"west1": 34.8, "east1": 38.25})
    assert jv.mean_reveal == approx(0.25) and jv.mean_released == 0.0 and jv.trust_used == 0.7
    assert jv.value == approx(v) and jv.value == approx(159.0895, abs=1e-3)
    assert jv.shares == approx({"west1": v / 2, "east1": v / 2})

    w, e = result(ev, "west1"), result(ev, "east1")
    # west learns manufacturing: X = 0 + 1 * 0.5 * 1.0 * prot_east(0) = 0.5 -> 45/19 (above),
    # times east's freshness (pace 1.2, obsolescence 2): (1 + 2)/(1 + 2 * 1.2) = 3/3.4
    assert w.learned["manufacturing"] == approx(45 / 19 * 3 / 3.4)   # 2.0898
    # west is ahead everywhere else: learns nothing there
    assert w.learned["design"] == w.learned["distribution"] == w.learned["brand"] == 0.0
    # east learns design: prot_west = 1 - 0.8*10/20 = 0.6; X = 0.5 * 1 * 0.6 = 0.3;
    # gap 45, ac = 45/90 = 0.5, effort 20/60 = 1/3: 1 * 0.7 * 0.3 * 45 * 0.5 / 3 = 1.575
    assert e.learned["design"] == approx(1.575)
    # out of scope: X = 0.05 * 1 * 0.6 = 0.03, effort = east's mean in-scope absorb
    # (20 + 0)/2 = 10 -> 10/50 = 0.2
    # distribution: tau .4, gap 75-30 = 45, ac 40/85: 0.6 * 0.03 * 45 * 40/85 * 0.2
    assert e.learned["distribution"] == approx(0.6 * 0.03 * 45 * 40 / 85 * 0.2)  # 0.07624
    # brand: tau .5, gap 50, ac 40/90: 0.5 * 0.03 * 50 * 40/90 * 0.2 = 0.0666...
    assert e.learned["brand"] == approx(0.5 * 0.03 * 50 * 40 / 90 * 0.2)
    assert e.learned["manufacturing"] == 0.0
    # learning by teaching (in scope): west design 0.005 * 0.3 * 80 = 0.12;
    # east manufacturing 0.005 * 0.5 * 85 = 0.2125
    assert w.taught == approx({"design": 0.12, "manufacturing": 0, "distribution": 0, "brand": 0})
    assert e.taught == approx({"design": 0, "manufacturing": 0.2125, "distribution": 0, "brand": 0})
    # development: east brand 0.3 * 1.2 * sqrt(25) = 1.8
    assert e.developed == approx({"design": 0, "manufacturing": 0, "distribution": 0, "brand": 1.8})
    # exposure each firm saw of its partner's domains
    assert w.exposure == approx({"design": 0.0, "manufacturing": 0.5, "distribution": 0.05, "brand": 0.05})
    assert e.exposure == approx({"design": 0.3, "manufacturing": 0.0, "distribution": 0.03, "brand": 0.03})

    # new competences = (c + learned + taught + developed) * 0.99
    assert s2.firms["west1"].competence == approx({
        "design": (80 + 0.12) * 0.99,                  # 79.3188
        "manufacturing": (35 + 45 / 19 * 3 / 3.4) * 0.99,  # 36.7189...
        "distribution": 75 * 0.99, "brand": 80 * 0.99})
    assert s2.firms["east1"].competence == approx({
        "design": (35 + 1.575) * 0.99,                 # 36.20925
        "manufacturing": (85 + 0.2125) * 0.99,         # 84.360375
        "distribution": (30 + 0.6 * 0.03 * 45 * 40 / 85 * 0.2) * 0.99,
        "brand": (30 + 0.5 * 0.03 * 50 * 40 / 90 * 0.2 + 1.8) * 0.99})
    assert w.position == approx(RULES.position(s2.firms["west1"].competence))

    # cash = value share + market income (start-of-round positions) + unspent
    # west: v/2 + 40 * 65.5/125.5 + 20 ; east: v/2 + 40 * 47.75/107.75 + 25
    assert w.cash_from_market == approx(40 * 65.5 / 125.5)    # 20.8765
    assert e.cash_from_market == approx(40 * 47.75 / 107.75)  # 17.7262
    assert (w.cash_unspent, e.cash_unspent) == (approx(20), approx(25))
    assert s2.firms["west1"].cash == approx(v / 2 + 40 * 65.5 / 125.5 + 20)
    assert s2.firms["east1"].cash == approx(v / 2 + 40 * 47.75 / 107.75 + 25)
    assert w.cash_penalties == e.cash_penalties == 0.0

    # both met their minimum (30 >= 15): +0.05 each
    al = s2.alliances["a1"]
    assert al.trust == approx({"west1": 0.75, "east1": 0.75})
    assert al.cum_contribution == {"west1": 30.0, "east1": 30.0}
    assert al.status == "active"
    # rival grows 2%: 60 * 1.02 = 61.2
    (rr,) = of_type(ev, RoundResolved)
    assert s2.rival == approx(dict.fromkeys(DOMAINS, 61.2))
    assert rr.rival_position == approx(61.2)
    # dependency reported with the new competences
    assert w.dependency["a1"] == approx(
        0.3 * (s2.firms["east1"].competence["manufacturing"] - s2.firms["west1"].competence["manufacturing"])
        / RULES.position(s2.firms["west1"].competence))


def test_decay_and_rival_growth_over_two_rounds():
    s = session()
    for _ in range(2):
        s, ev = resolve_round(RULES, s, honour(15, 15))
    # no learning, teaching or development: 80 * 0.99^2 = 78.408
    assert s.firms["west1"].competence["brand"] == approx(78.408)
    # 60 * 1.02^2 = 62.424
    assert s.rival["design"] == approx(62.424)
    r = rules_for({"decay": "0.05", "rival_growth": "0.1"})
    s, _ = resolve_round(r, session(r), honour(15, 15))
    assert s.firms["west1"].competence["brand"] == approx(76.0)   # 80 * 0.95
    assert s.rival["brand"] == approx(66.0)                        # 60 * 1.1


def test_competence_is_capped():
    r = rules_for({"max_competence": "80.5", "decay": "0"})
    s = session(r)
    s2, _ = resolve_round(r, s, {**honour(), "west1": Decision("west1", contribute={"design": 30},
                                                                 develop={"brand": 49})})
    # 80 + 0.3 * 1.0 * 7 = 82.1 -> capped at 80.5
    assert s2.firms["west1"].competence["brand"] == approx(80.5)


# ---- tranches --------------------------------------------------------------------------

def test_staged_tranches_fall_due_with_partner_contribution():
    s = session()
    s, ev = resolve_round(RULES, s, honour(30, 30))
    assert not of_type(ev, TrancheReleased)
    # round 2: each partner has 30 cumulative; 30 // 25 = 1 tranche of 4 due
    s, ev = resolve_round(RULES, s, honour(30, 30))
    rel = sorted((e.firm, e.domain, e.released, e.of, e.round) for e in of_type(ev, TrancheReleased))
    assert rel == [("east1", "manufacturing", 1, 4, 2), ("west1", "design", 1, 4, 2)]
    assert s.alliances["a1"].released == {"west1": {"design": 1}, "east1": {"manufacturing": 1}}
    (jv,) = of_type(ev, JointValue)
    assert jv.mean_released == approx(0.25)   # (1/4 + 1/4)/2


def test_staged_tranches_count_milestones():
    s = session()
    al = s.alliances["a1"]
    al.cum_contribution = {"west1": 55.0, "east1": 80.0}
    s2, ev = resolve_round(RULES, s, honour(15, 15))
    # west's tranches depend on east's 80: 80 // 25 = 3; east's on west's 55: 55 // 25 = 2
    got = {(e.firm, e.released) for e in of_type(ev, TrancheReleased)}
    assert got == {("west1", 3), ("east1", 2)}
    (jv,) = of_type(ev, JointValue)
    assert jv.mean_released == approx((3 / 4 + 2 / 4) / 2)   # 0.625
    # east sees design: released 3/4, west reveals nothing: X = 0.75
    assert result(ev, "east1").exposure["design"] == approx(0.75)
    # never more than the number of tranches: 1000 // 25 = 40 -> min(4, 40) = 4
    s3 = session()
    s3.alliances["a1"].cum_contribution = {"west1": 0.0, "east1": 1000.0}
    _, ev = resolve_round(RULES, s3, honour(15, 15))
    assert [(e.firm, e.released, e.of) for e in of_type(ev, TrancheReleased)] == [("west1", 4, 4)]


def test_upfront_release_opens_everything_at_signing():
    r = rules_for({"terms.release": "upfront"})
    s = session(r)
    assert s.alliances["a1"].released == {"west1": {"design": 4}, "east1": {"manufacturing": 4}}
    s2, ev = resolve_round(r, s, honour(15, 15))
    assert not of_type(ev, TrancheReleased)   # nothing new falls due
    (jv,) = of_type(ev, JointValue)
    assert jv.mean_released == 1.0
    # released fraction 1: X = 1 whatever reveal and protection
    assert result(ev, "east1").exposure["design"] == 1.0
    assert result(ev, "west1").exposure["manufacturing"] == 1.0


# ---- trust -------------------------------------------------------------------------------

def trust_events(ev):
    return {e.firm: e for e in of_type(ev, TrustChanged)}


def test_withholding_a_due_tranche_is_a_breach():
    s = session()
    s.alliances["a1"].cum_contribution["east1"] = 30.0   # west's tranche 1 is due
    d = honour(15, 15, west={"withhold": {"a1": ("design",)}})
    s2, ev = resolve_round(RULES, s, d)
    (w,) = of_type(ev, TrancheWithheld)
    assert (w.alliance, w.firm, w.domain, w.due, w.round) == ("a1", "west1", "design", 1, 1)
    al = s2.alliances["a1"]
    assert al.released["west1"]["design"] == 0 and al.breach == {"west1": True, "east1": False}
    # east's trust in west: 0.7 - 0.25 = 0.45 (no +0.05 for a breaching partner)
    # west's trust in east: 0.7 + 0.05 = 0.75
    assert al.trust == approx({"east1": 0.45, "west1": 0.75})
    assert trust_events(ev)["east1"].reasons == ["partner_withheld"]
    assert trust_events(ev)["west1"].reasons == ["partner_met_terms"]
    # withholding when nothing is due is no breach
    s3, ev = resolve_round(RULES, session(), d)
    assert not of_type(ev, TrancheWithheld) and s3.alliances["a1"].trust["east1"] == approx(0.75)


def test_contribution_under_minimum():
    s2, ev = resolve_round(RULES, session(), honour(15, 10))
    # east gave 10 < 15: west's trust 0.7 - 0.15 = 0.55; east's trust in west 0.75
    assert s2.alliances["a1"].trust == approx({"west1": 0.55, "east1": 0.75})
    assert trust_events(ev)["west1"].reasons == ["partner_under_minimum"]
    # exactly the minimum is meeting the terms
    s3, _ = resolve_round(RULES, session(), honour(15, 15))
    assert s3.alliances["a1"].trust == approx({"west1": 0.75, "east1": 0.75})


def test_withheld_and_under_minimum_add_up():
    s = session()
    s.alliances["a1"].cum_contribution["west1"] = 25.0   # east's tranche 1 is due
    s2, ev = resolve_round(RULES, s, honour(15, 5, east={"withhold": {"a1": ("manufacturing",)}}))
    # 0.7 - 0.25 - 0.15 = 0.30
    assert s2.alliances["a1"].trust["west1"] == approx(0.30)
    assert trust_events(ev)["west1"].reasons == ["partner_withheld", "partner_under_minimum"]


def test_trust_is_clamped_to_one():
    s = session()
    s.alliances["a1"].trust = {"west1": 0.98, "east1": 1.0}
    s2, ev = resolve_round(RULES, s, honour(15, 15))
    assert s2.alliances["a1"].trust == {"west1": 1.0, "east1": 1.0}
    assert set(trust_events(ev)) == {"west1"}   # no event when nothing changes


def test_convergent_intents():
    d = honour(15, 15, west={"absorb": {"manufacturing": 31}}, east={"absorb": {"design": 31}})
    s2, ev = resolve_round(RULES, session(), d)
    # both absorb 31 > 0.30 * 100: 0.7 + 0.05 - 0.20 = 0.55 each
    assert s2.alliances["a1"].trust == approx({"west1": 0.55, "east1": 0.55})
    assert trust_events(ev)["west1"].reasons == ["partner_met_terms", "convergent_intents"]
    # one side at exactly 30% is not "more than 30%": no penalty
    d = honour(15, 15, west={"absorb": {"manufacturing": 31}}, east={"absorb": {"design": 30}})
    s3, _ = resolve_round(RULES, session(), d)
    assert s3.alliances["a1"].trust == approx({"west1": 0.75, "east1": 0.75})


def test_dissolution_below_threshold():
    s = session()
    al = s.alliances["a1"]
    al.cum_contribution["west1"] = 25.0   # east's tranche due
    al.trust["west1"] = 0.4
    s2, ev = resolve_round(RULES, s, honour(15, 15, east={"withhold": {"a1": ("manufacturing",)}}))
    # 0.4 - 0.25 = 0.15 < 0.2: dissolved
    al2 = s2.alliances["a1"]
    assert al2.trust["west1"] == approx(0.15)
    assert (al2.status, al2.ended_round, al2.ended_reason) == ("dissolved", 1, "trust")
    ended = of_type(ev, AllianceEnded)
    assert [(e.alliance, e.round, e.reason) for e in ended] == [("a1", 1, "dissolved")]
    # the joint value of that round is still paid (computed with the start-of-round trust 0.4)
    (jv,) = of_type(ev, JointValue)
    assert jv.trust_used == 0.4
    # next round: no alliance, no value, contributions are now illegal
    s3, ev = resolve_round(RULES, s2, {})
    assert not of_type(ev, JointValue)
    assert result(ev, "west1").cash_from_value == 0.0


def test_trust_exactly_at_threshold_does_not_dissolve():
    s = session()
    s.alliances["a1"].cum_contribution["west1"] = 25.0
    s.alliances["a1"].trust["west1"] = 0.45
    s2, _ = resolve_round(RULES, s, honour(15, 15, east={"withhold": {"a1": ("manufacturing",)}}))
    # 0.45 - 0.25 = 0.2, not below 0.2
    assert s2.alliances["a1"].trust["west1"] == approx(0.2)
    assert s2.alliances["a1"].status == "active"


# ---- exit ---------------------------------------------------------------------------------

def test_exit_with_penalty():
    s = session()
    d = {"west1": Decision("west1", exit=("a1",)),
         "east1": Decision("east1", contribute={"manufacturing": 30})}
    s2, ev = resolve_round(RULES, s, d)
    (end,) = of_type(ev, AllianceEnded)
    assert (end.alliance, end.reason, end.by, end.penalty, end.trigger) == ("a1", "exited", "west1", 40.0, None)
    al = s2.alliances["a1"]
    assert (al.status, al.ended_round, al.ended_reason) == ("exited", 1, "exit by west1")
    assert not of_type(ev, JointValue)   # contracted flows stop at once
    w, e = result(ev, "west1"), result(ev, "east1")
    assert (w.cash_penalties, e.cash_penalties) == (-40.0, 40.0)
    # west: 40 * 65.5/125.5 + 100 unspent - 40; east: 40 * 47.75/107.75 + 70 unspent + 40
    assert s2.firms["west1"].cash == approx(40 * 65.5 / 125.5 + 100 - 40)
    assert s2.firms["east1"].cash == approx(40 * 47.75 / 107.75 + 70 + 40)
    assert w.trust == {"a1": 0.7}   # reported for the round it ended, unchanged


def test_exit_without_penalty_after_partner_breach():
    s = session()
    s.alliances["a1"].cum_contribution["west1"] = 25.0
    s, ev = resolve_round(RULES, s, honour(15, 15, east={"withhold": {"a1": ("manufacturing",)}}))
    assert s.alliances["a1"].breach["east1"] is True
    s2, ev = resolve_round(RULES, s, {"west1": Decision("west1", exit=("a1",)),
                                      "east1": Decision("east1", contribute={"manufacturing": 15})})
    (end,) = of_type(ev, AllianceEnded)
    assert (end.by, end.penalty, end.trigger) == ("west1", 0.0, "partner_breach")
    assert result(ev, "west1").cash_penalties == 0.0 and result(ev, "east1").cash_penalties == 0.0


def test_breach_frees_nobody_when_the_terms_say_so():
    s = session()
    s.alliances["a1"].breach["east1"] = True
    s.alliances["a1"].terms.exit_on_breach = False
    s2, ev = resolve_round(RULES, s, {"west1": Decision("west1", exit=("a1",))})
    (end,) = of_type(ev, AllianceEnded)
    assert (end.penalty, end.trigger) == (40.0, None)


def test_exit_without_penalty_when_trust_below_trigger():
    s = session()
    s.alliances["a1"].trust["west1"] = 0.25   # below exit_trust_below = 0.3
    s2, ev = resolve_round(RULES, s, {"west1": Decision("west1", exit=("a1",))})
    (end,) = of_type(ev, AllianceEnded)
    assert (end.penalty, end.trigger) == (0.0, "trust_below")
    # the partner, whose trust is still 0.7, pays when it is the one leaving
    s = session()
    s.alliances["a1"].trust["west1"] = 0.25
    s2, ev = resolve_round(RULES, s, {"east1": Decision("east1", exit=("a1",))})
    (end,) = of_type(ev, AllianceEnded)
    assert (end.by, end.penalty, end.trigger) == ("east1", 40.0, None)
    assert result(ev, "west1").cash_penalties == 40.0


# ---- defaults, duration, cash ---------------------------------------------------------------

def test_missing_firm_plays_the_default_decision():
    s2, ev = resolve_round(RULES, session(), {"west1": Decision("west1", contribute={"design": 15})})
    (d,) = of_type(ev, DefaultApplied)
    assert d.firm == "east1" and d.round == 1
    assert d.decision["contribute"] == {"manufacturing": 15.0}   # its minimum effort
    assert result(ev, "east1").cash_unspent == 85.0              # 100 - 15


def test_alliance_ends_after_its_duration_and_session_goes_to_debrief():
    s = session(rounds=2)
    assert s.alliances["a1"].terms.duration == 2
    s, ev = resolve_round(RULES, s, honour(15, 15))
    assert s.alliances["a1"].status == "active" and s.phase == "execution"
    s, ev = resolve_round(RULES, s, honour(15, 15))
    assert [(e.reason, e.round) for e in of_type(ev, AllianceEnded)] == [("completed", 2)]
    assert s.alliances["a1"].status == "ended" and s.phase == "debrief"


def test_unspent_points_become_cash_and_upfront_payment_changes_hands():
    s = session()
    s2, ev = resolve_round(RULES, s, honour(15, 20, west={"develop": {"brand": 25}, "protect": 5}))
    # west spent 15 + 25 + 5 = 45 -> 55 unspent; east spent 20 -> 80
    assert result(ev, "west1").cash_unspent == approx(55.0)
    assert result(ev, "east1").cash_unspent == approx(80.0)
    for f in ("west1", "east1"):
        r = result(ev, f)
        assert r.cash == approx(r.cash_from_value + r.cash_from_market + r.cash_unspent + r.cash_penalties)
    # an upfront payment at signing moves cash from the payer to the payee
    from game_rules.rules import instantiate_terms, sign_alliance
    s = new_session(RULES)
    terms = instantiate_terms(RULES.scenario.alliances[0], 1, 8)
    terms.upfront_payment, terms.payer = 30.0, "west1"
    ev = sign_alliance(RULES, s, "a1", terms)
    assert (s.firms["west1"].cash, s.firms["east1"].cash) == (-30.0, 30.0)
    assert (ev.upfront_payment, ev.payer) == (30.0, "west1")


def test_contribution_promised_to_two_partners_is_shared():
    # two copies, hand-wire a second alliance where west1 also contributes design to east2
    s = session(copies=2)
    from game_rules.rules import instantiate_terms, sign_alliance
    terms = instantiate_terms(RULES.scenario.alliances[0], 2, 8)
    terms.contributions = {"west1": ("design",), "east2": ("manufacturing",)}
    terms.min_effort = {"west1": 0.0, "east2": 0.0}
    terms.tranches = {"west1": 4, "east2": 4}
    terms.split = {"west1": 0.5, "east2": 0.5}
    del s.alliances["a2"]
    sign_alliance(RULES, s, "b", terms)
    d = {"west1": Decision("west1", contribute={"design": 30}),
         "east1": Decision("east1", contribute={"manufacturing": 30}),
         "east2": Decision("east2", contribute={"manufacturing": 30}),
         "west2": Decision("west2")}
    s2, ev = resolve_round(RULES, s, d)
    jv = {j.alliance: j for j in of_type(ev, JointValue)}
    # 30 points split over two alliances: 15 * 0.8 * 1.45 = 17.4 in each
    assert jv["a1"].effective_contribution["west1"] == approx(17.4)
    assert jv["b"].effective_contribution["west1"] == approx(17.4)
    assert s2.alliances["a1"].cum_contribution["west1"] == 15.0
    # a1 has a minimum of 15 for west1: 15 is met
    assert s2.alliances["a1"].trust["east1"] == approx(0.75)


# ---- scoring ---------------------------------------------------------------------------------

def test_scores_by_hand():
    s = session()
    s.round = 4
    s.firms["west1"].competence = {"design": 80, "manufacturing": 50, "distribution": 75, "brand": 80}
    s.firms["east1"].competence = {"design": 40, "manufacturing": 85, "distribution": 30, "brand": 30}
    s.firms["west1"].cash, s.firms["east1"].cash = 600.0, 500.0
    s.rival = dict.fromkeys(DOMAINS, 66.0)
    # end positions: west 20 + 15 + 15 + 20 = 70; east 10 + 25.5 + 6 + 7.5 = 49; rival 66
    ig_w = (70 / 49) / (65.5 / 47.75) - 1        # = 3342.5/3209.5 - 1 = +0.041439
    ig_e = (49 / 70) / (47.75 / 65.5) - 1        # = 3209.5/3342.5 - 1 = -0.039791
    eg_w = (70 / 66) / (65.5 / 60) - 1           # = 4200/4323 - 1   = -0.028452
    eg_e = (49 / 66) / (47.75 / 60) - 1          # = 2940/3151.5 - 1 = -0.067111
    assert internal_gain(RULES, s, "west1", "east1") == approx(ig_w) == approx(133 / 3209.5)
    assert internal_gain(RULES, s, "east1", "west1") == approx(ig_e) == approx(-133 / 3342.5)
    assert external_gain(RULES, s, "west1") == approx(eg_w) == approx(-123 / 4323)
    assert external_gain(RULES, s, "east1") == approx(eg_e) == approx(-211.5 / 3151.5)
    # freedom: west 1 - 0.3 * (85 - 50)/70 = 1 - 0.15 = 0.85; east 1 - 0.25 * 40/49
    assert freedom(RULES, s, "west1") == approx(0.85)
    assert freedom(RULES, s, "east1") == approx(1 - 10 / 49)

    sc = score_session(RULES, s)
    w, e = sc["west1"], sc["east1"]
    # cash score = cash / (4 rounds * 100): 1.5 and 1.25
    assert (w.cash_score, e.cash_score) == (approx(1.5), approx(1.25))
    # weights internal 2, external 2, cash 0.1, freedom 0.5
    assert w.parts == approx({"internal": 2 * ig_w, "external": 2 * eg_w, "cash": 0.15, "freedom": 0.425})
    assert e.parts == approx({"internal": 2 * ig_e, "external": 2 * eg_e, "cash": 0.125,
                              "freedom": 0.5 * (1 - 10 / 49)})
    # west: 0.082879 - 0.056905 + 0.15 + 0.425 = 0.600974
    assert w.total == approx(0.600974, abs=1e-6)
    # east: -0.079581 - 0.134222 + 0.125 + 0.397959 = 0.309156
    assert e.total == approx(0.309156, abs=1e-6)
    for x in (w, e):
        assert x.total == approx(sum(x.parts.values()))
    assert (w.rank, e.rank) == (1, 2)
    assert w.partners == ["east1"] and e.partners == ["west1"]


def test_ranks_over_the_class_break_ties_by_firm_id():
    s = session(copies=2)
    sc = score_session(RULES, s)
    # at the start: internal 0, external 0, cash 0; freedom only:
    # west 0.5 * (1 - 15/65.5) = 0.385496 > east 0.5 * (1 - 11.25/47.75) = 0.382199
    assert sc["west1"].total == approx(0.5 * (1 - 15 / 65.5))
    assert sc["east2"].total == approx(0.5 * (1 - 11.25 / 47.75))
    assert {f: x.rank for f, x in sc.items()} == {"west1": 1, "west2": 2, "east1": 3, "east2": 4}


def test_firm_without_alliance_is_compared_with_its_copy():
    s = new_session(RULES, copies=2)
    s.phase = "execution"
    s2, _ = resolve_round(RULES, s, {})
    sc = score_session(RULES, s2)
    assert sc["west1"].partners == ["east1"] and sc["east2"].partners == ["west2"]
    assert sc["west1"].freedom == 1.0   # no alliance, no dependency
    # alone, every competence decays by the same 1%: the ratio to the partner is unchanged
    assert sc["west1"].internal_gain == approx(0.0, abs=1e-12)
    # against the rival: 0.99 / 1.02 - 1
    assert sc["west1"].external_gain == approx(0.99 / 1.02 - 1)
    # cash: 40 * 65.5/125.5 + 100 unspent over one round of budget 100
    assert sc["west1"].cash_score == approx((40 * 65.5 / 125.5 + 100) / 100)


def test_freshness_discounts_learning_from_a_faster_partner():
    from game_rules.engine import freshness
    p = RULES.params
    assert p.obsolescence == 2 and p.model_version == 3
    assert freshness(p, 1.0) == 1.0
    assert freshness(p, 1.6) == approx(3 / 4.2) and freshness(p, 0.8) == approx(3 / 2.6)
    assert freshness(p, 2.5) < freshness(p, 1.6) < 1 < freshness(p, 0.8)
    old = Rules.from_scenario(load_scenario("classic", {"model_version": "1"})).params
    assert freshness(old, 2.5) == freshness(old, 0.5) == 1.0  # model 1 had no such term
