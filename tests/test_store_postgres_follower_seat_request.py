"""A new device's seat request across processes (issue 20, several processes on one
PostgreSQL, no sticky sessions in front): the join that asks for a seat (`takeover: true`)
reaches one process and each poll of `GET /api/sessions/{id}/seat_request` may reach
another. A process that does not own the session forwards the poll to the owner (the token's
hash only, never the token) and answers as the owner would: pending, then approved once the
facilitator approves on the owner; a token that asks for nothing is refused, an unknown
session is 404.

Two real `python run.py --db postgresql://...` processes: A creates the session and owns it;
the new device joins and polls through B."""
from __future__ import annotations

import pytest

from clients.python.client import GameClient
from clients.python.http_api import CommandError, create_session, http_request, join_session
from pg_processes import two_processes


async def test_a_seat_request_is_polled_through_a_process_that_does_not_own_the_session(pg_dsn):
    procs = await two_processes(pg_dsn)
    try:
        a, b = (p.url for p in procs)
        s = await create_session(a, scenario="classic", copies=1, rounds=3, negotiation=False, seed=4)
        sid = s["session_id"]
        first = await join_session(a, s["code"], "Eli")
        asked = await http_request("POST", f"{b}/api/join", {"code": s["code"], "name": "ELI", "takeover": True})
        assert asked["seat_request"] == "pending" and "player_id" not in asked, asked
        poll = f"/api/sessions/{sid}/seat_request"
        for url in (a, b):
            st = await http_request("GET", url + poll, token=asked["player_token"])
            assert st["seat_request"] == "pending" and st["request"] == asked["request"], (url, st)
        # hostile polls through B: a token that asks for nothing, an unknown session
        with pytest.raises(CommandError) as e:
            await http_request("GET", b + poll, token="x" * 40)
        assert e.value.code == "bad_token" and e.value.status == 401
        with pytest.raises(CommandError) as e:
            await http_request("GET", f"{b}/api/sessions/s_nosuchsession00/seat_request", token=asked["player_token"])
        assert e.value.status == 404

        fac = GameClient(a, s["facilitator_token"], name="fac")
        try:
            await fac.connect()
            r = await fac.control("approve_seat", request=asked["request"])
            assert r["player_id"] == first["player_id"], r
        finally:
            await fac.close()
        st = await http_request("GET", b + poll, token=asked["player_token"])
        assert st["seat_request"] == "approved" and st["player_id"] == first["player_id"], st
        # and the approved device plays the seat through B
        new = GameClient(b, asked["player_token"], name="new")
        try:
            await new.connect()
            view = await new.wait_view(lambda v: True)
            assert view["me"]["player_id"] == first["player_id"]
        finally:
            await new.close()
    finally:
        for p in procs:
            p.cleanup()
