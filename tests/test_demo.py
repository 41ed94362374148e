"""`python run.py --demo` as a newcomer runs it: a real process on a free port, its printed
links followed as printed (the join page and its code, the facilitator console with the
token in the URL fragment), one round played as the remaining player over HTTP and the
live socket, the console opened in a real browser when Chromium is there, and the
process stopped by its pid. Waits on output and messages, never on time."""
from __future__ import annotations

import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from clients.python.client import GameClient, join_session

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


class Demo:
    def __init__(self, db: Path):
        self.db = db
        self.proc = subprocess.Popen(
            [sys.executable, "run.py", "--demo", "--port", "0", "--db", str(db), "--log-level", "warning"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            # a newcomer has no admin key set: the server makes one and the demo uses it
            env={**{k: v for k, v in os.environ.items() if k != "ALLIANCE_ADMIN_KEY"}, "PYTHONUNBUFFERED": "1"})
        self.lines: list[str] = []
        self._q: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def wait_line(self, pattern: str, timeout: float = 30.0) -> re.Match:
        """The next printed line matching `pattern` (blocking on the output, with a deadline)."""
        for line in self.lines:
            if m := re.search(pattern, line):
                return m
        while True:
            line = self._q.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"the demo ended ({self.proc.wait()}) without {pattern!r}: {self.lines}")
            self.lines.append(line)
            if m := re.search(pattern, line):
                return m


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = Demo(tmp_path_factory.mktemp("demo") / "demo.db")
    d.key_file = d.wait_line(r"admin key: it is in (\S+) \(readable by you only\)").group(1)
    d.join_link = d.wait_line(r"Join as the remaining player:\s+(\S+)").group(1)
    d.console_link = d.wait_line(r"Facilitator console:\s+(\S+)").group(1)
    d.bot_firms = re.findall(r"(west\d|east\d) ", d.wait_line(r"bots play (.*)\.$", 1).group(1) + " ")
    yield d
    if d.proc.poll() is None:
        d.proc.kill()
        d.proc.wait(10)


async def test_a_newcomer_follows_the_join_link_and_plays_a_round(demo):
    join = urlsplit(demo.join_link)
    base = f"{join.scheme}://{join.netloc}"
    assert join.path == "/join" and demo.console_link.startswith(f"{base}/console#token=")
    async with aiohttp.ClientSession() as http:
        for url in (demo.join_link, demo.console_link):
            async with http.get(url) as r:  # the pages a browser opens (it sends no fragment)
                assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
    code = parse_qs(join.query)["code"][0]
    joined = await join_session(base, code, "Newcomer")
    assert len(demo.bot_firms) == 3 and joined["firm"] not in demo.bot_firms  # the remaining seat

    me = GameClient(base, joined["player_token"], name="newcomer")
    await me.connect()
    try:
        # joining starts the game; the partner bot opens the negotiation after thinking
        v = await me.wait_view(lambda v: v["phase"] == "negotiation" and v["negotiations"]
                               and v["negotiations"][0]["standing"] is not None, timeout=30)
        neg = v["negotiations"][0]
        assert neg["offers"][-1]["by"] != joined["firm"]
        await me.negotiate("accept", negotiation=neg["id"])
        v = await me.wait_view(lambda v: v["phase"] == "execution", timeout=30)
        alliance = v["alliances"][0]
        terms = alliance["terms"]
        own = terms["contributions"][joined["firm"]]
        theirs = terms["contributions"][alliance["partner"]["id"]]
        decision = {"contribute": {k: terms["min_effort"][joined["firm"]] / len(own) for k in own},
                    "absorb": {k: 10 for k in theirs}, "develop": {own[0]: 20}, "protect": 5}
        result = await me.submit(decision, round=1)
        assert result["round"] == 1
        await me.wait(lambda c: 1 in c.round_results and c.view["current_round"] == 2, timeout=30)
        mine = [e for e in me.round_results[1]["events"] if e["type"] == "firm_result"]
        assert [e["firm"] for e in mine] == [joined["firm"]]
    finally:
        await me.close()

    # the console link's fragment is the facilitator's token for this session
    token = urlsplit(demo.console_link).fragment.removeprefix("token=")
    fac = GameClient(base, token, name="console", reconnect=False)
    await fac.connect()
    try:
        assert fac.welcome["role"] == "facilitator"
        await fac.wait_view(lambda v: "session" in v)
        assert fac.view["session"]["code"] == code.replace("-", "")
        assert fac.view["status"]["bots"] == {}  # live bots are players, not server seats
        assert len(fac.view["status"]["players"]) == 4
    finally:
        await fac.close()
    assert any("Newcomer joined firm" in line for line in demo.lines + [demo.wait_line("Round 1 resolved").string])


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
async def test_the_console_link_opens_the_console_in_a_browser(demo):
    playwright_api = pytest.importorskip("playwright.async_api")
    code = parse_qs(urlsplit(demo.join_link).query)["code"][0]
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        try:
            page = await browser.new_page()
            await page.goto(demo.console_link)
            await playwright_api.expect(page.get_by_test_id("join-code")).to_have_text(code, timeout=15_000)
            assert "#" not in page.url and "token" not in page.url  # taken out of the address bar
        finally:
            await browser.close()


def test_the_demo_made_an_admin_key_and_says_where_not_what(demo):
    key_file = Path(demo.key_file)
    assert key_file == demo.db.parent.resolve() / "admin.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = key_file.read_text().strip()
    assert len(key) >= 40 and not any(key in line for line in demo.lines)


def test_the_demo_stops_by_pid_and_ends_its_session(demo):
    demo.proc.send_signal(signal.SIGTERM)
    assert demo.proc.wait(20) == 0
    demo.wait_line("Alliance game server stopped", 10)
    db = sqlite3.connect(demo.db)
    assert db.execute("SELECT status FROM sessions").fetchall() == [("ended",)]  # not restored next time
