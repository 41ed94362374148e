"""Hostile input, generated (hypothesis; atheris too when it is installed):

- the codec and schema layer: any bytes or text, any structure, never raises anything but
  a `ProtocolError` with a stable code; whatever it accepts can be logged (JSON) and sent
  back (msgpack, JSON);
- the live socket: malformed msgpack and JSON, deep nesting, huge strings, NaN and
  infinity, negative and huge numbers, wrong types, unknown fields, `__proto__` keys, sent
  to an authenticated socket of a real server: every frame gets exactly one answer (an
  `error` with a stable code and a message, or an `ack`), the socket stays usable, the
  in-memory state stays equal to what the log restores, and memory stays bounded;
- replayed and reordered command ids: a repeated id is answered with the original result
  and never applied twice; a refused id is not remembered;
- the HTTP endpoints: any body, never a 5xx, always a JSON error with a stable code.
"""
from __future__ import annotations

import importlib.util
import json
import secrets
import math
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import msgpack
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from websockets.sync.client import connect as ws_connect

from server import protocol as P
from server.config import ServerConfig

from conftest import TEST_ADMIN_KEY
from reliability_tools import ThreadedServer, http_json, rss_bytes

ROOT = Path(__file__).resolve().parent.parent
def fuzz(n: int):
    """Bounded, reproducible runs (the same examples every time: a CI failure replays)."""
    return settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                    database=None)

# ---- strategies ---------------------------------------------------------------------------------

HOSTILE_KEYS = st.sampled_from(["__proto__", "constructor", "prototype", "type", "id", "fields", "decision",
                                "round", "text", "to", "action", "terms", "token", "firm", "contribute",
                                "absorb", "develop", "protect", "reveal", "withhold", "exit", "survey",
                                "design", "brand", "", "\u0000", "x" * 300])
NUMBERS = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, -0.0, 1e308, -1e308, 5e-324, 2**53, 2**53 + 1, -(2**63), 10**30, 100, 100.0001]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=40),
                    st.builds(lambda n, c: c * n, st.integers(1000, 30_000), st.sampled_from("aü\U0001f600\x00")),
                    st.binary(max_size=20))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(HOSTILE_KEYS, st.text(max_size=10)), inner, max_size=4)),
    max_leaves=20)
TYPES = st.sampled_from(list(P.CLIENT_MESSAGES) + ["", "Draft", "draft ", "__proto__", "view", "ack"])


@st.composite
def message(draw):
    """A map that looks like a command, with hostile values and keys."""
    m = {}
    if draw(st.integers(0, 9)):
        m["type"] = draw(st.one_of(TYPES, SCALARS))
    if draw(st.integers(0, 3)):
        m["id"] = draw(st.one_of(st.text(min_size=1, max_size=70), SCALARS))
    for _ in range(draw(st.integers(0, 4))):
        m[draw(HOSTILE_KEYS)] = draw(VALUES)
    if m.get("type") in ("draft", "submit") and draw(st.booleans()):
        key = "fields" if m["type"] == "draft" else "decision"
        m[key] = {draw(st.sampled_from(["contribute", "absorb", "develop", "reveal"])):
                  {draw(st.sampled_from(["design", "manufacturing", "brand", "nope"])): draw(NUMBERS)},
                  "protect": draw(NUMBERS)}
    return m


@st.composite
def deep(draw):
    depth = draw(st.integers(10, 400))
    v = draw(SCALARS)
    for _ in range(depth):
        v = [v] if draw(st.booleans()) else {"a": v}
    return {"type": draw(TYPES), "id": "deep", "fields": v}


def _json_text(m) -> str:
    """JSON with NaN/Infinity allowed (what a hostile client can type); bytes become text."""
    return json.dumps(m, default=lambda o: o.decode("latin-1") if isinstance(o, bytes) else str(o))


def _msgpack(m) -> bytes:
    try:
        return msgpack.packb(m, use_bin_type=True)
    except (OverflowError, ValueError, TypeError):
        return msgpack.packb({"type": "ping", "id": 7})


