"""Playthrough goldens (tests/goldens/): each script of commands is played against the real
server and must produce its recorded transcript (facts in log order; what each party was
pushed; how each party's full view changed), step for step. A difference names the first
path that differs. Re-record (`python -m tests.goldens --update NAME`) only for an
intended behaviour change: docs/testing.md."""
from __future__ import annotations

import json

import pytest

from goldens import harness, live


@pytest.mark.parametrize("name", harness.script_names())
async def test_playthrough_matches_its_transcript(name, start_server):
    server = await start_server(**live.GOLDEN_SERVER)
    got = await live.play_on(server, harness.load_script(name))
    recorded = json.loads(harness.transcript_path(name).read_text(encoding="utf-8"))
    diff = harness.first_difference(recorded, got)
    assert diff is None, (f"the playthrough {name!r} differs from tests/goldens/{name}.transcript.json: {diff}\n"
                          f"If (and only if) this behaviour change is intended, re-record: "
                          f"python -m tests.goldens --update {name}")


def test_the_three_games_have_goldens():
    assert {"classic", "selection", "treatments"} <= set(harness.script_names())
    for name in harness.script_names():
        assert harness.transcript_path(name).exists(), f"{name}: no transcript; python -m tests.goldens --update {name}"


def test_a_difference_is_named_by_its_first_path():
    recorded = {"steps": [{"views": {"ana": {"phase": "execution"}}}, {"facts": [{"data": {"x": 1}}]}]}
    assert harness.first_difference(recorded, json.loads(json.dumps(recorded))) is None
    changed = json.loads(json.dumps(recorded))
    changed["steps"][1]["facts"][0]["data"]["x"] = 2
    changed["steps"][0]["views"]["ana"]["phase"] = "debrief"
    assert harness.first_difference(recorded, changed) == \
        '$.steps[0].views.ana.phase: recorded "execution", now "debrief"'
    del changed["steps"][1]
    assert harness.first_difference({"steps": [1]}, {"steps": [1, 2]}) == "$.steps: 1 item(s) recorded, 2 now"
    assert harness.first_difference({"a": 1}, {"a": 1.0}) == "$.a: recorded 1, now 1.0"


def test_normalization_is_explicit():
    norm = harness.Normalizer({"s_0123": "<session>", "tok": "<token:ana>"})
    assert norm({"id": "s_0123", "url": "http://x/join?t=tok", "time": 1.7e9, "clock": {"remaining": 12.5},
                 "score": 3.25}) == {"id": "<session>", "url": "http://x/join?t=<token:ana>", "time": "<time>",
                                      "clock": {"remaining": "<remaining>"}, "score": 3.25}
    # a wall-clock number under a key nobody declared fails loudly instead of flaking
    with pytest.raises(ValueError, match=r"\.when.*looks like a wall-clock time"):
        norm({"when": 1.7e9})
    assert harness.delta({"a": [1, 2], "b": 1}, {"a": [1], "c": 2}) == \
        {"a[1]": harness.REMOVED, "b": harness.REMOVED, "c": 2}
