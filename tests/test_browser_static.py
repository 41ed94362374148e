"""The web clients' server side and source, without a browser: pages carry a strict
Content-Security-Policy and the usual headers, static files cannot escape clients/web/,
the QR code is a real SVG of the join link, the JSON routes the pages use check their
tokens, and every text key the code uses exists in i18n/en.js (and no code sets HTML)."""
from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest

from server.http.pages import WEB_ROOT

from conftest import TEST_ADMIN_KEY, InProcessServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def site(db_path):
    from server.config import ServerConfig
    cfg = ServerConfig(host="127.0.0.1", port=0, db_path=str(db_path), synchronous="normal")
    s = await InProcessServer(cfg).start()  # make_app serves the web pages too
    async with aiohttp.ClientSession() as http:
        yield s, http
    await s.stop()


async def get(http, url, **kw):
    async with http.get(url, **kw) as r:
        return r.status, r.headers, await r.read()


@pytest.mark.parametrize("path", ["/join", "/console", "/projector", "/debrief"])
async def test_pages_have_security_headers(site, path):
    s, http = site
    status, headers, body = await get(http, s.url + path)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    csp = headers["Content-Security-Policy"]
    for part in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                 "object-src 'none'", "base-uri 'none'", f"ws://127.0.0.1:{s.port}"):
        assert part in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    html = body.decode()
    assert "<script>" not in html and " style=" not in html and "<style" not in html  # nothing inline


async def test_static_files_stay_inside_the_web_folder(site):
    s, http = site
    status, headers, body = await get(http, s.url + "/static/js/player.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, _, _ = await get(http, s.url + "/static/vendor/chart.umd.js")
    assert status == 200
    for bad in ("/static/../server/web.py", "/static/%2e%2e/%2e%2e/server/web.py", "/static/js/../../../pyproject.toml",
                "/static/.hidden", "/static/js/", "/static/README.md/x", "/static/nope.js"):
        status, _, _ = await get(http, s.url + bad)
        assert status == 404, bad


async def test_qr_code_is_an_svg_of_the_join_link(site):
    s, http = site
    status, headers, body = await get(http, s.url + "/qr/ABCD-EFGH.svg")
    assert status == 200 and headers["Content-Type"] == "image/svg+xml"
    svg = body.decode()
    assert svg.startswith("<svg") and "viewBox" in svg and "<script" not in svg
    # segno encodes exactly the join link of that code
    import segno
    expected = segno.make(f"{s.url}/join?code=ABCD-EFGH", error="m")
    assert f'viewBox="0 0 {expected.symbol_size(scale=1, border=4)[0]} ' in svg
    for bad in ("/qr/AB.svg", "/qr/ABCD%3Cx%3E.svg", "/qr/" + "A" * 40 + ".svg"):
        status, _, _ = await get(http, s.url + bad)
        assert status == 404, bad


async def test_json_routes_check_tokens(site):
    s, http = site
    async with http.post(s.url + "/api/sessions", json={"scenario": "classic", "rounds": 2},
                         headers={"Authorization": f"Bearer {TEST_ADMIN_KEY}"}) as r:
        sess = await r.json()
    async with http.post(s.url + "/api/join", json={"code": sess["code"], "name": "Ann"}) as r:
        player = await r.json()
    fac = {"Authorization": f"Bearer {sess['facilitator_token']}"}
    pl = {"Authorization": f"Bearer {player['player_token']}"}
    sid = sess["session_id"]
    # no token, a player's token, another session's id: refused
    for headers in ({}, pl):
        status, _, _ = await get(http, f"{s.url}/api/web/history/{sid}", headers=headers)
        assert status in (401, 403)
        status, _, _ = await get(http, f"{s.url}/api/sessions/{sid}/export", headers=headers)
        assert status in (401, 403)
    status, _, _ = await get(http, f"{s.url}/api/web/history/s_0000", headers=fac)
    assert status == 403
    status, _, _ = await get(http, f"{s.url}/api/web/context", headers=fac)
    assert status == 403
    # the player's context: partner name and default terms (only after the negotiation opens)
    status, _, body = await get(http, f"{s.url}/api/web/context", headers=pl)
    assert status == 200
    async with http.post(f"{s.url}/api/sessions/{sid}/control", json={"action": "start"}, headers=fac) as r:
        assert r.status == 200
    async with http.get(f"{s.url}/api/web/context", headers=pl) as r:
        ctx = await r.json()
    neg = ctx["negotiations"]["a1"]
    assert neg["partner"] == {"id": "east1", "name": "Orient Precision", "role": "east"}
    assert neg["default_terms"]["split"] == {"west1": 0.5, "east1": 0.5}
    # the facilitator's history and export
    async with http.get(f"{s.url}/api/web/history/{sid}", headers=fac) as r:
        hist = await r.json()
    assert set(hist["firms"]) == {"west1", "east1"} and hist["rounds"] == []
    status, headers, body = await get(http, f"{s.url}/api/sessions/{sid}/export", headers=fac)
    assert status == 200 and body[:4] == b"PK\x03\x04"


def _js_files():
    return sorted((WEB_ROOT / "js").glob("*.js"))


def test_every_text_key_exists_in_the_catalogue():
    en = (WEB_ROOT / "i18n" / "en.js").read_text("utf-8")
    keys = set(re.findall(r'^\s*"([a-z_]+\.[a-z_0-9.]+)":', en, re.M))
    used: set[str] = set()
    families: set[str] = set()
    for f in _js_files():
        src = f.read_text("utf-8")
        used |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_0-9.]+)"', src))
        used |= set(re.findall(r'"((?:console|debrief|room)\.[a-z_]+)"', src))
        families |= {m.split("${")[0] for m in re.findall(r"\bt\(`([a-z_.]+\$\{)", src)}
    for html in WEB_ROOT.glob("*.html"):
        used |= set(re.findall(r'data-i18n(?:-title)?="([a-z_.]+)"', html.read_text("utf-8")))
    missing = sorted(used - keys)
    assert not missing, f"keys used but not in i18n/en.js: {missing}"
    for fam in families:
        assert any(k.startswith(fam) for k in keys), f"no key for the family {fam}*"
    # every protocol error code has a sentence
    from server.protocol import ERROR_CODES
    assert not sorted(c for c in ERROR_CODES if f"error.{c}" not in keys)


def test_no_code_sets_html():
    for f in [*_js_files(), *(WEB_ROOT / "i18n").glob("*.js")]:
        src = f.read_text("utf-8")
        for bad in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert bad not in src, f"{f.name} uses {bad}"
