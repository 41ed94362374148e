"""`python -m tests.goldens [--update] [NAME ...]`: play the scripts against a fresh server
and compare with (or, with --update, rewrite) their recorded transcripts."""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: conftest, as under pytest

from .harness import dump, first_difference, load_script, script_names, transcript_path  # noqa: E402
from .live import record  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.goldens", description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help=f"scripts to play (default: all: {', '.join(script_names())})")
    ap.add_argument("--update", action="store_true", help="rewrite the transcripts (an intended behaviour change)")
    args = ap.parse_args(argv)
    failed = 0
    for name in args.names or script_names():
        with tempfile.TemporaryDirectory() as tmp:
            got = asyncio.run(record(load_script(name), Path(tmp) / "golden.db"))
        path = transcript_path(name)
        if args.update:
            path.write_text(dump(got), encoding="utf-8")
            print(f"wrote {path.name}: {len(got['steps'])} step(s)")
            continue
        diff = first_difference(_load(path), got)
        failed += diff is not None
        print(f"{name}: {'same as recorded' if diff is None else 'DIFFERS: ' + diff}")
    return 1 if failed else 0


def _load(path: Path):
    import json
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


if __name__ == "__main__":
    sys.exit(main())
