"""The aiohttp application: HTTP routes for what is not live, and the one WebSocket.

Routes: `POST /api/sessions` (admin key), `POST /api/join`, `GET /api/scenarios`,
`GET /api/sessions/{id}` and `POST /api/sessions/{id}/control` (facilitator bearer token),
`GET /healthz`, `GET /metrics`, `GET /api/openapi.json`, and `GET /ws` (docs/protocol.md).
"""
from __future__ import annotations

import asyncio
import logging

from aiohttp import WSMsgType, web

from game_rules.scenario import load_scenario, scenario_ids

from . import auth, protocol as P
from .auth import bearer_token
from .config import ServerConfig
from .connection import Connection, RateBudget
from .hub import Hub
from .names import clean_label, clean_name
from .openapi import openapi_document
from .protocol import ProtocolError
from .ratelimit import KeyedBudget, client_ip
from .research import add_research_routes
from .study import add_study_routes
from .web import add_web_routes

log = logging.getLogger("server.app")
HUB = web.AppKey("hub", Hub)
JOIN_FAILURES = web.AppKey("join_failures", KeyedBudget)
JOINS = web.AppKey("joins", tuple)  # successful joins: (per address, per session) budgets
CREATES = web.AppKey("creates", KeyedBudget)              # sessions created per client address
TOTAL_CREATES = web.AppKey("total_creates", KeyedBudget)  # ... and by everyone together (one key)

# on every response that does not set its own (the pages in server/web.py do)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


@web.middleware
async def _api_errors(request: web.Request, handler):
    """Under /api/, aiohttp's own refusals (404, 405, 413 body too large) are JSON errors
    with a stable code like every other API error, not text pages."""
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400 or not request.path.startswith("/api/"):
            raise
        code = {404: "not_found", 413: "frame_too_large"}.get(e.status, "bad_request")
        headers = {k: v for k, v in e.headers.items() if k in ("Allow", "Retry-After")}
        return web.json_response({"error": {"code": code, "message": e.reason}}, status=e.status, headers=headers)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for k, v in SECURITY_HEADERS.items():
        response.headers.setdefault(k, v)
    if request.path.startswith("/api/"):  # bodies carry tokens: never cached by a proxy or browser
        response.headers.setdefault("Cache-Control", "no-store")


def make_app(config: ServerConfig) -> web.Application:
    app = web.Application(client_max_size=max(config.max_frame_bytes, 64 * 1024), middlewares=[_api_errors])
    hub = Hub(config)
    app[HUB] = hub
    app[JOIN_FAILURES] = KeyedBudget(config.join_fail_per_minute / 60.0, config.join_fail_burst)
    app[JOINS] = (KeyedBudget(config.join_per_minute_per_address / 60.0, config.join_burst_per_address),
                  KeyedBudget(config.join_per_minute_per_session / 60.0, config.join_burst_per_session))
    app[CREATES] = KeyedBudget(config.create_per_minute / 60.0, config.create_burst)
    app[TOTAL_CREATES] = KeyedBudget(config.create_total_per_minute / 60.0, config.create_total_burst, max_keys=1)
    app.on_response_prepare.append(_security_headers)

    async def on_startup(app):
        await hub.start()

    async def on_shutdown(app):
        if not hub.shutting_down:
            await hub.shutdown()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/openapi.json", openapi)
    app.router.add_get("/api/scenarios", scenarios)
    app.router.add_post("/api/sessions", create_session)
    app.router.add_post("/api/join", join)
    app.router.add_get("/api/sessions/{session_id}", session_summary)
    app.router.add_post("/api/sessions/{session_id}/control", session_control)
    app.router.add_get("/ws", websocket)
    add_research_routes(app)  # exports, consent, questionnaire (server/research.py)
    add_study_routes(app)  # completion codes (server/study.py)
    add_web_routes(app)  # the web clients (server/web.py); API routes above take precedence
    return app


# ---- HTTP helpers -------------------------------------------------------------------------

def _error(e: ProtocolError) -> web.Response:
    headers = {"Retry-After": str(e.retry_after)} if isinstance(e, RateLimited) else None
    return web.json_response({"error": {"code": e.code, "message": e.message}}, status=e.status, headers=headers)


async def _body(request: web.Request, model):
    hub = request.app[HUB]
    try:
        try:
            text = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("bad_request", "the body must be UTF-8 JSON") from None
        data = P.decode_frame(text, hub.config.max_frame_bytes)
    except ProtocolError as e:
        if e.code == "bad_frame":
            raise ProtocolError("bad_request", "the body must be a JSON object") from None
        raise
    return P.parse_model(model, data)


def _facilitator(request: web.Request, archived_ok: bool = False):
    """The principal of the facilitator token in the Authorization header (of a live
    session; with `archived_ok`, of an archived one too)."""
    hub = request.app[HUB]
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        raise ProtocolError("not_authenticated", "send Authorization: Bearer <facilitator token>")
    p = hub.principal(token, archived_ok)
    if not p.is_facilitator:
        raise ProtocolError("forbidden", "this needs the facilitator token")
    if p.session_id != request.match_info["session_id"]:
        raise ProtocolError("forbidden", "the token is not this session's")
    return p


