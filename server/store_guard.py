"""Start-up guards of the event log (server/store/sqlite.py calls them before it serves anyone):
the lock is taken on the database's real path, and the file is proven writable.

A symlink (or a relative path, or `..`) to a database another server already has open
must meet that server's lock: the lock file is named after the *real* path. A database
that cannot be written (a read-only file or folder, a disk mounted read-only, an
immutable file) must stop the server at start with a clear message, not when the first
player's command cannot be logged. `os.access` gives the clear message in the usual
cases (it reports a read-only file system or an immutable file even to root); the write
transaction below is the real test, and the only one that catches what `os.access`
cannot see: another process holding SQLite's write lock, or any other reason SQLite could
only open the database for reading.
"""
from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

_ADVICE = ("the server writes every command to it before answering. Make the file and its folder "
           "writable for this user (and the disk writable), or use another --db. Nothing was changed")


def real_path(path: str | Path) -> Path:
    """The file a path names once every symlink, `.` and `..` is resolved (it need not exist)."""
    return Path(os.path.realpath(path))


def lock_path(path: str | Path) -> str:
    """`<real path>.lock`: every spelling of one database shares one lock."""
    return str(real_path(path)) + ".lock"


def unwritable(path: str | Path) -> str | None:
    """Why the database at `path` (or its folder, where SQLite keeps the -wal and -shm
    files) cannot be written, for people; None when the OS says it can."""
    real = real_path(path)
    folder = real.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the event log {path} cannot be written: its folder {folder} is {_why(folder)}; {_ADVICE}"
    for f in (real, Path(f"{real}-wal"), Path(f"{real}-shm"), Path(f"{real}.lock")):
        if f.exists() and not os.access(f, os.W_OK):
            return f"the event log {path} cannot be written: {f} is {_why(f)}; {_ADVICE}"
    return None


def lock_failed(path: str | Path, e: OSError) -> str:
    """The message when the lock file cannot even be opened."""
    return (f"the event log {path} cannot be written: the lock file {lock_path(path)} cannot be opened "
            f"({e.strerror}); {_ADVICE}")


def write_refused(conn: sqlite3.Connection, path: str | Path, wait: float = 2.0) -> str | None:
    """Open a write transaction and write in it, then roll back (the file is unchanged).
    SQLite answers `attempt to write a readonly database` when it could only open the
    file, its WAL or its shared memory for reading, and `database is locked` after `wait`
    seconds when another process holds the write lock (a reader would not notice: WAL
    lets readers in). Returns the message, or None."""
    patience = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE _write_check (x)")  # dirties the schema page: a real write
        finally:
            if conn.in_transaction:  # some errors end the transaction themselves
                conn.execute("ROLLBACK")
    except sqlite3.Error as e:
        if "locked" in str(e) or "busy" in str(e):
            return (f"the event log {path} cannot be written: another process holds its write lock "
                    f"(SQLite: {e}); stop that process (a sqlite3 shell in a transaction?) and start again. "
                    f"Nothing was changed")
        return f"the event log {path} cannot be written (SQLite: {e}); {_ADVICE}"
    finally:
        conn.execute(f"PRAGMA busy_timeout={patience}")
    return None


def _why(p: Path) -> str:
    try:
        if os.statvfs(p).f_flag & os.ST_RDONLY:
            return "on a read-only file system"
    except OSError as e:
        if e.errno == errno.ENOENT:
            return "missing"
    return "read-only for this user"
