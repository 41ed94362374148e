"""A hostile student on the socket (server/http/ws.py), with a real server and a real client:

- the time to authenticate runs from the socket's opening: pings or junk frames sent before
  `auth` used to restart it (each frame started a new `auth_timeout`), so a socket that only
  pinged stayed open, unauthenticated, for as long as it liked;
- a flood of WebSocket pings (not commands: no rate budget, and each one answered with a
  pong written back) is bounded: beyond `ping_allowance` control frames per 10 s the socket
  is closed (1008 "too many pings"); a client that pings now and then is not;
- sockets opened and left unauthenticated are bounded per client address
  (`unauthenticated_per_address`): each is closed at the time limit, but a script opening
  thousands a second held thousands of descriptors; beyond the bound the handshake is
  refused (429), and a class behind one address, authenticating as it connects, never
  meets it.
"""
from __future__ import annotations

import asyncio
import time

import aiohttp
import msgpack

from conftest import Api
from server.http.context import CONTEXT

AUTH_TIMEOUT = 1.0


async def _closed(ws: aiohttp.ClientWebSocketResponse, keep_sending, give_up: float = 4.0) -> tuple:
    """Run `keep_sending(ws)` until the server closes the socket: (code, reason, seconds), or
    (None, "still open", seconds) after `give_up` seconds."""
    t0 = time.monotonic()
    sender = asyncio.create_task(keep_sending(ws))
    try:
        async with asyncio.timeout(give_up):
            while True:
                m = await ws.receive()
                if m.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                    return ws.close_code, m.extra or "", time.monotonic() - t0
    except TimeoutError:
        return None, "still open", time.monotonic() - t0
    finally:
        sender.cancel()


async def _every(period: float, send) -> None:
    try:
        while True:
            await send()
            await asyncio.sleep(period)  # the client's pace, not a synchronisation
    except (ConnectionError, RuntimeError):
        pass  # the server closed the socket


async def test_pings_before_auth_do_not_stretch_the_time_to_authenticate(start_server):
    server = await start_server(auth_timeout=AUTH_TIMEOUT)
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{server.url}/ws", autoping=False)
        code, reason, took = await _closed(ws, lambda w: _every(0.25, lambda: w.ping(b"still here")))
    assert code == 4408, (code, reason)
    assert "authenticate" in reason
    assert took < AUTH_TIMEOUT + 1.0, f"closed after {took:.1f} s, not at the {AUTH_TIMEOUT} s limit"


async def test_junk_before_auth_does_not_stretch_the_time_to_authenticate(start_server):
    """Fewer junk frames than `garbage_strikes` but one every so often: the limit still holds."""
    server = await start_server(auth_timeout=AUTH_TIMEOUT, garbage_strikes=1000)
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{server.url}/ws", autoping=False)
        code, reason, took = await _closed(ws, lambda w: _every(0.25, lambda: w.send_bytes(b"\xc1 junk")))
    assert code == 4408, (code, reason)
    assert took < AUTH_TIMEOUT + 1.0, f"closed after {took:.1f} s, not at the {AUTH_TIMEOUT} s limit"


async def test_a_ping_flood_closes_the_socket_and_the_class_goes_on(start_server):
    server = await start_server()
    allowance = getattr(server.config, "ping_allowance", 20)  # (getattr: the same test runs on the base)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(copies=1, rounds=3, negotiation=False)
        tokens = [(await api.join(session["code"], name))["player_token"] for name in ("ana", "ben")]
        flooder, calm = [await http.ws_connect(f"{server.url}/ws", autoping=False) for _ in tokens]
        for ws, token in zip((flooder, calm), tokens):
            await ws.send_bytes(msgpack.packb({"type": "auth", "token": token}))
            assert msgpack.unpackb((await ws.receive(timeout=10)).data)["type"] == "welcome"

        # a client that pings now and then (a library's keep-alive): answered, the socket stays
        for _ in range(allowance // 2):
            await calm.ping(b"k")
        pongs = 0
        while pongs < allowance // 2:
            m = await calm.receive(timeout=10)
            pongs += m.type is aiohttp.WSMsgType.PONG

        async def flood(ws):
            try:
                for _ in range(5000):
                    await ws.ping()
            except (ConnectionError, RuntimeError):
                pass
        answered = 0
        sender = asyncio.create_task(flood(flooder))
        m = None
        try:
            async with asyncio.timeout(10):
                while True:
                    m = await flooder.receive()
                    if m.type is aiohttp.WSMsgType.PONG:
                        answered += 1
                        continue
                    if m.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                        break
        except TimeoutError:
            pass  # never closed: the assertions below say so
        sender.cancel()
        assert flooder.close_code == 1008 and "ping" in (m.extra or ""), (flooder.close_code, m)
        assert answered <= allowance, f"{answered} pongs written for a flood"

        # the calm player's socket still works: a command is answered
        await calm.send_bytes(msgpack.packb({"type": "ping", "id": "p1"}))
        while True:
            m = await calm.receive(timeout=10)
            if m.type is aiohttp.WSMsgType.BINARY and msgpack.unpackb(m.data).get("id") == "p1":
                break
        assert not calm.closed
        await calm.close()


async def test_unauthenticated_sockets_are_bounded_per_address_and_a_class_still_connects(start_server):
    server = await start_server(unauthenticated_per_address=5, auth_timeout=30.0)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(copies=3, rounds=3, negotiation=False)
        idle = [await http.ws_connect(f"{server.url}/ws") for _ in range(5)]
        # the sixth from the same address is refused before the upgrade, with a reason
        try:
            await http.ws_connect(f"{server.url}/ws")
            refused = None
        except aiohttp.WSServerHandshakeError as e:
            refused = e.status
        assert refused == 429
        # one of the five authenticates: it no longer counts, and a new socket is accepted
        token = (await api.join(session["code"], "ana"))["player_token"]
        await idle[0].send_bytes(msgpack.packb({"type": "auth", "token": token}))
        assert msgpack.unpackb((await idle[0].receive(timeout=10)).data)["type"] == "welcome"
        extra = await http.ws_connect(f"{server.url}/ws")
        # the idle ones leave: a whole class from this one address connects, each socket
        # authenticating as it opens (what browsers and the Python client do)
        for ws in idle[1:] + [extra]:
            await ws.close()
        players = []
        for i in range(12):
            ws = await http.ws_connect(f"{server.url}/ws")
            token = (await api.join(session["code"], f"p{i}"))["player_token"]
            await ws.send_bytes(msgpack.packb({"type": "auth", "token": token}))
            assert msgpack.unpackb((await ws.receive(timeout=10)).data)["type"] == "welcome"
            players.append(ws)
        for ws in players + [idle[0]]:
            await ws.close()
    # nothing is left counted: every socket that went away, authenticated or not, settled
    waiting = server.runner.app[CONTEXT].unauthenticated
    async with asyncio.timeout(10):
        while waiting:
            await asyncio.sleep(0.01)  # polling a condition, with a deadline
