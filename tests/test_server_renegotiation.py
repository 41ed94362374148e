"""Renegotiation windows through the real server on loopback: the option at creation (and
`--set renegotiation_every` through a treatment's overrides), the window's pushes and
refusals over the socket, an accepted proposal played from the next round, a restart in
the middle of a window, the facilitator ending the next one over HTTP, and the export
(offers.csv with `applies_from`, rounds.csv's terms in force) that `replay` recomputes
with zero differences."""
from __future__ import annotations

import json

from clients.python.view_fold import Folded
from conftest import Client, seat_players
from game_rules.__main__ import main as game_rules_main
from test_research_export import download, read_csv, unzip

DESIGN = {"west1": "design", "east1": "manufacturing"}


async def _round(players, rnd):
    for c in players:
        await c.ok("submit", round=rnd, decision={"contribute": {DESIGN[c.joined["firm"]]: 20}})


async def test_a_window_over_the_socket_restart_end_and_export(start_server, server, api, clients, tmp_path, capsys):
    status, body = await api.try_create(renegotiation_every=-1)
    assert status == 400 and body["error"]["code"] == "out_of_range"
    session = await api.create(copies=1, rounds=3, negotiation=False, renegotiation_every=1,
                               renegotiation_seconds=600)
    assert session["options"]["renegotiation_every"] == 1 and session["options"]["renegotiation_seconds"] == 600
    west, east = await seat_players(api, server, session, clients, names=("wes", "eas"))
    await api.control(session, "start")
    await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    r = await west.cmd("negotiate", action="offer", negotiation="a1", terms={"split": {"west1": 0.7, "east1": 0.3}})
    assert r["type"] == "error" and r["code"] == "wrong_phase"
    await _round([west, east], 1)

    # the window: both players see it, with the terms in force and their own dependency only
    v = (await east.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "renegotiation"))["view"]
    (pair,) = v["renegotiation"]["alliances"]
    assert pair["id"] == "a1" and pair["terms"]["split"] == {"west1": 0.5, "east1": 0.5}
    assert isinstance(pair["dependency"], float) and v["renegotiation"]["applies_from"] == 2
    # the firm's estimate, as its alliance view reports it: never the exact one (the facilitator's),
    # which would give the partner's competences away
    assert pair["dependency"] == next(a for a in v["alliances"] if a["id"] == "a1")["dependency"]

    # bad input over the wire: each refused with its code, nothing decided
    for terms, code in (({"split": {"west1": 1e308, "east1": -1e308}}, "invalid_terms"),
                        ({"junk": 1}, "invalid_terms"), ({"tranches": {"west1": 10**15}}, "invalid_terms"),
                        ({"split": {"west1": 0.9, "east1": 0.1}, "scope": ["design"]}, "invalid_terms"),
                        ({"exit_penalty": 1e30}, "invalid_terms"), ({"split": {"west1": 5e-324}}, "invalid_terms")):
        r = await west.cmd("negotiate", action="offer", negotiation="a1", terms=terms)
        assert r["type"] == "error" and r["code"] == code, (terms, r)
    r = await west.cmd("negotiate", action="offer", negotiation="a2", terms={"split": {"west1": 0.6, "east1": 0.4}})
    assert r["type"] == "error" and r["code"] == "unknown_negotiation"
    r = await east.cmd("negotiate", action="accept", negotiation="a1")
    assert r["type"] == "error" and r["code"] == "no_offer"

    # west asks for 70%; the partner and the facilitator are told
    fac = await Client.login(server.url, session["facilitator_token"], name="fac")
    clients.append(fac)
    await west.ok("negotiate", action="offer", negotiation="a1", terms={"split": {"west1": 0.7, "east1": 0.3}})
    push = await east.wait_for(lambda m: m["type"] == "renegotiation" and m["renegotiation"]["alliances"][0]["standing"])
    assert push["renegotiation"]["alliances"][0]["offers"][0]["terms"]["split"] == {"west1": 0.7, "east1": 0.3}
    fpush = await fac.wait_for(lambda m: m["type"] == "renegotiation")
    exact = fpush["renegotiation"]["alliances"][0]["dependency"]
    assert set(exact) == {"west1", "east1"} and exact["east1"] != pair["dependency"]
    # the console's numbers are the exact ones, the same as the facilitator's whole view of the alliance
    full = await fac.resync()
    assert exact == full["dependency"]["a1"] and full["renegotiation"]["alliances"][0]["dependency"] == exact
    # the clients' fold (clients/python/view_fold.py, the web's viewfold.js) gives the server's view
    for c in (east, fac):
        fold = Folded()
        for m in c.messages:
            folded = fold(m)
        assert folded["renegotiation"] == (await c.resync())["renegotiation"], c.name

    # a restart in the middle of the window: the offer is still on the table
    await server.stop()
    server2 = await start_server()
    api.url = server2.url
    east2 = await Client.login(server2.url, east.joined["player_token"], name="eas2")
    west2 = await Client.login(server2.url, west.joined["player_token"], name="wes2")
    east2.joined, west2.joined = east.joined, west.joined
    clients += [east2, west2]
    v = east2.view
    assert v["phase"] == "renegotiation" and v["renegotiation"]["alliances"][0]["standing"] == 1
    r = await east2.ok("negotiate", action="accept", negotiation="a1")
    assert r["result"]["renegotiation"]["alliances"][0]["renegotiated"] is True
    # settled: round 2 opens at once, played on the new split
    await west2.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    await _round([west2, east2], 2)
    res = await west2.wait_for(lambda m: m["type"] == "round_result" and m["round"] == 2)
    jv = next(e for e in res["events"] if e["type"] == "joint_value")
    # (a firm sees whole numbers) 70% of the value, not half of it
    assert abs(jv["shares"]["west1"] - 0.7 * jv["value"]) <= 1 and jv["shares"]["west1"] > 2 * jv["shares"]["east1"]

    # the second window (after round 2): the facilitator ends it; the terms stay
    await west2.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "renegotiation")
    r = await api.control(session, "end_renegotiation")
    assert r["result"] == {"round": 3, "phase": "execution"}
    status, body = await api.request("POST", f"/api/sessions/{session['session_id']}/control",
                                     {"action": "end_renegotiation"}, token=session["facilitator_token"])
    assert status == 409 and body["error"]["code"] == "no_window"
    await _round([west2, east2], 3)
    await west2.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "debrief")

    # the export: the renegotiated terms with the round they apply from; replay: no differences
    status, data = await download(api, f"/api/sessions/{session['session_id']}/export", session["researcher_token"])
    assert status == 200
    files = unzip(data)
    cols, offers = read_csv(files, "offers.csv")
    assert "applies_from" in cols
    moves = [(r["phase"], r["action"], r["applies_from"], r["split.a"]) for r in offers]
    assert ("renegotiation", "offer", "", "0.7") in moves and ("renegotiation", "renegotiated", "2", "0.7") in moves
    assert ("renegotiation", "kept", "", "") in moves
    _, rounds = read_csv(files, "rounds.csv")
    share = {r["round"]: json.loads(r["terms_in_force"])["a1"]["share"] for r in rounds if r["firm"] == "west1"}
    assert share == {"1": 0.5, "2": 0.7, "3": 0.7}
    archive = tmp_path / "export.zip"
    archive.write_bytes(data)
    capsys.readouterr()
    assert game_rules_main(["replay", str(archive)]) == 0
    assert "3 round(s) replayed, no differences" in capsys.readouterr().out


async def test_set_renegotiation_every_through_a_treatment(server, api):
    """`renegotiation_every` is a `--set` name: a treatment's overrides turn windows on."""
    session = await api.create(copies=1, rounds=4, negotiation=False, treatments={"reneg": {"renegotiation_every": 2}},
                               assignment="fixed", treatment="reneg")
    assert session["options"]["renegotiation_every"] == 2 and session["options"]["renegotiation_seconds"] == 120
    plain = await api.create(copies=1, rounds=4)
    assert "renegotiation_every" not in plain["options"]
