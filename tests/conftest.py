"""Server fixtures: a real server on a free loopback port (in this process, or as a
`run.py` subprocess when a test must kill it), a real SQLite file in tmp_path, and a
small WebSocket client that waits for specific messages (never sleeps)."""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp
import msgpack
import pytest
import websockets
from aiohttp import web

from server.http.app import HUB, make_app
from server.config import ServerConfig

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 10.0
# Creating sessions needs the admin key (server/admin_key.py). Every server the tests start
# knows this one: the in-process fixtures put it in ServerConfig, and `run.py` subprocesses
# and the client library (clients/python/admin_key.py) read ALLIANCE_ADMIN_KEY, set here
# for the whole run. Tests of the key's own sources unset it (monkeypatch).
TEST_ADMIN_KEY = "test-admin-key-0123456789abcdefghij"
os.environ["ALLIANCE_ADMIN_KEY"] = TEST_ADMIN_KEY


class Client:
    """A live-protocol client: JSON (text) or msgpack (binary) frames. Every message
    received is kept in `messages`; `wait_for` returns the first unconsumed match."""

    _ids = itertools.count(1)

    def __init__(self, ws, binary: bool, name: str = ""):
        self.ws = ws
        self.binary = binary
        self.name = name
        self.messages: list[dict] = []
        self.raw_frames: list[bytes | str] = []
        self._consumed: set[int] = set()
        self._new = asyncio.Event()
        self.closed: tuple[int, str] | None = None
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, base_url: str, binary: bool = True, name: str = "", **kw) -> "Client":
        ws = await websockets.connect(base_url.replace("http", "ws", 1) + "/ws", max_size=2**24, **kw)
        return cls(ws, binary, name)

    @classmethod
    async def login(cls, base_url: str, token: str, binary: bool = True, name: str = "") -> "Client":
        c = await cls.open(base_url, binary, name)
        await c.send({"type": "auth", "token": token})
        await c.wait_for(lambda m: m["type"] == "welcome")
        c.view = (await c.wait_for(lambda m: m["type"] == "view"))["view"]
        return c

    async def _read(self):
        try:
            async for frame in self.ws:
                self.raw_frames.append(frame)
                msg = msgpack.unpackb(frame) if isinstance(frame, bytes) else json.loads(frame)
                self.messages.append(msg)
                self._new.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = (self.ws.close_code or 1006, self.ws.close_reason or "")
            self._new.set()

    async def send(self, msg: dict | bytes | str) -> None:
        if isinstance(msg, dict):
            msg = msgpack.packb(msg) if self.binary else json.dumps(msg)
        await self.ws.send(msg)

    async def wait_for(self, pred, timeout: float = TIMEOUT) -> dict:
        async def scan():
            while True:
                for i, m in enumerate(self.messages):
                    if i not in self._consumed and pred(m):
                        self._consumed.add(i)
                        return m
                if self.closed:
                    raise ConnectionError(f"{self.name}: socket closed {self.closed} while waiting")
                self._new.clear()
                await self._new.wait()
        return await asyncio.wait_for(scan(), timeout)

    async def wait_closed(self, timeout: float = TIMEOUT) -> tuple[int, str]:
        async def w():
            while self.closed is None:
                self._new.clear()
                await self._new.wait()
            return self.closed
        return await asyncio.wait_for(w(), timeout)

    def next_id(self) -> str:
        return f"{self.name or 'c'}-{next(self._ids)}"

    async def cmd(self, type: str, id: str | None = None, **fields) -> dict:
        """Send a command and return its ack or error."""
        id = id or self.next_id()
        await self.send({"type": type, "id": id, **fields})
        return await self.reply(id)

    async def reply(self, id: str) -> dict:
        return await self.wait_for(lambda m: m["type"] in ("ack", "error") and m.get("id") == id)

    async def ok(self, type: str, **fields) -> dict:
        r = await self.cmd(type, **fields)
        assert r["type"] == "ack", r
        return r

    async def resync(self) -> dict:
        r = await self.ok("resync")
        view = next(m for m in reversed(self.messages) if m["type"] == "view" and m.get("id") == r["id"])
        self.view = view["view"]
        return self.view

    async def close(self):
        await self.ws.close()
        self._reader.cancel()


