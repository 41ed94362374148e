"""The durable event log (SQLite through sqlite-utils): append with group commit,
snapshots, and what a restart needs to rebuild every live session.

One writer thread owns the only writing connection. The asyncio side hands it batches of
operations and gets a future that resolves once their transaction has COMMITted; whatever
arrives while a transaction is being written goes into the next one together (group
commit), so one fsync covers many commands. The server acknowledges a command only after
its future resolves, so an acknowledged command is in the file.

Durability: WAL journal. With `synchronous=FULL` (the default) the WAL is fsynced at every
commit, so acknowledged data survives a power cut. With `synchronous=NORMAL` a commit is
written to the WAL file (the OS page cache) before the future resolves, which survives the
process being killed (kill -9) but not the machine losing power. docs/data.md has the
tables. Both stores take and hand back the types of server/store/records.py; what a restart
reads is server/store/sqlite_restore.py.
"""
from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import queue
import sqlite3
import threading
from pathlib import Path

from .. import store_guard
from ..compact_json import compact
from .log_insert import LogInserts, for_connection
from .reads import SqliteReads
from .records import _LOG_COLUMNS, StoreError, _resolve_all, log_values
from .sqlite_restore import SqliteRestoreReads

# sqlite_utils imports pandas when it is installed (0.4 s, a fifth of the restart budget in
# docs/benchmarks.md) only to map pandas types; the server never hands it pandas objects
import sys as _sys
_no_pandas = "pandas" not in _sys.modules
if _no_pandas:
    _sys.modules["pandas"] = None  # `import pandas` raises ImportError inside sqlite_utils
try:
    import sqlite_utils
finally:
    if _no_pandas:
        del _sys.modules["pandas"]  # anyone else may still import it

log = logging.getLogger("server.store")

# sqlite3 binds int, float, str and bytes as they are, but hands every other value, None
# included, to its adapters: no adapter for None meant two failed attribute lookups (one an
# AttributeError built and dropped) per NULL, ~4 per log row, in the writer thread with the
# GIL held. An adapter for None (a C call returning None: still bound as NULL) is one
# dictionary hit (docs/benchmarks.md, "The exchange against the echo"). Process-wide, and
# the same NULL for every connection.
sqlite3.register_adapter(type(None), {}.get)


# the log's JSON: compact, no NaN, one C call (server/compact_json.py: the same text as
# json.JSONEncoder(separators=(",", ":"), allow_nan=False))
dumps = compact


def create_schema(db: sqlite_utils.Database) -> None:
    if "sessions" not in db.table_names():
        db["sessions"].create({
            "session_id": str, "code": str, "scenario": str, "title": str, "options": str,
            "facilitator_token_hash": str, "created_at": float, "status": str, "ended_at": float,
            "researcher_token_hash": str,
        }, pk="session_id")
        db["sessions"].create_index(["code"])
    elif "researcher_token_hash" not in db["sessions"].columns_dict:  # a file from before research exports
        db["sessions"].add_column("researcher_token_hash", str)
    if "players" not in db.table_names():
        db["players"].create({
            "player_id": str, "session_id": str, "token_hash": str, "name": str, "label": str,
            "firm": str, "joined_at": float,
        }, pk="player_id")
        db["players"].create_index(["session_id"])
        db["players"].create_index(["token_hash"], unique=True)
    if "log" not in db.table_names():
        db["log"].create({
            "id": int, "session_id": str, "seq": int, "kind": str, "type": str, "actor": str,
            "firm": str, "round": int, "command_id": str, "wall_time": float, "mono_time": float,
            "client_time": float, "data": str, "reply": str,
        }, pk="id")
        db["log"].create_index(["session_id", "seq"], unique=True)
        db["log"].create_index(["session_id", "actor", "command_id"])
    if "snapshots" not in db.table_names():
        db["snapshots"].create({
            "session_id": str, "seq": int, "round": int, "phase": str, "wall_time": float,
            "state": str, "server": str,
        }, pk=("session_id", "seq"))


def schema_columns() -> dict[str, list[tuple[str, str]]]:
    """table -> (column, type) of the schema `create_schema` makes (the codebook documents them)."""
    db = sqlite_utils.Database(sqlite3.connect(":memory:"))
    try:
        create_schema(db)
        return {t: [(c.name, c.type) for c in db[t].columns] for t in db.table_names()}
    finally:
        db.conn.close()


