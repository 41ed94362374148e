"""Authorization and secrets:

- a player token cannot act for another firm, read another firm's view, read exports or
  the debrief data, or use facilitator controls (socket and HTTP);
- a facilitator token of one session has no power over another session;
- tokens and join codes come from `secrets` with the entropy docs/operations.md states;
  repeated bad join codes from one address are rate-limited (429 + Retry-After), without
  locking out other addresses;
- tokens never appear in the server's log output, in URLs it hands out, or in the
  database file (only their SHA-256).
"""
from __future__ import annotations

import asyncio
import math
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from server import auth
from server.ratelimit import KeyedBudget

from conftest import Api, Client
from reliability_tools import free_port

ROOT = Path(__file__).resolve().parent.parent


async def _game(api: Api, url: str, clients: list, **opts):
    s = await api.create(copies=1, rounds=3, negotiation=False, **opts)
    players = {}
    for i in range(2):
        j = await api.join(s["code"], f"a{i}")
        c = await Client.login(url, j["player_token"], name=j["firm"])
        c.joined = j
        clients.append(c)
        players[j["firm"]] = c
    return s, players["west1"], players["east1"]


async def _err(c: Client, **frame) -> dict:
    r = await c.cmd(**frame)
    assert r["type"] == "error", r
    return r


async def test_a_player_token_is_only_that_player(server, api, clients):
    s, west, east = await _game(api, server.url, clients)
    await api.control(s, "start")
    await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    wt = west.joined["player_token"]
    sid = s["session_id"]
    # acting for the other firm
    assert (await _err(west, type="submit", decision={"firm": "east1"}))["code"] == "not_your_firm"
    assert (await _err(west, type="draft", fields={"firm": "east1", "protect": 1}))["code"] == "not_your_firm"
    # facilitator controls, over the socket and over HTTP
    for action in ("end_round", "pause", "end_session", "inject", "move_player", "fill_bots"):
        assert (await _err(west, type="control", action=action, text="x"))["code"] == "forbidden"
    for path, method, body in ((f"/api/sessions/{sid}/control", "POST", {"action": "end_session"}),
                               (f"/api/sessions/{sid}", "GET", None),
                               (f"/api/web/history/{sid}", "GET", None),
                               (f"/api/sessions/{sid}/export", "GET", None),
                               ("/api/export", "POST", {"tokens": [wt]})):
        status, data = await api.request(method, path, body, token=wt)
        assert status == 403 and data["error"]["code"] == "forbidden", (path, status, data)
    # its view is its own firm's only; the partner's draft and firm chat never appear
    await east.ok("draft", fields={"protect": 3.25})
    await east.ok("chat", to="firm", text="EAST-INTERNAL")
    view = await west.resync()
    assert view["firm"]["id"] == "west1" and view["me"]["player_id"] == west.joined["player_id"]
    assert "east1" not in str(view.get("draft")) and "EAST-INTERNAL" not in str(view)
    assert set(view["chat"]) <= {"firm:west1", "alliance:a1"}
    status, ctx = await api.request("GET", "/api/web/context", token=wt)
    assert status == 200 and ctx["firm"] == "west1"
    # the session is unchanged by all of it
    summary = await api.summary(s)
    assert summary["status"]["submitted"] == {} and summary["phase"] == "execution"


