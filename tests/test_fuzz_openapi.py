"""Schemathesis against the OpenAPI document the server serves (/api/openapi.json): for
every HTTP operation, bounded generated requests (valid and invalid bodies, path
parameters, with and without the facilitator token) checked for server errors, status
codes and content types that the document does not declare, and bodies that do not match
the declared schemas."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from server.config import ServerConfig

from conftest import TEST_ADMIN_KEY
from reliability_tools import ThreadedServer, http_json

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES = 12
SKIP = {"/ws"}  # the WebSocket has its own fuzzers (test_fuzz_protocol.py)
# "schema-valid data must get a 2xx": a JSON Schema cannot say that `assignment` needs
# `treatments` or that a scenario must exist, so such requests get a documented 400 or 404
# (with a stable code); every other check (no 5xx, declared statuses, content types and
# response schemas, invalid data rejected, ...) stays on
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    db = tmp_path_factory.mktemp("openapi") / "st.db"
    # generous join-failure and creation budgets: schemathesis sends many requests from one address
    srv = ThreadedServer(ServerConfig(host="127.0.0.1", port=0, db_path=str(db), synchronous="normal",
                                      join_fail_burst=10**6, admin_key=TEST_ADMIN_KEY, create_burst=10**6,
                                      create_total_burst=10**6)).start()
    s = http_json("POST", f"{srv.url}/api/sessions", {"copies": 1, "negotiation": False}, token=TEST_ADMIN_KEY)[1]
    srv.session = s
    yield srv
    srv.stop()


def _operations(url: str):
    schema = schemathesis.openapi.from_url(f"{url}/api/openapi.json")
    out = []
    for result in schema.get_all_operations():
        op = result.ok()
        if op.path not in SKIP:
            out.append(op)
    return out


def test_openapi_document_fuzzed_with_schemathesis(served):
    ops = _operations(served.url)
    assert {op.path for op in ops} >= {"/api/sessions", "/api/join", "/api/sessions/{session_id}/control"}
    failures = []
    for op in ops:
        # creating sessions takes the admin key; every other route the facilitator's token
        token = TEST_ADMIN_KEY if op.path == "/api/sessions" else served.session["facilitator_token"]
        headers = {"Authorization": f"Bearer {token}"}
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def run(case):
            if case.path_parameters and "session_id" in case.path_parameters and case.path_parameters["session_id"] == "":
                case.path_parameters["session_id"] = served.session["session_id"]
            case.call_and_validate(base_url=served.url, headers=headers, excluded_checks=EXCLUDED)

        try:
            run()
        except BaseException as e:  # noqa: BLE001 (FailureGroup is a BaseExceptionGroup) collect every operation's first failure, then report them all
            failures.append(f"{op.method.upper()} {op.path}: {type(e).__name__}: {str(e)[:1500]}")
    assert not failures, "\n\n".join(failures)
    assert served.hub.store.failed is None
