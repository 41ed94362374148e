"""Browser tests: the web clients in real headless Chromium (Debian's /usr/bin/chromium,
driven by Playwright for Python) against the real server on a free loopback port with a
temporary SQLite file.

- a facilitator and four players, each in their own browser context, play a whole
  session: lobby, moving players, bots, negotiation (offer, counter, accept), three
  rounds with a shared team draft, a reconnect mid-round, clock controls, a breach, an
  announcement, the projector page, the export and the debrief;
- the player page at phone size (360 x 740): nothing wider than the screen, every tab
  usable from the keyboard;
- chat text that looks like HTML is shown as text and never runs.

The tests wait on page state (Playwright's auto-waiting `expect`), never on time. They
save screenshots into docs/screenshots/.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import aiohttp
import pytest

from conftest import TEST_ADMIN_KEY, Api, InProcessServer

playwright_api = pytest.importorskip("playwright.async_api")
async_playwright, expect = playwright_api.async_playwright, playwright_api.expect

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# screenshots go to a scratch folder; `ALLIANCE_SCREENSHOTS=docs/screenshots` regenerates the
# committed ones (README), so a test run leaves the tree as it found it
SHOTS = Path(os.environ.get("ALLIANCE_SCREENSHOTS") or Path(tempfile.gettempdir()) / "alliance-screenshots")
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 900}

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

expect.set_options(timeout=15_000)


@pytest.fixture
async def web_server(db_path):
    from server.config import ServerConfig
    cfg = ServerConfig(host="127.0.0.1", port=0, db_path=str(db_path), synchronous="normal", heartbeat=5.0)
    s = await InProcessServer(cfg).start()  # the real app: API, socket and web pages
    yield s
    await s.stop()


@pytest.fixture
async def http(web_server):
    async with aiohttp.ClientSession() as session:
        yield Api(web_server.url, session)


@pytest.fixture
async def browser():
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        await b.close()


class Problems:
    """JavaScript errors, CSP violations and failed requests seen by any page."""

    def __init__(self):
        self.items: list[str] = []

    def watch(self, page):
        page.on("pageerror", lambda e: self.items.append(f"{page.url}: page error: {e}"))
        page.on("console", lambda m: self.items.append(f"{page.url}: console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("dialog", lambda d: self.items.append(f"{page.url}: unexpected dialog: {d.message}"))
        return page

    def check(self):
        assert not self.items, "\n".join(self.items)


@pytest.fixture
def problems():
    return Problems()


async def new_page(browser, problems, viewport=LAPTOP):
    ctx = await browser.new_context(viewport=viewport, accept_downloads=True)
    return problems.watch(await ctx.new_page())


async def join(page, base: str, code: str, name: str):
    await page.goto(f"{base}/join?code={code}")
    await expect(page.get_by_test_id("join-code")).to_have_value(code)
    await page.get_by_test_id("join-name").fill(name)
    await page.get_by_test_id("join-submit").click()
    await expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "open")
    await expect(page.get_by_test_id("firm-heading")).to_be_visible()


async def open_console(browser, problems, base: str, session: dict):
    """The facilitator's console for `session`, signed in as the page stores it."""
    fac = await new_page(browser, problems)
    await fac.goto(f"{base}/console")
    await fac.evaluate("tok => localStorage.setItem('alliance.facilitator', JSON.stringify(tok))",
                       {"token": session["facilitator_token"], "session_id": session["session_id"],
                        "code": session["code"], "join_url": session["join_url"]})
    await fac.reload()
    return fac


def panel(page, name: str):
    return page.locator(f"#panel-{name}")


async def shot(page, name: str, full_page: bool = True, top: bool = True):
    """A screenshot from the top of the page (sticky bars where they belong), no toasts."""
    await page.evaluate("top => { if (top) window.scrollTo(0, 0); document.getElementById('toasts')?.remove(); }", top)
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / name), full_page=full_page)


