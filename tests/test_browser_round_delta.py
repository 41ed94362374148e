"""The player page applies a round's delta that cites the round's results (delta version 3,
game_rules/session/deltas.py `cite_results`): after a round it gets `round_result`, then a
`round_delta` whose `results` names that round and whose changes leave its events out of
the history; the page (js/player.js, js/viewfold.js) puts them back from the round_result it
got and holds exactly the view a fresh full view gives, without asking for one. On
56063e0 the page read version 2 (the events sent twice)."""
from __future__ import annotations

import json

import pytest

from test_browser_game import browser, http, join, new_page, problems, web_server  # noqa: F401 (fixtures)

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect


def _frame(payload) -> dict | None:
    if isinstance(payload, (bytes, bytearray)):
        import msgpack
        return msgpack.unpackb(payload)
    try:
        return json.loads(payload)
    except ValueError:
        return None


async def test_the_player_page_applies_a_delta_that_cites_the_rounds_results(web_server, http, browser, problems):  # noqa: F811
    base = web_server.url
    session = await http.create(scenario="classic", rounds=3, negotiation=False)
    page = await new_page(browser, problems)
    got, sent, sockets = [], [], []

    def on_socket(ws):
        sockets.append(ws)
        ws.on("framereceived", lambda p: got.append(_frame(p)))
        ws.on("framesent", lambda p: sent.append(_frame(p)))
    page.on("websocket", on_socket)
    await join(page, base, session["code"], "Pat")
    await http.control(session, "fill_bots")
    await http.control(session, "start")
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 1 of 3")
    is_delta = lambda p: ((m := _frame(p) or {}).get("type"), m.get("round")) == ("round_delta", 2)  # noqa: E731
    async with sockets[-1].expect_event("framereceived", predicate=is_delta) as arrived:
        await page.get_by_test_id("submit-decision").click()   # the bots had submitted
    delta = _frame(await arrived.value)
    await expect(page.get_by_test_id("round-title")).to_have_text("Round 2 of 3")
    await page.wait_for_function("() => window.__player.view && window.__player.view.current_round === 2")
    result = next(m for m in got if m and m.get("type") == "round_result" and m.get("round") == 1)
    assert delta["version"] == 3 and delta["results"] == 1 and result["events"]
    assert "history" not in delta["changes"].get("append", {}) and "history" not in delta["changes"].get("set", {})
    assert not any(m and m.get("type") == "resync" for m in sent)   # the delta fitted
    held = await page.evaluate("() => window.__player.view")
    # a fresh full view: the page's view is exactly it (the clock's remaining time ran on)
    is_view = lambda p: (_frame(p) or {}).get("type") == "view"  # noqa: E731
    async with sockets[-1].expect_event("framereceived", predicate=is_view) as answer:
        await page.evaluate("() => window.__player.socket.resync()")
    full = _frame(await answer.value)
    assert held == {**full["view"], "clock": held["clock"]}
    assert held["history"][-len(result["events"]):] == result["events"]
    problems.check()
