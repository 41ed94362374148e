"""docs/benchmarks.md quotes result files of benchmarks/results/: every file (or pattern)
it names exists, and the headline fan-out figures are the medians of those files."""
from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "benchmarks.md").read_text("utf-8")
RESULTS = ROOT / "benchmarks" / "results"


def test_every_result_file_the_document_names_exists():
    names = set(re.findall(r"`([A-Za-z0-9_\-*]+\.(?:json|jsonl))`", DOC))
    assert len(names) >= 10
    missing = [n for n in sorted(names) if not list(RESULTS.glob(n))]
    assert missing == [], f"docs/benchmarks.md names result files that are not in benchmarks/results: {missing}"


def _median_p99(pattern: str, key: str) -> float:
    runs = [json.loads(p.read_text()) for p in sorted(RESULTS.glob(pattern))]
    assert len(runs) == 3 and all(r["received"] == r["expected"] and r["errors"] == 0 for r in runs)
    return statistics.median(r[key]["p99"] for r in runs)


def test_the_fan_out_figures_are_the_medians_of_their_runs():
    after_ack = _median_p99("fanout1000_batch_after_r*.json", "round_result_after_ack_ms")
    after_send = _median_p99("fanout1000_batch_after_r*.json", "round_result_after_send_ms")
    before_ack = _median_p99("fanout1000_batch_before_r*.json", "round_result_after_ack_ms")
    assert f"p99 **{after_ack:.0f} ms**" in DOC
    assert f"p99 **{after_send:.0f} ms**" in DOC
    assert f"{before_ack:.0f} ms" in DOC
    assert after_ack <= 100  # the target the summary calls met


def test_the_newcomer_figures_are_those_of_their_run():
    """The guide and the benchmark page quote benchmarks/newcomer.py's result file."""
    r = json.loads((RESULTS / "newcomer_2026-11-29.json").read_text())
    guide = (ROOT / "docs" / "facilitator.md").read_text("utf-8")
    for key in ("install_s", "start_s", "console_s", "phone_s", "machine_total_s"):
        assert f"| {r[key]} |" in DOC, key
    assert f"{r['start_s']} s to start the server" in guide and f"{r['phone_s']} s for a phone" in guide
    assert not r["join_link"].startswith(("http://127.", "http://localhost")), "the phone joined on a LAN address"


def test_the_round_end_figures_are_the_medians_of_their_runs():
    """The round's end at 1,000 players (issue 19): the summary's p99 of the complete new
    round on a quiet machine, for the merged tree and 6a9cc8c, are the medians of their
    alternated runs."""
    new = _median_p99("i19q2_fanout1000_new_r*.json", "view_after_ack_ms")
    base = _median_p99("i19q2_fanout1000_base_r*.json", "view_after_ack_ms")
    assert f"p99 {new:,.0f} ms (" in DOC and f"against {base:,.0f} ms (" in DOC
