"""Ending a session keeps it for the debrief: its facilitator still reads the summary, the
debrief's history and the export (read-only), also after a restart; nobody can change it
any more, and players' tokens have expired. Real server on a free loopback port, real
SQLite, a real restart on the same database."""
from __future__ import annotations

import aiohttp

from conftest import Api


async def _reads(api: Api, session: dict) -> dict[str, int]:
    sid, tok = session["session_id"], session["facilitator_token"]
    out = {}
    for name, path in (("summary", f"/api/sessions/{sid}"), ("history", f"/api/web/history/{sid}"),
                       ("export", f"/api/sessions/{sid}/export")):
        async with api.http.get(api.url + path, headers={"Authorization": f"Bearer {tok}"}) as r:
            out[name] = r.status
            if name == "summary" and r.status == 200:
                body = await r.json()
                assert body["session"]["status"] == "ended" and body["phase"] == "debrief", body["session"]
            if name == "history" and r.status == 200:
                assert len((await r.json())["rounds"]) == 2
    return out


async def test_an_ended_session_stays_readable_by_its_facilitator(start_server):
    server = await start_server()
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(scenario="classic", rounds=2, negotiation=False)
        player = await api.join(session["code"], "Ann")
        await api.control(session, "fill_bots")
        await api.control(session, "start")
        await api.control(session, "end_round")
        await api.control(session, "end_round")
        await api.control(session, "end_session")
        assert await _reads(api, session) == {"summary": 200, "history": 200, "export": 200}
        # read-only: no control, no socket for the facilitator; the player's token has expired
        status, body = await api.request("POST", f"/api/sessions/{session['session_id']}/control",
                                         {"action": "end_session"}, token=session["facilitator_token"])
        assert status == 401 and body["error"]["code"] == "token_expired"
        status, body = await api.request("GET", "/api/web/context", token=player["player_token"])
        assert status == 401 and body["error"]["code"] == "token_expired"
        status, body = await api.request("GET", f"/api/sessions/{session['session_id']}", token=player["player_token"])
        assert status in (401, 403)
    await server.stop()
    # after a restart on the same database: the same
    again = await start_server()
    async with aiohttp.ClientSession() as http:
        api = Api(again.url, http)
        assert await _reads(api, session) == {"summary": 200, "history": 200, "export": 200}
        status, body = await api.request("POST", f"/api/sessions/{session['session_id']}/control",
                                         {"action": "start"}, token=session["facilitator_token"])
        assert status == 401 and body["error"]["code"] == "token_expired"
