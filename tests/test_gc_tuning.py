"""server/gctune.py against real sockets: frozen survivors keep closed sockets' reference
cycles alive until a full collection, and enough socket churn triggers one early."""
from __future__ import annotations

import gc
import json
import time
import weakref

import aiohttp

from server.gctune import GcTuner


async def _until(pred, timeout=10.0):
    import asyncio
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def _open_and_close(server, http, token, actor) -> weakref.ref:
    """One socket that authenticates, lives through a full collection, then closes; returns
    a weak reference to the server side's transport (asyncio leaves a closed one in a
    reference cycle; the WebSocket response itself is freed at once since the heartbeat
    is the server's own sweep: tests/test_heartbeat_sweep.py)."""
    ws = await http.ws_connect(server.url.replace("http", "ws", 1) + "/ws")
    await ws.send_str(json.dumps({"type": "auth", "token": token}))
    await ws.receive()  # welcome
    await _until(lambda: any(actor.conns.values()))
    (conn,) = [c for cs in actor.conns.values() for c in cs]
    ref = weakref.ref(conn._transport)
    del conn
    gc.collect()  # the live socket survives a full collection: frozen with the survivors
    await ws.close()
    await _until(lambda: not any(actor.conns.values()))
    return ref


async def test_socket_churn_triggers_the_full_collection_that_frees_closed_sockets(server, api):
    session = await api.create(copies=1)
    token = (await api.join(session["code"], "Ana"))["player_token"]
    actor = server.hub.sessions[session["session_id"]]
    hub = server.hub
    tuner = GcTuner(full_every=0, churn=lambda: hub.metrics.sockets_closed, churn_limit=3, check_every=3600)
    tuner.install()
    try:
        async with aiohttp.ClientSession() as http:
            first = await _open_and_close(server, http, token, actor)
            gc.collect()
            # the closed socket's cycles were frozen while it lived: an ordinary full
            # collection does not see them (why the tuner needs a churn trigger at all)
            assert first() is not None
            tuner._check_churn()  # 1 socket of churn: below the limit, nothing happens
            assert tuner.full_collections == 0 and first() is not None
            others = [await _open_and_close(server, http, token, actor) for _ in range(2)]
            await _until(lambda: hub.metrics.sockets_closed >= 3)  # (their handlers ended)
            tuner._check_churn()  # 3 sockets came and went since the last full collection
            assert tuner.full_collections == 1
            # (the last socket's handler may still be finishing its close: not checked)
            assert first() is None and others[0]() is None
            tuner._check_churn()  # the count starts again from there
            assert tuner.full_collections == 1
    finally:
        tuner.uninstall()


async def test_a_class_connecting_is_no_churn_only_sockets_that_close_are(server, api):
    """The churn that brings a full collection forward counts sockets that closed: a class of
    5,000 connecting leaves no garbage, and a full collection there only paused the loop
    (0.76-0.92 s in the 5,000-player run: docs/benchmarks.md)."""
    session = await api.create(copies=2)
    tokens = [(await api.join(session["code"], n))["player_token"] for n in ("Ana", "Ben", "Cy")]
    hub, actor = server.hub, server.hub.sessions[session["session_id"]]
    before = hub.metrics.sockets_closed
    tuner = GcTuner(full_every=0, churn=lambda: hub.metrics.sockets_closed, churn_limit=3, check_every=3600)
    tuner.install()
    try:
        async with aiohttp.ClientSession() as http:
            sockets = []
            for t in tokens:
                ws = await http.ws_connect(server.url.replace("http", "ws", 1) + "/ws")
                await ws.send_str(json.dumps({"type": "auth", "token": t}))
                assert json.loads((await ws.receive()).data)["type"] == "welcome"
                sockets.append(ws)
            await _until(lambda: sum(len(c) for c in actor.conns.values()) == 3)
            assert hub.metrics.sockets_closed == before  # three open: nothing came and went
            tuner._check_churn()
            assert tuner.full_collections == 0
            for ws in sockets:
                await ws.close()
            await _until(lambda: hub.metrics.sockets_closed == before + 3)
            tuner._check_churn()
            assert tuner.full_collections == 1
    finally:
        tuner.uninstall()


