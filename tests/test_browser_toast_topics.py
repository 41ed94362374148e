"""A deal's news on a phone, in real headless Chromium at 390x844: the partner's offers and
the answer to them are one topic, so a newer toast replaces the one still showing (js/dom.js
`toast(..., { topic })`). Before, "East put an offer on the table", a second such toast and
"Accepted: the alliance is signed" stacked under the top bar, and the first two stayed over
the round's budget for seconds after the alliance was signed. A round's news (submitted,
results in, reopened) is one topic: with quick partners, four toasts covered the form."""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from conftest import Client  # noqa: E402
from game_rules.rules import instantiate_terms  # noqa: E402
from game_rules.scenario import load_scenario  # noqa: E402
from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, new_page, problems, web_server)
from test_browser_seats import PHONE  # noqa: E402

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")


async def test_a_deal_shows_its_latest_news_only(web_server, http, browser, problems):
    session = await http.create(scenario="classic", copies=1, rounds=2, negotiation=True, negotiation_seconds=900)
    ana, bo = await _ana_on_a_phone_and_bo(web_server, http, browser, problems, session)
    try:
        await http.control(session, "start")
        await expect(ana.get_by_test_id("term-editor")).to_be_visible()
        terms = instantiate_terms(load_scenario("classic").alliances[0], 1, 2).to_dict()
        toasts = ana.locator("#toasts .toast")
        for n, west_share in ((1, 0.4), (2, 0.5)):  # the second offer replaces Bo's first
            terms["split"] = {"west1": west_share, "east1": 1 - west_share}
            await bo.ok("negotiate", action="offer", terms=terms)
            await expect(ana.get_by_test_id("standing-offer")).to_contain_text(f"#{n}")
            await expect(toasts.filter(has_text="put an offer on the table")).not_to_have_count(0)
            # (counted at once: each older toast would go by itself after its 6 s)
            assert await toasts.count() == 1, await toasts.all_inner_texts()
        await ana.get_by_test_id("accept").click()
        await expect(ana.get_by_test_id("round-title")).to_contain_text("Round 1 of 2")
        await expect(toasts.filter(has_text="Accepted: the alliance is signed")).to_have_count(1)
        assert await toasts.count() == 1, await toasts.all_inner_texts()  # the answer replaced the offers' news
        # a round's news is one topic too: what was submitted, then the results
        await ana.get_by_test_id("submit-decision").click()
        await expect(ana.get_by_test_id("submitted-banner")).to_contain_text("Submitted by Ana")
        await expect(toasts.filter(has_text="Decision submitted")).to_have_count(1)
        await bo.ok("submit", round=1, decision={})
        await expect(ana.get_by_test_id("round-title")).to_contain_text("Round 2 of 2")
        await expect(toasts.filter(has_text="Round 1 results are in")).to_have_count(1)
        # at once, not after the older toast's own time (4 s) ran out
        assert await toasts.filter(has_text="Decision submitted").count() == 0
        problems.check()
    finally:
        await bo.close()


async def test_the_submission_that_closes_the_round_leaves_the_results_news(web_server, http, browser, problems):
    """The last firm to submit closes the round: the round's results reach the page before
    the submission's ack, and "Decision submitted" (the ack's toast, same topic) replaced
    "Round 1 results are in", then stayed over round 2's empty form as if round 2 were done.
    The ack's toast is minor now: it gives way to the results' news."""
    session = await http.create(scenario="classic", copies=1, rounds=2, negotiation=False)
    ana, bo = await _ana_on_a_phone_and_bo(web_server, http, browser, problems, session)
    try:
        await http.control(session, "start")
        await expect(ana.get_by_test_id("round-title")).to_contain_text("Round 1 of 2")
        await bo.ok("submit", round=1, decision={})   # the partner firm is in: Ana's closes the round
        await ana.get_by_test_id("submit-decision").click()
        await expect(ana.get_by_test_id("round-title")).to_contain_text("Round 2 of 2")
        for _ in range(200):  # until the submission's ack is in (its toast follows in the same task)
            if await ana.evaluate("() => window.__player.socket.pending.size") == 0:
                break
            await ana.wait_for_timeout(25)
        toasts = ana.locator("#toasts .toast")
        await expect(toasts.filter(has_text="Round 1 results are in")).to_have_count(1)
        assert await toasts.filter(has_text="Decision submitted").count() == 0, await toasts.all_inner_texts()
        problems.check()
    finally:
        await bo.close()


async def _ana_on_a_phone_and_bo(web_server, http, browser, problems, session):
    """Ana joins on a phone (west1); Bo, a Python client, joins the partner firm."""
    ana = await new_page(browser, problems, PHONE)
    await ana.goto(f"{web_server.url}/join?code={session['code']}")
    await ana.get_by_test_id("join-name").fill("Ana")
    await ana.get_by_test_id("join-submit").click()
    await expect(ana.get_by_test_id("firm-heading")).to_be_visible()
    return ana, await Client.login(web_server.url, (await http.join(session["code"], "Bo"))["player_token"], name="Bo")
