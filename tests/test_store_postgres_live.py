"""A real server on PostgreSQL end to end, against the throwaway cluster (tests/pg_cluster.py).

- The same seeded session (server-side bots in every seat, which play inside the session:
  the seed alone decides the game) on SQLite and on PostgreSQL gives the same export: every
  file equal once what legitimately differs from one run to the next is replaced by a
  placeholder (`_normalized`): the session id and join code (random), the wall-clock times
  (when rows were written, clock deadlines, when the session was created and ended, when
  the export ran), the monotonic times, the manifest's provenance and, because of all these,
  the SHA-256 and sizes it lists. `alliance.sqlite` is compared as its SQL dump, so
  normalized the same way (tests/test_store_postgres_server.py shows its bytes equal for
  the same rows).
- `python run.py --db postgresql://...` (a subprocess): four bots play a session over their
  sockets to the debrief; the server stops (SIGTERM) and a new one on the same database
  restores it: the same summary, the export replays with no difference, an acknowledged
  command re-sent with its id gets the same ack and is not applied twice."""
from __future__ import annotations

import asyncio
import io
import json
import re
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import aiohttp

from clients.python.client import GameClient, control, create_session, summary
from clients.python.live_bots import LiveBot
from conftest import Api, ServerProcess
from fixtures.fixture_db import _replay

OPTIONS = dict(scenario="classic", copies=2, rounds=3, negotiation=True, seed=7, title="stores side by side")
EPOCH = re.compile(rb"\b1[6-9]\d{8}(?:\.\d+)?\b")  # wall-clock seconds (2020-2033)
ISO_TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


async def _bot_session(server) -> tuple[dict, bytes]:
    """Server-side bots (fill_bots) play every phase at once, inside the session."""
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        s = await api.create(**OPTIONS)
        await api.control(s, "fill_bots", strategy="balanced")
        await api.control(s, "start")
        status = await api.summary(s)
        assert status["phase"] == "debrief" and status["round"] == 3, status
        await api.control(s, "end_session")
        async with http.get(f"{server.url}/api/sessions/{s['session_id']}/export",
                            headers={"Authorization": f"Bearer {s['researcher_token']}"}) as r:
            assert r.status == 200
            return s, await r.read()


