"""The console in real headless Chromium never shows a join link that phones cannot open
without saying so and what to do (server/lan.py). Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

import aiohttp
import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from conftest import Api, InProcessServer  # noqa: E402
from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, new_page, open_console, problems, shot, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")


async def test_the_console_says_when_phones_cannot_open_the_link(web_server, http, browser, problems, tmp_path):
    local = await http.create(scenario="classic", copies=1)
    console = await open_console(browser, problems, web_server.url, local)
    await console.set_viewport_size({"width": 1280, "height": 800})
    warning = console.get_by_test_id("join-url-local")
    await expect(warning).to_contain_text("Only this computer can open this link")
    await expect(warning).to_contain_text("--lan")
    await shot(console, "console_join_local_only.png", full_page=False)

    # the same console on a server that advertises its LAN address: no warning
    from server.config import ServerConfig
    cfg = ServerConfig(host="127.0.0.1", port=0, db_path=str(tmp_path / "lan.db"), synchronous="normal",
                       advertise_host="192.168.1.23")
    lan_server = await InProcessServer(cfg).start()
    try:
        async with aiohttp.ClientSession() as s:
            session = await Api(lan_server.url, s).create(scenario="classic", copies=1)
        assert session["join_url"].startswith("http://192.168.1.23:")
        page = await open_console(browser, problems, lan_server.url, session)
        await expect(page.get_by_test_id("join-url")).to_contain_text("http://192.168.1.23:")
        await expect(page.get_by_test_id("join-url-local")).to_have_count(0)
    finally:
        await lan_server.stop()
    problems.check()
