"""A student plays with the keyboard alone (Tab, Shift-Tab, Enter, Space, arrows) on a phone
(390x844, real headless Chromium): joins, sends an offer, accepts the partner's counter,
decides and submits, chats. At every stop the focus ring is drawn and nothing (the sticky
bars, the budget, a toast) covers the focused control; after each step focus lands on what
happened, never on <body>. Also: wide tables at 360 px scroll from the keyboard, the
charts carry their numbers as a table, and the pages hold at 200% zoom and with reduced
motion. Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

from a11y_tools import PHONE
from test_browser_game import (  # noqa: F401 (fixtures are used by name)
    browser, expect, http, join, new_page, no_horizontal_overflow, problems, shot, web_server)

# where focus is, whether its ring is drawn, and what (if anything) covers it
FOCUS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return { where: "body" };
  const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
  const ring = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== "none";
  const x = Math.min(Math.max(r.left + r.width / 2, 1), innerWidth - 1);
  let cover = null;
  for (const y of [r.top + 3, r.top + r.height / 2, r.bottom - 3]) {  // its top, middle and bottom edge
    const hit = document.elementFromPoint(x, Math.min(Math.max(y, 1), innerHeight - 1));
    if (hit && !e.contains(hit) && !hit.contains(e) && !(hit.htmlFor && hit.control === e)) cover = hit.className || hit.tagName;
  }
  if (r.bottom < 0 || r.top > innerHeight) cover = "off screen";
  for (const t of document.querySelectorAll("#toasts .toast")) {
    const q = t.getBoundingClientRect();
    if (q.left < r.right && r.left < q.right && q.top < r.bottom && r.top < q.bottom) cover = "toast";
  }
  return { where: e.dataset.testid || e.id || e.tagName.toLowerCase(), ring, cover };
}"""


async def focus_at(page):
    return await page.evaluate(FOCUS)


async def tab_to(page, testid: str, back: bool = False, limit: int = 120):
    """Press Tab (or Shift-Tab) until the control `testid` has focus, checking every stop."""
    for _ in range(limit):
        await page.keyboard.press("Shift+Tab" if back else "Tab")
        f = await focus_at(page)
        assert f["where"] != "body", "Tab put focus on <body>"
        assert f["ring"], f"no focus ring on {f['where']}"
        assert not f["cover"], f"{f['where']} is covered by {f['cover']}"
        if f["where"] == testid:
            return
    raise AssertionError(f"{testid} not reached in {limit} Tab presses")


