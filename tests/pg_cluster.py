"""A throwaway PostgreSQL cluster for the PostgreSQL store's tests: Debian's server binaries
(scripts/install_postgres.sh installs them), `initdb` into a fresh temp folder, `postgres`
on a free port of 127.0.0.1 with its unix socket in that folder, a random password
(scram-sha-256), stopped with `pg_ctl stop -m fast` and the folder removed at the end.

PostgreSQL refuses to run as root: when the tests run as root (CI does), the cluster runs as
the package's unprivileged `postgres` user through `runuser`. No mock: every PostgreSQL test
talks to this real server. Under CI=true a missing PostgreSQL is a failure, elsewhere a skip
that says what to install."""
from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SERVICE_USER = "postgres"  # made by Debian's postgresql package


def server_bin() -> Path | None:
    """The newest installed /usr/lib/postgresql/<version>/bin holding initdb."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    folder: Path
    bin: Path
    port: int
    password: str
    as_user: list[str]       # the `runuser` prefix when running as root
    timings: dict[str, float]
    opts: str = ""           # the server's options (`pg_ctl start` needs them again after a stop)

    @property
    def dsn(self) -> str:
        return f"postgresql://alliance:{self.password}@127.0.0.1:{self.port}/postgres"

    def schema(self, name: str) -> str:
        """A DSN whose tables live in a new empty schema (each test gets its own: a schema
        takes milliseconds where CREATE DATABASE takes seconds). asyncpg passes the DSN's
        query parameters to the server as settings: every connection of the store, its
        pool, its exports and server.store.pg_copy use this search_path."""
        self.psql(f'CREATE SCHEMA "{name}"')
        return f"{self.dsn}?search_path={name}"

    def psql(self, sql: str) -> str:
        r = subprocess.run([*self.as_user, str(self.bin / "psql"), "-h", str(self.folder / "run"), "-p",
                            str(self.port), "-U", "alliance", "-d", "postgres", "-v", "ON_ERROR_STOP=1",
                            "-Atc", sql], capture_output=True, text=True, timeout=60,
                           env={**os.environ, "PGPASSWORD": self.password})
        assert r.returncode == 0, r.stderr
        return r.stdout

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), *args],
                              capture_output=True, text=True, timeout=120)

    def restart(self, mode: str) -> None:
        """`pg_ctl restart -m <mode>` (fast: a maintenance restart; immediate: a crash), back
        when it returns. Its log goes to the cluster's file: an inherited pipe would hold
        the caller's output open."""
        r = self.pg_ctl("restart", "-m", mode, "-w", "-t", "60", "-l", str(self.folder / "server.log"))
        assert r.returncode == 0, r.stderr

    def down(self, mode: str = "fast") -> None:
        """The database server stops (`pg_ctl stop -m <mode>`); `up()` starts it again."""
        r = self.pg_ctl("stop", "-m", mode, "-w", "-t", "60")
        assert r.returncode == 0, r.stderr

    def up(self) -> None:
        r = self.pg_ctl("start", "-o", self.opts, "-w", "-t", "60", "-l", str(self.folder / "server.log"))
        assert r.returncode == 0, r.stderr

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast", "-w")
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> Cluster:
    """initdb + start; raises RuntimeError with the reason when it cannot."""
    bin_ = server_bin()
    if bin_ is None:
        raise RuntimeError("PostgreSQL's server binaries are not installed (/usr/lib/postgresql/*/bin/initdb): "
                           "run scripts/install_postgres.sh (Debian's postgresql package)")
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="alliance-pg-"))
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", SERVICE_USER, "--"]
        shutil.chown(folder, SERVICE_USER)
    password = secrets.token_urlsafe(24)
    timings = {}
    try:
        (folder / "run").mkdir()
        pwfile = folder / "pw"
        pwfile.write_text(password + "\n")
        if as_user:
            for p in (folder / "run", pwfile):
                shutil.chown(p, SERVICE_USER)
        t0 = time.perf_counter()
        _run([*as_user, str(bin_ / "initdb"), "-D", str(folder / "data"), "-U", "alliance", "--pwfile", str(pwfile),
              "--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C", "--no-sync"], "initdb")
        pwfile.unlink()
        timings["initdb"] = time.perf_counter() - t0
        port = _free_port()
        opts = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={folder / 'run'} "
                f"-c fsync=off -c full_page_writes=off -c max_connections=100")
        t1 = time.perf_counter()
        _run([*as_user, str(bin_ / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "server.log"),
              "-o", opts, "-w", "-t", "60", "start"], "pg_ctl start")
        timings["start"] = time.perf_counter() - t1
    except BaseException:
        subprocess.run([*as_user, str(bin_ / "pg_ctl"), "-D", str(folder / "data"), "stop", "-m", "immediate"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Cluster(folder, bin_, port, password, as_user, timings, opts)


def _run(cmd: list[str], what: str) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"{what} failed ({r.returncode}): {r.stderr.strip() or r.stdout.strip()}")
