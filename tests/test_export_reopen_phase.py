"""The research export's `phase` column after an undo of a close (found playing a class day:
the drafts and the submission of a reopened round 1 were filed under `break` in
commands.csv and events.csv). `round_reopened` and `negotiation_reopened` put the phase back
(to `execution`, to `negotiation`) without a `phase_changed` row, and the export's phases
now follow them. Real server, real SQLite, the ZIP as the console downloads it."""
from __future__ import annotations

from conftest import seat_players
from test_research_export import download, read_csv, unzip


async def _export(api, session) -> dict:
    status, data = await download(api, f"/api/sessions/{session['session_id']}/export", session["facilitator_token"])
    assert status == 200, data
    return unzip(data)


async def test_a_reopened_round_is_exported_as_execution(server, api, clients):
    session = await api.create(copies=1, rounds=2, negotiation=False, results_break="manual")
    west, east = await seat_players(api, server, session, clients)
    await api.control(session, "start")
    await west.ok("submit", round=1, decision={"contribute": {"design": 20}})
    await api.control(session, "end_round")
    await api.control(session, "reopen_round")
    await east.ok("draft", round=1, fields={"develop": {"brand": 5}})
    await east.ok("submit", round=1, decision={"contribute": {"manufacturing": 20}})
    files = await _export(api, session)
    _, commands = read_csv(files, "commands.csv")
    mine = [(c["type"], c["round"], c["phase"]) for c in commands if c["firm"] == east.joined["firm"]]
    assert mine[-2:] == [("draft", "1", "execution"), ("submit", "1", "execution")], mine
    _, events = read_csv(files, "events.csv")
    reopened = next(e for e in events if e["type"] == "round_reopened")
    assert reopened["phase"] == "execution"


async def test_a_reopened_negotiation_is_exported_as_negotiation(server, api, clients):
    session = await api.create(copies=1, rounds=2, negotiation=True)
    west, _ = await seat_players(api, server, session, clients)
    await api.control(session, "start")
    v = await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "negotiation")
    (neg,) = v["view"]["negotiations"]
    await api.control(session, "advance")            # the facilitator ends the negotiation: round 1 opens
    await api.control(session, "reopen_negotiation", alliance_id="a1")
    await west.ok("negotiate", action="offer", terms=neg["default_terms"])
    _, commands = read_csv(await _export(api, session), "commands.csv")
    moves = [(c["type"], c["phase"]) for c in commands if c["type"] == "negotiate"]
    assert moves == [("negotiate", "negotiation")], moves
