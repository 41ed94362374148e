"""Helpers for the reliability, security and fuzz tests (tests/test_reliability_*.py,
test_security_*.py, test_fuzz_*.py): a raw WebSocket client that can misbehave on purpose
(stop reading, never answer pings), process sampling (RSS, open fds), the event log folded
back into the state a restart must restore, and a free loopback port."""
from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import msgpack
import pytest

from game_rules.decisions import merge_draft


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- process sampling (Linux /proc) ------------------------------------------------------------

def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


# ---- a raw WebSocket client that can misbehave -------------------------------------------------

class RawSocket:
    """A blocking, minimal RFC 6455 client over a plain socket with a tiny receive buffer.
    After `auth` it can simply stop reading (a slow or frozen client: the server's sends
    back up) and it never answers pings (a half-open connection, as far as heartbeats can
    tell). Only for tests on 127.0.0.1."""

    def __init__(self, port: int, rcvbuf: int = 4096):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: small window
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head

    def send(self, msg: dict) -> None:
        payload = msgpack.packb(msg)
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x82])  # FIN + binary
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def recv_frame(self) -> tuple[int, bytes]:
        """One frame: (opcode, payload)."""
        def exact(k: int) -> bytes:
            buf = b""
            while len(buf) < k:
                chunk = self.sock.recv(k - len(buf))
                if not chunk:
                    raise ConnectionError("closed")
                buf += chunk
            return buf
        b0, b1 = exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", exact(8))[0]
        return b0 & 0x0F, exact(n)

    def recv_msg(self) -> dict:
        while True:
            op, data = self.recv_frame()
            if op == 0x2:
                return msgpack.unpackb(data)
            if op == 0x1:
                return json.loads(data)
            if op == 0x8:
                raise ConnectionError(f"closed by the server: {data[2:].decode(errors='replace')}")

    def login(self, token: str) -> dict:
        self.send({"type": "auth", "token": token})
        welcome = self.recv_msg()
        assert welcome["type"] == "welcome", welcome
        return welcome

    def is_closed_by_peer(self, timeout: float = 0.2) -> bool:
        """Drain what is readable; True once the server has closed or reset the TCP connection."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    return True
        except (socket.timeout, BlockingIOError):
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# ---- the event log folded back (what a restart must restore) ---------------------------------

def fold_log(db_path: str | Path, session_id: str) -> dict:
    """Read the log of one session and compute, independently of the server, what its
    state must be: round, drafts, this round's submissions, chat, players."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT seq, kind, type, actor, data FROM log WHERE session_id = ? ORDER BY seq",
                          (session_id,)).fetchall()
    finally:
        db.close()
    out = {"round": 0, "drafts": {}, "submitted": {}, "chat": {}, "players": {}, "seqs": [r[0] for r in rows]}
    for seq, kind, type_, actor, data in rows:
        d = json.loads(data)
        if type_ == "round_closed":
            out["round"] += 1
            out["submitted"] = {}
            for draft in out["drafts"].values():  # per-round answers never carry over
                for key in ("survey", "withhold", "exit"):
                    draft.pop(key, None)
        elif type_ == "draft_changed":  # the log holds the change; the draft is its fold
            out["drafts"][d["firm"]] = merge_draft(out["drafts"].get(d["firm"], {}), d["changed"])
        elif type_ == "decision_submitted":
            out["submitted"][d["firm"]] = d["by"]
        elif kind == "chat":
            out["chat"].setdefault(d["channel"], []).append(d)
        elif type_ == "player_joined":
            out["players"][d["player_id"]] = d["firm"]
        elif type_ == "player_moved":
            out["players"][d["player_id"]] = d["firm"]
    return out


def log_rows(db_path: str | Path, where: str = "1", args: tuple = ()) -> list[dict]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(f"SELECT * FROM log WHERE {where} ORDER BY session_id, seq", args)]
    finally:
        db.close()


# ---- the real server on a loop of its own (for synchronous tests: hypothesis, schemathesis) ----

class ThreadedServer:
    """`InProcessServer` (tests/conftest.py) running on an event loop in a background thread,
    so a synchronous test (hypothesis `@given`, schemathesis) can talk to it over sockets."""

    def __init__(self, config):
        import threading
        self.config = config
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-server", daemon=True)

    def start(self) -> "ThreadedServer":
        from conftest import InProcessServer
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(InProcessServer(self.config).start(), self.loop).result(30)
        self.url, self.port, self.hub = self.server.url, self.server.port, self.server.hub
        return self

    def call(self, coro, timeout: float = 30):
        """Run `coro` on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        try:
            self.call(self.server.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


def http_json(method: str, url: str, body=None, token: str | None = None, raw: bytes | None = None,
              headers: dict | None = None) -> tuple[int, object, dict]:
    """A blocking HTTP request (urllib): (status, decoded JSON body or text, headers)."""
    import urllib.error
    import urllib.request
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        h.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text, hdrs = r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        status, text, hdrs = e.code, e.read(), dict(e.headers)
    ctype = hdrs.get("Content-Type", "")
    return status, (json.loads(text) if "json" in ctype and text else text.decode(errors="replace")), hdrs


# ---- run.py as a real process -----------------------------------------------------------------

class Proc:
    """run.py on a fixed port (so clients reconnect by themselves after a restart);
    stderr goes to a file (a pipe nobody reads could block the server)."""

    def __init__(self, db: Path, port: int, log: Path, *extra: str):
        self.log = log
        self.err = open(log, "a")
        self.proc = subprocess.Popen(
            [sys.executable, "run.py", "--host", "127.0.0.1", "--port", str(port), "--db", str(db),
             "--log-level", "warning", *extra],
            cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, stderr=self.err, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.url = f"http://127.0.0.1:{port}"

    async def ready(self) -> "Proc":
        loop = asyncio.get_running_loop()
        line = await asyncio.wait_for(loop.run_in_executor(None, self.proc.stdout.readline), 30)
        assert "running" in line, (line, self.proc.poll(), self.log.read_text()[-2000:])
        return self

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stdout.close()
        self.err.close()


@pytest.fixture
def procs():
    """Server processes (`Proc`) a test starts; every one is stopped at the end."""
    started: list[Proc] = []
    yield started
    for p in started:
        p.stop()
