"""Three server processes on one PostgreSQL, bots of three sessions playing through all three
(issue 20): the set-up and the end checks shared by tests/test_store_postgres_forwarding.py
(the owner SIGKILLed) and tests/test_store_postgres_restart_three.py (`pg_ctl restart -m
immediate` under load); and `two_processes`, the two-process start of the follower tests.

Each process creates one session (it owns it). Player i of session k joins and plays through
process (k + i) mod 3, its facilitator through yet another, so two players in three are
served by a follower that forwards to the owner (server/forwarding.py). A player sends a
seeded mix of drafts, chat lines and submits, each with its own id; a command refused with
a retryable error is sent again with the same id (never applied twice).

The end checks: every acknowledged command is in the log exactly once with its fact right
after it, each seq once with no gap; every client's folded view equals a fresh full view on
the same socket; every process answers for every session with the same summary (the owner's
live state, the followers' replicas: the log replayed)."""
from __future__ import annotations

import asyncio
import json
import random
import threading
import time

import asyncpg

from clients.python.client import CommandError, ConnectionLost, GameClient, create_session, join_session, summary
from conftest import ServerProcess

# what a view holds that is not the session's state: this socket's clock reading and who is online
# (presence is per process: a follower knows its own sockets)
VOLATILE = {"server_time", "clock", "online", "status"}
RETRYABLE = {"owner_unreachable", "storage_failed", "internal_error", "database_unavailable"}
FOLLOWS = {"draft": "draft_changed", "chat": "chat", "submit": "decision_submitted"}


class Player:
    """One player's seeded mix of drafts, chat lines and submits; a command refused with a
    retryable error (the owner away, the database away) or unanswered in time is sent again
    with the same id."""

    def __init__(self, client: GameClient, joined: dict, rng: random.Random):
        self.c, self.joined, self.rng = client, joined, rng
        self.acked: dict[str, tuple[str, dict]] = {}
        self.refused: list[str] = []  # the retryable error codes this player was answered
        self.unseen: list[str] = []   # chat lines acknowledged before the view showed them
        self.stop = False

    async def run(self) -> None:
        domains = [d["id"] for d in self.c.view["domains"]]
        while not self.stop:
            r = self.rng.random()
            if r < 0.5:
                t, f = "draft", {"fields": {"develop": {self.rng.choice(domains): self.rng.randint(0, 9)}}}
            elif r < 0.85:
                t, f = "chat", {"to": "firm", "text": f"line {self.rng.random():.6f}"}
            else:
                t, f = "submit", {"decision": {"develop": {domains[0]: 1}}}
            cid = self.c.next_id()
            for attempt in range(40):
                try:
                    await self.c.command(t, id=cid, timeout=30, **f)
                    self.acked[cid] = (t, f)
                    if t == "chat" and not self.shows(f["text"]):  # (the ack comes after the view has it)
                        self.unseen.append(f["text"])
                    break
                except CommandError as e:
                    if e.code not in RETRYABLE:
                        break  # refused by the session (wrong phase...): nothing applied
                    self.refused.append(e.code)
                    await asyncio.sleep(min(0.5, 0.05 * (attempt + 1)))  # a client's backoff (the database away)
                except asyncio.TimeoutError:
                    continue  # unanswered: the same id again
                except ConnectionLost:
                    return
            await asyncio.sleep(self.rng.uniform(0.01, 0.05))  # paced, as people are


    def shows(self, text: str) -> bool:
        return any(m.get("text") == text for lines in self.c.view["chat"].values() for m in lines)


class Drained(ServerProcess):
    """A server process whose stderr is read all along (a database outage makes every
    process log warnings; a full pipe would block its logging)."""

    def __init__(self, *args: str):
        super().__init__(*args)  # type: ignore[arg-type]
        self.stderr: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        try:
            for line in self.proc.stderr:
                self.stderr.append(line)
        except ValueError:  # closed by cleanup
            pass


