"""What a phone downloads, in real headless Chromium against the real server, counted from
Chrome DevTools Protocol Network events (`encodedDataLength`: headers and body as sent):

- the player page's first load (a seated player in a round, empty cache) stays within
  150 KB, and Chart.js is not among it (it is fetched when the results tab is opened);
- the join form does not fetch Chart.js either;
- a second load with the cache warm sends no request for a versioned file (no 304s: they
  are cached as immutable); only the HTML is revalidated.

benchmarks/phones.py measures the same with throttling, for docs/benchmarks.md.
"""
from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import aiohttp
import pytest

from conftest import TEST_ADMIN_KEY, InProcessServer

playwright_api = pytest.importorskip("playwright.async_api")
async_playwright, expect = playwright_api.async_playwright, playwright_api.expect

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 740}
BUDGET = 150 * 1024

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")
expect.set_options(timeout=15_000)


class Network:
    """Every request of one page, from CDP: url, status, bytes, served from the cache."""

    def __init__(self):
        self.requests: dict[str, dict] = {}

    async def watch(self, page):
        cdp = await page.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", lambda e: self.requests.setdefault(
            e["requestId"], {"url": e["request"]["url"], "bytes": 0, "status": None, "cached": False}))
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        await cdp.send("Network.enable")

    def _response(self, e):
        r = self.requests.setdefault(e["requestId"], {"url": e["response"]["url"], "bytes": 0})
        r["status"] = e["response"]["status"]
        r["cached"] = bool(e["response"].get("fromDiskCache") or e["response"].get("fromMemoryCache"))

    def _finished(self, e):
        if e["requestId"] in self.requests:
            self.requests[e["requestId"]]["bytes"] = e["encodedDataLength"]

    def total(self) -> int:
        return sum(r["bytes"] for r in self.requests.values())

    def urls(self) -> list[str]:
        return [r["url"] for r in self.requests.values()]

    def table(self) -> str:
        return "\n".join(f"{r['bytes']:>8} {r['status']} {'cache' if r.get('cached') else 'net'} {r['url']}"
                         for r in self.requests.values())


@pytest.fixture
async def web(db_path):
    from server.config import ServerConfig
    cfg = ServerConfig(host="127.0.0.1", port=0, db_path=str(db_path), synchronous="normal")
    s = await InProcessServer(cfg).start()
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield s, b
        await b.close()
    await s.stop()


async def seated_player(url: str) -> tuple[dict, dict]:
    """A session without negotiation, started (round 1 open), and one player in it."""
    admin = {"Authorization": f"Bearer {TEST_ADMIN_KEY}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/api/sessions", headers=admin, json={
                "copies": 1, "rounds": 3, "negotiation": False, "round_seconds": 3600, "seed": 1}) as r:
            s = await r.json()
        async with http.post(f"{url}/api/join", json={"code": s["code"], "name": "Ann"}) as r:
            p = await r.json()
        async with http.post(f"{url}/api/sessions/{s['session_id']}/control", json={"action": "start"},
                             headers={"Authorization": f"Bearer {s['facilitator_token']}"}) as r:
            assert r.status == 200, await r.text()
    creds = {"token": p["player_token"], "code": s["code"].replace("-", ""), "session_id": p["session_id"],
             "player_id": p["player_id"], "name": "Ann", "firm": p["firm"]}
    return s, creds


