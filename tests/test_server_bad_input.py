"""Bad input: every refusal is an `error` with a stable code, changes nothing, and leaves
the socket usable, until a client floods or keeps sending garbage (then it is closed)."""
from __future__ import annotations

import json

import aiohttp
import msgpack
import pytest

from conftest import TEST_ADMIN_KEY, Api, Client


LIMITS = {"max_frame_bytes": 4096, "garbage_strikes": 12}


@pytest.fixture(params=[{}])
async def small_server(start_server, request):
    return await start_server(**LIMITS, **request.param)


@pytest.fixture
async def game(small_server, clients):
    async with aiohttp.ClientSession() as http:
        api = Api(small_server.url, http)
        session = await api.create(copies=1, rounds=3, negotiation=False)
        players = []
        for i in range(2):
            j = await api.join(session["code"], f"b{i}")
            c = await Client.login(small_server.url, j["player_token"], binary=bool(i), name=f"b{i}")
            c.joined = j
            clients.append(c)
            players.append(c)
        yield small_server, api, session, players


async def _error(c: Client, frame, code: str, id: str | None = None) -> dict:
    await c.send(frame)
    m = await c.wait_for(lambda m: m["type"] == "error" and (id is None or m.get("id") == id))
    assert m["code"] == code, m
    assert m["message"]
    return m


async def _still_usable(c: Client) -> None:
    await c.ok("ping")


async def test_malformed_frames(game):
    server, api, session, (west, east) = game
    for c in (west, east):  # JSON text and msgpack binary
        await _error(c, {"type": "launch_missiles", "id": "x1"}, "unknown_type", "x1")
        await _error(c, {"id": "x2"}, "missing_field", "x2")
        await _error(c, {"type": "chat", "id": "x3", "to": "firm"}, "missing_field", "x3")
        await _error(c, {"type": "chat", "id": "x4", "to": "firm", "text": 42}, "wrong_type", "x4")
        await _error(c, {"type": "draft", "id": "x5", "fields": {}, "round": "1"}, "wrong_type", "x5")
        await _error(c, {"type": "draft", "id": "x6", "fields": {}, "round": True}, "wrong_type", "x6")
        await _error(c, {"type": "ping", "id": "x7", "extra": 1}, "unknown_field", "x7")
        await _error(c, {"type": "chat", "id": "x8", "to": "everyone", "text": "hi"}, "out_of_range", "x8")
        await _error(c, {"type": "ping", "id": 7}, "wrong_type")
        await _still_usable(c)
    await _error(west, "this is not json", "bad_frame")
    await _error(west, "[1, 2, 3]", "bad_frame")
    await _error(east, b"\xc1\xc1\xc1", "bad_frame")
    # non-finite numbers: NaN in JSON text, infinity in msgpack
    # (answered with the command's id: a client waiting for that command's answer gets it)
    await _error(west, '{"type":"draft","id":"n1","fields":{"protect":NaN}}', "not_finite", "n1")
    await _error(east, msgpack.packb({"type": "draft", "id": "n2", "fields": {"absorb": {"design": float("inf")}}}),
                 "not_finite", "n2")
    await _error(east, msgpack.packb({"type": "ping", "id": "n3", "client_time": float("nan")}), "not_finite", "n3")
    await _error(west, '{"type":"draft","id":"p1","fields":{"__proto__":{"admin":true}}}', "unknown_field", "p1")
    m = await _error(east, msgpack.packb({"type": "ping", "id": "bad\x00id", "client_time": float("nan")}),
                     "not_finite")
    assert m["id"] is None  # an id that could not be stored is not echoed either
    await _still_usable(west)
    await _still_usable(east)


async def test_oversize_frames(game):
    server, api, session, (west, east) = game
    big = json.dumps({"type": "chat", "id": "big", "to": "firm", "text": "x" * 5000})
    await _error(west, big, "frame_too_large")
    await _still_usable(west)
    # far above the limit: the server closes the socket (1009, message too big)
    await east.send(b"\x00" * (4096 * 4 + 100))
    code, _ = await east.wait_closed()
    assert code == 1009


async def test_refused_commands_change_nothing(game):
    server, api, session, (west, east) = game
    # out of phase: nothing to submit or negotiate in the lobby
    await _error(west, {"type": "submit", "id": "p1", "decision": {}}, "wrong_phase", "p1")
    await _error(west, {"type": "draft", "id": "p2", "fields": {"protect": 1}}, "wrong_phase", "p2")
    await _error(west, {"type": "control", "id": "p3", "action": "start"}, "forbidden", "p3")
    await api.control(session, "start")
    await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    await west.ok("draft", fields={"contribute": {"design": 20}})
    before = await west.resync()
    await _error(west, {"type": "negotiate", "id": "q1", "action": "walk_away"}, "wrong_phase", "q1")
    # another firm's decision, in a submit or in a draft
    await _error(west, {"type": "submit", "id": "q2", "decision": {"firm": "east1"}}, "not_your_firm", "q2")
    await _error(west, {"type": "draft", "id": "q3", "fields": {"firm": "east1"}}, "not_your_firm", "q3")
    # a stale round
    await _error(west, {"type": "draft", "id": "q4", "round": 0, "fields": {"protect": 1}}, "stale_round", "q4")
    await _error(west, {"type": "submit", "id": "q5", "round": 2}, "stale_round", "q5")
    # decisions the engine refuses
    await _error(west, {"type": "submit", "id": "q6", "decision": {"develop": {"design": 500}}}, "over_budget", "q6")
    await _error(west, {"type": "submit", "id": "q7", "decision": {"develop": {"design": -5}}}, "negative", "q7")
    await _error(west, {"type": "submit", "id": "q8", "decision": {"absorb": {"brand": 5}}}, "out_of_scope", "q8")
    await _error(west, {"type": "submit", "id": "q9", "decision": {"develop": {"magic": 5}}}, "unknown_domain", "q9")
    await _error(west, {"type": "submit", "id": "q10", "decision": {"bribe": 5}}, "unknown_field", "q10")
    await _error(west, {"type": "draft", "id": "q11", "fields": {"protect": "lots"}}, "wrong_type", "q11")
    await _error(west, {"type": "auth", "token": "again"}, "already_authenticated")
    after = await west.resync()
    for k in ("draft", "submitted", "round", "firm", "chat"):
        assert after[k] == before[k]
    # a refused id is not remembered: the same id may be used for a good command
    r = await west.cmd("submit", id="q6", decision={"develop": {"design": 50}})
    assert r["type"] == "ack" and not r.get("duplicate")


