"""`alliance-server` / `python run.py`: the server's command line (server/cli.py) with the
demo beside it. `--demo` creates a session over the public API once the server listens
(clients/python/demo.py), seats a live bot in every firm but one and prints the join and
console links. The server never imports a client: the demo is handed to it here."""
from __future__ import annotations

import argparse
import sys

from server import cli
from server.config import ServerConfig

from .demo import Demo
from .live_bots import ThinkTime


class DemoCompanion:
    """The demo as a companion of the server (server.cli.Companion)."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        demo = parser.add_argument_group("demo", "python run.py --demo: a session with a bot in every seat but one")
        demo.add_argument("--demo", action="store_true",
                          help="also create a demo session (bots in every seat but one) and print its links")
        demo.add_argument("--demo-scenario", default="classic", help="the demo's scenario (default classic)")
        demo.add_argument("--demo-copies", type=int, default=2, help="copies of the case in the demo (default 2)")
        demo.add_argument("--demo-think", default="1-3", help="bots' think time in seconds, LOW-HIGH (0: none)")

    def starter(self, args: argparse.Namespace):
        if not args.demo:
            return None
        think = ThinkTime.parse(args.demo_think)
        if args.demo_copies < 1:
            raise ValueError("--demo-copies must be at least 1")

        def ready(config: ServerConfig, admin_key: str):  # the demo creates its session with the key itself
            host = "127.0.0.1" if config.host in ("", "0.0.0.0") else "[::1]" if config.host == "::" else config.host
            if ":" in host and not host.startswith("["):
                host = f"[{host}]"
            demo = Demo(f"http://{host}:{config.port}", config.base_url(), scenario=args.demo_scenario,
                        copies=args.demo_copies, think=think, out=lambda line: print(line, flush=True),
                        admin_key=admin_key)
            return demo.run()
        return ready


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, companion=DemoCompanion())


if __name__ == "__main__":
    sys.exit(main())
