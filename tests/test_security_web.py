"""Web hygiene: user text (names, chat) is never turned into HTML by the server and the
pages never parse it as HTML; pages carry a strict Content-Security-Policy and the usual
security headers; API responses are JSON with nosniff and no-store; no secret is in any
page or script the server serves."""
from __future__ import annotations

import re
from pathlib import Path


from conftest import Client

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/join", "/console", "/projector", "/debrief"]
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"


async def _get(api, path, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with api.http.get(api.url + path, headers=headers, allow_redirects=False) as r:
        return r.status, r.headers, await r.read()


def _csp(header: str) -> dict[str, str]:
    return {d.split()[0]: " ".join(d.split()[1:]) for d in (x.strip() for x in header.split(";")) if d}


async def test_pages_carry_csp_and_security_headers(server, api):
    for path in PAGES:
        status, headers, body = await _get(api, path)
        assert status == 200, path
        assert headers["Content-Type"].startswith("text/html")
        csp = _csp(headers["Content-Security-Policy"])
        assert csp["default-src"] == "'none'"
        assert csp["script-src"] == "'self'", csp  # no 'unsafe-inline', no 'unsafe-eval', no hosts
        assert "'unsafe-inline'" not in csp.get("style-src", "")
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        html = body.decode()
        # nothing inline that the CSP would have to allow
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script in {path}"
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), f"inline event handler in {path}"
        assert "<style" not in html.lower() and not re.search(r"\sstyle\s*=", html, re.I)


async def test_api_responses_are_json_nosniff_no_store(server, api):
    s = await api.create()
    for method, path, body, token in (("POST", "/api/join", {"code": s["code"], "name": XSS}, None),
                                      ("GET", f"/api/sessions/{s['session_id']}", None, s["facilitator_token"]),
                                      ("POST", "/api/join", {"code": "nope", "name": "x"}, None),
                                      ("GET", "/api/nope", None, None)):
        async with api.http.request(method, api.url + path, json=body,
                                    headers={"Authorization": f"Bearer {token}"} if token else {}) as r:
            assert r.headers["Content-Type"].startswith("application/json"), (path, r.headers["Content-Type"])
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers["Cache-Control"] == "no-store", path   # bodies carry tokens
            assert "default-src 'none'" in r.headers["Content-Security-Policy"]
            data = await r.json()
            assert isinstance(data, dict)


async def test_names_and_chat_are_never_html(server, api, clients):
    s = await api.create(copies=1, negotiation=False)
    j = await api.join(s["code"], XSS)
    j2 = await api.join(s["code"], "partner")
    c = await Client.login(server.url, j["player_token"], name="xss")
    clients.append(c)
    await api.control(s, "start")
    await c.ok("chat", to="alliance", text=XSS)
    # the data comes back as data (JSON), exactly as typed: escaping is the page's job, at
    # the point of display, and the pages only ever set text (checked below)
    summary = await api.summary(s)
    assert any(p["name"] == XSS for p in summary["status"]["players"])
    assert summary["chat"]["alliance:a1"][0]["text"] == XSS
    # no page or error page reflects it
    for path in PAGES + ["/", f"/join?code={s['code']}", "/nope<script>alert(1)</script>",
                         "/static/<script>.js", "/qr/<script>.svg"]:
        status, headers, body = await _get(api, path)
        assert b"<script>alert" not in body and b"onerror=alert" not in body, path
        if status >= 400:
            assert not headers.get("Content-Type", "").startswith("text/html"), (path, headers["Content-Type"])
    assert j2["player_token"]


def test_the_server_never_builds_html_from_user_text():
    """Server side, HTML comes only from files (clients/web/*.html) served as they are."""
    for py in (ROOT / "server").glob("*.py"):
        src = py.read_text()
        if "text/html" in src:  # only the page handler, which sends a file as it is
            assert py.name == "web.py", f"{py.name} answers text/html"
            assert "FileResponse" in src
        assert "import html" not in src and "jinja" not in src.lower()


def test_pages_only_set_text():
    """The page scripts never parse strings as HTML (names and chat stay text)."""
    banned = re.compile(r"\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
    scripts = sorted((ROOT / "clients" / "web" / "js").glob("*.js"))
    assert scripts
    for js in scripts:
        for n, line in enumerate(js.read_text().splitlines(), 1):
            assert not banned.search(line), f"{js.name}:{n}: {line.strip()}"


async def test_no_secrets_in_pages_or_scripts(server, api):
    s = await api.create()
    j = await api.join(s["code"], "someone")
    secrets = [v for d in (s, j) for k, v in d.items() if k.endswith("token")]
    assert secrets
    served = []
    for path in PAGES:
        served.append((await _get(api, path))[2])
    for f in sorted((ROOT / "clients" / "web").rglob("*")):
        if f.is_file() and f.suffix in (".js", ".css", ".html", ".json", ".svg") and "vendor" not in f.parts:
            status, _, body = await _get(api, "/static/" + f.relative_to(ROOT / "clients" / "web").as_posix())
            if status == 200:
                served.append(body)
    assert len(served) > len(PAGES)
    blob = b"\n".join(served)
    for t in secrets:
        assert t.encode() not in blob
    for pattern in (rb"PRIVATE KEY", rb"token_hash", rb"sk_live_", rb"password\s*[:=]\s*['\"][^'\"]+",
                    str(server.config.db_path).encode()):
        assert not re.search(pattern, blob, re.I), pattern