async def test_a_facilitator_token_has_no_power_over_another_session(server, api, clients):
    a, _, _ = await _game(api, server.url, clients)
    b, b_west, _ = await _game(api, server.url, clients)
    ta = a["facilitator_token"]
    bid = b["session_id"]
    for path, method, body in ((f"/api/sessions/{bid}/control", "POST", {"action": "end_session"}),
                               (f"/api/sessions/{bid}/control", "POST", {"action": "start"}),
                               (f"/api/sessions/{bid}", "GET", None),
                               (f"/api/web/history/{bid}", "GET", None),
                               (f"/api/sessions/{bid}/export", "GET", None)):
        status, data = await api.request(method, path, body, token=ta)
        assert status == 403 and data["error"]["code"] == "forbidden", (path, status, data)
    # over a socket, A's facilitator names B's player: not found in A
    fac = await Client.login(server.url, ta, name="facA")
    clients.append(fac)
    r = await fac.cmd("control", action="move_player", player=b_west.joined["player_id"], firm="east1")
    assert r["type"] == "error" and r["code"] == "unknown_player"
    summary_b = await api.summary(b)
    assert summary_b["phase"] == "lobby" and summary_b["session"]["status"] == "live"
    assert {p["player_id"]: p["firm"] for p in summary_b["status"]["players"]}[b_west.joined["player_id"]] == "west1"


