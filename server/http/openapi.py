"""The OpenAPI 3 document served at /api/openapi.json (request bodies come from the
pydantic models in `protocol.py`, so they cannot drift from what the server accepts)."""
from __future__ import annotations

from functools import lru_cache

from .. import protocol as P
from .research import research_paths


def _json(schema_ref: str, description: str = "") -> dict:
    return {"description": description or "OK",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


def _error(description: str) -> dict:
    return _json("Error", description)


_ANY_OBJECT = {"type": "object", "additionalProperties": True}


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    schemas = {}
    for name, model in (("CreateSession", P.CreateSession), ("JoinSession", P.JoinSession),
                        ("HttpControl", P.HttpControl), ("Consent", P.Consent),
                        ("QuestionnaireAnswers", P.QuestionnaireAnswers), ("ExportRequest", P.ExportRequest)):
        s = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(s.pop("$defs", {}))
        schemas[name] = s
    schemas["Error"] = {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string", "enum": list(P.ERROR_CODES)}, "message": {"type": "string"}}}}}
    schemas["SessionCreated"] = {"type": "object", "required": ["session_id", "code", "facilitator_token", "join_url"],
                                 "properties": {
                                     "session_id": {"type": "string"},
                                     "code": {"type": "string", "description": "join code, 8 characters (40 bits), shown as XXXX-XXXX"},
                                     "facilitator_token": {"type": "string", "description": "send as Authorization: Bearer <token>, never in a URL"},
                                     "researcher_token": {"type": "string", "description": "exports only (live or ended session); give it to the researcher"},
                                     "join_url": {"type": "string"}, "ws_url": {"type": "string"},
                                     "scenario": {"type": "string"}, "options": _ANY_OBJECT,
                                     "firms": {"type": "array", "items": {"type": "string"}}}}
    schemas["Joined"] = {"type": "object", "required": ["player_token", "player_id", "session_id"],
                         "properties": {"player_token": {"type": "string"}, "player_id": {"type": "string"},
                                        "consent_required": {"type": "boolean", "description": "true: not seated "
                                                             "yet (no firm): POST /api/consent first"},
                                        "consent_text": {"type": "string"}, "rejoined": {"type": "boolean"},
                                        "firm": {"type": "string"}, "firm_name": {"type": "string"},
                                        "role": {"type": "string"}, "session_id": {"type": "string"},
                                        "ws_url": {"type": "string"}}}
    schemas["Ack"] = {"type": "object", "properties": {"type": {"const": "ack"}, "id": {"type": ["string", "null"]},
                                                       "result": _ANY_OBJECT, "duplicate": {"type": "boolean"}}}
    bearer = [{"facilitator": []}]
    session_param = [{"name": "session_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Alliance game server", "version": str(P.PROTOCOL_VERSION),
                 "description": "HTTP API for what is not live. The live protocol is one WebSocket at "
                                "/ws, documented in docs/protocol.md."},
        "components": {"schemas": schemas, "securitySchemes": {
            "facilitator": {"type": "http", "scheme": "bearer", "description": "the facilitator token"},
            "admin": {"type": "http", "scheme": "bearer", "description": "the server's admin key "
                      "(ALLIANCE_ADMIN_KEY, or the file admin.key next to the database; docs/operations.md)"}}},
        "paths": {
            "/api/sessions": {"post": {
                "summary": "Create a session (needs the admin key)", "operationId": "createSession",
                "security": [{"admin": []}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/CreateSession"}}}},
                "responses": {"201": _json("SessionCreated", "created"),
                              "400": _error("invalid options, or more copies or rounds than this server allows "
                                            "(`out_of_range` naming the field)"),
                              "401": _error("`admin_key_required`: the admin key is missing or wrong"),
                              "404": _error("unknown scenario"), "413": _error("body too large"),
                              "429": {**_error("too many sessions created from this address or on this server "
                                               "(Retry-After says when to try again)"),
                                      "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
                              "503": _error("shutting down, or the event log cannot be written")}}},
            "/api/join": {"post": {
                "summary": "Join a session with its code", "operationId": "join",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/JoinSession"}}}},
                "responses": {"200": _json("Joined", "joined; the token authenticates the WebSocket"),
                              "400": _error("invalid body, or a name that is empty or imitates a role"),
                              "404": _error("unknown code"),
                              "410": _error("`session_archived`: the session was archived after a long idle time"),
                              "413": _error("body too large"),
                              "429": {**_error("too many failed joins from this address (Retry-After says "
                                               "when to try again)"),
                                      "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
                              "503": _error("shutting down, or the event log cannot be written")}}},
            "/api/scenarios": {"get": {
                "summary": "The scenario library", "operationId": "scenarios",
                "parameters": [{"name": "lang", "in": "query", "required": False, "schema": {"type": "string"},
                                "description": "the page's language (BCP-47, e.g. `fr`): titles, role names "
                                               "and cases in it where the scenario carries it, else English"}],
                "responses": {"200": {"description": "scenarios", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"scenarios": {"type": "array", "items": _ANY_OBJECT}}}}}}}}},
            "/api/sessions/{session_id}": {"get": {
                "summary": "Session summary (the facilitator view; of an archived session too)",
                "operationId": "sessionSummary",
                "security": bearer, "parameters": session_param,
                "responses": {"200": {"description": "the facilitator view",
                                      "content": {"application/json": {"schema": _ANY_OBJECT}}},
                              "401": _error("missing, bad or expired token"), "403": _error("not this session's facilitator")}}},
            "/api/sessions/{session_id}/control": {"post": {
                "summary": "A facilitator control (same as the `control` message)", "operationId": "control",
                "security": bearer, "parameters": session_param,
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/HttpControl"}}}},
                "responses": {"200": _json("Ack", "applied and logged"), "400": _error("refused"),
                              "401": _error("missing, bad or expired token"), "403": _error("not the facilitator"),
                              "409": _error("not possible in this phase"),
                              "410": _error("`session_archived`: the session is read-only")}}},
            "/healthz": {"get": {"summary": "Liveness", "operationId": "healthz",
                                 "responses": {"200": {"description": "serving"},
                                               "503": {"description": "shutting down or log failing"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "operationId": "metrics",
                                 "responses": {"200": {"description": "text/plain exposition format",
                                                       "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/api/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                                          "responses": {"200": {"description": "OpenAPI 3 document"}}}},
            "/ws": {"get": {"summary": "The live WebSocket (first frame: auth); see docs/protocol.md",
                            "operationId": "websocket", "responses": {"101": {"description": "switching protocols"}}}},
            **research_paths(),  # exports, consent, questionnaire (server/http/research.py)
        },
    }
