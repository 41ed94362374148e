"""Load benchmark: the real server (`run.py`, its own process and SQLite file) driven by N
simulated players over real WebSockets, one socket each.

    python benchmarks/load.py paced    --players 2000 --interval 2 --seconds 30   # the 2,000-player target
    python benchmarks/load.py exchange --players 200 --messages 40                # one in flight (oTree pattern)
    python benchmarks/load.py fanout   --players 1000 --rounds 5                  # results push to one session
    python benchmarks/load.py store    --seconds 5                                # durable events/s (store level)
    python benchmarks/load.py restart  --sessions 100                             # kill -9, time to healthy
    ... --out benchmarks/results/NAME.json   (raw figures as JSON; always printed too)

By default the load generator is a lean asyncio loop (aiohttp WebSocket client + msgpack,
the live protocol of docs/protocol.md). `paced --client project` drives every player with
the project's own client instead, `clients/python/client.py` (`GameClient`: the
`websockets` library, the player's view kept up to date from the deltas, seq checks,
re-sends), which costs the load generator more CPU per socket. The players are split over `--workers` load-generator processes (spawned,
one event loop each, uvloop when installed); the server runs alone in its own process.
Latencies are measured in the load generators with `time.perf_counter()` (CLOCK_MONOTONIC,
the same clock in every process of the machine).

`paced`: players are spread over sessions of `--per-session` players (two players per firm,
two firms per alliance). Three sessions in four are in the execution phase (drafts, chat to
the firm and to the alliance, one submission per firm and round: rounds close and results
are pushed to the whole session during the run); one in four is in the negotiation phase
(the west firm's players put offers on the table, everyone drafts and chats). Every player
sends one command every `--interval` seconds (randomly phased). Reported: commands/s,
ack latency p50/p95/p99/max, errors (an `error` reply), lost commands (sent, never answered
within `--drain` seconds after the end), fan-out latency of the round results pushed during
the run, server RSS and CPU.

Environment: LOAD_SERVER_ROOT=<folder> runs the server from another checkout (e.g. an
unpacked `git archive HEAD`, for before/after figures in one run); LOAD_SERVER_SCRIPT=<file>
runs another start script (e.g. one that logs GC pauses). `--profile FILE` records the
server with py-spy (collapsed stacks).
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import os
import platform
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import msgpack

ROOT = Path(__file__).resolve().parent.parent
# creating sessions needs the server's admin key: the servers started here get this one
ADMIN_KEY = os.environ.get("ALLIANCE_ADMIN_KEY") or secrets.token_urlsafe(32)
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
# a benchmark creates sessions faster and larger than a class does (restart: 100 at once;
# fan-out: 250 copies in one session)
# a load test joins thousands of players from one address into one session: lift the join
# budgets (issue 13) that protect a classroom from a flood, or the run measures 429s
SERVER_LIMITS = ["--max-copies", "500", "--create-rate", "100000", "--create-total-rate", "100000",
                 "--joins-per-address", "1000000", "--joins-per-session", "1000000"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from game_rules.session.deltas import DELTA_VERSION  # noqa: E402  (the format this checkout's clients read)

now = time.perf_counter


def server_delta_version() -> int:
    """The newest round-delta format the server under test writes: its checkout's
    `DELTA_VERSION` (LOAD_SERVER_ROOT's, e.g. 2 before 2026-12-01, when version 3 made a
    delta cite its round's results), so `--deltas` compares trees with the deltas each sends."""
    root = os.environ.get("LOAD_SERVER_ROOT")
    if not root:
        return DELTA_VERSION
    for line in (Path(root) / "game_rules" / "session" / "deltas.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("DELTA_VERSION ="):
            return int(line.split("=")[1].split("#")[0])
    return DELTA_VERSION


def use_uvloop() -> str:
    """uvloop for the load generator when installed (Linux); the stock loop otherwise."""
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"


# ---- statistics -------------------------------------------------------------------------

def pct(xs: list[float], p: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def summary_ms(xs: list[float]) -> dict:
    """p50/p95/p99/max/mean in milliseconds of latencies in seconds."""
    if not xs:
        return {"n": 0}
    s = sorted(xs)
    f = lambda v: round(v * 1000, 2)  # noqa: E731
    return {"n": len(s), "p50": f(pct(s, 50)), "p95": f(pct(s, 95)), "p99": f(pct(s, 99)),
            "max": f(s[-1]), "mean": f(statistics.fmean(s))}


def save(res: dict, out: str | None) -> None:
    """`--out`: the whole result as JSON, the file docs/benchmarks.md quotes."""
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(res, indent=1) + "\n")


def command_line(script: str, argv: list[str]) -> str:
    """The command a results file records: an absolute path in it (`--out /tmp/x.json`) by its
    name alone, so no file names a folder of the machine it ran on."""
    return " ".join(["python", script, *(os.path.basename(a) if os.path.isabs(a) else a for a in argv)])


def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
               platform.processor())
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d %H:%M"), "loadavg_at_start": os.getloadavg()}


# ---- the server under test -------------------------------------------------------------

def _proc_cpu(path: str) -> tuple[int, float]:
    """(parent pid, user + system seconds) from a /proc stat file."""
    f = open(path).read().rsplit(")", 1)[1].split()
    return int(f[1]), (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds(exclude: int | None = None) -> dict[int, float]:
    """pid -> CPU seconds of this process's live children (the load generator's worker
    processes), `exclude` (the server) left out: what the clients cost is on the same cores."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != exclude:
            try:
                ppid, cpu = _proc_cpu(f"/proc/{d}/stat")
            except (OSError, ValueError, IndexError):
                continue
            if ppid == os.getpid():
                out[int(d)] = cpu
    return out


def cpu_between(before: dict, after: dict) -> float:
    """CPU seconds spent between two `children_cpu_seconds` (or thread) readings."""
    return sum(c - before.get(k, c) for k, c in after.items())


def threads_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds of each thread of `pid`: "loop" (the process's first thread: the server's
    event loop) and "thread <tid>" (the log writer, executor threads)."""
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            out["loop" if int(t) == pid else f"thread {t}"] = _proc_cpu(f"/proc/{pid}/task/{t}/stat")[1]
        except OSError:
            continue
    return out


class ServerProcess:
    """`python run.py` on a free port with its own SQLite file; RSS and CPU from /proc."""

    def __init__(self, db: str, sync: str = "full", extra: list[str] | None = None, profile: str | None = None):
        self.db, self.sync, self.extra, self.profile = db, sync, extra or [], profile
        self.proc: subprocess.Popen | None = None
        self.spy: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> "ServerProcess":
        self.proc = subprocess.Popen(
            [sys.executable, os.environ.get("LOAD_SERVER_SCRIPT", "run.py"), "--port", "0", "--db", self.db, "--log-level", "warning",
             "--sync", self.sync, *SERVER_LIMITS, *self.extra],
            cwd=os.environ.get("LOAD_SERVER_ROOT", ROOT), stdout=subprocess.PIPE, text=True,
            env={**os.environ, "ALLIANCE_ADMIN_KEY": ADMIN_KEY})
        line = self.proc.stdout.readline()
        if "open " not in line:
            raise RuntimeError(f"server did not start: {line!r}")
        self.url = line.split("open ")[1].split()[0].rstrip("/")
        if self.profile:  # py-spy (pip install py-spy) until stop(); collapsed stacks
            self.spy = subprocess.Popen(["py-spy", "record", "--format", "raw", "-o", self.profile, "-r", "200",
                                         "-p", str(self.proc.pid)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        f = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def thread_cpu_seconds(self) -> dict[str, float]:
        return threads_cpu_seconds(self.pid)

    def rss_mb(self) -> dict:
        d = {}
        for ln in open(f"/proc/{self.pid}/status"):
            if ln.startswith(("VmRSS", "VmHWM")):
                k, v = ln.split(":")
                d[k] = round(int(v.split()[0]) / 1024, 1)
        return {"rss_mb": d.get("VmRSS"), "peak_rss_mb": d.get("VmHWM")}

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.spy is not None and self.spy.poll() is None:
            self.spy.send_signal(signal.SIGINT)
            self.spy.wait(60)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


async def metrics(http: aiohttp.ClientSession, url: str) -> dict:
    async with http.get(f"{url}/metrics") as r:
        out = {}
        for ln in (await r.text()).splitlines():
            if ln and not ln.startswith("#"):
                k, v = ln.rsplit(" ", 1)
                out[k] = float(v)
        return out


def gc_during(m0: dict, m1: dict) -> dict:
    """The server's collector between two `/metrics` reads (server/gctune.py): passes and
    pause milliseconds per generation, and the longest pause since the server started."""
    out = {}
    for g in "012":
        k = f'{{generation="{g}"}}'
        if f"alliance_gc_collections_total{k}" not in m1:
            return {}  # a server from before the metric
        out[f"gen{g}"] = {
            "passes": int(m1[f"alliance_gc_collections_total{k}"] - m0[f"alliance_gc_collections_total{k}"]),
            "pause_ms": round(1000 * (m1[f"alliance_gc_pause_seconds_total{k}"] - m0[f"alliance_gc_pause_seconds_total{k}"]), 1),
            "longest_since_start_ms": round(1000 * m1[f"alliance_gc_pause_longest_seconds{k}"], 1)}
    return out


def long_items(m0: dict, m1: dict, window: float) -> dict:
    """The event loop's long items between two `/metrics` reads (benchmarks/server_long_items.py):
    per kind, items, their CPU (ms, and ms per second of the window) and wall ms; the loop's
    busy share; the collector's passes; the items long on the clock only (`wall`)."""
    d = {k[11:]: m1[k] - m0.get(k, 0) for k in m1 if k.startswith("bench_long_")}
    if not d:
        return {}
    out = {"loop_busy_percent": round(d["busy_us"] / 1e4 / window, 1),
           "loop_busy_cpu_percent": round(d["busy_cpu_us"] / 1e4 / window, 1), "callbacks": int(d["callbacks_n"])}
    kinds = {k[:-2] for k in d if k.endswith("_n")} - {"callbacks"}
    for k in sorted(kinds, key=lambda k: -d.get(k + "_cpu_us", 0)):
        if not d[k + "_n"]:
            continue
        if k.startswith("over_") or k.endswith("_over_long"):
            out[k] = int(d[k + "_n"])
            continue
        out[k] = {"items": int(d[k + "_n"]), "cpu_ms": round(d.get(k + "_cpu_us", 0) / 1000, 1),
                  "cpu_ms_per_s": round(d.get(k + "_cpu_us", 0) / 1000 / window, 1)}
        if k + "_us" in d:
            out[k]["wall_ms"] = round(d[k + "_us"] / 1000, 1)
        if k + "_collected" in d:
            out[k]["collected"] = int(d[k + "_collected"])
    out["share_of_long_items_cpu_ms"] = {k[6:-3]: round(v / 1000, 1) for k, v in sorted(d.items(), key=lambda kv: -kv[1])
                                         if k.startswith("share_") and v >= 100}
    return out


# ---- session setup over HTTP ------------------------------------------------------------

async def create_session(http, url, *, copies: int, negotiation: bool, rounds: int = 50) -> dict:
    body = {"copies": copies, "rounds": rounds, "negotiation": negotiation, "round_seconds": 86400,
            "negotiation_seconds": 86400, "members_submit": "any", "seed": 1}
    async with http.post(f"{url}/api/sessions", json=body, headers=ADMIN) as r:
        assert r.status == 201, await r.text()
        return await r.json()


async def start_session(http, url, s: dict) -> None:
    async with http.post(f"{url}/api/sessions/{s['session_id']}/control", json={"action": "start"},
                         headers={"Authorization": f"Bearer {s['facilitator_token']}"}) as r:
        assert r.status == 200, await r.text()


async def join_all(http, url, code: str, n: int, sem: asyncio.Semaphore) -> list[dict]:
    async def one(i):
        async with sem:
            async with http.post(f"{url}/api/join", json={"code": code, "name": f"p{i}"}) as r:
                assert r.status == 200, await r.text()
                return await r.json()
    # joins of one session are sequential in its actor anyway; keep the order stable
    return [await one(i) for i in range(n)]


def default_terms(copy: int, west: str, east: str, split_west: float) -> dict:
    """A legal term sheet for alliance `a<copy>` of the classic scenario."""
    return {"scope": ["design", "manufacturing"], "contributions": {west: ["design"], east: ["manufacturing"]},
            "min_effort": {west: 15.0, east: 15.0}, "split": {west: split_west, east: round(1 - split_west, 2)},
            "duration": 8, "release": "staged", "milestone": 25.0}


async def setup_players(url: str, players: int, per_session: int, negotiation_every: int) -> tuple[list[dict], list[dict]]:
    """Create sessions, join every player, start them. Returns (player specs, sessions)."""
    specs, sessions = [], []
    sem = asyncio.Semaphore(32)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        sizes = []
        left = players
        while left > 0:
            sizes.append(min(per_session, left))
            left -= sizes[-1]

        async def one_session(k: int, size: int):
            copies = max(1, (size + 3) // 4)           # two firms per copy, two players per firm
            neg = negotiation_every > 0 and k % negotiation_every == negotiation_every - 1
            s = await create_session(http, url, copies=copies, negotiation=neg)
            joined = await join_all(http, url, s["code"], size, sem)
            await start_session(http, url, s)
            return k, s, neg, joined
        done = await asyncio.gather(*(one_session(k, n) for k, n in enumerate(sizes)))
        for k, s, neg, joined in sorted(done, key=lambda x: x[0]):
            sessions.append({"session_id": s["session_id"], "negotiation": neg, "players": len(joined),
                             "facilitator_token": s["facilitator_token"]})
            seen_firm: set[str] = set()
            for j in joined:
                firm = j["firm"]
                copy = int("".join(c for c in firm if c.isdigit()))
                role = firm.rstrip("0123456789")
                specs.append({"token": j["player_token"], "firm": firm, "session": k, "negotiation": neg,
                              "copy": copy, "role": role, "submitter": firm not in seen_firm})
                seen_firm.add(firm)
    return specs, sessions


# ---- the simulated player (runs in a load-generator process) ----------------------------

class Player:
    __slots__ = ("spec", "ws", "ids", "pending", "lat", "lat_by_type", "errors", "error_codes", "sent",
                 "acked", "closed_round", "submitted_round", "echo", "echo_lat", "round_seen", "pushes",
                 "reader", "rng", "welcome", "changed", "dups", "submit_acks", "frame_bytes", "waiter")

    def __init__(self, spec: dict, rng: random.Random):
        self.spec = spec
        self.ws = None
        self.ids = 0
        self.pending: dict[str, tuple[float, str]] = {}   # id -> (sent at, type)
        self.lat: list[float] = []
        self.lat_by_type: dict[str, list[float]] = {}
        self.errors = 0
        self.error_codes: dict[str, int] = {}
        self.sent = 0
        self.acked = 0
        self.closed_round = 0        # last round whose round_result we saw
        self.submitted_round = 0     # round our firm last submitted (from the ack)
        self.echo: dict[str, float] = {}   # chat text -> sent at (exchange: own line back)
        self.echo_lat: list[float] = []
        self.round_seen: dict[int, dict[str, float]] = {}  # round -> {"round_result": t, "view": t}
        self.frame_bytes = 0                 # the size of the frame being read
        self.pushes = 0
        self.reader = None
        self.rng = rng
        self.welcome = asyncio.get_running_loop().create_future()
        self.changed = asyncio.Event()       # set on every ack / error / chat line
        self.dups = 0                        # acks marked `duplicate` (a re-sent id)
        self.submit_acks: dict[int, float] = {}  # round -> when this player's submission was acked
        self.waiter = None                   # exchange: (id, text, future) until the ack and own line are back

    async def connect(self, http: aiohttp.ClientSession, ws_url: str) -> None:
        self.ws = await http.ws_connect(ws_url, max_msg_size=2**24, autoping=True)
        auth = {"type": "auth", "token": self.spec["token"]}
        if self.spec.get("deltas"):  # fanout --deltas: the new round's view as a round_delta
            auth["deltas"] = self.spec["deltas"]
        await self.ws.send_bytes(msgpack.packb(auth))
        self.reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self.welcome, 60)

    async def _read(self) -> None:
        unpack = msgpack.unpackb
        BIN = aiohttp.WSMsgType.BINARY
        async for frame in self.ws:
            if frame.type != BIN:
                continue
            t = now()
            self.frame_bytes = len(frame.data)
            m = unpack(frame.data)
            typ = m["type"]
            if typ == "ack" or typ == "error" or typ == "chat":
                self.changed.set()
            if typ == "ack" or typ == "error":
                p = self.pending.pop(m.get("id"), None)
                if "line" in m:  # the sender's own line inside its ack (benchmarks/floor.py --frames 2)
                    self.on_push("chat", m["line"], t)
                if self.waiter is not None:
                    self._answered()
                if p is None:
                    continue
                if typ == "ack":
                    self.acked += 1
                    if m.get("duplicate"):
                        self.dups += 1
                    d = t - p[0]
                    self.lat.append(d)
                    self.lat_by_type.setdefault(p[1], []).append(d)
                    if p[1] == "submit":
                        self.submitted_round = m["result"]["round"]
                        self.submit_acks[self.submitted_round] = t
                else:
                    self.errors += 1
                    self.error_codes[m["code"]] = self.error_codes.get(m["code"], 0) + 1
                continue
            self.on_push(typ, m, t)
            if typ == "chat" and self.waiter is not None:
                self._answered()

    def _answered(self) -> None:
        """Exchange: resolve the waiter once its command's ack and own line are both back."""
        cid, text, fut = self.waiter
        if cid not in self.pending and text not in self.echo and not fut.done():
            self.waiter = None
            fut.set_result(None)

    def on_push(self, typ: str, m: dict, t: float) -> None:
        """A server push (not an answer) received at `t`."""
        self.pushes += 1
        if typ == "chat":
            s = self.echo.pop(m["text"], None)
            if s is not None:
                self.echo_lat.append(t - s)
        elif typ == "round_result":
            r = m["round"]
            self.closed_round = max(self.closed_round, r)
            self.round_seen.setdefault(r, {})["round_result"] = t
        elif typ == "view" or typ == "round_delta":  # the complete new round: its full view, or its delta
            cr = m["view"].get("current_round") if typ == "view" else m["round"]
            if cr and cr - 1 in self.round_seen and "view" not in self.round_seen[cr - 1]:
                self.round_seen[cr - 1]["view"] = t
                self.round_seen[cr - 1]["view_bytes"] = self.frame_bytes
            if not self.welcome.done():
                self.welcome.set_result(None)
        elif typ == "welcome":
            pass

    async def send(self, frame: dict) -> str:
        self.ids += 1
        cid = f"c{self.ids}"
        frame["id"] = cid
        self.pending[cid] = (now(), frame["type"])
        self.sent += 1
        await self.ws.send_bytes(msgpack.packb(frame))
        return cid

    def next_command(self) -> dict:
        """The realistic mix (see the module doc)."""
        s, r = self.spec, self.rng.random()
        i = self.ids
        if s["negotiation"]:
            if s["role"] == "west" and r < 0.4:
                west, east = s["firm"], f"east{s['copy']}"
                return {"type": "negotiate", "action": "offer",
                        "terms": default_terms(s["copy"], west, east, round(0.45 + 0.01 * (i % 15), 2))}
            r = self.rng.random()
        elif (s["submitter"] and self.submitted_round <= self.closed_round and r < 0.25
              and not any(v[1] == "submit" for v in self.pending.values())):
            return {"type": "submit", "decision": {"develop": {"design": 10.0}, "protect": 5.0}}
        if r < 0.5:
            return {"type": "draft", "fields": {"develop": {"design": float(i % 30)}, "protect": float(i % 7)}}
        if r < 0.75:
            return {"type": "chat", "to": "firm", "text": f"firm line {i}"}
        return {"type": "chat", "to": "alliance", "text": f"alliance line {i}"}

    def results(self) -> dict:
        return {"lat": self.lat, "lat_by_type": self.lat_by_type, "errors": self.errors,
                "error_codes": self.error_codes, "sent": self.sent, "acked": self.acked,
                "lost": len(self.pending), "echo_lat": self.echo_lat, "pushes": self.pushes,
                "round_seen": [self.round_seen],
                "by_session": [(self.spec.get("session"), self.round_seen, self.submit_acks)]}


class ProjectPlayer(Player):
    """The same player over the project's own client, `clients/python/client.py`
    (`--client project`): a `GameClient` per player (the `websockets` library, msgpack),
    which keeps the player's view up to date from the deltas, checks `seq`, and would
    reconnect and re-send unanswered ids. Heavier per socket than the lean loop above."""

    __slots__ = ("client", "tasks")

    async def connect(self, http: aiohttp.ClientSession, ws_url: str) -> None:
        from clients.python.client import GameClient
        self.tasks = set()
        self.client = GameClient(ws_url, self.spec["token"], command_timeout=600, on_push=self._pushed,
                                 name=self.spec["token"][:6])
        self.ws = self.client  # `close()` at the end
        await asyncio.wait_for(self.client.connect(), 60)

    def _pushed(self, m: dict) -> None:
        typ = m.get("type")
        if typ not in ("ack", "error"):  # answers come back through `command`
            if typ == "chat":
                self.changed.set()
            self.on_push(typ, m, now())

    async def send(self, frame: dict) -> str:
        self.ids += 1
        cid = f"c{self.ids}"
        self.pending[cid] = (now(), frame["type"])
        self.sent += 1
        task = asyncio.create_task(self._command(cid, dict(frame)))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return cid

    async def _command(self, cid: str, frame: dict) -> None:
        from clients.python.client import CommandError, ConnectionLost
        t0, typ = self.pending[cid]
        try:
            result = await self.client.command(frame.pop("type"), id=cid, **frame)
        except CommandError as e:
            self.pending.pop(cid, None)
            self.errors += 1
            self.error_codes[e.code] = self.error_codes.get(e.code, 0) + 1
        except (asyncio.TimeoutError, ConnectionLost):
            return  # stays pending: counted as lost
        else:
            self.pending.pop(cid, None)
            d = now() - t0
            self.acked += 1
            self.lat.append(d)
            self.lat_by_type.setdefault(typ, []).append(d)
            if typ == "submit" and result:
                self.submitted_round = result["round"]
                self.submit_acks[self.submitted_round] = now()
        self.changed.set()


async def _paced_loop(p: Player, start: float, end: float, interval: float) -> None:
    await asyncio.sleep(max(0.0, start - now()) + p.rng.random() * interval)
    nxt = now()
    while nxt < end:
        await p.send(p.next_command())
        nxt += interval
        await asyncio.sleep(max(0.0, nxt - now()))


async def _exchange_loop(p: Player, start: float, messages: int, timeout: float = 60) -> None:
    """One message in flight: a chat line to the firm (persisted, broadcast to the firm,
    sender included); the next one goes when both the ack and the own line are back."""
    await asyncio.sleep(max(0.0, start - now()))
    loop = asyncio.get_running_loop()
    for k in range(messages):
        text = f"offer {k} {p.spec['token'][:6]}"
        t = now()
        p.echo[text] = t
        # one future per command, resolved by the reader (no task per wake-up: the
        # generator shares the two cores with the server, as the echo's clients do)
        fut = loop.create_future()
        p.waiter = (f"c{p.ids + 1}", text, fut)
        await p.send({"type": "chat", "to": "firm", "text": text})
        try:
            await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            p.waiter = None
            return


def _worker_main(specs: list[dict], ws_url: str, conn, mode: str, opts: dict, seed: int) -> None:
    use_uvloop()
    asyncio.run(_worker(specs, ws_url, conn, mode, opts, seed))


async def _worker(specs, ws_url, conn, mode, opts, seed) -> None:
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    cpu_mark = 0.0
    kind = ProjectPlayer if opts.get("client") == "project" else Player
    players = [kind(s, random.Random(rng.random())) for s in specs]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        sem = asyncio.Semaphore(50)

        async def connect(p):
            async with sem:  # (a spec may name its own server: benchmarks/processes.py)
                await p.connect(http, p.spec.get("ws_url") or ws_url)
        try:
            await asyncio.gather(*(connect(p) for p in players))
        except Exception as e:  # report and stop: the main process fails the run
            conn.send({"error": f"connect failed: {e!r}"})
            return
        settle_heap()
        conn.send({"ready": len(players)})
        while True:
            msg = await loop.run_in_executor(None, conn.recv)
            if msg["cmd"] == "paced":
                cpu0, lag = time.process_time(), []
                ticker = asyncio.create_task(_lag_monitor(lag))
                # the window lasts until `end` also when none of these players sends (`--active 0`:
                # the server's CPU with its sockets connected and idle)
                await asyncio.gather(asyncio.sleep(max(0.0, msg["end"] - now())),
                                     *(_paced_loop(p, msg["start"], msg["end"], opts["interval"]) for p in players
                                       if p.spec.get("active", True)))
                ticker.cancel()
                cpu = time.process_time() - cpu0
                await _drain(players, opts.get("drain", 10))
                conn.send({**_merge(players), "cpu_s": cpu, "lag": lag})
            elif msg["cmd"] == "exchange":
                await asyncio.gather(*(_exchange_loop(p, msg["start"], opts["messages"]) for p in players))
                await _drain(players, opts.get("drain", 10))
                conn.send(_merge(players))
            elif msg["cmd"] == "presubmit":  # fan-out: every firm but the last submits
                r = msg["round"]
                subs = [p for p in players if p.spec["submitter"] and p.spec["firm"] != msg["last_firm"]]
                await asyncio.gather(*(p.send({"type": "submit", "decision": {"develop": {"design": 5.0}}})
                                       for p in subs))
                await _drain(subs, 60)
                cpu_mark = time.process_time()   # the round's end, from here until its collection
                conn.send({"done": r, "errors": sum(p.errors for p in subs)})
            elif msg["cmd"] == "collect":  # fan-out: receipt times of round r's results
                r = msg["round"]
                t_end = now() + 30
                while now() < t_end and not all("view" in p.round_seen.get(r, {}) for p in players):
                    await asyncio.sleep(0.01)
                conn.send({"round": r, "seen": [p.round_seen.get(r, {}) for p in players],
                           "cpu_s": time.process_time() - cpu_mark})
            elif msg["cmd"] == "close":
                await asyncio.gather(*(p.ws.close() for p in players), return_exceptions=True)
                conn.send({"closed": True})
                return


def settle_heap() -> None:
    """The players are connected: what they hold so far (sockets, sessions, specs) leaves the
    collector's generations (`gc.freeze`). A load-generator process holds hundreds of
    players' objects, and CPython's full collections walked all of them while frames were
    waiting: 38-94 ms passes in the middle of a round's end at 500 players per process
    (`fanout`, 2026-11-30), a pause no player's own device has; each player's receipts are
    still taken as its frames are read."""
    gc.collect()
    gc.freeze()


async def _lag_monitor(out: list[float], every: float = 0.01) -> None:
    """How late a 10 ms timer fires in the load generator (its own event-loop lag)."""
    while True:
        t = now()
        await asyncio.sleep(every)
        out.append(now() - t - every)


async def _drain(players: list[Player], seconds: float) -> None:
    end = now() + seconds
    while now() < end and any(p.pending for p in players):
        await asyncio.sleep(0.02)


def _merge(players: list[Player]) -> dict:
    """Every player's figures summed (see `_combine`); the players start afresh."""
    out = _combine([p.results() for p in players])
    for p in players:
        p.lat, p.echo_lat, p.lat_by_type, p.errors, p.sent, p.acked, p.pushes = [], [], {}, 0, 0, 0, 0
        p.error_codes = {}
    return out


class Workers:
    """Load-generator processes, each holding a share of the players' sockets."""

    def __init__(self, specs: list[dict], ws_url: str, n: int, mode: str, opts: dict):
        ctx = mp.get_context("spawn")
        self.procs, self.conns = [], []
        n = max(1, min(n, len(specs)))
        for k in range(n):
            a, b = ctx.Pipe()
            proc = ctx.Process(target=_worker_main, args=(specs[k::n], ws_url, b, mode, opts, k), daemon=True)
            proc.start()
            self.procs.append(proc)
            self.conns.append(a)
        for c in self.conns:
            m = c.recv()
            if "error" in m:
                self.close()
                raise RuntimeError(m["error"])

    def ask(self, msg: dict) -> list[dict]:
        for c in self.conns:
            c.send(msg)
        return [c.recv() for c in self.conns]

    async def aask(self, msg: dict) -> list[dict]:
        return await asyncio.get_running_loop().run_in_executor(None, self.ask, msg)

    def close(self) -> None:
        try:
            for c in self.conns:
                c.send({"cmd": "close"})
            for c in self.conns:
                if c.poll(20):
                    c.recv()
        except (BrokenPipeError, EOFError, OSError):
            pass
        for p in self.procs:
            p.join(10)
            if p.is_alive():
                p.terminate()


def _combine(parts: list[dict]) -> dict:
    """Figures of several players or load-generator processes as one."""
    out = {"lat": [], "echo_lat": [], "lat_by_type": {}, "errors": 0, "error_codes": {}, "sent": 0, "acked": 0,
           "lost": 0, "pushes": 0, "round_seen": [], "by_session": []}
    for r in parts:
        out["lat"] += r["lat"]
        out["echo_lat"] += r["echo_lat"]
        for k, v in r["lat_by_type"].items():
            out["lat_by_type"].setdefault(k, []).extend(v)
        for k, v in r["error_codes"].items():
            out["error_codes"][k] = out["error_codes"].get(k, 0) + v
        for k in ("errors", "sent", "acked", "lost", "pushes"):
            out[k] += r[k]
        out["round_seen"] += r["round_seen"]
        out["by_session"] += r["by_session"]
    return out


def results_push_latency(by_session: list[tuple]) -> dict:
    """Paced mode: each player's receipt of a round's `round_result` minus the last
    acknowledged submission of that round in its session (the one that closed it), clamped
    at 0 (the closing submitter's own ack may leave after others' results)."""
    closing: dict[tuple, float] = {}
    for session, _, acks in by_session:
        for rnd, t in acks.items():
            closing[session, rnd] = max(closing.get((session, rnd), 0.0), t)
    lat = [max(0.0, seen["round_result"] - closing[session, rnd])
           for session, rounds, _ in by_session for rnd, seen in rounds.items()
           if "round_result" in seen and (session, rnd) in closing]
    return summary_ms(lat)


# ---- modes ------------------------------------------------------------------------------

def mark_active(specs: list[dict], sessions: list[dict], active: int | None) -> int:
    """Whole sessions are active (every player sends) or idle (connected, sends nothing),
    so every active session closes rounds as in a class; returns the active players."""
    if active is None:
        return len(specs)
    count, on = 0, set()
    for k, s in enumerate(sessions):
        if count + s["players"] <= active:
            on.add(k)
            count += s["players"]
        s["active"] = k in on
    for spec in specs:
        spec["active"] = spec["session"] in on
    return count


def fd_limit() -> int:
    """Open files allowed (each socket is one): the soft limit raised to the hard one, for
    this process and the server and load generators it starts (they inherit it)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def run_paced(a) -> dict:
    if fd_limit() < a.players + 200:
        raise SystemExit(f"{a.players} sockets need more open files than the limit ({fd_limit()}): raise `ulimit -n`")
    with tempfile.TemporaryDirectory() as tmp:
        srv = ServerProcess(f"{tmp}/load.db", a.sync, profile=a.profile).start()
        try:
            t0 = now()
            specs, sessions = await setup_players(srv.url, a.players, a.per_session, a.negotiation_every)
            active = mark_active(specs, sessions, getattr(a, "active", None))
            setup_s = now() - t0
            ws_url = srv.url.replace("http", "ws", 1) + "/ws"
            workers = Workers(specs, ws_url, a.workers, "paced",
                              {"interval": a.interval, "drain": a.drain, "client": a.client})
            connect_s = now() - t0 - setup_s
            try:
                async with aiohttp.ClientSession() as http:
                    m0 = await metrics(http, srv.url)
                    mem_idle = srv.rss_mb()
                    start = now() + 1.0
                    cpu0, w0 = srv.cpu_seconds(), now()
                    fut = asyncio.ensure_future(workers.aask({"cmd": "paced", "start": start,
                                                              "end": start + a.seconds}))
                    # sample server RSS while the run goes
                    peak = 0.0
                    while not fut.done():
                        peak = max(peak, srv.rss_mb()["rss_mb"] or 0)
                        await asyncio.sleep(0.5)
                    parts = await fut
                    cpu1, w1 = srv.cpu_seconds(), now()

                    m1 = await metrics(http, srv.url)
                    mem = srv.rss_mb()
            finally:
                workers.close()
        finally:
            srv.stop()
    r = _combine(parts)
    gen_cpu = [round(100 * p["cpu_s"] / (a.seconds + 1), 1) for p in parts]
    gen_lag = summary_ms([x for p in parts for x in p["lag"]])
    rows = m1["alliance_log_rows_total"] - m0["alliance_log_rows_total"]
    commits = m1["alliance_log_commits_total"] - m0["alliance_log_commits_total"]
    closed = sum(1 for rs in r["round_seen"] for d in rs.values() if "round_result" in d)
    return {
        "mode": "paced", "client": a.client, "players": a.players, "active_players": active,
        "sessions": len(sessions), "per_session": a.per_session,
        "negotiation_sessions": sum(s["negotiation"] for s in sessions), "interval_s": a.interval,
        "seconds": a.seconds, "workers": a.workers, "sync": a.sync,
        "setup_s": round(setup_s, 2), "connect_s": round(connect_s, 2),
        "commands": r["acked"] + r["errors"], "commands_per_s": round((r["acked"] + r["errors"]) / a.seconds, 1),
        "fds_limit": fd_limit(), "connected_at_end": int(m1.get("alliance_connections", -1)),
        "ack_ms": summary_ms(r["lat"]),
        "ack_ms_by_type": {k: summary_ms(v) for k, v in sorted(r["lat_by_type"].items())},
        "errors": r["errors"], "error_codes": r["error_codes"], "sent": r["sent"], "lost": r["lost"],
        "pushes_received": r["pushes"], "player_round_results": closed,
        "round_result_after_closing_ack_ms": results_push_latency(r["by_session"]),
        "log_rows": int(rows), "log_commits": int(commits), "rows_per_commit": round(rows / max(1, commits), 1),
        "window_s": round(w1 - w0, 2),
        "server_cpu_percent": round(100 * (cpu1 - cpu0) / (w1 - w0), 1),
        "server_cpu_us_per_command": round(1e6 * (cpu1 - cpu0) / max(1, r["acked"] + r["errors"]), 1),
        "server_gc": gc_during(m0, m1),
        # with LOAD_SERVER_SCRIPT=benchmarks/server_counts.py: what the event loop did, per command
        "server_counts_per_command": {k[6:]: round((m1[k] - m0.get(k, 0)) / max(1, r["acked"] + r["errors"]), 3)
                                      for k in sorted(m1) if k.startswith("bench_")},
        # with LOAD_SERVER_SCRIPT=benchmarks/server_long_items.py: the loop's long items by kind
        "server_long_items": long_items(m0, m1, w1 - w0),
        "generator_cpu_percent": gen_cpu, "generator_loop_lag_ms": gen_lag,
        "server_rss_mb_idle_connected": mem_idle["rss_mb"], "server_rss_mb_during_run_max": peak,
        "server_rss_mb_end": mem["rss_mb"], "server_peak_rss_mb": mem["peak_rss_mb"],
        "machine": machine(),
    }


async def run_exchange(a, srv: ServerProcess | None = None) -> dict:
    """One message in flight per client (the oTree live-page pattern): `messages` chat
    lines to the firm per client; ack latency and own-line broadcast latency."""
    own = srv is None
    tmp = tempfile.TemporaryDirectory() if own else None
    if own:
        srv = ServerProcess(f"{tmp.name}/x.db", a.sync, profile=getattr(a, "profile", None)).start()
    try:
        specs, sessions = await setup_players(srv.url, a.players, max(a.players, 4), 0)
        return await exchange_window(srv, specs, a)
    finally:
        if own:
            srv.stop()
            tmp.cleanup()


async def exchange_window(srv: ServerProcess, specs: list[dict], a, server: str = "alliance") -> dict:
    """The exchange's timed window against a started server (ours, or benchmarks/floor.py's)."""
    ws_url = srv.url.replace("http", "ws", 1) + "/ws"
    workers = Workers(specs, ws_url, a.workers, "exchange", {"messages": a.messages, "drain": a.drain})
    try:
        cpu0, th0, gen0 = srv.cpu_seconds(), srv.thread_cpu_seconds(), children_cpu_seconds(srv.pid)
        start = now() + 0.5
        parts = await workers.aask({"cmd": "exchange", "start": start})
        wall = now() - start
        cpu1, th1, gen1 = srv.cpu_seconds(), srv.thread_cpu_seconds(), children_cpu_seconds(srv.pid)
        mem = srv.rss_mb()
    finally:
        workers.close()
    r = _combine(parts)
    return {"mode": "exchange", "server": server, "clients": a.players, "messages_each": a.messages,
            "sync": a.sync, "workers": a.workers, "wall_s": round(wall, 2),
            "messages": r["acked"], "messages_per_s": round(r["acked"] / wall, 1),
            "ack_ms": summary_ms(r["lat"]), "broadcast_ms": summary_ms(r["echo_lat"]),
            "errors": r["errors"], "error_codes": r["error_codes"], "lost": r["lost"],
            "server_cpu_percent": round(100 * (cpu1 - cpu0) / wall, 1), "server_rss_mb": mem["rss_mb"],
            # per thread (the event loop is the process's first; the log writer `event-log-writer`
            # when the name shows) and the load generator's processes, in CPU seconds over the window
            "server_threads_cpu_s": {k: round(th1[k] - th0.get(k, th1[k]), 3) for k in th1 if th1[k] - th0.get(k, th1[k]) > 0},
            "generator_cpu_s": round(cpu_between(gen0, gen1), 3)}


async def run_fanout(a) -> dict:
    """A results push to every player of one session of `players` players: all firms but
    one submit; then the last firm submits and the round closes. Latency = each player's
    receipt of `round_result` (and of the new round's full `view`, or with `--deltas` its
    `round_delta`: the complete new round) minus the last submission's ack (also reported
    from the moment it was sent)."""
    with tempfile.TemporaryDirectory() as tmp:
        srv = ServerProcess(f"{tmp}/fan.db", a.sync, profile=a.profile).start()
        try:
            specs, sessions = await setup_players(srv.url, a.players, a.players, 0)
            last = specs[-1]
            last_firm = last["firm"]
            others = [s for s in specs if s is not last]
            for s in others:
                s["deltas"] = a.deltas
            ws_url = srv.url.replace("http", "ws", 1) + "/ws"
            workers = Workers(others, ws_url, a.workers, "fanout", {})
            res_ack, res_send, view_ack, acks, presubmit, view_bytes = [], [], [], [], [], []
            view_send, cpu_end = [], []   # the new round after the send; the server's CPU per round's end
            gen_cpu = []                  # the load generator's processes' CPU per round's end (all of them)
            try:
                async with aiohttp.ClientSession() as http:
                    me = Player(last, random.Random(0))
                    await me.connect(http, ws_url)
                    settle_heap()   # (its ack's receipt is the reference)
                    if a.facilitator:  # the facilitator's console is open (status pushes, its views)
                        fac = Player({"token": sessions[0]["facilitator_token"]}, random.Random(1))
                        await fac.connect(http, ws_url)
                    for rnd in range(1, a.rounds + 1):
                        t_pre = now()
                        done = await workers.aask({"cmd": "presubmit", "round": rnd, "last_firm": last_firm})
                        presubmit.append(now() - t_pre)
                        assert all(d["errors"] == 0 for d in done), done
                        await asyncio.sleep(0.3)
                        cpu0 = srv.cpu_seconds()
                        t_send = now()
                        cid = await me.send({"type": "submit", "decision": {"develop": {"design": 5.0}}})
                        while cid in me.pending:
                            await asyncio.sleep(0.0005)
                        t_ack = t_send + me.lat[-1]
                        acks.append(me.lat[-1])
                        seen = await workers.aask({"cmd": "collect", "round": rnd})
                        cpu_end.append(srv.cpu_seconds() - cpu0)
                        gen_cpu.append(sum(part.get("cpu_s", 0.0) for part in seen))
                        for part in seen:
                            for d in part["seen"]:
                                if "round_result" in d:
                                    res_ack.append(max(0.0, d["round_result"] - t_ack))
                                    res_send.append(d["round_result"] - t_send)
                                if "view" in d:
                                    view_ack.append(max(0.0, d["view"] - t_ack))
                                    view_send.append(d["view"] - t_send)
                                    view_bytes.append(d["view_bytes"])
                        await asyncio.sleep(0.3)
                    mem = srv.rss_mb()
                    errors = me.errors
                    await me.ws.close()
            finally:
                workers.close()
        finally:
            srv.stop()
    expected = (a.players - 1) * a.rounds
    return {"mode": "fanout", "players": a.players, "rounds": a.rounds, "sync": a.sync, "workers": a.workers,
            "last_submit_ack_ms": summary_ms(acks),
            "round_result_after_ack_ms": summary_ms(res_ack), "round_result_after_send_ms": summary_ms(res_send),
            "view_after_ack_ms": summary_ms(view_ack), "view_after_send_ms": summary_ms(view_send), "deltas": a.deltas,
            # the server process's CPU (all threads) from the last submission's send until every
            # player had the new round: less dependent on the machine's load than the latencies
            "server_cpu_ms_per_round_end": summary_ms(cpu_end),
            # the load generator's processes (their players' reading and decoding, the 0.3 s wait
            # before the last submission, the collection's polling): what its players cost it
            "generator_cpu_ms_per_round_end": summary_ms(gen_cpu),
            "view_bytes_median": statistics.median(view_bytes) if view_bytes else None,
            "received": len(res_ack), "expected": expected, "errors": errors, "server_rss_mb": mem["rss_mb"],
            "facilitator_connected": a.facilitator,
            "presubmit_ms": summary_ms(presubmit)}


async def run_store(a) -> dict:
    """Store level: concurrent writers append log rows through `SqliteStore.write` and wait
    for the commit future (durable at ack), like the session actors do."""
    from server.store import LogRow, SqliteStore, dumps
    out = {}
    for sync in ("full", "normal"):
        with tempfile.TemporaryDirectory() as tmp:
            store = SqliteStore(f"{tmp}/s.db", sync)
            store.open()
            stop = now() + a.seconds
            acked = 0
            lat = []

            async def writer(w: int):
                nonlocal acked
                seq = 0
                sid = f"s{w}"
                while now() < stop:
                    ops = []
                    for _ in range(a.rows_per_command):
                        seq += 1
                        ops.append(("log", LogRow(sid, seq, "command", "draft", "p1", "west1", 1, f"c{seq}", None,
                                                  dumps({"fields": {"develop": {"design": seq % 30}}}))))
                    t = now()
                    await store.write(ops)
                    lat.append(now() - t)
                    acked += len(ops)
            t0 = now()
            await asyncio.gather(*(writer(w) for w in range(a.writers)))
            dt = now() - t0
            commits = store.commits
            await store.aclose()
            out[sync] = {"events_per_s": round(acked / dt), "events": acked, "commits": commits,
                         "events_per_commit": round(acked / max(1, commits), 1), "write_ms": summary_ms(lat)}
    return {"mode": "store", "writers": a.writers, "rows_per_command": a.rows_per_command, "seconds": a.seconds,
            **out, "machine": machine()}


async def run_restart(a) -> dict:
    """`sessions` live sessions with players and acknowledged commands; kill -9; a new
    server on the same file: time to /healthz OK with every session restored, then every
    player re-sends its last acknowledged command id (must come back as a duplicate)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = f"{tmp}/restart.db"
        srv = ServerProcess(db, a.sync).start()
        try:
            specs, _ = await setup_players(srv.url, a.sessions * a.per_session, a.per_session, 4)
            ws_url = srv.url.replace("http", "ws", 1) + "/ws"
            last_ids = []
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                ps = [Player(s, random.Random(i)) for i, s in enumerate(specs)]
                await asyncio.gather(*(p.connect(http, ws_url) for p in ps))
                for _ in range(a.commands):
                    ids = await asyncio.gather(*(p.send(p.next_command()) for p in ps))
                    await _drain(ps, 30)
                    last_ids = ids
                errors = sum(p.errors for p in ps)
                lost = sum(len(p.pending) for p in ps)
                # acknowledged: kill -9 now, without closing anything
                srv.kill9()
                for p in ps:
                    p.reader.cancel()
            if a.keep_db:  # for profiling a restart: the file as kill -9 left it
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(db + suffix):
                        shutil.copy(db + suffix, a.keep_db + suffix)
            srv2 = ServerProcess(db, a.sync, profile=a.profile)
            t0 = now()
            srv2.start()
            t_listen = now() - t0
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                while True:
                    try:
                        async with http.get(f"{srv2.url}/healthz") as r:
                            h = await r.json()
                            if r.status == 200 and h.get("sessions", 0) >= a.sessions:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.005)
                t_healthy = now() - t0
                ws_url2 = srv2.url.replace("http", "ws", 1) + "/ws"
                ps2 = [Player(s, random.Random(i)) for i, s in enumerate(specs)]
                await asyncio.gather(*(p.connect(http, ws_url2) for p in ps2))
                for p, cid in zip(ps2, last_ids):
                    p.pending[cid] = (now(), "resend")
                async def resend(p, cid):
                    await p.ws.send_bytes(msgpack.packb({"type": "draft", "id": cid, "fields": {}}))
                await asyncio.gather(*(resend(p, c) for p, c in zip(ps2, last_ids)))
                await _drain(ps2, 30)
                resend_errors = sum(p.errors for p in ps2)
                resend_duplicates = sum(p.dups for p in ps2)
                for p in ps2:
                    await p.ws.close()
            srv2.stop()
        finally:
            srv.stop()
    return {"mode": "restart", "sessions": a.sessions, "players": len(specs), "commands_each": a.commands,
            "errors_before": errors, "lost_before": lost, "sync": a.sync,
            "seconds_to_listening": round(t_listen, 3), "seconds_to_healthy_all_restored": round(t_healthy, 3),
            "resent_last_ids": len(last_ids), "resend_errors": resend_errors,
            "resend_acked_as_duplicate": resend_duplicates,
            "resend_unanswered": sum(len(p.pending) for p in ps2)}


def _args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--sync", choices=["full", "normal"], default="full")
    common.add_argument("--workers", type=int, default=2, help="load-generator processes")
    common.add_argument("--out", help="also write the JSON result to this file")
    common.add_argument("--profile", help="py-spy the server process (collapsed stacks to this file)")
    common.add_argument("--drain", type=float, default=10.0, help="seconds to wait for outstanding acks")
    p = sub.add_parser("paced", parents=[common])
    p.add_argument("--players", type=int, default=2000)
    p.add_argument("--per-session", type=int, default=100)
    p.add_argument("--negotiation-every", type=int, default=4, help="every k-th session negotiates (0: none)")
    p.add_argument("--interval", type=float, default=2.0)
    p.add_argument("--client", choices=("lean", "project"), default="lean",
                   help="lean: the benchmark's own aiohttp loop; project: clients/python/client.py")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--active", type=int, default=None,
                   help="players who send commands (default: all); the others stay connected and idle, "
                        "whole sessions of them (5,000 connected, 2,000 active: --players 5000 --active 2000)")
    p = sub.add_parser("exchange", parents=[common])
    p.add_argument("--players", type=int, default=200)
    p.add_argument("--messages", type=int, default=40)
    p = sub.add_parser("fanout", parents=[common])
    p.add_argument("--players", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--facilitator", action="store_true", help="a facilitator socket is connected too")
    p.add_argument("--deltas", nargs="?", type=int, const=server_delta_version(), default=None, metavar="VERSION",
                   help=f"the players read round deltas (auth deltas: VERSION, default the server's, here "
                        f"{server_delta_version()}; the "
                        "version the server under test reads, e.g. 1 before 2026-11-30 07:30): the new round "
                        "comes as a round_delta; without it, as full views")
    p = sub.add_parser("store", parents=[common])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--writers", type=int, default=200, help="concurrent writers (sessions)")
    p.add_argument("--rows-per-command", type=int, default=2)
    p = sub.add_parser("restart", parents=[common])
    p.add_argument("--sessions", type=int, default=100)
    p.add_argument("--per-session", type=int, default=4)
    p.add_argument("--commands", type=int, default=3, help="acknowledged commands per player before the kill")
    p.add_argument("--keep-db", help="copy the killed server's SQLite file here")
    return ap.parse_args(argv)


async def run(a) -> dict:
    return await {"paced": run_paced, "exchange": run_exchange, "fanout": run_fanout, "store": run_store,
                  "restart": run_restart}[a.mode](a)


def main(argv=None) -> dict:
    a = _args(argv)
    loop_name = use_uvloop()
    res = asyncio.run(run(a))
    res["load_generator_loop"] = loop_name
    res.setdefault("machine", machine())
    print(json.dumps(res, indent=1))
    save(res, a.out)
    return res


if __name__ == "__main__":
    main()
