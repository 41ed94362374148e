"""Renegotiation windows in real headless Chromium: after round 1 a window opens; west (a
laptop) proposes a new split from the Deal tab, a student's phone at 390x844 sees the window
(the terms in force, its dependency, the proposal) and accepts, and round 2 is played on the
new terms; after round 2 the facilitator's console at 1280x800 shows every pair with both
dependencies and ends the window, asking first and saying that open renegotiations keep
their current terms. Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

from clients.python.view_fold import apply
from test_browser_game import (  # noqa: F401 (fixtures are used by name)
    browser, expect, http, join, new_page, no_horizontal_overflow, open_console, panel, problems, shot,
    web_server)

CONSOLE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


async def test_a_phone_accepts_renegotiated_terms_and_the_console_ends_a_window(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", copies=2, rounds=3, negotiation=False, round_seconds=900,
                                renegotiation_every=1, renegotiation_seconds=900)
    west = await new_page(browser, problems)
    east = await new_page(browser, problems, PHONE)
    await join(west, base, session["code"], "Wes")
    await join(east, base, session["code"], "Eli")
    fac = await open_console(browser, problems, base, session)
    await fac.set_viewport_size(CONSOLE)
    await http.control(session, "fill_bots", strategy="balanced")  # copy 2: seat bots (they settle at once)
    await fac.get_by_test_id("ctl-start").click()
    await expect(east.get_by_test_id("round-title")).to_have_text("Round 1 of 3")
    await http.control(session, "end_round")

    # the window: the phone's Deal tab shows the terms in force and the firm's own dependency
    await expect(panel(east, "deal")).to_be_visible()
    card = east.get_by_test_id("reneg-a1")
    await expect(card).to_contain_text("Renegotiating with")
    await expect(card).to_contain_text("apply from round 2")
    await expect(card.get_by_test_id("reneg-dependency")).to_contain_text("Your dependency on")
    # the number is the firm's own estimate from its view (never the facilitator's exact one)
    own = await east.evaluate("""async () => { const { pct } = await import("/static/js/i18n.js");
      return pct(window.__player.view.renegotiation.alliances[0].dependency); }""")
    await expect(card.get_by_test_id("reneg-dependency")).to_contain_text(own)
    await expect(card.locator('[data-term="split"]')).to_have_text("you 50% · partner 50%")
    await expect(fac.get_by_test_id("phase-line")).to_have_text("Renegotiation window")

    # west asks for 60%; the phone sees the proposal and accepts it
    await expect(panel(west, "deal")).to_be_visible()
    await west.get_by_test_id("split").fill("60")
    await west.get_by_test_id("send-offer").click()
    offer = east.get_by_test_id("standing-offer")
    await expect(offer.locator('[data-term="split"]')).to_have_text("you 40% · partner 60%")
    await expect(east.get_by_test_id("walk-away")).to_have_text("Keep the current terms")
    await no_horizontal_overflow(east)
    await shot(east, "player_phone_renegotiation.png", full_page=False)
    await offer.scroll_into_view_if_needed()
    await shot(east, "player_phone_renegotiation_offer.png", full_page=False, top=False)
    await offer.get_by_test_id("accept").click()

    # settled (copy 2's bots settled at once): round 2 opens, played on the new split
    await expect(east.get_by_test_id("round-title")).to_have_text("Round 2 of 3")
    summary = await http.summary(session)
    assert summary["alliances"]["a1"]["terms"]["split"] == {"west1": 0.6, "east1": 0.4}
    await east.get_by_role("tab", name="Deal").click()
    await expect(east.get_by_test_id("reneg-outcome")).to_have_text("New terms agreed: they apply from round 2.")
    await expect(east.get_by_test_id("alliance-terms").locator('[data-term="split"]')).to_have_text("you 40% · partner 60%")
    await no_horizontal_overflow(east)

    # after round 2 the next window; the console shows both dependencies and ends it
    await http.control(session, "end_round")
    await expect(fac.get_by_test_id("phase-line")).to_have_text("Renegotiation window")
    row = fac.get_by_test_id("reneg-row-a1")
    await expect(row).to_contain_text("%")
    # both partners' exact dependencies, as the facilitator's view has them
    exact = (await http.summary(session))["renegotiation"]["alliances"][0]["dependency"]
    shown = await fac.evaluate("""async (d) => { const { pct } = await import("/static/js/i18n.js");
      return [pct(d.west1), pct(d.east1)]; }""", exact)
    await expect(row.locator("td").first).to_have_text(f"Westward Devices 1 {shown[0]} · Orient Precision 1 {shown[1]}")
    await expect(row).to_contain_text("open")
    await expect(fac.get_by_test_id("console-renegotiation")).to_contain_text("after round 2")
    await fac.get_by_test_id("console-renegotiation").scroll_into_view_if_needed()
    await shot(fac, "console_renegotiation.png", full_page=False, top=False)
    dialog = fac.locator("dialog.confirm")
    await fac.get_by_test_id("ctl-end_renegotiation").click()
    await expect(dialog).to_contain_text("End the renegotiation window now?")
    await expect(dialog).to_contain_text("Open renegotiations keep their current terms")
    await fac.get_by_test_id("confirm-cancel").click()
    assert (await http.summary(session))["phase"] == "renegotiation"
    await fac.get_by_test_id("ctl-end_renegotiation").click()
    await fac.get_by_test_id("confirm-ok").click()
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("Round 3 of 3")
    await expect(east.get_by_test_id("round-title")).to_have_text("Round 3 of 3")
    summary = await http.summary(session)
    assert summary["alliances"]["a1"]["terms"]["split"] == {"west1": 0.6, "east1": 0.4}  # kept
    # the web's fold of a renegotiation push (viewfold.js) is the Python clients' (view_fold.py)
    view = {"phase": "renegotiation", "firm": {"id": "east1"}, "me": {}, "renegotiation": {"round": 1}}
    push = {"type": "renegotiation", "renegotiation": summary["renegotiation"], "events": []}
    js = await east.evaluate("""async ([v, m]) => {
      const { applyPush } = await import("/static/js/viewfold.js"); return applyPush(v, m); }""", [view, push])
    assert js == apply(view, push) and js["renegotiation"]["round"] == 2
    problems.check()