FRAMES = st.one_of(
    st.binary(max_size=300),                                   # garbage bytes (msgpack decoder)
    st.text(max_size=300),                                     # garbage text (JSON decoder)
    message().map(_msgpack),
    message().map(_json_text),
    deep().map(_msgpack),
    deep().map(_json_text),
    st.builds(lambda n: msgpack.packb({"type": "chat", "id": "big", "to": "firm", "text": "y" * n}),
              st.integers(60_000, 200_000)),                   # above the frame limit
    st.builds(lambda b: b"\xdd\xff\xff\xff\xff" + b, st.binary(max_size=10)),  # a 4 G array header
    st.builds(lambda b: b"\xdb\x7f\xff\xff\xff" + b, st.binary(max_size=10)),  # a 2 GB string header
)


# ---- 1. the codec and schema layer --------------------------------------------------------------

@fuzz(250)
@given(FRAMES)
def test_decoder_and_schemas_only_raise_protocol_errors(frame):
    try:
        raw = P.decode_frame(frame, 64 * 1024)
        msg = P.parse_client_message(raw)
    except P.ProtocolError as e:
        assert e.code in P.ERROR_CODES and e.message
        return
    # accepted: it can be logged and echoed without surprises
    json.dumps(msg.model_dump(), allow_nan=False)
    P.encode({"type": "ack", "id": "x", "result": msg.model_dump()}, True)
    P.encode({"type": "ack", "id": "x", "result": msg.model_dump()}, False)


# ---- 2. the live socket --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    srv = ThreadedServer(ServerConfig(host="127.0.0.1", port=0, db_path=str(db), synchronous="normal",
                                      rate_per_second=1e6, rate_burst=10**6, garbage_strikes=10**9,
                                      flood_strikes=10**9, max_per_firm=1000, admin_key=TEST_ADMIN_KEY,
                                      create_burst=10**6, create_total_burst=10**6)).start()  # a player per example
    s = http_json("POST", f"{srv.url}/api/sessions", {"copies": 1, "rounds": 3, "negotiation": False},
                  token=TEST_ADMIN_KEY)[1]
    players = [http_json("POST", f"{srv.url}/api/join", {"code": s["code"], "name": f"f{i}"})[1] for i in range(2)]
    http_json("POST", f"{srv.url}/api/sessions/{s['session_id']}/control", {"action": "start"},
              token=s["facilitator_token"])
    # close_timeout: other tests' pushes may sit unread in this socket's queue at the end
    ws = ws_connect(srv.url.replace("http", "ws") + "/ws", max_size=2**24, close_timeout=0.5)
    ws.send(msgpack.packb({"type": "auth", "token": players[0]["player_token"]}))
    assert msgpack.unpackb(ws.recv(10))["type"] == "welcome"
    srv.session, srv.players, srv.ws, srv.db = s, players, ws, db
    srv.sentinel = 0
    yield srv
    ws.close()
    srv.stop()


def _answers(srv, frame) -> list[dict]:
    """Send `frame`, then a sentinel ping; return the answers (ack/error) that came before
    the sentinel's ack."""
    srv.sentinel += 1
    sid = f"sentinel-{srv.sentinel}"
    srv.ws.send(frame)
    srv.ws.send(msgpack.packb({"type": "ping", "id": sid}))
    out = []
    while True:
        raw = srv.ws.recv(10)
        m = msgpack.unpackb(raw) if isinstance(raw, bytes) else json.loads(raw)
        if m.get("type") in ("ack", "error"):
            if m.get("id") == sid:
                assert m["type"] == "ack", m
                return out
            out.append(m)


@fuzz(400)
@given(FRAMES)
def test_every_hostile_frame_gets_one_clear_answer(live, frame):
    # past the transport's hard limit (4x the frame limit) the server closes the socket
    # with 1009 instead of answering (tested in test_server_bad_input.py)
    size = len(frame if isinstance(frame, bytes) else frame.encode("utf-8", "surrogatepass"))
    assume(size <= 4 * ServerConfig().max_frame_bytes - 1024)
    answers = _answers(live, frame)
    assert len(answers) == 1, answers
    a = answers[0]
    if a["type"] == "error":
        assert a["code"] in P.ERROR_CODES and a["code"] != "internal_error", a
        assert isinstance(a["message"], str) and 0 < len(a["message"]) <= 400, a


