"""The store contract (`EventStore`, server/store/records.py), run against both stores: SQLite
in a temp file and PostgreSQL in the throwaway cluster (tests/pg_cluster.py). Each test
writes through `write(ops)` as the server does and reads back through the interface and
the export reader; `test_both_stores_read_back_the_same` runs one script on both and
compares every read, and the export's `alliance.sqlite`, byte for byte."""
from __future__ import annotations

import asyncio
import json

import pytest

from server.store import LogRow, StoreError, export_reader, make_store

SID, OTHER = "s_aaaaaaaaaaaaaaaa", "s_bbbbbbbbbbbbbbbb"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "alliance.db")
    return request.getfixturevalue("pg_dsn")


@pytest.fixture
async def opened():
    """Factory: `opened(db)` opens a store; every one is closed at the end."""
    stores = []

    def open_(db: str):
        s = make_store(db, "normal")
        s.open()
        stores.append(s)
        return s
    yield open_
    for s in stores:
        await s.aclose()


def session_row(sid: str, code: str, t: float, fac: str = "fac", res: str = "res") -> dict:
    return {"session_id": sid, "code": code, "scenario": "classic", "title": f"t {sid}",
            "options": json.dumps({"study": "st", "n": 1}), "facilitator_token_hash": f"{fac}-{sid}",
            "created_at": t, "status": "live", "ended_at": None, "researcher_token_hash": f"{res}-{sid}"}


def row(sid: str, seq: int, kind: str = "system", type_: str = "fact", data: dict | None = None,
        actor: str | None = "facilitator", command_id: str | None = None, reply: str | None = None) -> LogRow:
    return LogRow(sid, seq, kind, type_, actor, None, 1, command_id, None, json.dumps(data or {"seq": seq}),
                  reply, wall_time=1000.0 + seq, mono_time=5.0 + seq)


def player(pid: str, sid: str, firm: str, t: float, token: str | None = None) -> dict:
    return {"player_id": pid, "session_id": sid, "token_hash": token or f"tok-{pid}", "name": f"N{pid}",
            "label": None, "firm": firm, "joined_at": t}


def script() -> list[list[tuple]]:
    """Batches the way the server writes them: a session with players, commands and their
    acks, chat on two channels, a snapshot, facts after it, a re-seated player (replace),
    an ended second session."""
    b = [[("session", session_row(SID, "ABCD", 10.0)), ("log", row(SID, 1, type_="session_created"))],
         [("session", session_row(OTHER, "WXYZ", 11.0)), ("log", row(OTHER, 1, type_="session_created")),
          ("player", player("o1", OTHER, "A", 21.0)), ("player", player("o2", OTHER, "B", 21.0))],
         [("player", player("p1", SID, "A", 20.0)), ("player", player("p2", SID, "B", 20.0)),
          ("log", row(SID, 2, type_="player_joined"))]]
    seq = 3
    for i in range(6):
        b.append([("log", row(SID, seq, "command", "decide", {"n": i}, "p1", f"c{i}", json.dumps({"ack": i})))])
        seq += 1
    for i in range(5):
        b.append([("log", row(SID, seq, "chat", "chat", {"channel": "team:A" if i % 2 else "all", "text": f"hi {i}"},
                              "p2"))])
        seq += 1
    b.append([("log", row(SID, seq, "event", "round_resolved", {"round": 1})),
              ("log", row(SID, seq + 1, "system", "round_closed", {"round": 1})),
              ("log", row(SID, seq + 2, "system", "renegotiation_opened", {"round": 1, "alliances": {}})),
              ("snapshot", {"session_id": SID, "seq": seq + 1, "round": 1, "phase": "negotiation", "wall_time": 50.0,
                            "state": json.dumps({"round": 1}), "server": json.dumps({"x": 1})})])
    seq += 3
    b.append([("log", row(SID, seq, "system", "completion_given", {"player_id": "p1", "code": "Z1"})),
              ("log", row(SID, seq + 1, "system", "player_moved", {"to": "C"})),
              ("player", player("p1", SID, "C", 20.0)),   # replaced: moves to the end, as SQLite's rowid does
              # the facilitator removed o2 before the end: its token must stay dead after a restart
              ("log", row(OTHER, 2, "system", "player_removed", {"player_id": "o2", "firm": "B", "removed_at": 98.0})),
              ("log", row(OTHER, 3, "system", "session_ended")),
              ("session_status", OTHER, "ended", 99.5)])
    return b


async def run_script(store) -> None:
    await asyncio.gather(*(store.write(ops) for ops in script()))


def reads(store) -> dict:
    live = store.load_live_sessions(chat_keep=2)
    one = store.load_session(OTHER)
    return {
        "live": [(ls.session, ls.players, ls.snapshot, ls.records, ls.chat, sorted(map(tuple, (r.values() for r in ls.replies))),
                  ls.last_seq, ls.last_wall) for ls in live],
        "other": (one.session, one.last_seq, one.records),
        "missing": store.load_session("s_none"),
        "ended_tokens": sorted(store.load_ended_tokens()),
        "codes": (store.load_codes("live"), store.load_codes("ended")),
        "activity": store.last_activity([SID, OTHER, "s_none"]),
        "find": (store.find_session(OTHER), store.find_session("s_none")),
        "reply": (store.find_reply(SID, "p1", "c2"), store.find_reply(SID, "p2", "c2")),
        "options": sorted(store.session_options()),
        "tokens": (store.sessions_of_token(f"res-{SID}"), store.sessions_of_token(f"fac-{OTHER}"),
                   store.sessions_of_token("tok-p2"), store.sessions_of_token("nobody")),
        "completion": (store.logged_completion(SID, "p1"), store.logged_completion(SID, "p2")),
        "history": store.round_history(SID),
    }


