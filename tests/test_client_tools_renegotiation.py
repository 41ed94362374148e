"""The facilitator's terminal and renegotiation windows: `create --renegotiation-every`
turns them on, `end-renegotiation` ends an open window (a refusal, `no_window`, when
there is none). Fixtures from tests/test_client_tools.py."""
from __future__ import annotations

import json

from clients.python.client import join_session
from test_client_tools import cli  # noqa: F401 (the fixture is used by name)


async def test_the_terminal_creates_a_session_with_windows_and_ends_one(server, cli, tmp_path):  # noqa: F811
    rc, out, err = await cli("create", "--copies", "1", "--rounds", "3", "--no-negotiation", "--seed", "3",
                             "--renegotiation-every", "1", "--renegotiation-seconds", "300")
    assert rc == 0, err
    creds = json.loads((tmp_path / ".alliance" / "facilitator.json").read_text())
    await join_session(server.url, creds["code"], "Ann")
    assert (await cli("fill-bots", "--strategy", "avoider"))[0] == 0
    assert (await cli("start"))[0] == 0
    rc, out, err = await cli("end-round")
    assert rc == 0, err
    rc, out, _ = await cli("status")
    assert "phase: renegotiation" in out
    rc, out, err = await cli("end-renegotiation")
    assert rc == 0 and "execution" in out, err
    rc, out, err = await cli("end-renegotiation")
    assert rc == 1 and "no_window" in err
