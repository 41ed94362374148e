"""Participants in research sessions, through the real server: participant-label lists
(a label joins once and comes back to the same seat), informed consent (enforced before
seating, logged, declines too), the closing questionnaire (debrief only), and what the
export says about them."""
from __future__ import annotations

import io
import json
import sqlite3
import zipfile

from conftest import Client


def facts(db_path, sid: str) -> list[tuple[str, str | None, dict]]:
    con = sqlite3.connect(db_path)
    try:
        return [(t, a, json.loads(d)) for t, a, d in con.execute(
            "SELECT type, actor, data FROM log WHERE session_id = ? AND kind = 'system' ORDER BY seq", (sid,))]
    finally:
        con.close()


async def auth_error(server, token: str) -> dict:
    c = await Client.open(server.url, binary=False, name="probe")
    try:
        await c.send({"type": "auth", "token": token})
        return await c.wait_for(lambda m: m["type"] in ("error", "welcome"))
    finally:
        await c.close()


async def test_label_list_joins_once_and_rejoins_the_same_seat(server, api, clients, db_path):
    session = await api.create(scenario="classic", copies=2, negotiation=False, labels=["L01", "L02", "L03"])
    first = await api.join(session["code"], "Ann", label="L01")
    await api.join(session["code"], "Ben", label=" L02 ")
    assert first["firm"] == "west1" and "rejoined" not in first
    # the same label alone is not a key to the seat (labels are often known student numbers)
    status, err = await api.request("POST", "/api/join", {"code": session["code"], "name": "Eve", "label": "L01"})
    assert status == 409 and err["error"]["code"] == "seat_taken", err
    # with the seat's rejoin code: the same player and seat, a new token; the old one is revoked
    again = await api.join(session["code"], "Ann on another laptop", label="L01",
                           rejoin_code=first["rejoin_code"].lower().replace("-", " "))
    assert (again["player_id"], again["firm"], again["rejoined"]) == (first["player_id"], "west1", True)
    assert again["player_token"] != first["player_token"] and again["rejoin_code"] != first["rejoin_code"]
    c = await Client.login(server.url, again["player_token"], name="ann")
    clients.append(c)
    assert c.view["me"]["player_id"] == first["player_id"] and c.view["firm"]["id"] == "west1"
    assert (await auth_error(server, first["player_token"]))["code"] == "token_revoked"
    # the old code was used up: a new one came with the new seat's token
    status, err = await api.request("POST", "/api/join", {"code": session["code"], "name": "Eve", "label": "L01",
                                                          "rejoin_code": first["rejoin_code"]})
    assert status == 409 and err["error"]["code"] == "seat_taken", err
    # not on the list, or no label at all: refused with a clear error
    for body in ({"label": "L99"}, {}):
        status, err = await api.request("POST", "/api/join", {"code": session["code"], "name": "Eve", **body})
        assert status == 403 and err["error"]["code"] == "unknown_label", err
    # no second seat was made: two players, one rejoin logged
    summary = await api.summary(session)
    assert len(summary["status"]["players"]) == 2
    log = facts(db_path, session["session_id"])
    assert [t for t, _, _ in log].count("player_joined") == 2
    rejoined = [d for t, _, d in log if t == "player_rejoined"]
    assert len(rejoined) == 1 and rejoined[0]["player_id"] == first["player_id"]

    # fixed seats: a map label -> firm
    fixed = await api.create(scenario="classic", copies=2, negotiation=False, labels={"A": "east2", "B": "west1", "C": None})
    assert (await api.join(fixed["code"], "x", label="A"))["firm"] == "east2"
    assert (await api.join(fixed["code"], "y", label="B"))["firm"] == "west1"
    status, err = await api.try_create(labels={"A": "north9"})
    assert status == 400 and err["error"]["code"] == "invalid_options"


