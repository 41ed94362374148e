"""The player page's one script (server/http/bundle.py): clients/web/js/player.bundle.js is
kept in the repository, made by esbuild from js/player.js and every module it imports. The
join page names it instead of twenty-odd modules while it is current; once a source changes
and nobody rebuilt, the page falls back to the modules (correct, slower) and these tests fail
until `python -m server.http.build_bundle` is run. The browser side (what a phone fetches, the page
working) is tests/test_browser_budget.py and every other test_browser_* file."""
from __future__ import annotations

import os
import re
import shutil

import pytest

from server.http import bundle
from server.http.pages import STATIC_TYPES, WEB_ROOT
from server.http.static import StaticAssets


def assets(root=WEB_ROOT) -> StaticAssets:
    return StaticAssets(root, tuple(STATIC_TYPES))


@pytest.mark.parametrize("entry", bundle.ENTRIES)
def test_the_kept_bundle_is_current(entry):
    """Fails whenever a module of the page changed after the bundle was made."""
    graph = assets().imports(entry)
    assert {"js/early.js", "js/socket.js", "js/termsheet.js", "i18n/en.js"} <= set(graph)
    assert bundle.current(WEB_ROOT, entry, graph) == bundle.bundle_name(entry), \
        f"{bundle.bundle_name(entry)} is stale or missing: run `python -m server.http.build_bundle`"


@pytest.mark.parametrize("entry", bundle.ENTRIES)
def test_the_kept_bundle_is_esbuilds_output(entry):
    """The kept file is byte for byte what esbuild makes of the sources (no hand edits)."""
    if not bundle.ESBUILD.exists():
        why = "esbuild is not installed: run `bash scripts/install_esbuild.sh` (part of `make install-test`)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.geteuid() == 0:
            pytest.fail(why)
        pytest.skip(why)
    kept = (WEB_ROOT / bundle.bundle_name(entry)).read_bytes()
    assert bundle.build(WEB_ROOT, entry, assets().imports(entry)) == kept


def test_the_bundle_keeps_dynamic_imports_out():
    """Languages other than English and Chart.js stay separate files, fetched when needed."""
    text = (WEB_ROOT / "js" / "player.bundle.js").read_text(encoding="utf-8")
    assert "Aller au contenu" not in text and "Chart.js v" not in text  # French, Chart.js
    assert "../i18n/" in text and "chart.umd.js" in text
    assert re.search(r"^import\s", text, re.M) is None  # no static import left: one request


def test_join_page_names_the_bundle_and_falls_back_when_stale(tmp_path):
    root = tmp_path / "web"
    shutil.copytree(WEB_ROOT, root)
    html = assets(root).page(root / "join.html").identity.decode()
    scripts = re.findall(r'<script type="module" src="/static/v/[0-9a-f]{16}/([^"]+)">', html)
    assert scripts == ["js/player.bundle.js"]
    assert "modulepreload" not in html

    # a module edited without a rebuild: the page gets its modules again, all preloaded
    dom = root / "js" / "dom.js"
    dom.write_text(dom.read_text(encoding="utf-8") + "\n// edited\n", encoding="utf-8")
    html = assets(root).page(root / "join.html").identity.decode()
    scripts = re.findall(r'<script type="module" src="/static/v/[0-9a-f]{16}/([^"]+)">', html)
    assert scripts == ["js/player.js"]
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/static/v/[0-9a-f]{16}/([^"]+)">', html))
    assert {"js/dom.js", "js/early.js", "js/termsheet.js", "i18n/en.js"} <= preloaded