def _gc_metrics(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        if line.startswith("alliance_gc_"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


async def test_the_server_process_shows_its_collector_pauses_in_metrics(server_process):
    """`run.py` times every collection on its event loop (gc.callbacks): `/metrics` shows
    passes, seconds and the longest pause per generation, so a latency tail can be checked
    against the collector."""
    proc = await server_process()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{proc.url}/metrics") as r:
            assert r.status == 200
            m = _gc_metrics(await r.text())
    for g in "012":
        for name in ("collections_total", "pause_seconds_total", "pause_longest_seconds"):
            assert m[f'alliance_gc_{name}{{generation="{g}"}}'] >= 0


async def test_metrics_count_the_collections_and_their_pauses(server, api):
    tuner = GcTuner(full_every=0)
    tuner.install()
    server.hub.gc_pauses = tuner.pauses  # as `run.py` does (server/cli.py)
    try:
        gc.collect(0)
        gc.collect(2)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.url}/metrics") as r:
                m = _gc_metrics(await r.text())
    finally:
        tuner.uninstall()
    assert m['alliance_gc_collections_total{generation="0"}'] >= 1
    assert m['alliance_gc_collections_total{generation="2"}'] >= 1
    longest = m['alliance_gc_pause_longest_seconds{generation="2"}']
    assert 0 < longest <= m['alliance_gc_pause_seconds_total{generation="2"}']


def test_pauses_are_counted_per_generation():
    from server.gctune import GcPauses
    pauses = GcPauses()
    gc.callbacks.append(pauses)
    try:
        gc.collect(1)
        gc.collect(2)
        gc.collect(2)
    finally:
        gc.callbacks.remove(pauses)
    assert pauses.passes[1] >= 1 and pauses.passes[2] >= 2
    assert pauses.seconds[2] >= pauses.longest[2] > 0


def _promote_many(n: int) -> list:
    """Objects that live through many young and middle-generation passes (the long-lived
    state a class builds up: players, sockets, chat), in small reference cycles."""
    keep = []
    for i in range(n):
        a = [i]
        a.append(a)  # a cycle: tracked, and only the collector could free it
        keep.append(a)
    return keep


def test_no_full_collection_starts_on_its_own_once_tuned():
    """Full collections walked everything promoted since the last one (60-300 ms of CPU
    at 2,000 players); once tuned only the tuner starts them (on its schedule, on churn)."""
    tuner = GcTuner(full_every=0)
    tuner.install()
    try:
        before = list(tuner.pauses.passes)
        kept = _promote_many(300_000)  # ~400 young passes
        young, middle, full = (a - b for a, b in zip(tuner.pauses.passes, before))
        assert young > 100  # the collector ran (middle passes: the test below)
        assert full == 0
        tuner._full()  # the tuner's own full collection still runs
        assert tuner.pauses.passes[2] == before[2] + 1
        del kept
    finally:
        tuner.uninstall()
    assert gc.get_threshold()[2] < 1000  # CPython's own settings back


def test_a_young_pass_survivor_is_never_walked_by_a_middle_pass():
    """The survivors of every collection are frozen, the young ones too: a middle-generation
    pass walked the survivors of ten young passes again (20-25 ms of CPU each at 5,000
    players, nothing found) and was the event loop's longest item (docs/benchmarks.md,
    "The loop's long items"). Counted: objects left for a middle pass after a young one."""
    tuner = GcTuner(full_every=0)
    tuner.install()
    try:
        kept = _promote_many(5_000)   # alive through the young passes they cause
        gc.collect(0)
        assert gc.get_objects(generation=1) == [] and gc.get_objects(generation=2) == []
        before = list(tuner.pauses.passes)
        more = _promote_many(50_000)  # ~70 young passes: ~7 would have been middle ones
        young, middle = (a - b for a, b in zip(tuner.pauses.passes[:2], before))
        assert young > 30
        assert gc.get_objects(generation=1) == []  # nothing waits there to be walked again
        del kept, more
    finally:
        tuner.uninstall()


def test_a_cycle_that_dies_after_a_young_pass_is_freed_by_the_tuners_full_collection():
    """Freezing young survivors keeps a cycle that dies later until the tuner's next full
    collection (every `full_every` seconds, or on socket churn), as one promoted to the
    oldest generation was kept before: nothing leaks past it."""
    class Node:
        pass
    tuner = GcTuner(full_every=0)
    tuner.install()
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a   # a reference cycle: only the collector frees it
        ref = weakref.ref(a)
        gc.collect(0)             # it survives a young pass: frozen
        del a, b
        gc.collect(0)
        gc.collect(1)
        assert ref() is not None  # frozen: the young and middle passes do not see it
        tuner._full()
        assert ref() is None
    finally:
        tuner.uninstall()
