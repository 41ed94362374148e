"""What a phone downloads and how long it waits: the web pages' first loads in headless
Chromium (Debian's /usr/bin/chromium via Playwright), measured from Chrome DevTools
Protocol Network events.

    python benchmarks/phones.py --runs 3 --out benchmarks/results/phones_after.json
    LOAD_SERVER_ROOT=/tmp/base python benchmarks/phones.py ...   # another checkout (before/after)
    python benchmarks/phones.py --runs 3 --round-form-only         # only the two round-form times

Per page, a fresh browser context (empty cache) each run:
- `join`: the join form (`/join?code=...`), until the network is idle;
- `player`: the player page of a seated player (credentials in localStorage, as after a
  join) in a round, until the round form's submit button is visible and the network idle;
- `console`: the facilitator's console of a session in its lobby (join box and QR code);
- `player_reload`: the player page again in the same context (the cache warm): requests
  that went to the network, and bytes.
Bytes are the sum of `encodedDataLength` of `Network.loadingFinished` (headers and body as
transferred), requests the count of `Network.requestWillBeSent` (the socket not included).

`round_form_ms`: the player page at 4x CPU slowdown (`Emulation.setCPUThrottlingRate`) and
a slow-4G network (`Network.emulateNetworkConditions`: 562.5 ms latency, 1,474.6 kbit/s
down, 675 kbit/s up: Lighthouse's mobile "slow 4G" as DevTools applies it), from the
navigation until the round form's submit button is visible and enabled (noted by the page
itself, `READY_PROBE`: performance.now() since the navigation began).
`round_form_ms_4x_rtt150`: the same with 150 ms per request (and the same bandwidth):
the round trip Lighthouse's simulated slow 4G assumes on a connection already open; the
562.5 ms above is that round trip times 3.75, Lighthouse's allowance for opening a new
connection, applied by DevTools to every request.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (benchmarks/load.py: the server process, sessions, machine)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 740}
SLOW_4G = {"offline": False, "latency": 562.5, "downloadThroughput": 1474.56 * 1024 / 8,
           "uploadThroughput": 675 * 1024 / 8}
RTT_150 = {**SLOW_4G, "latency": 150}


class NetLog:
    """Network events of one page over CDP: bytes on the wire and requests."""

    def __init__(self):
        self.bytes, self.requests, self.urls = 0, 0, {}
        self.from_cache = 0

    async def attach(self, page):
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._done)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.requestServedFromCache", lambda e: setattr(self, "from_cache", self.from_cache + 1))
        return cdp

    def _sent(self, e):
        self.urls[e["requestId"]] = {"url": e["request"]["url"], "status": None, "bytes": 0, "cached": False}

    def _response(self, e):
        u = self.urls.setdefault(e["requestId"], {"url": e["response"]["url"], "bytes": 0})
        u["status"] = e["response"]["status"]
        u["cached"] = bool(e["response"].get("fromDiskCache") or e["response"].get("fromMemoryCache"))

    def _done(self, e):
        self.bytes += e["encodedDataLength"]
        if e["requestId"] in self.urls:
            self.urls[e["requestId"]]["bytes"] = e["encodedDataLength"]

    def summary(self) -> dict:
        sent = [u for u in self.urls.values() if not u.get("cached") and not u["url"].startswith("data:")]
        return {"bytes": self.bytes, "kb": round(self.bytes / 1024, 1), "requests": len(self.urls),
                "network_requests": len(sent), "revalidated_304": sum(1 for u in sent if u.get("status") == 304)}


async def seated_player(url: str) -> tuple[dict, dict]:
    """A session without negotiation, started (round 1 open), and one seated player."""
    async with aiohttp.ClientSession() as http:
        s = await load.create_session(http, url, copies=1, negotiation=False, rounds=5)
        async with http.post(f"{url}/api/join", json={"code": s["code"], "name": "Ann"}) as r:
            p = await r.json()
        await load.start_session(http, url, s)
    creds = {"token": p["player_token"], "code": s["code"].replace("-", ""), "session_id": p["session_id"],
             "player_id": p["player_id"], "name": "Ann", "firm": p["firm"]}
    return s, creds


async def fresh(browser, key: str | None = None, value: dict | None = None):
    ctx = await browser.new_context(viewport=PHONE)
    if key:
        await ctx.add_init_script(f"localStorage.setItem('alliance.{key}', {json.dumps(json.dumps(value))})")
    return ctx, await ctx.new_page()


async def measure(page, url: str, ready: str | None) -> dict:
    net = NetLog()
    await net.attach(page)
    await page.goto(url)
    if ready:
        await page.wait_for_selector(ready, state="visible", timeout=120_000)
    await page.wait_for_load_state("networkidle")
    return net.summary()


# Set before the page's own scripts: the page notes when its round form became usable (the
# submit button shown and enabled), in ms since the navigation began (performance.now()).
# Noted in the page rather than with Playwright's wait_for_function: that injects Playwright's
# own script into the page, which took ~0.2-0.3 s of the main thread at 4x CPU slowdown.
READY_PROBE = """(() => {
  const probe = setInterval(() => {
    const b = document.querySelector('[data-testid=submit-decision]');
    if (b && !b.disabled && b.offsetParent !== null) { window.__roundFormReady = performance.now(); clearInterval(probe); }
  }, 25);
})()"""


async def round_form_ms(browser, url: str, creds: dict, network: dict = SLOW_4G) -> float:
    ctx, page = await fresh(browser, "player", creds)
    await ctx.add_init_script(READY_PROBE)
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.emulateNetworkConditions", network)
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    await page.goto(f"{url}/join", wait_until="commit")
    deadline = time.monotonic() + 120
    ms = None
    while ms is None and time.monotonic() < deadline:
        await asyncio.sleep(0.1)  # polled over CDP (Runtime.evaluate injects nothing into the page)
        r = await cdp.send("Runtime.evaluate", {"expression": "window.__roundFormReady ?? null", "returnByValue": True})
        ms = r["result"].get("value")
    await ctx.close()
    if ms is None:
        raise TimeoutError("the round form did not become usable within 120 s")
    return round(ms)


async def one_run(browser, url: str, round_form_only: bool = False) -> dict:
    s, creds = await seated_player(url)
    if round_form_only:
        return {"round_form_ms_4x_slow4g": await round_form_ms(browser, url, creds),
                "round_form_ms_4x_rtt150": await round_form_ms(browser, url, creds, RTT_150)}
    lobby = None
    async with aiohttp.ClientSession() as http:  # the console's session stays in its lobby
        lobby = await load.create_session(http, url, copies=1, negotiation=False, rounds=5)
    out = {}
    ctx, page = await fresh(browser)
    out["join"] = await measure(page, f"{url}/join?code={s['code']}", "[data-testid=join-submit]")
    await ctx.close()
    ctx, page = await fresh(browser, "player", creds)
    out["player"] = await measure(page, f"{url}/join", "[data-testid=submit-decision]")
    page2 = await ctx.new_page()
    out["player_reload"] = await measure(page2, f"{url}/join", "[data-testid=submit-decision]")
    await ctx.close()
    fac = {"token": lobby["facilitator_token"], "session_id": lobby["session_id"], "code": lobby["code"],
           "join_url": lobby["join_url"]}
    ctx, page = await fresh(browser, "facilitator", fac)
    out["console"] = await measure(page, f"{url}/console", "[data-testid=qr]")
    await ctx.close()
    out["round_form_ms_4x_slow4g"] = await round_form_ms(browser, url, creds)
    out["round_form_ms_4x_rtt150"] = await round_form_ms(browser, url, creds, RTT_150)
    return out


def med(runs: list[dict]) -> dict:
    """Median and range per figure over the runs."""
    keys = {}
    for r in runs:
        for page, v in r.items():
            if isinstance(v, dict):
                for k, x in v.items():
                    keys.setdefault(f"{page}.{k}", []).append(x)
            else:
                keys.setdefault(page, []).append(v)
    return {k: {"median": statistics.median(xs), "min": min(xs), "max": max(xs)} for k, xs in keys.items()}


async def main(a) -> dict:
    from playwright.async_api import async_playwright
    scratch = Path(tempfile.mkdtemp(prefix="phones_"))
    srv = load.ServerProcess(str(scratch / "bench.sqlite"), sync="normal").start()
    runs = []
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                for i in range(a.runs):
                    print(f"run {i + 1} ...", file=sys.stderr, flush=True)
                    runs.append(await one_run(browser, srv.url, a.round_form_only))
            finally:
                await browser.close()
    finally:
        srv.stop()
    return {"machine": load.machine(), "label": a.label, "runs": runs, "summary": med(runs)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out")
    ap.add_argument("--round-form-only", action="store_true", help="only the two round-form times")
    ap.add_argument("--label", default="", help="what was measured (e.g. the commit)")
    a = ap.parse_args()
    res = asyncio.run(main(a))
    print(json.dumps(res["summary"], indent=1))
    load.save(res, a.out)
