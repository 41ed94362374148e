"""The admin key: the credential that creates sessions (`POST /api/sessions`).

Where it comes from, first match wins:

1. `ServerConfig.admin_key` (set by code: tests, an embedding program);
2. the environment variable `ALLIANCE_ADMIN_KEY`;
3. the file `admin.key` in the data folder (the folder of the SQLite database), created
   with 32 random bytes (`secrets.token_urlsafe`) at the first start, readable by the
   owner only (0600), and read again at every later start.

The key itself is never logged or printed: the server prints where it is (`describe`).
Rotating it: delete the file (a new key is made at the next start) or set the variable.
"""
from __future__ import annotations

import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from .config import ServerConfig
from .store.pg_schema import is_postgres

log = logging.getLogger("server.admin_key")

ENV_VAR = "ALLIANCE_ADMIN_KEY"
FILE_NAME = "admin.key"
MIN_LENGTH = 24  # a chosen key too short to resist guessing is refused at start


class AdminKeyError(RuntimeError):
    """The key cannot be used; the message says why and what to do (the server exits)."""


@dataclass(frozen=True, slots=True)
class AdminKey:
    key: str
    source: str          # "config", "env" or "file"
    path: Path | None    # the key file, when the key is in one

    def matches(self, candidate: str | None) -> bool:
        """Constant-time comparison: the time taken says nothing about the key."""
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode("utf-8", "surrogatepass"), self.key.encode("utf-8"))

    def describe(self) -> str:
        """Where the key is, for the start-up banner (never the key itself)."""
        if self.source == "file":
            where = f"is in {self.path} (readable by you only)"
        elif self.source == "env":
            where = f"is the value of {ENV_VAR}"
        else:
            where = "was set by the program that started the server"
        return f"Creating sessions needs the admin key: it {where}."


def key_path(config: ServerConfig) -> Path:
    """Beside the SQLite file; with PostgreSQL (no file), in the default data folder."""
    db = ServerConfig().db_path if is_postgres(config.db_path) else config.db_path
    return Path(db).resolve().parent / FILE_NAME


def _checked(key: str, where: str) -> str:
    key = key.strip()
    if len(key) < MIN_LENGTH or any(c.isspace() for c in key):
        raise AdminKeyError(f"the admin key from {where} must be at least {MIN_LENGTH} characters without "
                            f"spaces; make one with: python -c \"import secrets; print(secrets.token_urlsafe(32))\"")
    return key


def load_admin_key(config: ServerConfig) -> AdminKey:
    """The key (see the module docstring); makes the data folder and the key file if needed."""
    if config.admin_key:
        return AdminKey(_checked(config.admin_key, "the server configuration"), "config", None)
    env = os.environ.get(ENV_VAR)
    if env:
        return AdminKey(_checked(env, ENV_VAR), "env", None)
    path = key_path(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AdminKeyError(f"cannot create the data folder {path.parent}: {e}") from None
    try:
        return AdminKey(_read(path), "file", path)
    except FileNotFoundError:
        pass
    try:  # O_EXCL: two servers starting at once cannot both write a key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return AdminKey(_read(path), "file", path)
    except OSError as e:
        raise AdminKeyError(f"cannot create the admin key file {path}: {e}; set {ENV_VAR} instead") from None
    key = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
    os.chmod(path, 0o600)  # whatever the umask
    log.info("made a new admin key in %s", path)
    return AdminKey(key, "file", path)


def _read(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as e:
        raise AdminKeyError(f"cannot read the admin key file {path}: {e}") from None
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the admin key file %s can be read by other users (mode %o): chmod 600 it",
                    path, stat.S_IMODE(mode))
    if not text.strip():
        raise AdminKeyError(f"the admin key file {path} is empty: delete it (a new key is made at the "
                            f"next start) or set {ENV_VAR}")
    return _checked(text, str(path))
