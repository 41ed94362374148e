"""The debrief page shows who graduated (issue 16), in Debian's Chromium: a racing
internalizer bot (seated from the console's strategy list) leaves its alliance after learning; the alliance's block tells it graduated,
in which round and how much of its gap it had closed, and the class block lists the
graduates. The numbers come from the server's `graduations` (tests/test_server_graduations.py)."""
from __future__ import annotations

import re

from test_browser_game import browser, expect, http, new_page, open_console, problems, shot, web_server  # noqa: F401


async def test_the_debrief_shows_who_graduated_and_when(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="minority_stake", negotiation=False, seed=0)
    await http.join(session["code"], "Ann")  # her firm plays the default decision every round
    # the console offers the race strategies for the empty firm
    fac = await open_console(browser, problems, base, session)
    await fac.locator("#bot-strategy").select_option("racing_internalizer")
    await fac.get_by_test_id("ctl-fill_bots").click()
    await expect(fac.locator(".tag.bot", has_text="racing internalizer (leaves once it has learned)")).to_be_visible()
    await http.control(session, "start")
    while True:
        status, body = await http.request("POST", f"/api/sessions/{session['session_id']}/control",
                                          {"action": "end_round"}, token=session["facilitator_token"])
        if status != 200:
            assert body["error"]["code"] == "wrong_phase"  # the debrief has opened
            break
    async with http.http.get(f"{base}/api/web/history/{session['session_id']}",
                             headers={"Authorization": f"Bearer {session['facilitator_token']}"}) as r:
        (grad,) = (await r.json())["graduations"]
    assert grad["graduated"]
    deb = problems.watch(await fac.context.new_page())
    await deb.set_viewport_size({"width": 1280, "height": 1000})
    await deb.goto(f"{base}/debrief")
    told = deb.get_by_test_id(f"graduation-{grad['alliance']}-{grad['firm']}")
    await expect(told).to_contain_text("Graduated.")
    await expect(told).to_contain_text(f"left in round {grad['round']} having learned what it came for")
    await expect(told).to_contain_text(re.compile(r"closed \d+\s?% of its gap"))
    await expect(deb.get_by_test_id("debrief-graduates")).to_contain_text(f"in round {grad['round']}")
    await told.scroll_into_view_if_needed()
    await shot(deb, "debrief_graduation.png", top=False)
    problems.check()
