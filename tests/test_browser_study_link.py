"""A study link in real headless Chromium (online panels): no name is asked, consent and
instructions come first, the participant appears under a pseudonym, and the completion
code with the link back to the panel is shown at the end. Fixtures and helpers from
tests/test_browser_game.py."""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, new_page, problems, web_server)
from test_panel_study import STUDY  # noqa: E402

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

SOLO = STUDY.replace("copies = 2", "copies = 1").replace("rounds = 2", "rounds = 1") \
    .replace("quorum = 4", "quorum = 2").replace("min_people = 2", "min_people = 1") \
    .replace("waiting_seconds = 1.5", "waiting_seconds = 0.5").replace("debrief_seconds = 0.4", "debrief_seconds = 60")


async def test_a_study_link_asks_consent_first_and_ends_with_the_code(web_server, http, browser, problems):
    study = await http.create(study_file=SOLO)
    page = await new_page(browser, problems)
    await page.goto(f"{web_server.url}/join?code={study['code']}&PROLIFIC_PID=5f1e2d3c4b5a69788796a5b4"
                    f"&STUDY_ID=s1&SESSION_ID=x1")
    assert await page.get_by_test_id("join-name").count() == 0  # no name is asked
    await page.get_by_test_id("join-submit").click()
    await expect(page.get_by_test_id("instructions")).to_have_text("Decide each round with your firm.")
    await expect(page.get_by_test_id("consent-text")).to_have_text("I agree to take part.")
    await page.get_by_test_id("consent-agree").click()
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 1 of 1", timeout=15_000)
    assert "PROLIFIC_PID" not in page.url  # the panel id leaves the address bar
    # alone after the wait: a bot plays the other firm; the player decides the one round
    players = (await http.summary(study))["status"]["players"]
    assert [p["name"] for p in players] == ["Player 1"]
    await page.get_by_test_id("submit-decision").click()
    await expect(page.get_by_test_id("completion-code")).to_have_text("DONE1")
    link = page.get_by_test_id("completion-link")
    assert await link.get_attribute("href") == "https://panel.example/complete?cc=DONE1"
    assert problems.items == []
