"""The log writer alone, as the exchange's commits load it (scratch-sized: 19 chat lines of
2 rows per commit, an SQLite file in a temporary folder, WAL, synchronous=FULL), timed per commit.

    python benchmarks/writer_commit.py 1000 tx     # BEGIN IMMEDIATE, the INSERTs, COMMIT
    python benchmarks/writer_commit.py 1000 one    # the INSERTs alone (autocommit)
    N=200 valgrind --tool=callgrind python benchmarks/writer_commit.py 1000 tx   # instructions

Arguments: wal_autocheckpoint pages, mode; N (commits, default 400), LINES (chat lines per
commit, default 19), PRAGMAS ("name=value;...") and NO_NONE_ADAPTER=1 (sqlite3 without the
store's adapter for None) from the environment. Run from a checkout's root: its server.store
is used.
"""
import sqlite3, time, os, sys, tempfile, json
sys.path.insert(0, ".")
import sqlite_utils
from server.store.records import _LOG_COLUMNS, LogRow, log_values
from server.store.sqlite import create_schema, dumps
from server.store.log_insert import for_connection
if os.environ.get("NO_NONE_ADAPTER"):  # the store without its adapter for None (as before 1af8a55)
    sqlite3.adapters.pop((type(None), sqlite3.PrepareProtocol), None)
LINES = int(os.environ.get("LINES", 19))  # chat lines per commit (2 rows each)
ckpt = int(sys.argv[1]); mode = sys.argv[2] if len(sys.argv) > 2 else "tx"
d = tempfile.mkdtemp()
c = sqlite3.connect(d+"/x.db", isolation_level=None)
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA synchronous=FULL")
c.execute(f"PRAGMA wal_autocheckpoint={ckpt}")
for pr in os.environ.get("PRAGMAS","").split(";"):
    pr and c.execute("PRAGMA "+pr)
create_schema(sqlite_utils.Database(c))
ins = for_connection(c, _LOG_COLUMNS)
seq = 0; cpu = []; wall = []
for k in range(int(os.environ.get("N", 400))):
    rows = []
    for j in range(LINES):
        p = f"p{(k*19+j)%100:03d}xxxxxxxxxxxxxxxxxx"
        seq += 1
        rows.append(log_values(LogRow("S"*22, seq, "command", "chat", p, "f1", 1, f"c{seq}", 1.5, dumps({"to": "firm", "text": "hello %d" % seq}), reply=dumps({"type":"ack","id":f"c{seq}","result":{"channel":"firm:f1"}}))))
        seq += 1
        rows.append(log_values(LogRow("S"*22, seq, "chat", "chat", p, "f1", 1, None, 1.5, dumps({"channel":"firm:f1","player_id":p,"name":"Ann","firm":"f1","text":"hello %d"%seq,"time":time.time()}))))
    t = time.perf_counter(); tc = time.thread_time()
    if mode == "tx":
        c.execute("BEGIN IMMEDIATE"); ins.run(c, rows); c.execute("COMMIT")
    else:
        ins.run(c, rows)
    cpu.append(time.thread_time() - tc); wall.append(time.perf_counter() - t)
ru = os.times()
cpu.sort(); wall.sort()
print(ckpt, mode, "cpu us/commit p50 %.0f mean %.0f; wall p50 %.0f; per cmd mean %.1f; user %.2f sys %.2f" % (cpu[len(cpu)//2]*1e6, sum(cpu)/len(cpu)*1e6, wall[len(wall)//2]*1e6, sum(cpu)/len(cpu)/LINES*1e6, ru.user, ru.system))
