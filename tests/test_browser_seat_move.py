"""A name seated twice, in real headless Chromium (phones 390x844, console 1280x800): the
second phone is told the name is taken and offered another name or "this is me on a new
device"; with the seat's rejoin code it takes the seat, without it the console shows the
request and the facilitator approves it; the old phone is signed out saying why. Then the
console forms the teams from an uploaded list (preview, Apply). Fixtures from
tests/test_browser_game.py."""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, new_page, no_horizontal_overflow, open_console, problems, shot, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

PHONE = {"width": 390, "height": 844}
CONSOLE = {"width": 1280, "height": 800}


async def _join(page, base, code, name):
    await page.goto(f"{base}/join?code={code}")
    await page.get_by_test_id("join-name").fill(name)
    await page.get_by_test_id("join-submit").click()


async def test_a_taken_name_moves_only_with_its_code_or_the_facilitator(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", copies=1, negotiation=False)
    first = await new_page(browser, problems, PHONE)
    await _join(first, base, session["code"], "Mia Park")
    code = first.get_by_test_id("rejoin-code")
    await expect(code).to_contain_text("Your rejoin code")
    rejoin = (await code.locator("strong").text_content()).strip()

    # a second phone with the same name (other case and spacing): no second player
    second = await new_page(browser, problems, PHONE)
    await _join(second, base, session["code"], "  mia  PARK")
    taken = second.get_by_test_id("name-taken")
    await expect(taken).to_contain_text("is already playing in this session")
    await no_horizontal_overflow(second)
    await shot(second, "seat_name_taken_phone.png")
    # a wrong code is refused and says so; the right one takes the seat, the first phone is signed out
    await second.get_by_test_id("taken-code").fill("ZZZ-ZZZ" if rejoin != "ZZZ-ZZZ" else "YYY-YYY")
    await second.get_by_test_id("taken-take").click()
    await expect(second.get_by_test_id("taken-error")).to_contain_text("not the seat's rejoin code")
    await second.get_by_test_id("taken-code").fill(rejoin)
    await second.get_by_test_id("taken-take").click()
    await expect(second.get_by_test_id("firm-heading")).to_be_visible()
    await expect(first.get_by_test_id("join-error")).to_contain_text("taken on another device")
    assert len((await http.summary(session))["status"]["players"]) == 1

    # a third phone without the code asks the facilitator, who approves on the console
    console = await open_console(browser, problems, base, session)
    await console.set_viewport_size(CONSOLE)
    third = await new_page(browser, problems, PHONE)
    await _join(third, base, session["code"], "Mia Park")
    await third.get_by_test_id("taken-ask").click()
    await expect(third.get_by_test_id("taken-waiting")).to_contain_text("Tell your facilitator")
    await no_horizontal_overflow(third)
    await shot(third, "seat_waiting_phone.png")
    req = console.get_by_test_id("seat-requests")
    await expect(req).to_contain_text("Mia Park asks to take over Mia Park's seat on a new device")
    await req.scroll_into_view_if_needed()
    await shot(console, "console_seat_request.png", full_page=False, top=False)
    await req.get_by_role("button", name="Approve").click()
    await console.get_by_test_id("confirm-ok").click()
    await expect(third.get_by_test_id("firm-heading")).to_be_visible()
    await expect(second.get_by_test_id("join-error")).to_contain_text("taken on another device")
    await expect(req).to_have_count(0)
    players = (await http.summary(session))["status"]["players"]
    assert len(players) == 1 and players[0]["connected"] is True
    # Chromium logs every refused request: the two name_taken 409s and the wrong code's 403, nothing else
    assert sorted(int(p.split("status of ")[1][:3]) for p in problems.items if "status of " in p) == [403, 409, 409]
    assert [p for p in problems.items if "status of " not in p] == []


async def test_the_console_forms_teams_from_an_uploaded_list(web_server, http, browser, problems, tmp_path):
    session = await http.create(scenario="classic", copies=2, rounds=3)
    names = ["Ann", "Bo", "Cy", "Di", "Ed"]
    for n in names:
        await http.join(session["code"], n)
    firms = sorted((await http.summary(session))["firms"])
    console = await open_console(browser, problems, web_server.url, session)
    await console.set_viewport_size(CONSOLE)
    await expect(console.get_by_test_id("player-row")).to_have_count(5)
    form = console.get_by_test_id("team-formation")
    await form.locator("summary").click()
    # a list with an unknown name and firm: refused as a whole, every problem named
    bad = tmp_path / "bad.csv"
    bad.write_text(f"name,firm\nAnn,{firms[0]}\nZed,{firms[0]}\n=1+1,Mars\n", encoding="utf-8")
    await console.get_by_test_id("form-method").select_option("list")
    await console.get_by_test_id("form-file").set_input_files(str(bad))
    await console.get_by_test_id("form-preview-go").click()
    await expect(console.get_by_test_id("form-error")).to_contain_text("'Zed'")
    await expect(console.get_by_test_id("form-error")).to_contain_text("'Mars'")
    await expect(console.get_by_test_id("form-apply")).to_be_disabled()
    # everyone into the first two firms
    good = tmp_path / "class.csv"
    good.write_text("".join(f"{n};{firms[i % 2]}\n" for i, n in enumerate(names)), encoding="utf-8")
    await console.get_by_test_id("form-file").set_input_files(str(good))
    await console.get_by_test_id("form-preview-go").click()
    await expect(console.get_by_test_id("form-shape")).to_have_text(
        f"5 students in {len(firms)} firms: 1 firm of 2 and 1 firm of 3.")
    await expect(console.get_by_test_id("form-empty")).to_contain_text("fill them with bots")
    await form.scroll_into_view_if_needed()
    await shot(console, "console_form_teams.png", full_page=False, top=False)
    await console.get_by_test_id("form-apply").click()
    await expect(console.get_by_test_id(f"firm-{firms[0]}").get_by_test_id("player-row")).to_have_count(3)
    players = {p["name"]: p["firm"] for p in (await http.summary(session))["status"]["players"]}
    assert players == {n: firms[i % 2] for i, n in enumerate(names)}
    problems.check()
