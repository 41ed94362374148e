"""The server on PostgreSQL (`--db postgresql://...`, server/store/postgres.py), against a
real throwaway cluster (tests/pg_cluster.py): what it restores, exports, replays and tells
reconnecting parties is what it makes of the same rows in SQLite.

The fixture database (tests/fixtures/fixture.db) is copied into PostgreSQL with
`server.store.pg_copy`; the server restores it from there and every output is compared with
tests/fixtures/expected/, the SQLite server's recorded outputs, byte for byte (the same
normalization as tests/test_fixture_database.py: the export's time and provenance,
`welcome`'s server time, the port)."""
from __future__ import annotations

import shutil

from fixtures import fixture_db
from test_fixture_database import _explain

from server.store.pg_copy import copy_sqlite_to_postgres


async def test_the_fixture_copied_into_postgresql_restores_exports_and_replays_as_on_sqlite(start_server, pg_dsn,
                                                                                              tmp_path):
    src = tmp_path / "fixture.db"
    shutil.copyfile(fixture_db.FIXTURE, src)
    counts = await copy_sqlite_to_postgres(src, pg_dsn)
    assert counts["log"] > 300 and counts["players"] > 0 and counts["snapshots"] > 0, counts
    server = await start_server(**{**fixture_db.SERVER, "db_path": pg_dsn})
    assert type(server.hub.store).__name__ == "PostgresStore"
    sessions = fixture_db.tokens()
    ended = {t["session_id"] for t in sessions.values()} - set(server.hub.sessions)
    assert ended == {sessions["treatments_copy"]["session_id"]}

    got = await fixture_db.observe(server)
    expected = fixture_db.load_expected()
    assert sorted(got) == sorted(expected), set(got) ^ set(expected)
    different = sorted((n for n in expected if got[n] != expected[n]), key=lambda n: (n.endswith("manifest.json"), n))
    assert not different, (f"{len(different)} output(s) differ from the SQLite server's ({', '.join(different[:8])}):\n"
                           + _explain(different[0], expected[different[0]], got[different[0]]))
