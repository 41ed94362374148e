"""A large class needs a descriptor per phone. Started with the soft limit many systems give a
process (1,024; here 256 to keep the test small), the server used to keep it: past it, new
connections failed in `accept` while the server looked healthy. It now raises its soft limit
towards the hard one at start (server/open_files.py). Real `run.py` process, real sockets."""
from __future__ import annotations

import asyncio
import resource

import aiohttp

from conftest import ServerProcess

LOW = 256


def _low_limit() -> None:
    """In the child before it starts: the soft limit of a stingy system, the hard one as is."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (LOW, hard))


def _soft_limit(pid: int) -> int:
    with open(f"/proc/{pid}/limits") as f:
        line = next(line for line in f if line.startswith("Max open files"))
    return int(line.split()[3])


async def test_a_server_started_with_a_low_limit_takes_a_class_larger_than_it(db_path):
    server = ServerProcess(db_path, preexec_fn=_low_limit)
    try:
        await server.ready()
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        assert _soft_limit(server.proc.pid) >= min(4096, hard)
        # more sockets than the limit it was started with, open at once: every one accepted
        n = LOW + 150
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            async with asyncio.timeout(30):
                sockets = await asyncio.gather(*(http.ws_connect(f"{server.url}/ws") for _ in range(n)))
            assert sum(not ws.closed for ws in sockets) == n
            await asyncio.gather(*(ws.close() for ws in sockets))
    finally:
        server.cleanup()
