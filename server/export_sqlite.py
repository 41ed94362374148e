"""`alliance.sqlite` in an export archive: the database itself with only the chosen
sessions' rows, every token column emptied, names and labels removed unless asked for."""
from __future__ import annotations

import json
import sqlite3

from .export_redact import redact_data, redact_options, redact_snapshot_server


def sqlite_bytes(src: sqlite3.Connection, sids: list[str], rows_by_sid: dict[str, list[dict]],
                 names: bool, labels: bool) -> bytes:
    dst = sqlite3.connect(":memory:")
    try:
        tables = src.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL "
                             "AND name NOT LIKE 'sqlite_%'").fetchall()
        marks_for = lambda n: ", ".join("?" * n)  # noqa: E731
        for name, sql in tables:
            dst.execute(sql)
            cols = [r[1] for r in src.execute(f'PRAGMA table_info("{name}")')]
            if "session_id" not in cols:
                continue
            q = f'SELECT * FROM "{name}" WHERE session_id IN ({marks_for(len(sids))})'
            out = []
            for row in src.execute(q, sids):
                rec = dict(zip(cols, tuple(row)))
                for c in cols:
                    if "token" in c:
                        rec[c] = None
                if name == "sessions" and rec.get("options"):
                    rec["options"] = json.dumps(redact_options(json.loads(rec["options"]), labels))
                elif name == "players":
                    if not names:
                        rec["name"] = None
                    if not labels:
                        rec["label"] = None
                elif name == "log":
                    rec["data"] = json.dumps(redact_data(rec["kind"], rec["type"], json.loads(rec["data"]),
                                                         names, labels), separators=(",", ":"),
                                             ensure_ascii=False)
                elif name == "snapshots" and "server" in rec:
                    rec["server"] = redact_snapshot_server(rec["server"], names, labels)
                out.append(tuple(rec[c] for c in cols))
            dst.executemany(f'INSERT INTO "{name}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
                            f'VALUES ({marks_for(len(cols))})', out)
        for (sql,) in src.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"):
            dst.execute(sql)
        dst.commit()
        return dst.serialize()
    finally:
        dst.close()
