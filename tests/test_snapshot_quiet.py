"""A round's snapshot waits (server/snapshot_timer.py): it is not taken right behind the
round's pushes, and nothing acknowledged depends on it: kill -9 before it is taken, and the
restart folds the round from the log to the same view."""
from __future__ import annotations

import sqlite3

import aiohttp

from conftest import Api, Client
from test_server_durability import _setup

# what a round changes in a firm's view (the clock, who is online, `me` are not compared)
ROUND_KEYS = ("round", "current_round", "phase", "firm", "rival", "alliances", "history", "budget", "domains",
              "draft", "submitted")


def _snapshot_rounds(db_path, session_id: str) -> list[int]:
    db = sqlite3.connect(db_path)
    try:
        return [r for (r,) in db.execute("SELECT round FROM snapshots WHERE session_id = ? ORDER BY seq", (session_id,))]
    finally:
        db.close()


async def _round_played(url: str, http, clients) -> tuple[Api, dict, dict]:
    """Round 1 submitted by both firms (tests/test_server_durability.py's session), round 2 open."""
    api, session, west, east = await _setup(url, http, clients)
    players = {"west1": west, "east1": east}
    for c in players.values():
        await c.ok("submit", decision={"develop": {"design": 5.0}})
    for c in players.values():
        c.view = (await c.wait_for(lambda m: m["type"] == "view" and m["view"]["current_round"] == 2))["view"]
    return api, session, players


async def test_the_round_snapshot_waits_and_a_crash_before_it_loses_nothing(server_process, db_path, clients):
    proc = await server_process("--snapshot-quiet", "3600")
    async with aiohttp.ClientSession() as http:
        api, session, players = await _round_played(proc.url, http, clients)
        west = players["west1"]
        # every item queued before this command has run and been committed when it is acked:
        # a snapshot taken right behind the round's pushes would be in the file now
        await west.ok("ping")
        assert _snapshot_rounds(db_path, session["session_id"]) == []
        proc.kill9()

        proc2 = await server_process()  # the default wait: the restart's own snapshot comes later
        for firm, before in players.items():
            after = await Client.login(proc2.url, before.joined["player_token"], name=f"{firm}-after")
            clients.append(after)
            assert {k: after.view.get(k) for k in ROUND_KEYS} == {k: before.view.get(k) for k in ROUND_KEYS}
            assert after.view["current_round"] == 2 and len(after.view["history"]) > 0
            await after.ok("submit", decision={"develop": {"brand": 3.0}})
        res = await after.wait_for(lambda m: m["type"] == "round_result" and m["round"] == 2)
        assert any(e["type"] == "firm_result" for e in res["events"])
        assert (await Api(proc2.url, http).summary(session))["round"] == 2
        assert proc2.terminate() == 0  # a clean stop takes the snapshot it owes
    assert _snapshot_rounds(db_path, session["session_id"])[-1] == 2


async def test_a_snapshot_due_while_a_rounds_views_are_built_waits_for_the_last_of_them(start_server, monkeypatch):
    """server/snapshot_timer.py: a snapshot that falls due while a new round's views are being
    built, chunk by chunk, is taken after the last chunk: taken between two, its commit held
    every later chunk's views (they leave after the commits before them). On 0c7d51e it
    ran between the chunks."""
    from server import fanout, session_actor
    monkeypatch.setattr(fanout, "VIEWS_CHUNK", 1, raising=False)
    order: list[str] = []
    chunk, snapshot = fanout.Fanout._round_views_chunk, session_actor.SessionActor._snapshot

    def chunk_built(self, groups):
        chunk(self, groups)
        order.append("last chunk" if len(groups) <= fanout.VIEWS_CHUNK else "chunk")

    def snapshot_taken(self):
        snapshot(self)
        order.append("snapshot")
    monkeypatch.setattr(fanout.Fanout, "_round_views_chunk", chunk_built)
    monkeypatch.setattr(session_actor.SessionActor, "_snapshot", snapshot_taken)
    server = await start_server(status_every=0, snapshot_quiet_seconds=0)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(scenario="classic", copies=2, seed=4, negotiation=False)
        joined = [await api.join(session["code"], n) for n in ("Ada", "Bea", "Cy", "Dan")]
        players = [await Client.login(server.url, j["player_token"], name=j["player_id"]) for j in joined]
        try:
            await api.control(session, "start")
            for c in players:
                await c.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 1)
            for c in players:
                await c.ok("submit", decision={"develop": {"design": 5.0}})
            for c in players:
                await c.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 2)
            await players[0].ok("ping")   # every item queued before it has run
            assert order.count("last chunk") >= 1 and "snapshot" in order, order
            building = False
            for what in order:
                assert not (building and what == "snapshot"), order
                building = what == "chunk" or (building and what != "last chunk")
        finally:
            for c in players:
                await c.close()


async def test_a_chunk_of_views_that_fails_does_not_hold_the_snapshot_for_ever(start_server, monkeypatch):
    """A round's views that stop with an error (logged by the actor) leave no chunk queued:
    a due snapshot is then taken, not put back behind chunks that will never come."""
    from server import fanout, session_actor
    monkeypatch.setattr(fanout, "VIEWS_CHUNK", 1, raising=False)
    armed: list[bool] = []             # the round is being played: its views will fail
    taken: list[bool] = []             # per snapshot: taken once armed
    snapshot, views = session_actor.SessionActor._snapshot, fanout.Fanout._player_views

    def snapshot_taken(self):
        snapshot(self)
        taken.append(bool(armed))

    def failing(self, names, deltas):
        if armed:
            raise RuntimeError("a view could not be built")
        views(self, names, deltas)
    monkeypatch.setattr(session_actor.SessionActor, "_snapshot", snapshot_taken)
    monkeypatch.setattr(fanout.Fanout, "_player_views", failing)
    server = await start_server(status_every=0, snapshot_quiet_seconds=0)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(scenario="classic", copies=1, seed=4, negotiation=False)
        joined = [await api.join(session["code"], n) for n in ("Ada", "Bea")]
        players = [await Client.login(server.url, j["player_token"], name=j["player_id"]) for j in joined]
        try:
            await api.control(session, "start")
            for c in players:
                await c.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 1)
            await players[0].ok("ping")
            armed.append(True)
            for c in players:
                await c.ok("submit", decision={"develop": {"design": 5.0}})
            await players[0].wait_for(lambda m: m["type"] == "round_result")
            for _ in range(15):   # the snapshot's item runs within a few turns of the actor
                await players[1].ok("ping")
                if True in taken:
                    break
            assert True in taken, taken
        finally:
            for c in players:
                await c.close()
