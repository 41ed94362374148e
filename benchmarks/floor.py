"""The floor: a bare aiohttp server that does only the exchange's socket work, so the durable
exchange's goal (issue 19: half the echo) can be read against what the pattern itself costs.

    python benchmarks/floor.py --clients 100 --messages 40 --repeat 3 --out benchmarks/results/NAME.json

Per chat command our server reads one frame and writes three: the line to each of the
firm's two sockets (the sender's and the teammate's) and the ack to the sender, with the
same fields and sizes as ours (117 and 48 bytes), a socket's frames in one
`transport.write` of raw WebSocket frames, as server/connection.py writes them. The floor
server (`serve`) does exactly that and nothing else: no validation, no session, no log, no
commit. With `2` frames the sender's line travels inside its ack (a protocol ours does not
have: one frame fewer to write and to read). Both are driven by the very load generator of
`load.py exchange` (`Player`, `_exchange_loop`: one line in flight per client, the next
when the ack and the own line are back), so the generator's own cost per message is the
same as against ours. Each repeat runs the bare echo (benchmarks/ceiling.py: one frame back
per frame), then the two floors and our server (`load.run_exchange`) in alternated order,
and reports each as a fraction of that repeat's echo, with the server's and the
generator's CPU per message. No server on this stack and machine, with these frames, can
exceed its floor's fraction: the floor is what the pattern costs before any work is done.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import msgpack

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402
from server.connection import OP_BINARY, ws_frame  # noqa: E402  (load.py put the repository on the path)
from ceiling import run_echo, serve_socket  # noqa: E402
from ceiling_ab import _stats, cpu_us_per_message, exchange, per_message  # noqa: E402


# ---- the floor server (its own process) -------------------------------------------------

class Socket:
    """One connection: its firm, its transport and its push counter (`seq`, as ours numbers
    every frame)."""
    __slots__ = ("transport", "firm", "player", "seq")

    def __init__(self, transport, firm: str, player: str):
        self.transport, self.firm, self.player, self.seq = transport, firm, player, 0

    def write(self, *messages: dict) -> None:
        """As ours writes (server/connection.py): a command's frames to one socket in one
        `transport.write` of raw WebSocket frames."""
        frames = []
        for m in messages:
            self.seq += 1
            m["seq"] = self.seq
            frames.append(ws_frame(msgpack.packb(m), OP_BINARY))
        self.transport.write(b"".join(frames))


def serve(frames: int) -> None:
    from aiohttp import web
    firms: dict[str, list[Socket]] = {}
    unpack, BIN = msgpack.unpackb, aiohttp.WSMsgType.BINARY

    async def ws(request):
        sock = web.WebSocketResponse(max_msg_size=2**20)
        await sock.prepare(request)
        me = None
        async for frame in sock:
            if frame.type != BIN:
                continue
            m = unpack(frame.data)
            if me is None:  # the first frame is `auth`: the token names the firm ("<firm>-<k>")
                me = Socket(request.transport, m["token"].split("-")[0],
                            "p_" + m["token"].replace("-", "")[:12].ljust(12, "0"))
                firms.setdefault(me.firm, []).append(me)
                me.write({"type": "view", "view": {"current_round": 1}})
                continue
            line = {"type": "chat", "channel": f"firm:{me.firm}", "sender": me.player, "sender_name": "p0",
                    "firm": me.firm, "text": m["text"], "time": time.time()}
            ack = {"type": "ack", "id": m["id"], "result": {"channel": line["channel"]}}
            for other in firms[me.firm]:
                if other is not me:
                    other.write(dict(line))
            if frames == 2:
                me.write({**ack, "line": line})
            else:
                me.write(dict(line), ack)
        return sock

    serve_socket(ws)


class FloorServer(load.ServerProcess):
    """This file run as `python floor.py serve`, measured as `load.ServerProcess` measures ours."""

    def __init__(self, frames: int):
        super().__init__(db="")
        self.frames = frames

    def start(self) -> "FloorServer":
        self.proc = subprocess.Popen([sys.executable, __file__, "serve", str(self.frames)], stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if "open " not in line:
            raise RuntimeError(f"floor server did not start: {line!r}")
        self.url = line.split("open ")[1].split()[0].rstrip("/")
        return self


async def run_floor(clients: int, messages: int, workers: int, frames: int = 3) -> dict:
    """The exchange's window (as `load.run_exchange`) against the floor server: firms of two
    players, as the exchange's sessions have."""
    specs = [{"token": f"f{i // 2:04d}-{i % 2}", "firm": f"f{i // 2:04d}"} for i in range(clients)]
    srv = FloorServer(frames).start()
    try:
        return await load.exchange_window(srv, specs, argparse.Namespace(
            players=clients, messages=messages, workers=workers, drain=10.0, sync="none"), server=f"floor, {frames} frames")
    finally:
        srv.stop()


NAMES = ("floor3", "floor2", "ours")


async def run_one(name: str, a) -> dict:
    if name == "ours":
        return await exchange(None, a.clients, a.messages, a.workers, "full")
    return await run_floor(a.clients, a.messages, a.workers, frames=int(name[-1]))


async def main(a) -> dict:
    out = {"machine": load.machine(), "clients": a.clients, "messages_each": a.messages, "rows": []}
    for rep in range(a.repeat):
        print(f"repeat {rep + 1}: echo, floors, ours ...", file=sys.stderr, flush=True)
        row = {"repeat": rep + 1, "loadavg_at_start": os.getloadavg()}
        row["echo"] = await run_echo(a.clients, a.messages, a.workers)
        for name in (NAMES if rep % 2 == 0 else NAMES[::-1]):  # alternated: neither always first
            row[name] = await run_one(name, a)
        e = row["echo"]["messages_per_s"]
        for name in ("echo", *NAMES):
            row[f"{name}_of_echo"] = round(row[name]["messages_per_s"] / e, 4)
            row[f"{name}_cpu_us_per_message"] = cpu_us_per_message(row[name])
            row[f"{name}_generator_cpu_us_per_message"] = per_message(row[name]["generator_cpu_s"], row[name])
        out["rows"].append(row)
    rows = out["rows"]
    out["summary"] = {f"{name}_{k}": _stats([r[f"{name}_{k}"] for r in rows])
                      for name in ("echo", *NAMES)
                      for k in ("of_echo", "cpu_us_per_message", "generator_cpu_us_per_message")}
    out["summary"]["echo_msgs_per_s"] = _stats([r["echo"]["messages_per_s"] for r in rows])
    out["summary"]["errors_lost"] = [(r[n]["errors"], r[n]["lost"]) for r in rows for n in NAMES]
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]))
        sys.exit(0)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--messages", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out")
    a = ap.parse_args()
    res = asyncio.run(main(a))
    import json
    print(json.dumps(res["summary"], indent=1))
    load.save(res, a.out)
