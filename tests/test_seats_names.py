"""One seat per name (issue 15, "Seats and teams"): a join whose name is seated is refused
with 409 `name_taken`; the seat moves to a new device only with its rejoin code or the
facilitator's approval, the old device's token is revoked with a clear message; never a
second silent player. Attacked as a hostile student: lookalike names, guessed codes,
another session's code, a revoked token."""
from __future__ import annotations

import pytest

from server.seats import CODE_TRIES

from conftest import Client


async def _join(api, code, name, **kw):
    return await api.request("POST", "/api/join", {"code": code, "name": name, **kw})


async def _players(api, s):
    return (await api.summary(s))["status"]["players"]


@pytest.mark.parametrize("twin", ["anna b", "  ANNA   B ", "Anna-B.", "Аnna B",  # Cyrillic А
                                  "Ａｎｎａ Ｂ", "An\u200bna B", "Anna\u00a0B"])
async def test_a_seated_name_is_refused_whatever_its_case_spaces_or_lookalikes(api, twin):
    s = await api.create(copies=1, rounds=3, negotiation=False)
    first = await api.join(s["code"], "Anna B")
    status, body = await _join(api, s["code"], twin)
    assert status == 409 and body["error"]["code"] == "name_taken", body
    assert [p["player_id"] for p in await _players(api, s)] == [first["player_id"]]  # no second player


async def test_label_lists_and_different_names_are_not_affected(api):
    s = await api.create(copies=1, rounds=3, negotiation=False)
    await api.join(s["code"], "Anna")
    assert (await api.join(s["code"], "Anna Lena"))["player_id"]  # another name
    lab = await api.create(copies=1, rounds=3, negotiation=False, labels=["S1", "S2"])
    a = await api.join(lab["code"], "Alex", label="S1")
    b = await api.join(lab["code"], "Alex", label="S2")  # a label list: the label is the seat
    assert a["player_id"] != b["player_id"]


async def test_the_rejoin_code_moves_the_seat_and_revokes_the_old_device(server, api, clients):
    s = await api.create(copies=1, rounds=3, negotiation=False)
    first = await api.join(s["code"], "Bo")
    old_phone = await Client.login(server.url, first["player_token"], name="old")
    clients.append(old_phone)
    status, body = await _join(api, s["code"], "bo", rejoin_code=first["rejoin_code"].lower().replace("-", " "))
    assert status == 200 and body["rejoined"] is True and body["player_id"] == first["player_id"], body
    assert body["rejoin_code"] != first["rejoin_code"]  # a new code for the new device
    code, reason = await old_phone.wait_closed()
    assert code == 4403 and "another device" in reason
    status, err = await api.request("GET", "/api/web/context", token=first["player_token"])
    assert status == 401 and err["error"]["code"] == "token_revoked"
    # the new device plays the seat; still one player
    new = await Client.login(server.url, body["player_token"], name="new")
    clients.append(new)
    assert new.view["me"]["player_id"] == first["player_id"]
    assert len(await _players(api, s)) == 1
    # the old code no longer works (the seat has a new one)
    status, err = await _join(api, s["code"], "Bo", rejoin_code=first["rejoin_code"])
    assert status == 403 and err["error"]["code"] == "bad_rejoin_code"


async def test_guessing_a_seats_code_locks_it_to_the_facilitator(api):
    s = await api.create(copies=1, rounds=3, negotiation=False)
    first = await api.join(s["code"], "Cy")
    wrong = "ZZZ-ZZZ" if first["rejoin_code"] != "ZZZ-ZZZ" else "YYY-YYY"
    for _ in range(CODE_TRIES):
        status, err = await _join(api, s["code"], "Cy", rejoin_code=wrong)
        assert status == 403 and err["error"]["code"] == "bad_rejoin_code"
    # even the right code no longer moves it: only the facilitator can
    status, err = await _join(api, s["code"], "Cy", rejoin_code=first["rejoin_code"])
    assert status == 403 and err["error"]["code"] == "bad_rejoin_code"
    assert len(await _players(api, s)) == 1


