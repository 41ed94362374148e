"""The server's system calls during the exchange (100 clients x 40 chat lines, as
`load.py exchange`): `strace -c -f` attached to the server from its start to the end of the
exchange (set-up included), written to OUT. Counts per message depend much less on the
machine's load than times do (strace slows the server; its times are not the server's).

    python benchmarks/exchange_syscalls.py <checkout root, or - for this one> OUT
"""
import argparse, asyncio, os, sys, signal, subprocess, tempfile, time
sys.path.insert(0, "benchmarks")
import load
async def main(root, out):
    if root: os.environ["LOAD_SERVER_ROOT"] = root
    tmp = tempfile.mkdtemp()
    srv = load.ServerProcess(f"{tmp}/x.db", "full").start()
    st = subprocess.Popen(["strace", "-c", "-f", "-o", out, "-p", str(srv.pid)], stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    try:
        a = argparse.Namespace(players=100, messages=40, workers=2, sync="full", drain=10.0, profile=None)
        r = await load.run_exchange(a, srv)
    finally:
        st.send_signal(signal.SIGINT); st.wait()
        srv.stop()
    print(root or ".", r["messages"], "messages; strace -c table in", out)
if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if sys.argv[1] != "-" else None, sys.argv[2]))