class Spread:
    """Three processes (or `processes`), a session owned by each, four players per session
    and its facilitator over all of them."""

    def __init__(self, dsn: str, lease: float, seed: int, processes: int = 3):
        self.dsn, self.rng = dsn, random.Random(seed)
        self.procs = [Drained(dsn, "--lease-seconds", str(lease)) for _ in range(processes)]
        self.players: list[Player] = []
        self.facs: list[GameClient] = []
        self.tasks: list[asyncio.Task] = []
        self.sessions: list[dict] = []

    @property
    def urls(self) -> list[str]:
        return [p.url for p in self.procs]

    async def start(self) -> None:
        await asyncio.gather(*(p.ready(90) for p in self.procs))  # (imports take seconds on a loaded machine)
        urls = self.urls
        self.sessions = [await create_session(urls[k], scenario="classic", copies=1, rounds=20, negotiation=False,
                                              round_seconds=600, seed=k) for k in range(len(urls))]
        for k, s in enumerate(self.sessions):
            for i in range(4):
                at = (k + i) % len(urls)  # the players of one session on every process
                j = await join_session(urls[at], s["code"], f"s{k}p{i}")
                c = GameClient(urls[at], j["player_token"], id_prefix=f"s{k}p{i}", name=f"s{k}p{i}",
                               also=tuple(urls[at + 1:] + urls[:at]), min_backoff=0.05, max_backoff=0.3,
                               max_attempts=400, command_timeout=60)
                await c.connect()
                await c.wait_view(lambda v: "domains" in v)
                self.players.append(Player(c, j, random.Random(self.rng.random())))
            at = (k + 1) % len(urls)  # the facilitator on a process that does not own the session (if any)
            fac = GameClient(urls[at], s["facilitator_token"], name=f"fac{k}", also=tuple(urls[at + 1:] + urls[:at]),
                             min_backoff=0.05, max_backoff=0.3, max_attempts=400)
            await fac.connect()
            self.facs.append(fac)
            await fac.control("start")  # forwarded to the owner
        for pl in self.players:
            await pl.c.wait_view(lambda v: v["phase"] == "execution")
        self.tasks = [asyncio.create_task(pl.run()) for pl in self.players]

    def acked(self) -> int:
        return sum(len(pl.acked) for pl in self.players)

    async def until_acked(self, more: int, timeout: float = 60) -> None:
        """Wait (on the players' own messages) until `more` commands more are acknowledged."""
        goal, end = self.acked() + more, time.monotonic() + timeout
        while self.acked() < goal:
            assert time.monotonic() < end, f"only {self.acked()} of {goal} commands acknowledged"
            c = self.players[0].c
            try:
                await asyncio.wait_for(c.wait_change(c.version), 1)
            except asyncio.TimeoutError:  # (another player's ack: look again)
                pass

    async def every_player_again(self, timeout: float) -> float:
        """Seconds until every player has got one more command acknowledged than now."""
        t0 = time.monotonic()
        since = {id(pl): len(pl.acked) for pl in self.players}
        for pl in self.players:
            while len(pl.acked) <= since[id(pl)]:
                assert time.monotonic() < t0 + timeout, f"{pl.c.name} never got a command through again"
                assert not pl.c.gone, f"{pl.c.name} gave up: {pl.c._failure!r}"
                try:
                    await asyncio.wait_for(pl.c.wait_change(pl.c.version), 1)
                except asyncio.TimeoutError:  # an ack is not always a message that changes the version
                    pass
        return time.monotonic() - t0

    async def stop_playing(self) -> None:
        """The players stop; every chat line acknowledged was in the sender's view by then
        (owner or follower: the ack goes after what the command changed)."""
        for pl in self.players:
            pl.stop = True
        await asyncio.wait_for(asyncio.gather(*self.tasks), 120)
        assert {pl.c.name: pl.unseen for pl in self.players if pl.unseen} == {}

    async def check_views(self) -> None:
        """Every client's folded view equals a fresh full view (asked on the same socket).
        Call after `check_summaries`, which makes every process catch up (and push what it
        caught up with); a ping answered on the same socket means every push before it is in."""
        for pl in self.players:
            await pl.c.ping()
            folded = pl.c.view
            fresh = await pl.c.resync()
            a, b = state(folded), state(fresh)
            assert a == b, (pl.c.name, {k: (a.get(k), b.get(k)) for k in a.keys() | b.keys() if a.get(k) != b.get(k)})

    async def check_summaries(self, urls: list[str]) -> None:
        """The processes at `urls` answer for every session the same (owner and followers)."""
        for s in self.sessions:
            views = [await summary(u, s["session_id"], s["facilitator_token"]) for u in urls]
            for v in views[1:]:
                for k in ("round", "phase", "firms", "drafts", "chat"):
                    assert v[k] == views[0][k], (s["session_id"], k, [(x["round"], x["phase"]) for x in views])
                assert v["status"]["submitted"] == views[0]["status"]["submitted"]

    async def close(self) -> None:
        for pl in self.players:
            pl.stop = True
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for c in [pl.c for pl in self.players] + self.facs:
            await c.close()
        for p in self.procs:
            p.cleanup()

    async def check_log(self) -> int:
        """Every acknowledged command is in the log once, its fact right after it; every
        session's seqs are 1..n; returns how many acknowledged commands were checked."""
        rows = await log_rows(self.dsn)
        by_session: dict[str, list[int]] = {}
        for r in rows:
            by_session.setdefault(r["session_id"], []).append(r["seq"])
        assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_session.values())
        commands: dict[tuple, list[dict]] = {}
        for r in rows:
            if r["kind"] == "command":
                commands.setdefault((r["actor"], r["command_id"]), []).append(r)
        assert all(len(v) == 1 for v in commands.values()), "a command id applied twice"
        at = {(r["session_id"], r["seq"]): r for r in rows}
        total = 0
        for pl in self.players:
            for cid, (t, f) in pl.acked.items():
                [cmd] = commands[(pl.joined["player_id"], cid)]
                nxt = at[(cmd["session_id"], cmd["seq"] + 1)]
                assert nxt["type"] == FOLLOWS[t] and nxt["actor"] == pl.joined["player_id"], (cmd, nxt)
                if t == "chat":
                    assert json.loads(nxt["data"])["text"] == f["text"]
                total += 1
        assert {r["session_id"] for r in rows} == {s["session_id"] for s in self.sessions}
        return total


async def two_processes(dsn: str, lease: str = "10") -> list[ServerProcess]:
    """Two `run.py --db <dsn>` processes, ready (the caller stops them). The lease is long
    enough that no takeover happens in a test, even on a loaded machine. If one never gets
    ready, both are stopped before the error goes on."""
    procs = [ServerProcess(dsn, "--lease-seconds", lease) for _ in range(2)]  # type: ignore[arg-type]
    try:
        await asyncio.gather(*(p.ready(90) for p in procs))
    except BaseException:
        for p in procs:
            p.cleanup()
        raise
    return procs


async def log_rows(dsn: str) -> list:
    conn = await asyncpg.connect(dsn)
    try:
        return [dict(r) for r in await conn.fetch("SELECT * FROM log ORDER BY session_id, seq")]
    finally:
        await conn.close()


def state(view: dict) -> dict:
    return {k: v for k, v in view.items() if k not in VOLATILE}
