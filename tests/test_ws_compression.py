"""permessage-deflate: off by default (its zlib contexts cost ~170 kB per socket), on with
`ws_compress`. The project client (the `websockets` library) offers it in both cases;
commands and pushes work either way, large frames included, in order."""
from __future__ import annotations

import aiohttp

from clients.python.client import GameClient
from conftest import Api


async def _two_players(server):
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        s = await api.create(copies=1, rounds=2, negotiation=False)
        a = await api.join(s["code"], "Ana")
        b = await api.join(s["code"], "Ben")
        if a["firm"] != b["firm"]:
            await api.control(s, "move_player", player=b["player_id"], firm=a["firm"])
    return s, a, b


async def _exchange(server, s, a, b) -> tuple[GameClient, GameClient]:
    ana = GameClient(server.url, a["player_token"], name="ana")
    ben = GameClient(server.url, b["player_token"], name="ben")
    await ana.connect()
    await ben.connect()
    inbox = ben.listen()
    big = "x" * 40_000  # above aiohttp's 16 kB limit for compressing in the event loop
    assert await ana.chat("firm", "hello") is not None
    async with aiohttp.ClientSession() as http:
        await Api(server.url, http).control(s, "inject", text="news", event={"blob": big})
    assert await ana.chat("firm", "bye") is not None
    got = []
    while len(got) < 3:
        m = await inbox.get()
        if m["type"] == "chat":
            got.append(m["text"])
        elif m["type"] == "announcement":
            got.append(m["event"]["blob"])
    assert got == ["hello", big, "bye"] and ben.stats.gaps == 0
    return ana, ben


def _negotiated(client: GameClient) -> str:
    return client._ws.response.headers.get("Sec-WebSocket-Extensions", "")


async def test_compression_is_declined_by_default(start_server):
    server = await start_server()
    s, a, b = await _two_players(server)
    ana, ben = await _exchange(server, s, a, b)
    try:
        assert _negotiated(ana) == ""
        actor = server.hub.sessions[s["session_id"]]
        assert all(not c.ws.compress for conns in actor.conns.values() for c in conns)
    finally:
        await ana.close()
        await ben.close()


async def test_compression_when_turned_on(start_server):
    server = await start_server(ws_compress=True)
    s, a, b = await _two_players(server)
    ana, ben = await _exchange(server, s, a, b)
    try:
        assert "permessage-deflate" in _negotiated(ana)
        actor = server.hub.sessions[s["session_id"]]
        assert all(c.ws.compress for conns in actor.conns.values() for c in conns)
    finally:
        await ana.close()
        await ben.close()
