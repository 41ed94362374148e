"""The goldens' driver over the live protocol: the real server in this process (a free
loopback port, a real SQLite file), HTTP for creating and joining, one WebSocket per party.

After each step, `settle` asks every party in turn (a fixed order) for a full view with
`resync` and waits for its ack. The session's actor handles commands one at a time and
each socket delivers in order, so every push the step caused reaches a party before the
answer to that party's resync: no sleeps, no timing. Facts are read from the log after
the last ack (its commit holds every earlier row).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import aiohttp

from conftest import TEST_ADMIN_KEY, Api, Client, InProcessServer  # tests/ is on sys.path (pytest, __main__)
from server.config import ServerConfig

FACILITATOR = "facilitator"


# as docs/data.md and the join codes define them, not imported, so the harness does not
# follow server modules around: the log keeps a token's SHA-256, codes are typed any way
def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch not in "- ")


# The goldens' server (ServerConfig fields): rate limits out of the way (a script sends as
# fast as it can), no idle archiving, clocks long enough never to run out during a script
# (the script moves on with the facilitator's end_round/advance, never with a clock).
GOLDEN_SERVER = {"rate_per_second": 1e6, "rate_burst": 10**6, "archive_idle_seconds": 0,
                 "round_seconds": 3600.0, "negotiation_seconds": 3600.0, "heartbeat": 30.0}


def server_config(db_path: Path) -> ServerConfig:
    """As tests/conftest.py's `start_server` makes it, with GOLDEN_SERVER."""
    return ServerConfig(**{"host": "127.0.0.1", "port": 0, "db_path": str(db_path), "synchronous": "normal",
                           "admin_key": TEST_ADMIN_KEY, **GOLDEN_SERVER})


class LiveDriver:
    def __init__(self, server: InProcessServer, http: aiohttp.ClientSession):
        self.server = server
        self.api = Api(server.url, http)
        self.session: dict = {}
        self.parties: dict[str, Client] = {}
        self.tokens: dict[str, str] = {}
        self.read = {}           # party -> messages already reported
        self.last_seq = 0
        self._aliases: dict[str, str] = {server.url: "<server>", server.url.replace("http", "ws", 1): "<ws>"}
        self._settles = 0

    def aliases(self) -> dict[str, str]:
        return self._aliases

    def _secret(self, value: str | None, name: str) -> None:
        if value:
            self._aliases[value] = name

    async def create(self, options: dict) -> dict:
        s = self.session = await self.api.create(**options)
        self._secret(s["session_id"], "<session>")
        self._secret(s["code"], "<code>")
        self._secret(normalize_code(s["code"]), "<code>")
        for key in ("facilitator_token", "researcher_token"):
            self._secret(s.get(key), f"<{key}>")
            self._secret(token_hash(s[key]) if s.get(key) else None, f"<{key}_hash>")
        await self._login(FACILITATOR, s["facilitator_token"])
        return s

    async def join(self, party: str, name: str) -> dict:
        j = await self.api.join(self.session["code"], name)
        self._secret(j["player_id"], f"<player:{party}>")
        self._secret(j["player_token"], f"<token:{party}>")
        self._secret(token_hash(j["player_token"]), f"<token_hash:{party}>")
        rejoin = j.get("rejoin_code")
        if rejoin:
            self._secret(rejoin, f"<rejoin:{party}>")
            self._secret(normalize_code(rejoin), f"<rejoin:{party}>")
            self._secret(token_hash(normalize_code(rejoin)), f"<rejoin_hash:{party}>")
        await self._login(party, j["player_token"])
        return j

    async def _login(self, party: str, token: str) -> None:
        c = await Client.open(self.server.url, binary=True, name=party)
        await c.send({"type": "auth", "token": token})
        self.parties[party], self.tokens[party], self.read[party] = c, token, 0

    async def reconnect(self, server: InProcessServer, http: aiohttp.ClientSession) -> None:
        """After a restart: every party logs in again, with its token, on `server`."""
        await self.close()
        self.server, self.api = server, Api(server.url, http)
        for party, token in list(self.tokens.items()):
            await self._login(party, token)

    async def send(self, party: str, message: dict) -> dict:
        c = self.parties[party]
        await c.send(message)
        return await c.reply(message["id"])

    async def settle(self) -> dict:
        self._settles += 1
        pushes, views = {}, {}
        for party, c in self.parties.items():
            rid = f"settle-{self._settles}-{party}"
            await c.send({"type": "resync", "id": rid})
            ack = await c.reply(rid)
            assert ack["type"] == "ack", ack
            end = c.messages.index(ack)
            got = c.messages[self.read[party]:end]
            views[party] = next(m for m in got if m["type"] == "view" and m.get("id") == rid)["view"]
            pushes[party] = [m for m in got if m.get("id") is None or not str(m["id"]).startswith(("step-", "settle-"))]
            self.read[party] = end + 1
        return {"facts": self._new_rows(), "pushes": pushes, "views": views}

    def _new_rows(self) -> list[dict]:
        con = sqlite3.connect(f"file:{self.server.config.db_path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT seq, kind, type, actor, firm, round, data FROM log WHERE session_id = ? "
                               "AND seq > ? ORDER BY seq", (self.session["session_id"], self.last_seq)).fetchall()
        finally:
            con.close()
        if rows:
            self.last_seq = rows[-1][0]
        return [{"kind": k, "type": t, "actor": a, "firm": f, "round": r, "data": json.loads(d)}
                for _, k, t, a, f, r, d in rows]

    async def close(self) -> None:
        for c in self.parties.values():
            await c.close()


async def play_on(server: InProcessServer, script: dict) -> dict:
    """Play `script` against a started server; its transcript, as stored (JSON types)."""
    from .harness import dump, play
    async with aiohttp.ClientSession() as http:
        driver = LiveDriver(server, http)
        try:
            return json.loads(dump(await play(script, driver)))
        finally:
            await driver.close()


async def record(script: dict, db_path: Path) -> dict:
    """Play `script` against a fresh server on `db_path` (stopped after)."""
    server = await InProcessServer(server_config(db_path)).start()
    try:
        return await play_on(server, script)
    finally:
        await server.stop()
