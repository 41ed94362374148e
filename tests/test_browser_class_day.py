"""The class on the day (issue 15), in real headless Chromium against the real server: what a
student sees on a phone and what the room sees on the projector.

- no text on the player's page reads `null` or `undefined` (the Firm tab once showed `null`
  under "You are ..." once the game had started);
- scenario prose (briefs, the case, the debrief questions) is shown as paragraphs: the TOML
  texts' hard line breaks inside sentences are gone, blank lines and "- " items are kept;
- the competences table fits a 360 and a 390 px phone: it scrolls inside a focusable region
  that says so, and the page itself never scrolls sideways;
- a toast never covers the Submit button or the control that has the focus;
- the pulse survey is not asked in round 1 (nothing has happened yet), and is from round 2;
- the projector shows the join code and its QR code in every phase (large in the lobby,
  small in a corner afterwards), at 1920 x 1080 and 1280 x 720;
- the console's export button says what it gives (a ZIP).

Fixtures and helpers from tests/test_browser_game.py; waits on page state, never on time.
"""
from __future__ import annotations

import zipfile

import pytest

from a11y_tools import AFTER_NEXT_FRAME

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, SHOTS, browser, http, join, new_page, no_horizontal_overflow, open_console, problems, shot, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}

# every text node of the page that is exactly a stray JavaScript value
STRAY_VALUES = """() => { const out = []; const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode())
    if (/^\\s*(null|undefined|NaN|\\[object Object\\])\\s*$/.test(n.textContent)) out.push(`${n.parentElement.id || n.parentElement.className}: ${n.textContent}`);
  return out; }"""


async def _started(http, browser, problems, viewport=PHONE, **options):
    """A session with one student (Pat, firm west1) on a phone, bots in the other seats, round 1 open."""
    session = await http.create(scenario="classic", rounds=3, negotiation=False, copies=1, **options)
    page = await new_page(browser, problems, viewport)
    await join(page, http.url, session["code"], "Pat")
    return session, page


# ---- the Firm tab: no stray `null` ----------------------------------------------------------------

async def test_no_stray_null_on_the_player_page(web_server, http, browser, problems):
    session, page = await _started(http, browser, problems)
    assert await page.evaluate(STRAY_VALUES) == []  # the lobby
    await http.control(session, "fill_bots")
    await http.control(session, "start")
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 1 of 3")
    await page.get_by_test_id("tab-firm").click()
    role = page.get_by_test_id("role-line")
    await expect(role).to_have_text("You are Pat, playing Westward Devices.")
    # what follows the role line is the team card, not a text node "null"
    after = await role.evaluate("e => e.nextSibling && (e.nextSibling.textContent || '').trim().slice(0, 9)")
    assert after == "Your team", after
    for tab in ("firm", "deal", "round", "results", "chat"):
        await page.get_by_test_id(f"tab-{tab}").click()
        assert await page.evaluate(STRAY_VALUES) == [], tab
    problems.check()


# ---- scenario prose as paragraphs ------------------------------------------------------------------

PARAGRAPHS = """el => [...el.querySelectorAll(':scope > p, :scope > ul > li')].map(
  e => `${e.tagName.toLowerCase()}: ${e.textContent}`)"""


