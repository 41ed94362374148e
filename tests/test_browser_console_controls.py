"""Console controls that end something ask first and say exactly what will happen, in real
headless Chromium at 1280x800: ending a negotiation names the open ones and offers the
default terms or no alliance; ending a round names the firms that have not submitted and
what they will play; Cancel changes nothing. Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

from test_browser_game import (  # noqa: F401 (fixtures are used by name)
    browser, expect, http, join, new_page, open_console, problems, shot, web_server)

CONSOLE = {"width": 1280, "height": 800}


async def _console(browser, problems, web_server, session):
    fac = await open_console(browser, problems, web_server.url, session)
    await fac.set_viewport_size(CONSOLE)
    await expect(fac.get_by_test_id("phase-line")).to_be_visible()
    return fac


async def test_ending_a_negotiation_asks_and_offers_the_default_terms(web_server, http, browser, problems):
    session = await http.create(scenario="classic", copies=2, rounds=3)
    await http.control(session, "start")
    fac = await _console(browser, problems, web_server, session)
    dialog = fac.locator("dialog.confirm")
    # asked first: both negotiations are named; cancel leaves everything as it was
    await fac.get_by_test_id("ctl-advance").click()
    await expect(dialog).to_contain_text("2 negotiations still open")
    await expect(dialog).to_contain_text("Westward Devices 1")
    await expect(dialog).to_contain_text("Give them the default terms, or end their negotiations without an alliance")
    await shot(fac, "console_end_negotiation_asks.png", full_page=False)
    await fac.get_by_test_id("confirm-cancel").click()
    await expect(dialog).to_have_count(0)
    summary = await http.summary(session)
    assert summary["phase"] == "negotiation" and not summary["alliances"], summary
    # the default terms instead of no alliance
    await fac.get_by_test_id("ctl-advance").click()
    await fac.get_by_test_id("choice-pair").click()
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("Round 1")
    summary = await http.summary(session)
    assert summary["phase"] == "execution"
    assert sorted(summary["alliances"]) == ["a1", "a2"], summary["alliances"]
    # the negotiations table says what happened to them (not "failed: time ran out")
    for aid in ("a1", "a2"):
        await expect(fac.get_by_test_id(f"neg-{aid}")).to_contain_text("the default terms were signed")
    problems.check()


async def test_ending_a_negotiation_without_an_alliance_is_a_choice_too(web_server, http, browser, problems):
    session = await http.create(scenario="classic", copies=1, rounds=3)
    student = await new_page(browser, problems)
    await join(student, web_server.url, session["code"], "Pat")
    await http.control(session, "start")
    fac = await _console(browser, problems, web_server, session)
    await fac.get_by_test_id("ctl-advance").click()
    await expect(fac.locator("dialog.confirm")).to_contain_text("1 negotiation still open")
    await fac.get_by_test_id("confirm-ok").click()
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("Round 1")
    summary = await http.summary(session)
    assert summary["phase"] == "execution" and not summary["alliances"], summary
    assert "open" not in [n["status"] for n in summary["negotiations"].values()], summary["negotiations"]
    # with ten minutes left on the clock, nobody is told that time ran out: the phase ended
    await expect(fac.get_by_test_id("neg-a1")).to_contain_text("failed (ended with the phase)")
    await student.get_by_test_id("tab-deal").click()
    await expect(student.get_by_test_id("neg-status")).to_have_text(
        "✕ The negotiation ended without an agreement: no alliance.")
    problems.check()


async def test_ending_a_round_names_who_has_not_submitted(web_server, http, browser, problems):
    session = await http.create(scenario="classic", copies=2, rounds=3, negotiation=False)
    await http.control(session, "start")
    fac = await _console(browser, problems, web_server, session)
    dialog = fac.locator("dialog.confirm")
    await fac.get_by_test_id("ctl-end_round").click()
    await expect(dialog).to_contain_text("End round 1 now?")
    await expect(dialog).to_contain_text("4 of 4 firms have not submitted")
    await expect(dialog).to_contain_text("team's latest draft is played")
    await shot(fac, "console_end_round_asks.png", full_page=False)
    await fac.get_by_test_id("confirm-cancel").click()
    assert (await http.summary(session))["round"] == 0
    await fac.get_by_test_id("ctl-end_round").click()
    await fac.get_by_test_id("confirm-ok").click()
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("Round 2")
    assert (await http.summary(session))["round"] == 1
    # skipping to the debrief says which rounds are lost
    await fac.get_by_test_id("ctl-advance").click()
    await expect(dialog).to_contain_text("Rounds 2 to 3 are not played")
    await fac.get_by_test_id("confirm-cancel").click()
    assert (await http.summary(session))["phase"] == "execution"
    problems.check()


async def test_a_yes_to_an_old_question_ends_nothing(web_server, http, browser, problems):
    """"End round 1 now?" stays open while round 1 ends by itself (every firm submitted; here
    another facilitator's tab): its yes used to end round 2, which nobody was asked about
    (seen playing a demo class: the dialog said round 2, the console round 3)."""
    session = await http.create(scenario="classic", copies=1, rounds=3, negotiation=False)
    await http.control(session, "start")
    fac = await _console(browser, problems, web_server, session)
    await fac.get_by_test_id("ctl-end_round").click()
    await expect(fac.locator("dialog.confirm")).to_contain_text("End round 1 now?")
    await http.control(session, "end_round")  # round 1 ends while the question is open
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("Round 2")
    await fac.get_by_test_id("confirm-ok").click()
    await expect(fac.locator("#toasts")).to_contain_text("The game moved on while you were deciding")
    assert (await http.summary(session))["round"] == 1, "round 2 was ended by a yes to round 1's question"
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("Round 2")