def _admin(request: web.Request) -> None:
    """Creating sessions needs the admin key; then the address's and everyone's creation
    budgets. A wrong key is refused before any budget is charged: the key (at least 24
    characters, 43 random ones by default) cannot be guessed, and charging failures to an
    address would let anyone behind the facilitator's NAT lock the facilitator out."""
    hub = request.app[HUB]
    given = bearer_token(request.headers.get("Authorization"))
    if given is None:
        raise ProtocolError("admin_key_required", "creating a session needs the admin key: send "
                                                  "Authorization: Bearer <admin key> (the server printed "
                                                  "where it keeps the key when it started)")
    if not hub.admin_key.matches(given):
        raise ProtocolError("admin_key_required", "the admin key is wrong (the server printed where it keeps "
                                                  "the key when it started)")
    ip = client_ip(request, hub.config.trust_proxy)
    _within(request.app[CREATES], ip, "too many sessions created from your address")
    _within(request.app[TOTAL_CREATES], "*", "too many sessions created on this server")
    request.app[CREATES].charge(ip)
    request.app[TOTAL_CREATES].charge("*")


class RateLimited(ProtocolError):
    """429 with a Retry-After header."""

    def __init__(self, message: str, retry_after: int):
        super().__init__("rate_limited", message)
        self.retry_after = retry_after


def _within(budget: KeyedBudget, key: str, what: str) -> None:
    """Refuse (429, Retry-After) when `key` has nothing left in `budget`; the caller charges."""
    if not budget.allowed(key):
        wait = max(1, round(budget.retry_after(key)))
        raise RateLimited(f"{what}; try again in {wait} s", wait)


def _handles_errors(fn):
    async def wrapper(request):
        try:
            return await fn(request)
        except ProtocolError as e:
            request.app[HUB].metrics.error(e.code)
            return _error(e)
    wrapper.__name__ = fn.__name__
    return wrapper


# ---- routes --------------------------------------------------------------------------------

async def index(request):
    # most people who open the bare address are players with a code: send them to the join
    # page (facilitators use /console; the API is described at /api/openapi.json)
    raise web.HTTPFound("/join")


async def healthz(request):
    hub = request.app[HUB]
    if hub.store.failed is not None:
        return web.json_response({"status": "failing", "reason": "event log write failed"}, status=503)
    if hub.shutting_down:
        return web.json_response({"status": "shutting_down"}, status=503)
    return web.json_response({"status": "ok", "sessions": len(hub.sessions)})


async def metrics(request):
    hub = request.app[HUB]
    m, s = hub.metrics, hub.store
    lines = [
        "# TYPE alliance_sessions gauge", f"alliance_sessions {len(hub.sessions)}",
        "# TYPE alliance_connections gauge", f"alliance_connections {m.connections}",
        "# TYPE alliance_connections_total counter", f"alliance_connections_total {m.connections_total}",
        "# TYPE alliance_commands_total counter", f"alliance_commands_total {m.commands}",
        "# TYPE alliance_log_commits_total counter", f"alliance_log_commits_total {s.commits}",
        "# TYPE alliance_log_rows_total counter", f"alliance_log_rows_total {s.rows_written}",
        "# TYPE alliance_errors_total counter",
    ]
    lines += [f'alliance_errors_total{{code="{c}"}} {n}' for c, n in sorted(m.errors.items())]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")


async def openapi(request):
    return web.json_response(openapi_document())


async def scenarios(request):
    out = []
    for sid in scenario_ids():
        s = load_scenario(sid)
        out.append({"id": s.id, "title": s.title, "rounds": s.rounds,
                    "roles": [{"id": r.id, "name": r.name} for r in s.roles],
                    "phases": s.phases.model_dump(), "scoring": s.scoring.model_dump(),
                    "case": s.text.case})
    return web.json_response({"scenarios": out})


@_handles_errors
async def create_session(request):
    hub = request.app[HUB]
    if hub.shutting_down:
        raise ProtocolError("shutting_down", "the server is shutting down")
    _admin(request)
    req = await _body(request, P.CreateSession)
    return web.json_response(await hub.create_session(req), status=201)


@_handles_errors
async def join(request):
    """Failed attempts (unknown code, bad body) are counted per client address; past the
    budget every join from that address is refused with 429 before the code is looked at."""
    failures = request.app[JOIN_FAILURES]
    ip = client_ip(request, request.app[HUB].config.trust_proxy)
    _within(failures, ip, "too many failed joins from your address")
    try:
        req = await _body(request, P.JoinSession)
        # successful joins are budgeted too, per address and per session, so a leaked code
        # cannot fill every seat of a class at machine speed
        by_ip, by_session = request.app[JOINS]
        session = request.app[HUB].codes.get(auth.normalize_code(req.code), "?")
        _within(by_ip, ip, "too many joins from your address just now")
        _within(by_session, session, "too many joins into this session just now")
        name = clean_name(req.name) if req.name is not None else None  # server/names.py: shown to others
        label = clean_label(req.label)
        joined = await request.app[HUB].join(req.code, name, label, req.rejoin_code,
                                             is_bot=req.bot, language=req.language)
        by_ip.charge(ip)
        by_session.charge(session)
        return web.json_response(joined)
    except ProtocolError as e:
        if 400 <= e.status < 500 and e.status != 429:
            failures.charge(ip)
        raise


