"""A session's snapshot converts its players with the package's `fastdict.asdict`, not
`dataclasses.asdict`, which deep-copies every field of every player: a third of a
100-player session's snapshot on the event loop (docs/benchmarks.md, "The loop's long
items"). The same dict, key for key, so the same snapshot text."""
from __future__ import annotations

import copy
import dataclasses
import json

from test_session_views import play


def test_a_snapshots_players_are_the_dataclass_dicts_without_a_deep_copy(monkeypatch):
    s = play(seed=11, copies=3, played=1)
    assert len(s.players) == 12
    expected = {k: dataclasses.asdict(p) for k, p in s.players.items()}
    copies = 0
    deepcopy = copy.deepcopy

    def counting(*args, **kw):
        nonlocal copies
        copies += 1
        return deepcopy(*args, **kw)
    monkeypatch.setattr(copy, "deepcopy", counting)
    players = s.to_dict()["players"]
    monkeypatch.undo()
    assert copies == 0  # dataclasses.asdict: one per field of each player (108 here)
    assert json.dumps(players) == json.dumps(expected)  # key order included
