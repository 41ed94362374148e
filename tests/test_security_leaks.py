"""No leak of a partner's private state, as a property over whole sessions played through
the real server (hypothesis draws the strategies, the partner's private numbers, its firm
chat, whether it submits or lets the clock/facilitator close the round with its draft):

- no byte sent to a firm's sockets (views, deltas, errors, chat metadata, round results)
  carries the partner's absorb / develop / protect / reveal numbers, draft, firm chat,
  brief, cash or trust, nor any record of another firm's decision, draft or result;
- the same invalid command gets the same error (code and text) whatever the partner did,
  and the time to refuse it does not depend on the partner's hidden state.
"""
from __future__ import annotations

import asyncio
import json
import re
import statistics
import tempfile
import time

import aiohttp
from hypothesis import HealthCheck, given, settings, strategies as st

from game_rules.bots import STRATEGIES, bot_decision
from game_rules.scenario import load_scenario
from server.config import ServerConfig

from conftest import Api, Client, InProcessServer, walk

PRIVATE_KEYS = ("absorb", "develop", "protect", "reveal")
BRIEF_EAST = load_scenario("classic").role("east").brief.strip()
# the same invalid commands, sent by west at the same moment of every example
BATTERY = [
    {"type": "submit", "decision": {"develop": {"design": 5000}}},
    {"type": "submit", "decision": {"develop": {"design": -1}}},
    {"type": "submit", "decision": {"absorb": {"brand": 5}}},
    {"type": "submit", "decision": {"firm": "east1"}},
    {"type": "draft", "fields": {"protect": "high"}},
    {"type": "draft", "round": 99, "fields": {"protect": 1}},
    {"type": "negotiate", "action": "accept"},
    {"type": "chat", "to": "alliance", "text": "   "},
]
REFERENCE: dict[tuple, tuple] = {}  # (round, battery index) -> (code, message), across examples


def _marker(draw, lo: float, hi: float) -> float:
    """A number nobody produces by accident: six decimals, the last one not zero."""
    v = draw(st.integers(int(lo * 1e6), int(hi * 1e6)))
    return (v - v % 10 + 7) / 1e6


@st.composite
def east_plan(draw):
    rounds = 3
    plans = []
    for _ in range(rounds):
        plans.append({
            "absorb": _marker(draw, 1, 9), "develop": _marker(draw, 1, 9), "protect": _marker(draw, 0.5, 4),
            "reveal": _marker(draw, 0.01, 0.9),
            "secret": "SECRET-" + draw(st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=10, max_size=10)),
            "submit": draw(st.booleans()),
        })
    return plans


def _number_in(text: str, v: float) -> bool:
    return re.search(r"(?<![\d.])" + re.escape(repr(v)) + r"(?!\d)", text) is not None


def _check_west_stream(msgs: list[dict], own: str, markers: list[float], secrets: list[str],
                       partner_cash: list[float], partner_trust: list[float]):
    text = json.dumps(msgs)
    for v in markers:
        assert not _number_in(text, v), f"partner's private number {v} reached {own}"
    for s in secrets:
        assert s not in text, "partner's firm chat reached another firm"
    assert BRIEF_EAST[:80] not in text, "partner's brief leaked"
    for v in partner_cash + partner_trust:
        assert not _number_in(text, v), f"partner's cash/trust {v} leaked"
    for m in msgs:
        assert m["type"] != "status"
        if m["type"] in ("draft", "submitted"):
            assert m["firm"] == own, m
        if m["type"] == "chat":
            assert not m["channel"].startswith("firm:") or m["channel"] == f"firm:{own}", m
        if m["type"] == "round_result":
            assert "sources" not in m
        if m["type"] == "view":
            v = m["view"]
            assert v["firm"]["id"] == own and "drafts" not in v and "scores" not in v
        for node in walk(m):
            if isinstance(node, dict):
                if node.get("type") in ("firm_result", "default_applied", "decision", "trust_changed"):
                    assert node.get("firm") in (own, None), f"another firm's {node['type']} reached {own}"
                if node.get("firm") not in (None, own) and any(k in node for k in PRIVATE_KEYS):
                    raise AssertionError(f"private fields of {node.get('firm')} reached {own}: {node}")


