"""Model 3: what a firm learned from a partner goes out of date at a rate tied to how much
faster the partner develops (docs/model.md sections 4 and 10). The rate by hand, the stock
and the competence update against the round's own event numbers, the rate's neutrality for
partners of the same pace, snapshots (a model-2 state is written exactly as before, a
model-3 stock survives a JSON round trip and the game resumes identically), and the books.
"""
from __future__ import annotations

import json

import pytest

from game_rules.decisions import parse_decision
from game_rules.engine import outdated, outdating_rate, resolve_round
from game_rules.rules import Rules, new_session, sign_default_alliances
from game_rules.scenario import load_scenario
from game_rules.simulate import play
from game_rules.state import state_from_dict, state_to_dict

approx = pytest.approx
KEEP = 0.99  # 1 - decay


def rules_for(overrides: dict[str, str] | None = None) -> Rules:
    return Rules.from_scenario(load_scenario("classic", overrides))


def session(rules: Rules):
    s = new_session(rules, seed=3)
    sign_default_alliances(rules, s)
    s.phase = "execution"
    return s


def one_round(rules, state, west: dict, east: dict):
    decisions = {"west1": parse_decision("west1", west), "east1": parse_decision("east1", east)}
    new, events = resolve_round(rules, state, decisions)
    return new, {e.firm: e for e in events if e.type == "firm_result"}


# east learns west's design (west reveals it, east absorbs), then a quiet round
LEARN = ({"contribute": {"design": 20}, "reveal": {"design": 0.8}},
         {"contribute": {"manufacturing": 20}, "absorb": {"design": 40}})
QUIET = ({"contribute": {"design": 20}}, {"contribute": {"manufacturing": 20}})


def test_the_rate_by_hand():
    p = rules_for().params
    assert p.model_version == 3 and p.outdating == 0.2
    assert outdating_rate(p, 1.6, 1.2) == approx(0.2 * 0.4)   # a faster partner: 0.08 a round
    assert outdating_rate(p, 1.0, 1.2) == 0.0                 # a slower one: its copy stays current
    assert outdating_rate(p, 1.2, 1.2) == 0.0                 # the same pace: neutral
    fast = rules_for({"outdating": "5"}).params
    assert outdating_rate(fast, 1.5, 1.0) == 1.0              # never more than all of it
    for old in ("1", "2"):
        assert outdating_rate(rules_for({"model_version": old}).params, 2.5, 0.5) == 0.0


def test_what_was_learned_from_a_faster_partner_goes_out_of_date():
    rules = rules_for({"pace.west": "1.6"})    # east's pace is 1.2: rate 0.2 * 0.4 = 0.08
    s0 = session(rules)
    s1, r1 = one_round(rules, s0, *LEARN)
    learned = r1["east1"].learned["design"]
    assert learned > 1.0
    held = s1.firms["east1"].learned_from["west1"]["design"]
    assert held == approx(learned * KEEP, rel=1e-12)          # the stock decays with the competence
    s2, r2 = one_round(rules, s1, *QUIET)
    e2 = r2["east1"]
    lost = 0.08 * held
    c1 = s1.firms["east1"].competence["design"]
    assert e2.learned["design"] == 0.0
    assert e2.competence["design"] == approx((c1 + e2.taught["design"] + e2.developed["design"] - lost) * KEEP,
                                             rel=1e-12)
    assert s2.firms["east1"].learned_from["west1"]["design"] == approx(held * (1 - 0.08) * KEEP, rel=1e-12)
    assert outdated(rules.params, s1, s1.firms["east1"])["design"] == approx(lost, rel=1e-12)
    # west (pace 1.6) learned east's manufacturing from a slower partner: nothing goes out of date
    assert outdated(rules.params, s1, s1.firms["west1"]) == dict.fromkeys(s1.firms["west1"].competence, 0.0)