async def test_player_first_load_within_budget_and_second_load_from_cache(web):
    server, browser = web
    s, creds = await seated_player(server.url)
    ctx = await browser.new_context(viewport=PHONE)
    await ctx.add_init_script(f"localStorage.setItem('alliance.player', {json.dumps(json.dumps(creds))})")
    page = await ctx.new_page()
    first = Network()
    await first.watch(page)
    await page.goto(f"{server.url}/join")
    await expect(page.get_by_test_id("submit-decision")).to_be_enabled()
    await page.wait_for_load_state("networkidle")
    assert first.total() <= BUDGET, f"{first.total()} bytes > {BUDGET}:\n{first.table()}"
    assert not any("chart.umd.js" in u for u in first.urls()), first.table()
    assert any("/static/v/" in u for u in first.urls()), first.table()
    scripts = sorted(u.split("/")[-1] for u in first.urls() if u.split("?")[0].endswith(".js"))
    assert scripts == ["boot.js", "player.bundle.js"], first.table()  # one bundled script, not 25 modules

    page2 = await ctx.new_page()  # the same cache: a phone coming back to the page
    second = Network()
    await second.watch(page2)
    await page2.goto(f"{server.url}/join")
    await expect(page2.get_by_test_id("submit-decision")).to_be_enabled()
    await page2.wait_for_load_state("networkidle")
    assets = [r for r in second.requests.values() if "/static/v/" in r["url"]]
    assert assets and all(r["cached"] and r["status"] == 200 for r in assets), second.table()
    sent = [r for r in second.requests.values() if r["url"].startswith("http") and not r["cached"]
            and "/static/" in r["url"]]
    assert not sent, second.table()

    # Chart.js comes with the results tab, once a round has results
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/sessions/{s['session_id']}/control", json={"action": "end_round"},
                             headers={"Authorization": f"Bearer {s['facilitator_token']}"}) as r:
            assert r.status == 200, await r.text()
    await expect(page2.get_by_test_id("tab-results")).to_be_visible()
    assert not any("chart.umd.js" in u for u in second.urls())
    await page2.get_by_test_id("tab-results").click()
    await expect(page2.get_by_test_id("chart-position").locator("canvas")).to_be_visible()
    await page2.wait_for_function("() => !!window.Chart && !!window.Chart.getChart(document.querySelector("
                                  "'[data-testid=chart-position] canvas'))")
    assert any("chart.umd.js" in u for u in second.urls()), second.table()
    await ctx.close()


async def test_player_socket_opens_before_the_page_draws(web):
    """js/early.js opens the live connection before the page's other modules draw anything
    (in the bundle it comes first, and the rest waits for the next task: the handshake leaves
    while the shell is drawn). The socket keeps the welcome and the first view until the page
    listens: the round form shows without another round trip."""
    server, browser = web
    s, creds = await seated_player(server.url)
    ctx = await browser.new_context(viewport=PHONE)
    await ctx.add_init_script(f"localStorage.setItem('alliance.player', {json.dumps(json.dumps(creds))})")
    await ctx.add_init_script("""(() => {
      const Native = window.WebSocket;
      window.__shellAtSocket = [];
      window.WebSocket = class extends Native {
        constructor(...args) { super(...args); window.__shellAtSocket.push(document.getElementById('main').childElementCount); }
      };
    })()""")
    page = await ctx.new_page()
    frames = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload)["type"])))
    await page.goto(f"{server.url}/join", wait_until="commit")
    await expect(page.get_by_test_id("submit-decision")).to_be_enabled()
    assert await page.evaluate("window.__shellAtSocket") == [0]  # one socket, opened before the shell
    assert frames[:2] == ["welcome", "view"], frames
    assert "view" not in frames[2:], frames  # no second full view was needed
    await ctx.close()


async def test_player_socket_opens_while_the_page_script_still_loads(web):
    """js/boot.js (a tiny script) opens the live connection while the page's bundled script
    is still on its way: here the bundle is held back until a socket exists. The page takes
    that socket over (js/socket.js `bootSocket`): one socket, its welcome and first view,
    the round form shown without a second view."""
    server, browser = web
    s, creds = await seated_player(server.url)
    ctx = await browser.new_context(viewport=PHONE)
    await ctx.add_init_script(f"localStorage.setItem('alliance.player', {json.dumps(json.dumps(creds))})")
    page = await ctx.new_page()
    held, sockets, frames, opened = [], [], [], asyncio.Event()

    async def hold(route):
        held.append(route.request.url)
        await asyncio.wait_for(opened.wait(), 30)  # fails (times out) when the socket waits for the script
        await route.continue_()
    await page.route("**/js/player.bundle.js", hold)

    def on_socket(ws):
        sockets.append(ws.url)
        opened.set()
        ws.on("framereceived", lambda payload: frames.append(json.loads(payload)["type"]))
    page.on("websocket", on_socket)
    await page.goto(f"{server.url}/join", wait_until="commit")
    await expect(page.get_by_test_id("submit-decision")).to_be_enabled()
    assert held, "the page never asked for its bundled script"
    assert len(sockets) == 1, sockets
    assert frames[:2] == ["welcome", "view"] and "view" not in frames[2:], frames
    await ctx.close()


