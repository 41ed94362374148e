"""The web clients (clients/web/): pages, static files, the join QR code, and three small
read-only JSON routes the pages need until the live views carry the same data.

    *page_routes(root)         # in server.http.app.route_table, with web_context and web_history

Pages (no account, no install): `/join` (players; the join link and QR code land here
with `?code=`), `/console` (facilitator), `/projector` and `/debrief` (the room). Pages are
sent with a strict Content-Security-Policy (scripts, styles and sockets from this origin
only; no inline script or style) and the usual security headers. Static files live under
`/static/` (an allow-list of extensions, never a path outside clients/web/).

Routes added here:

| route | who | what |
|---|---|---|
| `GET /join`, `/console`, `/projector`, `/debrief` | anyone | the pages |
| `GET /static/{path}` | anyone | JS modules, CSS, the vendored Chart.js (revalidated: ETag) |
| `GET /static/v/{version}/{path}` | anyone | the same, as the pages name them: cached for a year under the current version (server/http/static.py) |
| `GET /qr/{code}.svg` | anyone | the join link of a code as a QR code (segno, SVG) |
| `GET /api/web/context` | player bearer token | per negotiation of the player's firm: the partner's public name and the alliance's default term sheet |
| `GET /api/web/console_link` | facilitator bearer token | the console's link for another device (`/console#token=...&session=...`, the token in the fragment, never sent to a server) and its QR code as SVG text |
| `POST /api/web/rejoin_link` | player bearer token, body `{"rejoin_code"}` | the seat's rejoin link for a new device (`/join?code=...#name=...&rejoin=...`: name and code in the fragment, never sent to a server) and its QR code as SVG text; the code must be the seat's |
| `GET /api/web/guide` | player bearer token | the "How to play" tab's worked example: one round of a plain plan computed by the engine for the player's firm (game_rules/guide.py) |
| `GET /api/web/history/{session_id}` | facilitator bearer token | the debrief data: every round's decisions and engine events from the event log, start positions, scores, who graduated (left an alliance after learning) and when |

The route table is server/http/app.py's; errors are answered by its error boundary
(server/http/errors.py).
"""
from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from urllib.parse import quote, urlencode

from aiohttp import web
from pydantic import Field

from game_rules.guide import outdating_applies, worked_example
from game_rules import renegotiation_story
from game_rules.race import graduations
from game_rules.session import views

from .. import seats
from ..auth import normalize_code
from ..protocol import ProtocolError
from ..protocol.messages import _Msg
from .context import CONTEXT, hub_of
from .inputs import bearer, follow, read_body
from .static import IMMUTABLE, REVALIDATE, VERSION_OK, StaticAssets, send

WEB_ROOT = Path(__file__).resolve().parent.parent.parent / "clients" / "web"

PAGES = {
    "/join": "join.html",
    "/console": "console.html",
    "/projector": "projector.html",
    "/debrief": "projector.html",
}

STATIC_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".md": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}

_HOST_OK = re.compile(r"^[A-Za-z0-9.\-:\[\]]{1,255}$")
_CODE_OK = re.compile(r"^[A-Za-z0-9\-]{4,16}$")
# a static path: printable, no NUL or other control character, shorter than any real one
_PATH_OK = re.compile(r"[^\x00-\x1f\x7f]{1,512}")

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_LOOPBACK = re.compile(r"^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$", re.I)


def common_headers(request: web.Request) -> dict[str, str]:
    """COMMON_HEADERS, without the opener policy where a browser ignores it: a page on plain
    http at the room's LAN address is not a trustworthy origin, and Chromium logs the ignored
    header as a console error on every phone. https (here or behind a proxy named by
    --public-url) and this computer's own loopback address keep it."""
    ctx = request.app.get(CONTEXT)  # (the page routes alone, as tests/test_static_cache.py mounts them: none)
    public = (ctx.hub.config.public_url if ctx else None) or ""
    if request.secure or public.startswith("https://") or _LOOPBACK.match(request.host or ""):
        return COMMON_HEADERS
    return {k: v for k, v in COMMON_HEADERS.items() if k != "Cross-Origin-Opener-Policy"}


def content_security_policy(host: str | None) -> str:
    """Scripts, styles, images and sockets from this origin only. `connect-src` names the
    WebSocket origin explicitly (ws:/wss: of the page's host): `'self'` alone does not
    cover WebSockets in every browser still in use."""
    sockets = ""
    if host and _HOST_OK.match(host):
        sockets = f" ws://{host} wss://{host}"
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            f"font-src 'self'; connect-src 'self'{sockets}; manifest-src 'self'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'; object-src 'none'")


def page_headers(request: web.Request) -> dict[str, str]:
    return {
        **common_headers(request),
        "Content-Security-Policy": content_security_policy(request.host),
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Cache-Control": "no-cache",
    }


