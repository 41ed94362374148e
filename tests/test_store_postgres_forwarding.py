"""Three server processes on one PostgreSQL (issue 20, "Done when"): any process serves any
session, forwarding to the owner through the database (server/forwarding.py,
server/follower.py, server/store/pg_inbox.py); the owner of a busy session is killed with
SIGKILL mid-round and another takes it over.

Three `python run.py --db postgresql://... --lease-seconds 2` processes; each creates one
session (it owns it). Every session's players join and play through all three processes
(player i of session k on process (k + i) mod 3; its facilitator on yet another), sending
a seeded mix of drafts, chat lines and submits, each command with its own id. Then the
owner of session 0 is SIGKILLed mid-round: its own sockets reconnect to the next process
(no proxy in front here: the client tries the service's other addresses), the others keep
forwarding; a survivor takes the session over within the lease plus the restore time, and
every client gets commands through again.

At the end: every acknowledged command is in the log exactly once, with its fact right
after it; each seq once, no gap; every client's folded view (what the pushes made of it)
equals a fresh full view; and the three processes' summaries agree: the owner's live
state and the two followers' replicas, which are the log replayed (snapshot + facts)."""
from __future__ import annotations

import asyncio
import json
import random
import time

import asyncpg

from clients.python.client import CommandError, ConnectionLost, GameClient, create_session, join_session, summary
from conftest import ServerProcess

LEASE = 2.0
SEED = 20_2026
# what a view holds that is not the session's state: this socket's clock reading and who is online
# (presence is per process: a follower knows its own sockets)
_VOLATILE = {"server_time", "clock", "online", "status"}


class Player:
    """One player's seeded mix of drafts, chat lines and submits; a command refused with a
    retryable error (the owner away) is sent again with the same id."""

    def __init__(self, client: GameClient, joined: dict, rng: random.Random):
        self.c, self.joined, self.rng = client, joined, rng
        self.acked: dict[str, tuple[str, dict]] = {}
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
            for _ in range(10):
                try:
                    await self.c.command(t, id=cid, timeout=60, **f)
                    self.acked[cid] = (t, f)
                    break
                except CommandError as e:
                    if e.code != "owner_unreachable":
                        break  # refused by the session (wrong phase...): nothing applied
                except ConnectionLost:
                    return
            await asyncio.sleep(self.rng.uniform(0.01, 0.05))  # paced, as people are


async def _rows(dsn: str) -> list:
    conn = await asyncpg.connect(dsn)
    try:
        return [dict(r) for r in await conn.fetch("SELECT * FROM log ORDER BY session_id, seq")]
    finally:
        await conn.close()


def _state(view: dict) -> dict:
    return {k: v for k, v in view.items() if k not in _VOLATILE}


