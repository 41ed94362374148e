"""A join link on the projector and the console wraps only between its parts, in real
headless Chromium: on a room's Wi-Fi the link is a LAN address ("http://192.168.100.200:41234/join")
and the projector's corner is narrow, so it used to break inside the address
("http://192.168.100.200:412" / "34/join") and students typed the wrong port.
Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

import aiohttp
import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from conftest import Api, InProcessServer  # noqa: E402
from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, new_page, open_console, problems, shot)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

# every text run of the element: its text and the distinct line tops its characters sit on
RUNS = """el => [...el.querySelectorAll('*'), el].flatMap(e => [...e.childNodes]).filter(n => n.nodeType === Node.TEXT_NODE).map(n => {
  const r = document.createRange(); r.selectNodeContents(n);
  return [n.textContent, [...new Set([...r.getClientRects()].map(b => Math.round(b.top)))].length];
})"""


async def _lines(locator) -> list[str]:
    """The link as its lines on screen; fails if any part of it is itself cut over two lines."""
    runs = await locator.evaluate(RUNS)
    assert runs, "the link has no text"
    cut = [text for text, lines in runs if lines > 1]
    assert not cut, f"the link breaks inside {cut}"
    return [text for text, _ in runs]


async def test_a_lan_join_link_wraps_only_between_its_parts(browser, problems, tmp_path):
    from server.config import ServerConfig
    cfg = ServerConfig(host="127.0.0.1", port=0, db_path=str(tmp_path / "lan.db"), synchronous="normal",
                       advertise_host="192.168.100.200")
    server = await InProcessServer(cfg).start()
    try:
        async with aiohttp.ClientSession() as s:
            api = Api(server.url, s)
            session = await api.create(scenario="classic", copies=1, negotiation=False)
            await api.control(session, "fill_bots")
        url = session["join_url"]
        assert url.startswith("http://192.168.100.200:")
        base, query = url.split("?")
        host = base[len("http://"):].split("/")[0]  # 192.168.100.200:<port>

        # the projector in the lobby: the big link; then a round on: the narrow corner
        room = await new_page(browser, problems, {"width": 1920, "height": 1080})
        await room.goto(f"{server.url}/projector")
        await room.evaluate("tok => localStorage.setItem('alliance.facilitator', JSON.stringify(tok))",
                            {"token": session["facilitator_token"], "session_id": session["session_id"],
                             "code": session["code"], "join_url": url})
        await room.reload()
        big = room.get_by_test_id("room-url")
        await expect(big).to_have_text(url)
        assert await _lines(big) == ["http://", host, "/join", "?" + query]

        async with aiohttp.ClientSession() as s:
            await Api(server.url, s).control(session, "start")
        corner = room.get_by_test_id("corner-url")
        await expect(corner).to_have_text(base)
        assert await corner.evaluate("el => el.getClientRects().length") == 1
        assert await corner.evaluate("el => el.getBoundingClientRect().height > 1.5 * parseFloat(getComputedStyle(el).lineHeight)"), \
            "the corner's link fits one line: this test would not see a cut"
        assert await _lines(corner) == ["http://", host, "/join"]
        await shot(room, "projector_corner_lan_link.png", full_page=False)

        # the console on a phone: the join box's link
        console = await open_console(browser, problems, server.url, session)
        await console.set_viewport_size({"width": 390, "height": 844})
        link = console.get_by_test_id("join-url")
        await expect(link).to_have_text(url)
        assert "".join(await _lines(link)) == url
        assert await link.inner_text() == url  # copying it by hand gives the link, no stray characters
    finally:
        await server.stop()
    problems.check()
