"""Seat bots in renegotiation windows (game_rules/renegotiation_moves.py): the bots of a
session's empty seats and the command line's bots (`simulate`, `tournament`) bargain with
the live bots' moves, each from its own firm's view, never from the exact dependencies.
The stronger hand (by the firm's own estimates) asks for its reservation share; an
internalizer also for access, an avoider for protection (a tranche more, a higher exit
penalty); terms agreed apply from the next round, and the exported log replays them."""
from __future__ import annotations

import json
from itertools import product
from types import SimpleNamespace as Control

from game_rules import renegotiation as reneg, renegotiation_moves as moves
from game_rules.negotiation import make_offer, open_negotiation
from game_rules.race import INTENT
from game_rules.replay import read_sessions, replay, rules_for
from game_rules.rules import Rules, new_session, sign_default_alliances
from game_rules.scenario import load_scenario
from game_rules.session import controls, evolve, facts as F
from game_rules.session.state import Session
from game_rules.session.step import Logged, Step
from game_rules.simulate import play, simulate, tournament
from game_rules.state import Decision, TermSheet
from game_rules.views import firm_view
from session_log import log_rows

RULES = Rules.from_scenario(load_scenario("classic"))
WINDOWS = Rules.from_scenario(load_scenario("classic", {"renegotiation_every": "1"}))  # a window after every round


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
    """Round 0: each firm knows its own competence and sees its partner through a benchmark."""
    dependent = _state(west_manufacturing=10.0, east_design=90.0)     # west1 needs east1, not the reverse
    independent = _state(west_manufacturing=90.0, east_design=10.0)   # east1 needs west1
    answers = {}
    for name, st in (("dependent", dependent), ("independent", independent)):
        neg, _ = make_offer(open_negotiation("a1", ("west1", "east1")), "east1", _offer(st, 0.42), RULES.domains)
        firm, action, _ = moves.seat_move(neg.to_dict(), {"west1": "balanced"}, lambda f: firm_view(RULES, st, f))
        answers[name] = (firm, action)
        # with no offer on the table the stronger hand asks and the weaker one waits
        opened = moves.seat_move(open_negotiation("a1", ("west1", "east1")).to_dict(),
                                 {"west1": "balanced", "east1": "balanced"}, lambda f: firm_view(RULES, st, f))
        asker = "east1" if name == "dependent" else "west1"
        assert opened[:2] == (asker, "offer") and opened[2]["split"][asker] > 0.5, (name, opened)
    assert answers == {"dependent": ("west1", "accept"), "independent": ("west1", "counter")}
    # bounded: a huge dependency gap moves the reservation by at most MAX_SHIFT
    assert reneg.reservation_share(0.5, 1e9, 0.0) == 0.5 - reneg.MAX_SHIFT
    assert reneg.reservation_share(0.99, 0.0, 1e9) == 1.0 - reneg.MIN_SHARE


def _kinds(before: dict, after: dict, me: str) -> set[str]:
    """What a proposal changes for its proposer: its share, its access to the partner's
    knowledge (fewer partner tranches, a lower milestone), its protection (more own
    tranches, staged release, a higher exit penalty)."""
    partner = next(f for f in before["split"] if f != me)
    out = set()
    if abs(after["split"][me] - before["split"][me]) > 1e-9:
        out.add("share")
    if after["tranches"][partner] < before["tranches"][partner] or after["milestone"] < before["milestone"]:
        out.add("access")
    if (after["tranches"][me] > before["tranches"][me] or after["exit_penalty"] > before["exit_penalty"]
            or (after["release"], before["release"]) == ("staged", "upfront")):
        out.add("protection")
    return out


GAMES = [("internalizer", "avoider"), ("internalizer", "balanced"), ("tit_for_tat", "avoider"), ("balanced", "balanced")]
ALLOWED = {"internalizer": {"share", "access"}, "avoider": {"share", "protection"}}


