"""The server's command line (`alliance-server` / `python run.py`, through
clients/python/launcher.py which adds the demo): start the server, print the URL, stop cleanly on
SIGTERM or Ctrl-C (sockets told why, in-flight commands finished, the log flushed)."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any, Callable, Protocol

from aiohttp import web

from . import lan
from .access_log import PathOnlyAccessLogger
from .http.app import HUB, make_app
from .config import ServerConfig
from .gctune import GcTuner
from .open_files import raise_open_files
from .store import DatabaseError, redacted


def build_parser() -> argparse.ArgumentParser:
    d = ServerConfig()
    p = argparse.ArgumentParser(prog="alliance-server", description="Run the alliance game server.")
    p.add_argument("--host", default=d.host, help=f"address to listen on (default {d.host})")
    p.add_argument("--port", type=int, default=d.port, help=f"port (default {d.port}; 0 picks a free one)")
    p.add_argument("--db", default=d.db_path, help=f"the event log: a SQLite file (default {d.db_path}; folder "
                                                   f"created) or a PostgreSQL database (postgresql://user:password@"
                                                   f"host:port/db, docs/operations.md)")
    p.add_argument("--log-level", default=None, choices=["debug", "info", "warning", "error"],
                   help="default info (with the HTTP access log); with --demo, info without the access log "
                        "unless --log-level is given")
    p.add_argument("--public-url", default=None, help="base URL for join links (behind a proxy); wins over "
                                                      "--advertise")
    p.add_argument("--lan", action="store_true",
                   help="a class on this machine's network: listen on every interface (--host 0.0.0.0) and put "
                        "this machine's LAN address in the join links and QR codes")
    p.add_argument("--advertise", default=None, metavar="ADDRESS",
                   help="the address the join links name (default: the likeliest LAN address when listening "
                        "on 0.0.0.0; --lan lists them)")
    p.add_argument("--sync", default=d.synchronous, choices=["full", "normal"],
                   help="SQLite synchronous mode: full survives power loss, normal survives kill -9")
    p.add_argument("--max-frame-bytes", type=int, default=d.max_frame_bytes)
    p.add_argument("--rate", type=float, default=d.rate_per_second,
                   help="commands per second per player (all of its sockets together)")
    p.add_argument("--burst", type=int, default=d.rate_burst, help="command burst per player")
    p.add_argument("--max-sockets", type=int, default=d.max_sockets_per_token,
                   help=f"open sockets per token: tabs and devices of one player (default {d.max_sockets_per_token})")
    p.add_argument("--max-per-firm", type=int, default=d.max_per_firm,
                   help="players a firm seats through the join code (a session may set its own)")
    p.add_argument("--heartbeat", type=float, default=d.heartbeat,
                   help="WebSocket ping interval (s); a socket that does not answer within half of it is closed")
    p.add_argument("--ws-compress", action="store_true", default=d.ws_compress,
                   help="accept permessage-deflate (about 170 kB of memory per socket; off by default)")
    p.add_argument("--send-queue", type=int, default=d.outbox_limit,
                   help="messages queued per socket before a client that does not keep up is disconnected")
    p.add_argument("--send-queue-bytes", type=int, default=d.outbox_bytes,
                   help="bytes queued per socket before a client that does not keep up is disconnected")
    p.add_argument("--join-failures", type=float, default=d.join_fail_per_minute,
                   help="failed joins per minute per client address (after a burst of "
                        f"{d.join_fail_burst}); beyond, joins from that address get 429")
    p.add_argument("--joins-per-address", type=float, default=d.join_per_minute_per_address,
                   help="successful joins per minute per client address (after a burst of "
                        f"{d.join_burst_per_address}); beyond, 429")
    p.add_argument("--joins-per-session", type=float, default=d.join_per_minute_per_session,
                   help="successful joins per minute into one session (after a burst of "
                        f"{d.join_burst_per_session}); beyond, 429")
    p.add_argument("--pending-consents", type=int, default=d.pending_per_session,
                   help="participants of one session who may be reading the consent form at once; beyond, 429")
    p.add_argument("--trust-proxy", action="store_true",
                   help="behind a reverse proxy on this machine or a private network: take the client "
                        "address from X-Forwarded-For")
    p.add_argument("--max-copies", type=int, default=d.max_copies,
                   help=f"copies of the case one session may have (default {d.max_copies}; at most 500)")
    p.add_argument("--max-rounds", type=int, default=d.max_rounds,
                   help=f"rounds one session may have (default {d.max_rounds}; at most 50)")
    p.add_argument("--model-version", type=int, default=d.model_version,
                   help=f"the model new sessions play (default {d.model_version}, the newest; 1 to "
                        f"{d.model_version}: an older one keeps a course on the model its first classes "
                        "played; docs/model.md section 11)")
    p.add_argument("--create-rate", type=float, default=d.create_per_minute,
                   help=f"sessions created per minute per client address, in bursts of as many "
                        f"(default {d.create_per_minute:g}); beyond, 429")
    p.add_argument("--create-total-rate", type=float, default=d.create_total_per_minute,
                   help=f"sessions created per minute by everyone together, in bursts of as many "
                        f"(default {d.create_total_per_minute:g}); beyond, 429")
    p.add_argument("--archive-after-days", type=float, default=d.archive_idle_seconds / 86400,
                   help="archive (read-only) a live session with nothing logged for this many days "
                        f"(default {d.archive_idle_seconds / 86400:g}; 0: never)")
    p.add_argument("--lease-seconds", type=float, default=d.lease_seconds,
                   help="PostgreSQL with several server processes: a live session's owner must renew its hold "
                        "this often; another process takes over a session whose owner stopped after at most "
                        f"this long (default {d.lease_seconds:g})")
    p.add_argument("--snapshot-quiet", type=float, default=d.snapshot_quiet_seconds, metavar="SECONDS",
                   help="a session's snapshot (a restore accelerator: every fact is in the log before its ack) "
                        "is taken this long after it falls due, not behind a round's pushes "
                        f"(default {d.snapshot_quiet_seconds:g})")
    p.add_argument("--skip-db-check", action="store_true",
                   help="do not run SQLite's quick_check on the event log at start (faster start on huge files)")
    return p


def config_from_args(a: argparse.Namespace) -> ServerConfig:
    host = "0.0.0.0" if a.lan and a.host == ServerConfig().host else a.host
    return ServerConfig(host=host, port=a.port, db_path=a.db, public_url=a.public_url,
                        advertise_host=lan.advertised_host(host, a.advertise),
                        synchronous=a.sync, max_frame_bytes=a.max_frame_bytes, rate_per_second=a.rate,
                        rate_burst=a.burst, heartbeat=a.heartbeat, ws_compress=a.ws_compress, max_per_firm=a.max_per_firm,
                        outbox_limit=a.send_queue,
                        outbox_bytes=a.send_queue_bytes, join_fail_per_minute=a.join_failures,
                        trust_proxy=a.trust_proxy, check_db_at_start=not a.skip_db_check,
                        max_sockets_per_token=a.max_sockets, join_per_minute_per_address=a.joins_per_address,
                        join_per_minute_per_session=a.joins_per_session, pending_per_session=a.pending_consents,
                        max_copies=a.max_copies, max_rounds=a.max_rounds, model_version=a.model_version,
                        create_per_minute=a.create_rate,
                        create_burst=max(1, round(a.create_rate)),  # a burst of one minute's worth
                        create_total_per_minute=a.create_total_rate,
                        create_total_burst=max(1, round(a.create_total_rate)),
                        archive_idle_seconds=a.archive_after_days * 86400, lease_seconds=a.lease_seconds,
                        snapshot_quiet_seconds=a.snapshot_quiet)


def reach_lines(config: ServerConfig) -> list[str]:
    """What the facilitator must know about who can open the links."""
    if config.public_url:
        return []
    if lan.is_loopback_host(config.advertise_host or config.host):
        return ["Only this computer can open these links. For phones on the room's Wi-Fi, start with "
                "`python run.py --lan` (docs/facilitator.md, \"Running a class from your laptop\")."]
    others = [f"{a.ip} ({a.interface})" for a in lan.lan_addresses() if a.ip != config.advertise_host]
    lines = [f"Phones on the same network join at {config.base_url()}/join "
             f"(test it with your own phone first; allow incoming connections if your firewall asks)."]
    if others:
        lines.append(f"Other addresses of this machine: {', '.join(others)} (choose one with --advertise ADDRESS).")
    return lines


async def serve(config: ServerConfig, ready=None) -> None:
    app = make_app(config)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=5,
                           access_log_class=PathOnlyAccessLogger)  # never a query string (server/access_log.py)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    if config.port == 0:  # report the port the OS picked
        config.port = site._server.sockets[0].getsockname()[1]
    hub = app[HUB]  # no full-heap GC pauses on the event loop, but closed sockets reclaimed (server/gctune.py)
    # churn: sockets that came AND went (a class connecting leaves no garbage to reclaim: a
    # full collection there only paused the loop, 0.76-0.92 s at 5,000 players)
    gc_tuner = GcTuner(churn=lambda: hub.metrics.sockets_closed)
    gc_tuner.install()
    hub.gc_pauses = gc_tuner.pauses  # shown in /metrics
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"Alliance game server running: open {config.base_url()}/  (event log {redacted(config.db_path)})", flush=True)
    print(hub.admin_key.describe(), flush=True)
    for line in reach_lines(config):
        print(line, flush=True)
    background = None
    if ready:
        r = ready(config, hub.admin_key.key)
        if asyncio.iscoroutine(r):  # runs beside the server (the demo); stopped first at shutdown
            background = asyncio.create_task(r, name=getattr(r, "__qualname__", "background task"))
            background.add_done_callback(lambda t: t.cancelled() or t.exception() is None or stop.set())
    await stop.wait()
    logging.getLogger("server").info("shutting down")
    if background is not None:
        background.cancel()
        await asyncio.gather(background, return_exceptions=True)
    await app[HUB].shutdown()
    await runner.cleanup()
    gc_tuner.uninstall()
    print("Alliance game server stopped.", flush=True)
    if background is not None and not background.cancelled() and background.exception() is not None:
        raise RuntimeError(f"{background.get_name()} failed: {background.exception()}") from background.exception()


def check_limits(a: argparse.Namespace) -> str | None:
    """The problem with the session limits given, if any (the parser reports it)."""
    if not 1 <= a.max_copies <= 500:
        return "--max-copies must be between 1 and 500"
    if not 1 <= a.max_rounds <= 50:
        return "--max-rounds must be between 1 and 50"
    if not 1 <= a.model_version <= ServerConfig().model_version:
        return f"--model-version must be between 1 and {ServerConfig().model_version}"
    if not (a.create_rate > 0 and a.create_total_rate > 0):
        return "--create-rate and --create-total-rate must be above 0"
    if not a.archive_after_days >= 0:
        return "--archive-after-days must be 0 (never) or more"
    return None


class Companion(Protocol):
    """Something run beside the server in the same process, e.g. the demo
    (clients/python/launcher.py): it adds its own flags and, when they ask for it, returns
    `ready(config, admin_key)`, called once the server listens. Injected by the launcher so
    the server never imports a client."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def starter(self, args: argparse.Namespace) -> Callable[[ServerConfig, str], Any] | None:
        """None when not asked for; ValueError for flags it cannot use (the parser reports it)."""


def main(argv: list[str] | None = None, companion: Companion | None = None) -> int:
    parser = build_parser()
    if companion is not None:
        companion.add_arguments(parser)
    args = parser.parse_args(argv)
    if problem := check_limits(args):
        parser.error(problem)
    logging.basicConfig(level=(args.log_level or "info").upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ready = None
    if companion is not None:
        try:
            ready = companion.starter(args)
        except ValueError as e:
            parser.error(str(e))
    if ready is not None and args.log_level is None:
        # the companion's terminal is for its lines (the demo's links): a line per request (a
        # browser loads ~20 files, every bot a socket) would bury them; --log-level info brings
        # the lines back
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    raise_open_files()  # a socket per phone: the common soft limit of 1,024 is not a class
    try:
        asyncio.run(serve(config_from_args(args), ready))
    except OSError as e:
        print(f"alliance-server: cannot start: {e}", file=sys.stderr)
        return 1
    except RuntimeError as e:
        print(f"alliance-server: {e}", file=sys.stderr)
        return 1
    except DatabaseError as e:  # the event log could not be read while restoring sessions
        print(f"alliance-server: cannot start: the event log {redacted(args.db)} could not be read: {e}. "
              f"Nothing more was written; restore a backup (docs/operations.md)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
