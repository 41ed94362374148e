"""The connection pill after the phone's network drops and comes back, in real headless
Chromium: a short drop that the socket itself survives fired `offline` (the pill: "Offline:
waiting for the network") and then no socket state change, so the pill stayed "Offline" for
the rest of the class while everything worked. Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

from test_browser_game import (  # noqa: F401 (fixtures are used by name)
    browser, expect, http, join, new_page, problems, shot, web_server)

PHONE = {"width": 390, "height": 844}


async def test_the_pill_recovers_when_the_network_comes_back(web_server, http, browser, problems):
    session = await http.create(scenario="classic", copies=1, negotiation=False)
    page = await new_page(browser, problems, PHONE)
    await join(page, web_server.url, session["code"], "Ana")
    pill = page.get_by_test_id("connection")
    await expect(pill).to_have_attribute("data-state", "open")

    await page.context.set_offline(True)
    await expect(pill).to_have_attribute("data-state", "reconnecting")
    await expect(pill).to_contain_text("Offline")
    await page.context.set_offline(False)
    await expect(pill).to_have_attribute("data-state", "open")
    await expect(pill).to_contain_text("Connected")
    await expect(pill).not_to_contain_text("Offline")
    await shot(page, "phone_back_online.png", full_page=False)
    problems.check()
