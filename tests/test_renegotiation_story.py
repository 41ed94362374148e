"""The debrief's story of the renegotiation windows (game_rules/renegotiation_story.py): per
alliance, each window with its moves, what each proposal changes from the terms in force,
and whether the terms changed (from which round) or were kept (and why)."""
from __future__ import annotations

from game_rules.renegotiation_story import changes, windows

SIGNED = {"split": {"w": 0.5, "e": 0.5}, "tranches": {"w": 4, "e": 4}, "release": "staged", "milestone": 25.0,
          "exit_penalty": 40.0, "contributions": {"w": ["design"], "e": ["manufacturing"]}, "scope": ["design"]}


def sheet(**kw):
    return {**SIGNED, **kw}


def test_each_window_of_each_alliance_with_its_moves_and_outcome():
    ask = sheet(split={"w": 0.6, "e": 0.4}, tranches={"w": 4, "e": 3})
    counter = sheet(split={"w": 0.55, "e": 0.45})
    facts = [
        ("alliance_signed", {"alliance_id": "a1", "terms": SIGNED}),
        ("alliance_signed", {"alliance": "a1", "firms": ["w", "e"], "round": 0}),  # the engine's event: no terms
        ("alliance_signed", {"alliance_id": "a2", "terms": SIGNED}),
        ("renegotiation_opened", {"round": 1, "alliances": {"a1": ["w", "e"], "a2": ["w2", "e2"]}}),
        ("renegotiation_move", {"alliance_id": "a1", "action": "offer", "by": "w", "terms": ask}),
        ("renegotiation_move", {"alliance_id": "a1", "action": "counter", "by": "e", "terms": counter}),
        ("renegotiation_move", {"alliance_id": "a1", "action": "accept", "by": "w", "terms": None}),
        ("terms_renegotiated", {"alliance_id": "a1", "terms": counter, "from_round": 2}),
        ("renegotiation_closed", {"round": 1, "reason": "clock", "kept": ["a2"]}),
        ("round_closed", {"round": 2}),
        ("renegotiation_opened", {"round": 2, "alliances": {"a1": ["w", "e"]}}),
        ("renegotiation_move", {"alliance_id": "a1", "action": "offer", "by": "e", "terms": sheet(split={"w": 0.5, "e": 0.5})}),
        ("renegotiation_move", {"alliance_id": "a1", "action": "walk_away", "by": "w", "terms": None}),
        ("renegotiation_closed", {"round": 2, "reason": "settled", "kept": ["a1"]}),
    ]
    story = windows(facts)
    first, second = story["a1"]
    assert (first["round"], first["applies_from"], first["outcome"], first["from_round"]) == (1, 2, "renegotiated", 2)
    assert [(m["by"], m["action"]) for m in first["moves"]] == [("w", "offer"), ("e", "counter"), ("w", "accept")]
    # a proposal is told by what it changes from the terms in force
    assert first["moves"][0]["changes"] == [
        {"field": "split", "firm": "w", "before": 0.5, "after": 0.6}, {"field": "split", "firm": "e", "before": 0.5, "after": 0.4},
        {"field": "tranches", "firm": "e", "before": 4, "after": 3}]
    assert first["changes"] == [{"field": "split", "firm": "w", "before": 0.5, "after": 0.55},
                                {"field": "split", "firm": "e", "before": 0.5, "after": 0.45}]
    # the second window: against the renegotiated terms; kept (a partner walked away)
    assert second["moves"][0]["changes"] == [{"field": "split", "firm": "w", "before": 0.55, "after": 0.5},
                                             {"field": "split", "firm": "e", "before": 0.45, "after": 0.5}]
    assert (second["outcome"], second["reason"], second["from_round"]) == ("kept", "settled", None)
    # an alliance nobody moved in: kept by the clock, with no moves
    (quiet,) = story["a2"]
    assert (quiet["outcome"], quiet["reason"], quiet["moves"]) == ("kept", "clock", [])


def test_changes_of_an_unknown_start_and_a_window_still_open():
    assert changes(None, {"split": {"w": 0.7}, "release": "staged"}) == [
        {"field": "split", "firm": "w", "before": None, "after": 0.7},
        {"field": "release", "firm": None, "before": None, "after": "staged"}]
    story = windows([("renegotiation_opened", {"round": 3, "alliances": {"a1": ["w", "e"]}}),
                     ("renegotiation_move", {"alliance_id": "zz", "action": "offer", "by": "w", "terms": SIGNED})])
    assert story == {"a1": [{"round": 3, "applies_from": 4, "moves": [], "outcome": "open", "reason": None,
                             "from_round": None, "changes": []}]}
