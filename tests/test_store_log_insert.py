"""The log rows of a commit go in a few multi-row statements (server/store/log_insert.py),
written exactly as one statement per row wrote them: the same rows, order and rowids; a
commit of log rows that fit one statement runs it alone, without BEGIN and COMMIT."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest
import sqlite_utils
from hypothesis import given, settings, strategies as st

from server.store import make_store
from server.store.log_insert import LogInserts, for_connection
from server.store.sqlite import _LOG_COLUMNS, SqliteStore, create_schema, log_values
from tests.test_store_contract import SID, row, session_row


def _schema() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    create_schema(sqlite_utils.Database(conn))
    return conn


def _rows(n: int, start: int = 1) -> list[tuple]:
    return [log_values(row(SID, seq, data={"seq": seq, "text": "é\u0000\"'" * (seq % 3)})) for seq in range(start, start + n)]


def _traced(conn: sqlite3.Connection) -> list[str]:
    seen: list[str] = []
    conn.set_trace_callback(lambda sql: seen.append(sql) if sql.startswith("INSERT") else None)
    return seen


def test_a_commit_of_1255_rows_runs_a_handful_of_statements_not_one_per_row():
    conn = _schema()
    seen = _traced(conn)
    for_connection(conn, _LOG_COLUMNS).run(conn, _rows(1255))
    # 4 x 256, then 128 while more than 128 are left, then the 103 left in one
    assert len(seen) == 6
    assert conn.execute("SELECT count(*) FROM log").fetchone()[0] == 1255


@pytest.mark.parametrize("n, sizes", [(1, [1]), (7, [7]), (38, [38]), (100, [100]), (128, [128]),
                                      (129, [128, 1]), (200, [128, 72]), (300, [256, 44]), (700, [256, 256, 128, 60])])
def test_up_to_128_rows_left_go_in_one_statement_of_their_size(n, sizes):
    conn = _schema()
    seen = _traced(conn)
    inserts = for_connection(conn, _LOG_COLUMNS)
    assert inserts.sizes(n) == sizes
    inserts.run(conn, _rows(n))
    assert len(seen) == len(sizes)
    assert conn.execute("SELECT count(*) FROM log").fetchone()[0] == n


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(min_value=0, max_value=700), min_size=1, max_size=4),
       limit=st.sampled_from([13, 26, 999, 32766]))
def test_the_rows_and_rowids_are_those_of_one_statement_per_row(sizes, limit):
    """Any commit size, and a SQLite whose limit allows only a row or two per statement."""
    many, one = _schema(), _schema()
    inserts = LogInserts(_LOG_COLUMNS, limit)
    assert inserts.largest * len(_LOG_COLUMNS) <= limit
    seq = 1
    for n in sizes:
        rows = _rows(n, seq)
        seq += n
        inserts.run(many, rows)
        one.executemany(f"INSERT INTO log ({', '.join(_LOG_COLUMNS)}) VALUES ({', '.join('?' * len(_LOG_COLUMNS))})", rows)
    q = "SELECT rowid, * FROM log ORDER BY rowid"
    assert many.execute(q).fetchall() == one.execute(q).fetchall()


def test_a_limit_below_one_row_is_refused_by_sqlite_not_silently_truncated():
    """(No SQLite is built that small; the store would fail the write loudly, not lose rows.)"""
    conn = _schema()
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 5)
    with pytest.raises(sqlite3.OperationalError):
        for_connection(conn, _LOG_COLUMNS).run(conn, _rows(1))


async def test_the_store_writes_log_rows_between_other_operations_in_order(tmp_path):
    """Through the store as the server uses it: batches mixing log rows with a player row,
    a snapshot and a status change, queued together (group commit) and one by one."""
    db = str(tmp_path / "alliance.db")
    store = make_store(db, "normal")
    store.open()
    try:
        await store.write([("session", session_row(SID, "ABCD", 1.0))])
        seq, futures = 1, []
        for k in range(40):
            ops = [("log", row(SID, s)) for s in range(seq, seq + k % 9)]
            seq += k % 9
            if k % 5 == 0:
                ops.insert(len(ops) // 2, ("snapshot", {"session_id": SID, "seq": k, "round": 1, "phase": "execution",
                                                         "wall_time": 2.0, "state": "{}", "server": "{}"}))
            futures.append(store.write(ops))
        futures.append(store.write([("log", row(SID, s)) for s in range(seq, seq + 600)]))
        seq += 600
        await asyncio.gather(*futures)
    finally:
        await store.aclose()
    conn = sqlite3.connect(db)
    got = conn.execute("SELECT seq, data FROM log ORDER BY rowid").fetchall()
    snapshots = conn.execute("SELECT count(*) FROM snapshots").fetchone()[0]
    conn.close()
    assert [s for s, _ in got] == list(range(1, seq))
    assert [d for _, d in got] == [row(SID, s).data for s in range(1, seq)]
    assert snapshots == 8


class _Traced(SqliteStore):
    """The real store, its writer's statements recorded (the connection's trace callback)."""

    def _open_for_writing(self):
        conn = super()._open_for_writing()
        self.temp_store = conn.execute("PRAGMA temp_store").fetchone()[0]  # 2: MEMORY
        self.statements: list[str] = []
        conn.set_trace_callback(self.statements.append)
        return conn


async def test_a_commit_of_log_rows_in_one_statement_runs_without_begin_or_commit(tmp_path):
    """Autocommit: the INSERT is its own transaction, durable when the future resolves (read
    by another connection), and a commit with any other operation is still one transaction."""
    db = str(tmp_path / "alliance.db")
    store = _Traced(db, "full")
    store.open()
    try:
        await store.write([("session", session_row(SID, "ABCD", 1.0))])
        store.statements.clear()
        await store.write([("log", row(SID, s)) for s in range(1, 39)])
        one = [s for s in store.statements if not s.startswith("PRAGMA")]
        assert len(one) == 1 and one[0].startswith("INSERT INTO log")
        other = sqlite3.connect(db)
        assert other.execute("SELECT count(*) FROM log").fetchone()[0] == 38
        store.statements.clear()
        await store.write([("log", row(SID, 39)), ("snapshot", {"session_id": SID, "seq": 39, "round": 1,
                           "phase": "execution", "wall_time": 2.0, "state": "{}", "server": "{}"})])
        assert [s.split()[0] for s in store.statements] == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
        store.statements.clear()
        await store.write([("log", row(SID, s)) for s in range(40, 240)])  # 128 + 72: one transaction
        assert [s.split()[0] for s in store.statements] == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
        assert other.execute("SELECT count(*) FROM log").fetchone()[0] == 239
        other.close()
    finally:
        await store.aclose()


async def test_a_refused_single_statement_commit_leaves_none_of_its_rows(tmp_path):
    """A row of the statement breaks the unique (session, seq): none of the statement's
    rows is kept, the write fails and the store stops writing, as with a transaction."""
    db = str(tmp_path / "alliance.db")
    store = SqliteStore(db, "full")
    store.open()
    try:
        await store.write([("session", session_row(SID, "ABCD", 1.0)), ("log", row(SID, 1))])
        with pytest.raises(sqlite3.IntegrityError):
            await store.write([("log", row(SID, s)) for s in (2, 3, 1, 4)])
        assert store.failed is not None
    finally:
        await store.aclose()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT seq FROM log ORDER BY seq").fetchall() == [(1,)]
    conn.close()


async def test_the_writers_statement_journals_stay_in_memory(tmp_path):
    """A statement journal (what undoes one multi-row INSERT inside a transaction) is not a
    temporary file: a third of the writer's CPU per commit. The file's rows are as before."""
    store = _Traced(str(tmp_path / "alliance.db"), "full")
    store.open()
    try:
        assert store.temp_store == 2
        await store.write([("session", session_row(SID, "ABCD", 1.0))] + [("log", row(SID, s)) for s in range(1, 301)])
    finally:
        await store.aclose()
    conn = sqlite3.connect(str(tmp_path / "alliance.db"))
    assert [s for (s,) in conn.execute("SELECT seq FROM log ORDER BY rowid")] == list(range(1, 301))
    conn.close()


def test_none_is_bound_as_null_through_an_adapter_not_two_failed_lookups():
    """The writer binds ~4 NULLs per log row: an adapter for None answers them at once
    (server/store/sqlite.py); they are still NULL in the file."""
    assert sqlite3.adapters.get((type(None), sqlite3.PrepareProtocol)) is not None
    conn = _schema()
    for_connection(conn, _LOG_COLUMNS).run(conn, _rows(3))
    assert conn.execute("SELECT count(*) FROM log WHERE firm IS NULL AND reply IS NULL AND client_time IS NULL "
                        "AND typeof(firm) = 'null'").fetchone()[0] == 3