def _normalized(archive: bytes, s: dict) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        files = {n: z.read(n) for n in z.namelist()}
    monos = sorted({repr(json.loads(line)["mono_time"]).encode() for line in files["log.jsonl"].splitlines()},
                   key=len, reverse=True)
    files["alliance.sqlite"] = _as_text(files["alliance.sqlite"])
    manifest = json.loads(files["manifest.json"])
    for k in ("created_at", "created", "git_commit", "package_version", "dependencies"):
        manifest.pop(k, None)
    for f in manifest["files"].values():
        f.pop("sha256", None)
        f.pop("bytes", None)
    files["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    out = {}
    for name, data in files.items():
        data = data.replace(s["session_id"].encode(), b"<session>")
        for code in (s["code"], s["code"].replace("-", "")):  # as shown, and as stored
            data = data.replace(code.encode(), b"<code>")
        for m in monos:
            data = data.replace(m, b"<mono>")
        out[name.replace(s["session_id"], "<session>")] = ISO_TIME.sub(b"<time>", EPOCH.sub(b"<time>", data))
    return out


def _as_text(database: bytes) -> bytes:
    """A SQLite database as text: its schema, then every table's rows in rowid order (JSON)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "alliance.sqlite"
        path.write_bytes(database)
        con = sqlite3.connect(path)
        try:
            master = con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY rowid").fetchall()
            lines = [json.dumps(m) for m in master]
            for kind, name, _ in master:
                if kind == "table":
                    lines += [json.dumps(r) for r in con.execute(f'SELECT * FROM "{name}" ORDER BY rowid')]
        finally:
            con.close()
    return "\n".join(lines).encode()


async def test_a_seeded_bot_session_exports_the_same_on_postgresql_as_on_sqlite(start_server, pg_dsn, db_path):
    got = {}
    for db in (str(db_path), pg_dsn):
        server = await start_server(db_path=db)
        assert type(server.hub.store).__name__ == ("PostgresStore" if db == pg_dsn else "SqliteStore")
        s, archive = await _bot_session(server)
        got[db] = _normalized(archive, s)
        await server.stop()
    on_sqlite, on_pg = got[str(db_path)], got[pg_dsn]
    assert sorted(on_sqlite) == sorted(on_pg) and "log.jsonl" in on_pg and "rounds.csv" in on_pg
    assert on_pg["log.jsonl"].count(b"\n") >= 60  # negotiation, three rounds, the end
    different = [n for n in on_sqlite if on_sqlite[n] != on_pg[n]]
    assert not different, different


async def test_live_bots_play_on_postgresql_and_a_restarted_server_restores_the_session(pg_dsn):
    procs: list[ServerProcess] = []
    try:
        first = ServerProcess(pg_dsn)  # type: ignore[arg-type]  # run.py --db <dsn>
        procs.append(first)
        await first.ready()
        url = first.url
        s = await create_session(url, scenario="classic", copies=2, rounds=3, seed=5)
        bots = [await LiveBot.join(url, s["code"], f"Bot {i}", strategy, seed=i)
                for i, strategy in enumerate(["internalizer", "avoider", "balanced", "tit_for_tat"])]
        runs = [asyncio.create_task(b.run(timeout=60)) for b in bots]
        await control(url, s["session_id"], s["facilitator_token"], "start")
        assert await asyncio.gather(*runs) == ["debrief"] * 4
        fac = GameClient(url, s["facilitator_token"], name="fac")
        await fac.connect()
        ack = await fac.command("control", id="announce-1", action="inject", text="well played")
        await fac.close()
        before = await summary(url, s["session_id"], s["facilitator_token"])
        assert before["phase"] == "debrief" and all(n["status"] == "agreed" for n in before["negotiations"].values())
        assert first.terminate() == 0

        again = ServerProcess(pg_dsn)  # type: ignore[arg-type]
        procs.append(again)
        await again.ready()
        after = await summary(again.url, s["session_id"], s["facilitator_token"])
        assert _stable(after, again.url) == _stable(before, url)
        fac = GameClient(again.url, s["facilitator_token"], name="fac")
        await fac.connect()
        assert await fac.command("control", id="announce-1", action="inject", text="well played") == ack
        await fac.close()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{again.url}/api/sessions/{s['session_id']}/export",
                                headers={"Authorization": f"Bearer {s['researcher_token']}"}) as r:
                assert r.status == 200
                archive = await r.read()
        replayed = _replay(archive)
        assert replayed.startswith(b"exit 0\n") and b"no differences" in replayed, replayed[:500]
        with zipfile.ZipFile(io.BytesIO(archive)) as z:
            rows = [json.loads(line) for line in z.read("log.jsonl").splitlines()]
        assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
        assert sum(r["type"] == "announcement" for r in rows) == 1  # the re-sent id was not applied twice
        submitted = {(r["actor"], r["data"]["round"]) for r in rows if r["type"] == "decision_submitted"}
        assert len(submitted) == 4 * 3
    finally:
        for p in procs:
            p.cleanup()


def _stable(view: dict, url: str) -> str:
    """The facilitator's summary without what moves by itself (who is online, the clock)
    and with the server's address (a free port each start) as `<server>`."""
    status = {k: v for k, v in view["status"].items() if k not in ("connected", "clock")}
    status["players"] = [{k: v for k, v in p.items() if k != "connected"} for p in status["players"]]
    kept = {**{k: v for k, v in view.items() if k not in ("connected", "clock", "server_time")}, "status": status}
    return json.dumps(kept, sort_keys=True).replace(url, "<server>")