class Api:
    """HTTP JSON helper."""

    def __init__(self, base_url: str, http: aiohttp.ClientSession):
        self.url = base_url
        self.http = http

    async def request(self, method: str, path: str, body=None, token: str | None = None, raw: str | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        kw = {"data": raw, "headers": {**headers, "Content-Type": "application/json"}} if raw is not None \
            else {"json": body, "headers": headers}
        async with self.http.request(method, self.url + path, **kw) as r:
            ctype = r.headers.get("Content-Type", "")
            return r.status, (await r.json() if "json" in ctype else await r.text())

    async def create(self, **options) -> dict:
        status, body = await self.try_create(**options)
        assert status == 201, body
        return body

    async def try_create(self, **options):
        """POST /api/sessions with the admin key: (status, body), whatever the answer."""
        return await self.request("POST", "/api/sessions", options, token=TEST_ADMIN_KEY)

    async def join(self, code: str, name: str, **kw) -> dict:
        status, body = await self.request("POST", "/api/join", {"code": code, "name": name, **kw})
        assert status == 200, body
        return body

    async def control(self, session: dict, action: str, **fields) -> dict:
        status, body = await self.request("POST", f"/api/sessions/{session['session_id']}/control",
                                          {"action": action, **fields}, token=session["facilitator_token"])
        assert status == 200, body
        return body

    async def summary(self, session: dict) -> dict:
        status, body = await self.request("GET", f"/api/sessions/{session['session_id']}",
                                          token=session["facilitator_token"])
        assert status == 200, body
        return body


class InProcessServer:
    """The real application on a free loopback port, in the test's event loop."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.runner = None

    async def start(self) -> "InProcessServer":
        app = make_app(self.config)
        self.runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self.config.port = self.port
        self.url = f"http://127.0.0.1:{self.port}"
        self.hub = app[HUB]
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            if not self.hub.shutting_down:
                await self.hub.shutdown()
            await self.runner.cleanup()
            self.runner = None


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "data" / "alliance.db"


@pytest.fixture
async def start_server(db_path):
    """Factory: `await start_server(**config)`; every server started is stopped at the end."""
    started: list[InProcessServer] = []

    async def start(**overrides) -> InProcessServer:
        cfg = ServerConfig(**{"host": "127.0.0.1", "port": 0, "db_path": str(db_path), "synchronous": "normal",
                              "heartbeat": 5.0, "admin_key": TEST_ADMIN_KEY, **overrides})
        s = await InProcessServer(cfg).start()
        started.append(s)
        return s

    yield start
    for s in started:
        await s.stop()


@pytest.fixture
async def server(start_server) -> InProcessServer:
    return await start_server()


@pytest.fixture
async def api(server):
    async with aiohttp.ClientSession() as http:
        yield Api(server.url, http)


async def seat_players(api, server, session: dict, clients: list, names=("ana", "ben")) -> list:
    """Join `names` to `session` over HTTP and log each in on a socket (collected in `clients`,
    closed at the end); each client keeps its join answer as `joined`."""
    out = []
    for name in names:
        j = await api.join(session["code"], name)
        c = await Client.login(server.url, j["player_token"], name=name)
        c.joined = j
        clients.append(c)
        out.append(c)
    return out


def session_log(server, session: dict) -> list[dict]:
    """The session's log rows in order (session_id, seq, kind, type, actor, data), read from
    the in-process server's SQLite file: what `game_rules.replay.read_sessions` takes."""
    db = sqlite3.connect(server.config.db_path)
    try:
        return [dict(zip(("session_id", "seq", "kind", "type", "actor", "data"), r)) for r in db.execute(
            "SELECT session_id, seq, kind, type, actor, data FROM log WHERE session_id=? ORDER BY seq",
            (session["session_id"],))]
    finally:
        db.close()


@pytest.fixture
async def clients():
    """Collects clients so they are all closed at the end."""
    made: list[Client] = []
    yield made
    for c in made:
        await c.close()


class ServerProcess:
    """`python run.py` as a subprocess (for kill -9 and signal tests)."""

    def __init__(self, db: Path, *extra: str, preexec_fn=None):
        self.proc = subprocess.Popen(
            [sys.executable, "run.py", "--port", "0", "--db", str(db), "--log-level", "warning", *extra],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=preexec_fn)
        self.url = None

    async def ready(self, timeout: float = 20.0) -> "ServerProcess":
        loop = asyncio.get_running_loop()
        line = await asyncio.wait_for(loop.run_in_executor(None, self.proc.stdout.readline), timeout)
        assert "open http://" in line, (line, self.proc.poll(), self.proc.stderr.read() if self.proc.poll() is not None else "")
        self.url = line.split("open ")[1].split()[0].rstrip("/")
        return self

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 20) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()


@pytest.fixture
def server_process(db_path):
    """Factory: `await server_process()` starts run.py on `db_path`; all are stopped at the end."""
    procs: list[ServerProcess] = []

    async def start(*extra: str) -> ServerProcess:
        p = ServerProcess(db_path, *extra)
        procs.append(p)
        return await p.ready()

    yield start
    for p in procs:
        p.cleanup()


@pytest.fixture
async def made():
    """GameClients (clients/python/client.py) made by a test, all closed at the end."""
    out: list = []
    yield out
    for c in out:
        await c.close()


def walk(v):
    """Every value inside a decoded message (maps and lists, depth first), itself first."""
    yield v
    if isinstance(v, dict):
        for x in v.values():
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster for the whole run (tests/pg_cluster.py), stopped at the
    end. Missing PostgreSQL: a failure under CI=true, a skip with the reason elsewhere."""
    from pg_cluster import start_cluster
    try:
        cluster = start_cluster()
    except RuntimeError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is needed in CI: {e}")
        pytest.skip(f"no PostgreSQL for this run: {e}")
    yield cluster
    cluster.stop()


_pg_databases = itertools.count(1)


@pytest.fixture
def pg_dsn(pg_cluster) -> str:
    """A DSN of a new empty schema of the throwaway cluster's database (one per test)."""
    return pg_cluster.schema(f"t{os.getpid()}_{next(_pg_databases)}")


def pytest_collection_modifyitems(config, items):
    # the Chromium tests by their file's name, so `-m "not browser"` leaves them all out
    for item in items:
        if item.path.name.startswith("test_browser_"):
            item.add_marker(pytest.mark.browser)
