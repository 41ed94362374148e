"""A whole session through the real server: create, join, play every round with several
firms and several players per firm, final scores; and the negotiation phase."""
from __future__ import annotations

import sqlite3

from server.protocol import SERVER_MESSAGES

from conftest import Client


def _check_stream(c: Client) -> None:
    """Every message validates against its schema and seq runs 1, 2, 3, ... on each socket."""
    seqs = [m["seq"] for m in c.messages]
    assert seqs == list(range(1, len(seqs) + 1)), (c.name, seqs[:20])
    for m in c.messages:
        SERVER_MESSAGES[m["type"]].model_validate(m)


async def _players(api, server, session, n, clients):
    out = []
    for i in range(n):
        j = await api.join(session["code"], f"player{i}", label=f"S{i:03d}")
        c = await Client.login(server.url, j["player_token"], binary=i % 2 == 0, name=f"p{i}")
        c.joined = j
        clients.append(c)
        out.append(c)
    return out


async def test_full_session_to_final_scores(server, api, clients):
    session = await api.create(scenario="classic", copies=2, rounds=3, negotiation=False, seed=7)
    assert len(session["code"].replace("-", "")) == 8
    fac = await Client.login(server.url, session["facilitator_token"], binary=False, name="fac")
    clients.append(fac)
    players = await _players(api, server, session, 8, clients)
    firms = {}
    for c in players:
        firms.setdefault(c.joined["firm"], []).append(c)
    # automatic balancing: four firms, two players each
    assert sorted(firms) == ["east1", "east2", "west1", "west2"]
    assert all(len(v) == 2 for v in firms.values())

    r = await fac.ok("control", action="start")
    assert r["result"]["phase"] == "execution"
    for c in players:
        v = await c.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
        c.view = v["view"]
        assert c.view["alliances"] and c.view["current_round"] == 1

    for rnd in range(1, 4):
        for firm, (a, b) in firms.items():
            al = a.view["alliances"][0]
            own = al["terms"]["contributions"][firm]
            d = await a.ok("draft", round=rnd, fields={"contribute": {own[0]: 20}, "develop": {own[0]: 10}})
            assert d["result"]["draft"]["contribute"] == {own[0]: 20}
            # the teammate sees who changed what
            push = await b.wait_for(lambda m: m["type"] == "draft" and m["by"] == a.joined["player_id"])
            assert push["changed"] == {"contribute": {own[0]: 20}, "develop": {own[0]: 10}}
            await b.ok("draft", fields={"absorb": {al["terms"]["scope"][1 if own[0] == al["terms"]["scope"][0] else 0]: 5}})
            await a.wait_for(lambda m: m["type"] == "draft" and m["by"] == b.joined["player_id"])
            s = await b.ok("submit", round=rnd)
            assert s["result"]["round"] == rnd
            await a.wait_for(lambda m: m["type"] == "submitted" and m["round"] == rnd)
            again = await a.cmd("submit", round=rnd)
            assert again["type"] == "error" and again["code"] in ("already_submitted", "stale_round", "wrong_phase")
        for c in players:
            res = await c.wait_for(lambda m: m["type"] == "round_result" and m["round"] == rnd)
            assert any(e["type"] == "firm_result" and e["firm"] == c.joined["firm"] for e in res["events"])
            c.view = (await c.wait_for(lambda m: m["type"] == "view" and m["view"]["round"] == rnd))["view"]
        fres = await fac.wait_for(lambda m: m["type"] == "round_result" and m["round"] == rnd)
        assert set(fres["sources"].values()) == {"submitted"}

    for c in players:
        assert c.view["phase"] == "debrief"
        assert c.view["score"]["firm"] == c.joined["firm"]
    summary = await api.summary(session)
    assert summary["phase"] == "debrief" and set(summary["scores"]) == set(firms)
    assert sorted(s["rank"] for s in summary["scores"].values()) == [1, 2, 3, 4]

    await fac.ok("control", action="end_session")
    for c in players:
        ended = await c.wait_for(lambda m: m["type"] == "session_ended")
        assert ended["reason"]
        assert (await c.wait_closed())[0] == 1000
    for c in players + [fac]:
        _check_stream(c)

    # the log holds every command with its ack, every engine event, and who did what
    db = sqlite3.connect(server.config.db_path)
    kinds = dict(db.execute("SELECT kind, count(*) FROM log GROUP BY kind").fetchall())
    assert kinds["command"] >= 3 * 4 * 3 and kinds["event"] > 0 and kinds["control"] == 2
    assert db.execute("SELECT count(*) FROM log WHERE kind='command' AND reply IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT actor FROM log WHERE kind='control' AND type='control'").fetchall() == \
        [("facilitator",), ("facilitator",)]
    assert db.execute("SELECT status FROM sessions").fetchone()[0] == "ended"


