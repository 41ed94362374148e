"""Round deltas over real sockets (server/view_deltas.py, server/fanout.py): a socket whose
`auth` says it reads them (`deltas: 2`) gets a `round_delta` after a round, a socket that
does not a full `view`; applied to the view the first one holds (folded as the pushes came)
the delta gives exactly what the second was sent, and carries nothing that view lacks. The
delta cites the round's results (version 3: `results`) rather than repeating the events of
the `round_result` the socket got just before; a socket that said `deltas: 2` still gets
them repeated. A client whose delta does not fit (its `base`, its changes, a cited
round_result it lacks) asks for a full view."""
from __future__ import annotations

import aiohttp

from clients.python.client import GameClient
import msgpack
import pytest

from clients.python.view_fold import Folded, apply
from conftest import Api, Client
from game_rules.session.deltas import DELTA_VERSION, PatchError, patch
from test_view_deltas import _carried


async def _login(url: str, token: str, deltas: bool, version: int = DELTA_VERSION) -> Client:
    c = await Client.open(url, True, "d" if deltas else "f")
    await c.send({"type": "auth", "token": token, **({"deltas": version} if deltas else {})})
    await c.wait_for(lambda m: m["type"] == "welcome")
    await c.wait_for(lambda m: m["type"] == "view")
    return c


def _fold(c: Client, upto: int) -> dict | None:
    folded = Folded()   # (a round delta may cite the round_result before it)
    for m in c.messages[:upto]:
        folded(m)
    return folded.view


async def test_a_round_delta_gives_the_full_view_a_socket_without_deltas_gets(start_server):
    server = await start_server(status_every=0)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(scenario="classic", copies=1, seed=4, negotiation=False)
        joined = [await api.join(session["code"], n) for n in ("Ada", "Bea", "Cy")]
        by_firm: dict[str, list] = {}
        for j in joined:
            by_firm.setdefault(j["firm"], []).append(j)
        pair = next(js for js in by_firm.values() if len(js) == 2)   # two people share a firm
        other = next(j for j in joined if j not in pair)
        ada = await _login(server.url, pair[0]["player_token"], deltas=True)
        bea = await _login(server.url, pair[1]["player_token"], deltas=False)
        cy = await _login(server.url, other["player_token"], deltas=True)
        old = await _login(server.url, pair[0]["player_token"], deltas=True, version=2)  # a page of before version 3
        try:
            await api.control(session, "start")
            for c in (ada, bea, cy):
                await c.wait_for(lambda m: m["type"] in ("view", "round_delta") and m.get("round") == 1
                                 or m["type"] == "view" and m["view"].get("current_round") == 1)
            # round 1: a draft and a chat line folded into the views held, then the round closes
            r = await bea.cmd("draft", fields={"develop": {"design": 4.0}}, round=1)
            assert r["type"] == "ack", r
            assert (await ada.cmd("chat", to="firm", text="ready"))["type"] == "ack"
            await ada.wait_for(lambda m: m["type"] == "draft")
            for c in (ada, cy):
                assert (await c.cmd("submit", round=1))["type"] == "ack"
            delta = await ada.wait_for(lambda m: m["type"] == "round_delta" and m["round"] == 2)
            full = await bea.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 2)
            await cy.wait_for(lambda m: m["type"] == "round_delta" and m["round"] == 2)
            at = ada.messages.index(delta)
            held = _fold(ada, at)
            assert delta["base"] == sum(m["type"] in ("view", "round_delta") for m in ada.messages[:at])
            result = next(m for m in ada.messages[:at] if m["type"] == "round_result" and m["round"] == 1)
            new = apply(held, delta, result)
            expected = {**full["view"], "me": held["me"]}   # the same firm's view, at the same moment
            assert new == expected
            _carried(delta["changes"], expected)
            # the round's results are cited, not sent again: the history grew by exactly them
            assert delta["version"] == 3 and delta["results"] == 1 and result["events"]
            assert "history" not in delta["changes"].get("append", {}) and "history" not in delta["changes"].get("set", {})
            assert expected["history"][-len(result["events"]):] == result["events"]
            with pytest.raises(PatchError):   # without that round_result the client asks for a full view
                apply(held, delta)
            with pytest.raises(PatchError):
                apply(held, delta, {**result, "round": 0})
            assert len(ada.raw_frames[at]) < len(bea.raw_frames[bea.messages.index(full)]) / 2
            # a socket that reads version 2 gets the results in the delta again
            d2 = await old.wait_for(lambda m: m["type"] == "round_delta" and m["round"] == 2)
            i2 = old.messages.index(d2)
            assert d2["version"] == 2 and "results" not in d2 and "history" in d2["changes"]["append"]
            held2 = None
            for m in old.messages[:i2]:
                held2 = patch(held2, m["changes"]) if m["type"] == "round_delta" else apply(held2, m)
            assert patch(held2, d2["changes"]) == {**full["view"], "me": held2["me"]}
            assert len(msgpack.packb(delta)) < len(msgpack.packb(d2)) * 0.6
        finally:
            for c in (ada, bea, cy, old):
                await c.close()


