"""The one WebSocket (`GET /ws`, docs/protocol.md): authenticate with the first frame, then
every frame is a command posted to the session's actor; invalid frames and floods are
answered in frames and, repeated, close the socket."""
from __future__ import annotations

import asyncio

from aiohttp import WSMsgType, web

from .. import auth, protocol as P
from ..connection import Connection, RateBudget
from ..follower import Follower
from ..hub import Hub
from ..protocol import ProtocolError
from ..ratelimit import client_ip
from .context import context

# A socket may send `ping_allowance` control frames (pings, pongs) per PING_WINDOW seconds. A
# ping is not a command (no rate budget) but costs a pong written back; a browser never sends
# one, a library's keep-alive one every 20 s or so. The clock is read once per allowance, not
# per frame: a ping is one integer add.
PING_WINDOW = 10.0


async def websocket(request):
    ctx = context(request)
    hub, cfg = ctx.hub, ctx.hub.config
    address = client_ip(request, cfg.trust_proxy)
    if ctx.unauthenticated[address] >= cfg.unauthenticated_per_address:
        # before the upgrade: a refused handshake, which every client retries with its backoff
        raise web.HTTPTooManyRequests(text=f"more than {cfg.unauthenticated_per_address} connections from this "
                                           f"address are waiting to authenticate; try again shortly",
                                      headers={"Retry-After": "1"})
    ctx.unauthenticated[address] += 1  # until the socket authenticates (`actor` set) or ends
    # aiohttp closes (1009) above the hard cap; between the limit and the cap we answer
    # `frame_too_large` and keep the socket
    # no aiohttp heartbeat (a timer per socket, a callback per frame read): the hub's one sweep
    # pings silent sockets (server/heartbeat.py), and pings and pongs come here (`autoping`)
    ws = web.WebSocketResponse(max_msg_size=cfg.max_frame_bytes * 4, compress=cfg.ws_compress, autoping=False)
    try:
        await ws.prepare(request)
    except BaseException:  # the handshake failed (the peer left): it waits for nothing any more
        _settled(ctx, address)
        raise
    conn = Connection(ws, None, False, cfg.outbox_limit, cfg.rate_per_second, cfg.rate_burst,
                      outbox_bytes=cfg.outbox_bytes, transport=request.transport)
    hub.metrics.connections_total += 1
    hub.heartbeat.add(conn)
    actor = None
    garbage = flood = 0
    loop = asyncio.get_running_loop()
    # one deadline from the opening: a frame (a ping, junk) must not restart the time to authenticate
    auth_deadline = loop.time() + cfg.auth_timeout
    controls, controls_since = 0, loop.time()
    try:
        while True:
            try:
                if actor:
                    frame = await ws.receive()
                else:
                    left = auth_deadline - loop.time()
                    if left <= 0:
                        raise asyncio.TimeoutError
                    frame = await ws.receive(timeout=left)
            except asyncio.TimeoutError:
                await conn.close(4408, "authenticate within the time limit")
                break
            conn.heard += 1  # alive (the heartbeat's sweep reads it)
            if frame.type is WSMsgType.PING or frame.type is WSMsgType.PONG:
                controls += 1
                if controls > cfg.ping_allowance:
                    now = loop.time()
                    if now - controls_since < PING_WINDOW:
                        await conn.close(1008, "too many pings")
                        break
                    controls, controls_since = 1, now  # a new window
                if frame.type is WSMsgType.PING:
                    await ws.pong(frame.data)
                continue
            if frame.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break  # close, closing, error (including a frame above the hard cap)
            conn.binary = frame.type == WSMsgType.BINARY
            raw = {}
            try:
                raw = P.decode_frame(frame.data, cfg.max_frame_bytes)
                msg = P.parse_client_message(raw)
                if actor is None:
                    if msg.type == "auth" and hub.forwarding is not None:
                        await hub.forwarding.resolve_token(msg.token)  # another process's session: follow it
                    actor = _authenticate(hub, conn, msg)
                    _settled(ctx, address)
                    garbage = 0
                    continue
                if msg.type == "auth":
                    raise ProtocolError("already_authenticated", "this socket is already authenticated")
            except ProtocolError as e:
                hub.metrics.error(e.code)
                conn.send(P.error(P.message_id(raw) or getattr(e, "frame_id", None), e.code, e.message))
                garbage += 1
                if garbage >= cfg.garbage_strikes:
                    await conn.close(1008, "too many invalid frames")
                    break
                continue
            garbage = 0
            if not conn.budget.take():
                hub.metrics.error("rate_limited")
                conn.send(P.error(msg.id, "rate_limited", f"more than {cfg.rate_per_second:g} commands per second"))
                flood += 1
                if flood >= cfg.flood_strikes:
                    await conn.close(1008, "flooding: too many commands")
                    break
                continue
            flood = 0
            if isinstance(actor, Follower) and not hub.shutting_down and not actor.closed:
                actor.post(conn, msg, raw)  # to the owner, through the database
                continue
            if hub.shutting_down or actor.task is None or actor.task.done():
                conn.send(P.error(msg.id, "shutting_down" if hub.shutting_down else "session_ended",
                                  "the server is shutting down" if hub.shutting_down else "the session has ended"))
                continue
            actor.post(actor.command, conn, msg)
    finally:
        if actor is None:  # never authenticated: still counted
            _settled(ctx, address)
        hub.heartbeat.discard(conn)
        hub.metrics.sockets_closed += 1
        if conn.close_reason is None and isinstance(ws.exception(), asyncio.TimeoutError):
            conn.close_reason = "heartbeat_timeout"  # no pong: a dead or half-open socket
        if conn.token_hash is not None:
            hub.socket_closed(conn.token_hash)
        if isinstance(actor, Follower):
            actor.disconnect(conn)
        elif actor is not None and actor.task is not None and not actor.task.done():
            actor.post(actor.disconnect, conn)
        if not conn.closed:
            conn.stop()
    return ws


def _settled(ctx, address: str) -> None:
    """The socket from `address` is no longer waiting to authenticate (the count stays small)."""
    left = ctx.unauthenticated[address] - 1
    if left > 0:
        ctx.unauthenticated[address] = left
    else:
        del ctx.unauthenticated[address]


def _authenticate(hub: Hub, conn: Connection, msg):
    if msg.type != "auth":
        raise ProtocolError("not_authenticated", "the first frame must be `auth` with your token")
    if hub.shutting_down:
        raise ProtocolError("shutting_down", "the server is shutting down")
    hub.check_log_written()  # (while the database is only unreachable, a socket may open: reads are memory's)
    p = hub.principal(msg.token)
    actor = hub.sessions.get(p.session_id) or hub.followers[p.session_id]
    hashed = auth.token_hash(msg.token)
    cap = hub.config.max_sockets_per_token
    if hub.sockets[hashed] >= cap:
        raise ProtocolError("too_many_sockets", f"this token already has {cap} open connections; close another "
                                                f"tab or device first")
    hub.sockets[hashed] += 1
    conn.token_hash = hashed
    conn.principal = p
    conn.language = msg.language
    conn.deltas = msg.deltas
    # one command budget per player (or facilitator), shared by all of its sockets
    budgets = actor.replica.budgets if isinstance(actor, Follower) else actor.budgets
    conn.budget = budgets.get(p.name) or budgets.setdefault(
        p.name, RateBudget(hub.config.rate_per_second, hub.config.rate_burst))
    if isinstance(actor, Follower):
        actor.connect(conn)
    else:
        actor.post(actor.connect, conn)
    return actor
