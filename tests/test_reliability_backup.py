"""`python -m server.backup` (SQLite's online backup API) while the server writes: every
copy is complete and consistent (integrity check, no gap in any session's log, every
command acknowledged before the backup started is in it), the server never stalls or
fails, and a server started on a copy restores the sessions."""
from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from clients.python.client import CommandError, GameClient, control, create_session, join_session
import pytest

from reliability_tools import Proc, free_port, procs  # noqa: F401 (procs: a fixture)

ROOT = Path(__file__).resolve().parent.parent


async def test_backup_while_the_server_writes(tmp_path, procs):
    db, port = tmp_path / "live.db", free_port()
    proc = await Proc(db, port, tmp_path / "server.log").ready()
    procs.append(proc)
    url = proc.url
    s = await create_session(url, copies=2, rounds=20, negotiation=False, round_seconds=600)
    clients = []
    for i in range(8):
        j = await join_session(url, s["code"], f"b{i}")
        c = GameClient(url, j["player_token"], id_prefix=f"b{i}")
        await c.connect()
        c.joined = j
        clients.append(c)
    await control(url, s["session_id"], s["facilitator_token"], "start")
    acked: list[tuple[float, str, str]] = []  # (time acked, player, id)
    stop = False

    async def load(c):
        n = 0
        while not stop:
            n += 1
            cid = f"{c._prefix}-{n}"
            try:
                await c.command("chat", id=cid, to="firm", text=f"line {n} " + "z" * 200)
                acked.append((time.monotonic(), c.joined["player_id"], cid))
            except CommandError:
                pass

    tasks = [asyncio.create_task(load(c)) for c in clients]
    copies = []
    try:
        await asyncio.sleep(0.3)
        for k in range(3):
            out = tmp_path / f"backup-{k}.db"
            started = time.monotonic()
            r = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "server.backup", "--db", str(db),
                                                         "--out", str(out)],
                                        cwd=ROOT, capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            assert "backup written" in r.stdout
            copies.append((out, started))
            await asyncio.sleep(0.2)
        # refuses to overwrite without --force
        r = subprocess.run([sys.executable, "-m", "server.backup", "--db", str(db), "--out", str(copies[0][0])],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and "exists" in r.stderr
        before = len(acked)
        await asyncio.sleep(0.2)
        assert len(acked) > before  # the server kept serving during and after the backups
    finally:
        stop = True
        await asyncio.gather(*tasks, return_exceptions=True)
        for c in clients:
            await c.close()

    for out, started in copies:
        assert not Path(str(out) + "-wal").exists() and not Path(str(out) + ".partial").exists()
        con = sqlite3.connect(out)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        seqs = [r[0] for r in con.execute("SELECT seq FROM log WHERE session_id = ? ORDER BY seq", (s["session_id"],))]
        assert seqs == list(range(1, len(seqs) + 1))
        ids = {(a, c) for a, c in con.execute("SELECT actor, command_id FROM log WHERE kind = 'command'")}
        con.close()
        missing = [(p, cid) for t, p, cid in acked if t < started and (p, cid) not in ids]
        assert not missing, f"{len(missing)} commands acked before the backup are not in it"
        assert len(ids) > 0

    # a server on the last copy restores the session
    proc.stop()
    proc2 = await Proc(copies[-1][0], free_port(), tmp_path / "server2.log").ready()
    procs.append(proc2)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{proc2.url}/api/sessions/{s['session_id']}",
                            headers={"Authorization": f"Bearer {s['facilitator_token']}"}) as r:
            assert r.status == 200
            assert (await r.json())["phase"] == "execution"
