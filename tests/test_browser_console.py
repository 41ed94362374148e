"""The console's admin key, in Debian's Chromium: creating a session asks for the server's
admin key once, sends it, keeps it in this browser once the server accepted it, and asks
again with a clear message when the server refuses it (a wrong or rotated key). A session
archived after a long idle time is announced by the console, and its debrief still opens."""
from __future__ import annotations

import re
import time

from conftest import TEST_ADMIN_KEY
from test_browser_game import browser, expect, new_page, problems, shot, web_server  # noqa: F401

STORED = "() => localStorage.getItem('alliance.admin_key')"
REFUSED = re.compile(r"Failed to load resource: .*401")  # Chromium logs every 401 it receives


async def create(page, rounds: str = "2"):
    await page.get_by_test_id("create-rounds").fill(rounds)
    await page.get_by_test_id("create-submit").click()


async def test_console_asks_for_the_admin_key_once_and_again_when_refused(web_server, browser, problems):
    base, hub = web_server.url, web_server.hub
    page = await new_page(browser, problems)
    await page.goto(f"{base}/console")
    key = page.get_by_test_id("create-admin-key")
    alert = page.locator("form .form-error").first  # the create form (the study-file form follows)
    await expect(key).to_be_visible()
    await expect(page.get_by_test_id("admin-key-saved")).to_be_hidden()

    # no key typed: nothing is sent
    await create(page)
    await expect(alert).to_have_text("Enter the admin key first.")
    assert hub.sessions == {}

    # a wrong key: the server answers 401, the console says so and asks again
    await key.fill("not-the-admin-key-of-this-server")
    await create(page)
    await expect(alert).to_contain_text("The server refused this admin key")
    await expect(key).to_have_value("")
    await expect(key).to_be_focused()
    assert await page.evaluate(STORED) is None and hub.sessions == {}
    await shot(page, "console_admin_key_refused.png")

    # the right key creates the session; this browser keeps it
    await key.fill(TEST_ADMIN_KEY)
    await create(page)
    await expect(page.get_by_test_id("join-code")).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    assert await page.evaluate(STORED) == f'"{TEST_ADMIN_KEY}"' and len(hub.sessions) == 1

    # the next session from this browser: the key is not asked for again
    await page.goto(f"{base}/console?new")
    await expect(page.get_by_test_id("admin-key-saved")).to_be_visible()
    await expect(key).to_be_hidden()
    await shot(page, "console_admin_key_saved.png")
    await create(page, "3")
    await expect(page.get_by_test_id("join-code")).to_be_visible()
    assert len(hub.sessions) == 2

    # nobody uses that session for a week: the idle check archives it; the console says so
    # and its debrief still opens, read-only
    sid = await page.evaluate("() => JSON.parse(localStorage.getItem('alliance.facilitator')).session_id")
    assert len(await hub.archive.sweep(now=time.time() + 8 * 86400)) == 2 and sid in hub.archive.sessions
    await page.goto(f"{base}/console")
    await expect(page.get_by_test_id("archived-note")).to_contain_text("This session was archived after a long time without activity")
    await shot(page, "console_archived.png")
    await page.get_by_test_id("archived-debrief").click()
    await expect(page.locator("body")).to_have_attribute("data-debrief", "ready")
    await expect(page.get_by_test_id("debrief")).to_be_visible()
    await shot(page, "debrief_archived.png")

    # the key was rotated on the server: the saved one is refused, forgotten and asked for
    await page.evaluate("() => localStorage.setItem('alliance.admin_key', JSON.stringify('an-old-key-rotated-since-then'))")
    await page.goto(f"{base}/console?new")
    await expect(page.get_by_test_id("admin-key-saved")).to_be_visible()
    await create(page)
    await expect(alert).to_contain_text("The server refused this admin key")
    await expect(key).to_be_visible()
    await expect(page.get_by_test_id("admin-key-saved")).to_be_hidden()
    assert await page.evaluate(STORED) is None and hub.sessions == {}  # (both were archived)

    # the only console errors are Chromium's notes of the two refusals
    refusals = [p for p in problems.items if REFUSED.search(p)]
    assert len(refusals) == 2, problems.items
    problems.items = [p for p in problems.items if p not in refusals]
    problems.check()