async def test_a_delta_that_does_not_fit_the_view_held_brings_a_full_view(start_server):
    server = await start_server(status_every=0)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(scenario="classic", copies=1, seed=4)
        j = await api.join(session["code"], "Ada")
        c = GameClient(server.url, j["player_token"], name="Ada")
        await c.connect()
        try:
            await c.wait_view(lambda v: v["phase"] == "lobby")
            before = c.view
            # as if a delta for another view reached it (its base), then one whose changes do not fit
            for i, bad in enumerate(({"base": 99, "changes": {"set": {"phase": "debrief"}}},
                                     {"changes": {"append": {"phase": ["x"]}}})):
                bad = {"base": c._views, **bad}
                c._handle({"type": "round_delta", "version": DELTA_VERSION, "round": None, "seq": c._seq + 1, **bad})
                assert c.view == before and c.stats.delta_misses == i + 1
                await c.wait(lambda c: c.stats.resyncs == i + 1 and c._views == 3 + 2 * i)
            assert c.view["phase"] == "lobby" and c.stats.errors == 0
        finally:
            await c.close()


async def test_a_rounds_views_leave_in_chunks_of_firms_each_written_before_the_next_is_built(start_server, monkeypatch):
    """server/fanout.py `VIEWS_CHUNK`: at a round's end the first firms' views are written
    while the next are built (a chunk built once the round is committed is a delivery of its
    own; those built while it was committed leave with the results: each player's delta in
    one delivery), and every device still ends with exactly the view a fresh full view gives."""
    from server import fanout, session_actor
    monkeypatch.setattr(fanout, "VIEWS_CHUNK", 1, raising=False)
    deliveries: list[set[str]] = []   # per delivery: the players it carried a round delta to
    real = session_actor.deliver

    def deliver(out, after, fut):
        got = {c.principal.player_id for c, m in out if m.get("type") == "round_delta" and m.get("round") == 2}
        if got:
            deliveries.append(got)
        real(out, after, fut)
    monkeypatch.setattr(session_actor, "deliver", deliver)
    server = await start_server(status_every=0)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(scenario="classic", copies=2, seed=4, negotiation=False)
        joined = [await api.join(session["code"], n) for n in ("Ada", "Bea", "Cy", "Dan")]
        assert len({j["firm"] for j in joined}) == 4
        players = [await _login(server.url, j["player_token"], deltas=True) for j in joined]
        try:
            await api.control(session, "start")
            for c in players:
                await c.wait_for(lambda m: m["type"] == "round_delta" and m["round"] == 1
                                 or m["type"] == "view" and m["view"].get("current_round") == 1)
            for c in players:
                assert (await c.cmd("submit", round=1))["type"] == "ack"
            for c in players:
                delta = await c.wait_for(lambda m: m["type"] == "round_delta" and m["round"] == 2)
                new = _fold(c, c.messages.index(delta) + 1)
                full = await c.resync()
                assert new == {**full, "clock": new["clock"]}   # (the clock's remaining time ran on)
            assert sum(len(d) for d in deliveries) == 4 and len(set().union(*deliveries)) == 4, deliveries
        finally:
            for c in players:
                await c.close()


