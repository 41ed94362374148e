"""The practice round through the real server (loopback socket, real SQLite): two people in
two firms play round 0, the attacks are refused (a second practice decision, a real round's
decision, a draft, the facilitator's "start" twice), the real game starts fresh, a restart
in the middle keeps the practice state; the export marks the practice rows (phase
`practice`, round 0, practice.csv with `practice` = 1) and replays with zero differences."""
from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from pathlib import Path

import aiohttp

from game_rules.session import practice
from conftest import Api, Client


async def _export(api: Api, session: dict) -> zipfile.ZipFile:
    async with api.http.get(f"{api.url}/api/sessions/{session['session_id']}/export",
                            headers={"Authorization": f"Bearer {session['facilitator_token']}"}) as r:
        assert r.status == 200
        return zipfile.ZipFile(io.BytesIO(await r.read()))


def _csv(z: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(z.read(name).decode("utf-8"))))


async def test_a_practice_round_through_the_server(start_server, tmp_path):
    server = await start_server()
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(scenario="classic", copies=2, rounds=2, negotiation=False, practice_round=True,
                                   round_seconds=600)
        assert session["options"]["practice_round"] is True
        west = await api.join(session["code"], "Wanda")
        east = await api.join(session["code"], "Eric")
        await api.control(session, "move_player", player=east["player_id"], firm="east1")
        await api.control(session, "fill_bots")
        w = await Client.login(server.url, west["player_token"], name="w")
        e = await Client.login(server.url, east["player_token"], name="e")
        assert (await api.control(session, "start"))["result"]["phase"] == "practice"
        view = (await w.resync())
        assert view["phase"] == "practice" and view["practice"]["round"] == 0 and view["current_round"] is None
        assert all(a["partner_imagined"] for a in view["practice"]["alliances"])
        plan = practice.bot_decision(server.hub.sessions[session["session_id"]].session, west["firm"])
        # attacks: a real round's decision, a draft, junk
        r = await w.cmd("submit", decision=plan, round=1)
        assert r["type"] == "error" and r["code"] == "wrong_phase", r
        r = await w.cmd("draft", fields={"protect": 3})
        assert r["type"] == "error" and r["code"] == "wrong_phase", r
        r = await w.cmd("submit", decision={"develop": {"nowhere": 1}}, round=0)
        assert r["type"] == "error", r
        ack = await w.ok("submit", decision=plan, round=0)
        assert ack["result"]["practice"] is True
        r = await w.cmd("submit", decision=plan, round=0)  # twice
        assert r["type"] == "error" and r["code"] == "already_submitted", r
        # the other firm's player never hears of west's practice decision
        await e.resync()
        assert not [m for m in e.messages if m["type"] == "submitted" and m.get("firm") == west["firm"]]
        summary = await api.summary(session)
        assert summary["status"]["practice"]["waiting_for"] == ["east1"]
    await server.stop()
    # a restart in the middle of the practice round: its state comes back from the log
    server = await start_server()
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        e = await Client.login(server.url, east["player_token"], name="e2")
        plan = practice.bot_decision(server.hub.sessions[session["session_id"]].session, "east1")
        await e.ok("submit", decision=plan, round=0)
        result = await e.wait_for(lambda m: m["type"] == "practice_result")
        assert result["round"] == 0 and result["source"] == "submitted" and result["result"]["position_after"]
        view = await e.resync()
        assert view["phase"] == "practice" and view["practice"]["result"] == result["result"]
        st = (await api.summary(session))["status"]["practice"]
        assert st["closed"] and st["reason"] == "all_submitted"
        # the real game: "start" again (nothing of the practice carried over)
        assert (await api.control(session, "start"))["result"]["phase"] == "execution"
        view = await e.resync()
        assert "practice" not in view and view["current_round"] == 1 and view["draft"] == {}
        # fresh: no cash, and the books hold only the real game's signing (no practice result)
        assert view["firm"]["cash"] == 0 and [x["type"] for x in view["history"]] == ["alliance_signed"]
        r = await e.cmd("submit", decision=plan, round=0)
        assert r["type"] == "error" and r["code"] == "stale_round", r
        status, body = await api.request("POST", f"/api/sessions/{session['session_id']}/control",
                                         {"action": "end_round"}, token=session["facilitator_token"])
        assert status == 200 and body["result"]["round"] == 1
        await api.control(session, "end_round")
        z = await _export(api, session)
    await server.stop()
    # the export marks the practice: practice.csv (round 0, practice 1), phase practice in events.csv
    rows = _csv(z, "practice.csv")
    assert sorted(r["firm"] for r in rows) == ["east1", "east2", "west1", "west2"]
    assert {(r["round"], r["practice"]) for r in rows} == {("0", "1")}
    by_firm = {r["firm"]: r for r in rows}
    assert by_firm["west1"]["by"] == west["player_id"] and by_firm["west1"]["source"] == "submitted"
    assert by_firm["west2"]["source"] == "bot" and by_firm["west2"]["by"] == "bot:west2"
    events = _csv(z, "events.csv")
    practice_rows = [r for r in events if r["type"].startswith("practice_")]
    assert [(r["type"], r["phase"], r["round"]) for r in practice_rows if r["phase"] != "practice" or r["round"] != "0"] == []
    assert not [r for r in events if r["kind"] == "event" and r["phase"] == "practice"]  # no engine event of it
    # rounds.csv holds the real rounds only, and the replay reproduces them exactly
    assert sorted({r["round"] for r in _csv(z, "rounds.csv")}) == ["1", "2"]
    from game_rules.__main__ import main as game_rules
    path = Path(tmp_path) / "export.zip"
    with zipfile.ZipFile(path, "w") as out:
        for n in z.namelist():
            out.writestr(n, z.read(n))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert game_rules(["replay", str(path)]) == 0
    assert "no differences" in printed.getvalue()
