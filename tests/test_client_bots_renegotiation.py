"""A live bot (clients/python/live_bots.py) in renegotiation windows, through the real
server. It bargains from what its firm sees only (game_rules/renegotiation_moves.py): it
counters an offer of too little with its reservation share, proposes when its estimates give
it the stronger hand, and two bots on both sides propose and answer in their strategies'
directions."""
from __future__ import annotations

import asyncio
import json

from clients.python.client import GameClient, control, create_session, join_session
from clients.python.live_bots import LiveBot
from test_research_export import download, read_csv, unzip
from game_rules import renegotiation_moves


async def test_a_live_bot_counters_too_little_and_proposes_when_its_hand_is_stronger(server, made):
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

    def standing(n):
        return lambda v: ((v.get("renegotiation") or {}).get("alliances") or [{}])[0].get("standing") == n

    for rnd in (1, 2):
        await west.wait_view(lambda v: v["phase"] == "execution" and v["current_round"] == rnd)
        await west.submit({"contribute": {"design": 20}}, round=rnd)
        await west.wait_view(lambda v: v["phase"] == "renegotiation" and v["renegotiation"]["round"] == rnd)
        view = await bot.client.wait_view(lambda v: v["phase"] == "renegotiation" and v["renegotiation"]["round"] == rnd)
        (pair,) = view["renegotiation"]["alliances"]
        floor = renegotiation_moves.reservation(view, pair)
        ask = renegotiation_moves.ask(view, pair, "balanced")
        if rnd == 1:
            # about even by east1's estimates: no case to make, it waits; offered far too
            # little, it counters with its reservation share; west walks away, terms kept
            assert ask is None and abs(floor - 0.5) < 0.01
            await west.negotiate("offer", {"split": {"west1": 0.95, "east1": 0.05}}, "a1")
            offer = (await west.wait_view(standing(2)))["renegotiation"]["alliances"][0]["offers"][1]
            assert offer["by"] == "east1" and offer["kind"] == "counter"
            assert abs(offer["terms"]["split"]["east1"] - floor) < 1e-9
            await west.negotiate("walk_away", None, "a1")
        else:
            # after round 2 east1's estimates give it the stronger hand: it proposes first,
            # its reservation share and nothing else (a balanced bot asks only for share)
            assert ask is not None and ask["split"]["east1"] == floor > 0.51
            offer = (await west.wait_view(standing(1)))["renegotiation"]["alliances"][0]["offers"][0]
            assert offer["by"] == "east1" and offer["terms"] == ask
            await west.negotiate("accept", None, "a1")
    await west.wait_view(lambda v: v["phase"] == "execution" and v["current_round"] == 3)
    await west.submit({"contribute": {"design": 20}}, round=3)
    assert await asyncio.wait_for(run, 30) == "debrief"
    assert bot.report.moves == [("a1", "counter"), ("a1", "offer")]
    final = west.view["renegotiation"]["alliances"][0]
    assert final["renegotiated"] and final["terms"]["split"]["east1"] == ask["split"]["east1"]


