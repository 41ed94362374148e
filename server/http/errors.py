"""The one error boundary of the HTTP routes: a handler raises `ProtocolError` (the same
stable codes as on the WebSocket, docs/protocol.md) and this middleware counts it and
answers `{"error": {"code", "message"}}` with its HTTP status. Under /api/, aiohttp's own
refusals (404, 405, 413 body too large) become the same JSON errors instead of text pages.
The WebSocket answers its errors in frames (server/http/ws.py), never here."""
from __future__ import annotations

from aiohttp import web

from ..protocol import ProtocolError
from ..ratelimit import KeyedBudget
from .context import hub_of


class RateLimited(ProtocolError):
    """429 with a Retry-After header."""

    def __init__(self, message: str, retry_after: int):
        super().__init__("rate_limited", message, 429)
        self.retry_after = retry_after


def within(budget: KeyedBudget, key: str, what: str) -> None:
    """Refuse (429, Retry-After) when `key` has nothing left in `budget`; the caller charges."""
    if not budget.allowed(key):
        wait = max(1, round(budget.retry_after(key)))
        raise RateLimited(f"{what}; try again in {wait} s", wait)


def http_status(e: ProtocolError) -> int:
    """The HTTP status of an error (the one place that decides it)."""
    return e.status


def json_error(code: str, message: str, status: int, headers: dict | None = None) -> web.Response:
    """The body of every HTTP error: `{"error": {"code", "message"}}`."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


def error_response(e: ProtocolError) -> web.Response:
    headers = {"Retry-After": str(e.retry_after)} if isinstance(e, RateLimited) else None
    return json_error(e.code, e.message, http_status(e), headers)


@web.middleware
async def error_boundary(request: web.Request, handler):
    try:
        return await handler(request)
    except ProtocolError as e:
        hub_of(request).metrics.error(e.code)
        return error_response(e)
    except web.HTTPException as e:
        if e.status < 400 or not request.path.startswith("/api/"):
            raise
        code = {404: "not_found", 413: "frame_too_large"}.get(e.status, "bad_request")
        headers = {k: v for k, v in e.headers.items() if k in ("Allow", "Retry-After")}
        return json_error(code, e.reason, e.status, headers)
