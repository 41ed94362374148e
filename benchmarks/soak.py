"""Soak test: the real server (`run.py`, its own process and SQLite file, on 127.0.0.1) under
steady load for a long time, with its memory (RSS) and open file descriptors sampled, to
show they stay flat: no leak per command, per socket, per session.

    python benchmarks/soak.py --players 1000 --sessions 10 --minutes 30 --out soak.json
    python benchmarks/soak.py --players 200 --minutes 2                      # a quick look

Load: `--players` simulated players over `--sessions` concurrent sessions (two players per
firm). Each sends one command every `--interval` seconds (jittered): drafts, chat to the
firm or the alliance, pings; each firm's first player submits once per round, so rounds
close and results are pushed to everyone. A session that reaches its debrief (`--rounds`)
is ended and replaced by a new one with new players and new sockets (churn: memory of
ended sessions must be given back). Players are lean raw WebSocket clients (aiohttp +
msgpack), all in this process.

Sampled every `--sample` seconds: server RSS and open fds (/proc), live sockets
(/metrics). Reported: the RSS slope (least squares, MB per minute) over the whole run
and over its second half, RSS and fds at start and end, commands/s, ack latency
p50/p99, errors by code, commands never answered, and (after a clean stop) acknowledged
commands missing from the event log, which must be zero.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import secrets
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
import msgpack

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "benchmarks") not in sys.path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
from load import SERVER_LIMITS, command_line  # noqa: E402  (the join and creation budgets a load test lifts)
# creating sessions needs the admin key: the server started here gets this one; a server
# started by hand (--url) needs ALLIANCE_ADMIN_KEY set to its key
ADMIN_KEY = os.environ.get("ALLIANCE_ADMIN_KEY") or secrets.token_urlsafe(32)
EXPECTED = {"already_submitted", "stale_round", "wrong_phase", "session_ended", "shutting_down"}


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, in value per minute."""
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


@dataclass
class Stats:
    sent: int = 0
    acked: int = 0
    errors: dict = field(default_factory=dict)
    unanswered: int = 0        # no answer while the socket was open: lost
    cut_at_end: int = 0        # sent as the session ended and its sockets closed (not an error)
    latencies: list = field(default_factory=list)
    acked_ids: list = field(default_factory=list)   # (player id, command id)
    sessions_started: int = 0
    sessions_completed: int = 0
    rounds_closed: int = 0
    disconnects: int = 0


