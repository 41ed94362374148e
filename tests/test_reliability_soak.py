"""A few seconds of benchmarks/soak.py (the long soak run is a benchmark, see
docs/operations.md): correctness only, no speed assertion. Sessions are played to the
end and replaced, every acknowledged command is in the log, nothing is lost, the server
stops cleanly, and once the players are gone no socket or descriptor is left behind."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _soak_module():
    spec = importlib.util.spec_from_file_location("soak", ROOT / "benchmarks" / "soak.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


async def test_short_soak_is_correct(tmp_path):
    soak = _soak_module()
    # 130 players join in the first seconds: more than a classroom's join budget per address
    # (120 a minute), which the soak, like every load test, lifts (it used to stop at a 429)
    args = soak.build_parser().parse_args(["--players", "130", "--sessions", "2", "--minutes", "0.09",
                                           "--interval", "0.3", "--rounds", "2", "--sample", "1",
                                           "--db", str(tmp_path / "soak.db")])
    args.from_cli = False
    r = await soak.run(args)
    assert r["server_exit_code"] == 0
    assert r["commands_acked"] > 100
    assert r["unexpected_errors"] == {}, r["errors"]
    assert r["unanswered"] == 0 and r["acked_missing_from_log"] == 0
    assert r["sessions_completed"] >= 1 and r["rounds_closed"] > 0  # churn: sessions ended and replaced
    assert r["unexpected_disconnects"] == 0
    after = r["samples"][-1]
    assert after["sockets"] == 0, "the connections gauge does not come back to zero"
    assert after["fds"] <= r["samples"][0]["fds"] + 2, "file descriptors left behind"
    assert len(r["samples"]) >= 4
