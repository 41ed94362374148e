"""HTTP routes for research: exports, consent, the closing questionnaire.

| route | token | what |
|---|---|---|
| `GET /api/sessions/{id}/export[?names=1&labels=1&wide=1]` | researcher or facilitator of the session | the export archive (ZIP) of one session |
| `POST /api/export` `{"tokens": [...], "names": false, "labels": false, "wide": false}` | one researcher or facilitator token per session | one archive for several sessions |
| `POST /api/consent` `{"consent": true}` | the token `join` returned with `consent_required` | seat the participant (or record a refusal) |
| `GET /api/sessions/{id}/seat_request` | the token `join` returned with `seat_request: pending` | has the facilitator moved the seat to this device yet? (server/seats.py) |
| `GET /api/questionnaire` | player | the closing questionnaire's questions |
| `POST /api/questionnaire` `{"answers": {...}}` | player, debrief phase | answer it (logged) |

Export tokens are checked against the database, so they work for ended sessions and
after a restart. A player token never exports (403 `forbidden`).
"""
from __future__ import annotations

import asyncio

from aiohttp import web

from .. import auth, participants, seats
from .. import protocol as P
from ..auth import token_hash
from ..export import ExportError, archive_name, build_archive
from ..protocol import ProtocolError
from .context import hub_of
from .inputs import bearer, read_body

_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes")


# ---- exports ------------------------------------------------------------------------------------

def export_session_of(store, pending: dict, token: str) -> list[str]:
    """The sessions a researcher or facilitator token belongs to (live or ended): one, or
    every group of a panel study (they share the study's researcher token). A player's
    token is refused with `forbidden`, anything else with `bad_token`."""
    h = token_hash(token)
    sessions, player = store.sessions_of_token(h)
    if sessions:
        return sessions
    if player or h in pending:
        raise ProtocolError("forbidden", "a player token cannot export: exports need the session's researcher "
                                         "token (or its facilitator token)")
    raise ProtocolError("bad_token", "this token is not valid")


async def _archive(request: web.Request, tokens: list[str], names: bool, labels: bool,
                   only: str | None = None, wide: bool = False, payments: bool = False) -> web.Response:
    hub = hub_of(request)
    db = hub.store.location
    loop = asyncio.get_running_loop()
    sids = []
    for t in tokens:
        mine = await loop.run_in_executor(None, export_session_of, hub.store, hub.pending, t)
        if only is not None and only not in mine:
            raise ProtocolError("forbidden", "the token is not this session's")
        for sid in [only] if only is not None else mine:
            if sid not in sids:
                sids.append(sid)
    try:
        data, manifest = await loop.run_in_executor(
            None, lambda: build_archive(db, sids, names=names, labels=labels, wide=wide, payments=payments))
    except ExportError as e:
        raise ProtocolError("not_found", str(e)) from None
    return web.Response(body=data, headers={
        **_HEADERS, "Content-Type": "application/zip",
        "Content-Disposition": f'attachment; filename="{archive_name(sids)}"'})


async def export_session(request: web.Request) -> web.Response:
    token = bearer(request, "researcher or facilitator token")
    return await _archive(request, [token], _flag(request, "names"), _flag(request, "labels"),
                          only=request.match_info["session_id"], wide=_flag(request, "wide"),
                          payments=_flag(request, "payments"))


async def export_sessions(request: web.Request) -> web.Response:
    req = await read_body(request, P.ExportRequest, floor=64 * 1024)
    return await _archive(request, req.tokens, req.names, req.labels, wide=req.wide, payments=req.payments)


# ---- participants ---------------------------------------------------------------------------------

async def consent(request: web.Request) -> web.Response:
    token = bearer(request, "the token POST /api/join returned")
    req = await read_body(request, P.Consent, floor=64 * 1024)
    hub = hub_of(request)
    result = await participants.consent(hub, token, req.consent)
    if result.get("consented"):
        result = {**result, "ws_url": hub.ws_url()}
    return web.json_response(result, headers=_HEADERS)