async def test_negotiation_agreement_and_failure(server, api, clients):
    session = await api.create(copies=2, rounds=2, negotiation=True, negotiation_seconds=60)
    fac = await Client.login(server.url, session["facilitator_token"], name="fac")
    clients.append(fac)
    players = {}
    for i in range(4):
        j = await api.join(session["code"], f"n{i}")
        c = await Client.login(server.url, j["player_token"], binary=bool(i % 2), name=j["firm"])
        clients.append(c)
        players[j["firm"]] = c
    await fac.ok("control", action="start")
    w1, e1, w2, e2 = players["west1"], players["east1"], players["west2"], players["east2"]
    v = await w1.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "negotiation")
    assert v["view"]["negotiations"][0]["firms"] == ["west1", "east1"]

    terms = {"scope": ["design", "manufacturing"], "contributions": {"west1": ["design"], "east1": ["manufacturing"]},
             "split": {"west1": 0.6, "east1": 0.4}, "duration": 2, "min_effort": {"west1": 10, "east1": 10}}
    r = await w1.ok("negotiate", action="offer", terms=terms)
    assert r["result"]["negotiation"]["standing"] == 1
    push = await e1.wait_for(lambda m: m["type"] == "negotiation")
    assert push["negotiation"]["offers"][0]["terms"]["split"] == {"west1": 0.6, "east1": 0.4}
    bad = await e1.cmd("negotiate", action="accept", negotiation="a2")
    assert bad["type"] == "error" and bad["code"] == "not_a_party"
    own = await w1.cmd("negotiate", action="accept")
    assert own["type"] == "error" and own["code"] == "not_your_turn"
    await e1.ok("negotiate", action="counter", terms={**terms, "split": {"west1": 0.5, "east1": 0.5}})
    await w1.ok("negotiate", action="accept")
    # copy 2 fails: east2 walks away; then every negotiation is closed and execution starts
    await w2.ok("chat", to="alliance", text="shall we talk?")
    await e2.wait_for(lambda m: m["type"] == "chat" and m["text"] == "shall we talk?")
    await e2.ok("negotiate", action="walk_away")
    for c in players.values():
        c.view = (await c.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution"))["view"]
    assert [a["terms"]["split"] for a in w1.view["alliances"]] == [{"west1": 0.5, "east1": 0.5}]
    assert w2.view["alliances"] == [] and e2.view["alliances"] == []
    # firms without an alliance play alone: contributing is refused, developing is fine
    r = await w2.cmd("submit", decision={"contribute": {"design": 10}})
    assert r["type"] == "error" and r["code"] == "not_contributed"
    await w2.ok("submit", decision={"develop": {"design": 30}})


async def test_negotiation_deadline_fails_open_negotiations(server, api, clients):
    session = await api.create(copies=1, rounds=1, negotiation=True, negotiation_seconds=0.5)
    j = await api.join(session["code"], "solo")
    c = await Client.login(server.url, j["player_token"], name="solo")
    clients.append(c)
    await api.control(session, "start")
    push = await c.wait_for(lambda m: m["type"] == "negotiation" and m["negotiation"]["status"] == "failed")
    assert push["negotiation"]["outcome_reason"] == "deadline"
    v = await c.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    assert v["view"]["alliances"] == []
