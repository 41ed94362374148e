"""No input of one firm can keep a round from closing (security review, items 1 and 3).

A draft or decision whose numbers are each finite but whose sums overflow used to be
acknowledged, then froze every later round at its close. Now every amount is bounded by
the budget when it arrives, drafts are checked against the scenario like a submission and
logged as changes, and closing a round drops (and names) any decision it cannot use."""
from __future__ import annotations

import json
import sqlite3
import time

import aiohttp
import msgpack
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from websockets.sync.client import connect as ws_connect

from server.config import ServerConfig

from conftest import TEST_ADMIN_KEY, Api, Client
from reliability_tools import ThreadedServer, http_json

POISON = {"contribute": {"design": 1e308}, "develop": {"design": 1e308}}


# ---- through a live server, one session per example ------------------------------------------

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    db = tmp_path_factory.mktemp("rounds") / "rounds.db"
    srv = ThreadedServer(ServerConfig(host="127.0.0.1", port=0, db_path=str(db), synchronous="normal",
                                      rate_per_second=1e6, rate_burst=10**6, garbage_strikes=10**9,
                                      flood_strikes=10**9, create_burst=10**6, create_total_burst=10**6)).start()
    srv.db = db
    yield srv
    srv.stop()


def _session(srv):
    """A started two-firm session (west1, east1: an alliance on default terms) and a socket
    of west1's player."""
    s = http_json("POST", f"{srv.url}/api/sessions", {"copies": 1, "rounds": 3, "negotiation": False},
                  token=TEST_ADMIN_KEY)[1]
    joins = [http_json("POST", f"{srv.url}/api/join", {"code": s["code"], "name": f"p{i}"})[1] for i in range(2)]
    status, body, _ = http_json("POST", f"{srv.url}/api/sessions/{s['session_id']}/control", {"action": "start"},
                                token=s["facilitator_token"])
    assert status == 200, body
    west = next(j for j in joins if j["firm"] == "west1")
    ws = ws_connect(srv.url.replace("http", "ws") + "/ws", max_size=2**24, close_timeout=0.5)
    ws.send(msgpack.packb({"type": "auth", "token": west["player_token"]}))
    assert msgpack.unpackb(ws.recv(10))["type"] == "welcome"
    return s, ws


def _answer(ws, frame: dict) -> dict:
    ws.send(msgpack.packb(frame))
    while True:
        m = msgpack.unpackb(ws.recv(10))
        if m.get("type") in ("ack", "error") and m.get("id") == frame["id"]:
            return m


def _end_round(srv, s) -> dict:
    status, body, _ = http_json("POST", f"{srv.url}/api/sessions/{s['session_id']}/control",
                                {"action": "end_round"}, token=s["facilitator_token"])
    assert status == 200, body  # the round closed
    return body["result"]


EXTREME = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, 1.7976931348623157e308, -1e308, 5e-324, -5e-324, 2.2250738585072014e-308, -0.0,
                     0.0, 100.0, 99.99999999999999, 100.00000000000001, 1.0, 1.0000000000000002, 50.0]))
DOMAINS = st.sampled_from(["design", "manufacturing", "distribution", "brand"])
FIELDS = st.dictionaries(
    st.sampled_from(["contribute", "absorb", "develop", "reveal"]),
    st.dictionaries(DOMAINS, EXTREME, min_size=1, max_size=4), max_size=4)
