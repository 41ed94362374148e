"""The results break and Reopen round in real headless Chromium: the console at 1280x800, a
student's phone at 390x844 and the projector, through one break (the console shows it with
Next round; the phone says it waits and offers no form; the projector ranks the firms) and
one undo of a close (Reopen round asks first and says what will happen; the round is played
again). Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

from test_browser_game import (  # noqa: F401 (fixtures are used by name)
    browser, expect, http, join, new_page, no_horizontal_overflow, open_console, panel, problems, shot,
    web_server)

CONSOLE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


async def test_a_results_break_and_an_undo_of_a_close(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", copies=1, rounds=3, negotiation=False, results_break="manual")
    phone = await new_page(browser, problems, PHONE)
    await join(phone, base, session["code"], "Ann")
    fac = await open_console(browser, problems, base, session)
    await fac.set_viewport_size(CONSOLE)
    await expect(fac.get_by_test_id("phase-line")).to_be_visible()
    room = problems.watch(await fac.context.new_page())
    await room.set_viewport_size(CONSOLE)
    await room.goto(f"{base}/projector")
    await expect(room.locator(".room-count")).to_be_visible()
    await fac.get_by_test_id("ctl-start").click()
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("Round 1")
    await expect(fac.get_by_test_id("ctl-reopen_round")).to_have_count(0)  # nothing closed yet

    # round 1 closed by the facilitator: the results break
    await fac.get_by_test_id("ctl-end_round").click()
    await fac.get_by_test_id("confirm-ok").click()
    await expect(fac.get_by_test_id("phase-line")).to_have_text("Results break")
    await expect(fac.get_by_test_id("break-line")).to_contain_text("Results break after round 1")
    await expect(fac.get_by_test_id("ctl-next_round")).to_have_text("Next round")
    await expect(fac.get_by_test_id("ctl-reopen_round")).to_have_text("Reopen round")
    await shot(fac, "console_results_break.png", full_page=False)
    await expect(room.get_by_test_id("room-standings")).to_contain_text("Standings after round 1 of 3")
    await expect(room.get_by_test_id("standing-west1")).to_be_visible()
    await shot(room, "projector_results_break.png", full_page=False)
    await expect(panel(phone, "results")).to_be_visible()  # the phone opens its results
    await phone.get_by_role("tab", name="Round").click()
    await expect(phone.get_by_test_id("round-idle")).to_contain_text("Waiting for the next round")
    await expect(panel(phone, "round").locator("form")).to_have_count(0)
    await no_horizontal_overflow(phone)
    await shot(phone, "player_phone_results_break.png", full_page=False)

    # Reopen round: asked first, Cancel changes nothing, then round 1 again
    dialog = fac.locator("dialog.confirm")
    await fac.get_by_test_id("ctl-reopen_round").click()
    await expect(dialog).to_contain_text("Reopen round 1?")
    await expect(dialog).to_contain_text("Decisions submitted before the close still count")
    await shot(fac, "console_reopen_round_asks.png", full_page=False)
    await fac.get_by_test_id("confirm-cancel").click()
    assert (await http.summary(session))["phase"] == "break"
    await fac.get_by_test_id("ctl-reopen_round").click()
    await fac.get_by_test_id("confirm-ok").click()
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("Round 1 of 3")
    await expect(fac.get_by_test_id("ctl-reopen_round")).to_have_count(0)  # once only
    await phone.get_by_role("tab", name="Round").click()
    await expect(phone.get_by_test_id("round-idle")).to_have_count(0)
    await expect(room.get_by_test_id("room-standings")).to_have_count(0)
    summary = await http.summary(session)
    assert (summary["phase"], summary["round"]) == ("execution", 0)
    await shot(phone, "player_phone_reopened.png", full_page=False)

    # closed again, then Next round opens round 2
    await fac.get_by_test_id("ctl-end_round").click()
    await fac.get_by_test_id("confirm-ok").click()
    await expect(fac.get_by_test_id("ctl-next_round")).to_be_visible()
    await fac.get_by_test_id("ctl-next_round").click()
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("Round 2 of 3")
    await phone.get_by_role("tab", name="Round").click()
    await expect(phone.get_by_test_id("round-idle")).to_have_count(0)
    await no_horizontal_overflow(phone)
    problems.check()