class SqliteStore(SqliteReads, SqliteRestoreReads):
    """SQLite event store: WAL, one writer thread, group commit."""

    LOCK_WAIT = 2.0  # seconds to wait for another process's lock on the file at start

    def __init__(self, path: str | Path, synchronous: str = "full", check: bool = True):
        self.path = Path(path)
        self.location = str(path)   # what an export opens (server/export.py)
        self.check = check          # quick_check an existing file before writing to it
        self._lock_fd: int | None = None
        self._lookup: sqlite3.Connection | None = None  # find_reply's connection
        self.synchronous = synchronous.upper()
        if self.synchronous not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError("synchronous must be full, normal or extra")
        self._q: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._inserts: LogInserts | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.failed: BaseException | None = None
        self.unavailable: str | None = None  # (a file is always there: PostgreSQL's store sets it)
        self.reconnects = 0                  # (nor is it ever reconnected: /metrics shows 0)
        # metrics
        self.commits = 0
        self.rows_written = 0
        self.max_batch = 0

    def _connect(self) -> sqlite3.Connection:
        # the writer's log INSERTs come in up to ~140 texts (server/store/log_insert.py): all cached
        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False,
                               cached_statements=256)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA busy_timeout=5000")
        # a multi-row INSERT inside a transaction keeps a statement journal (to undo only that
        # statement): in memory, not a temporary file written and read by system calls; about a
        # third of the writer's CPU per commit (benchmarks/writer_commit.py). Crash recovery
        # never reads it (the WAL does that): durability is unchanged
        conn.execute("PRAGMA temp_store=MEMORY")
        return conn

    def _open_for_writing(self) -> sqlite3.Connection:
        """The writer's connection, with the schema, once a write transaction has worked."""
        conn = None
        try:
            conn = self._connect()
            create_schema(sqlite_utils.Database(conn))
            problem = store_guard.write_refused(conn, self.path)
        except sqlite3.Error as e:
            problem = f"cannot open the event log {self.path} for writing: {e}. Nothing was changed"
        if problem:
            if conn is not None:
                conn.close()
            raise StoreError(problem)
        return conn

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._loop = asyncio.get_running_loop()
        problem = store_guard.unwritable(self.path)  # read-only: refused now, not at the first command
        if problem:
            raise StoreError(problem)
        self._lock()
        try:
            self._check_existing()
            conn = self._open_for_writing()
        except BaseException:
            self._unlock()
            raise
        self._inserts = for_connection(conn, _LOG_COLUMNS)  # the log rows, a few statements per commit
        self._thread = threading.Thread(target=self._writer, args=(conn,), name="event-log-writer",
                                        daemon=True)
        self._thread.start()

    # -- writing ------------------------------------------------------------------------

    def write(self, ops: list[tuple]) -> asyncio.Future:
        """Queue `ops` for the next transaction; the future resolves after COMMIT."""
        fut = self._loop.create_future()
        if self.failed is not None:
            fut.set_exception(self.failed)
        else:
            self._q.put((ops, fut))
        return fut

    def _writer(self, conn: sqlite3.Connection) -> None:
        while True:
            first = self._q.get()
            if first is None:
                break
            batch = [first]
            stop = False
            # group commit: take everything that queued up while the last commit ran
            while len(batch) < 10_000:
                try:
                    item = self._q.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            exc = self._commit(conn, batch)
            self._loop.call_soon_threadsafe(_resolve_all, [f for _, f in batch], exc)
            if stop:
                break
        conn.close()

    def _commit(self, conn: sqlite3.Connection, batch) -> BaseException | None:
        if self.failed is not None:
            return self.failed
        try:
            n = sum(len(ops) for ops, _ in batch)
            if n and all(op[0] == "log" for ops, _ in batch for op in ops) \
                    and self._inserts.statements(n) == 1:
                # one INSERT statement is its own transaction (autocommit): the same commit,
                # synchronous mode and atomicity without BEGIN and COMMIT, each of which gives
                # the GIL back and waits to take it from the busy event loop again
                self._inserts.run(conn, [log_values(op[1]) for ops, _ in batch for op in ops])
            else:
                self._transaction(conn, batch)
            self.commits += 1
            self.rows_written += n
            self.max_batch = max(self.max_batch, len(batch))
            return None
        except BaseException as e:  # the log is the truth: after a failed write, stop writing
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self.failed = e
            log.critical("the event log %s could not be written (%r): from now on every command is "
                         "refused with storage_failed. Free the disk / fix the file, then restart the "
                         "server: it restores every session from what was committed", self.path, e)
            return e

    def _transaction(self, conn: sqlite3.Connection, batch) -> None:
        conn.execute("BEGIN IMMEDIATE")
        logs = []
        for ops, _ in batch:
            for op in ops:
                if op[0] == "log":
                    logs.append(log_values(op[1]))
                else:
                    if logs:
                        self._inserts.run(conn, logs)
                        logs = []
                    self._apply_op(conn, op)
        if logs:
            self._inserts.run(conn, logs)
        conn.execute("COMMIT")

    @staticmethod
    def _apply_op(conn: sqlite3.Connection, op: tuple) -> None:
        kind = op[0]
        if kind == "session":
            _insert(conn, "sessions", op[1])
        elif kind == "player":
            _insert(conn, "players", op[1], replace=True)
        elif kind == "snapshot":
            _insert(conn, "snapshots", op[1], replace=True)
        elif kind == "session_status":
            conn.execute("UPDATE sessions SET status = ?, ended_at = ? WHERE session_id = ?",
                         (op[2], op[3], op[1]))
        else:
            raise ValueError(f"unknown store operation {kind!r}")

    def close(self) -> None:
        """Flush everything queued and stop the writer (blocks until done)."""
        if self._thread is not None:
            self._q.put(None)
            self._thread.join()
            self._thread = None
        if self._lookup is not None:
            self._lookup.close()
            self._lookup = None
        self._unlock()

    # -- start-up safety: one server per file, and never write into a damaged file -------

    def _lock(self) -> None:
        """An exclusive flock on `<db>.lock` for the server's lifetime: a second server on
        the same file would restore the same sessions and interleave their logs. (A lock
        file, not the database: flock on the database itself could clash with SQLite's own
        locks on network file systems. Readers, researchers and backups never take it.)"""
        try:  # named after the real path: a symlink to a database in use meets the same lock
            fd = os.open(store_guard.lock_path(self.path), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise StoreError(store_guard.lock_failed(self.path, e)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            same = store_guard.real_path(self.path)
            raise StoreError(f"the event log {self.path}{f' (that is {same})' if same != self.path.absolute() else ''}"
                             f" is in use by another server process"
                             f"{f' (pid {holder})' if holder else ''}: stop it first or use another --db; "
                             f"nothing was changed") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def _check_existing(self) -> None:
        """Refuse, with a clear message and without writing a byte, a file that is not a
        SQLite database, is damaged (PRAGMA quick_check) or is locked by another process."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        what = f"cannot use the event log {self.path}"
        try:
            conn = sqlite3.connect(str(self.path), timeout=self.LOCK_WAIT, isolation_level=None)
        except sqlite3.Error as e:
            raise StoreError(f"{what}: {e}; nothing was changed") from None
        try:
            if self.check:
                problems = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
                if problems != ["ok"]:
                    raise StoreError(f"{what}: the file is damaged (SQLite quick_check: {'; '.join(problems)}). "
                                     f"Nothing was changed; restore a backup or copy the file aside "
                                     f"(docs/operations.md)")
            else:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as e:
            msg = str(e)
            if "locked" in msg or "busy" in msg:
                raise StoreError(f"{what}: it is locked by another process ({msg}); stop that process "
                                 f"and start again. Nothing was changed") from None
            raise StoreError(f"{what}: {msg} (not a SQLite database, or damaged). Nothing was changed; "
                             f"check the --db path or restore a backup (docs/operations.md)") from None
        finally:
            conn.close()

    async def aclose(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)


def _insert(conn: sqlite3.Connection, table: str, row: dict, replace: bool = False) -> None:
    cols = list(row)
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    conn.execute(f"{verb} INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                 [row[c] for c in cols])
