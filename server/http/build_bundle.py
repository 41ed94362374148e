"""Rebuild (or check) the web pages' bundles: server/http/bundle.py says what and why.

    python -m server.http.build_bundle          # esbuild from scripts/install_esbuild.sh (or $ESBUILD)
    python -m server.http.build_bundle --check  # exit 1 when a bundle is missing or stale

A module of its own: it needs the served folder and the import graph (pages.py, static.py),
which themselves use bundle.py.
"""
from __future__ import annotations

import os
import sys

from .bundle import ENTRIES, ESBUILD, build, bundle_name, current
from .pages import STATIC_TYPES, WEB_ROOT
from .static import StaticAssets


def main(argv: list[str]) -> int:
    assets = StaticAssets(WEB_ROOT, tuple(STATIC_TYPES))
    stale = []
    for entry in ENTRIES:
        graph = assets.imports(entry)
        if "--check" in argv:
            if current(WEB_ROOT, entry, graph) is None:
                stale.append(bundle_name(entry))
            continue
        esbuild = os.environ.get("ESBUILD", ESBUILD)
        (WEB_ROOT / bundle_name(entry)).write_bytes(build(WEB_ROOT, entry, graph, esbuild))
        print(f"wrote {bundle_name(entry)}")
    if stale:
        print(f"stale: {', '.join(stale)} (python -m server.http.build_bundle)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
