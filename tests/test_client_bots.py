"""Bots over the live protocol (clients/python/live_bots.py) and bot seats handed to people,
against the real server on loopback: a whole session of six bot-played firms to the
debrief, a live tournament that reproduces the engine's numbers exactly, and a bot (a
server seat or a live bot) replaced by a person mid-session, from the next decision on."""
from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from clients.python.client import GameClient, control, create_session, join_session, summary
from clients.python.live_bots import BOT_SUFFIX, LiveBot, ThinkTime
from clients.python.live_tournament import compare, run_live_tournament
from game_rules.simulate import tournament


async def _person(url: str, code: str, name: str, made: list) -> GameClient:
    j = await join_session(url, code, name)
    c = GameClient(url, j["player_token"], name=name)
    await c.connect()
    c.joined = j
    made.append(c)
    return c


async def _facilitator(url: str, session: dict, made: list) -> GameClient:
    c = GameClient(url, session["facilitator_token"], name="fac")
    await c.connect()
    made.append(c)
    return c


def _log(db_path, type_: str) -> list[tuple]:
    db = sqlite3.connect(db_path)
    try:
        return [(actor, firm, json.loads(data)) for actor, firm, data in
                db.execute("SELECT actor, firm, data FROM log WHERE type = ? ORDER BY seq", [type_])]
    finally:
        db.close()


def test_think_time_parsing():
    assert ThinkTime.parse("1-4") == ThinkTime(1.0, 4.0)
    assert ThinkTime.parse("2") == ThinkTime(2.0, 2.0)
    assert ThinkTime.parse("0") == ThinkTime() and ThinkTime().high == 0  # off
    for bad in ("4-1", "-1", "a-b", "1-2-3"):
        with pytest.raises(ValueError):
            ThinkTime.parse(bad)


async def test_six_live_bots_negotiate_and_play_to_the_debrief(server, db_path):
    session = await create_session(server.url, scenario="classic", copies=3, seed=11)
    strategies = ["internalizer", "avoider", "balanced", "tit_for_tat", "random", "balanced"]
    bots = [await LiveBot.join(server.url, session["code"], f"Bot {i}", s, seed=i, binary=i % 2 == 0,
                               think=ThinkTime(0, 0.01) if i == 5 else None)
            for i, s in enumerate(strategies)]
    assert [b.joined["firm"] for b in bots] == ["west1", "east1", "west2", "east2", "west3", "east3"]
    assert all(b.client.name.endswith(BOT_SUFFIX) for b in bots)
    runs = [asyncio.create_task(b.run(timeout=30)) for b in bots]
    await control(server.url, session["session_id"], session["facilitator_token"], "start")
    assert await asyncio.gather(*runs) == ["debrief"] * 6

    final = await summary(server.url, session["session_id"], session["facilitator_token"])
    rounds = final["rounds"]
    assert final["phase"] == "debrief" and final["round"] == rounds
    assert {k: n["status"] for k, n in final["negotiations"].items()} == {"a1": "agreed", "a2": "agreed", "a3": "agreed"}
    for b in bots:  # every firm decided every round itself, through the socket
        assert sorted(b.report.submitted) == list(range(1, rounds + 1)) and b.report.fallbacks == 0
        assert b.client.view["score"]["rank"] in range(1, 7)
    closed = _log(db_path, "round_closed")
    assert len(closed) == rounds
    assert all(set(d["sources"].values()) == {"submitted"} for _, _, d in closed)
    by_bot = {b.client.player_id for b in bots}
    assert {actor for actor, _, _ in _log(db_path, "decision_submitted")} == by_bot


async def test_the_live_tournament_reproduces_the_engine(server):
    strategies = ["internalizer", "avoider", "tit_for_tat"]
    live = await run_live_tournament(server.url, "classic", strategies, seeds=1)
    assert len(live) == 9
    assert compare(tournament("classic", 1, strategies), live) == 0.0


async def test_a_late_person_takes_a_bot_seat_from_the_next_decision(start_server, made, db_path):
    server = await start_server()
    session = await create_session(server.url, copies=1, rounds=4, negotiation=False)
    west = await _person(server.url, session["code"], "Wes", made)
    fac = await _facilitator(server.url, session, made)
    r = await fac.control("fill_bots", strategy="internalizer")
    assert r["firms"] == ["east1"]
    await fac.control("start")
    await west.wait_view(lambda v: v["current_round"] == 1)
    await west.submit({"contribute": {"design": 15}}, round=1)
    await fac.wait(lambda c: 1 in c.round_results and c.view["status"]["current_round"] == 2)
    assert fac.round_results[1]["sources"] == {"west1": "submitted", "east1": "bot"}

    # round 2 is under way (the bot has decided it); a person joins: the bot-held seat
    late = await _person(server.url, session["code"], "Eve", made)
    assert late.joined["firm"] == "east1"
    await fac.wait(lambda c: "east1" not in c.view["status"]["bots"])
    (actor, firm, d), = _log(db_path, "bot_replaced")
    assert (actor, firm) == (late.player_id, "east1")
    assert d == {"firm": "east1", "strategy": "internalizer", "player_id": late.player_id,
                 "reason": "joined", "from_round": 3}
    await late.wait_view(lambda v: v["submitted"] is not None)  # the bot's round-2 decision stands
    await west.submit({"contribute": {"design": 15}}, round=2)
    await fac.wait(lambda c: 2 in c.round_results)
    assert fac.round_results[2]["sources"]["east1"] == "bot"

    # round 3 waits for the person: the bot no longer plays
    await west.submit({"contribute": {"design": 15}}, round=3)
    await fac.wait(lambda c: c.view["status"]["submitted"].keys() == {"west1"})
    assert fac.view["status"]["waiting_for"] == ["east1"]
    await late.submit({"contribute": {"manufacturing": 15}}, round=3)
    await fac.wait(lambda c: 3 in c.round_results)
    assert fac.round_results[3]["sources"] == {"west1": "submitted", "east1": "submitted"}

    # a restart replays the hand-over: round 4 still waits for the person
    for c in made:
        await c.close()
    await server.stop()
    again = await start_server()
    final = await summary(again.url, session["session_id"], session["facilitator_token"])
    assert final["status"]["bots"] == {} and final["status"]["current_round"] == 4
    assert final["status"]["waiting_for"] == ["west1", "east1"]


