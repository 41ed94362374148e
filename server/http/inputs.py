"""What a handler reads from a request, refused with a clear `ProtocolError` when it is
wrong: the JSON body (validated against a protocol model), the bearer token, the
facilitator of the session in the path."""
from __future__ import annotations

from aiohttp import web

from .. import protocol as P
from ..auth import bearer_token
from ..protocol import ProtocolError
from .context import hub_of


async def read_body(request: web.Request, model, floor: int = 0):
    """The body as `model`: UTF-8 JSON, at most the frame limit (or `floor` bytes, if more)."""
    try:
        try:
            text = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:  # request.text() would raise it: a 500
            raise ProtocolError("bad_request", "the body must be UTF-8 JSON") from None
        data = P.decode_frame(text, max(hub_of(request).config.max_frame_bytes, floor))
    except ProtocolError as e:
        if e.code == "bad_frame":
            raise ProtocolError("bad_request", "the body must be a JSON object") from None
        raise
    return P.parse_model(model, data)


def bearer(request: web.Request, what: str) -> str:
    """The token in `Authorization: Bearer <what>`."""
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        raise ProtocolError("not_authenticated", f"send Authorization: Bearer <{what}>")
    return token


async def follow(request: web.Request) -> None:
    """Several processes on one database: a bearer token of a session another process owns
    makes this one follow that session (server/forwarding.py), so that it is known here."""
    hub = hub_of(request)
    token = bearer_token(request.headers.get("Authorization"))
    if hub.forwarding is not None and token is not None:
        await hub.forwarding.resolve_token(token)


def facilitator(request: web.Request, archived_ok: bool = False):
    """The principal of the facilitator token of the session in the path (a live session;
    with `archived_ok`, an archived one too)."""
    p = hub_of(request).principal(bearer(request, "facilitator token"), archived_ok)
    if not p.is_facilitator:
        raise ProtocolError("forbidden", "this needs the facilitator token")
    if p.session_id != request.match_info["session_id"]:
        raise ProtocolError("forbidden", "the token is not this session's")
    return p