async def test_scenario_prose_is_shown_as_paragraphs(web_server, http, browser, problems):
    session, page = await _started(http, browser, problems)
    # as rendered (innerText keeps the line breaks a reader sees): no break inside the sentence
    shown = await page.get_by_test_id("brief").inner_text()
    assert "your board wants them down within two years" in shown, shown
    brief = await page.get_by_test_id("brief").locator(".prose").evaluate(PARAGRAPHS)
    # the brief is one paragraph: the line breaks of the TOML text are spaces
    assert len(brief) == 1 and "\n" not in brief[0], brief
    assert "the industry and your board wants them down within two years" in brief[0]
    case = await page.locator("details.case .prose").evaluate(PARAGRAPHS)
    assert len(case) == 3 and not [p for p in case if "\n" in p], case  # three paragraphs (blank lines)
    assert case[0].startswith("p: Two companies in the same consumer-electronics industry have agreed to talk. "
                              "Westward Devices designs")
    await no_horizontal_overflow(page)
    await shot(page, "player_phone_brief.png")

    # the console's scenario chooser shows the same case the same way
    fac = await new_page(browser, problems)
    await fac.goto(f"{http.url}/console")
    await fac.get_by_test_id("create-scenario").select_option("classic")
    assert await fac.get_by_test_id("create-case").evaluate(PARAGRAPHS) == case

    # the debrief questions: paragraphs and a list whose items continue on indented lines
    await http.control(session, "fill_bots")
    await http.control(session, "start")
    await http.control(session, "end_round")
    room = await open_console(browser, problems, http.url, session)
    await room.goto(f"{http.url}/debrief")
    questions = room.get_by_test_id("debrief-questions")
    await expect(questions).to_be_visible()
    blocks = await questions.evaluate(PARAGRAPHS)
    assert blocks[0] == "p: Questions to ask:", blocks
    assert blocks[1] == ("li: Which firm ended stronger relative to its partner (internal gain), and why? "
                         "Look at who absorbed and who only contributed."), blocks
    assert [b[:3] for b in blocks] == ["p: "] + ["li:"] * 4 + ["p: "], blocks
    assert blocks[-1].startswith("p: What the numbers usually show: an absorbing firm paired with a firm that "
                                 "only contributes ends ahead"), blocks
    await questions.scroll_into_view_if_needed()
    await shot(room, "debrief_questions.png", full_page=False, top=False)
    problems.check()


# ---- wide tables on narrow phones ---------------------------------------------------------------------

# every visible table box wider than its content area: [testid of the table, focusable region?, cue shown?]
OVERFLOWING_TABLES = """() => [...document.querySelectorAll('.table-wrap')].filter(w => w.offsetParent !== null
  && w.scrollWidth > w.clientWidth + 1).map(w => [w.closest('section')?.dataset.testid || w.closest('section')?.querySelector('h2, h3')?.textContent,
  w.tabIndex === 0 && w.getAttribute('role') === 'region' && !!w.getAttribute('aria-label'),
  !!w.parentElement.querySelector('.scroll-cue:not([hidden])')])"""


@pytest.mark.parametrize("width", [360, 390])
async def test_the_competences_table_fits_a_phone(web_server, http, browser, problems, width):
    session, page = await _started(http, browser, problems, {"width": width, "height": 800})
    await http.control(session, "fill_bots")
    await http.control(session, "start")
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 1 of 3")
    await page.get_by_test_id("submit-decision").click()  # the bots had submitted: round 1 closes
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 2 of 3")
    await page.get_by_test_id("tab-firm").click()
    table = page.locator("#panel-firm table")  # the competences
    await expect(table).to_be_visible()
    await no_horizontal_overflow(page)
    for tab in ("firm", "results"):
        await page.get_by_test_id(f"tab-{tab}").click()
        await no_horizontal_overflow(page)
        # a table shown by the click is measured by its resize observer on the next frame (it
        # was hidden: nothing overflowed): check what the student sees, after that frame
        await page.evaluate(AFTER_NEXT_FRAME)
        bad = [t for t in await page.evaluate(OVERFLOWING_TABLES) if not (t[1] and t[2])]
        assert bad == [], f"{tab}: tables cut off without a focusable scroll region and a cue: {bad}"
    await page.get_by_test_id("tab-firm").click()
    # the last column (tacitness) is reachable: from the keyboard when the box scrolls, on screen when it fits
    region = page.locator("#panel-firm .scroll-region")
    if await region.evaluate("w => w.scrollWidth > w.clientWidth + 1"):
        await expect(page.locator("#panel-firm").get_by_text("More columns: scroll sideways")).to_be_visible()
        await region.focus()
        await expect(region).to_be_focused()
        for _ in range(12):  # the arrow keys scroll a focused box, about 40 px a press
            await page.keyboard.press("ArrowRight")
        await page.wait_for_function("w => w.scrollLeft + w.clientWidth >= w.scrollWidth - 1", arg=await region.element_handle())
    last = await table.locator("thead th").last.bounding_box()
    box = await region.bounding_box()
    assert last["x"] + last["width"] <= box["x"] + box["width"] + 1, (last, box)
    await region.scroll_into_view_if_needed()
    await shot(page, f"player_phone_competences_{width}.png", full_page=False, top=False)
    problems.check()


