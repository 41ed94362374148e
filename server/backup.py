"""A consistent copy of the event log while the server is running:

    python -m server.backup --db data/alliance.db --out backups/alliance-2024-05-01.db

It uses SQLite's online backup API (`sqlite3.Connection.backup`) from a separate
connection: the copy is one read transaction, so it is a consistent snapshot of every
committed command, and with the WAL journal the server keeps writing while it runs (no
lock is taken that would stop it). The copy is written to `<out>.partial`, checked with
`PRAGMA integrity_check`, switched to a single-file journal (no `-wal` beside it), fsynced
and only then renamed to `<out>`, so `<out>` is either a complete, checked copy or absent.
Never copy the live file with `cp`: a copy taken between the database and its `-wal`
file can miss committed data or be inconsistent.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path


class BackupError(RuntimeError):
    pass


def backup(db: str | Path, out: str | Path, *, overwrite: bool = False, pages: int = -1,
           progress=None) -> dict:
    """Copy `db` to `out` consistently; returns {"bytes", "pages", "seconds", "log_rows"}."""
    db, out = Path(db), Path(out)
    if not db.is_file():
        raise BackupError(f"no database at {db}")
    if out.exists() and not overwrite:
        raise BackupError(f"{out} exists (use --force to replace it)")
    if out.resolve() == db.resolve():
        raise BackupError("the backup must not be the database itself")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    for p in (partial, Path(str(partial) + "-journal")):
        if p.exists():
            p.unlink()
    t0 = time.monotonic()
    # read-only URI: the backup can never write to the live file
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(str(partial))
    try:
        src.backup(dst, pages=pages, progress=progress)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        problems = [r[0] for r in dst.execute("PRAGMA integrity_check(5)")]
        if problems != ["ok"]:
            raise BackupError(f"the copy failed its integrity check: {'; '.join(problems)}")
        n_pages = dst.execute("PRAGMA page_count").fetchone()[0]
        try:
            rows = dst.execute("SELECT count(*) FROM log").fetchone()[0]
        except sqlite3.OperationalError:
            rows = None
    except BaseException:
        dst.close()
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    dst.close()
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, out)
    dfd = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)  # the rename itself is durable
    finally:
        os.close(dfd)
    return {"bytes": out.stat().st_size, "pages": n_pages, "seconds": round(time.monotonic() - t0, 3),
            "log_rows": rows}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m server.backup",
                                description="Consistent online backup of the event log (safe while the server runs).")
    p.add_argument("--db", required=True, help="the live SQLite event log")
    p.add_argument("--out", required=True, help="where to write the copy")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    a = p.parse_args(argv)
    try:
        r = backup(a.db, a.out, overwrite=a.force)
    except (BackupError, sqlite3.Error, OSError) as e:
        print(f"backup failed: {e}", file=sys.stderr)
        return 1
    print(f"backup written: {a.out} ({r['bytes']} bytes, {r['log_rows']} log rows, {r['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
