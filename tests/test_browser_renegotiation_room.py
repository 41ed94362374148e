"""The renegotiation windows on the projector and in the debrief, in real headless Chromium.
The projector (1280x800) shows an open window with public facts only: after which round,
from which round new terms apply, the clock, how many alliances have settled and which
are still talking; never a pair's shares, proposals or dependencies, though the
facilitator's view it is drawn from holds them. After the game the debrief on a phone
(390x844) lists each alliance's windows: who proposed what, the answers, and whether the
terms changed and from which round. Copy 1 plays over the socket (clients/python), copy 2
is seated bots. Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

import re

from clients.python.client import GameClient, join_session
from test_browser_game import (  # noqa: F401 (fixtures are used by name)
    browser, expect, http, new_page, no_horizontal_overflow, problems, shot, web_server)

ROOM = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


async def _signed_in(browser, problems, viewport, url: str, session: dict):
    page = await new_page(browser, problems, viewport)
    await page.goto(url)
    await page.evaluate("tok => localStorage.setItem('alliance.facilitator', JSON.stringify(tok))",
                        {"token": session["facilitator_token"], "session_id": session["session_id"],
                         "code": session["code"], "join_url": session["join_url"]})
    await page.reload()
    return page


async def test_the_projector_shows_a_window_and_the_debrief_tells_it(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", copies=2, rounds=2, negotiation=False, round_seconds=900,
                                renegotiation_every=1, renegotiation_seconds=900)
    players = []
    try:
        for name in ("Wes", "Eli"):
            j = await join_session(base, session["code"], name)
            c = GameClient(base, j["player_token"], name=name)
            await c.connect()
            players.append(c)
        west, east = players
        await http.control(session, "fill_bots", strategy="balanced")  # copy 2: seat bots
        room = await _signed_in(browser, problems, ROOM, f"{base}/projector", session)
        await http.control(session, "start")
        for c, dom in ((west, "design"), (east, "manufacturing")):
            await c.wait_view(lambda v: v["phase"] == "execution")
            await c.submit({"contribute": {dom: 20}}, round=1)

        # the window on the projector: copy 2's bots settle at once, copy 1 is still talking
        panel = room.get_by_test_id("room-renegotiation")
        await expect(panel).to_be_visible()
        await expect(panel.locator("h2")).to_have_text("Renegotiation window after round 1")
        await expect(panel).to_contain_text("they apply from round 2")
        await expect(room.get_by_test_id("room-reneg-settled")).to_have_text("1 of 2 alliances settled")
        await expect(room.get_by_test_id("room-reneg-a1")).to_contain_text("still talking")
        await expect(room.get_by_test_id("room-reneg-a2")).to_contain_text("settled")
        await expect(room.get_by_test_id("clock")).to_contain_text("Renegotiation window")
        await expect(room.get_by_test_id("clock-time")).to_have_text(re.compile(r"\d+:\d\d"))

        # west asks for 70%: the room is told nothing of it (no share, no proposal, no dependency)
        await west.negotiate("offer", {"split": {"west1": 0.7, "east1": 0.3}}, "a1")
        await east.wait_view(lambda v: (v["renegotiation"]["alliances"][0].get("standing") or 0) > 0)
        await expect(room.get_by_test_id("room-reneg-settled")).to_have_text("1 of 2 alliances settled")
        lines = [x.strip() for x in (await panel.inner_text()).split("\n") if x.strip()]
        assert lines == ["Renegotiation window after round 1",
                         "Partners may agree new terms now; they apply from round 2. Without an agreement the "
                         "current terms stay.", "1 of 2 alliances settled",
                         "◷", "Westward Devices 1 ⇄ Orient Precision 1", "still talking",
                         "✓", "Westward Devices 2 ⇄ Orient Precision 2", "settled"], lines
        await shot(room, "projector_renegotiation.png", full_page=False)

        # east accepts: the window closes and round 2 opens; then the game ends
        await east.negotiate("accept", None, "a1")
        await expect(panel).to_be_hidden()
        for c, dom in ((west, "design"), (east, "manufacturing")):
            await c.wait_view(lambda v: v["phase"] == "execution" and v["current_round"] == 2)
            await c.submit({"contribute": {dom: 20}}, round=2)
        await west.wait_view(lambda v: v["phase"] == "debrief")
    finally:
        for c in players:
            await c.close()

    # the debrief on a phone: each alliance's window, who proposed what, and the outcome
    deb = await _signed_in(browser, problems, PHONE, f"{base}/debrief", session)
    await expect(deb.locator("body")).to_have_attribute("data-debrief", "ready")
    told = deb.get_by_test_id("debrief-reneg-a1-1")
    await expect(told).to_contain_text("After round 1 (new terms would apply from round 2)")
    await expect(told.locator("ul.reneg-moves li").nth(0)).to_contain_text(
        re.compile(r"Westward Devices 1 proposed: Westward Devices 1's share 50\s?% → 70\s?%; Orient Precision 1's share 50\s?% → 30\s?%"))
    await expect(told.locator("ul.reneg-moves li").nth(1)).to_contain_text("accepted.")
    await expect(told).to_have_attribute("data-outcome", "renegotiated")
    await expect(told.locator(".reneg-outcome")).to_contain_text("New terms from round 2:")
    other = deb.get_by_test_id("debrief-reneg-a2-1")
    await expect(other).to_be_visible()
    assert await other.get_attribute("data-outcome") in ("renegotiated", "kept")
    # a phone is no projector: no join-code corner taking half of its width
    await expect(deb.get_by_test_id("room-corner")).to_be_hidden()
    await told.scroll_into_view_if_needed()
    # the learning race's axis: readable numbers even where the race is flat (it showed
    # "100.00000000000001" and "99.99999999999999": floating-point noise magnified)
    race = deb.get_by_test_id("race-a1").locator("canvas")
    await race.scroll_into_view_if_needed()
    await deb.wait_for_function("(c) => !!window.Chart && !!window.Chart.getChart(c)", arg=await race.element_handle())
    ticks = await race.evaluate("(c) => window.Chart.getChart(c).scales.y.ticks.map((t) => String(t.label))")
    assert ticks and all(re.fullmatch(r"-?[\d,.\s]+", t) and len(t.rsplit(".", 1)[-1]) <= 2 if "." in t else True
                         for t in ticks), ticks
    lo, hi = await race.evaluate("(c) => [window.Chart.getChart(c).scales.y.min, window.Chart.getChart(c).scales.y.max]")
    assert hi - lo >= 10, (lo, hi)  # at least 95-105 around the start's 100
    await told.scroll_into_view_if_needed()
    await no_horizontal_overflow(deb)
    await shot(deb, "debrief_phone_renegotiation.png", full_page=False, top=False)
    await shot(deb, "debrief_phone_renegotiation_full.png")
    problems.check()
