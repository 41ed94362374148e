"""The console of a large class in real headless Chromium at 1280x800: what the phase is
about comes right after the controls (js/console.js `orderSections`). With 14 firms the
negotiations were below every firm's card and the live monitor (a facilitator scrolled past
~3,000 px to see who still negotiates); in a round the firms holding it up were below the
cards too. The sections move in the document, so the tab order is the order seen."""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, open_console, problems, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

ORDER = "() => [...document.querySelectorAll('.console-grid > section')].map((s) => s.id)"


async def _after_controls(fac, first: str) -> None:
    """`first` is the section after the controls, in the document and on the screen, and
    its heading is on the first screen under them."""
    await expect(fac.locator("#sec-controls + section")).to_have_id(first)
    ids = await fac.evaluate(ORDER)
    assert ids.index(first) == ids.index("sec-controls") + 1, ids
    await fac.evaluate("() => window.scrollTo(0, 0)")
    box = await fac.locator(f"#{first} h2").bounding_box()
    if first != "sec-teams":
        teams = await fac.locator("#sec-teams").bounding_box()
        assert box["y"] < teams["y"], (box, teams)
    assert box["y"] < 1.5 * 800, box  # (below the join box and the controls: within a scroll)


async def test_the_phase_at_hand_comes_first_on_a_large_class(web_server, http, browser, problems):
    session = await http.create(scenario="classic", copies=7, rounds=2, negotiation=True, negotiation_seconds=900)
    for i in range(14):
        await http.join(session["code"], f"Student {i:02d}")
    fac = await open_console(browser, problems, web_server.url, session)
    await fac.set_viewport_size({"width": 1280, "height": 800})
    await expect(fac.get_by_test_id("phase-line")).to_be_visible()
    await _after_controls(fac, "sec-teams")  # the lobby: forming the teams
    await http.control(session, "start")
    await expect(fac.get_by_test_id("phase-line")).to_contain_text("egotiation")
    await _after_controls(fac, "sec-negs")
    await http.control(session, "pair")  # the default terms for the open negotiations: round 1
    await expect(fac.get_by_test_id("holding")).to_be_visible()
    await _after_controls(fac, "sec-monitor")
    problems.check()
