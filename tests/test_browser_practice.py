"""The practice round in real headless Chromium: two phones (390x844) and the console
(1280x800). The console starts the practice round; each phone's Round tab says "Practice
round — does not count" and shows the round form against an imagined partner; a phone
submits, the console shows who it waits for, the facilitator ends the practice round; both
phones show their practice result; "Start the real game" opens round 1 with a fresh form.
Fixtures from tests/test_browser_game.py; waits on page state, never on time."""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, join, new_page, no_horizontal_overflow, open_console, problems, shot, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

PHONE = {"width": 390, "height": 844}
CONSOLE = {"width": 1280, "height": 800}


async def test_a_practice_round_on_phones_and_console(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", copies=1, rounds=2, negotiation=False, practice_round=True,
                                round_seconds=900)
    fac = await open_console(browser, problems, base, session)
    await fac.set_viewport_size(CONSOLE)
    ann, ben = await new_page(browser, problems, PHONE), await new_page(browser, problems, PHONE)
    await join(ann, base, session["code"], "Ann")
    await join(ben, base, session["code"], "Ben")
    firms = {p["name"]: p["firm"] for p in (await http.summary(session))["status"]["players"]}
    assert len(set(firms.values())) == 2  # by arrival: one firm each
    start = fac.get_by_test_id("ctl-start")
    await expect(start).to_have_text("Start: the practice round")
    await start.click()
    await expect(fac.get_by_test_id("practice-state")).to_contain_text("waiting for")
    for phone in (ann, ben):
        await expect(phone.get_by_test_id("practice-banner")).to_contain_text("Practice round — does not count")
        await expect(phone.get_by_test_id("decision-form")).to_be_visible()
        await no_horizontal_overflow(phone)
    await shot(ann, "practice_round_phone.png", full_page=False)
    # Ann submits her practice decision; the console waits for Ben's firm only
    await ann.get_by_test_id("submit-decision").click()
    await expect(ann.get_by_test_id("practice-status")).to_contain_text("Practice decision submitted by Ann")
    await expect(fac.get_by_test_id("practice-state")).not_to_contain_text("Westward")
    await expect(fac.get_by_test_id(f"mon-{firms['Ann']}")).to_contain_text("submitted by Ann")
    await shot(fac, "practice_round_console.png", full_page=False)
    # the facilitator ends the practice round: both see their result, the real game waits
    await fac.get_by_test_id("ctl-end_practice").click()
    await expect(fac.get_by_test_id("practice-state")).to_contain_text("Practice round over")
    for phone in (ann, ben):
        result = phone.get_by_test_id("practice-result")
        await expect(result).to_contain_text("not scored")
        await expect(result).to_contain_text("Position")
        await expect(phone.get_by_test_id("practice-wait")).to_be_visible()
    await expect(ben.get_by_test_id("practice-result")).to_contain_text("did not submit")
    await no_horizontal_overflow(ann)
    await shot(ann, "practice_result_phone.png", full_page=False)
    # the real game: round 1, a fresh form, no practice banner
    await fac.get_by_test_id("ctl-start_real").click()
    for phone in (ann, ben):
        await expect(phone.get_by_test_id("round-title")).to_have_text("Round 1 of 2")
        await expect(phone.get_by_test_id("practice-banner")).to_have_count(0)
        await expect(phone.get_by_test_id("submitted-banner")).to_be_hidden()
        await expect(phone.get_by_test_id("carried-over")).to_be_hidden()
    await expect(fac.get_by_test_id("practice-state")).to_have_count(0)
    await shot(ann, "practice_then_round1_phone.png", full_page=False)
    problems.check()
