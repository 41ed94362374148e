"""The shape of the code, checked from the source (issue 14): no import cycle among the
project's modules, `server/` never imports `clients/`, `game_rules/` stays pure, no module
over 600 lines. Imports inside functions and under `if TYPE_CHECKING:` count.

What is wrong today is listed below, explicitly, as a ratchet: the test fails when a NEW
cycle edge, long module or forbidden import appears, AND when a listed one is gone, so
whoever removes one also removes it from the list and the list only shrinks."""
from __future__ import annotations

from import_graph import ROOT, cycles, external_imports, project_graph, project_modules

MAX_LINES = 600

# Every import edge that lies on a cycle (both ends in one strongly connected component).
# issue 14: to remove.
KNOWN_CYCLE_EDGES: set[tuple[str, str]] = set()

# Modules over MAX_LINES lines. issue 14: to remove.
KNOWN_LONG_MODULES: set[str] = set()

# server/ modules that import clients/. issue 14: to remove.
KNOWN_SERVER_TO_CLIENTS: set[str] = set()

# The SQLite file is opened only by the store package (server/store/, every SQL statement
# behind the store's interface, so a second store can implement it), its file guard
# (server/store_guard.py: lock and write checks, used by the store) and the backup tool
# (server/backup.py: SQLite's online backup API copies this store's file as it is).
SQLITE_ALLOWED = {"server.store_guard", "server.backup"}

GAME_RULES_FORBIDDEN = {"asyncio", "aiohttp", "sqlite3", "sqlite_utils", "time", "server", "clients"}


def _ratchet(found: set, known: set, what: str) -> None:
    new, gone = sorted(found - known), sorted(known - found)
    assert not new, f"new {what} (issue 14 forbids them): {new}"
    assert not gone, f"{what} no longer present — remove them from the known list in this test: {gone}"


def test_no_new_import_cycle_and_known_ones_still_listed():
    graph = project_graph()
    on_cycles = {(a, b) for component in cycles(graph) for a in component for b in graph[a] & component}
    _ratchet(on_cycles, KNOWN_CYCLE_EDGES, "import edges on a cycle")


def test_server_imports_nothing_from_clients():
    offenders = {m for m, p in project_modules().items()
                 if m.startswith("server") and "clients" in external_imports(m, p)}
    _ratchet(offenders, KNOWN_SERVER_TO_CLIENTS, "server modules importing clients/")


def test_only_the_store_opens_sqlite():
    offenders = {m for m, p in project_modules().items()
                 if not m.startswith("server.store.") and m != "server.store" and m not in SQLITE_ALLOWED
                 and external_imports(m, p) & {"sqlite3", "sqlite_utils"}}
    assert offenders == set()


def test_only_the_store_talks_to_postgresql():
    """asyncpg (the PostgreSQL driver) is imported only inside the store package: every SQL
    statement of PostgreSQL is behind the store's interface too."""
    users = {m for m, p in project_modules().items() if "asyncpg" in external_imports(m, p)}
    assert users and all(m.startswith("server.store.") for m in users), users


def test_game_rules_is_pure():
    offenders = {m: sorted(external_imports(m, p) & GAME_RULES_FORBIDDEN)
                 for m, p in project_modules().items() if m.startswith("game_rules")}
    assert {m: f for m, f in offenders.items() if f} == {}


def test_no_new_long_module():
    checked = ("server", "game_rules", "clients.python")
    long_ones = {m for m, p in project_modules().items()
                 if m.startswith(checked) and len(p.read_text(encoding="utf-8").splitlines()) > MAX_LINES}
    _ratchet(long_ones, KNOWN_LONG_MODULES, f"modules over {MAX_LINES} lines")


def test_the_checker_sees_late_and_type_checking_imports(tmp_path):
    """The graph reader itself: a function-level import, an `if TYPE_CHECKING:` import and a
    relative `from . import x` each make an edge, and a two-module cycle is found."""
    pkg = tmp_path / "server"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from .b import g\n    return g\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    (pkg / "c.py").write_text("from . import a\n")
    for other in ("game_rules", "clients"):
        (tmp_path / other).mkdir()
    graph = project_graph(tmp_path)
    assert graph["server.a"] == {"server.b"}
    assert graph["server.b"] == {"server.a"}
    assert graph["server.c"] == {"server.a"}
    assert cycles(graph) == [frozenset({"server.a", "server.b"})]
    assert ROOT.joinpath("server").is_dir()
