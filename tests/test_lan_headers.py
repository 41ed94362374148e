"""A page opened at the room's LAN address logs no console error in Chromium: the
Cross-Origin-Opener-Policy header is sent only where a browser applies it (https, or this
computer's loopback address). On `http://192.168.1.23:8080` Chromium ignores it and logs "The
Cross-Origin-Opener-Policy header has been ignored, because the URL's origin was
untrustworthy" as an error on every phone of the class (seen by tests/test_browser_rehearsal.py,
which runs on the LAN address)."""
from __future__ import annotations

import aiohttp
import pytest

COOP = "Cross-Origin-Opener-Policy"


async def _headers(url: str, path: str, host: str, **headers) -> dict:
    async with aiohttp.ClientSession() as http:
        async with http.get(url + path, headers={"Host": host, **headers}) as r:
            return dict(r.headers)


@pytest.mark.parametrize("path", ["/join", "/console", "/api/web/context"])
async def test_no_opener_policy_on_a_plain_http_lan_address(server, path):
    port = server.port
    for host in (f"192.168.1.23:{port}", f"10.0.0.7:{port}", f"alliance.local:{port}"):
        assert COOP not in await _headers(server.url, path, host), (host, path)
    # where the browser applies it, it is still sent
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        assert (await _headers(server.url, path, host))[COOP] == "same-origin", (host, path)


async def test_the_opener_policy_stays_behind_https(start_server):
    """Behind a TLS proxy (`--public-url https://...`) the browser's origin is https."""
    s = await start_server(public_url="https://game.example.org")
    assert (await _headers(s.url, "/join", "game.example.org"))[COOP] == "same-origin"