def test_hostile_frames_leave_state_consistent_and_memory_bounded(live):
    """After a few thousand hostile frames: the live state equals what the log restores,
    and the process did not grow with the garbage."""
    frames = [
        b"\xc1" * 100, "{" * 5000, "[" * 100_000, msgpack.packb({"type": "draft", "id": "n", "fields": {"protect": math.nan}}),
        '{"type":"draft","id":"i","fields":{"protect":Infinity}}', msgpack.packb({"type": "ping", "id": "x" * 65}),
        msgpack.packb({"type": "submit", "id": "neg", "decision": {"develop": {"design": -1e9}}}),
        msgpack.packb({"type": "submit", "id": "huge", "decision": {"develop": {"design": 1e308}}}),
        msgpack.packb({"type": "draft", "id": "proto", "fields": {"__proto__": {"admin": True}}}),
        msgpack.packb({"type": "control", "id": "c", "action": "end_session"}),
        msgpack.packb({"type": "chat", "id": "h", "to": "firm", "text": "z" * 70_000}),
        msgpack.packb({"type": "auth", "token": "t" * 256}),
        msgpack.packb({"type": "draft", "id": "b", "fields": {"survey": {"q": b"\x00" * 100}}}),
    ]
    for f in frames:  # warm up (first-time allocations)
        _answers(live, f)
    before = rss_bytes(os.getpid())
    for _ in range(150):
        for f in frames:
            answers = _answers(live, f)
            assert len(answers) == 1 and answers[0]["type"] == "error", answers
    grown = rss_bytes(os.getpid()) - before
    assert grown < 40 * 2**20, f"memory grew by {grown / 2**20:.1f} MB over 1950 hostile frames"
    # nothing changed: no command was logged for any of them, and the state is what a restart restores
    actor = live.hub.sessions[live.session["session_id"]]
    assert actor.status == "live" and actor.state.phase == "execution"
    live_view = live.call(_facilitator_summary(actor))
    restored = live.call(_restore_copy(live.hub, actor))
    for k in ("round", "phase", "firms", "alliances", "drafts", "chat"):
        assert restored[k] == live_view[k], k


async def _facilitator_summary(actor):
    return await actor.call(actor.summary)


async def _restore_copy(hub, actor):
    """Rebuild the session from the log (what a restart does) without disturbing it."""
    await actor.call(lambda: None)  # everything before is committed
    live = next(ls for ls in hub.store.load_live_sessions(hub.config.chat_keep)
                if ls.session["session_id"] == actor.id)
    copy = hub._actor(live.session)
    copy.restore(live.snapshot, live.records, live.chat, live.replies, live.last_seq)
    return copy.summary()


# ---- 3. replayed and reordered ids ----------------------------------------------------------------

IDS = st.sampled_from([f"r{i}" for i in range(6)])
COMMANDS = st.one_of(
    st.builds(lambda i, x: {"type": "draft", "id": i, "fields": {"develop": {"design": x}}}, IDS,
              st.one_of(st.integers(-3, 30), st.just(500))),
    st.builds(lambda i, t: {"type": "chat", "id": i, "to": "firm", "text": t}, IDS, st.sampled_from(["a", "b", " "])),
    st.builds(lambda i: {"type": "ping", "id": i}, IDS),
)


