"""The partner-selection phase on the player's page, in Debian's Chromium on phones: firms
read each other's profiles, propose, accept, and a go-between introduces two firms; the
pairings the board made are the negotiations that follow. (across_ocean: harbor, wavelink,
busline and kinsei, with bridge as the go-between; kinsei may hold two alliances.)"""
from __future__ import annotations

from game_rules.scenario import load_scenario
from test_browser_game import (PHONE, browser, expect, http, join, new_page, no_horizontal_overflow,  # noqa: F401
                               open_console, panel, problems, shot, web_server)

ROLES = ("harbor", "wavelink", "busline", "kinsei", "bridge")  # join order = seat order


async def test_partner_selection_on_phones(web_server, http, browser, problems):
    session = await http.create(scenario="across_ocean", rounds=2)
    pages = {}
    for role in ROLES:
        page = await new_page(browser, problems, viewport=PHONE)
        await join(page, web_server.url, session["code"], role.title())
        pages[role] = page
    await http.control(session, "start")
    harbor, wavelink, kinsei, bridge = pages["harbor"], pages["wavelink"], pages["kinsei"], pages["bridge"]
    for page in pages.values():  # the deal tab opens on the board
        await expect(page.get_by_test_id("selection")).to_be_visible()
    # harbor sees kinsei's public profile (the two areas kinsei shows) and proposes
    card = harbor.get_by_test_id("sel-profile-kinsei1")
    await expect(card).to_contain_text("Kinsei")
    await expect(card.locator("dt")).to_have_count(2)
    await harbor.get_by_test_id("sel-propose-kinsei1").click()
    await expect(harbor.get_by_test_id("sel-status-kinsei1")).to_contain_text("waiting")
    await expect(harbor.get_by_test_id("sel-propose-kinsei1")).to_be_disabled()
    # kinsei gets it and accepts
    await expect(kinsei.get_by_test_id("sel-in-harbor1")).to_be_visible()
    await kinsei.get_by_test_id("sel-accept-harbor1").click()
    await expect(harbor.get_by_test_id("sel-status-kinsei1")).to_contain_text("Agreed")
    # the go-between sees fuller dossiers and introduces wavelink to kinsei
    await expect(bridge.get_by_test_id("sel-lead")).to_contain_text("go-between")
    full = bridge.get_by_test_id("sel-profile-kinsei1").locator("dt")
    await expect(full).to_have_count(len(load_scenario("across_ocean").domains))  # every domain
    await bridge.get_by_test_id("sel-intro-a").select_option("wavelink1")
    await bridge.get_by_test_id("sel-intro-b").select_option("kinsei1")
    await bridge.get_by_test_id("sel-introduce-send").click()
    await expect(bridge.get_by_test_id("sel-introduce")).to_contain_text("Wavelink")
    await expect(wavelink.get_by_test_id("sel-status-kinsei1")).to_be_visible()
    await no_horizontal_overflow(harbor)
    await no_horizontal_overflow(bridge)
    await shot(bridge, "player_phone_selection.png")
    # the facilitator's console shows the board and what closing it would pair, and closes it
    fac = await open_console(browser, problems, web_server.url, session)
    board = fac.get_by_test_id("selection-board")
    await expect(board.locator("tbody tr")).to_have_count(2)
    await expect(board).to_contain_text("Bridgeway")  # who introduced the second pair
    await expect(fac.get_by_test_id("selection-pairings").locator("li")).to_have_count(2)
    await shot(fac, "console_selection.png")
    await fac.get_by_test_id("ctl-advance").click()
    await expect(fac.locator("dialog.confirm")).to_contain_text("firms without a partner play alone")
    await fac.get_by_test_id("confirm-ok").click()
    # the pairings become the negotiations
    await expect(harbor.get_by_test_id("selection")).to_have_count(0)
    await expect(panel(harbor, "deal")).to_contain_text("Kinsei")
    summary = await http.summary(session)
    pairs = {tuple(sorted(n["firms"])) for n in summary["negotiations"].values()} if isinstance(
        summary.get("negotiations"), dict) else {tuple(sorted(n["firms"])) for n in summary["negotiations"]}
    assert ("harbor1", "kinsei1") in pairs and ("kinsei1", "wavelink1") in pairs
    problems.check()
