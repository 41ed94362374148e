"""The event store: every SQL statement of the server is in this package.

| module | what |
|---|---|
| `records.py` | what both stores take and hand back: `LogRow`, `LiveSession`, `EventStore` (the interface a second store implements), the batch's operations |
| `sqlite.py` | `SqliteStore`: the writer thread with group commit, snapshots, the file's lock and checks |
| `sqlite_restore.py` | what a restart reads from the SQLite file (live sessions, ended tokens, codes) and a command's logged ack |
| `reads.py` | the read methods the rest of the server uses (HTTP lookups, treatments) |
| `export_reader.py` | what an export reads, and the copy of the database it ships |
| `postgres.py`, `pg_schema.py`, `pg_export.py` | `PostgresStore` (`--db postgresql://...`, asyncpg): the same interface, tables and exports on PostgreSQL |
| `pg_leases.py` | which server process owns a live session on PostgreSQL: leases, renewal, takeover, and the fencing of every write |
| `pg_copy.py` | `python -m server.store.pg_copy`: copy a SQLite event log into PostgreSQL |

Outside this package only `server/store_guard.py` (the file's lock and write checks, used
by `sqlite.py`) and `server/backup.py` (SQLite's online backup API, a tool for this store's
file) open the SQLite file; tests/test_import_graph.py checks it.
"""
from .export_reader import ExportReader
from .pg_schema import is_postgres, redacted
from .reads import DatabaseError, SqliteReads, StoreReadError
from .records import EventStore, LiveSession, LogRow, StoreError
from .sqlite import SqliteStore, create_schema, dumps, schema_columns


def make_store(db: str, synchronous: str = "full", check: bool = True,
               lease_seconds: float | None = None) -> EventStore:
    """The store `--db` names: a PostgreSQL DSN (postgresql://...) or a SQLite file
    (`lease_seconds`: PostgreSQL's session leases, server/store/pg_leases.py)."""
    if is_postgres(db):
        from .postgres import LEASE_SECONDS, PostgresStore  # asyncpg only when it is used
        return PostgresStore(db, lease_seconds or LEASE_SECONDS)
    return SqliteStore(db, synchronous, check=check)


def export_reader(db: str):
    """An export's reader of the store `db` names (server/export.py)."""
    if is_postgres(db):
        from .pg_export import PostgresExportReader
        return PostgresExportReader(db)
    return ExportReader(db)


__all__ = ["DatabaseError", "EventStore", "ExportReader", "LiveSession", "LogRow", "SqliteReads", "SqliteStore",
           "StoreError", "StoreReadError", "create_schema", "dumps", "export_reader", "is_postgres", "make_store",
           "redacted", "schema_columns"]
