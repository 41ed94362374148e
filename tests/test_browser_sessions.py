"""The facilitator's day after the end, in real headless Chromium at 1280x800: ending the
session keeps its debrief (the console says so and opens it, read-only); the console's home
lists this browser's sessions, live and ended, with a way back into each; and the console
opens on another device from a link (token in the fragment) or its QR code.
Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

import zipfile

from test_browser_game import (  # noqa: F401 (fixtures are used by name)
    browser, expect, http, new_page, open_console, problems, shot, web_server)

CONSOLE = {"width": 1280, "height": 800}


async def test_sessions_live_and_ended_and_another_device(web_server, http, browser, problems):
    base = web_server.url
    ended = await http.create(scenario="classic", rounds=1, negotiation=False, title="Monday class")
    live = await http.create(scenario="classic", rounds=3, negotiation=False, title="Tuesday class")
    fac = await open_console(browser, problems, base, ended)
    await fac.set_viewport_size(CONSOLE)
    await expect(fac.get_by_test_id("phase-line")).to_be_visible()
    # the facilitator plays the short session to its end and ends it
    await http.control(ended, "fill_bots")
    await http.control(ended, "start")
    await fac.get_by_test_id("ctl-end_session").click()
    await fac.get_by_test_id("confirm-ok").click()
    note = fac.get_by_test_id("archived-note")
    await expect(note).to_contain_text("This session has ended")
    # its debrief still opens, read-only, from the note
    await fac.get_by_test_id("archived-debrief").click()
    await expect(fac.locator("body")).to_have_attribute("data-debrief", "ready")
    await expect(fac.get_by_test_id("ranking")).to_be_visible()
    await shot(fac, "debrief_after_end.png", full_page=False)
    # the other session, opened in the same browser from its link: the home lists both
    await fac.goto(f"{base}/console#token={live['facilitator_token']}")
    await expect(fac.get_by_test_id("phase-line")).to_be_visible()
    await fac.goto(f"{base}/console?new")
    mine = fac.get_by_test_id("my-sessions")
    await expect(mine.locator(f"[data-testid=my-session-{live['session_id']}]")).to_have_attribute("data-status", "live")
    await expect(mine.locator(f"[data-testid=my-session-{ended['session_id']}]")).to_have_attribute("data-status", "ended")
    await expect(mine).to_contain_text("Tuesday class")
    await expect(mine).to_contain_text("Monday class")
    await shot(fac, "console_home_sessions.png", full_page=False)
    await mine.locator(f"[data-testid=my-session-{live['session_id']}]").get_by_test_id("my-session-open").click()
    await expect(fac.get_by_test_id("join-code")).to_contain_text(live["code"][:4])
    # open on another device: the link carries the token in the fragment; its QR code shows it
    await fac.get_by_test_id("another-device").click()
    link = await fac.get_by_test_id("device-link").inner_text()
    assert link == f"{base}/console#token={live['facilitator_token']}&session={live['session_id']}"
    await expect(fac.get_by_test_id("device-qr")).to_be_visible()
    assert await fac.get_by_test_id("device-qr").evaluate("img => img.complete && img.naturalWidth > 0")
    await shot(fac, "console_another_device.png", full_page=False)
    await fac.get_by_test_id("confirm-cancel").click()
    # a second browser (the other device) opens the link and is in the console of that session
    other = await new_page(browser, problems)
    await other.goto(link)
    await expect(other.get_by_test_id("join-code")).to_contain_text(live["code"][:4])
    assert "token" not in other.url
    problems.check()


async def test_the_console_link_route_is_for_the_facilitator_only(web_server, http):
    session = await http.create(scenario="classic", rounds=2)
    player = await http.join(session["code"], "Ann")
    for token, code in ((player["player_token"], 403), (None, 401), ("junk", 401)):
        status, body = await http.request("GET", "/api/web/console_link", token=token)
        assert status == code, body
    status, body = await http.request("GET", "/api/web/console_link", token=session["facilitator_token"])
    assert status == 200 and body["url"].endswith(
        f"/console#token={session['facilitator_token']}&session={session['session_id']}")
    assert body["qr_svg"].startswith("<svg") and "console link" in body["qr_svg"]


async def test_an_ended_session_opens_read_only_from_its_console_link(web_server, http, browser, problems):
    """After the class, on another computer: the console's link ("Open on another device")
    opens the ended session read-only, with its debrief and its research export (the link
    once carried the token only, and a browser that had never seen the session was told the
    link had expired and forgot the token)."""
    base = web_server.url
    session = await http.create(scenario="classic", rounds=1, negotiation=False, title="Friday class")
    status, body = await http.request("GET", "/api/web/console_link", token=session["facilitator_token"])
    assert status == 200, body
    await http.join(session["code"], "Ann")
    await http.control(session, "fill_bots")
    await http.control(session, "start")
    await http.control(session, "end_round")  # the round is played: the debrief has a ranking
    await http.control(session, "end_session")
    desk = await new_page(browser, problems, CONSOLE)  # a fresh browser: nothing stored
    await desk.goto(body["url"])
    note = desk.get_by_test_id("archived-note")
    await expect(note).to_contain_text("This session has ended")
    async with desk.expect_download() as dl:
        await note.get_by_test_id("export").click()
    download = await dl.value
    assert download.suggested_filename == f"alliance-{session['session_id']}.zip"
    with zipfile.ZipFile(await download.path()) as archive:
        assert any(n.endswith("codebook.md") for n in archive.namelist())
    await note.get_by_test_id("archived-debrief").click()
    await expect(desk.locator("body")).to_have_attribute("data-debrief", "ready")
    await expect(desk.get_by_test_id("ranking")).to_contain_text("Westward Devices")
    problems.check()


async def test_a_console_opened_from_a_token_only_link_shows_the_end(web_server, http, browser, problems):
    """`python run.py --demo` prints `/console#token=...` without the session's id: ending the
    session from that console must still leave the facilitator on the ended note with the
    debrief, not on a live-looking console whose buttons no longer work."""
    session = await http.create(scenario="classic", rounds=1, negotiation=False, title="Demo class")
    fac = await new_page(browser, problems)
    await fac.set_viewport_size(CONSOLE)
    await fac.goto(f"{web_server.url}/console#token={session['facilitator_token']}")
    await expect(fac.get_by_test_id("phase-line")).to_be_visible()
    await http.control(session, "fill_bots")
    await http.control(session, "start")
    await fac.get_by_test_id("ctl-end_session").click()
    await fac.get_by_test_id("confirm-ok").click()
    await expect(fac.get_by_test_id("archived-note")).to_contain_text("This session has ended")
    await expect(fac.get_by_test_id("ctl-end_session")).to_have_count(0)
    # a reload keeps it: the ended session's debrief still opens from the note
    await fac.reload()
    await fac.get_by_test_id("archived-debrief").click()
    await expect(fac.get_by_test_id("ranking")).to_be_visible()
    problems.check()
