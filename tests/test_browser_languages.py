"""In real headless Chromium (issue 18, docs/languages.md): a French phone, a German phone and
an English console play one session, each in its own language; the switcher changes a page's
language and remembers it; the facilitator's session language is what a phone with no
choice shows; the pseudo-locales (accented and a third longer, right to left) keep the
phone layout whole at 390 px; axe finds nothing serious in French (the page's lang is set).
Fixtures and helpers from tests/test_browser_game.py."""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from a11y_tools import Audit  # noqa: E402
from scripts.i18n_report import PLURAL_CATEGORIES  # noqa: E402
from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, SHOTS, browser, http, open_console, problems, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")
PHONE = {"width": 390, "height": 800}


async def phone(browser, problems, locale: str):
    ctx = await browser.new_context(viewport=PHONE, locale=locale)
    return problems.watch(await ctx.new_page())


async def join(page, base: str, code: str, name: str, title: str, submit: str):
    """Join, checking the join page's words in the page's language on the way."""
    await page.goto(f"{base}/join?code={code}")
    await expect(page.locator("#join-title")).to_have_text(title)
    await expect(page.get_by_test_id("join-submit")).to_have_text(submit)
    await page.get_by_test_id("join-name").fill(name)
    await page.get_by_test_id("join-submit").click()
    await expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "open")
    await expect(page.get_by_test_id("firm-heading")).to_be_visible()


async def test_a_french_phone_a_german_phone_and_an_english_console_each_in_its_language(
        web_server, http, browser, problems, db_path):
    session = await http.create(scenario="classic", copies=1, negotiation=False)
    fr = await phone(browser, problems, "fr-FR")
    de = await phone(browser, problems, "de-DE")
    await join(fr, web_server.url, session["code"], "Léa", "Rejoindre le jeu", "Rejoindre")
    await join(de, web_server.url, session["code"], "Jonas", "Am Spiel teilnehmen", "Teilnehmen")
    console = await open_console(browser, problems, web_server.url, session)
    await expect(console.get_by_test_id("lobby-count")).to_contain_text("2 players joined")

    assert await fr.evaluate("document.documentElement.lang") == "fr"
    assert await de.evaluate("document.documentElement.lang") == "de"
    assert await console.evaluate("document.documentElement.lang") == "en"
    await expect(fr.get_by_test_id("tab-round")).to_have_text("Tour")
    await expect(de.get_by_test_id("tab-round")).to_have_text("Runde")
    await expect(fr.get_by_test_id("connection")).to_contain_text("Connecté")
    await expect(de.get_by_test_id("connection")).to_contain_text("Verbunden")

    await http.control(session, "start")   # the rounds begin: every clock names the round in its language
    await expect(fr.get_by_test_id("clock")).to_contain_text("Tour 1 sur")
    await expect(de.get_by_test_id("clock")).to_contain_text("Runde 1 von")
    await expect(console.get_by_test_id("clock")).to_contain_text("Round 1 of")
    await fr.get_by_test_id("tab-round").click()
    await expect(fr.locator("#panel-round")).to_contain_text("Soumettre notre décision")

    # the German player switches to French: the page reloads in French, and stays French
    await de.get_by_test_id("lang-switch").select_option("fr")
    await expect(de.get_by_test_id("tab-round")).to_have_text("Tour")
    await de.reload()
    await expect(de.get_by_test_id("tab-round")).to_have_text("Tour")
    assert await de.evaluate("document.documentElement.lang") == "fr"
    await expect(console.get_by_test_id("tab-round")).to_have_count(0)  # (the console never had tabs)
    await expect(console.locator(".brand")).to_contain_text("Facilitator console")

    # the language each page showed at the join is logged (and exported: tests/test_research_data.py)
    with closing(sqlite3.connect(db_path)) as con:
        joined = {d["name"]: d["language"] for d in (json.loads(x) for (x,) in con.execute(
            "SELECT data FROM log WHERE type = 'player_joined' AND session_id = ?", (session["session_id"],)))}
    assert joined == {"Léa": "fr-FR", "Jonas": "de-DE"}
    problems.check()


async def test_the_session_language_is_the_default_and_a_choice_wins(web_server, http, browser, problems):
    session = await http.create(scenario="classic", copies=1, negotiation=False, language="es")
    en = await phone(browser, problems, "en-US")
    await join(en, web_server.url, session["code"], "Sam", "Join the game", "Join")
    await expect(en.get_by_test_id("tab-round")).to_have_text("Ronda")      # the session's Spanish, after the join
    assert await en.evaluate("document.documentElement.lang") == "es"
    chosen = await phone(browser, problems, "en-US")
    await chosen.goto(f"{web_server.url}/join?code={session['code']}")
    await chosen.get_by_test_id("lang-switch").select_option("de")        # chosen before joining
    await expect(chosen.locator("#join-title")).to_have_text("Am Spiel teilnehmen")
    await chosen.get_by_test_id("join-name").fill("Kim")
    await chosen.get_by_test_id("join-submit").click()
    await expect(chosen.get_by_test_id("tab-round")).to_have_text("Runde")   # the choice, not the session's
    status, body = await http.try_create(scenario="classic", language="xx")
    assert status == 400, body
    problems.check()


