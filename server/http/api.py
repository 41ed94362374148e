"""The core HTTP API: create a session (admin key), join one, a facilitator's summary and
controls, the scenarios, health and metrics (docs/protocol.md). Errors are raised as
`ProtocolError` and answered by the error boundary (server/http/errors.py)."""
from __future__ import annotations

from aiohttp import web

from game_rules.scenario import load_scenario, scenario_ids

from .. import auth, protocol as P
from ..auth import bearer_token
from ..names import clean_label, clean_name
from ..protocol import ProtocolError
from ..ratelimit import client_ip
from .context import context, hub_of
from .errors import json_error, within
from .inputs import facilitator, follow, read_body
from .openapi import openapi_document


def _admin(request: web.Request) -> None:
    """Creating sessions needs the admin key; then the address's and everyone's creation
    budgets. A wrong key is refused before any budget is charged: the key (at least 24
    characters, 43 random ones by default) cannot be guessed, and charging failures to an
    address would let anyone behind the facilitator's NAT lock the facilitator out."""
    ctx = context(request)
    hub = ctx.hub
    given = bearer_token(request.headers.get("Authorization"))
    if given is None:
        raise ProtocolError("admin_key_required", "creating a session needs the admin key: send "
                                                  "Authorization: Bearer <admin key> (the server printed "
                                                  "where it keeps the key when it started)")
    if not hub.admin_key.matches(given):
        raise ProtocolError("admin_key_required", "the admin key is wrong (the server printed where it keeps "
                                                  "the key when it started)")
    ip = client_ip(request, hub.config.trust_proxy)
    within(ctx.creates, ip, "too many sessions created from your address")
    within(ctx.total_creates, "*", "too many sessions created on this server")
    ctx.creates.charge(ip)
    ctx.total_creates.charge("*")


async def index(request):
    # most people who open the bare address are players with a code: send them to the join
    # page (facilitators use /console; the API is described at /api/openapi.json)
    raise web.HTTPFound("/join")


async def healthz(request):
    hub = hub_of(request)
    if hub.store.failed is not None:
        return web.json_response({"status": "failing", "reason": "event log write failed"}, status=503)
    if hub.store.unavailable is not None:  # PostgreSQL restarting: the store reconnects by itself
        return web.json_response({"status": "database_unavailable", "reason": hub.store.unavailable}, status=503)
    if hub.shutting_down:
        return web.json_response({"status": "shutting_down"}, status=503)
    return web.json_response({"status": "ok", "sessions": len(hub.sessions)})


async def metrics(request):
    hub = hub_of(request)
    m, s = hub.metrics, hub.store
    lines = [
        "# TYPE alliance_sessions gauge", f"alliance_sessions {len(hub.sessions)}",
        "# TYPE alliance_connections gauge", f"alliance_connections {m.connections}",
        "# TYPE alliance_connections_total counter", f"alliance_connections_total {m.connections_total}",
        "# TYPE alliance_commands_total counter", f"alliance_commands_total {m.commands}",
        "# TYPE alliance_log_commits_total counter", f"alliance_log_commits_total {s.commits}",
        "# TYPE alliance_log_rows_total counter", f"alliance_log_rows_total {s.rows_written}",
        "# TYPE alliance_database_unavailable gauge",
        f"alliance_database_unavailable {int(s.unavailable is not None)}",
        "# TYPE alliance_database_reconnects_total counter",
        f"alliance_database_reconnects_total {s.reconnects}",
        "# TYPE alliance_errors_total counter",
    ]
    lines += [f'alliance_errors_total{{code="{c}"}} {n}' for c, n in sorted(m.errors.items())]
    if hub.gc_pauses is not None:
        lines += hub.gc_pauses.metrics()
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")


async def openapi(request):
    return web.json_response(openapi_document())


async def scenarios(request):
    """The shipped scenarios' public texts (title, role names, case; never a brief) in the
    page's language (`?lang=fr`, a BCP-47 tag), each text falling back to English."""
    language = request.query.get("lang")
    out = []
    for sid in scenario_ids():
        s = load_scenario(sid)
        texts = s.texts_in(language)
        out.append({"id": s.id, "title": texts["title"], "rounds": s.rounds,
                    "roles": [{"id": r.id, "name": texts["roles"][r.id]["name"]} for r in s.roles],
                    "phases": s.phases.model_dump(), "scoring": s.scoring.model_dump(),
                    "case": texts["case"], "languages": ["en", *sorted(s.translations)]})
    return web.json_response({"scenarios": out})


async def create_session(request):
    hub = hub_of(request)
    if hub.shutting_down:
        raise ProtocolError("shutting_down", "the server is shutting down")
    _admin(request)
    req = await read_body(request, P.CreateSession)
    return web.json_response(await hub.create_session(req), status=201)


async def join(request):
    """Failed attempts (unknown code, bad body) are counted per client address; past the
    budget every join from that address is refused with 429 before the code is looked at."""
    ctx = context(request)
    failures = ctx.join_failures
    ip = client_ip(request, ctx.hub.config.trust_proxy)
    within(failures, ip, "too many failed joins from your address")
    try:
        req = await read_body(request, P.JoinSession)
        # successful joins are budgeted too, per address and per session, so a leaked code
        # cannot fill every seat of a class at machine speed
        by_ip, by_session = ctx.joins_by_address, ctx.joins_by_session
        session = ctx.hub.codes.get(auth.normalize_code(req.code), "?")
        within(by_ip, ip, "too many joins from your address just now")
        within(by_session, session, "too many joins into this session just now")
        name = clean_name(req.name) if req.name is not None else None  # server/names.py: shown to others
        label = clean_label(req.label)
        joined = await ctx.hub.join(req.code, name, label, req.rejoin_code,
                                             is_bot=req.bot, language=req.language, takeover=req.takeover)
        by_ip.charge(ip)
        by_session.charge(session)
        return web.json_response(joined)
    except ProtocolError as e:
        if 400 <= e.status < 500 and e.status != 429:
            failures.charge(ip)
        raise


async def session_summary(request):
    hub = hub_of(request)
    await follow(request)
    p = facilitator(request, archived_ok=True)
    if p.session_id in hub.followers:  # another process runs it: this one's replica of it
        return web.json_response(await hub.followers[p.session_id].summary())
    if p.session_id not in hub.sessions:  # ended or archived: a read-only copy, nothing runs in it
        return web.json_response((await hub.readable_session(p.session_id)).summary())
    actor = hub.sessions[p.session_id]
    return web.json_response(await actor.call(actor.summary))


async def session_control(request):
    hub = hub_of(request)
    await follow(request)
    sid = facilitator(request).session_id
    body = await read_body(request, P.HttpControl)
    if sid in hub.followers:  # run by the process that owns the session
        reply, status = await hub.followers[sid].forward_control(body)
        if reply["type"] == "error":
            return json_error(reply["code"], reply["message"], status)
        return web.json_response(reply)
    actor = hub.sessions[sid]
    reply, status = await actor.call(actor.http_control, body)
    if reply["type"] == "error":  # refused by the session (counted there): answered, not raised
        return json_error(reply["code"], reply["message"], status)
    return web.json_response(reply)
