"""Start-up guards and the access log, with `run.py` as a real process (issue 13, item 6).

- One server per database, whatever the path says: a symlink to the file meets the lock
  of the server that has it open.
- A database that cannot be written (a read-only file, a read-only folder, another
  process holding SQLite's write lock) stops the server at start with a clear message and
  a non-zero exit; the file is unchanged. As
  root, permission bits do not stop anyone, so the test makes the file or folder
  read-only the way root respects: a read-only bind mount (a non-root run uses chmod).
- The access log (on at `--log-level info`) never holds a query string or a Referer.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from clients.python.client import create_session
from reliability_tools import Proc, free_port, procs  # noqa: F401 (procs: a fixture)

ROOT = Path(__file__).resolve().parent.parent


async def _refused_start(db: Path, timeout: float = 30) -> tuple[int, str]:
    """Start run.py on `db` and return (exit code, output) of its refusal. A server that
    starts instead is stopped at once and the test fails: the start is what must fail."""
    p = subprocess.Popen([sys.executable, "run.py", "--port", "0", "--db", str(db), "--log-level", "warning"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        loop = asyncio.get_running_loop()
        first = await asyncio.wait_for(loop.run_in_executor(None, p.stdout.readline), timeout)
        if "running" in first:
            raise AssertionError(f"a server started on {db}: {first.strip()}")
        out, err = p.communicate(timeout=timeout)
        return p.returncode, first + out + err
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(10)
        p.stdout.close()
        p.stderr.close()


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# ---- the lock follows the real path -------------------------------------------------------------

async def test_a_symlink_to_a_database_in_use_is_refused(tmp_path, procs):
    db = tmp_path / "real" / "alliance.db"
    first = await Proc(db, free_port(), tmp_path / "first.log").ready()
    procs.append(first)
    await create_session(first.url)
    link = tmp_path / "link.db"
    link.symlink_to(db)
    code, out = await _refused_start(link)
    assert code != 0 and "in use by another server process" in out and f"pid {first.proc.pid}" in out, out
    assert f"(that is {db})" in out and "Traceback" not in out, out
    async with aiohttp.ClientSession() as http:  # the first server is unharmed
        async with http.get(f"{first.url}/healthz") as r:
            assert r.status == 200


# ---- a database that cannot be written ----------------------------------------------------------

def _make_db(path: Path) -> None:
    """An event log as a stopped server leaves it: the schema, a row, the lock file."""
    import sqlite_utils
    from server.store import create_schema
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    create_schema(sqlite_utils.Database(conn))
    conn.execute("INSERT INTO log (session_id, seq, kind, type, actor, data, wall_time, mono_time) "
                 "VALUES ('s_x', 1, 'system', 'session_created', 'facilitator', '{}', 0, 0)")
    conn.commit()
    conn.close()
    Path(f"{path}.lock").write_text("")


@contextlib.contextmanager
def _read_only(target: Path):
    """`target` (a file or a folder) read-only for this process, even when it is root."""
    if os.geteuid() != 0:
        mode = target.stat().st_mode
        target.chmod(0o555 if target.is_dir() else 0o444)
        try:
            yield
        finally:
            target.chmod(mode)
        return
    # root ignores permission bits, not a read-only mount: bind the target onto itself, read-only
    bind = subprocess.run(["mount", "--bind", str(target), str(target)], capture_output=True, text=True)
    if bind.returncode != 0:
        pytest.skip(f"root, but cannot make a read-only bind mount here: {bind.stderr.strip()}")
    try:
        ro = subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], capture_output=True, text=True)
        assert ro.returncode == 0, ro.stderr
        yield
    finally:
        subprocess.run(["umount", str(target)], check=True)


@pytest.mark.parametrize("what", ["file", "folder"])
async def test_a_read_only_database_is_refused_at_start(tmp_path, what):
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "alliance.db"
    _make_db(db)
    before = _digest(db)
    with _read_only(db if what == "file" else folder):
        assert not os.access(db if what == "file" else folder, os.W_OK)  # really read-only for us
        code, out = await _refused_start(db)
    assert code != 0 and "cannot be written" in out and "Nothing was changed" in out, out
    assert ("read-only" in out) and str(db) in out and "Traceback" not in out, out
    assert _digest(db) == before


async def test_a_database_another_process_is_writing_is_refused_at_start(tmp_path):
    """A process that holds SQLite's write lock (a sqlite3 shell in a transaction) does not
    stop readers in WAL mode, so only a real write transaction at start can find it."""
    db = tmp_path / "alliance.db"
    _make_db(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
         "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code, out = await _refused_start(db)
    finally:
        holder.stdin.close()
        holder.wait(10)
        holder.stdout.close()
    assert code != 0 and "another process holds its write lock" in out and "Nothing was changed" in out, out
    assert "Traceback" not in out


def test_the_write_check_is_a_real_write_transaction(tmp_path):
    """What `os.access` cannot see (here: a connection SQLite could only open read-only)
    the start-up write transaction finds; a writable database passes it unchanged."""
    from server import store_guard

    db = tmp_path / "alliance.db"
    _make_db(db)
    before = _digest(db)
    ro = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
    try:
        problem = store_guard.write_refused(ro, db)
    finally:
        ro.close()
    assert problem and "cannot be written" in problem and "readonly" in problem, problem
    rw = sqlite3.connect(db, isolation_level=None)
    try:
        assert store_guard.write_refused(rw, db) is None
        assert not rw.in_transaction
        assert "_write_check" not in {r[0] for r in rw.execute("SELECT name FROM sqlite_master")}
    finally:
        rw.close()
    assert _digest(db) == before


# ---- the access log ------------------------------------------------------------------------------

async def test_the_access_log_has_no_query_strings(tmp_path, procs):
    log = tmp_path / "server.log"
    proc = await Proc(tmp_path / "alliance.db", free_port(), log, "--log-level", "info").ready()
    procs.append(proc)
    referer = {"Referer": f"{proc.url}/join?code=SECRET-REFERER"}
    async with aiohttp.ClientSession() as http:
        for path in ("/join?code=SECRET-CODE&x=y", "/static/js/player.js?v=SECRET-STATIC", "/healthz?token=SECRET-T"):
            async with http.get(proc.url + path, headers=referer) as r:
                assert r.status == 200, path
        async with http.post(f"{proc.url}/api/join?code=SECRET-POST", json={"code": "ZZZZ-ZZZZ", "name": "Ann"}) as r:
            assert r.status == 404
    proc.proc.send_signal(signal.SIGTERM)  # a clean stop: every log line is written
    assert proc.proc.wait(20) == 0
    text = log.read_text()
    access = [line for line in text.splitlines() if "aiohttp.access" in line]
    # the access log was on, and it names the paths ...
    assert any('"GET /join HTTP/1.1" 200' in line for line in access), text
    assert any('"POST /api/join HTTP/1.1" 404' in line for line in access), text
    assert len(access) == 4, access
    # ... but never a query string nor the Referer (which carries one)
    assert "SECRET" not in text, text
    assert not [line for line in access if "?" in line], access
