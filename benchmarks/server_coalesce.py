"""An experiment, not the product: the server (`run.py`) whose event loop, woken from an idle
wait by fewer than 4 events, waits `COALESCE_SECONDS` (default 0.001) longer and takes every
event ready by then in the same iteration. The question it answers: how much of the
server's CPU per command is the cost of handling commands one at a time (each one on cold
caches, its own loop iterations, batch, commit share and socket writes), which batches
amortise when the loop is backlogged (docs/benchmarks.md, "5,000 players: the server's CPU
per command").

    LOAD_SERVER_SCRIPT=$PWD/benchmarks/server_coalesce.py python benchmarks/load.py paced --players 5000 --active 2000 --seconds 30 --workers 3
"""
from __future__ import annotations

import os
import selectors
import sys
import time

sys.path.insert(0, os.getcwd())  # the server's checkout (load.py starts it there)

GAP = float(os.environ.get("COALESCE_SECONDS", "0.001"))


def install() -> None:
    select = selectors.EpollSelector.select

    def coalescing(self, timeout=None):
        ready = select(self, timeout)
        if 0 < len(ready) < 4 and (timeout is None or timeout > 0):
            time.sleep(GAP)  # level-triggered: what was ready still is, and more may be
            ready = select(self, 0) or ready
        return ready
    selectors.EpollSelector.select = coalescing


if __name__ == "__main__":
    install()
    from clients.python.launcher import main
    sys.exit(main())
