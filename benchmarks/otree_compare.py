"""Side by side with oTree: the same live exchange, the same client count and pattern,
against oTree 6.0.15 `prodserver` (durable: SQLite, one transaction per message) and
against our server, one after the other in ONE run; plus a sweep for the latency plot.

    python benchmarks/otree_compare.py --clients 50 100 --messages 40          # comparison table
    python benchmarks/otree_compare.py --sweep --out benchmarks/results/sweep.json --plot docs/latency_vs_players.png

The exchange: every client keeps ONE message in flight. oTree: the client sends an offer
to its live page, `live_method` persists it (an ExtraModel row) and broadcasts it to the
group of two; the client measures the time until its own offer comes back in the
broadcast (oTree live messages have no ack). Ours: the client sends a `chat` line to its
firm (two players: the same group size), the server logs it (group commit, durable at
ack), pushes it to the firm (sender included) and acknowledges it; we report the ack and
the broadcast-receipt latency. Both servers run alone in their own processes; the clients
run in the benchmark's processes on the same 2 cores.

The ceiling (benchmarks/ceiling.py) runs in the same invocation, before each pair: a bare
aiohttp WebSocket echo server (no validation, no log, no fan-out) with the same pattern
(one message in flight per client). Every row reports ours and oTree's throughput as a
fraction of it, and `summary` gives per client count the median and range over the repeats.

oTree is NOT part of this repository. Following ../shared/peers/otree_live/README.md (the
shared folder beside the repository's root; `--peer` names another place, e.g. from a git
worktree elsewhere), this script makes a scratch folder outside the
repository (`--otree-dir`, default: a new temporary folder): a venv with `pip install otree==6.0.15 websockets` (skipped when it is
there) and a copy of the peer's minimal project, run with `otree prodserver` under
`setsid` and stopped by process group. Our side is `benchmarks/load.py exchange`.
"""
from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (benchmarks/load.py)
from ceiling import run_echo  # noqa: E402  (benchmarks/ceiling.py)

# the shared folder sits beside the repository: ../shared from its root (--peer overrides)
PEER = Path(__file__).resolve().parent.parent.parent / "shared" / "peers" / "otree_live"
now = time.perf_counter


# ---- oTree prodserver in a scratch folder ---------------------------------------------

def otree_venv(w: Path) -> Path:
    otree = w / "venv" / "bin" / "otree"
    if not otree.exists():
        subprocess.run([sys.executable, "-m", "venv", str(w / "venv")], check=True)
        subprocess.run([str(w / "venv" / "bin" / "pip"), "install", "-q", "otree==6.0.15", "websockets"], check=True)
    return otree


