"""In real headless Chromium: the join page sends the browser's language, and the console
tags a player whose client declared itself a bot (the project's live bots always do), never
a person. Fixtures and helpers from tests/test_browser_game.py."""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from clients.python.live_bots import LiveBot  # noqa: E402
from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, join, open_console, problems, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")


async def test_the_console_tags_a_bot_and_the_join_page_sends_the_language(web_server, http, browser, problems,
                                                                            db_path):
    session = await http.create(scenario="classic", copies=1, negotiation=False)
    ctx = await browser.new_context(locale="fr-CA")
    person = problems.watch(await ctx.new_page())
    await join(person, web_server.url, session["code"], "Lea")
    bot = await LiveBot.join(web_server.url, session["code"], "Robo", "balanced")
    await bot.client.close()  # only its join matters here

    console = await open_console(browser, problems, web_server.url, session)
    rows = console.get_by_test_id("player-row")
    await expect(rows).to_have_count(2)
    await expect(console.get_by_test_id(f"bot-tag-{bot.joined['player_id']}")).to_have_text("bot")
    await expect(rows.filter(has_text="Lea").locator("[data-testid^=bot-tag-]")).to_have_count(0)

    with closing(sqlite3.connect(db_path)) as con:
        joined = {d["name"]: d for d in (json.loads(x) for (x,) in con.execute(
            "SELECT data FROM log WHERE type = 'player_joined' AND session_id = ?", (session["session_id"],)))}
    assert (joined["Lea"]["language"], joined["Lea"]["is_bot"]) == ("fr-CA", False)
    assert (joined["Robo (bot)"]["language"], joined["Robo (bot)"]["is_bot"]) == (None, True)
