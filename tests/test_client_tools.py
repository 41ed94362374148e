"""The command-line tools: the strategy tournament (table, PNG and SVG chart, `--live`
against a real server) and the facilitator's terminal (`python -m clients.python.facilitator`)
driving a real server over HTTP, with the token from a file or ALLIANCE_TOKEN, never argv."""
from __future__ import annotations

import asyncio
import json
import os
import struct
import zipfile
import sys
from pathlib import Path

import pytest

from clients.python import facilitator, tournament
from clients.python.client import join_session

ROOT = Path(__file__).resolve().parent.parent


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_tournament_table_and_charts(tmp_path, capsys):
    png, svg = tmp_path / "slides" / "t.png", tmp_path / "t.svg"
    rc = tournament.main(["--seeds", "2", "--strategies", "internalizer,avoider,tit-for-tat",
                          "--chart", str(png), "--chart", str(svg)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "internalizer  avoider" in out and out.count("\n") > 12  # 9 pairings + the summary
    summary_lines = out.split("strategy ")[1].splitlines()[1:4]
    assert {line.split()[0] for line in summary_lines} == {"internalizer", "avoider", "tit_for_tat"}
    data = png.read_bytes()
    assert _png_size(data) == (1200, 840) and len(data) > 20_000
    text = svg.read_text()
    assert text.startswith("<?xml") and "<svg" in text and len(text) > 10_000
    for name in ("internalizer", "avoider", "tit-for-tat", "external gain", "internal gain"):
        assert name in text  # text kept as text (editable on a slide)



def test_tournament_refuses_bad_arguments(capsys):
    for argv in (["--chart", "t.gif"], ["--strategies", "nobody"], ["--seeds", "0"]):
        with pytest.raises(SystemExit) as e:
            tournament.main(argv)
        assert e.value.code == 2
    assert "unknown strategy" in capsys.readouterr().err


async def test_tournament_live_through_a_real_server(server, tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "clients.python.tournament", "--seeds", "1", "--strategies", "internalizer,avoider",
        "--live", server.url, "--json", cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    result = json.loads(out)
    assert result["live"]["max_difference_from_engine"] == 0.0
    assert len(result["live"]["rows"]) == 4 and result["live"]["per_strategy"].keys() == {"internalizer", "avoider"}


# ---- the facilitator's terminal --------------------------------------------------------------

class Cli:
    """Runs the facilitator command line in a worker thread (it has its own event loop),
    so the in-process server keeps serving; returns (exit code, stdout, stderr)."""

    def __init__(self, url: str, capsys):
        self.url, self.capsys = url, capsys

    async def __call__(self, *argv: str, url: bool = True) -> tuple[int, str, str]:
        args = (["--url", self.url] if url else []) + list(argv)
        rc = await asyncio.to_thread(facilitator.main, args)
        cap = self.capsys.readouterr()
        return rc, cap.out, cap.err


@pytest.fixture
def cli(server, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the default token file lands here
    for k in ("ALLIANCE_TOKEN", "ALLIANCE_TOKEN_FILE", "ALLIANCE_URL"):
        monkeypatch.delenv(k, raising=False)
    return Cli(server.url, capsys)


async def test_facilitator_cli_runs_a_session(server, cli, tmp_path, monkeypatch, db_path):
    rc, out, err = await cli("create", "--copies", "1", "--rounds", "2", "--no-negotiation", "--seed", "3")
    assert rc == 0, err
    tok_file = tmp_path / ".alliance" / "facilitator.json"
    creds = json.loads(tok_file.read_text())
    assert oct(tok_file.stat().st_mode & 0o777) == "0o600"
    assert creds["code"] in out and creds["facilitator_token"] not in out  # the token is not shown
    rc, _, err = await cli("create")
    assert rc == 2 and "exists" in err  # never overwrites a session's token by accident

    ann = await join_session(server.url, creds["code"], "Ann")
    rc, out, _ = await cli("players", url=False)  # URL, session and token from the file
    assert rc == 0 and "Ann" in out and "west1" in out and "(empty)" in out
    rc, out, _ = await cli("fill-bots", "--strategy", "avoider")
    assert rc == 0 and "east1" in out
    rc, out, _ = await cli("players", "--json", url=False)  # options after the command work too
    assert json.loads(out)["bots"] == {"east1": "avoider"}

    rc, out, _ = await cli("start")
    assert rc == 0 and "execution" in out
    for cmd in (["pause"], ["extend", "30"], ["resume"]):
        rc, out, err = await cli(*cmd)
        assert rc == 0, err
    rc, out, _ = await cli("pause")
    rc, out, err = await cli("pause")  # a refusal: the stable code, exit 1
    assert rc == 1 and "wrong_phase" in err
    await cli("resume")
    rc, out, _ = await cli("status")
    assert rc == 0 and "phase: execution" in out and "waiting for: west1" in out
    rc, out, err = await cli("announce", "Breaking news", "--event", '{"kind": "news"}')
    assert rc == 0, err
    rc, out, _ = await cli("move", "Ann", "east1")  # by name, into the bot seat
    assert rc == 0
    rc, out, _ = await cli("end-round")
    assert rc == 0 and "round: 1" in out

    rc, out, err = await cli("export", "--out", "data/class.zip")
    assert rc == 0, err
    exported = tmp_path / "data" / "class.zip"
    with zipfile.ZipFile(exported) as z:  # the research export archive
        names = set(z.namelist())
        assert {"events.csv", "rounds.csv", "alliance.sqlite", "codebook.md"} <= names
        events = z.read("events.csv").decode()
    for fact in ("bots_seated", "bot_replaced", "announcement", "round_closed"):
        assert fact in events
    assert "Ann" not in events  # names are personal data: only with --names
    rc, out, err = await cli("export", "--out", "class.json")
    assert rc == 0 and json.loads((tmp_path / "class.json").read_text())["session"]["round"] == 1

    # only the token, in the environment: the server says which session it is
    os.replace(tok_file, tmp_path / "elsewhere.json")
    rc, out, err = await cli("status")
    assert rc == 2 and "ALLIANCE_TOKEN" in err
    monkeypatch.setenv("ALLIANCE_TOKEN", creds["facilitator_token"])
    rc, out, err = await cli("status")
    assert rc == 0 and creds["session_id"] in out, err
    monkeypatch.setenv("ALLIANCE_TOKEN", ann["player_token"])
    rc, out, err = await cli("status")
    assert rc == 2 and "player's token" in err
    monkeypatch.setenv("ALLIANCE_TOKEN", "wrong")
    rc, out, err = await cli("status")
    assert rc == 1 and "bad_token" in err
    monkeypatch.delenv("ALLIANCE_TOKEN")

    # the real command line, with the token file named by an option
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "clients.python.facilitator", "--token-file", str(tmp_path / "elsewhere.json"),
        "end-session", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    # the ended session stays readable (its status, its data), never changeable
    rc, out, err = await cli("--token-file", str(tmp_path / "elsewhere.json"), "status")
    assert rc == 0 and "session ended (read-only): rounds played: 1 of 2" in out and "waiting for" not in out, out
    rc, out, err = await cli("--token-file", str(tmp_path / "elsewhere.json"), "pause")
    assert rc == 1 and "token_expired" in err


async def test_facilitator_cli_creates_a_session_with_roles_and_assigns_one(server, cli, tmp_path):
    """`create --firm-roles` and `role PLAYER ROLE` (issue 16, roles inside a firm)."""
    rc, out, err = await cli("create", "--copies", "1", "--no-negotiation", "--firm-roles")
    assert rc == 0, err
    creds = json.loads((tmp_path / ".alliance" / "facilitator.json").read_text())
    ann = await join_session(server.url, creds["code"], "Ann")
    await join_session(server.url, creds["code"], "Bo")
    kim = await join_session(server.url, creds["code"], "Kim")
    assert ann["firm"] == kim["firm"] == "west1"
    rc, out, err = await cli("role", "Kim", "gatekeeper", "--json")
    assert rc == 0, err
    assert json.loads(out)["result"]["roles"] == {"negotiator": None, "gatekeeper": kim["player_id"], "learner": None}
    rc, _, err = await cli("role", "Kim", "cook")
    assert rc == 1 and "out_of_range" in err
