"""Every code block of docs/research.md that reads an export runs: each ```python block with
pandas and each ```r block with base R's `Rscript`, in a working directory holding a real
`export.zip` of the session the page describes (`classic`, two copies, four rounds, one
person by client in `west1` who skips round 3, seat bots playing `internalizer` elsewhere).

R is Debian's `r-base-core` and pandas a test dependency, both installed by `make
install-test` (scripts/install_test_tools.sh, pyproject's `test` extra). Under CI=true, or as
root (who can install them), a missing one fails the test; otherwise it is skipped with the
reason.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import Client
from r_schema import r_reads_every_csv

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "research.md"
BLOCK = re.compile(r"^```(python|r)\n(.*?)^```", re.S | re.M)


def blocks(lang: str) -> list[str]:
    found = [code for tag, code in BLOCK.findall(DOC.read_text("utf-8")) if tag == lang]
    assert found, f"docs/research.md has no ```{lang} block"
    return found


def missing_tool(why: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.geteuid() == 0:
        pytest.fail(why)
    pytest.skip(why + " as root")


async def make_export(server, api, clients, workdir: Path) -> Path:
    session = await api.create(scenario="classic", copies=2, rounds=4, seed=3, negotiation=False, study="release-2025",
                               treatments={"staged": {}, "upfront": {"terms.release": "upfront"}},
                               assignment="fixed", treatment="staged")
    joined = await api.join(session["code"], "Ada", language="fr-CA")
    person = await Client.login(server.url, joined["player_token"], name="ada")
    clients.append(person)
    await api.control(session, "fill_bots", strategy="internalizer")
    await api.control(session, "start")
    for rnd in (1, 2, 3, 4):
        await person.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == rnd)
        if rnd == 3:  # the person skips round 3: the engine default is played
            await api.control(session, "end_round")
            continue
        await person.ok("submit", round=rnd, decision={"contribute": {"design": 25}, "absorb": {"manufacturing": 15},
                                                       "survey": {"trust": 5 - rnd // 2}})
    await person.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "debrief")
    await person.ok("chat", to="alliance", text="good game", client_time=time.time())  # as real clients do
    await api.control(session, "end_session")
    async with api.http.get(f"{api.url}/api/sessions/{session['session_id']}/export",
                            headers={"Authorization": f"Bearer {session['researcher_token']}"}) as r:
        assert r.status == 200
        path = workdir / "export.zip"
        path.write_bytes(await r.read())
    return path


def run(cmd: list[str], cwd: Path) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, f"{' '.join(cmd[:2])} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


async def test_every_pandas_and_r_snippet_of_the_research_page_runs(server, api, clients, tmp_path):
    rscript = shutil.which("Rscript")
    if rscript is None:
        missing_tool("R is not installed: run `bash scripts/install_test_tools.sh` (part of `make install-test`)")
    if importlib.util.find_spec("pandas") is None:
        missing_tool("pandas is not installed: run `pip install -e '.[test]'` (part of `make install-test`)")
    await make_export(server, api, clients, tmp_path)
    for i, code in enumerate(blocks("python")):
        out = run([sys.executable, "-c", code], tmp_path)
        assert "west1" in out, out  # it printed rows of the export
    outs = []
    for i, code in enumerate(blocks("r")):
        script = tmp_path / f"snippet{i}.R"
        script.write_text(code, "utf-8")
        outs.append(run([rscript, "--vanilla", str(script)], tmp_path))
        assert "west1" in outs[-1], outs[-1]  # it printed rows of the export
    assert any("TRUE" in out for out in outs), outs  # and R read a boolean column as logical
    # base R reads every file of the archive, each column as the codebook's type
    r_reads_every_csv(rscript, tmp_path / "export.zip", tmp_path)
