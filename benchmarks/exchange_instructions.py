"""The server's instructions per exchange message: a load-independent measure.

The server runs under callgrind (valgrind) with instrumentation off; it is switched on just
before the exchange starts (100 clients x 40 chat lines, as `load.py exchange`: logged,
pushed to the firm, acknowledged after the commit) and off just after it ends, so the count
covers the exchange's window only, both threads (event loop and log writer), user space
(SQLite included; the kernel's work, system calls, is not counted: see
benchmarks/exchange_syscalls.py). Other work on the machine does not change the count; the
batching does a little (how many commands share a commit depends on timing): repeat.

    python benchmarks/exchange_instructions.py --before <checkout> [--after <checkout>] --repeat 2 --out benchmarks/results/NAME.json

Needs valgrind (`callgrind_control` beside it). Under callgrind the server runs ~50x slower
(~300-450 messages/s); a run takes about 20 s.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_ENV = "EXCHANGE_CALLGRIND_OUT"


def _serve() -> None:
    """As LOAD_SERVER_SCRIPT (run in the server's checkout): the server under callgrind."""
    valgrind = shutil.which("valgrind")
    os.execv(valgrind, ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                        f"--callgrind-out-file={os.environ[OUT_ENV]}", sys.executable, "run.py", *sys.argv[1:]])


def _instructions(path: str) -> int:
    """The `totals:` line of a callgrind output file (its `summary:` is taken at the start,
    with instrumentation still off)."""
    totals = [int(ln.split()[1]) for ln in open(path) if ln.startswith("totals:")]
    if not totals:
        raise RuntimeError(f"no totals in {path}")
    return sum(totals)


async def run(root: str | None, clients: int, messages: int) -> dict:
    import load
    tmp = tempfile.mkdtemp(prefix="exchange-instr-")
    out = f"{tmp}/callgrind.out"
    env = {"LOAD_SERVER_SCRIPT": str(Path(__file__).resolve()), OUT_ENV: out}
    saved = {k: os.environ.get(k) for k in (*env, "LOAD_SERVER_ROOT")}
    os.environ.update(env)
    os.environ.pop("LOAD_SERVER_ROOT", None)
    if root:
        os.environ["LOAD_SERVER_ROOT"] = root
    srv = load.ServerProcess(f"{tmp}/x.db", "full").start()
    switched = []

    def cpu_seconds(self) -> float:  # read by run_exchange just before the start and after the end
        switched.append(subprocess.run(["callgrind_control", "-i", "off" if switched else "on", str(self.pid)],
                                       capture_output=True).returncode)
        return load.ServerProcess.cpu_seconds(self)
    try:
        srv.cpu_seconds = cpu_seconds.__get__(srv)
        a = argparse.Namespace(players=clients, messages=messages, workers=2, sync="full", drain=30.0, profile=None)
        r = await load.run_exchange(a, srv)
    finally:
        srv.stop()
        for k, v in saved.items():
            os.environ.pop(k, None)
            if v is not None:
                os.environ[k] = v
    if switched != [0, 0]:
        raise RuntimeError(f"callgrind_control failed: {switched}")
    total = _instructions(out)
    shutil.rmtree(tmp, ignore_errors=True)
    return {"root": "<other checkout>" if root else ".", "messages": r["messages"], "errors": r["errors"], "lost": r["lost"],
            "messages_per_s_under_callgrind": r["messages_per_s"], "instructions": total,
            "instructions_per_message": round(total / max(1, r["messages"]))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", help="another checkout's root, alternated with --after")
    ap.add_argument("--after", help="the checkout measured (default: this one)")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--messages", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--out")
    a = ap.parse_args()
    sys.path.insert(0, str(HERE))
    import load
    sides = [("before", a.before), ("after", a.after)] if a.before else [("this", a.after)]
    runs: dict[str, list[dict]] = {k: [] for k, _ in sides}
    for rep in range(a.repeat):
        for k, root in (sides if rep % 2 == 0 else sides[::-1]):
            r = asyncio.run(run(root, a.clients, a.messages))
            runs[k].append(r)
            print(f"{k}: {r['instructions_per_message']:,} instructions per message ({r['messages']} messages)",
                  file=sys.stderr)
    res = {"machine": load.machine(), "sides": {k: (re.sub(r"^/.*/", "<", v) + ">" if v else ".") for k, v in sides},
           "runs": runs, "median_instructions_per_message": {
               k: statistics.median(r["instructions_per_message"] for r in v) for k, v in runs.items()}}
    print(res["median_instructions_per_message"])
    load.save(res, a.out)


if __name__ == "__main__":
    if os.environ.get(OUT_ENV) and sys.argv[1:2] == ["--port"]:
        _serve()
    main()
