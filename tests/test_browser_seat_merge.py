"""Two rows that are one person, in real headless Chromium (issue 15, "Seats and teams"):
Ana joined on her phone, then again on a new phone as "ana m." and was seated in another
firm. The facilitator opens Merge… on the new row in the console, says it is Ana, confirms;
the new phone goes on in Ana's firm by itself, the old phone is signed out and says why,
and the console lists one row. Fixtures and helpers from tests/test_browser_game.py."""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, new_page, no_horizontal_overflow, open_console, problems, shot, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

from test_browser_seats import CONSOLE, PHONE  # noqa: E402


async def _join(page, base: str, code: str, name: str):
    await page.goto(f"{base}/join?code={code}")
    await page.get_by_test_id("join-name").fill(name)
    await page.get_by_test_id("join-submit").click()
    await expect(page.get_by_test_id("firm-heading")).to_be_visible()


async def test_the_facilitator_merges_two_rows_of_one_student(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", copies=1, negotiation=False)
    old = await new_page(browser, problems, PHONE)
    await _join(old, base, session["code"], "Ana")
    ben = await new_page(browser, problems, PHONE)
    await _join(ben, base, session["code"], "Ben")
    cem = await new_page(browser, problems, PHONE)
    await _join(cem, base, session["code"], "Cem")
    new = await new_page(browser, problems, PHONE)
    await _join(new, base, session["code"], "ana m.")
    players = {p["name"]: p for p in (await http.summary(session))["status"]["players"]}
    assert players["ana m."]["firm"] != players["Ana"]["firm"]  # seated elsewhere, as happens
    ana_firm = (await old.get_by_test_id("firm-heading").text_content()).strip()

    console = await open_console(browser, problems, base, session)
    await console.set_viewport_size(CONSOLE)
    row = console.get_by_test_id("player-row").filter(has_text="ana m.")
    await row.get_by_role("button", name="Merge ana m. into the seat of the same person").click()
    dialog = console.get_by_role("dialog")
    await expect(dialog).to_contain_text("Is ana m. someone who already has a seat?")
    await dialog.get_by_label("ana m. is the same person as").select_option(players["Ana"]["player_id"])
    await shot(console, "console_merge_rows.png", full_page=False)
    await dialog.get_by_role("button", name="Merge", exact=True).click()
    await expect(console.get_by_test_id("player-row").filter(has_text="ana m.")).to_have_count(0)
    await expect(console.get_by_test_id("player-row").filter(has_text="Ana")).to_have_count(1)

    # the new phone goes on as Ana, in Ana's firm; the old one is signed out, saying why
    await expect(new.get_by_test_id("firm-heading")).to_have_text(ana_firm)
    await expect(old.get_by_test_id("join-error")).to_contain_text("other device")
    await no_horizontal_overflow(new)
    await shot(new, "merged_seat_phone.png")
    after = {p["name"]: p for p in (await http.summary(session))["status"]["players"]}
    assert set(after) == {"Ana", "Ben", "Cem"} and after["Ana"]["firm"] == players["Ana"]["firm"]
    # the old token's refused reconnects are the only console messages
    assert [p for p in problems.items if "401" not in p and "403" not in p] == []
