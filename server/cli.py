"""`alliance-server` / `python run.py`: start the server, print the URL, stop cleanly on
SIGTERM or Ctrl-C (sockets told why, in-flight commands finished, the log flushed)."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from aiohttp import web

from .app import HUB, make_app
from .config import ServerConfig


def build_parser() -> argparse.ArgumentParser:
    d = ServerConfig()
    p = argparse.ArgumentParser(prog="alliance-server", description="Run the alliance game server.")
    p.add_argument("--host", default=d.host, help=f"address to listen on (default {d.host})")
    p.add_argument("--port", type=int, default=d.port, help=f"port (default {d.port}; 0 picks a free one)")
    p.add_argument("--db", default=d.db_path, help=f"SQLite event log (default {d.db_path}; folder created)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--public-url", default=None, help="base URL for join links (behind a proxy)")
    p.add_argument("--sync", default=d.synchronous, choices=["full", "normal"],
                   help="SQLite synchronous mode: full survives power loss, normal survives kill -9")
    p.add_argument("--max-frame-bytes", type=int, default=d.max_frame_bytes)
    p.add_argument("--rate", type=float, default=d.rate_per_second, help="commands per second per socket")
    p.add_argument("--burst", type=int, default=d.rate_burst, help="command burst per socket")
    p.add_argument("--heartbeat", type=float, default=d.heartbeat, help="WebSocket ping interval (s)")
    # room for later options (e.g. --demo fills a session with bots)
    return p


def config_from_args(a: argparse.Namespace) -> ServerConfig:
    return ServerConfig(host=a.host, port=a.port, db_path=a.db, public_url=a.public_url,
                        synchronous=a.sync, max_frame_bytes=a.max_frame_bytes, rate_per_second=a.rate,
                        rate_burst=a.burst, heartbeat=a.heartbeat)


async def serve(config: ServerConfig, ready=None) -> None:
    app = make_app(config)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    if config.port == 0:  # report the port the OS picked
        config.port = site._server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"Alliance game server running: open {config.base_url()}/  (event log {config.db_path})", flush=True)
    if ready:
        ready(config)
    await stop.wait()
    logging.getLogger("server").info("shutting down")
    await app[HUB].shutdown()
    await runner.cleanup()
    print("Alliance game server stopped.", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(config_from_args(args)))
    except OSError as e:
        print(f"alliance-server: cannot start: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