async def test_round_form_is_drawn_before_the_hidden_tabs(web):
    """The first view draws the tab it opens on (the round form, in a round) in one task and the
    hidden tabs (firm, deal, results, chat on a phone) in the next: when the submit button is
    added the firm's tab is still empty; it is drawn moments later, and shows when chosen."""
    server, browser = web
    s, creds = await seated_player(server.url)
    ctx = await browser.new_context(viewport=PHONE)
    await ctx.add_init_script(f"localStorage.setItem('alliance.player', {json.dumps(json.dumps(creds))})")
    await ctx.add_init_script("""(() => {
      const seen = new MutationObserver(() => {
        if (!document.querySelector('[data-testid=submit-decision]')) return;
        const firm = document.getElementById('panel-firm');
        window.__firmAtForm = firm ? firm.childElementCount : null;
        seen.disconnect();
      });
      seen.observe(document, { childList: true, subtree: true });
    })()""")
    page = await ctx.new_page()
    await page.goto(f"{server.url}/join")
    await expect(page.get_by_test_id("submit-decision")).to_be_enabled()
    assert await page.evaluate("window.__firmAtForm") == 0  # the same task drew only the shown tab
    await expect(page.locator("#panel-firm [data-testid=firm-heading]")).to_have_count(1)  # the next task
    await page.get_by_test_id("tab-firm").click()
    await expect(page.get_by_test_id("firm-heading")).to_be_visible()
    await ctx.close()


async def test_join_form_opens_no_socket(web):
    """Without a seat stored, or with a join link for another session, early.js opens nothing
    (and the page shows the join form)."""
    server, browser = web
    s, creds = await seated_player(server.url)
    ctx = await browser.new_context(viewport=PHONE)
    await ctx.add_init_script(f"localStorage.setItem('alliance.player', {json.dumps(json.dumps(creds))})")
    page = await ctx.new_page()
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    await page.goto(f"{server.url}/join?code=ZZZZ-ZZZZ")
    await expect(page.get_by_test_id("join-submit")).to_be_visible()
    await page.wait_for_load_state("networkidle")
    assert sockets == []
    await ctx.close()


async def test_join_form_does_not_fetch_charts(web):
    server, browser = web
    ctx = await browser.new_context(viewport=PHONE)
    page = await ctx.new_page()
    net = Network()
    await net.watch(page)
    await page.goto(f"{server.url}/join?code=ABCD-EFGH")
    await expect(page.get_by_test_id("join-submit")).to_be_visible()
    await page.wait_for_load_state("networkidle")
    assert not any("chart.umd.js" in u for u in net.urls()), net.table()
    assert net.total() <= BUDGET, net.table()
    await ctx.close()


LAYOUT_SHIFTS = """window.__shifts = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts.push(e.value); })
  .observe({ type: "layout-shift", buffered: true });"""


@pytest.mark.parametrize("viewport", [{"width": 412, "height": 823}, {"width": 360, "height": 740}, {"width": 1280, "height": 900}])
async def test_console_does_not_shift_as_its_view_arrives(web, viewport):
    """The join box, the QR code and the clock arrive with the socket's first view: the cards
    stay hidden until then and the clock has its row from the start (cumulative layout shift
    <= 0.1, Lighthouse's "good"; it was 0.96 on a phone)."""
    server, browser = web
    admin = {"Authorization": f"Bearer {TEST_ADMIN_KEY}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/sessions", headers=admin, json={"copies": 1, "rounds": 3}) as r:
            s = await r.json()
    ctx = await browser.new_context(viewport=viewport)
    await ctx.add_init_script(LAYOUT_SHIFTS)
    page = await ctx.new_page()
    await page.goto(f"{server.url}/console#token={s['facilitator_token']}")
    await expect(page.get_by_test_id("qr")).to_be_visible()
    await page.wait_for_function("() => document.querySelector('[data-testid=qr]').complete")
    await page.wait_for_load_state("networkidle")
    await expect(page.get_by_test_id("clock")).not_to_be_empty()
    shifts = await page.evaluate("window.__shifts")
    assert sum(shifts) <= 0.1, shifts
    await ctx.close()
