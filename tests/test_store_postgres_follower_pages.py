"""The pages' data and the exports of a live session from any process (issue 20, several
processes on one PostgreSQL): a process that does not own the session answers the debrief
(`/api/web/history`), the export, and the player pages' routes (`/api/web/context`,
`/api/web/guide`) and the console link as the owner does: from its replica of the session
(server/follower.py), caught up first, and from the database. Even a process that has never
seen the session before (the token is looked up in the database, as a socket's is).

Two real `python run.py --db postgresql://...` processes: A creates the session and owns it;
the players join and play one round through A; B is asked."""
from __future__ import annotations

import io
import json
import zipfile

import aiohttp

from clients.python.client import GameClient
from clients.python.http_api import create_session, join_session
from pg_processes import two_processes


async def _get(url: str, token: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as r:
            return r.status, await r.read()


def _members(zipped: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        return {n: z.read(n) for n in z.namelist()}


async def _round_played(a: str, s: dict, players: list[dict], round: int) -> None:
    """Round `round` played through A (the first one started by the facilitator)."""
    clients = [GameClient(a, p["player_token"], name=p["player_id"]) for p in players]
    fac = GameClient(a, s["facilitator_token"], name="fac")
    try:
        for c in clients + [fac]:
            await c.connect()
        if round == 1:
            await fac.control("start")
        for c in clients:
            await c.wait_view(lambda v: v["phase"] == "execution" and v["current_round"] == round)
            await c.submit()
        for c in clients:
            await c.wait_view(lambda v: v["current_round"] == round + 1)
    finally:
        for c in clients + [fac]:
            await c.close()


async def test_the_debrief_exports_and_player_pages_are_served_by_a_process_that_does_not_own_the_session(pg_dsn):
    procs = await two_processes(pg_dsn)
    try:
        a, b = (p.url for p in procs)
        s = await create_session(a, scenario="classic", copies=1, rounds=3, negotiation=False, seed=4)
        sid, fac = s["session_id"], s["facilitator_token"]
        players = [await join_session(a, s["code"], f"P{i}") for i in range(2)]
        await _round_played(a, s, players, 1)

        # B has never seen the session: the facilitator's and the players' tokens reach it
        for path, token in [(f"/api/web/history/{sid}", fac), ("/api/web/console_link", fac),
                            ("/api/web/context", players[0]["player_token"]),
                            ("/api/web/guide", players[1]["player_token"])]:
            on_a, on_b = await _get(a + path, token), await _get(b + path, token)
            assert on_a[0] == 200, (path, on_a)
            if path == "/api/web/console_link":  # the same link, each process's own QR drawing
                assert on_b[0] == 200, (path, on_b)
                continue
            assert on_b == on_a, path
        status, zipped_b = await _get(f"{b}/api/sessions/{sid}/export", fac)
        assert status == 200, zipped_b[:300]
        _, zipped_a = await _get(f"{a}/api/sessions/{sid}/export", fac)
        got, want = _members(zipped_b), _members(zipped_a)
        assert got.keys() == want.keys() and "events.csv" in got
        assert {n: v for n, v in got.items() if n != "manifest.json"} == \
               {n: v for n, v in want.items() if n != "manifest.json"}

        # B's answers follow the session as it goes on (its replica catches up; nothing cached)
        await _round_played(a, s, players, 2)
        history = f"/api/web/history/{sid}"
        on_a, on_b = await _get(a + history, fac), await _get(b + history, fac)
        assert on_b == on_a and len(json.loads(on_b[1])["rounds"]) == 2
    finally:
        for p in procs:
            p.cleanup()
