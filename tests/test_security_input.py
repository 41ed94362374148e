"""Hostile input at the edges (issue 13, item 6), against the real server:

- static file paths with a NUL byte, other control characters, bytes that are not UTF-8,
  encoded `..`, backslashes or absurd lengths, sent as raw HTTP request lines: always a
  400 or 404, never a 500 (the file system refuses such names with exceptions);
- player names (server/names.py): invisible characters (controls, bidirectional
  overrides and isolates, zero-width characters) are removed before anyone sees the name;
  a name that is empty afterwards, or that imitates a role (facilitator, server, admin,
  system, moderator, bot, in any case, spacing, punctuation, full-width letters or
  lookalike letters), is refused with `400 bad_name`; participant labels lose the same
  invisible characters.
"""
from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from conftest import Client

# ---- static paths ----------------------------------------------------------------------------

BAD_STATIC = [
    "/static/%00", "/static/js/%00player.js", "/static/js/player.js%00.txt", "/static/%00/../run.py",
    "/static/%0a.js", "/static/js/%0d%0aSet-Cookie:%20x=1.js", "/static/%7f.js",
    "/static/%ff", "/static/%ff%fe.js", "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/run.py",
    "/static/..%2f..%2fetc/passwd", "/static/%2e%2e/%2e%2e/server/app.py", "/static/js/..%5c..%5crun.py",
    "/static/js\\..\\..\\run.py", "/static/js%5cplayer.js", "/static/C:%5cWindows%5cwin.ini",
    "/static/" + "a" * 300 + ".js", "/static/" + "a/" * 3000 + "x.js", "/static/" + "%41" * 2000 + ".css",
    "/static/js/player.js/", "/static/js//player.js", "/static/%2fetc%2fpasswd",
    "/join%00", "/qr/%00%00%00%00.svg", "/qr/" + "A" * 5000 + ".svg",
]


async def _status(port: int, target: str) -> int:
    """The status of `GET target` sent as it is (no client library normalising it)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode("latin-1"))
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 10)
        return int(line.split()[1])
    finally:
        writer.close()
        await writer.wait_closed()


async def test_bad_static_paths_are_400_or_404_never_500(server):
    assert await _status(server.port, "/static/js/player.js") == 200  # the route itself works
    answers = {path: await _status(server.port, path) for path in BAD_STATIC}
    assert {p[:60]: s for p, s in answers.items() if s not in (400, 404)} == {}
    assert await _status(server.port, "/healthz") == 200


# ---- player names ------------------------------------------------------------------------------

ROLE_LIKE = ["Facilitator", "facilitator", "F a c i l i t a t o r", "facilitator!", "-Facilitator-",
             "ＦＡＣＩＬＩＴＡＴＯＲ", "Fаcilitator",  # a Cyrillic а
             "SERVER", "Sérvér", "admin", "Admin.", "System", "s.y.s.t.e.m", "Moderator", "bot", "B O T",
             "\u202efacilitator\u202c", "fac\u200bili\u200dtator"]
INVISIBLE_ONLY = ["\u200b", "\u200b\u200c\u200d\u2060\ufeff", "\u202a\u202b\u202c\u202d\u202e",
                  "\u2066\u2067\u2068\u2069", "\x07\x1b\x7f", "\u3164", " \u00ad "]


async def test_names_that_are_empty_or_imitate_a_role_are_refused(api):
    s = await api.create(copies=1, negotiation=False)
    for name in ROLE_LIKE + INVISIBLE_ONLY:
        status, body = await api.request("POST", "/api/join", {"code": s["code"], "name": name})
        assert status == 400 and body["error"]["code"] == "bad_name", (name, status, body)
        message = body["error"]["message"]
        assert message.startswith("name: ") and ("role" in message or "visible" in message), message
    assert (await api.summary(s))["status"]["players"] == []  # nobody was seated
    # ordinary names, also ones that contain a role word, are welcome
    for name in ("Botond", "Admin Team B", "Serverine", "Ann the facilitator's friend", "Zoë", "李雷"):
        assert (await api.join(s["code"], name))["player_id"]


async def test_invisible_characters_are_removed_from_names(server, api, clients, db_path):
    s = await api.create(copies=1, negotiation=False)
    typed = {
        "\u202eAnn\u202c": "Ann",                   # right-to-left override
        "Bea\u2066trix\u2069": "Beatrix",           # an isolate
        "Ca\u200bl\u200dvin\ufeff": "Calvin",       # zero-width space, joiner, BOM
        "Dora\x00\x1b[2J": "Dora[2J",               # NUL and the escape of a terminal sequence
        "  Emil\n\tvan\u00a0Dam  ": "Emil van Dam",  # line breaks, tabs and odd spaces: one space
        "Finn\u2028Gray\u2060": "Finn Gray",         # a line separator, a word joiner
    }
    joined = {want: await api.join(s["code"], name) for name, want in typed.items()}
    names = {p["name"] for p in (await api.summary(s))["status"]["players"]}
    assert names == set(typed.values())
    # the players see each other's clean names, and the log holds them
    c = await Client.login(server.url, joined["Ann"]["player_token"], name="ann")
    clients.append(c)
    team = {p["name"] for p in c.view["team"]}
    assert "Ann" in team and team <= set(typed.values()) and c.view["me"]["name"] == "Ann"
    con = sqlite3.connect(db_path)
    try:
        logged = {json.loads(d)["name"] for (d,) in con.execute(
            "SELECT data FROM log WHERE session_id = ? AND type = 'player_joined'", (s["session_id"],))}
    finally:
        con.close()
    assert logged == set(typed.values())


async def test_labels_lose_invisible_characters(api):
    s = await api.create(copies=1, negotiation=False, labels=["L01", "L02"])
    first = await api.join(s["code"], "Ann", label="\u200bL01\u200b")  # pasted from a web page
    again = await api.join(s["code"], "Ann again", label="L01\u2060", rejoin_code=first["rejoin_code"])
    assert again["player_id"] == first["player_id"] and again["rejoined"] is True
    status, body = await api.request("POST", "/api/join", {"code": s["code"], "name": "Eve", "label": "\u202eL02"})
    assert status == 200, body  # the override is removed, the label is on the list
    players = (await api.summary(s))["status"]["players"]
    assert sorted(p["label"] for p in players) == ["L01", "L02"]


@pytest.mark.parametrize("name", ["facilitator", "\u200b"])
async def test_a_refused_name_counts_as_a_failed_join(api, name):
    """Refused names are bad input like any other: they spend the address's join budget."""
    s = await api.create(copies=1, negotiation=False)
    statuses = set()
    for _ in range(40):
        status, _ = await api.request("POST", "/api/join", {"code": s["code"], "name": name})
        statuses.add(status)
    assert statuses == {400, 429}
