"""A command id or a session title with a NUL character is refused with a clear error, on
both stores (server/protocol/codecs.py `PLAIN_TEXT_FIELDS`). PostgreSQL cannot store a NUL
in text: before the check, one command id holding one failed the PostgreSQL store's
transaction, and the store then refused every later command of every session
(storage_failed) until a restart. SQLite stored it. Text kept inside a log row's JSON (chat)
is escaped there and stays accepted; names and labels are cleaned of it (server/names.py)."""
from __future__ import annotations

import json

import aiohttp
import pytest

from conftest import Api, Client


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
async def test_a_nul_in_a_command_id_or_title_is_refused_and_the_store_keeps_working(start_server, store, request,
                                                                                      clients):
    overrides = {"db_path": request.getfixturevalue("pg_dsn")} if store == "postgresql" else {}
    server = await start_server(**overrides)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        status, body = await api.try_create(scenario="classic", copies=1, title="class\x00A")
        assert status == 400 and body["error"]["code"] == "wrong_type" and "NUL" in body["error"]["message"]
        s = await api.create(scenario="classic", copies=1, rounds=2)
        j = await api.join(s["code"], "Ann")
        c = await Client.login(server.url, j["player_token"], binary=False, name="ann")
        clients.append(c)
        await c.ws.send(json.dumps({"type": "chat", "id": "a\x00b", "to": "firm", "text": "hi"}))
        r = await c.wait_for(lambda m: m["type"] in ("ack", "error"))
        assert r["type"] == "error" and r["code"] == "wrong_type" and "NUL" in r["message"], r
        assert (await c.cmd("chat", to="firm", text="hi\x00there"))["type"] == "ack"  # escaped in the log's JSON
        assert (await c.cmd("chat", to="firm", text="after"))["type"] == "ack"
        assert server.hub.store.failed is None