def test_tokens_and_codes_come_from_secrets_with_the_stated_entropy():
    tokens = {auth.new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    assert all(len(t) == 32 and re.fullmatch(r"[A-Za-z0-9_-]{32}", t) for t in tokens)  # 24 bytes = 192 bits
    codes = [auth.new_code() for _ in range(4000)]
    assert len(set(codes)) == len(codes)
    assert len(auth.CODE_ALPHABET) == 32 and auth.CODE_LENGTH == 8  # 40 bits
    # every symbol at every position, roughly uniformly (a broken generator shows here)
    for pos in range(auth.CODE_LENGTH):
        counts = Counter(c[pos] for c in codes)
        assert set(counts) == set(auth.CODE_ALPHABET)
        expected = len(codes) / 32
        chi2 = sum((n - expected) ** 2 / expected for n in counts.values())
        assert chi2 < 80, (pos, chi2)  # 31 degrees of freedom: p < 1e-6 beyond ~75
    # what docs/operations.md says is what the code does
    ops = (ROOT / "docs" / "operations.md").read_text()
    assert "192 bits" in ops and "40 bits" in ops
    assert math.log2(len(auth.CODE_ALPHABET)) * auth.CODE_LENGTH == 40


def test_keyed_budget_refills_and_stays_bounded():
    now = [0.0]
    b = KeyedBudget(rate=0.5, burst=3, max_keys=100, clock=lambda: now[0])
    for _ in range(3):
        assert b.allowed("ip")
        b.charge("ip")
    assert not b.allowed("ip") and b.retry_after("ip") == pytest.approx(2.0)
    assert b.allowed("other")
    now[0] += 2.0
    assert b.allowed("ip")
    for i in range(1000):
        b.charge(f"spray-{i}")
    assert len(b) == 100  # addresses sprayed at it cannot grow the table


async def test_repeated_bad_join_codes_are_rate_limited(start_server):
    server = await start_server(join_fail_burst=5, join_fail_per_minute=6, trust_proxy=True)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        s = await api.create()
        for i in range(5):
            status, body = await api.request("POST", "/api/join", {"code": f"ZZZZ-ZZZ{i + 2}", "name": "guess"})
            assert status == 404 and body["error"]["code"] == "unknown_code"
        # the budget is spent: every join from this address is refused, the right code too
        for code in ("ZZZZ-ZZZA", s["code"]):
            async with http.post(server.url + "/api/join", json={"code": code, "name": "guess"}) as r:
                assert r.status == 429 and int(r.headers["Retry-After"]) >= 1
                assert (await r.json())["error"]["code"] == "rate_limited"
        # behind a trusted local proxy another client address is not locked out...
        async with http.post(server.url + "/api/join", json={"code": s["code"], "name": "ok"},
                             headers={"X-Forwarded-For": "198.51.100.7"}) as r:
            assert r.status == 200
        # ...but a client cannot pick its own address to escape (the proxy appends the real one)
        async with http.post(server.url + "/api/join", json={"code": s["code"], "name": "sneaky"},
                             headers={"X-Forwarded-For": "198.51.100.99, 127.0.0.1"}) as r:
            assert r.status == 429
    status, text = await api_metrics(server.url)
    assert 'alliance_errors_total{code="rate_limited"}' in text


async def test_forwarded_for_is_ignored_unless_trusted(start_server):
    server = await start_server(join_fail_burst=2)
    async with aiohttp.ClientSession() as http:
        for i in range(2):
            async with http.post(server.url + "/api/join", json={"code": "ZZZZ-ZZZZ", "name": "x"},
                                 headers={"X-Forwarded-For": f"203.0.113.{i}"}) as r:
                assert r.status == 404
        async with http.post(server.url + "/api/join", json={"code": "ZZZZ-ZZZZ", "name": "x"},
                             headers={"X-Forwarded-For": "203.0.113.50"}) as r:
            assert r.status == 429


async def api_metrics(url):
    async with aiohttp.ClientSession() as http:
        async with http.get(url + "/metrics") as r:
            return r.status, await r.text()


def _tokens_in(obj) -> list[str]:
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.endswith("token") and isinstance(v, str):
                out.append(v)
            else:
                out += _tokens_in(v)
    elif isinstance(obj, list):
        for v in obj:
            out += _tokens_in(v)
    return out


async def test_tokens_never_in_logs_urls_or_the_database(tmp_path):
    db = tmp_path / "secrets.db"
    port = free_port()
    log_path = tmp_path / "server-output.txt"
    with open(log_path, "w") as out:
        proc = subprocess.Popen([sys.executable, "run.py", "--port", str(port), "--db", str(db), "--log-level", "debug"],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    tokens: list[str] = []
    clients: list[Client] = []
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(url + "/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            api = Api(url, http)
            s = await api.create(copies=1, rounds=2, negotiation=False)
            tokens += _tokens_in(s)
            joins = [await api.join(s["code"], f"t{i}") for i in range(3)]
            tokens += [t for j in joins for t in _tokens_in(j)]
            other = await api.create()
            tokens += _tokens_in(other)
            assert len(tokens) >= 6
            for j in joins:
                c = await Client.login(url, j["player_token"], name=j["player_id"])
                clients.append(c)
                await c.cmd("control", action="start")                # forbidden
                await c.send({"type": "auth", "token": j["player_token"]})  # already_authenticated
            fac = await Client.login(url, s["facilitator_token"], name="fac")
            clients.append(fac)
            await fac.ok("control", action="start")
            await clients[0].ok("draft", fields={"protect": 1})
            bad = await Client.open(url, name="bad")
            clients.append(bad)
            await bad.send({"type": "auth", "token": other["facilitator_token"][:-2] + "xx"})
            await bad.wait_for(lambda m: m["type"] == "error")
            await api.request("GET", f"/api/sessions/{other['session_id']}", token=s["facilitator_token"])
            await api.request("GET", f"/api/sessions/{s['session_id']}", token=joins[0]["player_token"])
            await api.request("POST", "/api/join", {"code": "ZZZZ-ZZZZ", "name": s["facilitator_token"][:5]})
            async with http.get(f"{url}/api/sessions/{s['session_id']}/export",
                                headers={"Authorization": f"Bearer {s['facilitator_token']}"}) as r:
                assert r.status == 200 and await r.read()  # a zip
            # URLs handed out carry no token
            for u in (s["join_url"], s["ws_url"], other["join_url"]):
                assert not any(t in u for t in tokens)
            status, page = await api.request("GET", "/join")
            assert not any(t in page for t in tokens)
    finally:
        for c in clients:
            await c.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    output = log_path.read_text()
    assert "GET /api/sessions/" in output or "aiohttp.access" in output or "POST /api/join" in output, \
        "the log capture caught nothing: the check below would prove nothing"
    for t in tokens:
        assert t not in output, "a token appears in the server's log output"
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("secrets.db"))
    for t in tokens:
        assert t.encode() not in raw, "a token is stored in the database in clear"
    assert auth.token_hash(tokens[0]).encode() in raw  # (only its hash)
