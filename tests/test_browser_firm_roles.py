"""Roles inside a firm (`firm_roles`, issue 16), in real headless Chromium: a firm of five
on 390x844 phones. The roles are dealt at the start in join order (Ana negotiator, Cy
gatekeeper, Ed learner); each phone's Firm tab names every member's role; on the Deal tab the
learner sees the firm's offer but has no editor, no answer buttons and no walk-away, and is
told who negotiates; in the round the gatekeeper sets protect while the learner's protect is
locked with the reason and its absorb is open; the console (1280x800) gives the learner's
role to another member from the player's row and the phones follow. Fixtures and helpers
from tests/test_browser_game.py."""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from conftest import Client  # noqa: E402
from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, new_page, no_horizontal_overflow, open_console, problems, shot, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

from test_browser_seats import CONSOLE, PHONE  # noqa: E402


async def _join(page, base: str, code: str, name: str):
    await page.goto(f"{base}/join?code={code}")
    await page.get_by_test_id("join-name").fill(name)
    await page.get_by_test_id("join-submit").click()
    await expect(page.get_by_test_id("firm-heading")).to_be_visible()


async def test_a_firm_of_five_plays_its_roles(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", copies=1, negotiation=True, firm_roles=True)
    phones, ids, bo = {}, {}, None
    # seats alternate between west1 and east1: Ana, Cy, Ed, Gil and Ivo are west1's five
    for name in ("Ana", "Bo", "Cy", "Di", "Ed", "Fa", "Gil", "Hu", "Ivo"):
        if name in ("Ana", "Cy", "Ed"):
            phones[name] = await new_page(browser, problems, PHONE)
            await _join(phones[name], base, session["code"], name)
        else:
            j = await http.join(session["code"], name)
            if name == "Bo":
                bo = j
    players = {p["name"]: p for p in (await http.summary(session))["status"]["players"]}
    ids = {n: p["player_id"] for n, p in players.items()}
    assert [n for n, p in players.items() if p["firm"] == "west1"] == ["Ana", "Cy", "Ed", "Gil", "Ivo"]
    bo_socket = await Client.login(web_server.url, bo["player_token"], name="Bo")
    try:
        await _play(base, session, http, browser, problems, phones, ids, bo_socket)
    finally:
        await bo_socket.close()


async def _play(base, session, http, browser, problems, phones, ids, bo_socket):
    ana, cy, ed = phones["Ana"], phones["Cy"], phones["Ed"]
    await http.control(session, "start")

    # the Firm tab: who holds what
    await ed.get_by_test_id("tab-firm").click()
    roles = ed.get_by_test_id("firm-roles")
    await expect(roles.get_by_test_id("my-roles")).to_have_text("You are the Learner.")
    await expect(roles.get_by_test_id("holder-gatekeeper")).to_contain_text("Cy")
    team = ed.get_by_test_id("team")
    await expect(team.locator("li", has_text="Ana").get_by_test_id("role-negotiator")).to_be_visible()
    await expect(team.locator("li", has_text="Gil").locator(".role-tag")).to_have_count(0)
    await no_horizontal_overflow(ed)
    await shot(ed, "roles_firm_tab_phone.png")

    # the Deal tab: only the negotiator sends; the learner sees the offer, not the controls
    await expect(ana.get_by_test_id("term-editor")).to_be_visible()
    await ed.get_by_test_id("tab-deal").click()
    await expect(ed.get_by_test_id("neg-role-note")).to_contain_text("Ana negotiates for your firm")
    await expect(ed.get_by_test_id("term-editor")).to_be_hidden()
    await expect(ed.get_by_test_id("walk-away")).to_be_hidden()
    await ana.get_by_test_id("split").fill("50")
    await ana.get_by_test_id("send-offer").click()
    await expect(ed.get_by_test_id("standing-offer")).to_be_visible()
    await no_horizontal_overflow(ed)
    await shot(ed, "roles_deal_learner_phone.png")
    # east1's negotiator (Bo, its first member) accepts over a socket: the alliance is signed
    view = next(m for m in reversed(bo_socket.messages) if m.get("type") == "view")["view"]
    assert view["firm_roles"]["holders"]["negotiator"] == ids["Bo"]
    await bo_socket.ok("negotiate", action="accept", negotiation=view["negotiations"][0]["id"])

    # the round: the gatekeeper sets protect, the learner cannot (and is told why)
    await expect(cy.get_by_test_id("round-title")).to_contain_text("Round 1 of")
    cy_protect = cy.get_by_test_id("pt-protect")
    await expect(cy_protect).to_be_enabled()
    await cy_protect.fill("7")
    await cy_protect.blur()
    ed_protect = ed.get_by_test_id("pt-protect")
    await expect(ed_protect).to_have_value("7")
    await expect(ed_protect).to_be_disabled()
    await expect(ed.get_by_test_id("role-note-protect")).to_contain_text("Cy sets this as your firm's Gatekeeper")
    await expect(ed.get_by_test_id("role-mark-absorb")).to_have_text("Your role: Learner")
    absorb = ed.locator("fieldset[data-group=absorb] input").first
    await expect(absorb).to_be_enabled()
    await no_horizontal_overflow(ed)
    await ed.get_by_test_id("role-note-protect").scroll_into_view_if_needed()
    await shot(ed, "roles_round_learner_phone.png", full_page=False, top=False)

    # the console gives the learner's role to Gil from Gil's row: Ed holds nothing now, so
    # Ed's absorb locks too (protect stays Cy's)
    console = await open_console(browser, problems, base, session)
    await console.set_viewport_size(CONSOLE)
    row = console.get_by_test_id("player-row").filter(has_text="Gil")
    await row.get_by_label("Role of Gil").select_option("learner")
    await expect(row.get_by_test_id(f"row-role-{ids['Gil']}-learner")).to_be_visible()
    await row.scroll_into_view_if_needed()
    await shot(console, "roles_console.png", full_page=False, top=False)
    await expect(ed.get_by_test_id("role-note-absorb")).to_contain_text("Gil sets this as your firm's Learner")
    await expect(ed.locator("fieldset[data-group=absorb] input").first).to_be_disabled()
    assert problems.items == []