class OtreeServer:
    def __init__(self, w: Path, port: int, peer: Path = PEER):
        self.w, self.port, self.peer = w, port, peer
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> "OtreeServer":
        peer = self.w / "peer"
        if peer.exists():
            shutil.rmtree(peer)
        shutil.copytree(self.peer / "project", peer)  # a fresh copy, a fresh db.sqlite3
        env = dict(os.environ, PATH=f"{self.w / 'venv' / 'bin'}:{os.environ['PATH']}")
        env.pop("OTREE_PRODUCTION", None)
        self.log = open(peer / "server.log", "w")
        # prodserver starts a second `otree` process: setsid gives them a process group
        self.proc = subprocess.Popen([str(self.w / "venv" / "bin" / "otree"), "prodserver", f"127.0.0.1:{self.port}"],
                                     cwd=peer, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        t0 = time.time()
        import urllib.request
        while time.time() - t0 < 120:
            try:
                urllib.request.urlopen(self.url + "/", timeout=2)
                return self
            except Exception:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"oTree exited: {(peer / 'server.log').read_text()[-2000:]}")
                time.sleep(0.3)
        raise RuntimeError("oTree did not start")

    def pids(self) -> list[int]:
        pg = os.getpgid(self.proc.pid)
        out = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    if os.getpgid(int(d)) == pg:
                        out.append(int(d))
                except OSError:
                    pass
        return out

    def cpu_rss(self) -> tuple[float, float]:
        cpu = rss = 0.0
        for pid in self.pids():
            try:
                f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
                cpu += (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
                rss += int(f[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
            except OSError:
                pass
        return cpu, rss

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(os.getpgid(self.proc.pid), signal.SIGTERM)
            self.proc.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()


async def otree_exchange(url: str, clients: int, messages: int, timeout: float = 120) -> dict:
    """The peer README's pattern (its client.py, rewritten on aiohttp with fuller stats)."""
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn) as http:
        async with http.post(f"{url}/api/sessions", json={"session_config_name": "live_bench",
                                                           "num_participants": clients}) as r:
            code = json.loads(await r.text())["code"]
        async with http.post(f"{url}/api/get_session/{code}", json={}) as r:
            pcodes = [p["code"] for p in json.loads(await r.text())["participants"]]
        paths = []
        for pc in pcodes:  # moves the participant onto the live page
            async with http.get(f"{url}/InitializeParticipant/{pc}") as r:
                page = await r.text()
            paths.append(html.unescape(re.search(r'id="otree-live" data-socket-url="([^"]+)"', page).group(1)))
        wss = [await http.ws_connect(url.replace("http", "ws", 1) + p, max_msg_size=2**24) for p in paths]
        lat: list[float] = []
        lost = 0

        async def client(ws, pid):
            nonlocal lost
            for seq in range(messages):
                t = now()
                await ws.send_str(json.dumps({"seq": seq, "value": pid}))
                try:
                    while True:  # wait for the own offer in the group broadcast
                        m = await asyncio.wait_for(ws.receive(), timeout)
                        if m.type != aiohttp.WSMsgType.TEXT:
                            lost += messages - seq
                            return
                        d = json.loads(m.data)["live_method_payload"]
                        if d["seq"] == seq and d["value"] == pid:
                            break
                except asyncio.TimeoutError:
                    lost += messages - seq
                    return
                lat.append(now() - t)
        t0 = now()
        await asyncio.gather(*(client(ws, i) for i, ws in enumerate(wss)))
        wall = now() - t0
        for ws in wss:
            await ws.close()
    return {"messages": len(lat), "wall_s": round(wall, 2), "messages_per_s": round(len(lat) / wall, 1),
            "broadcast_ms": load.summary_ms(lat), "lost": lost}


async def run_otree(w: Path, clients: int, messages: int, port: int, peer: Path = PEER) -> dict:
    srv = OtreeServer(w, port, peer).start()
    try:
        cpu0, _ = srv.cpu_rss()
        t0 = now()
        r = await otree_exchange(srv.url, clients, messages)
        cpu1, rss = srv.cpu_rss()
        r.update({"server": "otree-6.0.15-prodserver", "clients": clients, "messages_each": messages,
                  "server_cpu_percent": round(100 * (cpu1 - cpu0) / (now() - t0), 1), "server_rss_mb": round(rss, 1)})
        return r
    finally:
        srv.stop()


async def run_ours(clients: int, messages: int, workers: int, sync: str) -> dict:
    a = argparse.Namespace(players=clients, messages=messages, workers=workers, sync=sync, drain=10.0, profile=None)
    return await load.run_exchange(a)


def ratio(ours: dict, theirs: dict) -> dict:
    o, t = ours["broadcast_ms"], theirs["broadcast_ms"]
    return {"throughput_ratio": round(ours["messages_per_s"] / max(1e-9, theirs["messages_per_s"]), 1),
            "p99_ratio_otree_over_ours": round(t["p99"] / max(1e-9, o["p99"]), 1),
            "p50_ratio_otree_over_ours": round(t["p50"] / max(1e-9, o["p50"]), 1)}


def of_ceiling(row: dict, echo: dict) -> float:
    """A throughput as a fraction of the echo ceiling measured in the same repeat."""
    return round(row["messages_per_s"] / max(1e-9, echo["messages_per_s"]), 4)


def cpu_us_per_message(r: dict) -> float:
    """A server's CPU time per message (µs), from its CPU share over the run's wall time."""
    return round(r["server_cpu_percent"] * r["wall_s"] / 100 / max(1, r["messages"]) * 1e6, 1)


def summary(rows: list[dict]) -> list[dict]:
    """Per client count: median and range over the repeats of each figure side by side."""
    import statistics
    out = []
    for n in sorted({r["clients"] for r in rows}):
        rs = [r for r in rows if r["clients"] == n]
        figures = {
            "echo_msgs_per_s": [r["echo"]["messages_per_s"] for r in rs],
            "ours_msgs_per_s": [r["ours"]["messages_per_s"] for r in rs],
            "otree_msgs_per_s": [r["otree"]["messages_per_s"] for r in rs],
            "ours_of_ceiling": [r["ours_of_ceiling"] for r in rs],
            # the echo's server CPU per message over ours: the same fraction in CPU time,
            # steadier than messages/s when other work shares the cores
            "echo_cpu_us_per_message": [cpu_us_per_message(r["echo"]) for r in rs],
            "ours_cpu_us_per_message": [cpu_us_per_message(r["ours"]) for r in rs],
            "ours_cpu_of_ceiling": [round(cpu_us_per_message(r["echo"]) / cpu_us_per_message(r["ours"]), 4) for r in rs],
            "otree_of_ceiling": [r["otree_of_ceiling"] for r in rs],
            "throughput_ratio": [r["throughput_ratio"] for r in rs],
            "echo_p99_ms": [r["echo"]["echo_ms"]["p99"] for r in rs],
            "ours_broadcast_p99_ms": [r["ours"]["broadcast_ms"]["p99"] for r in rs],
            "otree_broadcast_p99_ms": [r["otree"]["broadcast_ms"]["p99"] for r in rs],
        }
        out.append({"clients": n, "repeats": len(rs), **{k: {"median": statistics.median(v), "min": min(v), "max": max(v)}
                                                          for k, v in figures.items()}})
    return out


async def main(a) -> dict:
    w = Path(a.otree_dir or tempfile.mkdtemp(prefix="otree_bench_"))
    w.mkdir(parents=True, exist_ok=True)
    otree_venv(w)
    peer = Path(a.peer) if a.peer else PEER
    out = {"machine": load.machine(), "messages_each": a.messages, "sync_ours": a.sync, "rows": []}
    if a.sweep:
        for n in a.otree_clients:
            m = max(5, a.sweep_messages // n)
            print(f"oTree {n} clients x {m} ...", file=sys.stderr, flush=True)
            out["rows"].append(await run_otree(w, n, m, a.port, peer))
        for n in a.ours_clients:
            m = max(5, a.sweep_messages // n)
            print(f"ours {n} clients x {m} ...", file=sys.stderr, flush=True)
            out["rows"].append(await run_ours(n, m, a.workers, a.sync))
        for n in a.paced_clients:
            print(f"ours paced {n} players ...", file=sys.stderr, flush=True)
            pa = load._args(["paced", "--players", str(n), "--seconds", str(a.paced_seconds), "--sync", a.sync,
                             "--workers", str(a.workers)])
            out["rows"].append(await load.run_paced(pa))
    else:
        for n in a.clients:
            for rep in range(a.repeat):
                print(f"{n} clients, repeat {rep + 1}: echo ceiling, oTree, ours ...", file=sys.stderr, flush=True)
                load_at_start = os.getloadavg()
                echo = await run_echo(n, a.messages, a.workers)
                th = await run_otree(w, n, a.messages, a.port, peer)
                ou = await run_ours(n, a.messages, a.workers, a.sync)
                out["rows"].append({"clients": n, "repeat": rep + 1, "loadavg_at_start": load_at_start,
                                    "echo": echo, "otree": th, "ours": ou,
                                    **ratio(ou, th), "ours_of_ceiling": of_ceiling(ou, echo),
                                    "otree_of_ceiling": of_ceiling(th, echo)})
                if a.out:  # what is done so far survives a run stopped early (oTree is slow on a busy machine)
                    out["summary"] = summary(out["rows"])
                    Path(a.out).write_text(json.dumps(out, indent=1) + "\n")
        out["summary"] = summary(out["rows"])
    return out


def plot(res: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(10, 4.4))
    rows = res["rows"]
    ot = [r for r in rows if r.get("server", "").startswith("otree")]
    ex = [r for r in rows if r.get("server") == "alliance"]
    pa = [r for r in rows if r.get("mode") == "paced"]
    for data, key, label, style in [
        (ot, "broadcast_ms", "oTree 6.0.15 prodserver: offer -> own broadcast (1 in flight)", "o-"),
        (ex, "broadcast_ms", "ours: chat -> own broadcast (1 in flight)", "s-"),
        (pa, "ack_ms", "ours: command -> ack, 1 command / player / 2 s", "^-"),
    ]:
        if not data:
            continue
        xs = [r.get("clients", r.get("players")) for r in data]
        p50 = [r[key]["p50"] for r in data]
        p99 = [r[key]["p99"] for r in data]
        line, = ax.plot(xs, p99, style, label=label + " (p99)")
        ax.plot(xs, p50, style.replace("-", "--"), color=line.get_color(), alpha=0.5, label="  p50")
    ax.axhline(50, color="grey", lw=0.8, ls=":")
    ax.text(45, 55, "target p99 50 ms", color="grey", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("connected players (clients)")
    ax.set_ylabel("latency (ms, log)")
    ax.set_title(f"Latency against connected players ({res['machine']['nproc']} cores, "
                 f"load generator on the same machine)", fontsize=9)
    ax.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def replot(json_path: str, png_path: str) -> None:
    """Redraw the plot from a saved sweep (python -c 'import otree_compare as o; o.replot(...)')."""
    plot(json.loads(Path(json_path).read_text()), png_path)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--otree-dir", default=None, help="scratch folder outside the repository (default: a new "
                                                      "temporary folder; give one to reuse its venv)")
    ap.add_argument("--peer", default=None, help="the oTree peer folder (default: ../shared/peers/otree_live "
                                                "beside the repository's root)")
    ap.add_argument("--port", type=int, default=8123)
    ap.add_argument("--clients", type=int, nargs="+", default=[50, 100])
    ap.add_argument("--messages", type=int, default=40, help="messages per client (comparison)")
    ap.add_argument("--repeat", type=int, default=3, help="repeats per client count (median and range)")
    ap.add_argument("--workers", type=int, default=2, help="our load-generator processes")
    ap.add_argument("--sync", choices=["full", "normal"], default="full")
    ap.add_argument("--sweep", action="store_true", help="the latency-vs-players sweep for the plot")
    ap.add_argument("--otree-clients", type=int, nargs="+", default=[50, 100, 200, 500])
    ap.add_argument("--ours-clients", type=int, nargs="+", default=[50, 100, 200, 500, 1000, 2000])
    ap.add_argument("--paced-clients", type=int, nargs="+", default=[200, 500, 1000, 2000])
    ap.add_argument("--paced-seconds", type=float, default=20)
    ap.add_argument("--sweep-messages", type=int, default=2000, help="about this many messages per sweep point")
    ap.add_argument("--out", help="write the JSON result here")
    ap.add_argument("--plot", help="write the latency plot (PNG) here (sweep)")
    a = ap.parse_args()
    load.use_uvloop()
    res = asyncio.run(main(a))
    print(json.dumps(res, indent=1))
    load.save(res, a.out)
    if a.plot and a.sweep:
        plot(res, a.plot)