def test_model_2_has_no_stock_and_no_loss():
    rules = rules_for({"pace.west": "1.6", "model_version": "2"})
    s1, _ = one_round(rules, session(rules), *LEARN)
    assert all(f.learned_from == {} for f in s1.firms.values())
    s2, r2 = one_round(rules, s1, *QUIET)
    e2, c1 = r2["east1"], s1.firms["east1"].competence["design"]
    assert e2.competence["design"] == (c1 + e2.learned["design"] + e2.taught["design"] + e2.developed["design"]) * KEEP


def test_a_model_2_snapshot_is_written_as_before_and_a_model_3_stock_survives_one():
    two = rules_for({"model_version": "2"})
    s, _ = one_round(two, session(two), *LEARN)
    assert list(state_to_dict(s)["firms"]["east1"]) == \
        ["id", "name", "role", "competence", "pace", "cash", "start_competence", "copy"]
    rules = rules_for({"pace.west": "1.6"})
    s1, _ = one_round(rules, session(rules), *LEARN)
    d = state_to_dict(s1)
    assert set(d["firms"]["east1"]["learned_from"]) == {"west1"}
    restored = state_from_dict(json.loads(json.dumps(d)))
    assert restored.firms["east1"].learned_from == s1.firms["east1"].learned_from
    straight, resumed = s1, restored
    for _ in range(3):
        straight, _ = one_round(rules, straight, *LEARN)
        resumed, _ = one_round(rules, resumed, *LEARN)
    assert json.dumps(state_to_dict(resumed), sort_keys=True) == json.dumps(state_to_dict(straight), sort_keys=True)


def test_the_input_state_is_not_modified():
    rules = rules_for({"pace.west": "1.6"})
    s1, _ = one_round(rules, session(rules), *LEARN)
    before = json.dumps(state_to_dict(s1), sort_keys=True)
    one_round(rules, s1, *LEARN)
    assert json.dumps(state_to_dict(s1), sort_keys=True) == before


def test_the_books_follow_the_loss():
    """With (almost) exact benchmarks a learner's booked competence stays on its true one
    over a whole game against a much faster partner; without the loss it would drift up."""
    rules = rules_for({"pace.west": "2.0", "estimate_noise": "0.0001"})
    rec = play(rules, {"west": "balanced", "east": "internalizer"}, 1)
    booked = [e for e in rec.history["east1"] if e.get("type") == "firm_result"][-1]["competence"]["design"]
    true = rec.state.firms["east1"].competence["design"]
    stock = rec.state.firms["east1"].learned_from["west1"]["design"]
    assert stock > 5.0
    assert booked == approx(true, rel=0.01)
    # what went out of date over the game is far more than the books' error
    learned = sum(r["learned"]["design"] for evs in rec.events for r in evs
                  if r["type"] == "firm_result" and r["firm"] == "east1")
    assert learned * KEEP ** 8 - stock > 20 * abs(booked - true)


async def test_new_sessions_play_model_3_unless_the_server_keeps_an_older_one(start_server, tmp_path):
    import aiohttp

    from conftest import Api
    for kw, version in (({}, 3), ({"model_version": 2}, 2)):
        server = await start_server(db_path=str(tmp_path / f"m{version}" / "a.db"), **kw)
        async with aiohttp.ClientSession() as http:
            api = Api(server.url, http)
            made = await api.create(copies=1, rounds=2)
            joined = await api.join(made["code"], "Ann")
            status, guide = await api.request("GET", "/api/web/guide", token=joined["player_token"])
        assert status == 200 and guide["outdating"] is (version == 3)  # the How to play tab's sentence
        actor = server.hub.sessions[made["session_id"]]
        assert actor.options["overrides"]["model_version"] == version  # logged with the session
        assert actor.rules.params.model_version == version


def test_the_model_version_is_a_command_line_flag(capsys):
    from server.cli import build_parser, config_from_args, main as cli_main
    assert config_from_args(build_parser().parse_args([])).model_version == 3
    assert config_from_args(build_parser().parse_args(["--model-version", "2"])).model_version == 2
    for bad in ("0", "4"):
        with pytest.raises(SystemExit) as exit:
            cli_main(["--model-version", bad])  # refused by the parser, before anything starts
        assert exit.value.code == 2 and "--model-version" in capsys.readouterr().err
