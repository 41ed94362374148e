"""`python run.py --demo` keeps the terminal for the demo's links: no access-log line per
request at the default log level. An operator who asks for `--log-level info` (or debug)
still gets the access log. `run.py` as a real process on a free port, stopped by its pid;
waits on its output, never on time."""
from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


async def _demo_output(tmp_path: Path, *extra: str) -> str:
    """Start the demo, open its join link and a script, stop it; everything it printed."""
    log = tmp_path / "stderr.log"
    with open(log, "w") as err:
        p = subprocess.Popen([sys.executable, "run.py", "--demo", "--port", "0", "--db", str(tmp_path / "demo.db"),
                              "--demo-think", "0", *extra],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True,
                             env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            loop = asyncio.get_running_loop()
            printed = []
            while not printed or "Facilitator console:" not in printed[-1]:
                line = await asyncio.wait_for(loop.run_in_executor(None, p.stdout.readline), 30)
                assert line, f"the demo ended ({p.poll()}): {printed} {log.read_text()}"
                printed.append(line)
            link = re.search(r"Join as the remaining player:\s+(\S+)", "".join(printed)).group(1)
            async with aiohttp.ClientSession() as http:
                for url in (link, link.split("/join")[0] + "/static/js/player.js"):
                    async with http.get(url) as r:
                        assert r.status == 200, url
            p.send_signal(signal.SIGTERM)
            out, _ = p.communicate(timeout=20)
            assert p.returncode == 0
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(10)
            p.stdout.close()
    return "".join(printed) + out + log.read_text()


async def test_the_demo_terminal_has_no_access_log_by_default(tmp_path):
    text = await _demo_output(tmp_path)
    assert "Join as the remaining player:" in text
    assert "aiohttp.access" not in text and "GET /join" not in text, text
    assert "Alliance game server stopped." in text


async def test_the_access_log_is_there_when_asked_for(tmp_path):
    text = await _demo_output(tmp_path, "--log-level", "info")
    access = [line for line in text.splitlines() if "aiohttp.access" in line]
    assert any('"GET /join HTTP/1.1" 200' in line for line in access), text
    assert any('"GET /static/js/player.js HTTP/1.1" 200' in line for line in access), text
