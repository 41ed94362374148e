"""A student on a phone (390x844, real headless Chromium) learns the game from the page:
the "How to play" tab (rules in plain words and one round worked through with the
engine's numbers for the student's firm), a note when last round's values were carried
over (with a reset to the promised minimum), the change of position taken apart after a
round, and a final rank that reads "1st of 2". Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, join, new_page, no_horizontal_overflow, problems, shot, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")
PHONE = {"width": 390, "height": 844}


async def test_a_student_learns_the_game_from_the_page(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", rounds=2, negotiation=False)
    page = await new_page(browser, problems, PHONE)
    await join(page, base, session["code"], "Pat")
    token = await page.evaluate("() => window.__player.creds.token")
    status, guide = await http.request("GET", "/api/web/guide", token=token)
    assert status == 200
    x = guide["example"]
    # How to play: the rules, then the worked example with the engine's numbers
    await page.get_by_test_id("tab-help").click()
    example = page.get_by_test_id("guide-example")
    await expect(example).to_contain_text(f"joint value of {x['joint_value']:.1f}")
    await expect(example).to_contain_text(f"teaches you {x['learned']:.2f}")
    await expect(page.get_by_test_id("guide")).to_contain_text("Openness")
    assert guide["outdating"] is True  # model 3: learned skills go out of date, and the tab says so
    await expect(page.get_by_test_id("guide")).to_contain_text("goes out of date bit by bit")
    await no_horizontal_overflow(page)
    await shot(page, "player_phone_how_to_play.png")
    # round 1: nothing carried over yet
    await http.control(session, "fill_bots")
    await http.control(session, "start")
    await page.get_by_test_id("tab-round").click()
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 1 of 2")
    await expect(page.get_by_test_id("carried-over")).to_be_hidden()
    await page.get_by_test_id("pt-absorb.manufacturing").fill("5")
    await page.wait_for_function("() => window.__player.decision.dirty.size === 0 && window.__player.socket.pending.size === 0")
    await page.get_by_test_id("submit-decision").click()
    # round 2: the team's values came over from round 1, and the page says so
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 2 of 2")
    note = page.get_by_test_id("carried-over")
    await expect(note).to_be_visible()
    await expect(note).to_contain_text("choices from round 1")
    await expect(page.get_by_test_id("pt-absorb.manufacturing")).to_have_value("5")
    await no_horizontal_overflow(page)
    await shot(page, "player_phone_carried_over.png", full_page=False)
    await page.get_by_test_id("draft-reset").click()
    await expect(page.get_by_test_id("pt-absorb.manufacturing")).to_have_value("0")
    await expect(note).to_be_hidden()
    draft = (await http.summary(session))["drafts"].get("west1", {})
    assert "absorb" not in draft and "develop" not in draft, draft
    # what happened in round 1, and why the position moved
    await page.get_by_test_id("tab-results").click()
    parts = page.get_by_test_id("position-parts")
    for text in ("Your own development", "Learned from your partner", "learned skills going out of date"):
        await expect(parts).to_contain_text(text)
    await no_horizontal_overflow(page)
    # the last round, then the final rank reads "Nth of 2"
    await page.get_by_test_id("tab-round").click()
    await page.get_by_test_id("submit-decision").click()
    score = page.get_by_test_id("final-score")
    await expect(score).to_contain_text(" of 2")
    rank = (await http.summary(session))
    assert await score.locator(".big-number").inner_text() in ("1st of 2", "2nd of 2"), rank
    await shot(page, "player_phone_final_rank.png")
    problems.check()


async def test_the_guide_tells_of_outdating_only_where_the_session_plays_it(web_server, http, browser, problems):
    # a session whose treatment turns outdating off (as a server kept on model 2 does)
    session = await http.create(scenario="classic", rounds=2, negotiation=False, treatments={"still": {"outdating": 0}},
                                assignment="fixed", treatment="still")
    page = await new_page(browser, problems, PHONE)
    await join(page, web_server.url, session["code"], "Sam")
    await page.get_by_test_id("tab-help").click()
    guide = page.get_by_test_id("guide")
    await expect(page.get_by_test_id("guide-example")).to_contain_text("joint value of")
    await expect(guide).to_contain_text("each extra point buys a little less than the one before")
    assert "out of date" not in await guide.inner_text()
