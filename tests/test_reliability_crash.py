"""Crash safety with `run.py` as a real process.

- SIGKILL at seeded random moments while two sessions are busy (several kills, different
  moments): every acknowledged command is in the log and in the restored state, nothing
  is half-applied (every command's facts are in the log right after it, seqs have no
  gap, no id is applied twice), clocks come back running, and the clients (the real
  Python client, reconnecting by itself on the same port) continue.
- A full disk (a real 1 MB tmpfs when we may mount one; SQLite's max_page_count
  otherwise): the command that cannot be logged gets `storage_failed`, not an ack; the
  server refuses everything after it, says so in /healthz, and after a restart the
  state is what was committed.
- A database that is not a database, is damaged, is locked by another process, or is
  in use by another server: a clear message, a non-zero exit, the file byte-identical.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from clients.python.client import CommandError, ConnectionLost, GameClient, control, create_session, join_session
from reliability_tools import Proc, fold_log, free_port, log_rows, procs  # noqa: F401 (procs: a fixture)

ROOT = Path(__file__).resolve().parent.parent
SEED = 8_2024


async def _summary(http, url, s):
    async with http.get(f"{url}/api/sessions/{s['session_id']}",
                        headers={"Authorization": f"Bearer {s['facilitator_token']}"}) as r:
        assert r.status == 200, await r.text()
        return await r.json()


class Worker:
    """One player sending a seeded random mix of drafts, chat lines and submits."""

    def __init__(self, client: GameClient, joined: dict, rng: random.Random, domains: list[str]):
        self.c, self.joined, self.rng, self.domains = client, joined, rng, domains
        self.acked: dict[str, tuple[str, dict]] = {}  # command id -> (type, fields)
        self.refused: dict[str, str] = {}
        self.stop = False

    async def run(self):
        while not self.stop:
            r = self.rng.random()
            if r < 0.5:
                t, f = "draft", {"fields": {"develop": {self.rng.choice(self.domains): self.rng.randint(0, 9)}}}
            elif r < 0.85:
                t, f = "chat", {"to": self.rng.choice(["firm", "alliance"]), "text": f"line {self.rng.random():.6f}"}
            else:
                t, f = "submit", {"decision": {"develop": {self.domains[0]: 1}}}
            cid = self.c.next_id()
            try:
                await self.c.command(t, id=cid, timeout=60, **f)
                self.acked[cid] = (t, f)
            except CommandError as e:
                self.refused[cid] = e.code
            except ConnectionLost:
                return
            await asyncio.sleep(self.rng.uniform(0, 0.02))


async def test_sigkill_at_random_moments_loses_nothing_acknowledged(tmp_path, procs):
    rng = random.Random(SEED)
    db, port, log = tmp_path / "crash.db", free_port(), tmp_path / "server.log"
    proc = await Proc(db, port, log).ready()
    procs.append(proc)
    url = proc.url
    sessions = [await create_session(url, copies=2, rounds=50, negotiation=False, round_seconds=rs, seed=i)
                for i, rs in enumerate((600, 2.0))]
    workers: list[Worker] = []
    for si, s in enumerate(sessions):
        for i in range(8):
            j = await join_session(url, s["code"], f"s{si}p{i}")
            c = GameClient(url, j["player_token"], binary=i % 2 == 0, id_prefix=f"s{si}p{i}", name=f"s{si}p{i}",
                           min_backoff=0.05, max_backoff=0.3, max_attempts=400, command_timeout=60)
            await c.connect()
            await c.wait_view(lambda v: True)
            domains = [d["id"] for d in c.view["domains"]]
            workers.append(Worker(c, j, random.Random(rng.random()), domains))
    for s in sessions:
        await control(url, s["session_id"], s["facilitator_token"], "start")
    for w in workers:
        await w.c.wait_view(lambda v: v["phase"] == "execution")
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        async with aiohttp.ClientSession() as http:
            kills = []
            for k in range(3):
                before = sum(len(w.acked) for w in workers)
                await asyncio.sleep(rng.uniform(0.3, 1.2))  # a seeded random moment in the load
                kills.append(sum(len(w.acked) for w in workers) - before)
                proc.kill9()
                await asyncio.sleep(rng.uniform(0.0, 0.3))  # down for a moment
                proc = await Proc(db, port, log).ready()
                procs.append(proc)
                # the restored clocks: running, with no more than a round (or the restart grace) left
                for s, rs in zip(sessions, (600, 2.0)):
                    clock = (await _summary(http, url, s))["status"]["clock"]
                    assert clock["running"] and 0 < clock["remaining"] <= max(rs, 30.0) + 1, clock
            assert all(n > 0 for n in kills), kills  # the load was really running at every kill
            # everyone is back and continues: each client gets new commands through
            acked_at_last_restart = {id(w): len(w.acked) for w in workers}
            deadline = time.monotonic() + 30
            while any(len(w.acked) <= acked_at_last_restart[id(w)] for w in workers):
                assert time.monotonic() < deadline, "a client did not continue after the restarts"
                await asyncio.sleep(0.05)
            for w in workers:
                w.stop = True
            await asyncio.wait_for(asyncio.gather(*tasks), 60)
            assert all(w.c.stats.reconnects >= 3 for w in workers), [w.c.stats.reconnects for w in workers]
            # session 2's clock-driven rounds kept closing after the restarts
            live = [await _summary(http, url, s) for s in sessions]
            # one more kill with no client connected: the restored state equals the live one
            proc.kill9()
            proc = await Proc(db, port, log).ready()
            procs.append(proc)
            restored = [await _summary(http, url, s) for s in sessions]
    finally:
        for w in workers:
            w.stop = True
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for w in workers:
            await w.c.close()

    for s, lv, rs in zip(sessions, live, restored):
        for k in ("round", "phase", "firms", "alliances", "drafts", "chat"):
            assert rs[k] == lv[k], k
        assert rs["status"]["submitted"] == lv["status"]["submitted"]
        fold = fold_log(db, s["session_id"])
        assert fold["seqs"] == list(range(1, len(fold["seqs"]) + 1)), "a gap in the log: a half-written batch"
        assert rs["round"] == fold["round"] and rs["drafts"] == fold["drafts"]
        assert rs["status"]["submitted"] == fold["submitted"]
        assert {ch: lines[-200:] for ch, lines in fold["chat"].items()} == rs["chat"]
    assert restored[1]["round"] >= 1

    # every acknowledged command is in the log, once, with its facts right after it
    rows = log_rows(db)
    by_key: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["kind"] == "command":
            by_key.setdefault((r["actor"], r["command_id"]), []).append(r)
    assert all(len(v) == 1 for v in by_key.values()), "a command id applied twice"
    seq_index = {(r["session_id"], r["seq"]): r for r in rows}
    follows = {"draft": "draft_changed", "chat": "chat", "submit": "decision_submitted"}
    total = 0
    for w in workers:
        pid = w.joined["player_id"]
        for cid, (t, f) in w.acked.items():
            total += 1
            [cmd] = by_key[(pid, cid)]
            assert cmd["type"] == t
            nxt = seq_index[(cmd["session_id"], cmd["seq"] + 1)]
            assert nxt["type"] == follows[t] and nxt["actor"] == pid, (cmd, nxt)
            if t == "chat":
                assert json.loads(nxt["data"])["text"] == f["text"]
    # and nothing unacknowledged is half there: every fact of a player command has its command
    for r in rows:
        if r["type"] in ("draft_changed", "decision_submitted") and not (r["actor"] or "").startswith(("bot:", "server")):
            prev = seq_index[(r["session_id"], r["seq"] - 1)]
            assert prev["kind"] == "command" and prev["actor"] == r["actor"], (prev, r)
    assert total > 100


# ---- a full disk -------------------------------------------------------------------------------

def _mount_tmpfs(path: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True)
    return r.returncode == 0


def _fill(path: Path) -> Path:
    """Fill the file system holding `path` to the last byte."""
    filler = path / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0")
                f.flush()
        except OSError:
            pass
    return filler


async def _full_disk_scenario(db: Path, url: str, fill, http) -> tuple[dict, list]:
    """Play until the disk is full; returns the session and the ids acked before."""
    s = await create_session(url, copies=1, rounds=5, negotiation=False, round_seconds=600)
    j = await join_session(url, s["code"], "disk")
    c = GameClient(url, j["player_token"], id_prefix="disk", reconnect=False)
    await c.connect()
    acked = []
    try:
        await control(url, s["session_id"], s["facilitator_token"], "start")
        await c.wait_view(lambda v: v["phase"] == "execution")
        for i in range(5):
            await c.command("chat", id=f"ok-{i}", to="firm", text=f"before {i}")
            acked.append(f"ok-{i}")
        fill()
        # the disk is full: sooner or later (the WAL reuses space it already has) a command
        # cannot be logged, and it is answered `storage_failed`, never acked
        for i in range(2000):
            try:
                await c.command("chat", id=f"fill-{i}", to="firm", text=f"{i} " + "x" * 1900)
                acked.append(f"fill-{i}")
            except CommandError as e:
                assert e.code == "storage_failed", e
                failed_id = f"fill-{i}"
                break
        else:
            raise AssertionError("the full disk never made a write fail")
        async with http.get(f"{url}/healthz") as r:
            assert r.status == 503 and (await r.json())["status"] == "failing"
        # from now on nothing is accepted (nothing may change in memory only)
        with pytest.raises(CommandError) as e:
            await c.command("chat", id="full-2", to="firm", text="tiny")
        assert e.value.code == "storage_failed"
        async with http.post(f"{url}/api/join", json={"code": s["code"], "name": "late"}) as r:
            assert r.status == 503 and (await r.json())["error"]["code"] == "storage_failed"
    finally:
        await c.close()
    return s, acked, failed_id


async def test_full_disk_on_a_tiny_tmpfs(tmp_path, procs):
    mnt = tmp_path / "tiny"
    if not _mount_tmpfs(mnt, "8m"):
        pytest.skip("cannot mount a tmpfs here (not root); test_write_failure_max_page_count covers the path")
    try:
        db, port, log = mnt / "alliance.db", free_port(), tmp_path / "server.log"
        proc = await Proc(db, port, log, "--sync", "normal").ready()
        procs.append(proc)
        filler = None

        def fill():
            nonlocal filler
            filler = _fill(mnt)

        async with aiohttp.ClientSession() as http:
            s, acked, failed = await _full_disk_scenario(db, proc.url, fill, http)
            # SIGTERM: the shutdown snapshot cannot be written either; the process still exits
            proc.proc.send_signal(signal.SIGTERM)
            assert proc.proc.wait(20) is not None
            assert "could not be written" in log.read_text()
            filler.unlink()  # the operator frees space and restarts
            proc2 = await Proc(db, port, log).ready()
            procs.append(proc2)
            view = await _summary(http, proc2.url, s)
        texts = [m["text"] for m in view["chat"]["firm:west1"]]
        assert texts[:5] == [f"before {i}" for i in range(5)]
        assert len(texts) == len(acked)  # what was acked, nothing else
        ids = {r["command_id"] for r in log_rows(db, "kind = 'command'")}
        assert set(acked) == ids and not ids & {failed, "full-2"}
    finally:
        for p in procs:
            p.stop()
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


async def test_write_failure_max_page_count(start_server, db_path, monkeypatch):
    """Without root: SQLite's max_page_count makes the writer's commits fail (SQLITE_FULL)."""
    from server import store as store_mod

    limit = {"pages": None}
    real_connect = store_mod.SqliteStore._connect

    def connect(self):
        conn = real_connect(self)
        limit["conn"] = conn
        return conn

    monkeypatch.setattr(store_mod.SqliteStore, "_connect", connect)
    server = await start_server()

    def fill():
        conn = limit["conn"]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        # the writer thread is idle between commits; the pragma only applies to this connection
        conn.execute(f"PRAGMA max_page_count = {pages}")

    async with aiohttp.ClientSession() as http:
        s, acked, failed = await _full_disk_scenario(db_path, server.url, fill, http)
    assert server.hub.store.failed is not None
    ids = {r["command_id"] for r in log_rows(db_path, "kind = 'command'")}
    assert set(acked) == ids and failed not in ids


# ---- a bad database file at start --------------------------------------------------------------

def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _start_and_fail(db: Path, timeout: float = 30) -> tuple[int, str]:
    r = subprocess.run([sys.executable, "run.py", "--port", "0", "--db", str(db), "--log-level", "warning"],
                       cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def _real_db(path: Path) -> None:
    """An event log with the server's schema and a few hundred rows, cleanly closed."""
    import sqlite_utils
    from server.store import create_schema
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    create_schema(sqlite_utils.Database(conn))
    conn.executemany("INSERT INTO log (session_id, seq, kind, type, actor, data, wall_time, mono_time) "
                     "VALUES (?, ?, 'chat', 'chat', 'p', ?, 0, 0)",
                     [("s_x", i, json.dumps({"text": "y" * 300, "channel": "firm:w"})) for i in range(1, 400)])
    conn.commit()
    conn.close()


