"""Treatments through the real server: a study's sessions get their treatment (balanced,
random with a recorded seed, fixed), the assignment is a logged fact, the treatment's
parameters are the ones the engine ran (the replay reproduces the log only under them),
and the exports carry it."""
from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
import zipfile

from server import export as export_mod

TREATMENTS = {"low": {"value_scale": 2}, "high": {"value_scale": 6, "terms.release": "upfront"}}


def fact(db_path, sid: str, type_: str) -> dict:
    con = sqlite3.connect(db_path)
    try:
        (data,) = con.execute("SELECT data FROM log WHERE session_id = ? AND type = ? AND kind = 'system'",
                              (sid, type_)).fetchone()
        return json.loads(data)
    finally:
        con.close()


async def test_balanced_assignment_over_a_study_logged_and_exported(server, api, db_path, tmp_path):
    made = []
    for i in range(4):
        s = await api.create(scenario="classic", rounds=2, negotiation=False, seed=i, study="tacit-2025",
                             treatments=TREATMENTS, assignment="balanced", assignment_seed=100 + i)
        made.append(s)
        f = fact(db_path, s["session_id"], "treatment_assigned")
        assert f["treatment"] == s["options"]["treatment"] and f["method"] == "balanced" and f["seed"] == 100 + i
        least = min(f["counts_before"].values())
        tied = [n for n in TREATMENTS if f["counts_before"][n] == least]
        assert f["treatment"] == random.Random(100 + i).choice(tied)  # the recorded seed recomputes the draw
        assert f["overrides"] == TREATMENTS[f["treatment"]] and f["treatments"] == TREATMENTS
    assert sorted(s["options"]["treatment"] for s in made) == ["high", "high", "low", "low"]
    # the engine runs the treatment's parameters
    for s in made:
        actor = server.hub.sessions[s["session_id"]]
        t = s["options"]["treatment"]
        assert actor.rules.params.value_scale == TREATMENTS[t]["value_scale"]
        await api.control(s, "fill_bots", strategy="internalizer")
        await api.control(s, "start")  # bots play both rounds at once
        assert actor.state.phase == "debrief"
        assert all(a.terms.release == ("upfront" if t == "high" else "staged") for a in actor.state.alliances.values())
    # a session outside the study does not count
    await api.create(scenario="classic", study="other", treatments=TREATMENTS, assignment="balanced")

    assert export_mod.main(["--db", str(db_path), "--study", "tacit-2025", "--out", str(tmp_path)]) == 0
    z = zipfile.ZipFile(next(tmp_path.glob("*.zip")))
    sessions = list(csv.DictReader(io.StringIO(z.read("sessions.csv").decode())))
    assert [r["session_id"] for r in sessions] == [s["session_id"] for s in made]
    for r, s in zip(sessions, made):
        assert (r["study"], r["treatment"], r["assignment"]) == ("tacit-2025", s["options"]["treatment"], "balanced")
        assert json.loads(r["treatment_overrides"]) == TREATMENTS[r["treatment"]]
        assert r["replay_differences"] == "0"  # the log is reproduced under the treatment's rules
    rounds = list(csv.DictReader(io.StringIO(z.read("rounds.csv").decode())))
    assert len(rounds) == 4 * 2 * 2
    by_t = {}
    for r in rounds:
        by_t.setdefault(r["treatment"], []).append(float(r["alliance_value"] or 0))
    assert max(by_t["low"]) < max(by_t["high"])  # a larger value scale made more joint value
    events = list(csv.DictReader(io.StringIO(z.read("events.csv").decode())))
    assigned = [e for e in events if e["type"] == "treatment_assigned"]
    assert len(assigned) == 4 and all(e["data.study"] == "tacit-2025" for e in assigned)


async def test_random_and_fixed_assignment_and_refusals(api, db_path):
    s = await api.create(scenario="classic", treatments=TREATMENTS, assignment_seed=7)
    f = fact(db_path, s["session_id"], "treatment_assigned")
    assert f["method"] == "random" and f["treatment"] == random.Random(7).choice(list(TREATMENTS))
    drawn = await api.create(scenario="classic", treatments=TREATMENTS)
    assert isinstance(fact(db_path, drawn["session_id"], "treatment_assigned")["seed"], int)
    fixed = await api.create(scenario="classic", treatments=TREATMENTS, treatment="low")
    assert fixed["options"]["treatment"] == "low" and fixed["options"]["assignment"]["method"] == "fixed"
    plain = await api.create(scenario="classic")
    assert "treatment" not in plain["options"]
    for body, code in (
            ({"treatments": TREATMENTS, "assignment": "fixed"}, "invalid_options"),
            ({"treatments": TREATMENTS, "treatment": "medium"}, "invalid_options"),
            ({"treatments": TREATMENTS, "assignment": "random", "treatment": "low"}, "invalid_options"),
            ({"treatment": "low"}, "invalid_options"),
            ({"treatments": {"bad": {"no_such_parameter": 1}}}, "invalid_options"),
            ({"treatments": {"bad": {"value_scale": -1}}}, "invalid_options"),
            ({"treatments": {"a b": {}}}, "invalid_options"),
            ({"scenario": "nope", "treatments": {"a": {}}}, "unknown_scenario")):
        status, err = await api.request("POST", "/api/sessions", {"scenario": "classic", **body})
        assert status in (400, 404) and err["error"]["code"] == code, (body, err)