def page_routes(root: Path | None = None) -> list[web.RouteDef]:
    """The pages, static files and QR codes, served from `root` (default clients/web/)."""
    root = (root or WEB_ROOT).resolve()
    assets = StaticAssets(root, tuple(STATIC_TYPES))
    static = _static_handler(root, assets)
    return [*(web.get(path, _page_handler(root / filename, assets)) for path, filename in PAGES.items()),
            web.get("/static/v/{version}/{path:.+}", static),  # before /static/{path}: it would match too
            web.get("/static/{path:.+}", static),
            web.get(r"/qr/{code:[A-Za-z0-9\-]{4,16}}.svg", qr_svg)]


# ---- pages and static files ----------------------------------------------------------------

def _page_handler(path: Path, assets: StaticAssets):
    async def page(request: web.Request) -> web.StreamResponse:
        if not path.is_file():
            raise web.HTTPNotFound()
        return await send(request, assets.page(path), {**page_headers(request),
                                                 "Content-Type": "text/html; charset=utf-8"})
    page.__name__ = f"page_{path.stem}"
    return page


def _static_handler(root: Path, assets: StaticAssets):
    async def static(request: web.Request) -> web.StreamResponse:
        rel, version = request.match_info["path"], request.match_info.get("version")
        if version is not None and not VERSION_OK.fullmatch(version):
            raise web.HTTPNotFound()
        parts = rel.split("/")
        if any(p in ("", ".", "..") or p.startswith(".") for p in parts) or "\\" in rel or not _PATH_OK.fullmatch(rel):
            raise web.HTTPNotFound()
        try:  # the OS may still refuse a name (too long, not encodable): that is a 404 too, never a 500
            path = (root / rel).resolve()
            ctype = STATIC_TYPES.get(path.suffix.lower())
            if ctype is None or not path.is_relative_to(root) or not path.is_file():
                raise web.HTTPNotFound()
        except (OSError, ValueError):
            raise web.HTTPNotFound() from None
        # the current version's URL names this content for good; any other is revalidated
        try:
            file = path.relative_to(root).as_posix()
            current = version is not None and version == assets.version_of(file)
            encoded = assets.file(file)
        except OSError:  # gone since the check above
            raise web.HTTPNotFound() from None
        headers = {**COMMON_HEADERS, "Content-Type": ctype, "Cache-Control": IMMUTABLE if current else REVALIDATE}
        if path.suffix == ".svg":
            headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return await send(request, encoded, headers)
    return static


# ---- the join QR code (segno, server-side SVG) ------------------------------------------------

def join_url(request: web.Request, code: str) -> str:
    hub = hub_of(request)
    return hub.join_url(normalize_code(code), hub.session_language(code))


def _qr(text: str, title: str) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="svg", scale=1, border=4, dark="#000000", light="#ffffff",
                                     xmldecl=False, omitsize=True, title=title)
    return buf.getvalue()