@fuzz(25)
@given(st.lists(COMMANDS, min_size=3, max_size=25))
def test_replayed_and_reordered_ids_apply_once(live, seq):
    # a fresh player per example: ids are per token
    j = http_json("POST", f"{live.url}/api/join",  # (one seat per name)
                  {"code": live.session["code"], "name": f"replayer {secrets.token_hex(4)}"})[1]
    ws = ws_connect(live.url.replace("http", "ws") + "/ws", max_size=2**24, close_timeout=0.5)
    try:
        ws.send(json.dumps({"type": "auth", "token": j["player_token"]}))
        first = {}
        for cmd in seq:
            ws.send(json.dumps(cmd))
            while True:
                m = json.loads(ws.recv(10))
                if m.get("type") in ("ack", "error") and m.get("id") == cmd["id"]:
                    break
            if cmd["id"] in first:  # a replay: the original answer, nothing applied
                assert m["type"] == "ack" and m.get("duplicate") is True, (cmd, m)
                assert m["result"] == first[cmd["id"]]["result"]
            elif m["type"] == "ack":
                assert not m.get("duplicate")
                first[cmd["id"]] = m
            # a refused id is not remembered: it may be used again
    finally:
        ws.close()
    import sqlite3
    db = sqlite3.connect(f"file:{live.db}?mode=ro", uri=True)
    rows = db.execute("SELECT command_id FROM log WHERE actor = ? AND kind = 'command'", (j["player_id"],)).fetchall()
    db.close()
    assert sorted(r[0] for r in rows) == sorted(first)


# ---- 4. HTTP ------------------------------------------------------------------------------------

BODIES = st.one_of(st.binary(max_size=200), message().map(lambda m: _json_text(m).encode()),
                   VALUES.map(lambda v: _json_text(v).encode()),
                   st.builds(lambda d: _json_text(d).encode(), st.dictionaries(HOSTILE_KEYS, VALUES, max_size=6)))


@fuzz(150)
@given(st.sampled_from(["/api/sessions", "/api/join", "control"]), BODIES,
       st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]))
def test_http_bodies_never_5xx(live, path, body, ctype):
    token = TEST_ADMIN_KEY if path == "/api/sessions" else None
    if path == "control":
        path, token = f"/api/sessions/{live.session['session_id']}/control", live.session["facilitator_token"]
    status, data, _ = http_json("POST", live.url + path, raw=body, token=token,
                                headers={"Content-Type": ctype} if ctype else {})
    assert status < 500, (status, data)
    if status >= 400:
        assert isinstance(data, dict) and data["error"]["code"] in P.ERROR_CODES, data
    assert live.hub.store.failed is None


# ---- 5. atheris (coverage-guided), when it is installed --------------------------------------------

ATHERIS_HARNESS = textwrap.dedent('''
    import json
    import sys
    import atheris
    import msgpack, pydantic  # noqa: E401 (not instrumented: only our code is)
    with atheris.instrument_imports(include=["server"]):
        from server import protocol as P

    def one(data: bytes):
        fdp = atheris.FuzzedDataProvider(data)
        as_text = fdp.ConsumeBool()
        frame = fdp.ConsumeUnicodeNoSurrogates(4096) if as_text else fdp.ConsumeBytes(4096)
        try:
            raw = P.decode_frame(frame, 64 * 1024)
            msg = P.parse_client_message(raw)
        except P.ProtocolError as e:
            assert e.code in P.ERROR_CODES
            return
        json.dumps(msg.model_dump(), allow_nan=False)
        P.encode({"type": "ack", "id": "x", "result": msg.model_dump()}, True)

    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
''')


def test_atheris_protocol_decoder(tmp_path):
    if importlib.util.find_spec("atheris") is None:
        pytest.skip("atheris is not installed (pip install atheris): the hypothesis fuzzers above still run")
    harness = tmp_path / "fuzz_protocol.py"
    harness.write_text(ATHERIS_HARNESS)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, seed in enumerate([msgpack.packb({"type": "draft", "id": "a", "fields": {"protect": 1.5}}),
                              b'{"type":"chat","id":"c","to":"firm","text":"hi"}',
                              msgpack.packb({"type": "auth", "token": "x"})]):
        (corpus / f"seed{i}").write_bytes(b"\x00" + seed)
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, str(harness), "-runs=100000", "-max_len=4096", "-seed=1",
                        "-max_total_time=10", str(corpus)], cwd=ROOT, capture_output=True, text=True,
                       timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr[-3000:]  # a crash or an assertion in the harness is non-zero
    assert "Done" in r.stderr, r.stderr[-1000:]
    print(r.stderr.strip().splitlines()[-1], f"({time.monotonic() - t0:.1f} s)")
