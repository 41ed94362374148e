"""Lighthouse (mobile, performance only) on the join form and the facilitator's console,
against a server started here (benchmarks/load.py's ServerProcess; LOAD_SERVER_ROOT=<folder>
measures another checkout).

    npm install --prefix "$(mktemp -d)" lighthouse@12     # not a dependency of the project
    CHROME_PATH=/usr/bin/chromium python benchmarks/lighthouse.py --lighthouse <prefix>/node_modules/.bin/lighthouse --runs 3

Pages: `join` is `/join?code=<code>` (what a phone opens from the QR code); `console` is
`/console#token=<facilitator token>` of a session in its lobby (the join box and QR code
arrive after the socket's view). Lighthouse's default mobile profile: simulated slow 4G,
4x CPU slowdown, a 412 x 823 screen. Reported: performance score, largest contentful
paint, total blocking time, cumulative layout shift, bytes.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402

AUDITS = {"lcp_ms": "largest-contentful-paint", "tbt_ms": "total-blocking-time", "cls": "cumulative-layout-shift",
          "fcp_ms": "first-contentful-paint", "bytes": "total-byte-weight"}


def lighthouse(binary: str, url: str, out: Path) -> dict:
    subprocess.run([binary, url, "--only-categories=performance", "--output=json", f"--output-path={out}",
                    "--quiet", "--chrome-flags=--headless --no-sandbox --disable-gpu"],
                   check=True, env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")})
    r = json.loads(out.read_text())
    row = {"score": round(100 * r["categories"]["performance"]["score"])}
    for k, audit in AUDITS.items():
        v = r["audits"][audit].get("numericValue")
        row[k] = round(v, 3) if k == "cls" else round(v)
    return row


async def lobby(url: str) -> dict:
    async with aiohttp.ClientSession() as http:
        return await load.create_session(http, url, copies=1, negotiation=False, rounds=5)


def main(a) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="lighthouse_"))
    srv = load.ServerProcess(str(scratch / "lh.sqlite"), sync="normal").start()
    rows: dict[str, list[dict]] = {"join": [], "console": []}
    try:
        for i in range(a.runs):
            s = asyncio.run(lobby(srv.url))
            pages = {"join": f"{srv.url}/join?code={s['code']}", "console": f"{srv.url}/console#token={s['facilitator_token']}"}
            for name, url in pages.items():
                print(f"run {i + 1}: {name} ...", file=sys.stderr, flush=True)
                rows[name].append(lighthouse(a.lighthouse, url, scratch / f"{name}{i}.json"))
    finally:
        srv.stop()
    summary = {name: {k: {"median": statistics.median(r[k] for r in rs), "min": min(r[k] for r in rs),
                          "max": max(r[k] for r in rs)} for k in rs[0]} for name, rs in rows.items()}
    return {"machine": load.machine(), "label": a.label, "runs": rows, "summary": summary}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lighthouse", default="lighthouse", help="the lighthouse command (npm package)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--label", default="")
    ap.add_argument("--out")
    a = ap.parse_args()
    res = main(a)
    print(json.dumps(res["summary"], indent=1))
    load.save(res, a.out)
