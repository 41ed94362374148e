"""Server smoke benchmark: N connected players sending commands over real WebSockets to a
real server process (`run.py`, its own process and SQLite file), reporting commands/s and
command->ack latency (p50 / p99).

    python benchmarks/server_smoke.py                  # 200 players, both phases
    python benchmarks/server_smoke.py --players 200 --seconds 10 --sync full

Phase "closed": every player sends its next command as soon as the previous is acked
(throughput). Phase "paced": every player sends one command every `--interval` seconds
(latency at a classroom-like load). Commands alternate `draft` (logged, pushed to the
teammate) and `chat` to the firm (logged, pushed); every ack means the command is
committed to the event log. The per-socket rate limit is raised for the closed phase.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import msgpack

ROOT = Path(__file__).resolve().parent.parent
ADMIN_KEY = os.environ.get("ALLIANCE_ADMIN_KEY") or secrets.token_urlsafe(32)  # given to the server started here


class Player:
    def __init__(self, ws, firm: str):
        self.ws = ws
        self.firm = firm
        self.pending: dict[str, asyncio.Future] = {}
        self.errors = 0
        self.ids = itertools.count()
        self.reader = asyncio.create_task(self._read())

    async def _read(self):
        async for frame in self.ws:
            if frame.type != aiohttp.WSMsgType.BINARY:
                continue
            m = msgpack.unpackb(frame.data)
            if m["type"] in ("ack", "error"):
                fut = self.pending.pop(m.get("id"), None)
                if m["type"] == "error":
                    self.errors += 1
                if fut and not fut.done():
                    fut.set_result(m)

    async def command(self, i: int) -> float:
        id = f"c{next(self.ids)}"
        if i % 2:
            msg = {"type": "draft", "id": id, "fields": {"develop": {"design": float(i % 50)}}}
        else:
            msg = {"type": "chat", "id": id, "to": "firm", "text": f"message {i}"}
        fut = asyncio.get_running_loop().create_future()
        self.pending[id] = fut
        t0 = time.perf_counter()
        await self.ws.send_bytes(msgpack.packb(msg))
        await fut
        return time.perf_counter() - t0


async def _setup(url: str, http: aiohttp.ClientSession, players: int) -> list[Player]:
    copies = max(1, players // 4)  # two firms per copy, two players per firm
    async with http.post(f"{url}/api/sessions", json={"copies": copies, "rounds": 8, "negotiation": False,
                                                      "round_seconds": 3600},
                         headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as r:
        session = await r.json()
    out = []
    for i in range(players):
        async with http.post(f"{url}/api/join", json={"code": session["code"], "name": f"bench{i}"}) as r:
            j = await r.json()
        ws = await http.ws_connect(f"{url.replace('http', 'ws', 1)}/ws", max_msg_size=2**24)
        await ws.send_bytes(msgpack.packb({"type": "auth", "token": j["player_token"]}))
        out.append(Player(ws, j["firm"]))
    async with http.post(f"{url}/api/sessions/{session['session_id']}/control", json={"action": "start"},
                         headers={"Authorization": f"Bearer {session['facilitator_token']}"}) as r:
        assert r.status == 200, await r.text()
    return out


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000


async def _closed(players: list[Player], seconds: float) -> list[float]:
    lat: list[float] = []
    end = time.perf_counter() + seconds

    async def loop(p: Player):
        i = 0
        while time.perf_counter() < end:
            lat.append(await p.command(i))
            i += 1
    await asyncio.gather(*(loop(p) for p in players))
    return lat


async def _paced(players: list[Player], seconds: float, interval: float) -> list[float]:
    lat: list[float] = []
    end = time.perf_counter() + seconds

    async def loop(p: Player):
        await asyncio.sleep(random.random() * interval)  # spread the players over the interval
        i = 0
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            lat.append(await p.command(i))
            i += 1
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - t0)))
    await asyncio.gather(*(loop(p) for p in players))
    return lat


def _report(name: str, lat: list[float], seconds: float, errors: int) -> None:
    print(f"{name:>7}: {len(lat):7d} commands in {seconds:.1f}s = {len(lat) / seconds:8.0f} commands/s   "
          f"ack latency p50 {_pct(lat, 50):6.1f} ms  p99 {_pct(lat, 99):6.1f} ms  "
          f"mean {statistics.mean(lat) * 1000:6.1f} ms  errors {errors}")


async def main(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [sys.executable, "run.py", "--port", "0", "--db", f"{tmp}/bench.db", "--log-level", "warning",
             "--sync", args.sync, "--rate", "100000", "--burst", "100000", "--max-copies", "500"],
            cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "ALLIANCE_ADMIN_KEY": ADMIN_KEY})
        try:
            line = proc.stdout.readline()
            url = line.split("open ")[1].split()[0].rstrip("/")
            # limit=0: the default pool (100) would block the 101st socket
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                players = await _setup(url, http, args.players)
                cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
                           platform.processor())
                print(f"server_smoke: {args.players} players, sync={args.sync}, nproc={os.cpu_count()}, CPU {cpu}, "
                      f"{time.strftime('%Y-%m-%d')}")
                for p in players:  # warm up: one command each
                    await p.command(0)
                if args.phase in ("closed", "both"):
                    before = sum(p.errors for p in players)
                    t0 = time.perf_counter()
                    lat = await _closed(players, args.seconds)
                    _report("closed", lat, time.perf_counter() - t0, sum(p.errors for p in players) - before)
                if args.phase in ("paced", "both"):
                    before = sum(p.errors for p in players)
                    t0 = time.perf_counter()
                    lat = await _paced(players, args.seconds, args.interval)
                    _report("paced", lat, time.perf_counter() - t0, sum(p.errors for p in players) - before)
                async with http.get(f"{url}/metrics") as r:
                    metrics = {ln.split()[0]: ln.split()[1] for ln in (await r.text()).splitlines()
                               if ln and not ln.startswith("#")}
                commits = int(metrics["alliance_log_commits_total"])
                rows = int(metrics["alliance_log_rows_total"])
                print(f"event log: {rows} rows in {commits} commits ({rows / max(1, commits):.1f} rows per commit)")
                for p in players:
                    await p.ws.close()
        finally:
            proc.terminate()
            proc.wait(20)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--players", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--interval", type=float, default=2.0, help="paced phase: seconds between a player's commands")
    ap.add_argument("--sync", choices=["full", "normal"], default="full")
    ap.add_argument("--phase", choices=["closed", "paced", "both"], default="both")
    asyncio.run(main(ap.parse_args()))