@_handles_errors
async def session_summary(request):
    hub = request.app[HUB]
    p = _facilitator(request, archived_ok=True)
    if p.session_id not in hub.sessions:  # ended or archived: a read-only copy, nothing runs in it
        return web.json_response((await hub.readable_session(p.session_id)).summary())
    actor = hub.sessions[p.session_id]
    return web.json_response(await actor.call(actor.summary))


@_handles_errors
async def session_control(request):
    actor = request.app[HUB].sessions[_facilitator(request).session_id]
    body = await _body(request, P.HttpControl)
    reply, status = await actor.call(actor.http_control, body)
    if reply["type"] == "error":
        return web.json_response({"error": {"code": reply["code"], "message": reply["message"]}}, status=status)
    return web.json_response(reply)


# ---- the WebSocket ---------------------------------------------------------------------------

async def websocket(request):
    hub: Hub = request.app[HUB]
    cfg = hub.config
    # aiohttp closes (1009) above the hard cap; between the limit and the cap we answer
    # `frame_too_large` and keep the socket
    ws = web.WebSocketResponse(heartbeat=cfg.heartbeat, max_msg_size=cfg.max_frame_bytes * 4,
                               compress=cfg.ws_compress)
    await ws.prepare(request)
    conn = Connection(ws, None, False, cfg.outbox_limit, cfg.rate_per_second, cfg.rate_burst,
                      outbox_bytes=cfg.outbox_bytes, transport=request.transport)
    hub.metrics.connections_total += 1
    actor = None
    garbage = flood = 0
    try:
        while True:
            timeout = None if actor else cfg.auth_timeout
            try:
                frame = await ws.receive(timeout=timeout)
            except asyncio.TimeoutError:
                await conn.close(4408, "authenticate within the time limit")
                break
            if frame.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break  # close, closing, error (including a frame above the hard cap)
            conn.binary = frame.type == WSMsgType.BINARY
            raw = {}
            try:
                raw = P.decode_frame(frame.data, cfg.max_frame_bytes)
                msg = P.parse_client_message(raw)
                if actor is None:
                    actor = _authenticate(hub, conn, msg)
                    garbage = 0
                    continue
                if msg.type == "auth":
                    raise ProtocolError("already_authenticated", "this socket is already authenticated")
            except ProtocolError as e:
                hub.metrics.error(e.code)
                conn.send(P.error(P.message_id(raw), e.code, e.message))
                garbage += 1
                if garbage >= cfg.garbage_strikes:
                    await conn.close(1008, "too many invalid frames")
                    break
                continue
            garbage = 0
            if not conn.budget.take():
                hub.metrics.error("rate_limited")
                conn.send(P.error(msg.id, "rate_limited", f"more than {cfg.rate_per_second:g} commands per second"))
                flood += 1
                if flood >= cfg.flood_strikes:
                    await conn.close(1008, "flooding: too many commands")
                    break
                continue
            flood = 0
            if hub.shutting_down or actor.task is None or actor.task.done():
                conn.send(P.error(msg.id, "shutting_down" if hub.shutting_down else "session_ended",
                                  "the server is shutting down" if hub.shutting_down else "the session has ended"))
                continue
            actor.post(actor.command, conn, msg)
    finally:
        if conn.close_reason is None and isinstance(ws.exception(), asyncio.TimeoutError):
            conn.close_reason = "heartbeat_timeout"  # no pong: a dead or half-open socket
        if conn.token_hash is not None:
            hub.socket_closed(conn.token_hash)
        if actor is not None and actor.task is not None and not actor.task.done():
            actor.post(actor.disconnect, conn)
        if not conn.closed:
            conn.stop()
    return ws


def _authenticate(hub: Hub, conn: Connection, msg):
    if msg.type != "auth":
        raise ProtocolError("not_authenticated", "the first frame must be `auth` with your token")
    if hub.shutting_down:
        raise ProtocolError("shutting_down", "the server is shutting down")
    if hub.store.failed is not None:
        raise ProtocolError("storage_failed", "the event log could not be written; the server accepts nothing until it is restarted")
    p = hub.principal(msg.token)
    actor = hub.sessions[p.session_id]
    hashed = auth.token_hash(msg.token)
    cap = hub.config.max_sockets_per_token
    if hub.sockets[hashed] >= cap:
        raise ProtocolError("too_many_sockets", f"this token already has {cap} open connections; close another "
                                                f"tab or device first")
    hub.sockets[hashed] += 1
    conn.token_hash = hashed
    conn.principal = p
    # one command budget per player (or facilitator), shared by all of its sockets
    conn.budget = actor.budgets.get(p.name) or actor.budgets.setdefault(
        p.name, RateBudget(hub.config.rate_per_second, hub.config.rate_burst))
    actor.post(actor.connect, conn)
    return actor
