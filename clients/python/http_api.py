"""The non-live part of the API over HTTP (docs/protocol.md): create a session, join one,
send a facilitator control, read the facilitator's view; and `CommandError`, the refusal
both these helpers and the live client (client.py) raise."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from .admin_key import find_admin_key

log = logging.getLogger("alliance.client")


class CommandError(Exception):
    """The server refused a command (or the token): `code` is stable (docs/protocol.md),
    `message` is for people, `id` the command's id."""

    def __init__(self, code: str, message: str, id: str | None = None, status: int | None = None,
                 retry_after: float | None = None):
        self.code, self.message, self.id, self.status = code, message, id, status
        self.retry_after = retry_after  # seconds, from an HTTP 429's Retry-After
        super().__init__(f"{code}: {message}")



# ---- HTTP helpers (the non-live part of the API) --------------------------------------------

def ws_url(base_url: str) -> str:
    """`http://host:port` -> `ws://host:port/ws` (https -> wss)."""
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://"):] + "/ws"
    if base.startswith("http://"):
        return "ws://" + base[len("http://"):] + "/ws"
    return base


async def http_request(method: str, url: str, body: dict | None = None, token: str | None = None,
                       *, raw: bool = False, timeout: float = 30.0) -> Any:
    """One JSON request; a 4xx/5xx answer raises `CommandError` with the server's code.
    With `raw=True` the body is returned as bytes (file downloads). `token` goes into
    `Authorization: Bearer` (a session's token, or the admin key to create sessions)."""
    import aiohttp
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        async with http.request(method, url, json=body, headers=headers) as r:
            if r.status < 400 and raw:
                return await r.read()
            try:
                data = await r.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError):
                data = {"error": {"code": "http_error", "message": (await r.text())[:200]}}
            if r.status >= 400:
                err = data.get("error", {}) if isinstance(data, dict) else {}
                wait = r.headers.get("Retry-After", "")
                raise CommandError(err.get("code", "http_error"), err.get("message", f"HTTP {r.status}"),
                                   status=r.status, retry_after=float(wait) if wait.isdigit() else None)
            return data


async def create_session(base_url: str, *, admin_key: str | None = None, max_wait: float = 120.0,
                         **options: Any) -> dict:
    """POST /api/sessions with the admin key (`admin_key`, else `find_admin_key()`: the
    ALLIANCE_ADMIN_KEY variable or the server's key file); returns session_id, code,
    facilitator_token, join_url, firms... Past the server's creation rate limit (429) it
    waits as told (`Retry-After`), `max_wait` seconds in all at most."""
    key = admin_key or find_admin_key()
    body = {k: v for k, v in options.items() if v is not None}
    deadline = time.monotonic() + max_wait
    while True:
        try:
            return await http_request("POST", f"{base_url.rstrip('/')}/api/sessions", body, key)
        except CommandError as e:
            wait = e.retry_after
            if e.code != "rate_limited" or wait is None or time.monotonic() + wait > deadline:
                raise
            log.info("creating sessions too fast for the server: waiting %.0f s", wait)
            await asyncio.sleep(wait)


async def join_session(base_url: str, code: str, name: str, label: str | None = None, *,
                       bot: bool = False, language: str | None = None) -> dict:
    """POST /api/join; returns player_token, player_id, firm, role, session_id, ws_url.
    A program playing by itself says so (`bot=True`): researchers must tell bots from people."""
    body: dict[str, Any] = {"code": code, "name": name}
    if label:
        body["label"] = label
    if bot:
        body["bot"] = True
    if language:
        body["language"] = language
    return await http_request("POST", f"{base_url.rstrip('/')}/api/join", body)


async def control(base_url: str, session_id: str, token: str, action: str, **fields: Any) -> dict:
    """POST /api/sessions/{id}/control with the facilitator token; returns the ack."""
    body = {"action": action, **{k: v for k, v in fields.items() if v is not None}}
    return await http_request("POST", f"{base_url.rstrip('/')}/api/sessions/{session_id}/control", body, token)


async def summary(base_url: str, session_id: str, token: str) -> dict:
    """GET /api/sessions/{id}: the facilitator's full view."""
    return await http_request("GET", f"{base_url.rstrip('/')}/api/sessions/{session_id}", token=token)
