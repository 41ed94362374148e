"""The modules split for issue 14 (the protocol, partner selection, replay) stay under 600
lines, and the old single files are gone (their names live on as packages)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 600


def test_protocol_selection_and_replay_modules_are_under_600_lines():
    modules = [*sorted((ROOT / "server" / "protocol").glob("*.py")),
               *sorted((ROOT / "game_rules" / "selection").glob("*.py")),
               ROOT / "game_rules" / "replay.py", ROOT / "game_rules" / "wide_format.py",
               ROOT / "game_rules" / "csv_cells.py"]
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in modules}
    assert len(sizes) >= 14, sizes
    assert {p: n for p, n in sizes.items() if n > LIMIT} == {}
    assert not (ROOT / "server" / "protocol.py").exists() and not (ROOT / "game_rules" / "selection.py").exists()