async def qr_svg(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    if not _CODE_OK.match(code) or len(normalize_code(code)) < 4:
        raise web.HTTPNotFound()
    return web.Response(body=_qr(join_url(request, code), "QR code: join link"), headers={
        **COMMON_HEADERS, "Content-Type": "image/svg+xml",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        "Cache-Control": "public, max-age=3600"})


# ---- JSON helpers -----------------------------------------------------------------------------

async def _principal(request: web.Request, archived_ok: bool = False):
    """The request's principal; a session another process owns is followed first (several
    processes on one database, server/forwarding.py), so any process answers these routes."""
    hub = hub_of(request)
    await follow(request)
    return hub, hub.principal(bearer(request, "token"), archived_ok)


async def _facilitator_actor(request: web.Request):
    """The facilitator's session: live, or a read-only copy of an archived one (the debrief)."""
    hub, p = await _principal(request, archived_ok=True)
    if not p.is_facilitator:
        raise ProtocolError("forbidden", "this needs the facilitator token")
    if p.session_id != request.match_info["session_id"]:
        raise ProtocolError("forbidden", "the token is not this session's")
    return hub, await hub.readable_session(p.session_id)


def _no_store(data: dict) -> web.Response:
    return web.json_response(data, headers={**COMMON_HEADERS, "Cache-Control": "no-store"})


# ---- GET /api/web/context (player) -------------------------------------------------------------

async def web_context(request: web.Request) -> web.Response:
    """What the term-sheet form needs and the player view does not carry yet: per
    negotiation of the player's firm, the partner's public name and role and the
    alliance's default term sheet (game_rules/session/views.py: `web_context`)."""
    actor, firm = await _player_firm(request)
    return _no_store(views.web_context(actor.session, firm))


async def web_guide(request: web.Request) -> web.Response:
    """The worked example for the player's firm (an imagined partner; see game_rules/guide.py)."""
    actor, firm = await _player_firm(request)
    return _no_store({"firm": firm, "example": worked_example(actor.rules, actor.state, firm),
                      "outdating": outdating_applies(actor.rules, firm)})


async def _player_firm(request: web.Request):
    """The live session (the owner's, or a follower's replica caught up) and the firm of the
    player token in the request (a facilitator's is refused)."""
    hub, p = await _principal(request)
    if p.is_facilitator:
        raise ProtocolError("forbidden", "this is a player route")
    actor = await hub.live_session(p.session_id)
    return actor, actor.players[p.player_id].firm


# ---- GET /api/web/console_link (facilitator) ---------------------------------------------------

async def web_console_link(request: web.Request) -> web.Response:
    """Open the console on another device (a tablet at the front, a colleague's laptop): the
    link carries the token in its fragment, so it never reaches a server's log; the QR code
    is made here from the server's public address (the LAN address with --lan)."""
    hub, token = hub_of(request), bearer(request, "token")
    await follow(request)
    p = hub.principal(token)
    if not p.is_facilitator:
        raise ProtocolError("forbidden", "this needs the facilitator token")
    # the session's id rides along: a browser that has never seen the session still finds
    # its debrief and export once the session has ended (the token alone is refused then)
    url = f"{hub.config.base_url()}/console#token={token}&session={p.session_id}"
    return _no_store({"url": url, "qr_svg": _qr(url, "QR code: console link").decode()})


# ---- POST /api/web/rejoin_link (player) ----------------------------------------------------------

class RejoinLink(_Msg):
    rejoin_code: str = Field(min_length=4, max_length=16)


async def web_rejoin_link(request: web.Request) -> web.Response:
    """The seat's move to a new device in one scan: the join page with the code, the name
    and the rejoin code filled in (server/seats.py checks the code at that join). The code
    travels in the link's fragment, so it never reaches a server's log; it is checked here
    against the seat, so the route makes no QR code of anything else."""
    actor, firm = await _player_firm(request)
    body = await read_body(request, RejoinLink)
    player = actor.players[hub_of(request).principal(bearer(request, "token")).player_id]
    if not seats.code_matches(player.rejoin_hash, body.rejoin_code):
        raise ProtocolError("bad_rejoin_code", "this is not your seat's rejoin code")
    # a labelled seat (a label list) is found by its label, the usual one by its name
    seat = {"name": player.name, **({"label": player.label} if player.label else {})}
    fragment = urlencode({**seat, "rejoin": normalize_code(body.rejoin_code)}, quote_via=quote)
    url = f"{hub_of(request).join_url(actor.code)}#{fragment}"
    return _no_store({"url": url, "qr_svg": _qr(url, "QR code: your seat on a new device").decode()})


# ---- GET /api/web/history/{session_id} (facilitator) ------------------------------------------

async def web_history(request: web.Request) -> web.Response:
    """The debrief's data: the session's public frame (firms, start positions, alliances,
    scores, from the live state) and, per resolved round, the decisions used and the
    engine events, read from the event log (the log is the truth)."""
    hub, actor = await _facilitator_actor(request)
    frame = views.debrief_frame(actor.session, actor.live())
    # the debrief notes in the page's language (`?lang=fr`), else English
    frame["debrief_text"] = actor.session.rules.scenario.texts_in(request.query.get("lang"))["debrief"]
    loop = asyncio.get_running_loop()
    history = await loop.run_in_executor(None, hub.store.round_history, actor.id)
    frame["rounds"], frame["signed"] = _rounds(history)
    # who left an alliance, when, and whether it had learned what it came for (issue 16)
    frame["graduations"] = graduations(actor.session.state, frame["rounds"])
    # each alliance's renegotiation windows: the moves, and whether the terms changed (issue 16)
    frame["renegotiations"] = renegotiation_story.windows((t, d) for k, t, d in history if k != "event")
    return _no_store(frame)


def _rounds(rows: list[tuple[str, str, dict]]) -> tuple[list[dict], list[dict]]:
    """Per resolved round, the decisions used and the engine events; the alliances signed."""
    rounds: dict[int, dict] = {}
    signed: list[dict] = []

    def rnd(n: int) -> dict:
        return rounds.setdefault(n, {"round": n, "decisions": {}, "sources": {}, "reason": None, "events": []})

    for kind, type_, d in rows:
        if type_ == "round_closed":
            r = rnd(d["round"])
            r["decisions"].update(d.get("decisions") or {})
            r["sources"].update(d.get("sources") or {})
            r["reason"] = d.get("reason")
        elif type_ == "alliance_signed" and kind == "event":  # the engine's (the fact is the story's)
            signed.append(d)
        elif kind == "event" and isinstance(d.get("round"), int):
            r = rnd(d["round"])
            r["events"].append(d)
            if type_ == "default_applied":
                r["decisions"][d["firm"]] = d["decision"]
    return [rounds[k] for k in sorted(rounds) if rounds[k]["events"]], signed
