"""The join page in real headless Chromium says why a name is refused (`bad_name`,
server/names.py), and a name with invisible characters joins under its visible part.
Fixtures and helpers from tests/test_browser_game.py."""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, new_page, problems, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")


async def test_the_join_page_says_why_a_name_is_refused(web_server, http, browser, problems):
    session = await http.create(scenario="classic", copies=1, negotiation=False)
    page = await new_page(browser, problems)
    await page.goto(f"{web_server.url}/join?code={session['code']}")
    error = page.get_by_test_id("join-error")
    for name in ("Facilitator", "Ａｄｍｉｎ", "\u200b\u202e"):
        await page.get_by_test_id("join-name").fill(name)
        await page.get_by_test_id("join-submit").click()
        await expect(error).to_have_text("Choose another name: type visible letters, and not the name "
                                         "of a role such as facilitator or admin.")
        await page.get_by_test_id("join-error").evaluate("e => e.textContent = ''")
    # the same form then joins with a real name; the invisible characters are gone
    await page.get_by_test_id("join-name").fill("\u202eAnn\u200b")
    await page.get_by_test_id("join-submit").click()
    await expect(page.get_by_test_id("firm-heading")).to_be_visible()
    names = [p["name"] for p in (await http.summary(session))["status"]["players"]]
    assert names == ["Ann"]
    # the refused joins are 400 answers (Chromium reports each in the console); nothing else
    assert [p for p in problems.items if "status of 400" not in p] == []
