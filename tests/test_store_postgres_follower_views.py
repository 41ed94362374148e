"""A socket on a follower ends with the same view as a socket on the owner (issue 20, several
processes on one PostgreSQL): one player holds two sockets, one on the process that owns the
session and one on a process that follows it (server/follower.py). Through chat lines,
drafts of the firm and a round's end, both clients fold what they are sent into the same
view; at the round's end each socket gets a `round_delta` (its firm members' view, as a
difference against the view that socket holds), the owner's and the follower's alike.

Two real `python run.py --db postgresql://...` processes: A creates the session (it owns it)."""
from __future__ import annotations

import asyncio

from clients.python.client import GameClient
from clients.python.http_api import create_session, join_session
from pg_processes import state, two_processes


async def test_a_player_on_the_follower_and_on_the_owner_folds_the_same_view_with_round_deltas(pg_dsn):
    procs = await two_processes(pg_dsn)
    clients: list[GameClient] = []
    tasks: list[asyncio.Task] = []
    try:
        a, b = (p.url for p in procs)
        s = await create_session(a, scenario="classic", copies=1, rounds=3, negotiation=False, seed=5)
        joined = [await join_session(a, s["code"], f"P{i}") for i in range(4)]
        me = joined[0]
        mate = next(j for j in joined[1:] if j["firm"] == me["firm"])
        on_owner = GameClient(a, me["player_token"], name="owner-side")
        on_follower = GameClient(b, me["player_token"], name="follower-side")
        others = [GameClient(a if j is mate else b, j["player_token"], name=j["player_id"])
                  for j in joined[1:]]
        fac = GameClient(a, s["facilitator_token"], name="fac")
        clients += [on_owner, on_follower, *others, fac]
        seen = {c.name: [] for c in (on_owner, on_follower)}
        for c in clients:
            await c.connect()
        for c in (on_owner, on_follower):
            q = c.listen()
            tasks.append(asyncio.create_task(_collect(q, seen[c.name])))
        await fac.control("start")
        for c in clients[:-1]:
            await c.wait_view(lambda v: v["phase"] == "execution")
        domains = [d["id"] for d in on_owner.view["domains"]]
        # the firm's talk and drafts, from both processes, then the round's end
        await on_follower.chat("firm", "from the follower")
        await next(c for c in others if c.name == mate["player_id"]).chat("firm", "from the owner's side")
        await on_owner.draft({"develop": {domains[0]: 3}})
        await on_follower.draft({"develop": {domains[1]: 2}})
        rival = next(c for c, j in zip(others, joined[1:]) if j["firm"] != me["firm"])
        for c in (on_follower, rival):  # one decision per firm
            await c.submit()
        for c in (on_owner, on_follower):
            await c.wait_view(lambda v: v["current_round"] == 2)
            await c.wait(lambda c: 1 in c.round_results)
            await c.ping()  # every message sent before it is in
        assert _unpresent(on_follower.view) == _unpresent(on_owner.view)
        assert on_follower.round_results[1]["events"] == on_owner.round_results[1]["events"]
        for name, types in seen.items():
            assert "round_delta" in types, (name, types)
        assert on_follower.stats.delta_misses == on_owner.stats.delta_misses == 0
        for c in clients:
            await c.close()
        assert procs[1].terminate() == 0
        errors = procs[1].proc.stderr.read()
        assert "Traceback" not in errors, errors  # the follower's catch-ups all went through
    finally:
        for t in tasks:
            t.cancel()
        for c in clients:
            await c.close()
        for p in procs:
            p.cleanup()


def _unpresent(view: dict) -> dict:
    """The view without presence (who is connected is per process: each knows its own sockets)."""
    return {**state(view), "team": [{k: v for k, v in m.items() if k != "connected"} for m in view.get("team", [])]}


async def _collect(q: asyncio.Queue, into: list) -> None:
    while True:
        into.append((await q.get())["type"])
