"""The debrief's data tells who graduated (left an alliance after learning) and when
(issue 16): a real server on a free loopback port, real SQLite, seat bots of the race
strategies playing every round; `GET /api/web/history` carries `graduations` computed from
the logged events, one per exit, in the round the alliance ended."""
from __future__ import annotations

import aiohttp

from conftest import Api


async def test_the_debrief_history_names_every_firm_that_left_and_when(start_server):
    server = await start_server()
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(scenario="one_partner", negotiation=False, seed=0)
        status, body = await api.request("POST", f"/api/sessions/{session['session_id']}/control",
                                         {"action": "fill_bots", "strategy": "no_such_bot"},
                                         token=session["facilitator_token"])
        assert status == 400 and body["error"]["code"] == "unknown_strategy"
        assert "watchful_avoider" in body["error"]["message"]
        await api.control(session, "fill_bots", strategy="watchful_avoider")
        await api.control(session, "start")
        for _ in range(session.get("rounds") or 20):  # every round, to the debrief
            status, body = await api.request("POST", f"/api/sessions/{session['session_id']}/control",
                                             {"action": "end_round"}, token=session["facilitator_token"])
            if status == 409:
                assert body["error"]["code"] == "wrong_phase"
                break
            assert status == 200, body
        async with http.get(f"{server.url}/api/web/history/{session['session_id']}",
                            headers={"Authorization": f"Bearer {session['facilitator_token']}"}) as r:
            assert r.status == 200
            hist = await r.json()
    await server.stop()
    exited = {aid: a for aid, a in hist["alliances"].items() if a["status"] == "exited"}
    assert exited, "watchful avoiders in one_partner leave before the end"
    told = {(g["alliance"], g["firm"]): g for g in hist["graduations"]}
    for aid, a in exited.items():
        leavers = list(a["firms"]) if a["ended_reason"] == "mutual exit" else [a["ended_reason"].removeprefix("exit by ")]
        for f in leavers:
            g = told.pop((aid, f))
            assert g["round"] == a["ended_round"] and g["partner"] in a["firms"] and g["partner"] != f
            # an avoider learns nothing: it left, it did not graduate
            assert g["learned"] == 0.0 and g["graduated"] is False
    assert told == {}  # nothing told that did not happen
