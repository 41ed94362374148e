"""Creating sessions: the admin key (from the configuration, ALLIANCE_ADMIN_KEY, or the key
file the server makes in its data folder), the creation rate limits per address and for
the whole server, and the bounds on copies and rounds. Real servers (in this process, and
`run.py` as a process for what it prints), real HTTP, the real facilitator command line."""
from __future__ import annotations

import asyncio
import stat

import aiohttp
import pytest

from clients.python import facilitator
from clients.python.client import CommandError, create_session
from server.cli import build_parser, config_from_args, main as cli_main

from conftest import TEST_ADMIN_KEY, Api

ENV = "ALLIANCE_ADMIN_KEY"


async def create(url: str, key: str | None, headers: dict | None = None, **body):
    """POST /api/sessions with `key` as the bearer (None: no Authorization header)."""
    h = dict(headers or {})
    if key is not None:
        h["Authorization"] = f"Bearer {key}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/api/sessions", json=body, headers=h) as r:
            return r.status, await r.json(), r.headers


async def next_line(server, timeout: float = 20.0) -> str:
    """The next line `run.py` prints; a server that prints none is killed (which also ends
    the blocked read) and the test fails instead of hanging."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(server.proc.stdout.readline), timeout)
    except asyncio.TimeoutError:
        server.proc.kill()
        raise AssertionError("the server printed no line about the admin key") from None


def refused(status: int, body: dict, words: str) -> bool:
    return status == 401 and body["error"]["code"] == "admin_key_required" and words in body["error"]["message"]


# ---- the key ---------------------------------------------------------------------------------

async def test_creating_a_session_needs_the_admin_key(server):
    status, body, _ = await create(server.url, None)
    assert refused(status, body, "send Authorization: Bearer <admin key>"), body
    for wrong in ("nope", TEST_ADMIN_KEY[:-1], TEST_ADMIN_KEY + "x", TEST_ADMIN_KEY.upper(), "é" * 40):
        status, body, _ = await create(server.url, wrong)
        assert refused(status, body, "the admin key is wrong"), (wrong, body)
    async with aiohttp.ClientSession() as http:  # another scheme is no key either
        async with http.post(f"{server.url}/api/sessions", json={},
                             headers={"Authorization": f"Basic {TEST_ADMIN_KEY}"}) as r:
            assert r.status == 401 and (await r.json())["error"]["code"] == "admin_key_required"
    assert server.hub.sessions == {}  # nothing was created
    status, body, _ = await create(server.url, TEST_ADMIN_KEY, copies=1)
    assert status == 201 and body["facilitator_token"] and len(server.hub.sessions) == 1


async def test_the_key_file_is_made_at_first_start_for_the_owner_only_and_kept(server_process, db_path,
                                                                               monkeypatch):
    monkeypatch.delenv(ENV)  # the first start of a fresh install: no variable, no file
    key_file = db_path.parent / "admin.key"
    assert not key_file.exists()
    first = await server_process()
    where = await next_line(first)  # the line after "running: open ..."
    assert str(key_file) in where and "admin key" in where, where
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) >= 40
    status, body, _ = await create(first.url, key)
    assert status == 201, body
    status, body, _ = await create(first.url, TEST_ADMIN_KEY)
    assert refused(status, body, "wrong")
    assert first.terminate() == 0
    out, err = first.proc.communicate()
    assert key not in where + out + err  # the key itself is never printed or logged

    second = await server_process()  # the same key, from the same file
    await next_line(second)
    assert key_file.read_text().strip() == key and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    status, body, _ = await create(second.url, key)
    assert status == 201, body


async def test_the_environment_variable_wins_over_the_key_file(start_server, db_path, monkeypatch):
    key_file = db_path.parent / "admin.key"
    key_file.parent.mkdir(parents=True)
    key_file.write_text("a-key-written-in-the-file-0123456789\n")
    key_file.chmod(0o600)
    monkeypatch.setenv(ENV, "the-key-from-the-environment-0123456789")
    server = await start_server(admin_key=None)  # no key in the configuration
    assert server.hub.admin_key.source == "env"
    status, body, _ = await create(server.url, "a-key-written-in-the-file-0123456789")
    assert refused(status, body, "wrong")
    status, body, _ = await create(server.url, "the-key-from-the-environment-0123456789")
    assert status == 201, body
    assert key_file.read_text() == "a-key-written-in-the-file-0123456789\n"  # left alone


@pytest.mark.parametrize("problem", ["empty file", "short variable"])
async def test_an_unusable_key_stops_the_start_with_a_clear_message(start_server, db_path, monkeypatch, problem):
    monkeypatch.delenv(ENV)
    if problem == "empty file":
        db_path.parent.mkdir()
        (db_path.parent / "admin.key").write_text("\n")
        expected = "is empty: delete it"
    else:
        monkeypatch.setenv(ENV, "short")
        expected = "at least 24 characters"
    # a RuntimeError: `python run.py` prints its message and exits with 1 (server/cli.py)
    with pytest.raises(RuntimeError, match=expected):
        await start_server(admin_key=None)
    assert not db_path.exists()  # refused before the event log was touched


# ---- the facilitator's terminal ---------------------------------------------------------------

async def test_facilitator_cli_reads_the_key_from_the_environment_or_a_file(server, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # no data/admin.key here
    for k in (ENV, "ALLIANCE_ADMIN_KEY_FILE", "ALLIANCE_TOKEN", "ALLIANCE_TOKEN_FILE", "ALLIANCE_URL"):
        monkeypatch.delenv(k, raising=False)

    async def cli(*argv):
        rc = await asyncio.to_thread(facilitator.main, ["--url", server.url, *argv])
        cap = capsys.readouterr()
        return rc, cap.out, cap.err

    rc, _, err = await cli("create")
    assert rc == 2 and "admin key" in err and "ALLIANCE_ADMIN_KEY" in err
    rc, _, err = await cli("create", "--admin-key-file", str(tmp_path / "missing.key"))
    assert rc == 2 and "no admin key file" in err
    wrong = tmp_path / "wrong.key"
    wrong.write_text("not-the-key-of-this-server-0123456789\n")
    rc, _, err = await cli("create", "--admin-key-file", str(wrong))
    assert rc == 1 and "admin_key_required" in err
    assert server.hub.sessions == {}
    right = tmp_path / "admin.key"
    right.write_text(TEST_ADMIN_KEY + "\n")
    rc, out, err = await cli("create", "--admin-key-file", str(right))
    assert rc == 0 and TEST_ADMIN_KEY not in out + err, err
    monkeypatch.setenv(ENV, TEST_ADMIN_KEY)
    rc, out, err = await cli("create", "--force")
    assert rc == 0, err
    (work / "data").mkdir()  # the server's default key file, seen from where it runs
    (work / "data" / "admin.key").write_text(TEST_ADMIN_KEY)
    monkeypatch.delenv(ENV)
    rc, out, err = await cli("create", "--force")
    assert rc == 0, err
    assert len(server.hub.sessions) == 3
    with pytest.raises(SystemExit):  # the key is never a command-line argument
        facilitator.build_parser().parse_args(["create", "--admin-key", TEST_ADMIN_KEY])


# ---- rate limits -------------------------------------------------------------------------------

async def test_creation_is_rate_limited_per_address(start_server):
    server = await start_server(create_burst=3, create_per_minute=1, trust_proxy=True)
    for _ in range(5):  # refusals of a wrong key cost nothing (a NAT neighbour cannot lock us out)
        status, _, _ = await create(server.url, "wrong")
        assert status == 401
    for _ in range(3):
        status, body, _ = await create(server.url, TEST_ADMIN_KEY)
        assert status == 201, body
    status, body, headers = await create(server.url, TEST_ADMIN_KEY)
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert "from your address" in body["error"]["message"] and int(headers["Retry-After"]) >= 1
    assert len(server.hub.sessions) == 3
    # another client address (behind a trusted local proxy) has its own budget
    status, body, _ = await create(server.url, TEST_ADMIN_KEY, {"X-Forwarded-For": "198.51.100.7"})
    assert status == 201, body
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/metrics") as r:
            assert 'alliance_errors_total{code="rate_limited"} 1' in await r.text()


async def test_creation_is_rate_limited_for_the_whole_server(start_server):
    server = await start_server(create_total_burst=4, create_total_per_minute=1, trust_proxy=True)
    for i in range(4):
        status, body, _ = await create(server.url, TEST_ADMIN_KEY, {"X-Forwarded-For": f"198.51.100.{i}"})
        assert status == 201, body
    status, body, headers = await create(server.url, TEST_ADMIN_KEY, {"X-Forwarded-For": "198.51.100.99"})
    assert status == 429 and "on this server" in body["error"]["message"] and int(headers["Retry-After"]) >= 1


async def test_the_python_client_waits_out_the_creation_limit(start_server):
    server = await start_server(create_burst=1, create_per_minute=60)  # one now, then one a second
    first = await create_session(server.url, copies=1)  # the key from ALLIANCE_ADMIN_KEY (conftest.py)
    with pytest.raises(CommandError) as refused_now:
        await create_session(server.url, copies=1, max_wait=0)
    assert refused_now.value.code == "rate_limited" and refused_now.value.retry_after >= 1
    second = await create_session(server.url, copies=1)  # waits as the server says (Retry-After), then succeeds
    assert first["session_id"] != second["session_id"] and len(server.hub.sessions) == 2


# ---- bounds ------------------------------------------------------------------------------------

async def test_copies_and_rounds_have_upper_bounds(start_server, tmp_path):
    server = await start_server()
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        status, body = await api.try_create(copies=201)  # the default bound: 200 copies
        assert status == 400 and body["error"] == {"code": "out_of_range", "message":
                                                   "copies: at most 200 on this server (its --max-copies)"}
        status, body = await api.try_create(rounds=51)  # the protocol's own bound
        assert status == 400 and body["error"]["code"] == "out_of_range" and body["error"]["message"].startswith("rounds:")
    small = await start_server(max_copies=3, max_rounds=4, db_path=str(tmp_path / "small" / "small.db"))
    async with aiohttp.ClientSession() as http:
        api = Api(small.url, http)
        status, body = await api.try_create(copies=4, rounds=2)
        assert status == 400 and body["error"]["message"] == "copies: at most 3 on this server (its --max-copies)"
        status, body = await api.try_create(copies=1, rounds=5)
        assert status == 400 and body["error"]["message"] == "rounds: at most 4 on this server (its --max-rounds)"
        status, body = await api.try_create(scenario="classic")  # the scenario's 8 rounds are too many here
        assert status == 400 and body["error"]["message"].startswith("rounds: at most 4")
        made = await api.create(copies=3, rounds=4)
        assert made["options"]["copies"] == 3 and made["options"]["rounds"] == 4
    assert len(small.hub.sessions) == 1


def test_limits_are_command_line_flags(capsys):
    cfg = config_from_args(build_parser().parse_args(
        ["--max-copies", "40", "--max-rounds", "12", "--create-rate", "6", "--create-total-rate", "60",
         "--archive-after-days", "2.5"]))
    assert (cfg.max_copies, cfg.max_rounds, cfg.create_per_minute, cfg.create_burst) == (40, 12, 6, 6)
    assert (cfg.create_total_per_minute, cfg.create_total_burst) == (60, 60)
    assert cfg.archive_idle_seconds == 2.5 * 86400
    for bad in (["--max-copies", "501"], ["--max-rounds", "0"], ["--create-rate", "0"],
                ["--archive-after-days", "-1"]):
        with pytest.raises(SystemExit) as exit:
            cli_main(bad)  # refused by the parser, before anything starts
        assert exit.value.code == 2 and bad[0] in capsys.readouterr().err, bad
