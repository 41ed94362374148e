"""A join code seats at most `max_per_firm` players per firm (session option, else the
server's setting): beyond, `session_full` (409) and nothing is logged. A lab's fixed seats
and a returning label are not limited by it."""
from __future__ import annotations

import sqlite3

import aiohttp

from conftest import Api


def joined_count(db_path, sid: str) -> int:
    con = sqlite3.connect(db_path)
    try:
        return con.execute("SELECT count(*) FROM log WHERE session_id = ? AND type = 'player_joined'",
                           (sid,)).fetchone()[0]
    finally:
        con.close()


async def test_a_full_session_refuses_the_next_join(start_server, db_path):
    server = await start_server()
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        s = await api.create(copies=1, max_per_firm=2)  # two firms: four seats
        assert s["options"]["max_per_firm"] == 2
        firms = [(await api.join(s["code"], f"p{i}"))["firm"] for i in range(4)]
        assert sorted(firms) == ["east1", "east1", "west1", "west1"]
        status, err = await api.request("POST", "/api/join", {"code": s["code"], "name": "late"})
        assert status == 409 and err["error"]["code"] == "session_full"
        assert "2 player(s)" in err["error"]["message"]
        assert joined_count(db_path, s["session_id"]) == 4  # the refusal left no trace


async def test_the_server_default_and_what_it_does_not_limit(start_server, db_path):
    server = await start_server(max_per_firm=1)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        plain = await api.create(copies=1)
        assert plain["options"]["max_per_firm"] == 1
        await api.join(plain["code"], "a")
        await api.join(plain["code"], "b")
        status, err = await api.request("POST", "/api/join", {"code": plain["code"], "name": "c"})
        assert status == 409 and err["error"]["code"] == "session_full"
        # a lab's fixed seats are the researcher's design: three labels in one firm
        lab = await api.create(copies=1, labels={"L1": "west1", "L2": "west1", "L3": "west1"})
        seats = [await api.join(lab["code"], f"n{i}", label=f"L{i}") for i in (1, 2, 3)]
        assert {j["firm"] for j in seats} == {"west1"}
        # and a returning label gets its seat back even when the session is full
        listed = await api.create(copies=1, labels=["A", "B", "C"])
        a = await api.join(listed["code"], "a", label="A")
        await api.join(listed["code"], "b", label="B")
        status, err = await api.request("POST", "/api/join", {"code": listed["code"], "name": "c", "label": "C"})
        assert status == 409 and err["error"]["code"] == "session_full"
        again = await api.join(listed["code"], "a again", label="A", rejoin_code=a["rejoin_code"])
        assert again["rejoined"] is True