def test_simulate_bots_propose_shares_access_and_protection_from_their_own_hand():
    """`simulate`'s bots in a window after every round: each opening proposal comes from a
    firm whose own estimates give it the stronger hand (or an avoider asking for protection)
    and asks in its strategy's direction; over a few games every kind of term is proposed."""
    games = []
    for (west, east), seed in product(GAMES, range(2)):
        first = new_session(WINDOWS, seed=seed)
        sign_default_alliances(WINDOWS, first)
        games.append((west, east, first, play(WINDOWS, {"west": west, "east": east}, seed)))
    # the terms that come out of the windows differ in more than the shares
    changed = {name for _, _, first, rec in games for aid, al in rec.state.alliances.items()
               for name in ("tranches", "milestone", "release", "exit_penalty")
               if getattr(al.terms, name) != getattr(first.alliances[aid].terms, name)}
    assert {"tranches", "exit_penalty"} <= changed, changed
    seen: dict[str, set] = {}
    for west, east, first, rec in games:
        plays = {f: (west if f.startswith("west") else east) for f in rec.state.firms}
        in_force = {aid: al.terms.to_dict() for aid, al in first.alliances.items()}
        assert [w["round"] for w in rec.windows] == list(range(1, len(rec.rounds)))
        for w in rec.windows:
            for aid, x in w["alliances"].items():
                for m in x["moves"]:
                    family = INTENT.get(plays[m["by"]], plays[m["by"]])
                    if m["action"] != "offer":
                        continue
                    kinds = _kinds(in_force[aid], m["terms"], m["by"])
                    seen.setdefault(family, set()).update(kinds)
                    assert kinds <= ALLOWED.get(family, {"share"}), (family, kinds)
                    hand = x["hands"][m["by"]]
                    assert hand["share"] == in_force[aid]["split"][m["by"]]
                    if family == "avoider":
                        assert "protection" in kinds
                    else:
                        assert hand["reservation"] >= hand["share"] + reneg.ASKS_FROM, (family, hand)
                in_force[aid] = x["terms"]
    assert seen["balanced"] | seen["tit_for_tat"] == {"share"}
    assert seen["internalizer"] == {"share", "access"} and seen["avoider"] == {"share", "protection"}


def test_simulate_applies_agreed_terms_from_the_next_round_and_reports_the_windows(capsys):
    renegotiated = 0
    for (west, east), seed in product(GAMES, range(2)):
        rec = play(WINDOWS, {"west": west, "east": east}, seed)
        for w in rec.windows:
            for aid, x in w["alliances"].items():
                if x["outcome"] != "renegotiated":
                    assert x["moves"][-1]["action"] == "walk_away"
                    continue
                renegotiated += 1
                agreed = next(m["terms"] for m in reversed(x["moves"]) if m["terms"] is not None)
                assert x["moves"][-1]["action"] == "accept" and x["terms"] == agreed
                # the joint value of the round the terms apply from is split on the new shares
                jv = next(e for e in rec.events[w["applies_from"] - 1]
                          if e["type"] == "joint_value" and e["alliance"] == aid)
                for f, share in agreed["split"].items():
                    assert abs(jv["shares"][f] - share * jv["value"]) < 1e-9
    assert renegotiated >= 3
    # the command line's output carries the windows (and only when there are windows)
    out = simulate("classic", ["internalizer", "avoider"], overrides={"renegotiation_every": "2"})
    assert [w["round"] for w in out["renegotiations"]] == [2, 4, 6]
    assert json.loads(json.dumps(out)) == out
    assert "renegotiations" not in simulate("classic", ["internalizer", "avoider"])
    # a tournament plays the windows too (the same games: simulate.play)
    with_windows = tournament("classic", 2, ("internalizer", "balanced"), overrides={"renegotiation_every": "1"})
    without = tournament("classic", 2, ("internalizer", "balanced"))
    assert [r["means"] for r in with_windows] != [r["means"] for r in without]
    proposals = [m for w in out["renegotiations"] for x in w["alliances"].values() for m in x["moves"] if m["terms"]]
    assert proposals and all(m["changes"] for m in proposals)  # what each proposal changes, as the debrief says
    # and the table printed: one line per alliance and window
    from game_rules.__main__ import main
    assert main(["simulate", "--strategies", "internalizer,avoider", "--set", "renegotiation_every=2"]) == 0
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("window after round")]
    assert [x.split(",")[0] for x in lines] == ["window after round 2", "window after round 4", "window after round 6"]
    assert any("split west1 0.5->" in x for x in lines) and all(x.endswith(("terms kept", "new terms from round 3",
                                                                             "new terms from round 5",
                                                                             "new terms from round 7")) for x in lines)


