"""Forming teams by hand on the console (real headless Chromium, 1280x800): tick several
students, pick a firm, move them all at once; the seats change on the server (move_player
for each), the ticks clear, and a student moved is told by the console which firm.
Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

from test_browser_game import (  # noqa: F401 (fixtures are used by name)
    browser, expect, http, open_console, problems, shot, web_server)


async def test_the_console_moves_several_students_at_once(web_server, http, browser, problems):
    session = await http.create(scenario="classic", copies=2, rounds=3)
    joined = [await http.join(session["code"], name) for name in ("Ann", "Bo", "Cy", "Di", "Ed")]
    fac = await open_console(browser, problems, web_server.url, session)
    await fac.set_viewport_size({"width": 1280, "height": 800})
    await expect(fac.get_by_test_id("player-row")).to_have_count(5)
    go = fac.get_by_test_id("move-many-go")
    await expect(go).to_be_disabled()
    movers = [p for p in joined if p["firm"] != "east2"][:3]
    for p in movers:
        await fac.get_by_test_id(f"pick-{p['player_id']}").check()
    await expect(go).to_have_text("Move 3 selected")
    await fac.get_by_test_id("move-many-firm").select_option("east2")
    await fac.get_by_test_id("teams").scroll_into_view_if_needed()
    await shot(fac, "console_move_many.png", full_page=False, top=False)
    await go.click()
    await expect(fac.get_by_test_id("firm-east2").get_by_test_id("player-row")).to_have_count(
        3 + sum(1 for p in joined if p["firm"] == "east2"))
    await expect(go).to_be_disabled()
    players = {p["player_id"]: p["firm"] for p in (await http.summary(session))["status"]["players"]}
    assert all(players[p["player_id"]] == "east2" for p in movers), players
    problems.check()