async def test_a_rounds_first_views_are_built_while_its_log_rows_are_committed(start_server, monkeypatch):
    """The item that closes a round ends its batch and the first chunk of views is built
    while the writer thread commits the round (the results still leave first, after the
    commit): the views no longer wait for the commit and the results' delivery."""
    import threading

    from server import fanout
    from server.store import sqlite as store_sqlite
    built = threading.Event()          # the first chunk of the round's views was built
    seen: list[bool] = []              # per round's commit: was it built before the commit ended
    commit, player_views = store_sqlite.SqliteStore._commit, fanout.Fanout._player_views

    def gated_commit(self, conn, batch):
        if any(op[0] == "log" and op[1].type == "round_closed" for ops, _ in batch for op in ops):
            seen.append(built.wait(3))   # the old order never builds it before this commit ends
        return commit(self, conn, batch)

    def views_built(self, names, deltas):
        player_views(self, names, deltas)
        if deltas and self.live.session.state.round == 1:
            built.set()
    monkeypatch.setattr(store_sqlite.SqliteStore, "_commit", gated_commit)
    monkeypatch.setattr(fanout.Fanout, "_player_views", views_built)
    server = await start_server(status_every=0)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(scenario="classic", copies=1, seed=4, negotiation=False)
        joined = [await api.join(session["code"], n) for n in ("Ada", "Bea")]
        players = [await _login(server.url, j["player_token"], deltas=True) for j in joined]
        try:
            await api.control(session, "start")
            for c in players:
                assert (await c.cmd("submit", round=1))["type"] == "ack"
            for c in players:
                result = await c.wait_for(lambda m: m["type"] == "round_result" and m["round"] == 1)
                delta = await c.wait_for(lambda m: m["type"] == "round_delta" and m["round"] == 2)
                assert c.messages.index(result) < c.messages.index(delta)   # the results first
            assert seen == [True]
        finally:
            for c in players:
                await c.close()


async def test_the_views_built_while_a_round_is_committed_leave_with_its_results_in_one_write(start_server, monkeypatch):
    """server/session_actor.py `_flush`: an item with no log rows (a chunk of a new round's
    views) hands its messages to the delivery already waiting for the same commit, so a
    socket whose view was built while the round was committed gets its `round_result`,
    clock and `round_delta` in one write (on 0c7d51e: two, the delta after every socket's
    results); the results still go first in it. A full view (a socket without deltas: several
    KB) still leaves in a write of its own, after the results."""
    import json
    import threading

    import msgpack

    from server import connection, fanout
    from server.store import sqlite as store_sqlite
    monkeypatch.setattr(fanout, "VIEWS_CHUNK", 1, raising=False)
    built = threading.Event()          # every chunk of round 2's views was built
    commit, chunk = store_sqlite.SqliteStore._commit, fanout.Fanout._round_views_chunk
    writes: dict[str, list[list[str]]] = {}   # player -> the message types of each write to it

    def gated_commit(self, conn, batch):
        if any(op[0] == "log" and op[1].type == "round_closed" for ops, _ in batch for op in ops):
            assert built.wait(3)
        return commit(self, conn, batch)

    def chunk_built(self, groups):
        chunk(self, groups)
        if len(groups) <= fanout.VIEWS_CHUNK and self.live.session.state.round == 1:
            built.set()

    flush = connection.Connection.flush

    def traced_flush(self):
        if self._batch and self.principal and self.principal.player_id:
            writes.setdefault(self.principal.player_id, []).append(
                [(msgpack.unpackb(f) if isinstance(f, bytes) else json.loads(f))["type"] for f in self._batch])
        flush(self)
    monkeypatch.setattr(store_sqlite.SqliteStore, "_commit", gated_commit)
    monkeypatch.setattr(fanout.Fanout, "_round_views_chunk", chunk_built)
    monkeypatch.setattr(connection.Connection, "flush", traced_flush)
    server = await start_server(status_every=0)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(scenario="classic", copies=2, seed=4, negotiation=False)
        joined = [await api.join(session["code"], n) for n in ("Ada", "Bea", "Cy", "Dan")]
        players = [await _login(server.url, j["player_token"], deltas=n > 0) for n, j in enumerate(joined)]
        try:
            await api.control(session, "start")
            for c in players:
                assert (await c.cmd("submit", round=1))["type"] == "ack"
            await players[0].wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 2)
            one = [w for w in writes[joined[0]["player_id"]] if "round_result" in w]
            assert len(one) == 1 and "view" not in one[0], writes[joined[0]["player_id"]]
            for c, j in zip(players[1:], joined[1:]):
                delta = await c.wait_for(lambda m: m["type"] == "round_delta" and m["round"] == 2)
                new = _fold(c, c.messages.index(delta) + 1)
                full = await c.resync()
                assert new == {**full, "clock": new["clock"]}
                one = [w for w in writes[j["player_id"]] if "round_result" in w]
                assert len(one) == 1 and "round_delta" in one[0], writes[j["player_id"]]
                assert one[0].index("round_result") < one[0].index("round_delta")
        finally:
            for c in players:
                await c.close()
