"""Seats in real headless Chromium: a labelled seat is taken again on a new phone only with
its rejoin code (the old phone is signed out and told why), and the facilitator removes a
player from the console (the player's phone is signed out and told why).
Fixtures and helpers from tests/test_browser_game.py."""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, new_page, no_horizontal_overflow, open_console, problems, shot, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

PHONE = {"width": 390, "height": 844}
CONSOLE = {"width": 1280, "height": 800}


async def _join(page, base: str, code: str, name: str, label: str, rejoin: str | None = None):
    await page.goto(f"{base}/join?code={code}")
    await page.get_by_test_id("join-name").fill(name)
    await page.get_by_text("Participant label (optional)").click()
    await page.locator("#join-label").fill(label)
    if rejoin is not None:
        await page.get_by_test_id("join-rejoin").fill(rejoin)
    await page.get_by_test_id("join-submit").click()


async def test_a_seat_moves_only_with_its_code_and_the_facilitator_removes_a_player(web_server, http, browser,
                                                                                    problems):
    base = web_server.url
    session = await http.create(scenario="classic", copies=1, negotiation=False, labels=["L1", "L2"])
    first = await new_page(browser, problems, PHONE)
    await _join(first, base, session["code"], "Lea", "L1")
    code = first.get_by_test_id("rejoin-code")
    await expect(code).to_contain_text("Your rejoin code")
    rejoin = (await code.locator("strong").text_content()).strip()
    assert len(rejoin.replace("-", "")) == 6
    await no_horizontal_overflow(first)
    await shot(first, "seat_rejoin_code_phone.png")

    # a new phone with the label alone is refused, and told what to do
    second = await new_page(browser, problems, PHONE)
    await _join(second, base, session["code"], "Lea", "L1")
    await expect(second.get_by_test_id("join-error")).to_contain_text("rejoin code")
    await shot(second, "seat_taken_phone.png")
    # with the code it takes the seat; the first phone is signed out and says why
    await second.get_by_test_id("join-rejoin").fill(rejoin.lower())
    await second.get_by_test_id("join-submit").click()
    await expect(second.get_by_test_id("firm-heading")).to_be_visible()
    await expect(first.get_by_test_id("join-error")).to_contain_text("taken on another device")

    # the facilitator removes the player from the console, after a confirmation
    console = await open_console(browser, problems, base, session)
    await console.set_viewport_size(CONSOLE)
    row = console.get_by_test_id("player-row").filter(has_text="Lea")
    await expect(row).to_be_visible()
    await row.get_by_role("button", name="Remove Lea from the session").click()
    dialog = console.get_by_role("dialog")
    await expect(dialog).to_contain_text("Remove Lea?")
    await shot(console, "console_remove_player.png", full_page=False)
    await dialog.get_by_role("button", name="Remove").click()
    await expect(second.get_by_test_id("join-error")).to_contain_text("the facilitator removed you")
    await expect(console.get_by_test_id("player-row").filter(has_text="Lea")).to_have_count(0)
    await shot(second, "removed_player_phone.png")
    players = (await http.summary(session))["status"]["players"]
    assert players == []
    # the refused join (409) and the revoked tokens' reconnects are the only console messages
    assert [p for p in problems.items if "status of 409" not in p] == []
