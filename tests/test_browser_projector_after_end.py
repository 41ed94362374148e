"""The projector after the end, in real headless Chromium: ending the session archives it
read-only, and the projector still opens and shows the final standings (the debrief's
ranking), also after the server process is stopped and started again on the same SQLite
file. Nothing can be changed from it any more. Real `run.py` processes (tests/conftest.py
`server_process`), real SQLite."""
from __future__ import annotations

import aiohttp

from conftest import Api
from test_browser_game import browser, expect, new_page, problems, shot  # noqa: F401 (fixtures)

ROOM = {"width": 1280, "height": 720}


async def _ended_session(url: str) -> dict:
    """A two-round session of bots, played to its end and ended by the facilitator."""
    async with aiohttp.ClientSession() as http:
        api = Api(url, http)
        session = await api.create(scenario="classic", rounds=2, negotiation=False, title="Friday class")
        await api.control(session, "fill_bots")
        await api.control(session, "start")  # bots only: both rounds close as they are submitted
        assert (await api.summary(session))["phase"] == "debrief"
        await api.control(session, "end_session")
        return session


async def _projector(browser, problems, base: str, session: dict):
    page = await new_page(browser, problems, ROOM)
    await page.goto(f"{base}/projector")
    await page.evaluate("tok => localStorage.setItem('alliance.facilitator', JSON.stringify(tok))",
                        {"token": session["facilitator_token"], "session_id": session["session_id"],
                         "code": session["code"], "join_url": session["join_url"]})
    await page.reload()
    return page


async def _shows_final_standings(page, session: dict) -> None:
    await expect(page.locator("body")).to_have_attribute("data-debrief", "ready")
    ranking = page.get_by_test_id("ranking")
    await expect(ranking).to_be_visible()
    # every firm of the game is ranked, by name
    assert await ranking.locator("tbody tr").count() == len(session["firms"])
    for firm in session["firms"]:
        await expect(page.get_by_test_id(f"rank-{firm}")).to_be_visible()
    # read-only: no join code for late joiners, no way back to a live room
    await expect(page.get_by_test_id("room-corner")).to_be_hidden()
    await expect(page.get_by_test_id("mode-toggle")).to_be_hidden()
    await expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "ended")
    await expect(ranking).to_be_in_viewport()


async def test_the_projector_shows_the_final_standings_after_the_end_and_after_a_restart(
        server_process, browser, problems):
    first = await server_process()
    session = await _ended_session(first.url)
    page = await _projector(browser, problems, first.url, session)
    await _shows_final_standings(page, session)
    await shot(page, "projector_after_end.png", full_page=False, top=False)
    assert first.terminate() == 0
    # a new server process on the same database file: the projector still reads the end
    again = await server_process()
    page = await _projector(browser, problems, again.url, session)
    await _shows_final_standings(page, session)
    await shot(page, "projector_after_restart.png", full_page=False, top=False)
    problems.check()
