"""The ceiling: a bare aiohttp WebSocket echo server (no validation, no log, no fan-out), run
with the same exchange pattern as ours and oTree's, so the other figures read as a fraction
of what this machine's socket path allows.

    python benchmarks/ceiling.py --clients 50 100 --messages 40        # the ceiling alone
    (benchmarks/otree_compare.py runs it in the same invocation as ours and oTree's)

The server is this file run as `python ceiling.py serve`: its own process, aiohttp on the
stock asyncio loop like our server, one handler that sends every frame back. The clients:
every client keeps ONE message in flight (a msgpack frame the size of our chat command),
spread over load-generator processes as benchmarks/load.py does; latency = send to echo.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import msgpack

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402

now = time.perf_counter


# ---- the echo server (its own process) --------------------------------------------------

def serve() -> None:
    from aiohttp import web

    async def ws(request):
        sock = web.WebSocketResponse(max_msg_size=2**20)
        await sock.prepare(request)
        async for m in sock:
            if m.type == aiohttp.WSMsgType.BINARY:
                await sock.send_bytes(m.data)
            elif m.type == aiohttp.WSMsgType.TEXT:
                await sock.send_str(m.data)
        return sock

    serve_socket(ws)


def serve_socket(handler) -> None:
    """Serve `handler` at /ws on a free loopback port until killed; print the address as
    our server does (`open http://...`), for the process that started this one."""
    from aiohttp import web

    async def main():
        app = web.Application()
        app.router.add_get("/ws", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(f"open http://127.0.0.1:{runner.addresses[0][1]}/", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


class EchoServer:
    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> "EchoServer":
        self.proc = subprocess.Popen([sys.executable, __file__, "serve"], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "open " not in line:
            raise RuntimeError(f"echo server did not start: {line!r}")
        self.url = line.split("open ")[1].split()[0].rstrip("/")
        return self

    def cpu_seconds(self) -> float:
        f = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / load.os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


# ---- the clients (load-generator processes) ---------------------------------------------

def _worker(ws_url: str, clients: int, messages: int, conn) -> None:
    load.use_uvloop()
    asyncio.run(_clients(ws_url, clients, messages, conn))


async def _clients(ws_url: str, clients: int, messages: int, conn) -> None:
    """Connect, say so, wait for the common start time, run, send back (latencies, end time)."""
    lat: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        socks = [await http.ws_connect(ws_url) for _ in range(clients)]
        conn.send("ready")
        start = await asyncio.get_running_loop().run_in_executor(None, conn.recv)

        async def one(ws, i):
            for k in range(messages):
                frame = msgpack.packb({"type": "chat", "id": f"c{i}-{k}", "to": "firm", "text": f"offer {k} {i:06d}"})
                t = now()
                await ws.send_bytes(frame)
                m = await ws.receive()
                if m.type != aiohttp.WSMsgType.BINARY:
                    return
                lat.append(now() - t)
        await asyncio.sleep(max(0.0, start - time.time()))
        await asyncio.gather(*(one(ws, i) for i, ws in enumerate(socks)))
        end = time.time()
        for ws in socks:
            await ws.close()
    conn.send((lat, end))


async def run_echo(clients: int, messages: int, workers: int = 2) -> dict:
    srv = EchoServer().start()
    procs = []
    try:
        ctx = mp.get_context("spawn")
        n = max(1, min(workers, clients))
        pipes = []
        for k in range(n):
            a, b = ctx.Pipe()
            share = clients // n + (1 if k < clients % n else 0)
            p = ctx.Process(target=_worker, args=(srv.url.replace("http", "ws", 1) + "/ws", share, messages, b), daemon=True)
            p.start()
            pipes.append(a)
            procs.append(p)
        loop = asyncio.get_running_loop()
        for c in pipes:  # every client connected before the clock starts
            assert await loop.run_in_executor(None, c.recv) == "ready"
        start = time.time() + 0.3
        for c in pipes:
            c.send(start)
        cpu0, gen0 = srv.cpu_seconds(), load.children_cpu_seconds(srv.proc.pid)
        parts = await asyncio.gather(*(loop.run_in_executor(None, c.recv) for c in pipes))
        wall = max(end for _, end in parts) - start
        cpu1, gen1 = srv.cpu_seconds(), load.children_cpu_seconds(srv.proc.pid)
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.terminate()
        srv.stop()
    lat = [x for part, _ in parts for x in part]
    return {"server": "aiohttp-echo", "clients": clients, "messages_each": messages, "messages": len(lat),
            "wall_s": round(wall, 3), "messages_per_s": round(len(lat) / wall, 1), "echo_ms": load.summary_ms(lat),
            "lost": clients * messages - len(lat), "server_cpu_percent": round(100 * (cpu1 - cpu0) / wall, 1),
            "generator_cpu_s": round(load.cpu_between(gen0, gen1), 3)}


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
        sys.exit(0)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, nargs="+", default=[50, 100])
    ap.add_argument("--messages", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    rows = [asyncio.run(run_echo(n, a.messages, a.workers)) for n in a.clients]
    print(json.dumps({"machine": load.machine(), "rows": rows}, indent=1))