def test_bad_database_files_at_start(tmp_path):
    # 1. garbage bytes
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(random.Random(1).randbytes(50_000))
    before = _digest(garbage)
    code, out = _start_and_fail(garbage)
    assert code != 0 and "not a database" in out and "Nothing was changed" in out, out
    assert "Traceback" not in out
    assert _digest(garbage) == before

    # 2. a real event log with some pages overwritten
    damaged = tmp_path / "damaged.db"
    _real_db(damaged)
    data = bytearray(damaged.read_bytes())
    page = 4096
    for n in (3, 7, 11):  # garbage over three b-tree pages, their headers included
        data[n * page:n * page + 600] = random.Random(n).randbytes(600)
    damaged.write_bytes(bytes(data))
    before = _digest(damaged)
    code, out = _start_and_fail(damaged)
    assert code != 0 and ("damaged" in out or "malformed" in out), out
    assert "Traceback" not in out
    assert _digest(damaged) == before

    # 3. locked by another process (an exclusive SQLite lock held open)
    locked = tmp_path / "locked.db"
    _real_db(locked)
    before = _digest(locked)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('PRAGMA locking_mode=EXCLUSIVE'); c.execute('BEGIN EXCLUSIVE'); "
         "c.execute('SELECT count(*) FROM log').fetchone(); print('held', flush=True); sys.stdin.read()",
         str(locked)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code, out = _start_and_fail(locked)
        assert code != 0 and "locked by another process" in out, out
        assert "Traceback" not in out
    finally:
        holder.stdin.close()
        holder.wait(10)
        holder.stdout.close()
    assert _digest(locked) == before


async def test_second_server_on_the_same_file_is_refused(tmp_path, procs):
    db = tmp_path / "one.db"
    proc = await Proc(db, free_port(), tmp_path / "a.log").ready()
    procs.append(proc)
    await create_session(proc.url)
    code, out = _start_and_fail(db)
    assert code != 0 and "in use by another server process" in out and f"pid {proc.proc.pid}" in out, out
    async with aiohttp.ClientSession() as http:  # the first one is unharmed
        async with http.get(f"{proc.url}/healthz") as r:
            assert r.status == 200
