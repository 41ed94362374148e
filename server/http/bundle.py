"""One script instead of twenty-odd modules: a page's entry module and everything it imports,
bundled by esbuild into `<entry>.bundle.js` next to it (kept in the repository, so the server
needs no npm), used only while it is current.

    python -m server.http.build_bundle          # rebuild every bundle (esbuild: scripts/install_esbuild.sh)
    python -m server.http.build_bundle --check  # exit 1 when a bundle is missing or stale

Why: a phone on a slow network pays a round trip for every six files (HTTP/1.1, six
connections per host); the player page's modules came in four waves (docs/benchmarks.md,
"Phones"). esbuild keeps ES module semantics (one instance per module, evaluation order, live
bindings, top-level await: `--format=esm`); `--minify` makes it about 40% smaller compressed.

Current: the bundle's first line names a hash over the build's options and every source file
it was made from (the entry's static import graph, as the page's modulepreloads find it). When
a source changes and nobody rebuilt, the hashes differ and the page gets its modules as before
(correct, only slower; the server logs it once); tests/test_bundle.py fails until it is rebuilt.
Dynamic imports (a language file, Chart.js) stay separate files, fetched when needed.
"""
from __future__ import annotations

import hashlib
import logging
import os
import subprocess
from pathlib import Path

ESBUILD_VERSION = "0.24.0"  # keep in step with scripts/install_esbuild.sh
OPTIONS = ("--bundle", "--format=esm", "--minify", "--target=es2022", "--charset=utf8", "--legal-comments=none")
ENTRIES = ("js/player.js",)  # the pages a phone opens: the join form and the player's page
ESBUILD = Path(__file__).resolve().parent.parent.parent / ".test-tools" / "esbuild" / "node_modules" / ".bin" / "esbuild"
HEADER = "// bundle of {entry} by esbuild {version}, sources {digest}: python -m server.http.build_bundle\n"

log = logging.getLogger(__name__)
_warned: set[str] = set()


def bundle_name(entry: str) -> str:
    """js/player.js -> js/player.bundle.js (the same folder: its relative URLs stay valid)."""
    return entry.removesuffix(".js") + ".bundle.js"


def sources_digest(root: Path, entry: str, graph: list[str]) -> str:
    """A hash over the build's options and the bytes of the entry and every module it imports."""
    h = hashlib.blake2b(digest_size=12)
    h.update(f"{ESBUILD_VERSION} {' '.join(OPTIONS)}\0".encode())
    for rel in [entry, *sorted(graph)]:
        h.update(rel.encode() + b"\0" + (root / rel).read_bytes() + b"\0")
    return h.hexdigest()


def header(root: Path, entry: str, graph: list[str]) -> str:
    return HEADER.format(entry=entry, version=ESBUILD_VERSION, digest=sources_digest(root, entry, graph))


def current(root: Path, entry: str, graph: list[str]) -> str | None:
    """The bundle's path under root when it exists and was made from the sources as they are now."""
    name = bundle_name(entry)
    try:
        with open(root / name, encoding="utf-8") as f:
            first = f.readline()
        fresh = first == header(root, entry, graph)
    except OSError:
        return None
    if not fresh and name not in _warned:
        _warned.add(name)
        log.warning("%s is older than its sources: the page loads its modules one by one "
                    "(rebuild: python -m server.http.build_bundle)", name)
    return name if fresh else None


def build(root: Path, entry: str, graph: list[str], esbuild: str | os.PathLike = ESBUILD) -> bytes:
    """The bundle's bytes: esbuild's output for `entry` under its header."""
    out = subprocess.run([str(esbuild), entry, *OPTIONS, "--log-level=warning"], cwd=root,
                         capture_output=True, check=True)
    return header(root, entry, graph).encode() + out.stdout
