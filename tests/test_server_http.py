"""HTTP endpoints that are not live: health, metrics, scenarios, the OpenAPI document,
and docs/protocol.md kept equal to what server/protocol.py generates."""
from __future__ import annotations

from pathlib import Path

from server.auth import CODE_ALPHABET, CODE_LENGTH, normalize_code
from server.protocol import CLIENT_MESSAGES, ERROR_CODES, SERVER_MESSAGES, render_protocol_doc

ROOT = Path(__file__).resolve().parent.parent


def test_protocol_doc_is_generated_from_the_schema_module():
    committed = (ROOT / "docs" / "protocol.md").read_text()
    assert committed == render_protocol_doc(), "run: python -m server.protocol > docs/protocol.md"
    for name in list(CLIENT_MESSAGES) + list(SERVER_MESSAGES):
        assert f"### `{name}`" in committed
    for code in ERROR_CODES:
        assert f"| `{code}` |" in committed


async def test_health_metrics_scenarios(api):
    status, body = await api.request("GET", "/healthz")
    assert status == 200 and body["status"] == "ok"
    status, body = await api.request("GET", "/api/scenarios")
    assert status == 200 and "classic" in [s["id"] for s in body["scenarios"]]
    session = await api.create()
    assert len(normalize_code(session["code"])) == CODE_LENGTH
    assert all(ch in CODE_ALPHABET for ch in normalize_code(session["code"]))
    assert session["facilitator_token"] not in session["join_url"]
    await api.request("POST", "/api/join", {"code": "nope-nope", "name": "x"})
    status, text = await api.request("GET", "/metrics")
    assert status == 200
    assert "alliance_sessions 1" in text and 'alliance_errors_total{code="unknown_code"} 1' in text


async def test_openapi_describes_every_route(api, server):
    status, doc = await api.request("GET", "/api/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    api_routes = {"/api/sessions", "/api/join", "/api/scenarios", "/api/sessions/{session_id}",
                  "/api/sessions/{session_id}/control", "/healthz", "/metrics", "/api/openapi.json", "/ws"}
    served = {r.resource.canonical for r in server.runner.app.router.routes()}
    assert api_routes <= served and api_routes <= set(doc["paths"])
    body = doc["paths"]["/api/sessions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].split("/")[-1] in doc["components"]["schemas"]
    assert set(doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]) == set(ERROR_CODES)