async def _play(strategy: str, plan: list[dict]) -> dict:
    tmp = tempfile.TemporaryDirectory()
    srv = await InProcessServer(ServerConfig(host="127.0.0.1", port=0, db_path=f"{tmp.name}/leak.db",
                                             synchronous="normal", round_seconds=600)).start()
    clients: list[Client] = []
    try:
        async with aiohttp.ClientSession() as http:
            api = Api(srv.url, http)
            s = await api.create(copies=2, rounds=len(plan), negotiation=False, seed=3)
            team = {}
            for i in range(4):
                j = await api.join(s["code"], f"p{i}")
                firm = ("west1", "east1")[i % 2]
                if firm != j["firm"]:  # two players in each firm of copy 1; copy 2 goes to bots
                    await api.control(s, "move_player", player=j["player_id"], firm=firm)
                c = await Client.login(srv.url, j["player_token"], binary=bool(i % 2), name=f"{firm}-{i}")
                c.joined = {**j, "firm": firm}
                clients.append(c)
                team.setdefault(firm, []).append(c)
            assert {k: len(v) for k, v in team.items()} == {"west1": 2, "east1": 2}
            await api.control(s, "fill_bots", strategy=strategy)   # copy 2 is played by server bots
            await api.control(s, "start")
            (w1, w2), (e1, e2) = team["west1"], team["east1"]
            for c in (w1, e1):
                c.view = (await c.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution"))["view"]
            errors, cash, trust = {}, [], []
            for rnd, p in enumerate(plan, start=1):
                scope = e1.view["alliances"][0]["terms"]["scope"]
                private = {"absorb": {scope[0]: p["absorb"]}, "develop": {"brand": p["develop"]},
                           "protect": p["protect"], "reveal": {scope[-1]: p["reveal"]}}
                await e1.ok("chat", to="firm", text=f"{p['secret']} plan: absorb {p['absorb']}")
                await e1.ok("draft", fields=private)
                await e2.wait_for(lambda m: m["type"] == "draft" and m["changed"] == private)
                if p["submit"]:
                    await e2.ok("submit")
                # west, at the same moment of every example: the invalid battery, then its move
                for i, frame in enumerate(BATTERY):
                    r = await w1.cmd(**frame)
                    assert r["type"] == "error", (frame, r)
                    errors[(rnd, i)] = (r["code"], r["message"])
                decision = bot_decision(w1.view, strategy, seed=rnd)
                await w1.ok("submit", decision=decision)
                await w2.ok("chat", to="alliance", text=f"round {rnd} done")
                if not p["submit"]:  # the facilitator closes it: east's draft is used
                    await api.control(s, "end_round")
                for c in (w1, e1):
                    c.view = (await c.wait_for(lambda m: m["type"] == "view" and m["view"]["round"] == rnd))["view"]
                summary = await api.summary(s)
                cash.append(summary["firms"]["east1"]["cash"])
                al = summary["alliances"]["a1"]
                trust.append(al["trust"]["east1"])
            # every socket of west asks for a full view once more
            for c in (w1, w2):
                await c.resync()
            own_cash = summary["firms"]["west1"]["cash"]
            own_trust = al["trust"]["west1"]
            distinct = lambda xs, own: [x for x in xs if isinstance(x, float) and x != own and len(repr(x)) > 6]
            markers = [p[k] for p in plan for k in ("absorb", "develop", "protect", "reveal")]
            for c in (w1, w2):
                _check_west_stream(c.messages, "west1", markers, [p["secret"] for p in plan],
                                   distinct(cash, own_cash), distinct(trust, own_trust))
            # the check bites: east's own sockets do carry them
            east_text = json.dumps(e2.messages)
            assert plan[0]["secret"] in east_text and _number_in(east_text, plan[0]["protect"])
            return {"errors": errors}
    finally:
        for c in clients:
            await c.close()
        await srv.stop()
        tmp.cleanup()


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.sampled_from(STRATEGIES), east_plan())
def test_no_byte_to_a_firm_carries_its_partners_private_state(strategy, plan):
    out = asyncio.run(_play(strategy, plan))
    for key, answer in out["errors"].items():
        # the same invalid command, the same answer, whatever the partner did
        assert REFERENCE.setdefault(key, answer) == answer, (key, REFERENCE[key], answer)


async def _refusal_timing(w1: Client, frame: dict, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = await w1.cmd(**frame)
        out.append(time.perf_counter() - t0)
        assert r["type"] == "error"
    return out


async def test_refusal_time_does_not_depend_on_the_partners_hidden_state(start_server, clients):
    """West's invalid submit is refused as fast whether east has a huge private draft and
    has submitted, or has done nothing (interleaved trials; loose bound, no timing attack
    surface: refusals never look at another firm)."""
    server = await start_server(rate_per_second=10_000, rate_burst=10_000)
    http = aiohttp.ClientSession()
    api = Api(server.url, http)
    try:
        await _timing_trials(server, api, clients)
    finally:
        await http.close()


async def _timing_trials(server, api, clients):
    s = await api.create(copies=1, rounds=3, negotiation=False)
    team = {}
    for i in range(2):
        j = await api.join(s["code"], f"t{i}")
        c = await Client.login(server.url, j["player_token"], name=j["firm"])
        clients.append(c)
        team[j["firm"]] = c
    west, east = team["west1"], team["east1"]
    await api.control(s, "start")
    await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    frame = {"type": "submit", "decision": {"develop": {"design": 5000}}}
    quiet, busy = [], []
    for trial in range(6):
        quiet += await _refusal_timing(west, frame, 10)
        # east's hidden state changes a lot: a big draft with chat in it
        await east.ok("draft", fields={"develop": {"design": 1 + trial, "brand": 2.5}, "protect": 3.3,
                                       "survey": {"surprise": 3, "trust": 1 + trial % 5}})
        busy += await _refusal_timing(west, frame, 10)
    q, b = statistics.median(quiet), statistics.median(busy)
    assert 1 / 3 < b / q < 3, (q, b)
