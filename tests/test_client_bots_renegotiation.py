"""A live bot (clients/python/live_bots.py) in renegotiation windows, through the real
server: it answers its partner's proposal from its own dependency only, keeping the terms
when offered too little and accepting a modest cut, as a dependent seat bot would."""
from __future__ import annotations

import asyncio

from clients.python.client import GameClient, control, create_session, join_session
from clients.python.live_bots import LiveBot
from game_rules.renegotiation import reservation_share


async def test_a_live_bot_keeps_the_terms_or_accepts_by_its_dependency(server, made):
    session = await create_session(server.url, scenario="classic", copies=1, rounds=3, negotiation=False,
                                   renegotiation_every=1, renegotiation_seconds=600, seed=3)
    j = await join_session(server.url, session["code"], "ana")
    west = GameClient(server.url, j["player_token"], name="ana")
    await west.connect()
    made.append(west)
    bot = await LiveBot.join(server.url, session["code"], "Bot", "balanced", seed=1)
    made.append(bot.client)
    run = asyncio.create_task(bot.run(timeout=30))
    await control(server.url, session["session_id"], session["facilitator_token"], "start")
    asks = {1: 0.05, 2: None}  # east1's share west offers: far too little, then a modest cut
    for rnd in (1, 2):
        await west.wait_view(lambda v: v["phase"] == "execution" and v["current_round"] == rnd)
        await west.submit({"contribute": {"design": 20}}, round=rnd)
        await west.wait_view(lambda v: v["phase"] == "renegotiation" and v["renegotiation"]["round"] == rnd)
        await bot.client.wait_view(lambda v: v["phase"] == "renegotiation" and v["renegotiation"]["round"] == rnd)
        (pair,) = bot.client.view["renegotiation"]["alliances"]
        floor = reservation_share(0.5, pair["dependency"], 0.0)
        assert floor < 0.5  # east1 needs west1: it would take less than half
        east_share = asks[rnd] if asks[rnd] is not None else (floor + 0.5) / 2
        await west.negotiate("offer", {"split": {"west1": 1 - east_share, "east1": east_share}}, "a1")
    await west.wait_view(lambda v: v["phase"] == "execution" and v["current_round"] == 3)
    await west.submit({"contribute": {"design": 20}}, round=3)
    assert await asyncio.wait_for(run, 30) == "debrief"
    assert bot.report.moves[-2:] == [("a1", "walk_away"), ("a1", "accept")]
    final = west.view["renegotiation"]["alliances"][0]
    assert final["renegotiated"] and final["terms"]["split"]["east1"] > 0.05