async def seat_request(request: web.Request) -> web.Response:
    """"This is me on a new device", asked with `takeover: true` at the join: pending, or
    approved (the seat), or refused (`token_revoked` saying so). server/seats.py"""
    hashed = auth.token_hash(bearer(request, "the token POST /api/join returned with seat_request"))
    hub, sid = hub_of(request), request.match_info["session_id"]
    actor = hub.sessions.get(sid)
    if actor is not None:
        return web.json_response(seats.request_state(actor, hashed), headers=_HEADERS)
    # several processes (PostgreSQL): the join may have been forwarded to the owner, and the
    # device's next poll reach this process; the owner answers it
    got = await hub.forwarding.seat_request(sid, hashed) if hub.forwarding is not None else None
    if got is None:
        raise ProtocolError("not_found", "no live session with this id")
    return web.json_response(got, headers=_HEADERS)


async def get_questionnaire(request: web.Request) -> web.Response:
    token = bearer(request, "player token")
    return web.json_response(participants.questionnaire(hub_of(request), token), headers=_HEADERS)


async def post_questionnaire(request: web.Request) -> web.Response:
    token = bearer(request, "player token")
    req = await read_body(request, P.QuestionnaireAnswers, floor=64 * 1024)
    return web.json_response(await participants.answer(hub_of(request), token, req.answers), headers=_HEADERS)


async def completion(request: web.Request) -> web.Response:
    """A participant's completion code (panel studies, server/study.py): from the live
    session, or from the log once it has ended."""
    hub = hub_of(request)
    token = bearer(request, "player token")
    if auth.token_hash(token) in hub.pending:
        return web.json_response({"status": "consent_required", "code": None, "redirect_url": None})
    p = hub.tokens.lookup(token)
    if p is None:
        hub.principal(token)  # raises the stable error (revoked, bad token)
    if p.is_facilitator:
        raise ProtocolError("forbidden", "completion codes are a participant's (player token)")
    actor = hub.sessions.get(p.session_id)
    if actor is not None:
        return web.json_response(await actor.call(actor.completion_of, p.player_id))
    loop = asyncio.get_running_loop()
    got = await loop.run_in_executor(None, hub.store.logged_completion, p.session_id, p.player_id)
    return web.json_response(got or {"player_id": p.player_id, "status": "ended", "code": None,
                                     "redirect_url": None})


def research_paths() -> dict:
    """The OpenAPI entries of these routes (server/http/openapi.py includes them)."""
    def body(name):
        return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}

    def err(d):
        return {"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

    obj = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    zip_ = {"description": "the export archive (docs/research.md, docs/codebook.md)",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}
    bearer = [{"facilitator": []}]
    flags = [{"name": n, "in": "query", "required": False, "schema": {"type": "string", "enum": ["1", "0"]},
              "description": d} for n, d in (("names", "include the names players typed (personal data)"),
                                             ("labels", "include participant labels (personal data)"),
                                             ("wide", "also events_wide.csv: every payload field as a column"),
                                             ("payments", "add payments.csv (labels and pay: personal data)"))]
    return {
        "/api/sessions/{session_id}/export": {"get": {
            "summary": "Export one session (researcher or facilitator token; a player token gets 403)",
            "operationId": "exportSession", "security": bearer,
            "parameters": [{"name": "session_id", "in": "path", "required": True, "schema": {"type": "string"}},
                           *flags],
            "responses": {"200": zip_, "401": err("missing or bad token"),
                          "403": err("a player token, or another session's")}}},
        "/api/export": {"post": {
            "summary": "Export several sessions in one archive (one researcher or facilitator token each)",
            "operationId": "exportSessions", "requestBody": body("ExportRequest"),
            "responses": {"200": zip_, "400": err("invalid body"), "401": err("bad token"),
                          "403": err("a player token")}}},
        "/api/consent": {"post": {
            "summary": "Give or decline consent (the token join returned with consent_required)",
            "operationId": "consent", "security": bearer, "requestBody": body("Consent"),
            "responses": {"200": obj, "401": err("bad or expired token"),
                          "403": err("not a participant's token")}}},
        "/api/questionnaire": {
            "get": {"summary": "The closing questionnaire (player token)", "operationId": "questionnaire",
                    "security": bearer, "responses": {"200": obj, "401": err("bad token"),
                                                      "403": err("consent first, or not a player token")}},
            "post": {"summary": "Answer the closing questionnaire (player token, debrief phase)",
                     "operationId": "answerQuestionnaire", "security": bearer,
                     "requestBody": body("QuestionnaireAnswers"),
                     "responses": {"200": obj, "400": err("invalid answers"), "401": err("bad token"),
                                   "403": err("consent first, or not a player token"),
                                   "404": err("no questionnaire"), "409": err("not in the debrief yet")}}},
    }