async def test_another_sessions_code_does_not_move_a_seat(api):
    a = await api.create(copies=1, rounds=3, negotiation=False)
    b = await api.create(copies=1, rounds=3, negotiation=False)
    in_a = await api.join(a["code"], "Dee")
    in_b = await api.join(b["code"], "Dee")
    status, err = await _join(api, a["code"], "Dee", rejoin_code=in_b["rejoin_code"])
    assert status == 403 and err["error"]["code"] == "bad_rejoin_code"
    assert [p["player_id"] for p in await _players(api, a)] == [in_a["player_id"]]


async def test_the_facilitator_approves_a_new_device(server, api, clients):
    s = await api.create(copies=1, rounds=3, negotiation=False)
    first = await api.join(s["code"], "Eli")
    old_phone = await Client.login(server.url, first["player_token"], name="old")
    fac = await Client.login(server.url, s["facilitator_token"], name="fac")
    clients += [old_phone, fac]
    status, asked = await _join(api, s["code"], "ELI", takeover=True)
    assert status == 200 and asked["seat_request"] == "pending" and "player_id" not in asked, asked
    poll = f"/api/sessions/{s['session_id']}/seat_request"
    status, st = await api.request("GET", poll, token=asked["player_token"])
    assert status == 200 and st["seat_request"] == "pending"
    # the pending token is nobody's yet
    status, err = await api.request("GET", "/api/web/context", token=asked["player_token"])
    assert status == 401
    # the console lists the request: who asks for whose seat
    reqs = (await api.summary(s))["status"]["seat_requests"]
    assert [(r["name"], r["seat_name"], r["player_id"]) for r in reqs] == [("ELI", "Eli", first["player_id"])]
    r = await fac.ok("control", action="approve_seat", request=asked["request"])
    assert r["result"]["player_id"] == first["player_id"]
    code, reason = await old_phone.wait_closed()
    assert code == 4403 and "new device" in reason and "facilitator" in reason
    status, st = await api.request("GET", poll, token=asked["player_token"])
    assert status == 200 and st["seat_request"] == "approved" and st["player_id"] == first["player_id"], st
    new = await Client.login(server.url, asked["player_token"], name="new")
    clients.append(new)
    assert new.view["me"]["player_id"] == first["player_id"]
    summary = await api.summary(s)
    assert len(summary["status"]["players"]) == 1 and "seat_requests" not in summary["status"]
    # decided: approving again is refused, nothing changes
    r = await fac.cmd("control", action="approve_seat", request=asked["request"])
    assert r["type"] == "error" and r["code"] == "not_found"


async def test_the_facilitator_refuses_a_new_device(server, api, clients):
    s = await api.create(copies=1, rounds=3, negotiation=False)
    first = await api.join(s["code"], "Flo")
    old_phone = await Client.login(server.url, first["player_token"], name="old")
    clients.append(old_phone)
    _, asked = await _join(api, s["code"], "flo", takeover=True)
    await api.control(s, "refuse_seat", request=asked["request"])
    status, err = await api.request("GET", f"/api/sessions/{s['session_id']}/seat_request", token=asked["player_token"])
    assert status == 401 and err["error"]["code"] == "token_revoked" and "refused" in err["error"]["message"]
    # the first device plays on
    assert (await old_phone.resync())["me"]["player_id"] == first["player_id"]
    assert len(await _players(api, s)) == 1


async def test_a_newer_request_replaces_the_older_and_requests_are_bounded(api):
    s = await api.create(copies=1, rounds=3, negotiation=False)
    await api.join(s["code"], "Gus")
    _, one = await _join(api, s["code"], "Gus", takeover=True)
    _, two = await _join(api, s["code"], "gus", takeover=True)
    assert len((await api.summary(s))["status"]["seat_requests"]) == 1
    status, err = await api.request("GET", f"/api/sessions/{s['session_id']}/seat_request", token=one["player_token"])
    assert status == 401 and err["error"]["code"] == "token_revoked"
    status, st = await api.request("GET", f"/api/sessions/{s['session_id']}/seat_request", token=two["player_token"])
    assert st["seat_request"] == "pending"
    # another session's id with this token: nothing to see
    other = await api.create(copies=1, rounds=3, negotiation=False)
    status, err = await api.request("GET", f"/api/sessions/{other['session_id']}/seat_request",
                                    token=two["player_token"])
    assert status == 401 and err["error"]["code"] == "bad_token"
