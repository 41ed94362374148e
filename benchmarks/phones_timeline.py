"""Where the seated player page's time goes until its round form is interactive, at 4x CPU
and a throttled network (benchmarks/phones.py's profiles), from one page load's CDP events:
every request (sent, response, done; ms from the navigation), the socket (created, upgraded,
first frames), and the main thread's work from a performance trace (script compile and
evaluation, style, layout, paint, by event name).

    python benchmarks/phones_timeline.py --network rtt150 --out /tmp/timeline.json
    LOAD_SERVER_ROOT=<another checkout> python benchmarks/phones_timeline.py ...
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402
import phones  # noqa: E402

NETWORKS = {"slow4g": phones.SLOW_4G, "rtt150": phones.RTT_150}
TRACE = ["devtools.timeline", "v8.execute", "disabled-by-default-devtools.timeline", "blink.user_timing"]


async def timeline(browser, url: str, creds: dict, network: dict) -> dict:
    ctx, page = await phones.fresh(browser, "player", creds)
    await ctx.add_init_script(phones.READY_PROBE)
    cdp = await page.context.new_cdp_session(page)
    events: list[tuple[str, dict]] = []
    for name in ("Network.requestWillBeSent", "Network.responseReceived", "Network.loadingFinished",
                 "Network.webSocketCreated", "Network.webSocketWillSendHandshakeRequest",
                 "Network.webSocketHandshakeResponseReceived",
                 "Network.webSocketFrameReceived", "Network.webSocketFrameSent"):
        cdp.on(name, lambda e, n=name: events.append((n, e)))
    trace: list[dict] = []
    done = asyncio.get_running_loop().create_future()
    cdp.on("Tracing.dataCollected", lambda e: trace.extend(e["value"]))
    cdp.on("Tracing.tracingComplete", lambda e: done.set_result(True))
    await cdp.send("Network.enable")
    await cdp.send("Network.emulateNetworkConditions", network)
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    await cdp.send("Profiler.enable")
    await cdp.send("Profiler.setSamplingInterval", {"interval": 200})
    await cdp.send("Profiler.start")
    await cdp.send("Tracing.start", {"categories": ",".join(TRACE), "transferMode": "ReportEvents"})
    await page.goto(f"{url}/join", wait_until="commit")
    ready_ms = None
    while ready_ms is None:  # noted by the page itself (phones.READY_PROBE)
        await asyncio.sleep(0.1)
        r = await cdp.send("Runtime.evaluate", {"expression": "window.__roundFormReady ?? null", "returnByValue": True})
        ready_ms = r["result"].get("value")
    await cdp.send("Tracing.end")
    await done
    profile = (await cdp.send("Profiler.stop"))["profile"]
    await ctx.close()
    return {**summarise(events, trace, ready_ms), "js_self_ms": self_times(profile)}


def self_times(profile: dict, top: int = 30) -> dict:
    """Sampled self time per function (name, file:line), the largest first."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    per = defaultdict(float)
    deltas = profile.get("timeDeltas", [])
    for sample, dt in zip(profile.get("samples", []), deltas[1:] + [0]):
        f = nodes[sample]["callFrame"]
        per[f"{f['functionName'] or '(anon)'} {f['url'].rsplit('/', 1)[-1]}:{f['lineNumber'] + 1}"] += dt / 1000
    return dict(sorted(((k, round(v, 1)) for k, v in per.items()), key=lambda kv: -kv[1])[:top])


def _what(ev: dict) -> str:
    data = ev.get("args", {}).get("data", {}) or {}
    what = data.get("url") or data.get("functionName") or ev.get("args", {}).get("url") or data.get("type") or ""
    return f"({str(what).rsplit('/', 1)[-1][:30]})" if what else ""


