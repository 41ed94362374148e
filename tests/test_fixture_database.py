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
    # a manifest differs whenever a file it lists does: name that file first
    different = sorted((n for n in expected if got[n] != expected[n]), key=lambda n: (n.endswith("manifest.json"), n))
    assert not different, (f"{len(different)} output(s) differ from tests/fixtures/expected/ "
                           f"({', '.join(different[:8])}{'...' if len(different) > 8 else ''}):\n"
                           + _explain(different[0], expected[different[0]], got[different[0]]))


def test_the_fixture_holds_what_it_guards():
    """Selection, treatments per copy and per firm, negotiation, chat, bots and a restart:
    a fixture re-made without one of them would stop guarding it."""
    import json
    import sqlite3
    con = sqlite3.connect(f"file:{fixture_db.FIXTURE}?mode=ro&immutable=1", uri=True)  # no -wal/-shm beside it
    try:
        rows = con.execute("SELECT s.title, l.kind, l.type, l.actor, l.data FROM log l JOIN sessions s "
                           "USING (session_id) ORDER BY l.session_id, l.seq").fetchall()
    finally:
        con.close()
    by = {}
    for title, kind, type_, actor, data in rows:
        by.setdefault(title.removeprefix("fixture: "), []).append((kind, type_, actor, json.loads(data)))
    assert set(by) == set(fixture_db.tokens())
    types = {name: {t for _, t, _, _ in log} for name, log in by.items()}
    assert {"negotiation_move", "alliance_signed", "chat", "round_closed", "bots_seated", "announcement",
            "draft_changed"} <= types["classic"]
    assert {"selection_opened", "selection_move", "selection_closed", "negotiation_move"} <= types["selection"]
    assert "selection_opened" in types["selection_open"] and "selection_closed" not in types["selection_open"]
    units = {name: d.get("unit") for name, log in by.items() for _, t, _, d in log if t == "treatment_assigned"}
    assert units == {"treatments_copy": "alliance", "treatments_firm": "firm"}
    assert "session_ended" in types["treatments_copy"]
    for name, log in by.items():  # the restart: the facilitator connected again without having left
        links = [t for k, t, a, _ in log if k == "connection" and a == "facilitator"]
        assert links[:2] == ["connected", "connected"], (name, links)
        facts_after = log[[i for i, (k, t, a, _) in enumerate(log) if k == "connection" and a == "facilitator"][1]:]
        assert any(k in ("system", "chat") for k, *_ in facts_after), f"{name}: nothing played after the restart"