# ---- toasts never cover the form ----------------------------------------------------------------------

# the toasts on screen that overlap the Submit button or the focused control
TOASTS_IN_THE_WAY = """() => {
  const over = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const guarded = [document.querySelector('[data-testid=submit-decision]'), document.activeElement]
    .filter(e => e && e !== document.body && e.getClientRects().length);
  const out = [];
  for (const t of document.querySelectorAll('.toast')) for (const g of guarded)
    if (over(t.getBoundingClientRect(), g.getBoundingClientRect())) out.push(`${t.textContent} over ${g.dataset.testid || g.tagName}`);
  return out; }"""


async def test_toasts_do_not_cover_the_form(web_server, http, browser, problems):
    session, pat = await _started(http, browser, problems)
    bea = await new_page(browser, problems, PHONE)
    await join(bea, http.url, session["code"], "Bea")  # the partner: the round stays open after Pat submits
    await http.control(session, "start")
    await expect(pat.get_by_test_id("round-title")).to_have_text("Round 1 of 3")
    # the end of the form, where a thumb reaches Submit
    await pat.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    await pat.get_by_test_id("submit-decision").click()
    toast = pat.locator(".toast").filter(has_text="Decision submitted")
    await expect(toast).to_be_visible()
    assert await pat.evaluate(TOASTS_IN_THE_WAY) == []
    await pat.screenshot(path=str(SHOTS / "player_phone_submitted_toast.png"))

    # Bea is typing in the last field of the form when a toast arrives (an announcement)
    last = bea.locator("#panel-round input").last
    await last.scroll_into_view_if_needed()
    await bea.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    await last.focus()
    await http.control(session, "inject", text="Five minutes left in this round.")
    await expect(bea.locator(".toast").first).to_be_visible()
    assert await bea.evaluate(TOASTS_IN_THE_WAY) == []
    # a keyboard user on the tabs at the top of the screen: two toasts there would cover the
    # focused tab, so they move to the bottom edge
    await bea.evaluate("() => window.scrollTo(0, 600)")  # the tabs stick under the top bar
    await bea.get_by_test_id("tab-round").focus()
    await http.control(session, "inject", text="Two minutes left.")
    await expect(bea.locator(".toast").filter(has_text="announcement")).to_have_count(2)
    assert await bea.evaluate(TOASTS_IN_THE_WAY) == []
    await bea.screenshot(path=str(SHOTS / "player_phone_toasts_moved.png"))  # with the toasts
    problems.check()


# ---- the pulse survey waits for the first results ----------------------------------------------------

async def test_the_pulse_survey_is_asked_from_round_2(web_server, http, browser, problems):
    session, page = await _started(http, browser, problems)
    await http.control(session, "fill_bots")
    await http.control(session, "start")
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 1 of 3")
    await expect(page.get_by_test_id("submit-decision")).to_be_visible()
    # round 1: nothing has happened yet, so nothing to ask about the partner
    assert await page.locator("#panel-round fieldset.survey").count() == 0
    assert await page.get_by_text("How much do we trust our partner").count() == 0
    await page.get_by_test_id("submit-decision").click()
    # round 2, after the first results: the questions are there and the answer is the team's draft
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 2 of 3")
    await expect(page.get_by_text("How much do we trust our partner to keep its promises?")).to_be_visible()
    await page.get_by_test_id("survey-trust-4").check()
    await page.wait_for_function("() => window.__player.socket.pending.size === 0 && window.__player.decision.dirty.size === 0")
    assert (await http.summary(session))["drafts"]["west1"]["survey"] == {"trust": 4}
    await page.get_by_test_id("submit-decision").click()
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 3 of 3")
    problems.check()


