"""The web pages' fold of pushes (clients/web/js/viewfold.js) gives what the Python clients'
fold (clients/python/view_fold.py) gives: the session of tests/test_view_fold.py is played
over real sockets, every message each client received is recorded, and the recorded
streams run through the JS fold in real headless Chromium (the module as the server serves
it) and through the Python fold; the folded views must be equal after every message.
The streams hold the players' `round_delta`s (their clients read deltas), so the JS patch of
a round's changes is compared with the Python one on real recorded deltas. The Python fold is
itself checked against the server's full views by test_view_fold.py."""
from __future__ import annotations

import aiohttp
import pytest

playwright_api = pytest.importorskip("playwright.async_api")

from clients.python.view_fold import FOLDS, Folded  # noqa: E402
from conftest import Api  # noqa: E402
from test_browser_game import ARGS, CHROMIUM  # noqa: E402
from test_view_fold import CHAT_KEEP, play_observed_session  # noqa: E402

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

# every view the fold goes through, one per message: the JS module folds a whole stream
FOLD_ALL = """async (streams) => {
  const { applyPush } = await import("/static/js/viewfold.js");
  const out = {};
  for (const [name, messages] of Object.entries(streams)) {
    let view = null, result = null;  // (a round delta may cite the round_result before it)
    out[name] = messages.map((m) => {
      if (m.type === "round_result") result = m;
      return (view = applyPush(view, m, result));
    });
  }
  return out;
}"""


def python_folds(messages: list[dict]) -> list:
    folded = Folded()
    return [folded(m) for m in messages]


async def test_the_js_fold_gives_what_the_python_fold_gives(start_server):
    server = await start_server(status_every=0, chat_keep=CHAT_KEEP)  # the JS fold trims chat too
    async with aiohttp.ClientSession() as http:
        observed = await play_observed_session(server, Api(server.url, http))
    streams = {o.name: o.messages for o in observed}
    # (the renegotiation window's push is folded in tests/test_server_renegotiation.py, and the
    # JS entry is checked against the Python one in tests/test_browser_renegotiation.py)
    assert {m.get("type") for ms in streams.values() for m in ms} >= set(FOLDS) - {"selection", "renegotiation"}
    assert "round_delta" in FOLDS and sum(m["type"] == "round_delta" for ms in streams.values() for m in ms) >= 3
    # an alliance's changes item by item (`items`, delta version 2) are among them
    assert any("items" in m["changes"] for ms in streams.values() for m in ms if m["type"] == "round_delta")
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{server.url}/join")   # a page of the server: the module's origin
            js = await page.evaluate(FOLD_ALL, streams)
        finally:
            await browser.close()
    for name, messages in streams.items():
        py = python_folds(messages)
        assert len(js[name]) == len(py) == len(messages)
        for i, (a, b) in enumerate(zip(js[name], py)):
            assert a == b, f"{name}: after message {i} ({messages[i].get('type')}) the folds differ"


# the page's socket (clients/web/js/socket.js) on a real connection: a round delta whose
# `base` is not the number of views it got is not passed on; it asks for a full view
BAD_DELTA = """async (token) => {
  const { LiveSocket } = await import("/static/js/socket.js");
  const s = new LiveSocket(token);
  const got = [];
  const until = (pred) => new Promise((done, fail) => {
    if (pred()) { done(); return; }
    const late = setTimeout(() => fail(new Error(`timed out; got ${got.map((m) => m.type)}`)), 15000);
    s.addEventListener("message", function check() {
      if (pred()) { clearTimeout(late); s.removeEventListener("message", check); done(); }
    });
  });
  s.addEventListener("message", (e) => got.push(e.detail));
  s.connect();
  await until(() => got.some((m) => m.type === "view"));
  s.onFrame(s.ws, JSON.stringify({ type: "round_delta", version: 2, base: 99, round: 1, changes: { set: { phase: "debrief" } } }));
  await until(() => got.filter((m) => m.type === "view").length === 2);
  const out = { types: got.map((m) => m.type), views: s.views, phase: got[got.length - 1].view?.phase };
  s.stopped = true;
  s.ws.close();
  return out;
}"""


async def test_the_page_socket_asks_for_a_full_view_when_a_delta_is_not_for_its_view(start_server):
    server = await start_server(status_every=0)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(scenario="classic", copies=1, seed=4)
        joined = await api.join(session["code"], "Ada")
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{server.url}/join")
            out = await page.evaluate(BAD_DELTA, joined["player_token"])
        finally:
            await browser.close()
    assert "round_delta" not in out["types"], out        # not passed on to the page
    assert out["types"].count("view") == 2 and out["views"] == 3, out   # the resync's full view came
    assert out["phase"] == "lobby", out
