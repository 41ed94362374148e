"""Static files as a phone wants them (server/http/static.py), over real HTTP against the
real server: pages name their files under a content version, those URLs are cached for a
year, other URLs and the HTML are revalidated (ETag, 304), text is sent compressed (brotli
or gzip, as the request accepts) with `Vary: Accept-Encoding`, and a changed file gets a
new version at once. The browser side (bytes of a first load, nothing refetched on a
second one) is tests/test_browser_budget.py."""
from __future__ import annotations

import gzip
import re
import shutil

import aiohttp
import pytest

from server.http.pages import WEB_ROOT

from conftest import InProcessServer


@pytest.fixture
async def site(db_path):
    from server.config import ServerConfig
    cfg = ServerConfig(host="127.0.0.1", port=0, db_path=str(db_path), synchronous="normal")
    s = await InProcessServer(cfg).start()
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        yield s, http
    await s.stop()


async def get(http, url, **headers):
    headers.setdefault("Accept-Encoding", "identity")  # unless a test asks for a compressed body
    async with http.get(url, headers=headers) as r:
        return r.status, r.headers, await r.read()


def versioned(html: bytes) -> list[str]:
    return re.findall(r'"(/static/v/[0-9a-f]{16}/[^"]+)"', html.decode())


@pytest.mark.parametrize("page", ["/join", "/console", "/projector"])
async def test_pages_name_versioned_files_cached_for_a_year(site, page):
    s, http = site
    status, headers, html = await get(http, s.url + page)
    assert status == 200 and headers["Cache-Control"] == "no-cache" and headers["ETag"]
    urls = versioned(html)
    assert any(u.endswith("/css/app.css") for u in urls) and any(u.endswith(".js") for u in urls)
    assert '"/static/' not in html.decode().replace('"/static/v/', "")  # every reference versioned
    for u in urls:
        status, h, _ = await get(http, s.url + u)
        assert status == 200 and h["Cache-Control"] == "public, max-age=31536000, immutable", u
    # the same file without a version, or under a version that is not the current one: revalidated
    rel = urls[-1].split("/", 4)[4]
    for u in (f"/static/{rel}", f"/static/v/{'0' * 16}/{rel}"):
        status, h, _ = await get(http, s.url + u)
        assert status == 200 and h["Cache-Control"] == "no-cache", u
    status, _, _ = await get(http, s.url + f"/static/v/not-a-version/{rel}")
    assert status == 404


async def test_text_is_compressed_as_the_request_accepts(site):
    s, http = site
    raw = (WEB_ROOT / "js" / "player.js").read_bytes()
    status, h, body = await get(http, s.url + "/static/js/player.js", **{"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and h["Content-Encoding"] == "gzip" and h["Vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == raw and len(body) < len(raw) / 2
    status, h, body = await get(http, s.url + "/static/js/player.js", **{"Accept-Encoding": "gzip, br"})
    brotli = pytest.importorskip("brotli")
    assert h["Content-Encoding"] == "br" and brotli.decompress(body) == raw
    for refuse in ("identity", "gzip;q=0, br;q=0", ""):
        status, h, body = await get(http, s.url + "/static/js/player.js", **{"Accept-Encoding": refuse})
        assert "Content-Encoding" not in h and body == raw, refuse
    status, h, body = await get(http, s.url + "/join", **{"Accept-Encoding": "gzip"})
    assert h["Content-Encoding"] == "gzip" and b"/static/v/" in gzip.decompress(body)


async def test_revalidation_answers_304_per_encoding(site):
    s, http = site
    for url in ("/join", "/static/css/app.css"):
        status, h, _ = await get(http, s.url + url, **{"Accept-Encoding": "gzip"})
        etag = h["ETag"]
        status, h2, body = await get(http, s.url + url, **{"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert status == 304 and body == b"" and h2["ETag"] == etag, url
        # the identity body has another ETag: a cached gzip body is never taken for it
        status, h3, body = await get(http, s.url + url, **{"Accept-Encoding": "identity", "If-None-Match": etag})
        assert status == 200 and h3["ETag"] != etag and body, url


async def test_a_changed_file_gets_a_new_version(tmp_path):
    """Any file under the web folder counts (a new language file needs no registration). The
    pages' routes serve a copy of clients/web/ here, on a real socket."""
    from aiohttp import web

    from server.http.pages import page_routes
    root = tmp_path / "web"
    shutil.copytree(WEB_ROOT, root)
    app = web.Application()
    app.router.add_routes(page_routes(root))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as http:
            _, _, html = await get(http, url + "/join")
            before = versioned(html)[0].split("/")[3]
            (root / "i18n" / "xx.js").write_text("export default {};\n")
            _, _, html = await get(http, url + "/join")
            after = versioned(html)[0].split("/")[3]
            assert after != before
            status, h, body = await get(http, url + f"/static/v/{after}/i18n/xx.js")
            assert status == 200 and h["Cache-Control"].endswith("immutable") and b"export default" in body
            status, h, _ = await get(http, url + f"/static/v/{before}/css/app.css")  # an old page's URL
            assert status == 200 and h["Cache-Control"] == "no-cache"
            # an edited file: its content is served at once, under a new version
            (root / "css" / "app.css").write_text("body { color: red; }\n")
            status, h, body = await get(http, url + f"/static/v/{after}/css/app.css")
            assert body == b"body { color: red; }\n" and h["Cache-Control"] == "no-cache"
            _, _, html = await get(http, url + "/join")
            assert versioned(html)[0].split("/")[3] not in (before, after)
    finally:
        await runner.cleanup()


async def test_pages_preload_their_whole_module_graph(site):
    """Every module a page's script imports, directly or through another module, is named
    as a modulepreload (fetched at once, not one import level per round trip); Chart.js,
    loaded on demand, is not. (The join page names one bundled script instead:
    tests/test_bundle.py.)"""
    s, http = site
    _, _, html = await get(http, s.url + "/console")
    text = html.decode()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/static/v/[0-9a-f]{16}/([^"]+)">', text))
    imported = lambda rel: set(re.findall(r'^(?:import|export)\s[^;]*?from\s+"(\.{1,2}/[^"]+)"',
                                          (WEB_ROOT / rel).read_text(), re.M))
    entries = re.findall(r'<script type="module" src="/static/v/[0-9a-f]{16}/([^"]+)">', text)
    assert entries == ["js/console.js"]
    graph, todo = set(), list(entries)
    while todo:  # the closure, computed here from the files
        rel = todo.pop()
        for dep in imported(rel):
            path = str((WEB_ROOT / rel).parent.joinpath(dep).resolve().relative_to(WEB_ROOT))
            if path not in graph:
                graph.add(path)
                todo.append(path)
    assert {"i18n/en.js", "js/dom.js", "js/socket.js", "js/teamform.js"} <= graph
    links = re.findall(r'<link rel="modulepreload" href="/static/v/[0-9a-f]{16}/([^"]+)">', text)
    assert sorted(links) == sorted(set(links)), "a module is preloaded twice"
    assert preloaded == graph - set(entries)
    assert text.index("modulepreload") < text.index("</head>")
    assert "chart.umd.js" not in text


async def test_join_page_names_one_bundled_script(site):
    """The join page (the player's page) asks for its one bundled script, no module graph."""
    s, http = site
    _, _, html = await get(http, s.url + "/join")
    text = html.decode()
    entries = re.findall(r'<script type="module" src="/static/v/[0-9a-f]{16}/([^"]+)">', text)
    assert entries == ["js/player.bundle.js"] and "modulepreload" not in text
