"""The demo is wired outside server/ (issue 14): `run.py` and the `alliance-server` console
script go through clients/python/launcher.py, which hands the demo to the server's command
line. Both must still offer every server flag and the demo's."""
from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _help_of(target: str) -> str:
    module, func = target.split(":")
    code = f"import sys; from {module} import {func} as m; sys.argv[0] = 'alliance-server'; m(['--help'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_console_script_and_run_py_offer_the_server_and_the_demo():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, func = scripts["alliance-server"].split(":")
    assert callable(getattr(importlib.import_module(module), func))
    script_help = _help_of(scripts["alliance-server"])
    run_help = subprocess.run([sys.executable, "run.py", "--help"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60).stdout
    assert script_help == run_help
    for flag in ("--demo", "--demo-scenario", "--demo-copies", "--demo-think", "--db", "--lan", "--max-copies"):
        assert flag in script_help, flag


def test_bad_demo_flags_are_refused_by_the_parser():
    out = subprocess.run([sys.executable, "run.py", "--demo", "--demo-copies", "0", "--port", "0"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--demo-copies must be at least 1" in out.stderr
