"""How long a newcomer waits for the machine, from nothing to a phone seated on the LAN.

    python benchmarks/newcomer.py                 # every step, install included (a fresh venv, no pip cache)
    python benchmarks/newcomer.py --skip-install  # the steps after the install
    python benchmarks/newcomer.py --json benchmarks/results/newcomer.json

The steps, each timed on a wall clock:
1. install: a fresh clone of this repository and a fresh virtual environment, then what
   `make install` does (`pip install -e .`), with pip's cache off, as on a new laptop;
2. start: `python run.py --lan` until it prints the phones' join address (it listens on
   every interface and advertises the machine's LAN address);
3. console: Chromium at 1280x800 opens the console at that address, the facilitator pastes
   the admin key (read from the file the server names) and creates a session with the
   form's defaults, until the join code shows;
4. phone: a second Chromium context at 390x844 opens the join link from the console (the
   LAN address, not 127.0.0.1), types a name and joins, until its firm's page shows.

Only the machine's time is measured: reading, typing and walking to a phone are a
person's and are estimated in docs/facilitator.md, next to these figures.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]


def install(work: Path) -> tuple[float, Path]:
    """Clone, make a venv, pip install -e (no cache): seconds, and the clone's python."""
    t0 = time.monotonic()
    clone = work / "alliance"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    py = work / "venv" / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-cache-dir", "-e", str(clone)], check=True)
    return time.monotonic() - t0, py


def start(py: Path, root: Path, work: Path) -> tuple[float, subprocess.Popen, str, Path]:
    """`run.py --lan` until it prints the phones' join address: seconds, process, base URL, key file."""
    t0 = time.monotonic()
    err = open(work / "server.err", "w")
    p = subprocess.Popen([str(py), "run.py", "--lan", "--port", "0", "--db", str(work / "data" / "alliance.db")],
                         cwd=root, stdout=subprocess.PIPE, stderr=err, text=True,
                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = None
    while base is None:
        line = p.stdout.readline()
        if not line:
            raise RuntimeError(f"the server stopped: {(work / 'server.err').read_text()}")
        m = re.search(r"Phones on the same network join at (http://\S+?)/join", line)
        if m:
            base = m.group(1)
    return time.monotonic() - t0, p, base, work / "data" / "admin.key"


async def console_and_phone(base: str, key_file: Path) -> dict[str, float]:
    from playwright.async_api import async_playwright, expect
    out = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            t0 = time.monotonic()
            console = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
            await console.goto(f"{base}/console")
            await console.get_by_test_id("create-admin-key").fill(key_file.read_text().strip())
            await console.get_by_test_id("create-submit").click()
            await expect(console.get_by_test_id("join-code")).to_be_visible(timeout=30_000)
            link = await console.get_by_test_id("join-url").inner_text()
            out["console_s"] = time.monotonic() - t0
            if "127.0.0.1" in link or "localhost" in link:
                raise RuntimeError(f"the console's join link is not a LAN address: {link}")
            t0 = time.monotonic()
            phone = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
            await phone.goto(link)
            await phone.get_by_test_id("join-name").fill("Test phone")
            await phone.get_by_test_id("join-submit").click()
            await expect(phone.get_by_test_id("firm-heading")).to_be_visible(timeout=30_000)
            out["phone_s"] = time.monotonic() - t0
            out["join_link"] = link
        finally:
            await browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-install", action="store_true", help="use this checkout and its python")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="newcomer-"))
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": f"{os.cpu_count()} cores, "
              f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"}
    p = None
    try:
        if args.skip_install:
            py, root = Path(sys.executable), ROOT
        else:
            result["install_s"], py = install(work)
            root = work / "alliance"
        result["start_s"], p, base, key_file = start(py, root, work)
        result.update(asyncio.run(console_and_phone(base, key_file)))
        result["machine_total_s"] = sum(v for k, v in result.items() if k.endswith("_s"))
    finally:
        if p is not None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)
    result = {k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()}
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
