"""A student types the next chat line while the last one is on its way, in real headless
Chromium against a real server. The page's socket goes through Playwright's WebSocket route,
which passes every frame on and only holds the server's frames back while the test types, as
a slow network would (js/chat.js `send`). Before: the box kept the sent line until its ack
and then emptied itself, erasing what had been typed meanwhile, and a disabled Send ignored
Enter (test_browser_game.py's chat test lost its second line this way under load)."""
from __future__ import annotations

import re

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, join, problems, web_server)
from test_browser_seats import PHONE  # noqa: E402

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")


class SlowNetwork:
    """Every frame passes; while `holding`, the server's frames wait, in order."""

    def __init__(self):
        self.holding, self.held, self.page_side = False, [], None

    def route(self, ws):
        server = ws.connect_to_server()
        self.page_side = ws
        ws.on_message(lambda m: server.send(m))
        server.on_message(self.from_server)

    def from_server(self, m):
        if self.holding:
            self.held.append(m)
        else:
            self.page_side.send(m)

    def release(self):
        self.holding = False
        for m in self.held:
            self.page_side.send(m)
        self.held.clear()


async def test_the_next_line_can_be_typed_while_the_last_one_is_sent(web_server, http, browser, problems):
    session = await http.create(scenario="classic", rounds=2, negotiation=False)
    net = SlowNetwork()
    ctx = await browser.new_context(viewport=PHONE)
    page = problems.watch(await ctx.new_page())
    await page.route_web_socket(re.compile(r".*/ws$"), net.route)
    await join(page, web_server.url, session["code"], "Ana")
    await http.join(session["code"], "Bo")
    await http.control(session, "start")
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 1 of 2")
    await page.get_by_test_id("tab-chat").click()
    box, log = page.get_by_test_id("chat-input"), page.get_by_test_id("chat-log")
    net.holding = True
    await box.fill("first line")
    await box.press("Enter")
    await expect(box).to_have_value("")          # at once: the ack is still held back
    await box.press_sequentially("second line")  # typed while the first is on its way
    net.release()
    await expect(log.get_by_text("first line", exact=True)).to_be_visible()
    await expect(box).to_have_value("second line")  # the ack did not erase it
    await box.press("Enter")
    await expect(log.get_by_text("second line", exact=True)).to_be_visible()
    await expect(box).to_have_value("")
    # a refused line comes back to be fixed: one over the server's 2,000 characters (set by
    # script: the box's own maxlength stops typing and pasting there)
    long = "x" * 2001
    await box.evaluate("(el, v) => { el.value = v; }", long)
    await box.press("Enter")
    await expect(page.get_by_test_id("chat-error")).not_to_be_empty()
    await expect(box).to_have_value(long)
    await ctx.close()
