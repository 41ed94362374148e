"""The HTTP side's shape (issue 14): every route is in one route table, and every route's
refusal goes through one error boundary (server/http/errors.py): the same JSON body, the
same headers for its path, and counted in /metrics whichever route group refused it."""
from __future__ import annotations

import aiohttp
from aiohttp import web

from server.http.app import route_table


async def test_every_route_of_the_application_is_in_the_route_table(server):
    def routes(router) -> set[tuple[str, str]]:
        return {(r.method, r.resource.canonical) for r in router.routes() if r.method != "HEAD"}

    only_the_table = web.Application()
    only_the_table.router.add_routes(route_table())
    assert routes(server.runner.app.router) == routes(only_the_table.router)
    assert {("GET", "/api/completion"), ("GET", "/api/web/context"), ("GET", "/ws")} <= routes(only_the_table.router)


async def _metric(api, code: str) -> int:
    _, text = await api.request("GET", "/metrics")
    line = next((l for l in text.splitlines() if l.startswith(f'alliance_errors_total{{code="{code}"}}')), None)
    return int(line.rsplit(" ", 1)[1]) if line else 0


async def test_refusals_of_every_route_group_are_answered_and_counted_alike(api, server):
    # a missing token on a core route, a research route, a completion route and a page's JSON route
    paths = [("GET", "/api/sessions/s_0123456789abcdef"), ("GET", "/api/questionnaire"),
             ("GET", "/api/completion"), ("GET", "/api/web/context"),
             ("GET", "/api/web/history/s_0123456789abcdef"), ("GET", "/api/sessions/s_0123456789abcdef/export")]
    before = await _metric(api, "not_authenticated")
    async with aiohttp.ClientSession() as http:
        for method, path in paths:
            async with http.request(method, server.url + path) as r:
                body = await r.json()
                assert r.status == 401, path
                assert body["error"]["code"] == "not_authenticated", path
                assert body["error"]["message"].startswith("send Authorization: Bearer <"), path
                assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Content-Type-Options"] == "nosniff"
                if path.startswith("/api/web/"):  # the pages' JSON routes keep the pages' headers, errors too
                    assert r.headers["Cross-Origin-Opener-Policy"] == "same-origin", path
    assert await _metric(api, "not_authenticated") == before + len(paths)