async def test_a_student_plays_with_the_keyboard_alone(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", rounds=2)
    ann = await new_page(browser, problems, PHONE)
    await ann.goto(f"{base}/join?code={session['code']}")
    await expect(ann.get_by_test_id("join-name")).to_be_focused()
    await ann.keyboard.type("Ann")
    await ann.keyboard.press("Enter")
    await expect(ann.get_by_test_id("firm-heading")).to_be_focused()  # not <body>
    bea = await new_page(browser, problems)
    await join(bea, base, session["code"], "Bea")

    # negotiation: the new phase's heading gets focus; an offer goes from the keyboard
    await http.control(session, "start")
    await expect(ann.locator("#panel-deal h2").first).to_be_focused()
    await tab_to(ann, "split")
    await ann.keyboard.press("ArrowRight")
    await expect(ann.get_by_test_id("split")).to_have_value("55")
    await tab_to(ann, "send-offer")
    await ann.keyboard.press("Enter")
    status = ann.get_by_test_id("neg-status")
    await expect(status).to_contain_text("Your offer #1 is on the table")
    await expect(status).to_be_focused()
    # Bea counters at 50%; Ann accepts with Space
    await bea.get_by_test_id("standing-offer").get_by_test_id("counter").click()
    await bea.get_by_test_id("split").fill("50")
    await bea.get_by_test_id("send-offer").click()
    await expect(ann.get_by_test_id("standing-offer")).to_contain_text("Offer #2")
    await tab_to(ann, "accept")
    await ann.keyboard.press("Space")

    # the round: its heading has focus; a value typed, Submit reached uncovered, Enter
    await expect(ann.get_by_test_id("round-title")).to_be_focused()
    await tab_to(ann, "pt-absorb.manufacturing")
    await ann.keyboard.type("5")
    await expect(ann.get_by_test_id("budget-remaining")).to_contain_text("of 100 points left")
    await tab_to(ann, "submit-decision")
    await ann.keyboard.press("Enter")
    banner = ann.get_by_test_id("submitted-banner")
    await expect(banner).to_contain_text("Submitted by Ann")
    await expect(banner).to_be_focused()

    # chat: back to the tab bar, arrows to Chat, the partner's channel, a line sent with Enter
    await tab_to(ann, "tab-round", back=True)
    await ann.keyboard.press("ArrowRight")
    await ann.keyboard.press("ArrowRight")
    await expect(ann.get_by_test_id("tab-chat")).to_be_focused()
    await tab_to(ann, "chat-tab-alliance")
    await ann.keyboard.press("Enter")
    channel = ann.get_by_test_id("chat-tab-alliance")
    await expect(channel).to_have_attribute("aria-pressed", "true")
    await expect(channel).to_be_focused()  # the redrawn buttons keep focus
    await tab_to(ann, "chat-input")
    await ann.keyboard.type("Design stays open.")
    await ann.keyboard.press("Enter")
    await expect(ann.get_by_test_id("chat-log")).to_contain_text("Design stays open.")
    await expect(ann.get_by_test_id("chat-input")).to_be_focused()
    await bea.get_by_test_id("chat-tab-alliance").click()
    await expect(bea.get_by_test_id("chat-log")).to_contain_text("Design stays open.")
    # Bea's answer is read to Ann once, from a polite status (the log itself is no live region)
    await bea.get_by_test_id("chat-input").fill("Agreed.")
    await bea.get_by_test_id("chat-send").click()
    await expect(ann.get_by_test_id("chat-announcer")).to_have_text("Bea: Agreed.")
    assert await ann.get_by_test_id("chat-log").get_attribute("aria-live") is None
    await shot(ann, "a11y_keyboard_chat.png", full_page=False, top=False)
    problems.check()


async def test_tables_scroll_from_the_keyboard_and_charts_have_their_numbers(web_server, http, browser, problems):
    session = await http.create(scenario="classic", rounds=2, negotiation=False)
    page = await new_page(browser, problems, {"width": 360, "height": 740})
    await join(page, web_server.url, session["code"], "Pat")
    # the competence table is wider than 360 px: a labelled region in the tab order
    region = page.get_by_test_id("competences").locator("xpath=..")
    await expect(region).to_have_attribute("data-overflow", "yes")
    await expect(region).to_have_attribute("tabindex", "0")
    assert await region.get_attribute("aria-label")
    await region.focus()
    await page.keyboard.press("ArrowRight")
    await page.wait_for_function("e => e.scrollLeft > 0", arg=await region.element_handle())
    await http.control(session, "fill_bots")
    await http.control(session, "start")
    await page.get_by_test_id("submit-decision").click()
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 2 of 2")
    await page.get_by_test_id("tab-results").click()
    fig = page.get_by_test_id("chart-position")
    await expect(fig.locator("canvas")).to_be_visible()
    data = fig.get_by_test_id("chart-data")
    await data.locator("summary").click()
    rows = data.locator("tbody tr")
    await expect(rows.first).to_be_visible()
    assert await rows.count() >= 1
    assert await rows.first.locator("td").count() >= 1
    assert all(c.strip() for c in await rows.first.locator("td").all_inner_texts())
    await data.scroll_into_view_if_needed()
    await shot(page, "a11y_chart_data.png", full_page=False, top=False)
    await no_horizontal_overflow(page)
    problems.check()


async def test_pages_hold_at_200_percent_zoom_and_reduced_motion(web_server, http, browser, problems):
    """200% zoom of a 1280 px window is a 640 px CSS viewport at device scale 2."""
    session = await http.create(scenario="classic", rounds=2, negotiation=False)
    ctx = await browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2, reduced_motion="reduce")
    page = problems.watch(await ctx.new_page())
    await join(page, web_server.url, session["code"], "Zed")
    await no_horizontal_overflow(page)
    await http.control(session, "fill_bots")
    await http.control(session, "start")
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 1 of 2")
    for tab in ("round", "deal", "chat", "help", "firm"):
        await page.get_by_test_id(f"tab-{tab}").click()
        await no_horizontal_overflow(page)
    # reduced motion: no transitions (the "changed by a teammate" flash)
    duration = await page.evaluate("() => { const e = document.createElement('div'); e.className = 'changed';"
                                   " document.body.append(e); return getComputedStyle(e).transitionDuration; }")
    assert duration == "0s", duration
    await page.get_by_test_id("tab-round").click()
    await page.get_by_test_id("submit-decision").click()
    await page.get_by_test_id("tab-results").click()
    await expect(page.get_by_test_id("chart-position").locator("canvas")).to_be_visible()
    await no_horizontal_overflow(page)
    await shot(page, "a11y_zoom200_results.png", full_page=False)
    fac = await browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    con = problems.watch(await fac.new_page())
    await con.goto(f"{web_server.url}/console#token={session['facilitator_token']}")
    await expect(con.get_by_test_id("phase-line")).to_be_visible()
    await no_horizontal_overflow(con)
    await shot(con, "a11y_zoom200_console.png", full_page=False)
    await ctx.close()
    await fac.close()
    problems.check()
