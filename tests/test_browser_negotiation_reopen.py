"""Reopen negotiation in real headless Chromium: the facilitator's console at 1280x800 ends
the negotiation by mistake (the default terms signed), Reopen negotiation asks first and
says what will happen, and a student's phone at 390x844 sees the negotiation again with the
offer on the table, accepts it, and round 1 opens. Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

from test_browser_game import (  # noqa: F401 (fixtures are used by name)
    browser, expect, http, join, new_page, no_horizontal_overflow, open_console, panel, problems, shot,
    web_server)

CONSOLE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


async def test_a_negotiation_ended_by_mistake_is_reopened(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", copies=1, rounds=2, negotiation_seconds=900)
    west = await new_page(browser, problems)
    east = await new_page(browser, problems, PHONE)
    await join(west, base, session["code"], "Wes")
    await join(east, base, session["code"], "Eli")
    fac = await open_console(browser, problems, base, session)
    await fac.set_viewport_size(CONSOLE)
    await fac.get_by_test_id("ctl-start").click()
    await expect(fac.get_by_test_id("phase-line")).to_have_text("Negotiation")
    await west.get_by_test_id("split").fill("80")
    await west.get_by_test_id("send-offer").click()
    offer = east.get_by_test_id("standing-offer")
    await expect(offer.locator('[data-term="split"]')).to_have_text("you 20% · partner 80%")

    # the facilitator ends the negotiation by mistake, signing the default terms
    await fac.get_by_test_id("ctl-advance").click()
    await fac.get_by_test_id("choice-pair").click()
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("Round 1 of 2")
    await expect(east.get_by_test_id("round-title")).to_have_text("Round 1 of 2")
    reopen = fac.get_by_test_id("ctl-reopen_negotiation-a1")
    await expect(reopen).to_have_text("Reopen negotiation")

    # asked first, with what will happen; Cancel changes nothing
    dialog = fac.locator("dialog.confirm")
    await reopen.click()
    await expect(dialog).to_contain_text("Reopen the negotiation")
    await expect(dialog).to_contain_text("its offers, and the one on the table, are back")
    await expect(dialog).to_contain_text("Round 1 is taken back")
    await shot(fac, "console_reopen_negotiation_asks.png", full_page=False)
    await fac.get_by_test_id("confirm-cancel").click()
    assert (await http.summary(session))["phase"] == "execution"
    await reopen.click()
    await fac.get_by_test_id("confirm-ok").click()
    await expect(fac.get_by_test_id("phase-line")).to_have_text("Negotiation")
    await expect(fac.get_by_test_id("ctl-reopen_negotiation-a1")).to_have_count(0)  # once only
    await expect(fac.get_by_test_id("neg-a1")).to_contain_text("open")
    summary = await http.summary(session)
    assert summary["phase"] == "negotiation" and "reopen_negotiations" not in summary["status"]
    await shot(fac, "console_negotiation_reopened.png", full_page=False)

    # the phone: the Deal tab again, west's offer on the table
    await expect(panel(east, "deal")).to_be_visible()
    await expect(offer.locator('[data-term="split"]')).to_have_text("you 20% · partner 80%")
    await no_horizontal_overflow(east)
    await shot(east, "player_phone_negotiation_reopened.png", full_page=False)
    await offer.get_by_test_id("accept").click()
    await expect(east.get_by_test_id("round-title")).to_have_text("Round 1 of 2")
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("Round 1 of 2")
    await expect(fac.get_by_test_id("ctl-reopen_negotiation-a1")).to_have_count(0)  # agreed: no mistake
    await no_horizontal_overflow(east)
    problems.check()