async def test_moving_a_person_into_a_bot_seat(server, made, db_path):
    session = await create_session(server.url, copies=2, rounds=3, negotiation=False)
    ann = await _person(server.url, session["code"], "Ann", made)
    fac = await _facilitator(server.url, session, made)
    await fac.control("fill_bots", strategy="balanced")
    await fac.control("start")
    await ann.submit({"contribute": {"design": 15}}, round=1)
    await fac.wait(lambda c: 1 in c.round_results and c.view["status"]["current_round"] == 2)

    await fac.control("move_player", player=ann.player_id, firm="east2")
    await ann.wait_view(lambda v: v["firm"]["id"] == "east2")
    (actor, firm, d), = _log(db_path, "bot_replaced")
    assert actor == "facilitator" and d["reason"] == "moved" and d["from_round"] == 3 and firm == "east2"
    # the seat Ann left is empty: the facilitator seats a bot there again
    r = await fac.control("fill_bots", strategy="avoider")
    assert r["firms"] == ["west1"]
    await fac.wait(lambda c: 2 in c.round_results)
    assert fac.round_results[2]["sources"] == {"west1": "bot", "east1": "bot", "west2": "bot", "east2": "bot"}
    await ann.wait_view(lambda v: v["current_round"] == 3)
    await ann.submit({"contribute": {"manufacturing": 15}}, round=3)
    await fac.wait(lambda c: 3 in c.round_results)
    assert fac.round_results[3]["sources"]["east2"] == "submitted"


async def test_a_live_bot_hands_over_to_a_person_who_joins_its_firm(server, made, db_path):
    session = await create_session(server.url, copies=1, rounds=3, negotiation=False)
    bot = await LiveBot.join(server.url, session["code"], "Bo", "tit_for_tat")       # west1
    partner = await _person(server.url, session["code"], "Pat", made)                # east1
    fac = await _facilitator(server.url, session, made)
    running = asyncio.create_task(bot.run(timeout=30))
    await fac.control("start")
    await partner.submit({"contribute": {"manufacturing": 15}}, round=1)
    # the bot decides round 2 as soon as it starts; then a person joins (firm west1)
    await fac.wait(lambda c: c.view["status"]["current_round"] == 2 and "west1" in c.view["status"]["submitted"])
    late = await _person(server.url, session["code"], "Lia", made)
    assert late.joined["firm"] == "west1"
    assert await running == "handover"
    assert sorted(bot.report.submitted) == [1, 2]
    welcome = await late.wait_view(lambda v: any("Lia" in m["text"] for m in v["chat"].get("firm:west1", [])))
    assert welcome["chat"]["firm:west1"][-1]["sender"] == bot.client.player_id

    await partner.submit({"contribute": {"manufacturing": 15}}, round=2)
    await late.wait_view(lambda v: v["current_round"] == 3)
    await late.submit({"contribute": {"design": 15}}, round=3)
    await partner.submit({"contribute": {"manufacturing": 15}}, round=3)
    await late.wait_view(lambda v: v["phase"] == "debrief")
    west = [(d["round"], actor) for actor, firm, d in _log(db_path, "decision_submitted") if firm == "west1"]
    assert west == [(1, bot.client.player_id), (2, bot.client.player_id), (3, late.player_id)]


async def test_live_bots_play_the_partner_selection(server, db_path):
    # across_ocean: four firms and a go-between; the board closes on its clock (3 s)
    session = await create_session(server.url, scenario="across_ocean", rounds=2, seed=3,
                                   selection_seconds=3, negotiation_seconds=5)
    bots = [await LiveBot.join(server.url, session["code"], f"Bot {i}", "balanced", seed=i)
            for i in range(len(session["firms"]))]
    runs = [asyncio.create_task(b.run(timeout=60)) for b in bots]
    await control(server.url, session["session_id"], session["facilitator_token"], "start")
    assert await asyncio.gather(*runs) == ["debrief"] * 5
    moves = _log(db_path, "selection_move")
    by_bot = {b.client.player_id for b in bots}
    assert moves and {actor for actor, _, _ in moves} <= by_bot  # every move came through a socket
    actions = [d["action"] for _, _, d in moves]
    assert "propose" in actions and "accept" in actions
    assert any(action == "introduce" for b in bots for _, action in b.report.moves)  # the go-between tried
    (closed,) = _log(db_path, "selection_closed")
    paired = {tuple(sorted(p["firms"])) for p in closed[2]["pairings"]}
    final = await summary(server.url, session["session_id"], session["facilitator_token"])
    assert paired and {tuple(sorted(n["firms"])) for n in final["negotiations"].values()} == paired