@pytest.mark.parametrize("pseudo", ["en-XA", "en-XB"])
async def test_a_pseudo_locale_keeps_the_phone_layout_whole(web_server, http, browser, problems, pseudo):
    session = await http.create(scenario="classic", copies=1, negotiation=False)
    page = await phone(browser, problems, "en-US")
    await page.goto(f"{web_server.url}/join?code={session['code']}&lang={pseudo}")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl" if pseudo == "en-XB" else "ltr")
    if pseudo == "en-XA":
        await expect(page.get_by_test_id("join-submit")).to_have_text("[Jöíñ ~]")
    await _whole(page, ["join-submit", "join-name", "lang-switch"])
    await page.get_by_test_id("join-name").fill("Pseudo")
    await page.get_by_test_id("join-submit").click()
    await expect(page.get_by_test_id("firm-heading")).to_be_visible()
    await _whole(page, ["tab-firm", "tab-round", "tab-results", "lang-switch", "connection"])
    await http.control(session, "start")
    await page.get_by_test_id("tab-round").click()
    await expect(page.locator("#panel-round button[type=submit]")).to_be_visible()
    await _whole(page, ["tab-round", "lang-switch"])
    problems.check()


async def _whole(page, test_ids):
    """No horizontal scrolling of the page, and each control inside the 390 px viewport once
    scrolled to (the tab bar scrolls sideways by design)."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide"
    for tid in test_ids:
        await page.get_by_test_id(tid).scroll_into_view_if_needed()
        box = await page.get_by_test_id(tid).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (tid, box)


async def test_axe_finds_nothing_serious_in_french(web_server, http, browser, problems):
    session = await http.create(scenario="classic", copies=1, negotiation=False)
    page = await phone(browser, problems, "fr-FR")
    audit = Audit()
    await page.goto(f"{web_server.url}/join?code={session['code']}")
    await expect(page.locator("#join-title")).to_have_text("Rejoindre le jeu")
    await audit.run(page, "join fr")
    await join(page, web_server.url, session["code"], "Zoé", "Rejoindre le jeu", "Rejoindre")
    await audit.run(page, "firm fr")
    audit.check()
    problems.check()


# ---- the complete languages laid out (German words are long) ------------------------------------

TALL_PHONE = {"width": 390, "height": 844}
CONSOLE = {"width": 1280, "height": 800}
# what each complete language shows on the round form, and its Intl plural categories
# (scripts/i18n_report.PLURAL_CATEGORIES must match what Chromium's Intl says)
ROUND_SUBMIT = {"fr": "Soumettre notre décision", "de": "Unsere Entscheidung abgeben", "es": "Enviar nuestra decisión"}
CONSOLE_TITLE = {"fr": "Console de l'animateur", "de": "Konsole der Spielleitung", "es": "Consola del facilitador"}

# a text wider than its own box: clipped (overflow hidden) or spilling out of it. Scroll
# containers (the tab bar, wide tables) scroll by design and are left out, and so are texts for
# screen readers only (a 1 px box).
_CUT = """() => [...document.querySelectorAll('body *')].filter(e => {
    if (!e.offsetParent || ![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) return false;
    const s = getComputedStyle(e);
    if (['auto', 'scroll'].includes(s.overflowX) || s.display === 'inline' || e.clientWidth <= 1) return false;
    return e.scrollWidth > e.clientWidth + 1;
  }).slice(0, 8).map(e => `${e.tagName.toLowerCase()}.${e.className}: ${e.textContent.trim().slice(0, 40)} (${e.scrollWidth} > ${e.clientWidth})`)"""


async def _laid_out(page, name: str):
    """No horizontal scroll of the page and no text cut or spilling out of its box; a screenshot
    in the scratch folder of tests/test_browser_game.py for a person to look at."""
    width, viewport = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"{name}: the page is {width} px wide in {viewport} px"
    assert await page.evaluate(_CUT) == [], name
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"lang-{name}.png"), full_page=True)


async def test_the_complete_languages_fit_the_round_form_at_390_px_and_the_console_at_1280(
        web_server, http, browser, problems):
    session = await http.create(scenario="classic", copies=1, negotiation=False)
    phones = {}
    for code, title, submit in (("fr", "Rejoindre le jeu", "Rejoindre"), ("de", "Am Spiel teilnehmen", "Teilnehmen"),
                                ("es", "Unirse al juego", "Unirse")):
        ctx = await browser.new_context(viewport=TALL_PHONE, locale=code)
        phones[code] = problems.watch(await ctx.new_page())
        await join(phones[code], web_server.url, session["code"], f"P-{code}", title, submit)
    await http.control(session, "start")
    for code, page in phones.items():
        assert sorted(await page.evaluate("c => new Intl.PluralRules(c).resolvedOptions().pluralCategories", code)) \
            == sorted(PLURAL_CATEGORIES[code]), code
        await page.get_by_test_id("tab-round").click()
        await expect(page.locator("#panel-round button[type=submit]")).to_have_text(ROUND_SUBMIT[code])
        await _laid_out(page, f"round-{code}")
    for code in phones:
        console = await open_console(browser, problems, web_server.url, session)
        await console.set_viewport_size(CONSOLE)
        await console.evaluate("c => localStorage.setItem('alliance.lang', c)", code)
        await console.reload()
        await expect(console.locator(".brand")).to_contain_text(CONSOLE_TITLE[code])
        await expect(console.get_by_test_id("clock")).to_be_visible()
        await _laid_out(console, f"console-{code}")
        await console.evaluate("() => localStorage.removeItem('alliance.facilitator')")
        await console.reload()                                   # the create form, in the same language
        await expect(console.get_by_test_id("create-scenario")).to_be_visible()
        await _laid_out(console, f"create-{code}")
    problems.check()
