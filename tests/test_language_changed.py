"""A participant's language through the real server (issue 18): a player's socket declares
its page language in `auth`; when it differs from the one logged at the join, the server
logs `language_changed` (once), the player's view carries the scenario texts in the new
language, and players.csv exports the latest language (docs/codebook.md)."""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing

from conftest import Client
from game_rules.scenario import load_scenario
from test_research_data import rows_of, unzip


async def login(url: str, token: str, language: str | None) -> tuple[Client, dict]:
    c = await Client.open(url, binary=False)
    await c.send({"type": "auth", "token": token, **({"language": language} if language else {})})
    await c.wait_for(lambda m: m["type"] == "welcome")
    return c, (await c.wait_for(lambda m: m["type"] == "view"))["view"]


def language_facts(db_path, session_id: str) -> list[dict]:
    with closing(sqlite3.connect(db_path)) as con:
        return [json.loads(d) for (d,) in con.execute(
            "SELECT data FROM log WHERE type = 'language_changed' AND session_id = ? ORDER BY seq", (session_id,))]


async def test_a_language_change_is_logged_shown_and_exported(server, api, clients, db_path):
    session = await api.create(scenario="classic", copies=1, negotiation=False)
    lea = await api.join(session["code"], "Léa", language="de-DE")
    sam = await api.join(session["code"], "Sam", language="en-GB")
    classic = load_scenario("classic")

    c, view = await login(server.url, lea["player_token"], "de-DE")  # the same language: nothing logged
    clients.append(c)
    assert view["me"]["texts"]["language"] == "de"
    assert language_facts(db_path, session["session_id"]) == []

    c, view = await login(server.url, lea["player_token"], "fr")  # the switcher chose French
    clients.append(c)
    role = classic.translations["fr"].roles[view["firm"]["role"]]
    assert view["me"]["texts"] == {"language": "fr", "case": classic.translations["fr"].case,
                                   "role_name": role.name, "brief": role.brief}
    assert view["case"] == classic.text.case  # the firm's shared part stays English for its other players
    c, _ = await login(server.url, lea["player_token"], "fr")  # again French: not logged twice
    clients.append(c)
    assert language_facts(db_path, session["session_id"]) == [
        {"player_id": lea["player_id"], "language": "fr", "from": "de-DE"}]

    c, view = await login(server.url, sam["player_token"], None)  # English, no language sent
    clients.append(c)
    assert "texts" not in view["me"] and view["firm"]["brief"] == classic.role(view["firm"]["role"]).brief

    bad = await Client.open(server.url, binary=False)
    clients.append(bad)
    await bad.send({"type": "auth", "token": lea["player_token"], "language": "fr; DROP"})
    err = await bad.wait_for(lambda m: m["type"] == "error")
    assert err["code"] == "wrong_type" and "language" in err["message"], err
    assert len(language_facts(db_path, session["session_id"])) == 1

    status, archive = await export(api, session)
    assert status == 200
    players = {p["player_id"]: p for p in rows_of(unzip(archive), "players.csv")}
    assert players[lea["player_id"]]["language"] == "fr"
    assert players[sam["player_id"]]["language"] == "en-GB"


async def export(api, session) -> tuple[int, bytes]:
    async with api.http.get(f"{api.url}/api/sessions/{session['session_id']}/export",
                            headers={"Authorization": f"Bearer {session['researcher_token']}"}) as r:
        return r.status, await r.read()


async def test_the_debrief_notes_follow_the_page_language(server, api):
    session = await api.create(scenario="classic", copies=1, negotiation=False)
    path, fac = f"/api/web/history/{session['session_id']}", session["facilitator_token"]
    classic = load_scenario("classic")
    for query, expected in (("?lang=fr-FR", classic.translations["fr"].debrief),
                            ("?lang=zh", classic.translations["zh"].debrief),
                            ("?lang=it", classic.text.debrief), ("", classic.text.debrief)):
        status, frame = await api.request("GET", path + query, token=fac)
        assert status == 200 and frame["debrief_text"] == expected, query


async def test_the_join_link_and_its_qr_code_carry_the_session_language(server, api, clients):
    from server.http.pages import _qr
    french = await api.create(scenario="classic", copies=1, negotiation=False, language="fr")
    plain = await api.create(scenario="classic", copies=1, negotiation=False)
    assert french["join_url"].endswith(f"/join?code={french['code']}&lang=fr")
    assert plain["join_url"].endswith(f"/join?code={plain['code']}")
    console = await Client.login(server.url, french["facilitator_token"])  # the console's link
    clients.append(console)
    assert console.view["session"]["join_url"] == french["join_url"]
    for s in (french, plain):  # the QR code the console shows encodes exactly that link
        async with api.http.get(f"{api.url}/qr/{s['code']}.svg") as r:
            assert r.status == 200 and await r.read() == _qr(s["join_url"], "QR code: join link")
