"""The projector during a round of a large class, in real headless Chromium at 1280x720: the
firms still deciding come first, so the room sees whom it waits for without anyone scrolling
the projector (in copy order, the last copies' firms were below the fold). Real server, real
sockets: the players of the other firms submit over their own sockets.
Fixtures from tests/test_browser_game.py and tests/conftest.py."""
from __future__ import annotations

from conftest import Client
from test_browser_game import (  # noqa: F401 (fixtures are used by name)
    browser, expect, http, problems, shot, web_server)
from test_browser_projector_after_end import _projector


async def test_the_projector_shows_the_firms_still_deciding_first(web_server, http, browser, problems, clients):
    session = await http.create(scenario="classic", copies=7, negotiation=False)  # 14 firms
    joined = [await http.join(session["code"], f"Player {i}") for i in range(14)]
    firms = [j["firm"] for j in joined]
    assert len(set(firms)) == 14
    await http.control(session, "start")
    waiting = {"west7", "east7"}  # the last copy: the end of the list in copy order
    assert waiting <= set(firms)
    for j in joined:
        if j["firm"] not in waiting:
            c = await Client.login(web_server.url, j["player_token"])
            clients.append(c)
            await c.ok("submit", decision={})

    page = await _projector(browser, problems, web_server.url, session)  # 1280x720
    await expect(page.get_by_test_id("room-submitted")).to_contain_text("12 of 14")
    items = page.locator("li[data-testid^=room-west], li[data-testid^=room-east]")  # in the page's order
    assert await items.count() == 14
    first_two = [await items.nth(i).get_attribute("data-testid") for i in range(2)]
    assert first_two == ["room-west7", "room-east7"]
    for firm in waiting:
        await expect(page.get_by_test_id(f"room-{firm}")).to_be_in_viewport(ratio=1)
        await expect(page.get_by_test_id(f"room-{firm}")).to_contain_text("deciding")
    await shot(page, "projector_large_class_deciding_first.png", full_page=False)
    problems.check()
