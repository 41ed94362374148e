"""Where a client finds the server's admin key, which creating a session needs
(`Authorization: Bearer <admin key>` on `POST /api/sessions`; docs/operations.md).

First match wins: a key file named explicitly (`--admin-key-file`), the environment
variable `ALLIANCE_ADMIN_KEY`, the file named by `ALLIANCE_ADMIN_KEY_FILE`, then
`data/admin.key`: the file the server writes next to its default database
(`data/alliance.db`) when started from the same folder. The key is never taken from a
command-line argument, where the shell history and `ps` would keep it.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "ALLIANCE_ADMIN_KEY"
FILE_ENV_VAR = "ALLIANCE_ADMIN_KEY_FILE"
DEFAULT_FILE = Path("data") / "admin.key"


class AdminKeyMissing(Exception):
    """An admin key file named explicitly cannot be read (the message says which)."""


def find_admin_key(key_file: str | os.PathLike | None = None) -> str | None:
    """The admin key, or None when there is none (the server then answers 401
    `admin_key_required`, which says what to do)."""
    if key_file is not None:
        return _read(Path(key_file).expanduser(), required=True)
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env
    named = os.environ.get(FILE_ENV_VAR)
    if named:
        return _read(Path(named).expanduser(), required=True)
    return _read(DEFAULT_FILE, required=False)


def _read(path: Path, required: bool) -> str | None:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if required:
            raise AdminKeyMissing(f"no admin key file {path}") from None
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise AdminKeyMissing(f"cannot read the admin key file {path}: {e}") from None
    if not key and required:
        raise AdminKeyMissing(f"the admin key file {path} is empty")
    return key or None