SEATS = {"west1": "internalizer", "east1": "avoider", "west2": "avoider", "east2": "internalizer",
         "west3": "balanced", "east3": "balanced"}


def _seat_bot_session(seed: int):
    """A session of seat bots only (three copies, mixed strategies), windows after rounds
    2 and 4: the whole game runs in one step. Its options and logged facts."""
    options = {"copies": 3, "negotiation": False, "negotiation_seconds": 60, "round_seconds": 30,
               "members_submit": "any", "renegotiation_every": 2, "renegotiation_seconds": 60, "rounds": 6,
               "seed": seed, "overrides": {"model_version": RULES.params.model_version}}  # as a server logs it
    s = Session(RULES, new_session(RULES, 3, seed, 6))
    logged: list[Logged] = []
    step = Step(s, options, 1000.0, lambda e: logged.append(e) if isinstance(e, Logged) else None)
    step.fact(F.BotsSeated(dict(SEATS)), actor="facilitator")
    controls.decide(step, Control(action="start"))
    assert s.state.phase == "debrief"
    return s, options, logged


def _hand(view: dict, alliance_id: str) -> dict:
    """The firm's share and reservation as its own view gives them (renegotiation_moves.reservation)."""
    al = next(a for a in view["alliances"] if a["id"] == alliance_id)
    pair = {"id": alliance_id, "terms": al["terms"], "dependency": al["dependency"]}
    return {"share": al["terms"]["split"][view["firm"]["id"]], "reservation": moves.reservation(view, pair)}


def test_session_seat_bots_bargain_on_their_estimates_and_the_log_replays():
    """A session's seat bots: each opening proposal is made on the proposer's own view (its
    books and benchmarks, refolded here from the log), also where the exact dependencies,
    which no bot sees, give the other firm the stronger hand; the windows are logged and the
    export replays with zero differences, the agreed terms in force from the next round."""
    against_exact = 0
    for seed in (7, 11):
        s, options, logged = _seat_bot_session(seed)
        again = Session(RULES, new_session(RULES, 3, seed, 6))
        for e in logged:
            f = e.fact
            if isinstance(f, F.RenegotiationMove) and f.action == "offer":
                view = firm_view(RULES, again.state, f.by, again.history[f.by],
                                 Decision.from_dict(again.last_decision[f.by]))
                hand = _hand(view, f.alliance_id)
                family = INTENT.get(SEATS[f.by], SEATS[f.by])
                assert hand["reservation"] >= hand["share"] + reneg.ASKS_FROM or family == "avoider", hand
                exact = reneg.dependencies(RULES, again.state, f.alliance_id)
                partner = next(x for x in exact if x != f.by)
                against_exact += (reneg.reservation_share(hand["share"], exact[f.by], exact[partner])
                                  < hand["share"] + reneg.ASKS_FROM)
            evolve(again, F.read_fact(f.type, json.loads(json.dumps(f.to_data()))))
        agreed = [e.fact for e in logged if isinstance(e.fact, F.TermsRenegotiated)]
        assert agreed and all(a.from_round in (3, 5) for a in agreed)
        log = read_sessions(log_rows(logged, options))["s1"]
        result = replay(log, rules_for(log))
        assert result.diffs == [] and len(result.rounds) == 6
        in_force = {(r.round, aid): t["split"] for r in result.rounds for aid, t in r.terms.items()}
        for a in agreed:
            assert in_force[(a.from_round, a.alliance_id)] == a.terms["split"]
            assert in_force[(a.from_round - 1, a.alliance_id)] != a.terms["split"]
    assert against_exact >= 1, against_exact  # the bot followed its estimate where the truth said otherwise