async def test_live_bots_on_both_sides_propose_and_answer_in_the_windows(server, api, made):
    """Two live bots play a session with a window after every round: a bot with a case (the
    stronger hand by its estimates, or an avoider whose dependency rose) proposes terms in its
    strategy's direction, the other answers; the log has the bots' moves and each window ends
    either with new terms or with the old ones kept."""
    session = await create_session(server.url, scenario="classic", copies=1, rounds=4, negotiation=False,
                                   renegotiation_every=1, renegotiation_seconds=3, seed=3)
    learner = await LiveBot.join(server.url, session["code"], "Learner", "internalizer", seed=1)
    keeper = await LiveBot.join(server.url, session["code"], "Keeper", "avoider", seed=2)
    made.extend([learner.client, keeper.client])
    assert (learner.joined["firm"], keeper.joined["firm"]) == ("west1", "east1")
    runs = [asyncio.create_task(b.run(timeout=60)) for b in (learner, keeper)]
    await control(server.url, session["session_id"], session["facilitator_token"], "start")
    assert await asyncio.gather(*runs) == ["debrief", "debrief"]

    status, data = await download(api, f"/api/sessions/{session['session_id']}/export", session["researcher_token"])
    assert status == 200
    files = unzip(data)
    _, events = read_csv(files, "events.csv")
    actor = {learner.client.player_id: "west1", keeper.client.player_id: "east1"}
    moves = [e for e in events if e["type"] == "renegotiation_move"]
    # every move in a window was a bot's, made as its firm
    assert moves and all(actor.get(e["actor"]) == e["firm"] for e in moves)
    _, offers = read_csv(files, "offers.csv")
    windows: dict[str, list] = {}
    for o in offers:
        if o["phase"] == "renegotiation":
            windows.setdefault(o["round"], []).append(o)
    assert sorted(windows) == ["1", "2", "3"]
    current = {"west1": 4, "east1": 4, "exit_penalty": 40.0}  # classic's terms at signing
    proposers = set()
    for rnd, rows in sorted(windows.items()):
        played = [o for o in rows if o["action"] not in ("renegotiated", "kept")]
        end = rows[-1]
        # a window ends once: new terms from the next round, or the old ones kept
        assert end["action"] in ("renegotiated", "kept") and sum(o["action"] in ("renegotiated", "kept") for o in rows) == 1
        if end["action"] == "renegotiated":
            assert played[-1]["action"] == "accept" and end["applies_from"] == str(int(rnd) + 1)
        if not played:
            assert end["action"] == "kept"  # nobody had a case: the clock closed the window
            continue
        first = played[0]
        assert first["action"] == "offer" and [o["by"] for o in played] == [
            (first["by"], "east1" if first["by"] == "west1" else "west1")[i % 2] for i in range(len(played))]
        proposers.add(first["by"])
        terms = json.loads(first["terms"])
        if first["by"] == "east1":  # the avoider asks for protection: its own knowledge released slower
            assert terms["tranches"]["east1"] > current["east1"] and terms["exit_penalty"] > current["exit_penalty"]
        else:  # the internalizer, with the stronger hand, asks for a bigger share and more access
            assert terms["split"]["west1"] > 0.5 and terms["tranches"]["east1"] < current["east1"]
        if end["action"] == "renegotiated":
            agreed = json.loads(end["terms"])
            current = {"west1": agreed["tranches"]["west1"], "east1": agreed["tranches"]["east1"],
                       "exit_penalty": agreed["exit_penalty"]}
    assert proposers == {"west1", "east1"}  # both bots proposed in some window
    assert {w[-1]["action"] for w in windows.values()} == {"renegotiated", "kept"}
    # each bot's report has its own moves in the log's order
    for bot, firm in ((learner, "west1"), (keeper, "east1")):
        logged = [("a1", o["action"]) for rows in windows.values() for o in rows if o["by"] == firm]
        assert bot.report.moves == logged, firm

    # the debrief's data tells the same windows: per alliance, who moved how, and the outcome
    status, history = await api.request("GET", f"/api/web/history/{session['session_id']}",
                                        token=session["facilitator_token"])
    assert status == 200
    told = history["renegotiations"]["a1"]
    assert [w["round"] for w in told] == [1, 2, 3]
    for w, (rnd, rows) in zip(told, sorted(windows.items())):
        assert [(m["by"], m["action"]) for m in w["moves"]] == [
            (o["by"], o["action"]) for o in rows if o["action"] not in ("renegotiated", "kept")]
        assert w["outcome"] == rows[-1]["action"] and w["reason"] in ("settled", "clock")
        if w["outcome"] == "renegotiated":
            assert w["from_round"] == int(rnd) + 1 and w["changes"]
    # the signed alliances still come once each (the engine's event, not the fact too)
    assert [s["alliance"] for s in history["signed"]] == ["a1"]
