"""The results break and the undo of a round's close through a real server: the option at
creation (and its bad values), the break's pushes and refusals over a socket, Next round
and Reopen round over HTTP, the refusals (a player's token, another session's token, twice),
the break clock armed by the server, and the log replayed exactly."""
from __future__ import annotations

import json

from conftest import Client, seat_players, session_log

from game_rules.replay import read_sessions, replay, rules_for


async def test_the_option_is_checked_at_creation(server, api):
    for bad in (-5, 0, 3601, 10**12, "soon", True, 2.5):
        status, body = await api.try_create(results_break=bad)
        assert status == 400, (bad, body)
        assert body["error"]["code"] == "out_of_range" and "1..3600" in body["error"]["message"], body
    off = await api.create(results_break="off")
    assert "results_break" not in off["options"]  # off: the options are as before the option existed
    assert (await api.create(results_break="manual"))["options"]["results_break"] == "manual"


async def test_break_next_round_and_reopen_end_to_end(server, api, clients):
    session = await api.create(copies=1, rounds=3, negotiation=False, results_break="manual")
    west, east = await seat_players(api, server, session, clients)
    fac = await Client.login(server.url, session["facilitator_token"], name="fac")
    clients.append(fac)
    r = await fac.cmd("control", action="next_round")
    assert r["type"] == "error" and r["code"] == "no_break"
    await fac.ok("control", action="start")
    await west.ok("submit", round=1, decision={"contribute": {"design": 20}})
    await fac.ok("control", action="end_round")
    v = await east.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "break")
    assert v["view"]["current_round"] is None and v["view"]["round"] == 1
    # a submission during the break: a clear error, nothing logged
    r = await east.cmd("submit", decision={"contribute": {"manufacturing": 20}})
    assert r["type"] == "error" and r["code"] == "results_break" and "results are up" in r["message"]
    # the player's token cannot reopen or end the break; another session's token neither
    r = await west.cmd("control", action="reopen_round")
    assert r["type"] == "error"
    other = await api.create(copies=1, negotiation=False)
    status, body = await api.request("POST", f"/api/sessions/{session['session_id']}/control",
                                     {"action": "reopen_round"}, token=other["facilitator_token"])
    assert status in (401, 403), body
    status, body = await api.request("POST", f"/api/sessions/{other['session_id']}/control",
                                     {"action": "reopen_round"}, token=other["facilitator_token"])
    assert status == 409 and body["error"]["code"] == "not_reopenable", body
    summary = await api.summary(session)
    assert summary["status"]["reopen"] == {"round": 1} and summary["phase"] == "break"

    # Reopen round: round 1 again, west's decision still submitted
    r = await api.control(session, "reopen_round")
    assert r["result"] == {"round": 1, "phase": "execution"}
    await east.wait_for(lambda m: m["type"] == "round_reopened" and m["round"] == 1)
    v = await east.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    assert v["view"]["current_round"] == 1
    status, body = await api.request("POST", f"/api/sessions/{session['session_id']}/control",
                                     {"action": "reopen_round"}, token=session["facilitator_token"])
    assert status == 409 and body["error"]["code"] == "not_reopenable"  # twice
    summary = await api.summary(session)
    assert "reopen" not in summary["status"] and summary["status"]["submitted"] == {"west1": west.joined["player_id"]}
    await east.ok("submit", round=1, decision={"contribute": {"manufacturing": 20}})
    await fac.wait_for(lambda m: m["type"] == "round_result" and m["round"] == 1)
    await api.control(session, "next_round")
    await west.wait_for(lambda m: m["type"] == "view" and m["view"]["current_round"] == 2)

    rows = session_log(server, session)
    system = [(r["type"], r["actor"]) for r in rows if r["kind"] == "system"]
    assert ("round_reopened", "facilitator") in system and ("phase_changed", "facilitator") in system
    assert [t for t, _ in system].count("round_closed") == 2
    log = read_sessions(rows)[session["session_id"]]
    result = replay(log, rules_for(log))
    assert result.diffs == [] and [r.round for r in result.rounds] == [1]
    assert json.loads(rows[[r["type"] for r in rows].index("round_reopened")]["data"]) == {"round": 1}


async def test_the_break_clock_opens_the_next_round(server, api, clients):
    session = await api.create(copies=1, rounds=2, negotiation=False, results_break=1)
    west, _ = await seat_players(api, server, session, clients)
    await api.control(session, "start")
    await api.control(session, "end_round")
    await west.wait_for(lambda m: m["type"] == "clock" and m["phase"] == "break" and m["running"])
    # armed by the server: round 2 opens by itself when the second runs out
    v = await west.wait_for(lambda m: m["type"] == "view" and m["view"]["current_round"] == 2)
    assert v["view"]["phase"] == "execution"

