"""Where an export comes from: the package version, the git commit of the code when it runs
from a git checkout, and the versions of the main dependencies. Recorded in every export's
`manifest.json`, so a result can be traced to the exact code that produced it."""
from __future__ import annotations

import functools
import re
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGE = "alliance-game"
DEPENDENCIES = ("aiohttp", "websockets", "msgpack", "sqlite-utils", "pydantic")
_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")  # SHA-1 or SHA-256 object names


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def git_commit(repo: Path | None = None) -> str | None:
    """`git rev-parse HEAD` of the checkout this code runs from; None when it is not one (an
    installed package, a copied tree), when git is missing, or when the checkout around it
    is another project's (the top level must be this repository's own directory)."""
    repo = (repo or Path(__file__).resolve().parent.parent).resolve()
    if not (repo / ".git").exists():  # a directory (checkout) or a file (worktree)
        return None
    try:
        top = subprocess.run(["git", "-C", str(repo), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, timeout=5, check=False)
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if top.returncode or head.returncode or Path(top.stdout.strip()).resolve() != repo:
        return None
    commit = head.stdout.strip()
    return commit if _COMMIT.match(commit) else None


@functools.lru_cache(maxsize=1)
def provenance() -> dict:
    """The manifest's provenance fields (computed once per process: the code does not change
    under a running server)."""
    return {"package": PACKAGE, "package_version": _version(PACKAGE), "git_commit": git_commit(),
            "dependencies": {d: _version(d) for d in DEPENDENCIES}}
