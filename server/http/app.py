"""The aiohttp application: the application context, the one route table, the error
boundary and the security headers. HTTP serves what is not live; the live game goes
through the one WebSocket (docs/protocol.md).

Routes: `POST /api/sessions` (admin key), `POST /api/join`, `GET /api/scenarios`,
`GET /api/sessions/{id}` and `POST /api/sessions/{id}/control` (facilitator bearer token),
`GET /healthz`, `GET /metrics`, `GET /api/openapi.json`, `GET /ws`; the research routes
(server/http/research.py) and the web clients (server/http/pages.py).
"""
from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from ..config import ServerConfig
from . import api, pages, research
from .context import CONTEXT, HUB, AppContext
from .errors import error_boundary
from .ws import websocket

__all__ = ["HUB", "make_app", "route_table"]

log = logging.getLogger("server.app")

# on every response that does not set its own (the pages in server/http/pages.py do)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def route_table(web_root: Path | None = None) -> list[web.RouteDef]:
    """Every route of the server, in one place."""
    return [
        web.get("/", api.index),
        web.get("/healthz", api.healthz),
        web.get("/metrics", api.metrics),
        web.get("/api/openapi.json", api.openapi),
        web.get("/api/scenarios", api.scenarios),
        web.post("/api/sessions", api.create_session),
        web.post("/api/join", api.join),
        web.get("/api/sessions/{session_id}", api.session_summary),
        web.post("/api/sessions/{session_id}/control", api.session_control),
        web.get("/ws", websocket),
        # research: exports, consent, questionnaire, completion codes
        web.get("/api/sessions/{session_id}/export", research.export_session),
        web.post("/api/export", research.export_sessions),
        web.post("/api/consent", research.consent),
        web.get("/api/sessions/{session_id}/seat_request", research.seat_request),
        web.get("/api/questionnaire", research.get_questionnaire),
        web.post("/api/questionnaire", research.post_questionnaire),
        web.get("/api/completion", research.completion),
        # the web clients: pages, static files, the join QR code, what the pages read
        *pages.page_routes(web_root),
        web.get("/api/web/context", pages.web_context),
        web.get("/api/web/guide", pages.web_guide),
        web.get("/api/web/console_link", pages.web_console_link),
        web.post("/api/web/rejoin_link", pages.web_rejoin_link),
        web.get("/api/web/history/{session_id}", pages.web_history),
    ]


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for k, v in SECURITY_HEADERS.items():
        response.headers.setdefault(k, v)
    if request.path.startswith("/api/web/"):  # the pages' JSON routes: the pages' headers, errors too
        for k, v in pages.common_headers(request).items():
            response.headers.setdefault(k, v)
    if request.path.startswith("/api/"):  # bodies carry tokens: never cached by a proxy or browser
        response.headers.setdefault("Cache-Control", "no-store")


def make_app(config: ServerConfig) -> web.Application:
    app = web.Application(client_max_size=max(config.max_frame_bytes, 64 * 1024), middlewares=[error_boundary])
    ctx = AppContext.for_config(config)
    app[CONTEXT] = ctx
    app[HUB] = ctx.hub
    app.on_response_prepare.append(_security_headers)

    async def on_startup(app):
        await ctx.hub.start()

    async def on_shutdown(app):
        if not ctx.hub.shutting_down:
            await ctx.hub.shutdown()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.router.add_routes(route_table())
    return app
