"""A phone's top bar stays readable. Where a phone shows a toast: under the top bar and the tabs (the firm's name, the phase
clock and the way between tabs stay in sight), and never over the focused control or Submit
(js/dom.js keepClear flips it to the other edge)."""
from __future__ import annotations

import json

import pytest

from test_browser_budget import PHONE, expect, seated_player, web  # noqa: F401  (fixture)

OVERLAP = """(sel) => { const t = document.querySelector('#toasts').getBoundingClientRect();
  const e = document.querySelector(sel).getBoundingClientRect();
  return t.left < e.right && e.left < t.right && t.top < e.bottom && e.top < t.bottom; }"""


@pytest.mark.parametrize("viewport", [PHONE, {"width": 390, "height": 844}])
async def test_a_phone_toast_leaves_the_top_bar_and_tabs_in_sight(web, viewport):  # noqa: F811
    server, browser = web
    s, creds = await seated_player(server.url)
    ctx = await browser.new_context(viewport=viewport)
    await ctx.add_init_script(f"localStorage.setItem('alliance.player', {json.dumps(json.dumps(creds))})")
    page = await ctx.new_page()
    await page.goto(f"{server.url}/join")
    await expect(page.get_by_test_id("submit-decision")).to_be_enabled()
    await page.get_by_test_id("tab-firm").click()  # no Submit on this tab: the toast takes its usual place
    await page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")  # nothing to keep clear of
    await page.evaluate("() => import('/static/js/dom.js').then((m) => m.toast('Offer sent', 'ok', 60000))")
    await expect(page.locator("#toasts .toast")).to_be_visible()
    assert not await page.evaluate(OVERLAP, "#topbar"), "the toast covers the top bar"
    assert not await page.evaluate(OVERLAP, ".tabs"), "the toast covers the tabs"
    top = await page.evaluate("document.querySelector('#toasts').getBoundingClientRect().top")
    assert top < viewport["height"] / 2, "on a phone the toast sits near the top, under the bars"
    await ctx.close()


async def test_the_language_icon_is_drawn_not_an_emoji(web):  # noqa: F811
    """The switcher's globe is an SVG: as the 🌐 character it was an empty box on a browser
    without an emoji font (Debian's Chromium here)."""
    server, browser = web
    ctx = await browser.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await page.goto(f"{server.url}/join?code=ABCD-EFGH")
    icon = page.locator(".lang .lang-icon")
    await expect(icon).to_be_visible()
    assert await icon.evaluate("(e) => e.tagName.toLowerCase()") == "svg"
    assert "🌐" not in await page.locator(".lang").inner_text()
    box = await icon.bounding_box()
    assert 10 <= box["width"] <= 24 and 10 <= box["height"] <= 24, box
    await ctx.close()
