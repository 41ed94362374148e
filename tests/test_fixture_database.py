"""A database written by the server as it was when the fixture was made (tests/fixtures/
fixture.db: classic play with negotiation and chat, partner selection, treatments per copy
and per firm, a server restart in the middle; see make_fixture_db.py) must restore, export
and replay exactly as recorded in tests/fixtures/expected/ (fixture_db.py says what is
normalized: the export's time and provenance, `welcome`'s server time, the port).

The server runs on a copy, with idle archiving off: the fixture's sessions have been idle
since it was made and would otherwise be archived at start instead of restored."""
from __future__ import annotations

import difflib
import hashlib
import shutil

from fixtures import fixture_db


def _explain(name: str, expected: bytes, got: bytes) -> str:
    try:
        a, b = expected.decode("utf-8").splitlines(), got.decode("utf-8").splitlines()
    except UnicodeDecodeError:  # alliance.sqlite
        return (f"{name}: {len(expected)} bytes (sha256 {hashlib.sha256(expected).hexdigest()[:16]}) recorded, "
                f"{len(got)} bytes (sha256 {hashlib.sha256(got).hexdigest()[:16]}) now")
    diff = list(difflib.unified_diff(a, b, "recorded", "now", n=1, lineterm=""))
    return f"{name} differs:\n" + "\n".join(diff[:40]) + ("\n..." if len(diff) > 40 else "")


async def test_fixture_database_restores_exports_and_replays_as_recorded(start_server, db_path):
    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fixture_db.FIXTURE, db_path)
    server = await start_server(**fixture_db.SERVER)
    sessions = fixture_db.tokens()
    ended = {t["session_id"] for t in sessions.values()} - set(server.hub.sessions)
    assert ended == {sessions["treatments_copy"]["session_id"]}  # the only ended one; the rest restored
    assert not server.hub.archive.sessions

    got = await fixture_db.observe(server)
    expected = fixture_db.load_expected()
    assert sorted(got) == sorted(expected), set(got) ^ set(expected)
    for name in sessions:  # the replay recomputes every logged round of every session exactly
        assert got[f"{name}/replay.txt"].startswith(b"exit 0\n") and b"no differences" in got[f"{name}/replay.txt"]
    different = [n for n in sorted(expected) if got[n] != expected[n]]
    assert not different, (f"{len(different)} output(s) differ from tests/fixtures/expected/ "
                           f"({', '.join(different[:8])}{'...' if len(different) > 8 else ''}):\n"
                           + _explain(different[0], expected[different[0]], got[different[0]]))