# ---- the export button says what it gives --------------------------------------------------------------

async def test_the_export_button_names_the_zip_it_gives(web_server, http, browser, problems):
    session = await http.create(scenario="classic", rounds=2, copies=1)
    console = await open_console(browser, problems, http.url, session)
    button = console.get_by_test_id("export")
    await expect(button).to_contain_text("ZIP")
    await expect(button).not_to_contain_text("SQLite")
    async with console.expect_download() as dl:
        await button.click()
    download = await dl.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(await download.path()) as archive:
        assert any(n.endswith("codebook.md") for n in archive.namelist())
    problems.check()


# ---- the projector: the join code for late joiners in every phase ------------------------------------

# the corner's box, whether it is inside the viewport, and what of the room it covers
CORNER = """() => { const c = document.querySelector('[data-testid=room-corner]').getBoundingClientRect();
  const over = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const covered = [...document.querySelectorAll('.room > *, .debrief > *, #topbar *')]
    .filter(e => e.offsetParent !== null && over(c, e.getBoundingClientRect())).map(e => e.className || e.tagName);
  return { left: c.left, right: c.right, top: c.top, bottom: c.bottom, vw: window.innerWidth, vh: window.innerHeight, covered }; }"""


async def _corner_in_view(room, code: str, name: str):
    corner = room.get_by_test_id("room-corner")
    await expect(corner).to_be_visible()
    await expect(corner.get_by_test_id("corner-code")).to_have_text(code)
    await expect(corner.locator("img.qr")).to_be_visible()
    assert await corner.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
    box = await room.evaluate(CORNER)
    assert box["right"] <= box["vw"] and box["bottom"] <= box["vh"] and box["top"] >= 0, box
    assert box["right"] - box["left"] <= 0.16 * box["vw"], f"not small: {box}"
    assert box["covered"] == [], box
    await no_horizontal_overflow(room)
    await room.screenshot(path=str(SHOTS / name))


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
async def test_the_projector_shows_the_join_code_in_every_phase(web_server, http, browser, problems, size):
    width, height = size
    session = await http.create(scenario="classic", rounds=1, copies=1)
    code = session["code"]  # ABCD-EFGH
    console = await open_console(browser, problems, http.url, session)
    room = await console.context.new_page()
    problems.watch(room)
    await room.set_viewport_size({"width": width, "height": height})
    await room.goto(f"{http.url}/projector")
    # the lobby: large, and no corner
    await expect(room.get_by_test_id("room-code")).to_have_text(code)
    await expect(room.get_by_test_id("room-corner")).to_be_hidden()
    await expect(room.locator(".room-join img.qr")).to_be_visible()  # (drawn after the code: wait for it)
    qr = await room.locator(".room-join img.qr").bounding_box()
    assert qr["width"] >= 0.3 * height, qr
    await room.screenshot(path=str(SHOTS / f"projector_lobby_{width}.png"))
    pat = await new_page(browser, problems, PHONE)
    await join(pat, http.url, session["code"], "Pat")
    await http.control(session, "fill_bots")
    # the negotiation, the round and the debrief: small, in the corner
    await http.control(session, "start")
    await expect(room.locator("body[data-phase=negotiation]")).to_have_count(1)
    await expect(room.get_by_test_id("room-code")).to_have_count(0)
    await _corner_in_view(room, code, f"projector_negotiation_{width}.png")
    await http.control(session, "advance")
    await expect(room.get_by_test_id("room-submitted")).to_be_visible()
    await _corner_in_view(room, code, f"projector_round_{width}.png")
    await http.control(session, "end_round")
    await expect(room.get_by_test_id("debrief")).to_be_visible()
    await expect(room.get_by_test_id("ranking")).to_be_visible()
    await _corner_in_view(room, code, f"projector_debrief_{width}.png")
    # an ended session takes no one: the corner goes
    await http.control(session, "end_session")
    await expect(room.get_by_test_id("room-corner")).to_be_hidden()
    problems.check()