async def no_horizontal_overflow(page):
    width = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        culprits = await page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && e.offsetParent !== null)
            .slice(0, 8).map(e => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)""")
        raise AssertionError(f"page is {width[0]} px wide in a {width[1]} px viewport: {culprits}")


# ---- the whole session --------------------------------------------------------------------------

async def test_full_session_in_browsers(web_server, browser, problems):
    base = web_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)

    # the facilitator creates a session from the scenario list
    fac = await new_page(browser, problems)
    await fac.goto(f"{base}/console")
    await fac.get_by_test_id("create-scenario").select_option("classic")
    await fac.get_by_test_id("create-rounds").fill("3")
    await fac.get_by_test_id("create-copies").fill("2")
    await fac.get_by_test_id("create-admin-key").fill(TEST_ADMIN_KEY)  # the server's key (conftest.py)
    await fac.get_by_test_id("create-submit").click()
    await expect(fac.get_by_test_id("join-code")).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    code = await fac.get_by_test_id("join-code").text_content()
    await expect(fac.get_by_test_id("join-url")).to_contain_text(f"/join?code={code}")
    qr = fac.get_by_test_id("qr")
    await expect(qr).to_be_visible()
    assert await qr.evaluate("img => img.complete && img.naturalWidth > 0")

    # four players join, each in their own browser (Ann on a phone)
    ann = await new_page(browser, problems, PHONE)
    bea = await new_page(browser, problems)
    cyd = await new_page(browser, problems)
    dan = await new_page(browser, problems)
    for page, name in ((ann, "Ann"), (bea, "Bea"), (cyd, "Cyd"), (dan, "Dan")):
        await join(page, base, code, name)
    await expect(fac.get_by_test_id("lobby-count")).to_contain_text("4 players joined")
    await expect(ann.get_by_test_id("lobby-note")).to_be_visible()
    await expect(ann.get_by_test_id("brief")).to_contain_text("Confidential to Westward Devices")
    await expect(bea.get_by_test_id("brief")).to_contain_text("Confidential to Orient Precision")

    # the facilitator moves Cyd and Dan into copy 1 and fills copy 2 with bots
    for who, to in (("Cyd", "west1"), ("Dan", "east1")):
        row = fac.get_by_test_id("player-row").filter(has_text=who)
        await row.locator("select").select_option(to)
        await row.get_by_role("button", name="Move", exact=True).click()
        await expect(fac.get_by_test_id(f"firm-{to}")).to_contain_text(who)
    await expect(cyd.get_by_test_id("firm-heading")).to_have_text("Westward Devices 1")
    await expect(ann.get_by_test_id("team")).to_contain_text("Cyd")
    await expect(dan.get_by_test_id("firm-heading")).to_have_text("Orient Precision 1")
    await fac.get_by_test_id("ctl-fill_bots").click()
    await expect(fac.get_by_test_id("firm-west2")).to_contain_text("bot")
    await expect(fac.get_by_test_id("firm-east2")).to_contain_text("bot")

    # negotiation: Ann offers (55% for her firm), Bea counters at 50%, Ann accepts
    await fac.get_by_test_id("ctl-start").click()
    await expect(ann.get_by_test_id("neg-status")).to_contain_text("No offer yet")
    editor = ann.get_by_test_id("term-editor")
    await expect(editor.get_by_label("Product design").first).to_be_checked()  # the scenario's default scope
    await ann.get_by_test_id("split").fill("55")
    await ann.get_by_test_id("send-offer").click()
    await expect(ann.get_by_test_id("neg-status")).to_contain_text("Your offer #1 is on the table")
    offer = bea.get_by_test_id("standing-offer")
    await expect(offer).to_contain_text("Offer #1 from Westward Devices 1")
    await expect(offer.locator('[data-term="split"]')).to_have_text("you 45% · partner 55%")
    await offer.get_by_test_id("counter").click()
    await expect(bea.get_by_test_id("send-offer")).to_have_text("Send counter-offer")
    await bea.get_by_test_id("split").fill("50")
    await bea.get_by_test_id("send-offer").click()
    mine = ann.get_by_test_id("standing-offer")
    await expect(mine).to_contain_text("Offer #2 from Orient Precision 1")
    await expect(mine.locator('[data-term="split"]')).to_have_text("you 50% · partner 50%")
    await expect(mine).to_contain_text("changed")
    await shot(ann, "player_phone_negotiation.png")
    await mine.get_by_test_id("accept").click()

    # round 1: the rounds start once every negotiation is closed (copy 2's bots agreed)
    await expect(ann.get_by_test_id("round-title")).to_have_text("Round 1 of 3")
    await expect(dan.get_by_test_id("round-title")).to_have_text("Round 1 of 3")
    await expect(ann.get_by_test_id("clock")).to_contain_text("Round 1 of 3")
    budget = ann.get_by_test_id("budget-remaining")
    await expect(budget).to_have_text("85 of 100 points left")  # the promised minimum is filled in

    # the team's shared draft: Cyd sets absorb, Ann sees the value and who changed it
    await cyd.get_by_test_id("pt-absorb.manufacturing").fill("20")
    await expect(ann.get_by_test_id("pt-absorb.manufacturing")).to_have_value("20")
    await expect(ann.get_by_test_id("draft-activity")).to_contain_text("Cyd")
    await expect(budget).to_have_text("65 of 100 points left")
    # the budget cannot be overspent: a too-large value is lowered to what is left
    await ann.get_by_test_id("pt-develop.design").fill("999")
    await expect(ann.get_by_test_id("pt-develop.design")).to_have_value("65")
    await expect(budget).to_have_text("0 of 100 points left")
    await ann.get_by_test_id("pt-develop.design").fill("10")
    await expect(budget).to_have_text("55 of 100 points left")
    await expect(cyd.get_by_test_id("pt-develop.design")).to_have_value("10")
    await ann.get_by_test_id("rv-design").fill("30")
    await expect(ann.get_by_test_id("survey-trust-4")).to_have_count(0)  # the pulse survey starts in round 2

    # the projector shows who has submitted (the bots already have)
    room = await fac.context.new_page()
    problems.watch(room)
    await room.goto(f"{base}/projector")
    await expect(room.get_by_test_id("room-submitted")).to_have_text("2 of 4 firms have submitted")
    await expect(fac.get_by_test_id("holding")).to_contain_text("Westward Devices 1")

    await ann.get_by_test_id("submit-decision").click()
    await expect(ann.get_by_test_id("submitted-banner")).to_contain_text("Submitted by Ann")
    await expect(cyd.get_by_test_id("submitted-banner")).to_contain_text("Submitted by Ann")
    await expect(room.get_by_test_id("room-submitted")).to_have_text("3 of 4 firms have submitted")
    await room.screenshot(path=str(SHOTS / "projector.png"))
    await bea.get_by_test_id("submit-decision").click()

    # round 2 starts; round 1 results are in
    await expect(ann.get_by_test_id("round-title")).to_have_text("Round 2 of 3")
    await expect(bea.get_by_test_id("round-title")).to_have_text("Round 2 of 3")
    await expect(room.get_by_test_id("room-results")).to_contain_text("After round 1 of 3")
    await bea.get_by_test_id("tab-results").click()
    await expect(bea.get_by_test_id("value-card")).to_contain_text("You captured")
    await expect(bea.get_by_test_id("chart-position").locator("canvas")).to_be_visible()

    # clock controls reach every player
    await fac.get_by_test_id("ctl-pause").click()
    await expect(bea.get_by_test_id("clock")).to_contain_text("paused")
    await fac.get_by_test_id("ctl-resume").click()
    await expect(bea.get_by_test_id("clock")).to_contain_text("left")
    before = await ann.get_by_test_id("clock-time").text_content()
    await fac.get_by_test_id("ctl-extend").click()
    await expect(ann.get_by_test_id("clock-time")).not_to_have_text(before)

    # an announcement reaches everyone
    await fac.get_by_test_id("inject-text").fill("Market shock: brand values fall by a tenth.")
    await fac.get_by_test_id("inject-send").click()
    await expect(dan.locator(".announcement")).to_contain_text("Market shock")

    # reconnect: Ann changes the draft, closes the page mid-round and comes back
    await ann.get_by_test_id("pt-develop.brand").fill("7")
    await expect(cyd.get_by_test_id("pt-develop.brand")).to_have_value("7")
    ann_ctx = ann.context
    await ann.close()
    await expect(fac.get_by_test_id("mon-west1")).to_contain_text("1 of 2 connected")
    ann = problems.watch(await ann_ctx.new_page())
    await ann.goto(f"{base}/join?code={code}")
    await expect(ann.get_by_test_id("connection")).to_have_attribute("data-state", "open")
    await expect(ann.get_by_test_id("round-title")).to_have_text("Round 2 of 3")
    await expect(ann.get_by_test_id("pt-develop.brand")).to_have_value("7")
    await expect(ann.get_by_test_id("pt-absorb.manufacturing")).to_have_value("20")
    await expect(fac.get_by_test_id("mon-west1")).to_contain_text("2 of 2 connected")
    await shot(ann, "player_phone_round.png")

    # chat with the partner and within the team
    await ann.get_by_test_id("tab-chat").click()
    await ann.get_by_test_id("chat-tab-alliance").click()
    await ann.get_by_test_id("chat-input").fill("We release design on time if you keep contributing.")
    await ann.get_by_test_id("chat-send").click()
    await expect(bea.get_by_test_id("chat-tab-alliance")).to_contain_text("1 new")
    await bea.get_by_test_id("chat-tab-alliance").click()
    await expect(bea.get_by_test_id("chat-log")).to_contain_text("We release design on time")
    await expect(bea.get_by_test_id("chat-log")).to_contain_text("Ann")
    await expect(fac.get_by_test_id("all-chat")).to_contain_text("We release design on time")
    await shot(fac, "console.png")
    await ann.get_by_test_id("tab-round").click()
    await ann.get_by_test_id("survey-surprise-2").check()  # after the first results: the pulse survey
    await ann.get_by_test_id("survey-trust-4").check()

    await ann.get_by_test_id("submit-decision").click()
    await expect(ann.get_by_test_id("submitted-banner")).to_be_visible()
    await dan.get_by_test_id("submit-decision").click()

    # round 3: a tranche falls due; Bea withholds it (a breach) and the facilitator ends the round
    await expect(bea.get_by_test_id("round-title")).to_have_text("Round 3 of 3")
    await expect(ann.get_by_test_id("round-title")).to_have_text("Round 3 of 3")
    await bea.get_by_test_id("tab-round").click()
    await bea.get_by_test_id("withhold-manufacturing").check()
    await expect(dan.get_by_test_id("withhold-manufacturing")).to_be_checked()
    await fac.get_by_test_id("ctl-end_round").click()
    await expect(fac.locator("dialog.confirm")).to_contain_text("have not submitted")  # says what will happen first
    await fac.get_by_test_id("confirm-ok").click()

    # debrief: the players see their final score and what happened
    await expect(ann.get_by_test_id("final-score")).to_contain_text(re.compile(r"(1st|2nd|3rd|4th) of 4"))
    await expect(bea.get_by_test_id("final-score")).to_contain_text(re.compile(r"(1st|2nd|3rd|4th) of 4"))
    await expect(ann.get_by_test_id("round-detail")).to_contain_text("withheld")
    await expect(ann.get_by_test_id("round-idle")).to_be_hidden()
    await shot(ann, "player_phone_results.png")

    # the export is the research archive (a ZIP with the codebook and no names)
    async with fac.expect_download() as dl:
        await fac.get_by_test_id("export").click()
    path = await (await dl.value).path()
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert any(n.endswith("codebook.md") for n in names)
        assert any(n.endswith("events.csv") for n in names)

    # the room switches to the debrief by itself; the debrief page shows everything
    await expect(room.get_by_test_id("debrief")).to_be_visible()
    deb = problems.watch(await fac.context.new_page())
    await deb.set_viewport_size({"width": 1280, "height": 1000})
    await deb.goto(f"{base}/debrief")
    await expect(deb.get_by_test_id("ranking").locator("tbody tr")).to_have_count(4)
    await expect(deb.get_by_test_id("ranking")).to_contain_text("Westward Devices 1")
    await expect(deb.get_by_test_id("chart-scatter").locator("canvas")).to_be_visible()
    await expect(deb.get_by_test_id("debrief-a1")).to_contain_text("Orient Precision 1 played")
    await expect(deb.get_by_test_id("race-a1").locator("canvas")).to_be_visible()
    await expect(deb.get_by_test_id("timeline-a1")).to_be_visible()
    await expect(deb.get_by_test_id("debrief-a1").locator(".timeline details")).to_contain_text(
        "Orient Precision 1 withheld Manufacturing (breach)")
    for testid in ("chart-scatter", "race-a1", "value-a1", "trust-a1", "dep-a1", "timeline-a1"):
        drawn = await deb.get_by_test_id(testid).locator("canvas").evaluate(
            "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false; }")
        assert drawn, f"{testid} drew nothing"
    await shot(deb, "debrief.png")
    problems.check()


# ---- phone size --------------------------------------------------------------------------------

async def test_player_page_at_phone_size(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", rounds=3, negotiation=False)
    page = await new_page(browser, problems, PHONE)
    await page.goto(f"{base}/join?code={session['code']}")
    await no_horizontal_overflow(page)
    await join(page, base, session["code"], "Pat")
    await no_horizontal_overflow(page)
    await http.control(session, "fill_bots")
    await http.control(session, "start")
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 1 of 3")
    # every tab fits the screen, and the tabs work from the keyboard
    await page.get_by_test_id("tab-round").focus()
    for tab in ("results", "chat", "help", "firm", "deal"):
        await page.keyboard.press("ArrowRight")
        await expect(page.get_by_test_id(f"tab-{tab}")).to_have_attribute("aria-selected", "true")
        await expect(page.get_by_test_id(f"tab-{tab}")).to_be_focused()
        await expect(panel(page, tab)).to_be_visible()
        await no_horizontal_overflow(page)
    await page.keyboard.press("ArrowRight")
    await expect(panel(page, "round")).to_be_visible()
    # the budget stays in sight while scrolling the decision, and the controls are big enough
    await page.get_by_test_id("submit-decision").scroll_into_view_if_needed()
    await expect(page.get_by_test_id("budget")).to_be_in_viewport()
    bars = await page.evaluate("""() => ['#topbar', '.tabs', '[data-testid=budget]'].map(
        s => document.querySelector(s).getBoundingClientRect()).map(r => [r.top, r.bottom])""")
    assert bars[0][1] <= bars[1][0] + 1 and bars[1][1] <= bars[2][0] + 1, f"sticky bars overlap: {bars}"
    await shot(page, "player_phone_scrolled.png", full_page=False, top=False)
    box = await page.get_by_test_id("submit-decision").bounding_box()
    assert box["height"] >= 44 and box["width"] <= PHONE["width"]
    await page.get_by_test_id("pt-absorb.manufacturing").focus()
    await page.keyboard.type("5")
    await expect(page.get_by_test_id("budget-remaining")).to_have_text("80 of 100 points left")
    # focus is visible (an outline) on a keyboard-focused control
    outline = await page.get_by_test_id("pt-absorb.manufacturing").evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"
    await shot(page, "player_phone.png", full_page=False)
    await page.get_by_test_id("submit-decision").click()
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 2 of 3")  # the bots had submitted
    await expect(page.get_by_test_id("pt-absorb.manufacturing")).to_have_value("5")  # the team draft carries over
    # a dropped socket reconnects by itself; a change made while it was down is sent after
    await page.evaluate("() => window.__player.socket.ws.close()")
    await page.get_by_test_id("pt-absorb.manufacturing").fill("12")
    await expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "open")
    await page.wait_for_function("() => { const a = window.__player; return a.socket.state === 'open'"
                                 " && a.socket.pending.size === 0 && a.decision.dirty.size === 0; }")
    summary = await http.summary(session)
    assert summary["drafts"]["west1"]["absorb"]["manufacturing"] == 12
    await page.get_by_test_id("tab-results").click()
    await expect(page.get_by_test_id("round-detail")).to_be_visible()
    await no_horizontal_overflow(page)
    problems.check()


# ---- reject and walk away ---------------------------------------------------------------------

async def test_reject_then_walk_away(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", rounds=2)
    west = await new_page(browser, problems)
    east = await new_page(browser, problems, PHONE)
    await join(west, base, session["code"], "Wes")
    await join(east, base, session["code"], "Eli")
    await http.control(session, "start")
    await west.get_by_test_id("split").fill("80")
    await west.get_by_test_id("send-offer").click()
    offer = east.get_by_test_id("standing-offer")
    await expect(offer.locator('[data-term="split"]')).to_have_text("you 20% · partner 80%")
    await expect(east.get_by_test_id("term-editor")).to_be_hidden()  # folded while their offer stands
    await no_horizontal_overflow(east)
    await east.get_by_test_id("editor-toggle").click()
    await expect(east.get_by_test_id("term-editor")).to_be_visible()
    await no_horizontal_overflow(east)
    await offer.get_by_test_id("reject").click()
    await expect(west.get_by_test_id("neg-status")).to_contain_text("rejected")
    await east.get_by_test_id("walk-away").click()
    await east.get_by_test_id("confirm-ok").click()
    await expect(west.get_by_test_id("neg-status")).to_contain_text("walked away")
    # no alliance: the rounds start and each firm plays alone
    await expect(west.get_by_test_id("round-title")).to_have_text("Round 1 of 2")
    await expect(west.get_by_test_id("round-status")).to_contain_text("alone")
    await expect(east.get_by_test_id("round-status")).to_contain_text("alone")
    problems.check()


# ---- chat is text -------------------------------------------------------------------------------

async def test_chat_html_is_shown_as_text(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", rounds=2, negotiation=False)
    p1 = await new_page(browser, problems)
    p2 = await new_page(browser, problems)
    dialogs = []
    for p in (p1, p2):
        p.on("dialog", lambda d: dialogs.append(d.message))
    await join(p1, base, session["code"], "<b>Eve</b>")
    await join(p2, base, session["code"], "Finn")
    await http.control(session, "start")  # negotiation off: the default terms pair the firms
    await expect(p1.get_by_test_id("round-title")).to_have_text("Round 1 of 2")
    attack = "<script>alert(1)</script>"
    img = '<img src=x onerror="alert(2)">'
    await p1.get_by_test_id("chat-tab-alliance").click()
    await p1.get_by_test_id("chat-input").fill(attack)
    await p1.get_by_test_id("chat-send").click()
    await p1.get_by_test_id("chat-input").fill(img)
    await p1.get_by_test_id("chat-input").press("Enter")
    await p2.get_by_test_id("chat-tab-alliance").click()
    log = p2.get_by_test_id("chat-log")
    await expect(log.get_by_text(attack, exact=True)).to_be_visible()
    await expect(log.get_by_text(img, exact=True)).to_be_visible()
    await expect(log.get_by_text("<b>Eve</b>", exact=True).first).to_be_visible()
    assert await log.locator("script, img, b").count() == 0
    # the facilitator's console shows it as text too
    fac = await open_console(browser, problems, base, session)
    await expect(fac.get_by_test_id("all-chat").get_by_text(attack, exact=True)).to_be_visible()
    assert await fac.get_by_test_id("all-chat").locator("script, img").count() == 0
    assert dialogs == []
    problems.check()


# ---- chat on a phone: the newest line in view -------------------------------------------------

async def test_a_phone_opening_the_chat_sees_the_newest_line(web_server, http, browser, problems):
    """On a phone the chat is a tab of its own: the lines that arrived while another tab was
    shown are there when it opens, scrolled to the newest (a hidden log is not scrolled: it
    would lay the whole page out for nothing on every line)."""
    from conftest import Client
    session = await http.create(scenario="classic", rounds=2, negotiation=False)
    phone = await new_page(browser, problems, viewport={"width": 390, "height": 844})
    await join(phone, web_server.url, session["code"], "Pia")
    mate = await http.join(session["code"], "Mo")
    await http.control(session, "start")
    await expect(phone.get_by_test_id("round-title")).to_have_text("Round 1 of 2")
    chat = await Client.login(web_server.url, mate["player_token"], name="mate")
    try:
        to = "firm" if mate["firm"] == await phone.evaluate("JSON.parse(localStorage.getItem('alliance.player')).firm") \
            else "alliance"
        await phone.get_by_test_id("tab-chat").click()
        await phone.get_by_test_id(f"chat-tab-{to}").click()
        await phone.get_by_test_id("tab-firm").click()  # the chat is hidden while the lines arrive
        for i in range(40):
            assert (await chat.cmd("chat", to=to, text=f"line {i:02d} " + "words " * 12))["type"] == "ack"
        await expect(phone.get_by_test_id("tab-chat")).to_contain_text("40")  # the unread count
        await phone.get_by_test_id("tab-chat").click()
        log = phone.get_by_test_id("chat-log")
        await expect(log.get_by_text("line 39", exact=False)).to_be_in_viewport()
        box = await log.evaluate("el => [el.scrollTop, el.scrollHeight, el.clientHeight]")
        assert box[1] > box[2] and box[0] + box[2] >= box[1] - 2, box  # scrolled to the bottom
    finally:
        await chat.close()
    problems.check()