async def test_tokens(game):
    server, api, session, (west, east) = game
    c = await Client.open(server.url, name="anon")
    try:
        await _error(c, {"type": "ping", "id": "a1"}, "not_authenticated", "a1")
        await _error(c, {"type": "auth", "token": "not-a-token", "id": "a2"}, "bad_token", "a2")
        # the socket is still usable: a good token now works
        await c.send({"type": "auth", "token": west.joined["player_token"]})
        w = await c.wait_for(lambda m: m["type"] == "welcome")
        assert w["firm"] == "west1"
    finally:
        await c.close()
    await api.control(session, "end_session")
    await west.wait_closed()
    late = await Client.open(server.url, name="late")
    try:
        await _error(late, {"type": "auth", "token": west.joined["player_token"]}, "token_expired")
        await _error(late, {"type": "auth", "token": session["facilitator_token"]}, "token_expired")
    finally:
        await late.close()
    # the ended session stays readable by its facilitator (summary, debrief, export), never writable
    status, body = await api.request("GET", f"/api/sessions/{session['session_id']}", token=session["facilitator_token"])
    assert status == 200 and body["session"]["status"] == "ended", body
    status, body = await api.request("POST", f"/api/sessions/{session['session_id']}/control",
                                     {"action": "start"}, token=session["facilitator_token"])
    assert status == 401 and body["error"]["code"] == "token_expired"


@pytest.mark.parametrize("small_server", [{"rate_per_second": 5, "rate_burst": 5, "flood_strikes": 8}],
                         indirect=True)
async def test_flooding_closes_the_socket(game):
    server, api, session, (west, east) = game
    for i in range(30):
        await west.send({"type": "ping", "id": f"f{i}"})
    limited = await west.wait_for(lambda m: m["type"] == "error" and m["code"] == "rate_limited")
    assert limited["id"].startswith("f")
    code, reason = await west.wait_closed()
    assert code == 1008 and "flood" in reason
    await _still_usable(east)


async def test_repeated_garbage_closes_the_socket(game):
    server, api, session, (west, east) = game
    for _ in range(12):
        await west.send("garbage")
    code, reason = await west.wait_closed()
    assert code == 1008 and "invalid" in reason
    assert sum(1 for m in west.messages if m.get("code") == "bad_frame") == 12


async def test_http_bad_input(api, server):
    assert (await api.request("POST", "/api/sessions", raw="{nope", token=TEST_ADMIN_KEY))[1]["error"]["code"] == "bad_request"
    status, body = await api.try_create(copies="two")
    assert status == 400 and body["error"]["code"] == "wrong_type"
    status, body = await api.try_create(copies=0)
    assert status == 400 and body["error"]["code"] == "out_of_range"
    status, body = await api.try_create(scenario="nope")
    assert status == 404 and body["error"]["code"] == "unknown_scenario"
    status, body = await api.try_create(round_seconds=1e400)
    assert status == 400 and body["error"]["code"] == "not_finite"
    status, body = await api.request("POST", "/api/join", {"code": "ZZZZ-ZZZZ", "name": "x"})
    assert status == 404 and body["error"]["code"] == "unknown_code"
    session = await api.create(negotiation=False)
    j = await api.join(session["code"].lower().replace("-", ""), "lowercase is fine")
    path = f"/api/sessions/{session['session_id']}"
    assert (await api.request("GET", path))[0] == 401
    assert (await api.request("GET", path, token="wrong"))[1]["error"]["code"] == "bad_token"
    assert (await api.request("GET", path, token=j["player_token"]))[1]["error"]["code"] == "forbidden"
    other = await api.create()
    assert (await api.request("GET", path, token=other["facilitator_token"]))[0] == 403
    status, body = await api.request("POST", path + "/control", {"action": "end_round"}, token=session["facilitator_token"])
    assert status == 409 and body["error"]["code"] == "wrong_phase"
    status, body = await api.request("POST", path + "/control", {"action": "fill_bots", "strategy": "evil"},
                                     token=session["facilitator_token"])
    assert status == 400 and body["error"]["code"] == "unknown_strategy"
    status, body = await api.request("POST", path + "/control", {"action": "move_player", "player": "p_x", "firm": "east1"},
                                     token=session["facilitator_token"])
    assert status == 404 and body["error"]["code"] == "unknown_player"
