"""`merge_players` through the real server (issue 15): Ana joined, lost her phone, joined
again as "Ana M" and was seated elsewhere. The facilitator merges the new row into her seat:
her new phone reconnects by itself as her seat (same token), her old phone is signed out
and its token refused, the roster and players.csv say what happened, and all of it holds
after a restart."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from conftest import Api, Client
from server.store import export_reader
from test_language_changed import export
from test_research_data import rows_of, unzip
from test_security_seats import _auth_error as _auth


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, db_path) -> str:
    return str(db_path) if request.param == "sqlite" else request.getfixturevalue("pg_dsn")


async def test_the_duplicate_device_goes_on_in_the_seat(start_server, clients, db):
    # on PostgreSQL the seat's row taking the duplicate's token once broke the unique token
    # index, and every later write of the server with it (storage_failed)
    async with aiohttp.ClientSession() as http:
        await _merge_and_restart(start_server, http, clients, db)


async def _merge_and_restart(start_server, http, clients, db):
    server = await start_server(db_path=db)
    api = Api(server.url, http)
    s = await api.create(copies=1, rounds=2, negotiation=False)
    ana = await api.join(s["code"], "Ana")
    ben = await api.join(s["code"], "Ben")
    anam = await api.join(s["code"], "Ana M")
    old_phone = await Client.login(server.url, ana["player_token"], name="old")
    new_phone = await Client.login(server.url, anam["player_token"], name="new")
    fac = await Client.login(server.url, s["facilitator_token"], name="fac")
    clients += [old_phone, new_phone, fac]

    # a hostile or mistaken control changes nothing
    for fields, code in (({"player_id": ana["player_id"]}, "missing_field"),
                         ({"player_id": ana["player_id"], "duplicate_id": "p_nobody"}, "unknown_player"),
                         ({"player_id": ana["player_id"], "duplicate_id": ana["player_id"]}, "out_of_range"),
                         ({"player_id": ana["player_id"], "duplicate_id": "x" * 65}, "out_of_range")):
        r = await fac.cmd("control", action="merge_players", **fields)
        assert r["type"] == "error" and r["code"] == code, (fields, r)
    # a player cannot merge anything
    r = await new_phone.cmd("control", action="merge_players", player_id=ana["player_id"],
                            duplicate_id=anam["player_id"])
    assert r["type"] == "error" and r["code"] == "forbidden", r

    r = await fac.ok("control", action="merge_players", player_id=ana["player_id"], duplicate_id=anam["player_id"])
    assert r["result"] == {"player_id": ana["player_id"], "duplicate_id": anam["player_id"], "firm": ana["firm"]}
    code, reason = await old_phone.wait_closed()
    assert code == 4403 and "other device" in reason
    code, _ = await new_phone.wait_closed()
    assert code == 1012  # a code the clients reconnect on
    welcome = await _auth(server.url, anam["player_token"])
    assert welcome["type"] == "welcome" and welcome["player_id"] == ana["player_id"], welcome
    assert (welcome["name"], welcome["firm"]) == ("Ana", ana["firm"])
    refused = await _auth(server.url, ana["player_token"])
    assert refused["code"] == "token_revoked" and "other device" in refused["message"]
    summary = await api.summary(s)
    seated = {p["player_id"]: p for p in summary["status"]["players"]}
    assert set(seated) == {ana["player_id"], ben["player_id"]}
    assert seated[ana["player_id"]]["firm"] == ana["firm"]

    # after a restart: the new phone is still the seat, the old token opens nothing
    await server.stop()
    server = await start_server(db_path=db)
    api = Api(server.url, http)
    assert (await _auth(server.url, anam["player_token"]))["player_id"] == ana["player_id"]
    assert (await _auth(server.url, ana["player_token"]))["code"] == "bad_token"
    rows = await asyncio.to_thread(_log_rows, db, s["session_id"])
    (data,) = [json.loads(r["data"]) for r in rows if r["type"] == "players_merged"]
    assert (data["player_id"], data["duplicate_id"], data["duplicate_firm"]) == \
        (ana["player_id"], anam["player_id"], anam["firm"])

    status, archive = await export(api, s)
    assert status == 200
    files = unzip(archive)
    players = {p["player_id"]: p for p in rows_of(files, "players.csv")}
    assert players[anam["player_id"]]["merged_into"] == ana["player_id"]
    assert players[ana["player_id"]]["merged_into"] == "" and players[ben["player_id"]]["merged_into"] == ""
    assert not any("token_hash" in json.dumps(row) for row in rows_of(files, "events.csv")
                   if row.get("type") == "players_merged")
    await server.stop()


def _log_rows(db: str, session_id: str) -> list[dict]:
    """The session's log through the store's export reader (PostgreSQL's runs its own loop)."""
    reader = export_reader(db)
    try:
        return reader.log_rows([session_id])
    finally:
        reader.close()