async def test_consent_is_required_logged_and_exported(server, api, clients, db_path):
    text = "You take part in a study on alliances. Your choices are recorded under a random id."
    session = await api.create(scenario="classic", negotiation=False, consent_text=text, labels=["P1", "P2", "P3"])
    sid = session["session_id"]
    j = await api.join(session["code"], "Carla", label="P1")
    assert j["consent_required"] is True and j["consent_text"] == text and "firm" not in j
    # not seated: the token cannot open the game, nor answer anything
    err = await auth_error(server, j["player_token"])
    assert err["type"] == "error" and err["code"] == "consent_required"
    status, body = await api.request("GET", "/api/questionnaire", token=j["player_token"])
    assert status == 403 and body["error"]["code"] == "consent_required"
    assert await api.summary(session) and not (await api.summary(session))["status"]["players"]

    status, seated = await api.request("POST", "/api/consent", {"consent": True}, token=j["player_token"])
    assert status == 200 and seated["consented"] and seated["firm"] == "west1"
    c = await Client.login(server.url, j["player_token"], name="carla")
    clients.append(c)
    assert c.view["me"]["player_id"] == j["player_id"]
    status, again = await api.request("POST", "/api/consent", {"consent": True}, token=j["player_token"])
    assert status == 200 and again["already"]

    # a refusal is logged; the token never becomes a player's
    d = await api.join(session["code"], "Dan", label="P2")
    status, declined = await api.request("POST", "/api/consent", {"consent": False}, token=d["player_token"])
    assert status == 200 and declined == {"player_id": d["player_id"], "consented": False, "seated": False}
    assert (await auth_error(server, d["player_token"]))["code"] == "bad_token"
    # the same label seated before comes back (with its rejoin code) without a second consent
    back = await api.join(session["code"], "Carla", label="P1", rejoin_code=j["rejoin_code"])
    assert back.get("rejoined") and not back.get("consent_required") and back["player_id"] == j["player_id"]

    log = facts(db_path, sid)
    types = [t for t, _, _ in log]
    given = types.index("consent_given")
    assert types[given + 1] == "player_joined" and log[given + 1][2]["player_id"] == j["player_id"]
    assert log[given][2]["player_id"] == j["player_id"] and len(log[given][2]["consent_sha256"]) == 64
    assert [d_ for t, _, d_ in log if t == "consent_declined"][0]["player_id"] == d["player_id"]
    assert types.count("player_joined") == 1

    async with api.http.get(f"{api.url}/api/sessions/{sid}/export",
                            headers={"Authorization": f"Bearer {session['researcher_token']}"}) as r:
        assert r.status == 200
        z = zipfile.ZipFile(io.BytesIO(await r.read()))
    players = z.read("players.csv").decode().splitlines()
    assert any(line.startswith(f"{sid},{j['player_id']},west1,west1,") and ",given," in line for line in players)
    assert any(line.startswith(f"{sid},{d['player_id']},,,") and ",declined," in line for line in players)
    config = json.loads(z.read(f"config/{sid}.json"))
    assert config["options"]["consent_text"] == text
    assert config["options"]["labels"] is None and config["options"]["labels_removed"] == 3
    assert b"P1" not in z.read("log.jsonl")


async def test_questionnaire_only_in_the_debrief(server, api, clients, db_path):
    session = await api.create(scenario="classic", rounds=1, negotiation=False,
                               questionnaire=[{"id": "fair", "text": "Fair?"},
                                              {"id": "pick", "text": "Pick", "kind": "choice", "choices": ["a", "b"]}])
    j = await api.join(session["code"], "Fay")
    tok = j["player_token"]
    status, body = await api.request("POST", "/api/questionnaire", {"answers": {"fair": 3}}, token=tok)
    assert status == 409 and body["error"]["code"] == "wrong_phase"
    await api.control(session, "fill_bots")
    await api.control(session, "start")
    await api.control(session, "end_round")  # the person did not submit: default; the game is over
    for answers, code in (({"nope": 1}, "unknown_field"), ({"pick": "c"}, "out_of_range"),
                          ({"fair": True}, "wrong_type"), ({"fair": 6}, "out_of_range"), ({}, "missing_field")):
        status, body = await api.request("POST", "/api/questionnaire", {"answers": answers}, token=tok)
        assert status == 400 and body["error"]["code"] == code, (answers, body)
    status, body = await api.request("POST", "/api/questionnaire", {"answers": {"fair": 5, "pick": "b"}}, token=tok)
    assert status == 200 and body == {"answered": ["fair", "pick"]}
    status, body = await api.request("POST", "/api/questionnaire", {"answers": {"fair": 5}},
                                     token=session["facilitator_token"])
    assert status == 403
    answered = [d for t, a, d in facts(db_path, session["session_id"]) if t == "questionnaire_answered"]
    assert answered == [{"player_id": j["player_id"], "firm": j["firm"], "answers": {"fair": 5, "pick": "b"}}]
    # a session without questionnaire says so
    plain = await api.create(scenario="classic")
    p = await api.join(plain["code"], "Gus")
    status, body = await api.request("GET", "/api/questionnaire", token=p["player_token"])
    assert status == 200 and body["questions"] == [] and body["open"] is False


async def test_label_rejoin_survives_a_restart(start_server, db_path):
    import aiohttp
    from conftest import Api
    first = await start_server()
    async with aiohttp.ClientSession() as http:
        api = Api(first.url, http)
        session = await api.create(scenario="classic", negotiation=False, labels=["R1", "R2"])
        j = await api.join(session["code"], "Rita", label="R1")
    await first.stop()
    second = await start_server()
    async with aiohttp.ClientSession() as http:
        api = Api(second.url, http)
        # the seat's rejoin code survives the restart
        back = await api.join(session["code"], "Rita", label="R1", rejoin_code=j["rejoin_code"])
        assert (back["player_id"], back["firm"], back["rejoined"]) == (j["player_id"], j["firm"], True)
        c = await Client.login(second.url, back["player_token"], name="rita")
        try:
            assert c.view["me"]["player_id"] == j["player_id"]
        finally:
            await c.close()
        assert (await auth_error(second, j["player_token"]))["code"] == "token_revoked"
    await second.stop()
    third = await start_server()  # the new token is the one restored
    try:
        c = await Client.login(third.url, back["player_token"], name="rita2")
        await c.close()
        assert (await auth_error(third, j["player_token"]))["code"] == "bad_token"
    finally:
        await third.stop()
