"""No message to a firm carries its partner's private state: its absorb / develop /
protect / reveal numbers, brief, cash, trust, drafts or firm chat."""
from __future__ import annotations

import json

from game_rules.scenario import load_scenario

from conftest import Client, walk

# numbers nobody would produce by accident, so finding one in a message is a leak
EAST_DECISION = {"contribute": {"manufacturing": 21.0}, "absorb": {"design": 13.579}, "develop": {"brand": 11.113},
                 "protect": 7.531, "reveal": {"manufacturing": 0.2468}}
EAST_SECRETS = ["13.579", "11.113", "7.531", "0.2468", "EAST-ONLY-PLAN"]


def _assert_no_partner_private(messages: list[dict], partner: str, partner_brief: str, partner_cash: list[float]):
    text = json.dumps(messages)
    for s in EAST_SECRETS:
        assert s not in text, f"partner secret {s!r} leaked"
    assert partner_brief[:60] not in text
    for cash in partner_cash:
        assert repr(cash) not in text, f"partner cash {cash} leaked"
    assert "mean_reveal" not in text and "trust_used" not in text
    for m in messages:
        assert m["type"] not in ("status",)
        if m["type"] in ("draft", "submitted"):
            assert m["firm"] != partner
        if m["type"] == "chat":
            assert m["channel"] != f"firm:{partner}"
        if m["type"] == "round_result":
            assert "sources" not in m
        for node in walk(m):
            if isinstance(node, dict) and node.get("type") in ("firm_result", "trust_changed", "default_applied"):
                assert node["firm"] != partner, f"partner's {node['type']} leaked"


async def test_no_message_to_a_firm_carries_partner_private_state(server, api, clients):
    session = await api.create(copies=1, rounds=2, negotiation=False, round_seconds=60)
    team = {}
    for i in range(4):
        j = await api.join(session["code"], f"l{i}")
        c = await Client.login(server.url, j["player_token"], binary=bool(i % 2), name=f"l{i}")
        clients.append(c)
        team.setdefault(j["firm"], []).append(c)
    (w1, w2), (e1, e2) = team["west1"], team["east1"]
    await api.control(session, "start")
    for c in (w1, e1):
        await c.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    east_cash = []
    for rnd in (1, 2):
        await e1.ok("chat", to="firm", text="EAST-ONLY-PLAN: absorb their design")
        await e1.ok("draft", fields=EAST_DECISION)
        await e2.wait_for(lambda m: m["type"] == "draft" and m["changed"] == EAST_DECISION)
        # west does things that produce errors and pushes too
        await w1.cmd("submit", decision={"absorb": {"manufacturing": 500}})
        await w1.ok("chat", to="alliance", text="how is it going?")
        await w1.ok("submit", decision={"contribute": {"design": 20}, "absorb": {"manufacturing": 10}})
        await e2.ok("submit")
        for c in (w1, w2, e1):
            await c.wait_for(lambda m: m["type"] == "round_result" and m["round"] == rnd)
        summary = await api.summary(session)
        east_cash.append(summary["firms"]["east1"]["cash"])
        assert summary["drafts"]["east1"]["protect"] == 7.531  # the facilitator sees everything
    for c in (w1, w2):
        await c.resync()
    brief = load_scenario("classic").role("east").brief.strip()
    for c in (w1, w2):
        _assert_no_partner_private(c.messages, "east1", brief, east_cash)
    # the check itself bites: east's own players do receive these
    east_text = json.dumps(e2.messages)
    assert "13.579" in east_text and "EAST-ONLY-PLAN" in east_text