def export_reads(db: str) -> dict:
    r = export_reader(db)
    try:
        return {"sessions": r.sessions(), "log": r.log_rows([SID, OTHER]), "seated": r.seated([SID, OTHER]),
                "sqlite": r.copy_of([SID, OTHER], lambda table, rec: None)}
    finally:
        r.close()


async def test_what_is_written_reads_back_through_the_interface(db, opened):
    store = opened(db)
    await run_script(store)
    got = reads(store)
    [(session, players, snap, records, chat, replies, last_seq, last_wall)] = got["live"]
    assert session["session_id"] == SID and session["status"] == "live"
    assert [(p["player_id"], p["firm"]) for p in players] == [("p2", "B"), ("p1", "C")]  # the replaced one last
    assert snap["seq"] == 15 and json.loads(snap["state"]) == {"round": 1}
    assert [(r["seq"], r["type"]) for r in records] == [(16, "renegotiation_opened"), (17, "completion_given"), (18, "player_moved")]
    assert [json.loads(c["data"])["text"] for c in chat] == ["hi 1", "hi 2", "hi 3", "hi 4"]  # 2 per channel
    assert replies == [("p1", f"c{i}", json.dumps({"ack": i})) for i in range(6)]
    assert (last_seq, last_wall) == (18, 1018.0)
    assert got["other"][0]["status"] == "ended" and got["other"][0]["ended_at"] == 99.5 and got["other"][1] == 3
    assert got["missing"] is None
    # a removed player's token is not brought back by a restart (it would read the ended session)
    assert got["ended_tokens"] == [(f"fac-{OTHER}", OTHER, None), ("tok-o1", OTHER, "o1")]
    assert got["codes"] == ([("ABCD", SID)], [("WXYZ", OTHER)])
    assert got["activity"] == {SID: (18, 1018.0), OTHER: (3, 1003.0)}
    assert got["find"][0]["code"] == "WXYZ" and got["find"][1] is None
    assert got["reply"] == (json.dumps({"ack": 2}), None)
    assert got["options"] == [(SID, {"study": "st", "n": 1}), (OTHER, {"study": "st", "n": 1})]
    assert got["tokens"] == (([SID], False), ([OTHER], False), ([], True), ([], False))
    assert got["completion"] == ({"player_id": "p1", "code": "Z1"}, None)
    # the debrief's history: engine events, round closes and the renegotiation windows' facts
    assert got["history"] == [("event", "round_resolved", {"round": 1}), ("system", "round_closed", {"round": 1}),
                              ("system", "renegotiation_opened", {"round": 1, "alliances": {}})]


async def test_both_stores_read_back_the_same(pg_dsn, tmp_path, opened):
    """One script, both stores: every read of the interface and of an export is equal, and
    the export's alliance.sqlite is the same bytes."""
    sqlite_db = str(tmp_path / "alliance.db")
    got = {}
    for db in (sqlite_db, pg_dsn):
        store = opened(db)
        await run_script(store)
        got[db] = (reads(store), await asyncio.to_thread(export_reads, db))  # as an export runs: in a thread
    (a, ea), (b, eb) = got[sqlite_db], got[pg_dsn]
    assert a == b
    assert {k: v for k, v in ea.items() if k != "sqlite"} == {k: v for k, v in eb.items() if k != "sqlite"}
    assert ea["sqlite"] == eb["sqlite"]
    assert [r["id"] for r in eb["log"]] == [r["id"] for r in ea["log"]]


async def test_the_ack_waits_for_the_commit_and_queued_writes_commit_together(db, opened):
    """Group commit: writes queued while a transaction runs share the next one; each future
    resolves only once its rows are committed (a second connection sees them)."""
    store = opened(db)
    await store.write([("session", session_row(SID, "ABCD", 1.0))])
    commits = store.commits
    futures = [store.write([("log", row(SID, seq))]) for seq in range(1, 201)]
    await asyncio.gather(*futures)
    assert store.commits - commits < 200 and store.max_batch > 1
    assert store.rows_written == 201
    logged = (await asyncio.to_thread(export_reads, db))["log"]  # its own connection: only committed rows
    assert [r["seq"] for r in logged] == list(range(1, 201))


async def test_a_failed_write_fails_its_commands_and_every_later_one(db, opened):
    """A batch that cannot be written (a duplicate seq) is rolled back whole, and the store
    refuses every later write: nothing acknowledged is lost, nothing half-written."""
    store = opened(db)
    await store.write([("session", session_row(SID, "ABCD", 1.0)), ("log", row(SID, 1))])
    with pytest.raises(Exception):
        await store.write([("log", row(SID, 2)), ("log", row(SID, 1))])
    assert store.failed is not None
    with pytest.raises(Exception):
        await store.write([("log", row(SID, 3))])
    assert store.load_session(SID).last_seq == 1


async def test_close_flushes_what_is_queued_and_a_new_store_restores_it(db, opened):
    store = make_store(db, "normal")
    store.open()
    store.write([("session", session_row(SID, "ABCD", 1.0))])
    for seq in range(1, 51):
        store.write([("log", row(SID, seq))])
    await store.aclose()
    again = opened(db)
    [ls] = again.load_live_sessions()
    assert ls.last_seq == 50 and len(ls.records) == 50


async def test_an_unreachable_postgresql_is_a_clear_error_without_the_password(pg_cluster):
    dsn = pg_cluster.dsn.replace(pg_cluster.password, "wrong-secret")
    store = make_store(dsn)
    with pytest.raises(StoreError) as e:
        store.open()
    assert "cannot open the event log on PostgreSQL" in str(e.value) and "wrong-secret" not in str(e.value)
    assert "***" in str(e.value)