async def test_three_processes_forward_and_survive_the_owner_killed(pg_dsn):
    rng = random.Random(SEED)
    procs = [ServerProcess(pg_dsn, "--lease-seconds", str(LEASE)) for _ in range(3)]  # type: ignore[arg-type]
    players: list[Player] = []
    facs: list[GameClient] = []
    tasks: list[asyncio.Task] = []
    try:
        await asyncio.gather(*(p.ready(90) for p in procs))  # (imports take seconds on a loaded machine)
        urls = [p.url for p in procs]
        sessions = [await create_session(urls[k], scenario="classic", copies=1, rounds=20, negotiation=False,
                                         round_seconds=600, seed=k) for k in range(3)]
        for k, s in enumerate(sessions):
            for i in range(4):
                at = (k + i) % 3  # the players of one session on every process
                j = await join_session(urls[at], s["code"], f"s{k}p{i}")
                c = GameClient(urls[at], j["player_token"], id_prefix=f"s{k}p{i}", name=f"s{k}p{i}",
                               also=tuple(urls[at + 1:] + urls[:at]), min_backoff=0.05, max_backoff=0.3,
                               max_attempts=400, command_timeout=60)
                await c.connect()
                await c.wait_view(lambda v: "domains" in v)
                players.append(Player(c, j, random.Random(rng.random())))
            at = (k + 1) % 3  # the facilitator on a process that does not own the session
            fac = GameClient(urls[at], s["facilitator_token"], name=f"fac{k}", also=tuple(urls[at + 1:] + urls[:at]),
                             min_backoff=0.05, max_backoff=0.3, max_attempts=400)
            await fac.connect()
            facs.append(fac)
            await fac.control("start")  # forwarded to the owner
        for pl in players:
            await pl.c.wait_view(lambda v: v["phase"] == "execution")
        tasks = [asyncio.create_task(pl.run()) for pl in players]

        # mid-round, with every player busy: the owner of session 0 dies
        busy = sum(len(pl.acked) for pl in players)
        while sum(len(pl.acked) for pl in players) < busy + 60:
            await asyncio.wait_for(players[0].c.wait_change(players[0].c.version), 30)
        procs[0].kill9()
        killed_at = time.monotonic()
        # a survivor serves session 0 again: every one of its players gets a command through
        since = {id(pl): len(pl.acked) for pl in players}
        for pl in players:
            end = time.monotonic() + 60
            while len(pl.acked) <= since[id(pl)]:
                assert time.monotonic() < end, f"{pl.c.name} never got a command through after the kill"
                await asyncio.wait_for(pl.c.wait_change(pl.c.version), 60)
        s0_back = time.monotonic() - killed_at
        # the lease, the lease watch's period (a third of it), the restore, the clients' reconnects
        # and re-sends, with room for a loaded test machine
        assert s0_back < LEASE + 20, s0_back
        for pl in players:
            pl.stop = True
        await asyncio.wait_for(asyncio.gather(*tasks), 120)

        # every client: its folded view equals a fresh full view (asked on the same socket)
        for pl in players:
            folded = pl.c.view
            fresh = await pl.c.resync()
            assert _state(folded) == _state(fresh), pl.c.name
        # a socket that stayed on a follower got every round's results pushed, as on the owner
        stayed = [pl for pl in players if pl.c.stats.reconnects == 0 and not pl.c.name.startswith("s0")]
        assert stayed and sum(pl.c.view["current_round"] - 1 for pl in stayed) > 0
        for pl in stayed:
            assert sorted(pl.c.round_results) == list(range(1, pl.c.view["current_round"])), pl.c.name
        # every process answers for every session the same: the owner's state, the replicas' log replay
        for s in sessions:
            views = [await summary(u, s["session_id"], s["facilitator_token"]) for u in urls[1:]]
            for k in ("round", "phase", "firms", "drafts", "chat"):
                assert views[0][k] == views[1][k], (s["session_id"], k, sessions.index(s), [(v["round"], v["phase"]) for v in views])
            assert views[0]["status"]["submitted"] == views[1]["status"]["submitted"]
    finally:
        for pl in players:
            pl.stop = True
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for c in [pl.c for pl in players] + facs:
            await c.close()
        for p in procs:
            p.cleanup()

    # every acknowledged command is in the log once, its fact right after it; no seq gap
    rows = await _rows(pg_dsn)
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
    follows = {"draft": "draft_changed", "chat": "chat", "submit": "decision_submitted"}
    total = 0
    for pl in players:
        for cid, (t, f) in pl.acked.items():
            [cmd] = commands[(pl.joined["player_id"], cid)]
            nxt = at[(cmd["session_id"], cmd["seq"] + 1)]
            assert nxt["type"] == follows[t] and nxt["actor"] == pl.joined["player_id"], (cmd, nxt)
            if t == "chat":
                assert json.loads(nxt["data"])["text"] == f["text"]
            total += 1
    assert total > 100
    assert {r["session_id"] for r in rows} == {s["session_id"] for s in sessions}
