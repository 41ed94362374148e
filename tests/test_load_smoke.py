"""A small run of the load benchmark (benchmarks/load.py): proves the harness works end to
end against a real server process (setup over HTTP, load-generator processes, the command
mix, the exchange pattern, the fan-out measurement). It asserts correctness only (no
errors, no lost commands, every push received), never a speed: speeds are in
docs/benchmarks.md."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import load  # noqa: E402


@pytest.mark.parametrize("client", ["lean", "project"])
def test_paced_mix_50_players_no_errors_no_lost_commands(client):
    r = load.main(["paced", "--players", "50", "--per-session", "20", "--seconds", "5", "--interval", "0.5",
                   "--negotiation-every", "3", "--workers", "2", "--drain", "20", "--client", client])
    assert r["client"] == client
    assert r["errors"] == 0, r["error_codes"]
    assert r["lost"] == 0
    assert r["sent"] == r["commands"] > 0
    assert r["ack_ms"]["n"] == r["commands"]
    assert r["negotiation_sessions"] == 1  # 3 sessions: 20, 20, 10 players; the third negotiates
    assert {"draft", "chat", "negotiate"} <= set(r["ack_ms_by_type"])
    assert r["log_rows"] >= r["commands"]  # every acknowledged command is in the event log
    assert r["server_rss_mb_end"] > 0
    # results pushed during the run are timed when a round closed (not every 5 s run closes one)
    assert r["round_result_after_closing_ack_ms"]["n"] == r["player_round_results"]


def test_paced_with_idle_sessions_only_the_active_ones_send():
    """`--active`: whole sessions stay connected and idle (5,000 connected, 2,000 active)."""
    r = load.main(["paced", "--players", "60", "--per-session", "20", "--active", "40", "--seconds", "3",
                   "--interval", "0.5", "--negotiation-every", "0", "--workers", "2", "--drain", "20"])
    assert r["active_players"] == 40 and r["players"] == 60
    assert r["connected_at_end"] == 60  # the idle players' sockets stayed open
    assert r["errors"] == 0 and r["lost"] == 0
    # each active player sends about seconds / interval = 6 commands; the idle ones none
    assert 40 * 4 <= r["commands"] <= 40 * 7, r["commands"]


def test_exchange_one_in_flight_every_line_acked_and_broadcast():
    r = load.main(["exchange", "--players", "20", "--messages", "5", "--workers", "1"])
    assert r["errors"] == 0 and r["lost"] == 0
    assert r["messages"] == 100
    assert r["broadcast_ms"]["n"] == 100  # each sender got its own line back


def test_fanout_every_player_gets_the_round_result():
    r = load.main(["fanout", "--players", "24", "--rounds", "2", "--workers", "1"])
    assert r["errors"] == 0
    assert r["received"] == r["expected"] == 23 * 2


def test_fanout_with_deltas_every_player_gets_the_new_round_as_a_smaller_round_delta():
    args = ["fanout", "--players", "24", "--rounds", "2", "--workers", "1"]
    full, deltas = load.main(args), load.main([*args, "--deltas"])
    assert full["errors"] == deltas["errors"] == 0
    assert deltas["view_after_ack_ms"]["n"] == full["view_after_ack_ms"]["n"] == deltas["expected"] == 23 * 2
    assert deltas["view_bytes_median"] < full["view_bytes_median"]


@pytest.mark.parametrize("mode", ["restart"])
def test_restart_after_kill9_restores_sessions_and_acknowledged_commands(mode):
    r = load.main([mode, "--sessions", "5", "--per-session", "4", "--commands", "2"])
    assert r["errors_before"] == 0 and r["lost_before"] == 0
    assert r["resend_errors"] == 0 and r["resend_unanswered"] == 0
    assert r["resend_acked_as_duplicate"] == r["resent_last_ids"] == 20


def test_paced_reports_the_collector_and_the_cpu_per_command():
    r = load.main(["paced", "--players", "20", "--per-session", "20", "--seconds", "2", "--interval", "0.5",
                   "--negotiation-every", "0", "--workers", "1", "--drain", "20"])
    assert r["errors"] == 0 and r["lost"] == 0
    assert r["server_cpu_us_per_command"] > 0
    assert set(r["server_gc"]) == {"gen0", "gen1", "gen2"}  # from the server's /metrics
    assert all(g["passes"] >= 0 and g["pause_ms"] >= 0 for g in r["server_gc"].values())


def test_paced_with_no_active_player_measures_the_idle_window():
    """`--active 0`: every socket connected, none sends; the window still lasts `--seconds`
    (the server's CPU with its sockets idle: pings, clocks, timers)."""
    r = load.main(["paced", "--players", "20", "--per-session", "20", "--active", "0", "--seconds", "2",
                   "--negotiation-every", "0", "--workers", "1", "--drain", "5"])
    assert r["commands"] == 0 and r["connected_at_end"] == 20
    assert r["window_s"] >= 2.0
    assert r["server_cpu_percent"] >= 0


def test_paced_with_the_counting_server_reports_what_the_loop_did_per_command(monkeypatch):
    """benchmarks/server_counts.py as the server's start script: its `bench_*` counters in
    `/metrics`, per command of the run's window."""
    monkeypatch.setenv("LOAD_SERVER_SCRIPT", str(Path(load.__file__).parent / "server_counts.py"))
    r = load.main(["paced", "--players", "20", "--per-session", "20", "--seconds", "2", "--interval", "0.5",
                   "--negotiation-every", "0", "--workers", "1", "--drain", "20"])
    assert r["errors"] == 0 and r["lost"] == 0 and r["commands"] > 0
    c = r["server_counts_per_command"]
    assert c["actor_commands"] == 1.0          # every command reached its session's actor once
    assert c["cpu_decode_frame_n"] == c["cpu_parse_message_n"] == 1.0  # one frame each
    assert c["frames_put"] >= 1 and c["socket_writes"] >= 1 and c["socket_reads"] >= 1
    n = sum(v for k, v in c.items() if k.startswith("cpu_command_") and k.endswith("_n"))
    assert abs(n - 1.0) < 0.01                  # the types' shares add up (each rounded)


def test_exchange_stages_bare_measures_the_server_without_stopwatches():
    """`exchange_stages.py --bare`: the server's CPU per command and the collector's passes,
    no stage timed (the stopwatches cost ~2 µs a call)."""
    import asyncio

    import exchange_stages
    r = asyncio.run(exchange_stages.run(4, 5, 1, "full", bare=True))
    assert r["errors"] == 0 and r["lost"] == 0 and r["commands"] == 20
    assert r["stages"] == []
    assert r["server_cpu_us_per_command"] > 0
    assert set(r["gc"]) == {"gen0", "gen1", "gen2"}


def test_floor_runs_the_echo_both_floors_and_ours_with_the_exchange_generator():
    """benchmarks/floor.py: the bare servers with the exchange's frames answer every line
    (3 frames: the line to both of the firm's sockets and the ack; 2 frames: the sender's
    line inside its ack) and are read by the same generator as ours."""
    import asyncio
    import argparse
    import floor
    res = asyncio.run(floor.main(argparse.Namespace(clients=6, messages=3, repeat=1, workers=2)))
    row = res["rows"][0]
    for name in ("floor3", "floor2", "ours"):
        assert row[name]["messages"] == 18 and row[name]["lost"] == 0 and row[name]["errors"] == 0, name
        assert row[name]["broadcast_ms"]["n"] == 18, name  # every sender saw its own line
        assert row[f"{name}_of_echo"] > 0
    assert row["floor3"]["server"] == "floor, 3 frames" and row["floor2"]["server"] == "floor, 2 frames"
    assert row["echo"]["lost"] == 0