class Player:
    """A lean player: one socket, the fields of the view it needs, its pending commands."""

    _ids = itertools.count(1)

    def __init__(self, url: str, joined: dict, stats: Stats, rng: random.Random, submitter: bool,
                 interval: float, domains: list[str]):
        self.url, self.joined, self.stats, self.rng = url, joined, stats, rng
        self.submitter, self.interval, self.domains = submitter, interval, domains
        self.pid, self.firm = joined["player_id"], joined["firm"]
        self.pending: dict[str, tuple[asyncio.Future, float]] = {}
        self.phase, self.round, self.submitted_round = "lobby", 0, 0
        self.ended = asyncio.Event()
        self.closing = False
        self.session_over = False
        self.ws = None

    async def run(self, http: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        self.ws = await http.ws_connect(self.url.replace("http", "ws", 1) + "/ws", max_msg_size=2**24,
                                        heartbeat=None)
        await self.ws.send_bytes(msgpack.packb({"type": "auth", "token": self.joined["player_token"]}))
        reader = asyncio.create_task(self._read())
        try:
            await asyncio.sleep(self.rng.uniform(0, self.interval))
            steps = 0
            while not stop.is_set() and not self.ended.is_set():
                await asyncio.sleep(self.interval * self.rng.uniform(0.5, 1.5))
                if stop.is_set() or self.ended.is_set() or self.ws.closed:
                    break
                steps += 1
                cmd = self._next(steps)
                if cmd is not None:
                    await self._command(cmd)
        finally:
            self.closing = True
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            if not self.ws.closed:
                await self.ws.close()
            for fut, _ in self.pending.values():
                if not fut.done():
                    fut.cancel()

    def _next(self, steps: int) -> dict | None:
        if self.phase != "execution":
            return {"type": "ping"}
        if self.submitter and self.submitted_round < self.round + 1 and steps % 3 == 0:
            self.submitted_round = self.round + 1
            return {"type": "submit", "decision": {"develop": {self.rng.choice(self.domains): self.rng.randint(1, 9)}}}
        r = self.rng.random()
        if r < 0.5:
            return {"type": "draft", "fields": {"develop": {self.rng.choice(self.domains): self.rng.randint(0, 9)}}}
        if r < 0.8:
            return {"type": "chat", "to": self.rng.choice(("firm", "alliance")), "text": f"soak {self.rng.random():.6f}"}
        return {"type": "ping"}

    async def _command(self, cmd: dict) -> None:
        cid = f"k{next(self._ids)}"
        cmd = {**cmd, "id": cid}
        fut = asyncio.get_running_loop().create_future()
        t0 = time.perf_counter()
        self.pending[cid] = (fut, t0)
        self.stats.sent += 1
        try:
            await self.ws.send_bytes(msgpack.packb(cmd))
            msg = await asyncio.wait_for(fut, 30)
        except ConnectionError:
            # the socket closed under it: at the end of a session (expected), else a loss
            if self.session_over or self.closing:
                self.stats.cut_at_end += 1
            else:
                self.stats.unanswered += 1
            return
        except asyncio.TimeoutError:
            self.stats.unanswered += 1  # no answer on an open socket: a lost command
            return
        finally:
            self.pending.pop(cid, None)
        if msg["type"] == "ack":
            self.stats.acked += 1
            self.stats.latencies.append(time.perf_counter() - t0)
            self.stats.acked_ids.append((self.pid, cid))
        else:
            self.stats.errors[msg["code"]] = self.stats.errors.get(msg["code"], 0) + 1

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                if frame.type != aiohttp.WSMsgType.BINARY:
                    break
                m = msgpack.unpackb(frame.data)
                t = m.get("type")
                if t in ("ack", "error"):
                    p = self.pending.get(m.get("id"))
                    if p and not p[0].done():
                        p[0].set_result(m)
                elif t == "view":
                    v = m["view"]
                    self.phase, self.round = v["phase"], v["round"]
                elif t == "round_result" and self.submitter:
                    self.stats.rounds_closed += 1
                elif t == "session_ended":
                    self.session_over = True
                    self.ended.set()
        finally:
            if not self.ended.is_set() and not self.closing:
                self.stats.disconnects += 1  # the server closed a socket of a live session
            self.ended.set()
            for fut, _ in list(self.pending.values()):
                if not fut.done():
                    fut.set_exception(ConnectionError("the socket closed"))


async def _http(http: aiohttp.ClientSession, method: str, url: str, body=None, token=None) -> dict:
    """One JSON request with `token` as the bearer (a facilitator's token, or the admin key)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, url, json=body, headers=headers) as r:
        data = await r.json()
        if r.status >= 400:
            raise RuntimeError(f"{method} {url}: {r.status} {data}")
        return data


async def session_slot(url: str, http, n_players: int, args, stats: Stats, stop: asyncio.Event, rng: random.Random):
    """Run sessions one after another until `stop`: create, join, play to the debrief, end."""
    copies = max(1, n_players // 4)
    while not stop.is_set():
        s = await _http(http, "POST", f"{url}/api/sessions",
                        {"copies": copies, "rounds": args.rounds, "negotiation": False, "round_seconds": 600},
                        ADMIN_KEY)
        stats.sessions_started += 1
        players, seen = [], set()
        for i in range(n_players):
            j = await _http(http, "POST", f"{url}/api/join", {"code": s["code"], "name": f"soak{i}"})
            first = j["firm"] not in seen
            seen.add(j["firm"])
            players.append(Player(url, j, stats, random.Random(rng.random()), first, args.interval,
                                  ["design", "manufacturing", "distribution", "brand"]))
        tasks = [asyncio.create_task(p.run(http, stop)) for p in players]
        await asyncio.sleep(0.5)
        await _http(http, "POST", f"{url}/api/sessions/{s['session_id']}/control", {"action": "start"},
                    s["facilitator_token"])
        # play until the debrief (everyone's view says so) or the end of the run
        while not stop.is_set() and not all(p.phase == "debrief" or p.ended.is_set() for p in players):
            await asyncio.sleep(0.5)
        if not stop.is_set():
            await _http(http, "POST", f"{url}/api/sessions/{s['session_id']}/control", {"action": "end_session"},
                        s["facilitator_token"])
            stats.sessions_completed += 1
        await asyncio.gather(*tasks, return_exceptions=True)


def start_server(db: str, port: int, log_path: str, extra: list[str]) -> subprocess.Popen:
    err = open(log_path, "a")
    proc = subprocess.Popen([sys.executable, "run.py", "--host", "127.0.0.1", "--port", str(port), "--db", db,
                             "--log-level", "warning", *SERVER_LIMITS, *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=err, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", "ALLIANCE_ADMIN_KEY": ADMIN_KEY})
    line = proc.stdout.readline()
    if "running" not in line:
        proc.kill()
        raise RuntimeError(f"the server did not start: {line!r}; see {log_path}")
    return proc


class _External:
    """A server this script did not start: sampled, never stopped."""

    def __init__(self, pid: int):
        self.pid = pid
        self.stdout = open(os.devnull)

    def send_signal(self, sig):
        pass

    def wait(self, timeout=None):
        return None

    def kill(self):
        pass


async def run(args) -> dict:
    import socket
    tmp = tempfile.mkdtemp(prefix="soak-")
    db = args.db or f"{tmp}/soak.db"
    if args.url:  # a server started by hand (e.g. under a profiler): sample --pid
        proc, url = _External(args.pid), args.url.rstrip("/")
        if not args.url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
            raise SystemExit("soak traffic goes to this machine only (127.0.0.1)")
    else:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        proc = start_server(db, port, f"{tmp}/server.log", args.server_args)
        url = f"http://127.0.0.1:{port}"
    stats, samples = Stats(), []
    stop = asyncio.Event()
    t0 = time.monotonic()
    rng = random.Random(args.seed)
    per = [args.players // args.sessions + (1 if i < args.players % args.sessions else 0) for i in range(args.sessions)]
    conn = aiohttp.TCPConnector(limit=0)
    result: dict = {}
    try:
        async with aiohttp.ClientSession(connector=conn) as http:
            slots = [asyncio.create_task(session_slot(url, http, n, args, stats, stop, rng)) for n in per if n >= 4]

            async def sample():
                async with http.get(f"{url}/metrics") as r:
                    text = await r.text()
                live = next((int(float(line.split()[1])) for line in text.splitlines()
                             if line.startswith("alliance_connections ")), -1)
                samples.append({"t": round(time.monotonic() - t0, 1), "rss_mb": round(rss_mb(proc.pid), 1),
                                "fds": fds(proc.pid), "sockets": live, "acked": stats.acked})
                if args.verbose:
                    print(json.dumps(samples[-1]), flush=True)

            end = t0 + args.minutes * 60
            while time.monotonic() < end:
                if any(t.done() and t.exception() for t in slots):
                    raise next(t.exception() for t in slots if t.done() and t.exception())
                await sample()
                await asyncio.sleep(min(args.sample, max(0.0, end - time.monotonic())))
            stop.set()
            await asyncio.wait_for(asyncio.gather(*slots, return_exceptions=True), 60)
            await asyncio.sleep(1.0)
            await sample()  # after every socket of the run has gone
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait(10)
        proc.stdout.close()
    # every acknowledged command is in the event log
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    logged = set(con.execute("SELECT actor, command_id FROM log WHERE kind = 'command'"))
    con.close()
    missing = sum(1 for k in stats.acked_ids if k not in logged)
    duration = time.monotonic() - t0
    loaded = [s for s in samples[:-1] if s["t"] >= 0]
    half = [s for s in loaded if s["t"] >= loaded[-1]["t"] / 2] if loaded else []
    lat = sorted(stats.latencies)
    q = (lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2)) if lat else (lambda p: None)
    result = {
        "command": command_line("benchmarks/soak.py", sys.argv[1:]) if args.from_cli else None,
        "players": args.players, "sessions": args.sessions, "interval_s": args.interval, "rounds": args.rounds,
        "minutes": round(duration / 60, 2),
        "server_exit_code": code,
        "commands_sent": stats.sent, "commands_acked": stats.acked,
        "commands_per_s": round(stats.acked / duration, 1),
        "ack_latency_ms": {"p50": q(0.50), "p99": q(0.99), "max": q(1.0)},
        "errors": stats.errors,
        "unexpected_errors": {k: v for k, v in stats.errors.items() if k not in EXPECTED},
        "unanswered": stats.unanswered, "cut_at_session_end": stats.cut_at_end,
        "acked_missing_from_log": missing,
        "sessions_started": stats.sessions_started, "sessions_completed": stats.sessions_completed,
        "rounds_closed": stats.rounds_closed, "unexpected_disconnects": stats.disconnects,
        "rss_mb": {"start": loaded[0]["rss_mb"] if loaded else None, "end": loaded[-1]["rss_mb"] if loaded else None,
                   "max": max((s["rss_mb"] for s in loaded), default=None),
                   "after_load": samples[-1]["rss_mb"] if samples else None},
        "rss_slope_mb_per_min": {"whole": round(slope_per_minute([(s["t"], s["rss_mb"]) for s in loaded]), 3),
                                 "second_half": round(slope_per_minute([(s["t"], s["rss_mb"]) for s in half]), 3)},
        "fds": {"start": loaded[0]["fds"] if loaded else None, "end": loaded[-1]["fds"] if loaded else None,
                "max": max((s["fds"] for s in loaded), default=None),
                "after_load": samples[-1]["fds"] if samples else None},
        "fd_slope_per_min": {"second_half": round(slope_per_minute([(s["t"], s["fds"]) for s in half]), 3)},
        "samples": samples,
        "db": os.path.basename(db),  # (its name: no machine path in a results file)
    }
    return result


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--players", type=int, default=1000)
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--interval", type=float, default=2.0, help="seconds between a player's commands (jittered)")
    p.add_argument("--rounds", type=int, default=8, help="rounds per session before it ends and is replaced")
    p.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--db", default=None, help="the event log (default: a new file in a temporary folder)")
    p.add_argument("--url", default=None, help="drive a server already running on this machine (with --pid, --db)")
    p.add_argument("--pid", type=int, default=None, help="the pid of the --url server, for sampling")
    p.add_argument("--out", default=None, help="write the result as JSON here")
    p.add_argument("--server-args", nargs=argparse.REMAINDER, default=[], help="passed to run.py (last)")
    p.add_argument("-v", "--verbose", action="store_true", help="print every sample")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.from_cli = argv is None
    result = asyncio.run(run(args))
    summary = {k: v for k, v in result.items() if k != "samples"}
    print(json.dumps(summary, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))
    ok = not result["unexpected_errors"] and result["acked_missing_from_log"] == 0 and result["unanswered"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
