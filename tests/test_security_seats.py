"""Seats and tokens under attack (security review, item 4): the facilitator removes a
player, a revoked token closes its sockets at once, a label alone does not take a seat,
sockets per token and commands per player are capped, joins are budgeted per address and
per session, and a flood of unanswered consents evicts nobody."""
from __future__ import annotations

import asyncio
import json
import sqlite3

import aiohttp
import pytest

from server.participants import PendingConsents
from server.protocol import ProtocolError

from conftest import Api, Client


async def _auth_error(url: str, token: str) -> dict:
    c = await Client.open(url, binary=False)
    try:
        await c.send({"type": "auth", "token": token})
        return await c.wait_for(lambda m: m["type"] in ("error", "welcome"))
    finally:
        await c.close()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as s:
        yield s


async def test_the_facilitator_removes_a_player(start_server, http, clients, db_path):
    server = await start_server()
    api = Api(server.url, http)
    s = await api.create(copies=1, rounds=3, negotiation=False)
    eve = await api.join(s["code"], "Eve")
    ann = await api.join(s["code"], "Ann")
    mate = await api.join(s["code"], "Max")  # shares a firm with one of them
    fac = await Client.login(server.url, s["facilitator_token"], name="fac")
    phone = await Client.login(server.url, eve["player_token"], name="phone")
    laptop = await Client.login(server.url, eve["player_token"], name="laptop")
    clients += [fac, phone, laptop]
    # refusals first: nothing changes
    for fields, code in (({}, "missing_field"), ({"player_id": "p_nobody"}, "unknown_player")):
        r = await fac.cmd("control", action="remove_player", **fields)
        assert r["type"] == "error" and r["code"] == code, r
    r = await fac.ok("control", action="remove_player", player_id=eve["player_id"])
    assert r["result"] == {"player_id": eve["player_id"], "firm": eve["firm"]}
    # every socket of the token closes at once, saying why; the token is dead
    for c in (phone, laptop):
        code, reason = await c.wait_closed()
        assert code == 4403 and "removed" in reason
    err = await _auth_error(server.url, eve["player_token"])
    assert err["code"] == "token_revoked" and "removed" in err["message"]
    summary = await api.summary(s)
    assert eve["player_id"] not in {p["player_id"] for p in summary["status"]["players"]}
    assert {ann["player_id"], mate["player_id"]} <= {p["player_id"] for p in summary["status"]["players"]}
    # a second removal of the same player is a clear error
    status, body = await api.request("POST", f"/api/sessions/{s['session_id']}/control",
                                     {"action": "remove_player", "player_id": eve["player_id"]},
                                     token=s["facilitator_token"])
    assert status == 404 and body["error"]["code"] == "unknown_player"
    await server.stop()
    # after a restart the token stays dead, and the log says who was removed
    server = await start_server()
    assert (await _auth_error(server.url, eve["player_token"]))["code"] == "bad_token"
    assert (await _auth_error(server.url, ann["player_token"]))["type"] == "welcome"
    db = sqlite3.connect(db_path)
    removed = [json.loads(d) for (d,) in db.execute("SELECT data FROM log WHERE type='player_removed'")]
    assert [r["player_id"] for r in removed] == [eve["player_id"]]
    # ended and restarted: the classmates' tokens say the session ended; the removed one's is
    # still unknown (it must not get the ended session's completion code)
    await Api(server.url, http).control(s, "end_session")
    await server.stop()
    server = await start_server()
    assert (await _auth_error(server.url, eve["player_token"]))["code"] == "bad_token"
    assert (await _auth_error(server.url, ann["player_token"]))["code"] == "token_expired"
    async with aiohttp.ClientSession() as h:
        for token, status in ((eve["player_token"], 401), (ann["player_token"], 200)):
            async with h.get(f"{server.url}/api/completion", headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == status, (token == ann["player_token"], await r.text())


async def test_a_label_alone_never_takes_a_seat(server, api, clients):
    s = await api.create(copies=1, negotiation=False, labels=["S1", "S2"])
    first = await api.join(s["code"], "Sam", label="S1")
    unlabelled = await api.join(s["code"], "Una", label="S2")
    old = await Client.login(server.url, first["player_token"], name="old")
    clients.append(old)
    fac = await Client.login(server.url, s["facilitator_token"], name="fac")
    clients.append(fac)
    # a classmate who knows the label: refused, however the code is guessed
    for guess in (None, "", "AAA-AAA", first["rejoin_code"][:-1] + "Z" if first["rejoin_code"][-1] != "Z" else "AAA-AAB"):
        body = {"code": s["code"], "name": "Mallory", "label": "S1", **({"rejoin_code": guess} if guess is not None else {})}
        status, err = await api.request("POST", "/api/join", body)
        assert status == 409 and err["error"]["code"] == "seat_taken", (guess, err)
    assert old.closed is None  # the seat's device was not touched
    # the facilitator lets the seat go once: the next join with the label takes it
    r = await fac.ok("control", action="allow_rejoin", player_id=first["player_id"])
    assert r["result"]["label"] == "S1"
    back = await api.join(s["code"], "Sam on a new phone", label="S1")
    assert back["rejoined"] and back["player_id"] == first["player_id"]
    code, reason = await old.wait_closed()  # revoking a token closes its live sockets
    assert code == 4403 and "another device" in reason
    status, err = await api.request("POST", "/api/join", {"code": s["code"], "name": "Mallory", "label": "S1"})
    assert status == 409 and err["error"]["code"] == "seat_taken"  # the approval was used up
    # only a labelled seat can be allowed
    un = await api.create(copies=1, negotiation=False)
    plain = await api.join(un["code"], "Pia")
    status, err = await api.request("POST", f"/api/sessions/{un['session_id']}/control",
                                    {"action": "allow_rejoin", "player_id": plain["player_id"]},
                                    token=un["facilitator_token"])
    assert status == 400 and err["error"]["code"] == "out_of_range"
    assert unlabelled["player_id"] != first["player_id"]


async def test_sockets_per_token_are_capped(start_server, http, clients):
    server = await start_server(max_sockets_per_token=3)
    api = Api(server.url, http)
    s = await api.create(copies=1, negotiation=False)
    j = await api.join(s["code"], "Tab")
    tabs = [await Client.login(server.url, j["player_token"], name=f"t{i}") for i in range(3)]
    clients += tabs
    err = await _auth_error(server.url, j["player_token"])
    assert err["type"] == "error" and err["code"] == "too_many_sockets"
    await tabs[0].close()
    clients.remove(tabs[0])
    # the slot is free again once the server saw the socket go
    for _ in range(50):
        err = await _auth_error(server.url, j["player_token"])
        if err["type"] == "welcome":
            break
        await asyncio.sleep(0.05)  # the server's side of the close is asynchronous: poll, bounded
    assert err["type"] == "welcome"


async def test_the_command_budget_is_per_player_not_per_socket(start_server, http, clients):
    server = await start_server(rate_per_second=0.5, rate_burst=5, flood_strikes=10**6)
    api = Api(server.url, http)
    s = await api.create(copies=1, negotiation=False)
    j = await api.join(s["code"], "Two")
    a = await Client.login(server.url, j["player_token"], name="a")
    b = await Client.login(server.url, j["player_token"], name="b")
    clients += [a, b]
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    replies = await asyncio.gather(*(c.cmd("ping") for c in (a, b) for _ in range(6)))
    elapsed = loop.time() - t0
    acked = sum(r["type"] == "ack" for r in replies)
    assert acked <= 5 + int(elapsed * 0.5) + 1, (acked, elapsed)
    assert all(r["code"] == "rate_limited" for r in replies if r["type"] == "error")


async def test_successful_joins_are_budgeted_per_address_and_per_session(start_server, http):
    server = await start_server(join_burst_per_address=3, join_per_minute_per_address=0.01,
                                join_burst_per_session=4, join_per_minute_per_session=0.01, trust_proxy=True)
    api = Api(server.url, http)
    s1 = await api.create(copies=2, negotiation=False)
    s2 = await api.create(copies=2, negotiation=False)

    names = iter(range(100))  # one seat per name: every join its own name

    async def join(code, addr):
        async with http.post(f"{server.url}/api/join", json={"code": code, "name": f"n{addr}-{next(names)}"},
                             headers={"X-Forwarded-For": addr}) as r:
            return r.status, await r.json(), r.headers.get("Retry-After")

    # per address: three joins, then 429 with Retry-After, whatever the session
    assert [(await join(s1["code"], "10.0.0.1"))[0] for _ in range(3)] == [200, 200, 200]
    status, body, retry = await join(s2["code"], "10.0.0.1")
    assert status == 429 and body["error"]["code"] == "rate_limited" and int(retry) >= 1
    # per session: a fourth address still fills s1 only up to its budget
    assert (await join(s1["code"], "10.0.0.2"))[0] == 200
    status, body, _ = await join(s1["code"], "10.0.0.3")
    assert status == 429 and "session" in body["error"]["message"]
    assert (await join(s2["code"], "10.0.0.3"))[0] == 200  # another session is not affected
    # a refused join is not counted as a failed one (no lock-out of the address's code guessing budget)
    assert (await join("ZZZZ-ZZZZ", "10.0.0.3"))[1]["error"]["code"] == "unknown_code"


async def test_a_flood_of_unanswered_consents_evicts_nobody(start_server, http):
    server = await start_server(pending_per_session=3)
    api = Api(server.url, http)
    s = await api.create(copies=2, negotiation=False, consent_text="You take part in a study.")
    early = [await api.join(s["code"], f"e{i}") for i in range(3)]
    status, body = await api.request("POST", "/api/join", {"code": s["code"], "name": "flood"})
    assert status == 429 and body["error"]["code"] == "rate_limited" and "consent" in body["error"]["message"]
    # everyone who came first can still consent and play
    for j in early:
        status, seated = await api.request("POST", "/api/consent", {"consent": True}, token=j["player_token"])
        assert status == 200 and seated["consented"], seated
    # answered consents free their places
    assert (await api.join(s["code"], "late")).get("consent_required") is True


def test_pending_consents_are_bounded_lapse_in_order_and_replace_a_label():
    now = [0.0]
    p = PendingConsents(per_session=2, total=4, ttl=10.0, clock=lambda: now[0])
    entry = lambda sid, label=None: {"session_id": sid, "label": label}  # noqa: E731
    p.add("a", entry("s1", "L1"))
    p.add("b", entry("s1", "L1"))  # the same label again replaces its own entry
    assert "a" not in p and "b" in p and len(p) == 1
    p.add("c", entry("s1"))
    with pytest.raises(ProtocolError) as e:
        p.add("d", entry("s1"))  # the session is full: refused, nobody evicted
    assert e.value.status == 429 and "b" in p and "c" in p
    p.add("e", entry("s2"))
    now[0] = 5.0
    p.add("late", entry("s2"))
    with pytest.raises(ProtocolError):
        p.add("f", entry("s3"))  # the server's total
    now[0] = 10.5  # b, c and e (at 0) lapse when room is needed; `late` (at 5) stays
    p.add("g", entry("s3"))
    assert [h for h in ("b", "c", "e", "late", "g") if h in p] == ["late", "g"]
    assert p.pop("g")["session_id"] == "s3" and p.pop("g") is None and len(p) == 1


def test_every_server_flag_is_in_the_operations_guide():
    """docs/operations.md describes every limit the server has: a flag added without its
    line in the guide fails here (the demo's flags are the README's)."""
    from pathlib import Path

    from server.cli import build_parser
    ops = (Path(__file__).resolve().parent.parent / "docs" / "operations.md").read_text()
    flags = [o for a in build_parser()._actions for o in a.option_strings
             if o.startswith("--") and o != "--help" and not o.startswith("--demo")]
    assert "--max-sockets" in flags and "--joins-per-session" in flags
    assert [f for f in flags if f"`{f}" not in ops] == []
