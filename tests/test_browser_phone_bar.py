"""A phone's sticky top bar is one compact line: on a 390 px phone (and a 360 px one) it
wrapped to three lines (firm, clock and connection, language: 110 px of an 844 px screen
covered while scrolling, 280 px with the tabs and the round's budget). What a student needs
stays in it: the firm (truncated, the full name in its title), the round, the time left and
the connection's state (its words are shown whenever it is not connected); the language
switcher shrinks to its globe, a 44 px target that opens the same list."""
from __future__ import annotations

import json

import aiohttp
import pytest

from conftest import TEST_ADMIN_KEY
from test_browser_budget import expect, seated_player, web  # noqa: F401  (fixture)

PHONES = [{"width": 390, "height": 844}, {"width": 360, "height": 740}]
ONE_LINE = 60  # px: a 44 px target and the bar's padding; two text lines would be 75+

BAR = """() => { const bar = document.querySelector('#topbar'), r = (s) => bar.querySelector(s).getBoundingClientRect();
  const inside = (b) => b.width > 0 && b.left >= 0 && b.right <= innerWidth && b.top >= 0 && b.bottom <= bar.offsetHeight;
  const lang = bar.querySelector('.lang-switch').getBoundingClientRect();
  return { height: bar.offsetHeight, top: bar.getBoundingClientRect().top, overflow: bar.scrollWidth > bar.clientWidth,
           firm: inside(r('.firm-name')), clock: inside(r('.clock-time')), phase: inside(r('.clock-phase')),
           conn: inside(r('.conn-icon')), lang: inside(lang), langW: lang.width, langH: lang.height,
           firmTitle: bar.querySelector('.firm-name').title }; }"""


@pytest.mark.parametrize("viewport", PHONES, ids=["390", "360"])
async def test_the_phone_top_bar_is_one_line_with_what_a_student_needs(web, viewport):  # noqa: F811
    server, browser = web
    s, creds = await seated_player(server.url)
    ctx = await browser.new_context(viewport=viewport, device_scale_factor=3, is_mobile=True, has_touch=True)
    await ctx.add_init_script(f"localStorage.setItem('alliance.player', {json.dumps(json.dumps(creds))})")
    page = await ctx.new_page()
    await page.goto(f"{server.url}/join")
    await expect(page.get_by_test_id("submit-decision")).to_be_enabled()
    await expect(page.get_by_test_id("clock-time")).not_to_have_text("")
    firm = await page.get_by_test_id("firm-heading").inner_text()
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")  # the bar is sticky: still at the top
    bar = await page.evaluate(BAR)
    assert bar["height"] <= ONE_LINE, f"the top bar is {bar['height']} px high at {viewport['width']} px: {bar}"
    assert bar["top"] == 0 and not bar["overflow"], bar
    for part in ("firm", "phase", "clock", "conn", "lang"):
        assert bar[part], f"{part} is not inside the bar: {bar}"
    assert bar["firmTitle"] == firm.strip(), "the firm's full name is the truncated name's title"
    assert bar["langW"] >= 44 and bar["langH"] >= 44, f"the language switcher is a small target: {bar}"
    await expect(page.get_by_test_id("clock")).to_contain_text("Round 1 of 3")
    await expect(page.get_by_test_id("connection")).to_match_aria_snapshot("- status: Connected")  # read out, if not shown
    await expect(page.get_by_test_id("lang-switch")).to_have_accessible_name("Language")
    # not connected: the words are shown, and the bar still fits
    await page.evaluate("() => window.dispatchEvent(new Event('offline'))")
    label = page.locator("#topbar .conn-label")
    assert (await label.bounding_box())["width"] > 20, "the state's words are shown when it is not connected"
    assert await page.evaluate("document.querySelector('#topbar').offsetHeight") <= ONE_LINE + 30
    await ctx.close()


SMALL_TARGETS = """() => [...document.querySelectorAll(
    'button, select, summary, textarea, [role=tab], label.check, a.button, input:not([type=hidden]):not([type=radio]):not([type=checkbox])')]
  .filter((e) => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
                   return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.opacity !== '0'; })
  .filter((e) => e.getBoundingClientRect().height < 43.5)
  .map((e) => `${e.tagName.toLowerCase()}.${e.className} "${(e.innerText || e.value || '').trim().slice(0, 30)}" `
              + `${Math.round(e.getBoundingClientRect().height)} px`)"""


async def test_every_control_a_student_touches_is_44_px_high(web):  # noqa: F811
    """At 360 px: the join form, then each tab in the negotiation (the term editor) and the
    round. The disclosures were 23 px, a term's checkbox row 33, a slider 32, the chat's tabs
    41, the join page's language list 32."""
    server, browser = web
    admin = {"Authorization": f"Bearer {TEST_ADMIN_KEY}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/sessions", headers=admin, json={
                "copies": 1, "rounds": 3, "negotiation": True, "round_seconds": 3600, "seed": 1}) as r:
            s = await r.json()
    ctx = await browser.new_context(viewport=PHONES[1], device_scale_factor=3, is_mobile=True, has_touch=True)
    page = await ctx.new_page()
    await page.goto(f"{server.url}/join?code={s['code']}")
    await expect(page.get_by_test_id("join-name")).to_be_visible()
    small = {f"join: {x}" for x in await page.evaluate(SMALL_TARGETS)}
    await page.get_by_test_id("join-name").fill("Ann")
    await page.get_by_test_id("join-submit").click()
    await expect(page.get_by_test_id("tab-firm")).to_be_visible()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/sessions/{s['session_id']}/control", json={"action": "start"},
                             headers={"Authorization": f"Bearer {s['facilitator_token']}"}) as r:
            assert r.status == 200, await r.text()
    await expect(page.get_by_test_id("clock")).to_contain_text("Negotiation")
    for tab in ("firm", "deal", "round", "results", "chat", "help"):
        await page.get_by_test_id(f"tab-{tab}").click()
        await expect(page.locator(f"#panel-{tab}")).to_be_visible()
        if tab == "deal":
            await expect(page.get_by_test_id("term-editor")).to_be_visible()
        small |= {f"{tab}: {x}" for x in await page.evaluate(SMALL_TARGETS)}
    assert not small, "controls under 44 px high on a phone:\n" + "\n".join(sorted(small))
    await ctx.close()
