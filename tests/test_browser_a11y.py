"""axe-core (WCAG 2.0/2.1 A and AA rules) at every page state of a whole game, in Debian's
Chromium at phone (390x844) and laptop (1280x800) size: the join form, the lobby and the firm,
the deal with the offer editor open, the round form (before and after submitting), results
with charts, chat, How to play, the facilitator's console (lobby, negotiation, round, end, home
with the sessions list), the projector and the debrief; partner selection on the player's page
and the console. Any serious or critical finding fails; moderate ones are in
docs/accessibility.md. axe-core comes from `scripts/install_axe.sh` (tests/a11y_tools.py).
Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

from a11y_tools import LAPTOP, PHONE, Audit, keep_toasts
from test_browser_game import (  # noqa: F401 (fixtures are used by name)
    browser, expect, http, join, new_page, open_console, panel, problems, shot, web_server)


async def test_every_state_of_a_game_passes_axe(web_server, http, browser, problems):
    audit = Audit()
    base = web_server.url
    session = await http.create(scenario="classic", rounds=2, title="Accessible class")
    fac = await open_console(browser, problems, base, session)
    await expect(fac.get_by_test_id("phase-line")).to_be_visible()
    await audit.at_sizes(fac, "console lobby")
    ann = await new_page(browser, problems, PHONE)
    await ann.goto(f"{base}/join?code={session['code']}")
    await expect(ann.get_by_test_id("join-name")).to_be_focused()
    await audit.at_sizes(ann, "join")
    await join(ann, base, session["code"], "Ann")
    bea = await new_page(browser, problems, LAPTOP)
    await join(bea, base, session["code"], "Bea")
    await expect(ann.get_by_test_id("lobby-note")).to_be_visible()
    await audit.at_sizes(ann, "lobby (firm tab)")
    room = problems.watch(await fac.context.new_page())
    await room.goto(f"{base}/projector")
    await expect(room.locator(".room-count")).to_be_visible()
    await audit.at_sizes(room, "projector lobby")

    # negotiation: the deal tab with the offer editor open; the console's negotiation view
    await http.control(session, "start")
    await expect(ann.get_by_test_id("term-editor")).to_be_visible()
    await audit.at_sizes(ann, "deal, offer editor open")
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("egotiation")
    await audit.at_sizes(fac, "console negotiation")
    await ann.get_by_test_id("split").fill("50")
    await ann.get_by_test_id("send-offer").click()
    await expect(ann.locator("#toasts .toast.ok")).to_be_visible()
    await keep_toasts(ann)
    await audit.at_sizes(ann, "deal, offer sent (success toast)")
    await bea.get_by_test_id("standing-offer").get_by_test_id("accept").click()

    # round 1: the form, the console, the projector; then submitted (hints under a lock)
    await expect(ann.get_by_test_id("round-title")).to_have_text("Round 1 of 2")
    await audit.at_sizes(ann, "round form")
    await expect(fac.get_by_test_id("holding")).to_be_visible()
    await audit.at_sizes(fac, "console round")
    await audit.at_sizes(room, "projector round")
    await ann.get_by_test_id("submit-decision").click()
    await expect(ann.get_by_test_id("submitted-banner")).to_be_visible()
    await audit.at_sizes(ann, "round form, submitted")
    # chat, with lines on both sides, and How to play
    await ann.get_by_test_id("tab-chat").click()
    await ann.get_by_test_id("chat-tab-alliance").click()
    await ann.get_by_test_id("chat-input").fill("Shall we keep design open?")
    await ann.get_by_test_id("chat-send").click()
    await bea.get_by_test_id("chat-tab-alliance").click()
    await expect(bea.get_by_test_id("chat-log")).to_contain_text("Shall we keep design open?")
    await audit.at_sizes(ann, "chat")
    await ann.get_by_test_id("tab-help").click()
    await expect(ann.get_by_test_id("guide-example")).to_be_visible()
    await audit.at_sizes(ann, "how to play")

    # round 2: results with charts
    await bea.get_by_test_id("submit-decision").click()
    await expect(ann.get_by_test_id("round-title")).to_have_text("Round 2 of 2")
    await ann.get_by_test_id("tab-results").click()
    await expect(ann.get_by_test_id("chart-position").locator("canvas")).to_be_visible()
    await audit.at_sizes(ann, "results with charts")
    await audit.at_sizes(room, "projector results")

    # the end: final score, the console's end, the debrief, the projector's debrief, the home
    await ann.get_by_test_id("tab-round").click()
    await ann.get_by_test_id("submit-decision").click()
    await bea.get_by_test_id("submit-decision").click()
    await expect(ann.get_by_test_id("final-score")).to_be_visible()
    await audit.at_sizes(ann, "final score")
    await expect(room.get_by_test_id("debrief")).to_be_visible()
    await audit.at_sizes(room, "projector debrief")
    await fac.get_by_test_id("ctl-end_session").click()
    await fac.get_by_test_id("confirm-ok").click()
    await expect(fac.get_by_test_id("archived-note")).to_be_visible()
    await audit.at_sizes(fac, "console end")
    deb = problems.watch(await fac.context.new_page())
    await deb.goto(f"{base}/debrief")
    await expect(deb.get_by_test_id("chart-scatter").locator("canvas")).to_be_visible()
    await audit.at_sizes(deb, "debrief")
    await fac.goto(f"{base}/console?new")
    await expect(fac.get_by_test_id("my-sessions")).to_contain_text("Accessible class")
    await audit.at_sizes(fac, "console home, sessions list")
    audit.check()
    problems.check()


async def test_partner_selection_passes_axe(web_server, http, browser, problems):
    audit = Audit()
    session = await http.create(scenario="across_ocean", rounds=2)
    page = await new_page(browser, problems, PHONE)
    await join(page, web_server.url, session["code"], "Harbor")
    for name in ("Wavelink", "Busline", "Kinsei", "Bridge"):
        await http.join(session["code"], name)
    await http.control(session, "start")
    await expect(page.get_by_test_id("selection")).to_be_visible()
    await page.get_by_test_id("sel-propose-kinsei1").click()
    await expect(page.get_by_test_id("sel-status-kinsei1")).to_contain_text("waiting")
    await audit.at_sizes(page, "selection")
    fac = await open_console(browser, problems, web_server.url, session)
    await expect(fac.get_by_test_id("selection-board")).to_be_visible()
    await audit.at_sizes(fac, "console selection")
    audit.check()
    problems.check()