COMMANDS = st.lists(st.tuples(st.sampled_from(["draft", "submit"]), FIELDS,
                              st.one_of(st.none(), EXTREME)), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(COMMANDS)
def test_every_round_closes_whatever_the_numbers(live, commands):
    s, ws = _session(live)
    try:
        for i, (kind, fields, protect) in enumerate(commands):
            if protect is not None:
                fields = {**fields, "protect": protect}
            frame = {"type": kind, "id": f"c{i}", ("fields" if kind == "draft" else "decision"): fields}
            m = _answer(ws, frame)
            assert m["type"] == "ack" or (m["code"] != "internal_error" and m["message"]), m
        # the draft carries over: the next round must close too
        assert _end_round(live, s)["round"] == 1
        assert _end_round(live, s)["round"] == 2
    finally:
        ws.close()


def test_an_overflowing_draft_or_decision_is_refused_and_not_stored(live):
    s, ws = _session(live)
    try:
        for kind, key in (("draft", "fields"), ("submit", "decision")):
            m = _answer(ws, {"type": kind, "id": f"poison-{kind}", key: POISON})
            assert m["type"] == "error" and m["code"] == "over_budget", m
            assert "contribute.design" in m["message"] or "develop.design" in m["message"]
        # tiny and signed-zero numbers are fine
        m = _answer(ws, {"type": "draft", "id": "tiny", "fields": {"develop": {"design": 5e-324, "brand": -0.0}}})
        assert m["type"] == "ack", m
        assert _end_round(live, s)["round"] == 1
    finally:
        ws.close()
    db = sqlite3.connect(live.db)
    rows = [json.loads(r[0]) for r in db.execute(
        "SELECT data FROM log WHERE session_id=? AND type IN ('draft_changed', 'decision_submitted')",
        (s["session_id"],))]
    assert rows == [{"firm": "west1", "by": rows[0]["by"], "changed": {"develop": {"design": 5e-324, "brand": -0.0}}}]


# ---- drafts: checked against the scenario, logged and pushed as changes --------------------

JUNK = [
    ({"contribute": {f"k{i}": 1 for i in range(3000)}}, "out_of_range"),  # too big a draft
    ({"contribute": {"design": 1, "x-junk": 1}}, "unknown_domain"),
    ({"develop": {"nope": 1}}, "unknown_domain"),
    ({"nonsense": 1}, "unknown_field"),
    ({"reveal": {"design": 1.5}}, "out_of_range"),
    ({"protect": 101}, "over_budget"),
    ({"survey": {"junk": 3}}, "unknown_field"),
    ({"survey": {"trust": 9}}, "out_of_range"),
    ({"withhold": {"a-of-someone-else": ["design"]}}, "unknown_alliance"),
    ({"exit": ["a-of-someone-else"]}, "unknown_alliance"),
]


async def test_junk_drafts_are_refused_and_store_nothing(api, server, clients, db_path):
    s = await api.create(copies=2, rounds=3, negotiation=False)
    a = await Client.login(server.url, (await api.join(s["code"], "ana"))["player_token"], name="a")
    b = await Client.login(server.url, (await api.join(s["code"], "ben"))["player_token"], name="b")
    clients += [a, b]
    await api.control(s, "start")
    v = await a.resync()
    other = next(x for x in (await api.summary(s))["alliances"].values() if v["firm"]["id"] not in x["firms"])
    junk = JUNK + [({"withhold": {other["id"]: ["design"]}}, "unknown_alliance"),
                   ({"exit": [other["id"]]}, "unknown_alliance")]
    for fields, code in junk:
        r = await a.cmd("draft", fields=fields)
        assert r["type"] == "error" and r["code"] == code, (fields, r)
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT count(*) FROM log WHERE type='draft_changed'").fetchone()[0] == 0


async def test_drafts_are_logged_and_pushed_as_changes(start_server, clients, db_path):
    server = await start_server(rate_per_second=1e6, rate_burst=10**6)
    http = aiohttp.ClientSession()
    api = Api(server.url, http)
    s = await api.create(copies=1, rounds=3, negotiation=False)
    a = await Client.login(server.url, (await api.join(s["code"], "ana"))["player_token"], name="a")
    clients.append(a)
    b = await Client.login(server.url, (await api.join(s["code"], "bea"))["player_token"], name="b")
    clients.append(b)
    c = await Client.login(server.url, (await api.join(s["code"], "cyd"))["player_token"], name="c")
    clients.append(c)
    await api.control(s, "start")
    mates = [x for x in (b, c) if (await x.resync())["firm"]["id"] == (await a.resync())["firm"]["id"]]
    assert mates, "two of three players share a firm"
    mate = mates[0]
    n = 150
    for i in range(n):
        await a.ok("draft", fields={"develop": {"design": i % 50}, "absorb": {"brand": 1}})
    pushes = [m for m in mate.messages if m["type"] == "draft"]
    while len(pushes) < n:
        await mate.wait_for(lambda m: m["type"] == "draft" and m["changed"]["develop"]["design"] == (n - 1) % 50)
        pushes = [m for m in mate.messages if m["type"] == "draft"]
    assert all("draft" not in p and set(p["changed"]) == {"develop", "absorb"} for p in pushes)
    db = sqlite3.connect(db_path)
    sizes = [len(r[0]) for r in db.execute("SELECT data FROM log WHERE type='draft_changed'")]
    assert len(sizes) == n and max(sizes) < 200  # each row the change only: linear, not quadratic
    # the teammate's view folded from the changes equals the server's draft
    assert (await mate.resync())["draft"] == {"develop": {"design": (n - 1) % 50}, "absorb": {"brand": 1}}
    await http.close()


# ---- defence in depth: a log written by an older server --------------------------------------

def _append(db_path, session_id: str, type_: str, actor: str, firm: str, data: dict) -> None:
    """A row as the server before this fix logged it (it accepted such input)."""
    db = sqlite3.connect(db_path)
    seq = db.execute("SELECT max(seq) FROM log WHERE session_id=?", (session_id,)).fetchone()[0] + 1
    cols = [r[1] for r in db.execute("PRAGMA table_info(log)")]
    row = {"session_id": session_id, "seq": seq, "kind": "system", "type": type_, "actor": actor, "firm": firm,
           "round": 1, "data": json.dumps(data), "wall_time": time.time(), "mono_time": 0.0}
    row = {k: v for k, v in row.items() if k in cols}
    db.execute(f"INSERT INTO log ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    db.commit()
    db.close()


@pytest.mark.parametrize("poison", ["draft", "submitted"])
async def test_a_poisoned_log_cannot_stop_the_round(start_server, db_path, clients, poison):
    srv = await start_server()
    async with aiohttp.ClientSession() as http:
        api = Api(srv.url, http)
        s = await api.create(copies=1, rounds=3, negotiation=False)
        west = next(j for j in [await api.join(s["code"], "p0"), await api.join(s["code"], "p1")]
                    if j["firm"] == "west1")
        await api.control(s, "start")
    await srv.stop()
    if poison == "draft":  # old servers logged the whole draft
        _append(db_path, s["session_id"], "draft_changed", west["player_id"], "west1",
                {"firm": "west1", "by": west["player_id"], "changed": POISON, "draft": POISON})
    else:
        _append(db_path, s["session_id"], "decision_submitted", west["player_id"], "west1",
                {"firm": "west1", "round": 1, "by": west["player_id"], "decision": POISON, "source": "submitted"})
    srv = await start_server()
    async with aiohttp.ClientSession() as http:
        api = Api(srv.url, http)
        fac = await Client.login(srv.url, s["facilitator_token"], name="fac")
        clients.append(fac)
        assert (await api.control(s, "end_round"))["result"]["round"] == 1
        result = await fac.wait_for(lambda m: m["type"] == "round_result")
        assert result["sources"]["west1"] == "default"
        assert result["unusable"]["west1"].startswith(f"{poison}: over_budget")  # the facilitator sees why
        assert (await api.control(s, "end_round"))["result"]["round"] == 2  # and the next round too
    db = sqlite3.connect(db_path)
    closed = [json.loads(r[0]) for r in db.execute("SELECT data FROM log WHERE type='round_closed' ORDER BY seq")]
    assert closed[0]["sources"]["west1"] == "default" and "west1" in closed[0]["unusable"]  # the log says why
    assert "west1" not in closed[0]["decisions"]


async def test_term_sheets_cannot_carry_overflowing_money(api, server, clients):
    """A hostile pair could agree on terms whose money overflows a firm's cash at the close
    (two upfront payments of 1e308 to one firm): refused when offered, like a decision."""
    s = await api.create(copies=1, rounds=3, negotiation=True)
    a = await Client.login(server.url, (await api.join(s["code"], "ana"))["player_token"], name="a")
    clients.append(a)
    await api.control(s, "start")
    v = await a.wait_for(lambda m: m["type"] == "view" and m["view"]["negotiations"])
    neg = v["view"]["negotiations"][0]
    me = v["view"]["firm"]["id"]
    for field, value in (("exit_penalty", 1e308), ("upfront_payment", 1e308), ("milestone", 1e308),
                         ("exit_penalty", 100_001.0)):
        terms = {**neg["default_terms"], field: value}
        if field == "upfront_payment":
            terms["payer"] = me
        r = await a.cmd("negotiate", action="offer", negotiation=neg["id"], terms=terms)
        assert r["type"] == "error" and r["code"] == "invalid_terms" and field in r["message"], r
    ok = await a.cmd("negotiate", action="offer", negotiation=neg["id"],
                     terms={**neg["default_terms"], "exit_penalty": 100_000.0})
    assert ok["type"] == "ack", ok
