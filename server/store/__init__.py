"""The event store: every SQL statement of the server is in this package.

| module | what |
|---|---|
| `sqlite.py` | `EventStore` (the interface a second store, e.g. PostgreSQL, implements) and `SqliteStore`: the writer thread with group commit, snapshots, what a restart reads |
| `reads.py` | the read methods the rest of the server uses (HTTP lookups, treatments) |
| `export_reader.py` | what an export reads, and the copy of the database it ships |

Outside this package only `server/store_guard.py` (the file's lock and write checks, used
by `sqlite.py`) and `server/backup.py` (SQLite's online backup API, a tool for this store's
file) open the SQLite file; tests/test_import_graph.py checks it.
"""
from .export_reader import ExportReader
from .reads import DatabaseError, SqliteReads
from .sqlite import EventStore, LiveSession, LogRow, SqliteStore, StoreError, create_schema, dumps, schema_columns

__all__ = ["DatabaseError", "EventStore", "ExportReader", "LiveSession", "LogRow", "SqliteReads", "SqliteStore",
           "StoreError", "create_schema", "dumps", "schema_columns"]
