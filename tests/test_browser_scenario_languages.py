"""In real headless Chromium (issue 18): the scenario's own texts follow each page's language.
A French phone reads the classic case, its confidential brief and its role's name in French
(the scenario file's `[translations.fr]`, through the player's view `me.texts`), while the
English console's create form shows the case in English and a French one in French
(`GET /api/scenarios?lang=`). Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, open_console, problems, web_server)
from test_browser_languages import join, phone  # noqa: E402

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")


async def test_a_french_phone_reads_the_classic_brief_and_case_in_french_an_english_console_in_english(
        web_server, http, browser, problems):
    session = await http.create(scenario="classic", copies=1, negotiation=False)
    fr = await phone(browser, problems, "fr-FR")
    en = await phone(browser, problems, "en-GB")
    await join(fr, web_server.url, session["code"], "Léa", "Rejoindre le jeu", "Rejoindre")
    await join(en, web_server.url, session["code"], "Sam", "Join the game", "Join")

    await expect(fr.get_by_test_id("brief")).to_contain_text("Confidentiel, pour")
    await expect(fr.locator("details.case")).to_contain_text("Deux entreprises de l'électronique grand public")
    await expect(en.get_by_test_id("brief")).to_contain_text("Confidential to")
    await expect(en.locator("details.case")).to_contain_text("Two companies in the same consumer-electronics")
    assert "Confidentiel" not in await en.get_by_test_id("brief").inner_text()

    # the console's create form: the case in the console's language
    console_en = await phone(browser, problems, "en-US")
    await console_en.goto(f"{web_server.url}/console")
    await expect(console_en.locator("details").first).to_contain_text("Two companies in the same")
    console_fr = await phone(browser, problems, "fr-FR")
    await console_fr.goto(f"{web_server.url}/console")
    await expect(console_fr.locator("details").first).to_contain_text("Deux entreprises")
