"""A token revoked on the owner stops working on every process at once (issue 20, several
processes on one PostgreSQL): a follower (server/follower.py), catching up on the owner's
committed facts, revokes what the owner revoked (a player removed, a seat moved to a new
device): that token's sockets there close with the owner's code (4403) and reason, a new
socket with it is refused `token_revoked`; and a command a follower forwards with that
token before it has heard (the inbox row written straight into the database here, as such a
follower writes it) is refused by the owner, so nothing from it is logged after the
revocation.

Two real `python run.py --db postgresql://...` processes: A creates the session (it owns
it), the players join and play through B (their joins forwarded to A)."""
from __future__ import annotations

import asyncio
import json
import time

import asyncpg

from clients.python.http_api import create_session, http_request, join_session
from conftest import Client
from pg_processes import two_processes
from server.auth import token_hash
from server.seats import REMOVED


async def _refused_at_auth(url: str, token: str) -> dict:
    c = await Client.open(url, name="again")
    try:
        await c.send({"type": "auth", "token": token})
        return await c.wait_for(lambda m: m["type"] in ("error", "welcome"))
    finally:
        await c.ws.close()


async def _log(dsn: str, sid: str) -> list[dict]:
    conn = await asyncpg.connect(dsn)
    try:
        return [dict(r) for r in await conn.fetch("SELECT * FROM log WHERE session_id = $1 ORDER BY seq", sid)]
    finally:
        await conn.close()


async def _forwarded(dsn: str, sid: str, item: dict, timeout: float = 30) -> dict:
    """What a follower does (server/store/pg_inbox.py): an inbox row and a notification,
    then the owner's reply (its row polled for, with a deadline)."""
    conn = await asyncpg.connect(dsn)
    try:
        row_id = await conn.fetchval("INSERT INTO inbox (session_id, item) VALUES ($1, $2) RETURNING id",
                                     sid, json.dumps(item))
        await conn.execute("SELECT pg_notify('alliance_inbox', $1)", sid)
        end = time.monotonic() + timeout
        while (reply := await conn.fetchval("SELECT reply FROM inbox_replies WHERE id = $1", row_id)) is None:
            assert time.monotonic() < end, "the owner never answered the forwarded item"
            await asyncio.sleep(0.05)  # polling for a condition, with a deadline
        return json.loads(reply)
    finally:
        await conn.close()


async def test_a_player_removed_on_the_owner_is_closed_and_refused_on_a_follower(pg_dsn):
    procs = await two_processes(pg_dsn)
    a, b = (p.url for p in procs)
    clients: list[Client] = []
    try:
        s = await create_session(a, scenario="classic", copies=1, rounds=3, negotiation=False, seed=1)
        x = await join_session(b, s["code"], "Xan")  # forwarded to A
        y = await join_session(b, s["code"], "Yve")
        fac = await Client.login(a, s["facilitator_token"], name="fac")
        xb = await Client.login(b, x["player_token"], name="x")  # a follower's sockets
        yb = await Client.login(b, y["player_token"], name="y")
        clients += [fac, xb, yb]
        await fac.ok("control", action="start")
        assert (await xb.cmd("chat", to="firm", text="before"))["type"] == "ack"

        await fac.ok("control", action="remove_player", player_id=x["player_id"])
        assert await xb.wait_closed(15) == (4403, REMOVED)  # as the owner closes its own
        refused = await _refused_at_auth(b, x["player_token"])
        assert refused["type"] == "error" and refused["code"] == "token_revoked", refused
        assert refused["message"] == REMOVED
        assert (await yb.cmd("chat", to="firm", text="still here"))["type"] == "ack"  # the others go on

        await yb.resync()  # the follower goes on serving the session
        rows = await _log(pg_dsn, s["session_id"])
        [removed] = [r["seq"] for r in rows if r["type"] == "player_removed"]
        assert [r["type"] for r in rows if r["actor"] == x["player_id"]][-2:] == ["chat", "chat"]
        assert not [r for r in rows if r["actor"] == x["player_id"] and r["seq"] > removed]
        for c in clients:
            await c.ws.close()
        assert procs[1].terminate() == 0
        errors = procs[1].proc.stderr.read()
        assert "Traceback" not in errors, errors  # the follower's catch-ups all went through
    finally:
        for c in clients:
            await c.ws.close()
        for p in procs:
            p.cleanup()


async def test_a_seat_moved_on_the_owner_closes_the_old_device_on_a_follower_and_its_late_command_is_refused(pg_dsn):
    procs = await two_processes(pg_dsn)
    a, b = (p.url for p in procs)
    clients: list[Client] = []
    try:
        s = await create_session(a, scenario="classic", copies=1, rounds=3, negotiation=False, seed=2)
        x = await join_session(b, s["code"], "Xan")
        fac = await Client.login(a, s["facilitator_token"], name="fac")
        old_phone = await Client.login(b, x["player_token"], name="old")  # on the follower
        clients += [fac, old_phone]
        await fac.ok("control", action="start")
        assert (await old_phone.cmd("chat", to="firm", text="from the old phone"))["type"] == "ack"

        # the seat moves to a new device, on the owner (its rejoin code)
        new = await http_request("POST", f"{a}/api/join", {"code": s["code"], "name": "Xan",
                                                            "rejoin_code": x["rejoin_code"]})
        assert new["player_id"] == x["player_id"] and new["player_token"] != x["player_token"]
        code, reason = await old_phone.wait_closed(15)
        assert code == 4403 and "device" in reason, (code, reason)
        refused = await _refused_at_auth(b, x["player_token"])
        assert refused["type"] == "error" and refused["code"] == "token_revoked", refused
        assert (await _refused_at_auth(b, new["player_token"]))["type"] == "welcome"  # the new device, anywhere

        # a follower that had not heard of the move yet forwards the old phone's command: refused
        late = {"type": "chat", "id": "late-1", "to": "firm", "text": "late from the old phone"}
        reply = await _forwarded(pg_dsn, s["session_id"], {"op": "command", "player_id": x["player_id"],
                                                           "token_hash": token_hash(x["player_token"]),
                                                           "frame": late})
        assert reply.get("refused", {}).get("code") == "token_revoked", reply
        rows = await _log(pg_dsn, s["session_id"])
        assert not [r for r in rows if r["command_id"] == "late-1"]
        assert "late from the old phone" not in json.dumps([r["data"] for r in rows])
    finally:
        for c in clients:
            await c.ws.close()
        for p in procs:
            p.cleanup()