def summarise(events, trace, ready_ms) -> dict:
    start = next(e["timestamp"] for n, e in events if n == "Network.requestWillBeSent")
    ms = lambda ts: round((ts - start) * 1000)  # noqa: E731
    reqs: dict[str, dict] = {}
    sock = []
    for n, e in events:
        if n == "Network.requestWillBeSent":
            reqs[e["requestId"]] = {"url": e["request"]["url"].split("/static/")[-1].split("/", 2)[-1][:50]
                                    if "/static/" in e["request"]["url"] else e["request"]["url"].split("/", 3)[-1],
                                    "sent": ms(e["timestamp"])}
        elif n == "Network.responseReceived" and e["requestId"] in reqs:
            reqs[e["requestId"]]["response"] = ms(e["timestamp"])
        elif n == "Network.loadingFinished" and e["requestId"] in reqs:
            reqs[e["requestId"]].update(done=ms(e["timestamp"]), bytes=e["encodedDataLength"])
        elif n.startswith("Network.webSocket"):
            what = n.removeprefix("Network.webSocket")
            if "response" in e:
                what += f" {len(e['response'].get('payloadData', ''))}B"
            if "timestamp" in e:  # webSocketCreated has none: the next event follows it closely
                sock.append((ms(e["timestamp"]), what))
    # the main thread's work: complete events ('X') of the renderer's main thread, by name
    # trace timestamps are microseconds on the clock of the Network events' seconds
    at = lambda ev: round(ev["ts"] / 1000 - start * 1000)  # noqa: E731
    main = [ev for ev in trace if ev.get("name") == "thread_name" and ev["args"].get("name") == "CrRendererMain"]
    tids = {(ev["pid"], ev["tid"]) for ev in main}
    work = defaultdict(float)
    tasks = []
    for ev in trace:
        if (ev.get("pid"), ev.get("tid")) in tids and ev.get("ph") == "X" and "dur" in ev:
            work[ev["name"]] += ev["dur"] / 1000
            if ev["name"] == "RunTask" and ev["dur"] > 20_000:
                tasks.append([at(ev), round(ev["dur"] / 1000), ev])
    for task in tasks:  # what each long task was busy with: its largest inner events
        t, end = task[2]["ts"], task[2]["ts"] + task[2]["dur"]
        inner = [ev for ev in trace if (ev.get("pid"), ev.get("tid")) in tids and ev.get("ph") == "X"
                 and ev is not task[2] and t <= ev.get("ts", 0) < end and ev.get("dur", 0) > 5_000]
        task[2] = [f"{ev['name']}{_what(ev)} {round(ev['dur'] / 1000)}" for ev in inner[:6]]
    top = dict(sorted(((k, round(v)) for k, v in work.items()), key=lambda kv: -kv[1])[:25])
    return {"ready_ms": round(ready_ms), "requests": sorted(reqs.values(), key=lambda r: r["sent"]),
            "socket": sock[:8], "main_thread_ms": top, "long_tasks_ms": tasks}


async def main(a) -> dict:
    from playwright.async_api import async_playwright
    scratch = Path(tempfile.mkdtemp(prefix="timeline_"))
    srv = load.ServerProcess(str(scratch / "bench.sqlite"), sync="normal").start()
    out = []
    try:
        _, creds = await phones.seated_player(srv.url)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=phones.CHROMIUM, args=phones.ARGS)
            try:
                for _ in range(a.runs):
                    out.append(await timeline(browser, srv.url, creds, NETWORKS[a.network]))
            finally:
                await browser.close()
    finally:
        srv.stop()
    return {"machine": load.machine(), "network": a.network, "runs": out}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", choices=sorted(NETWORKS), default="rtt150")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--out")
    a = ap.parse_args()
    res = asyncio.run(main(a))
    for r in res["runs"]:
        print("ready", r["ready_ms"], "ms")
        for q in r["requests"]:
            print(f"  {q['sent']:6d} {q.get('response', -1):6d} {q.get('done', -1):6d} {q.get('bytes', 0):7d}  {q['url']}")
        print("  socket", r["socket"])
        print("  main thread", r["main_thread_ms"])
        print("  long tasks (start, ms)", r["long_tasks_ms"])
        print("  js self time", json.dumps(r["js_self_ms"], indent=1))
    load.save(res, a.out)
