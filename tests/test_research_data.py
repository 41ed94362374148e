"""Research data a researcher can trust without cleaning (issue 17, data fixes), through the
real server on loopback: a person and a live bot (the project's own `LiveBot.join`) join a
consent session whose treatment sets the term sheet's release; the person negotiates the
treatment's terms away; server seat bots play the other copy. The export must say who is a
bot (`is_bot`, also on the facilitator's roster), which terms were in force and whether they
match the treatment, the participant's language and consent time, the chat lines' client
times (also for a log written before chat lines carried them), and where it comes from
(package, git commit, dependencies). `replay --set` refuses what it cannot honour and writes
its overrides into its output.
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import zipfile
from contextlib import closing
from importlib import metadata
from pathlib import Path

from clients.python.live_bots import LiveBot
from game_rules.__main__ import main as game_rules_main
from game_rules.rules import instantiate_terms
from game_rules.scenario import load_scenario
from server.export import build_archive

from conftest import Client

ROOT = Path(__file__).resolve().parent.parent
CONSENT = "We record your moves for research."
CHAT_SENT_AT = 1_790_000_000.25  # the client's own clock, as it says it sent the line


def rows_of(files: dict[str, bytes], name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(files[name].decode("utf-8"), newline="")))


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


async def seat(api, joined: dict) -> dict:
    """Give consent with the token a join returned (`consent_required`); returns the seat
    and the token."""
    assert joined.get("consent_required"), joined
    status, body = await api.request("POST", "/api/consent", {"consent": True}, token=joined["player_token"])
    assert status == 200, body
    return {**body, "player_token": joined["player_token"]}


async def play(server, api, clients) -> dict:
    session = await api.create(scenario="classic", copies=2, rounds=2, negotiation=True, seed=5,
                               consent_text=CONSENT, study="compliance",
                               treatments={"upfront": {"terms.release": "upfront"}},
                               assignment="fixed", treatment="upfront")
    code = session["code"]
    ada = await seat(api, await api.join(code, "Ada", language="fr-CA"))
    bot = await LiveBot.join(server.url, code, "Robo", "balanced")  # the project's live bot client
    await bot.client.close()  # this test plays the bot's seat itself, move by move
    robo = await seat(api, bot.joined)
    assert (ada["firm"], robo["firm"]) == ("west1", "east1")

    roster = {p["player_id"]: p for p in (await api.summary(session))["status"]["players"]}
    assert roster[ada["player_id"]]["is_bot"] is False and roster[robo["player_id"]]["is_bot"] is True

    a = await Client.login(server.url, ada["player_token"], binary=False, name="ada")
    r = await Client.login(server.url, robo["player_token"], binary=True, name="robo")
    clients += [a, r]
    await api.control(session, "fill_bots", strategy="balanced")  # copy 2: server seat bots
    await api.control(session, "start")

    # the treatment's default terms release upfront; the partners agree on staged instead
    await a.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "negotiation")
    terms = instantiate_terms(load_scenario("classic").alliances[0], 1, 2).to_dict()
    terms.update(release="staged", split={"west1": 0.55, "east1": 0.45})
    await a.ok("negotiate", action="offer", terms=terms)
    await r.wait_for(lambda m: m["type"] == "negotiation" and m["negotiation"]["standing"])
    await r.ok("negotiate", action="accept")
    await a.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 1)

    # round 1: both submit, the person chats; round 2: the bot client does nothing
    await a.ok("submit", round=1, decision={"contribute": {"design": 20}})
    await a.ok("chat", to="alliance", text="hello partner", client_time=CHAT_SENT_AT)
    await r.ok("submit", round=1, decision={"contribute": {"manufacturing": 20}})
    await a.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 2)
    await a.ok("submit", round=2, decision={"contribute": {"design": 10}})
    await api.control(session, "end_round")
    await a.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "debrief")
    await api.control(session, "end_session")
    return {"session": session, "ada": ada, "robo": robo}


async def test_bots_terms_language_chat_time_and_provenance_in_the_export(server, api, clients, db_path, tmp_path):
    s = await play(server, api, clients)
    sid = s["session"]["session_id"]
    async with api.http.get(f"{api.url}/api/sessions/{sid}/export",
                            headers={"Authorization": f"Bearer {s['session']['researcher_token']}"}) as resp:
        assert resp.status == 200
        archive = tmp_path / "export.zip"
        archive.write_bytes(await resp.read())
    files = unzip(archive.read_bytes())

    # players.csv: who is a bot, the language the browser sent, when consent was given
    players = {p["player_id"]: p for p in rows_of(files, "players.csv")}
    ada, robo = players[s["ada"]["player_id"]], players[s["robo"]["player_id"]]
    assert (ada["is_bot"], ada["language"], ada["consent"]) == ("FALSE", "fr-CA", "given")
    assert (robo["is_bot"], robo["language"], robo["consent"]) == ("TRUE", "", "given")
    with closing(sqlite3.connect(db_path)) as con:
        consents = {json.loads(d)["player_id"]: json.loads(d)["time"] for (d,) in con.execute(
            "SELECT data FROM log WHERE session_id = ? AND type = 'consent_given'", (sid,))}
    assert float(ada["consent_at"]) == consents[s["ada"]["player_id"]]
    assert float(ada["consent_at"]) <= float(ada["joined_at"])

    # rounds.csv: a person's rows, a declared bot's (submitted, then its default), seat bots'
    rounds = {(r["round"], r["firm"]): r for r in rows_of(files, "rounds.csv")}
    seen = {k: (r["decision_source"], r["is_bot"]) for k, r in rounds.items()}
    assert seen[("1", "west1")] == seen[("2", "west1")] == ("submitted", "FALSE")
    assert seen[("1", "east1")] == ("submitted", "TRUE")
    assert seen[("2", "east1")][1] == "TRUE" and seen[("2", "east1")][0] in ("draft", "default")
    assert all(seen[(n, f)] == ("bot", "TRUE") for n in ("1", "2") for f in ("west2", "east2"))

    # compliance: copy 1 negotiated the treatment's release away, copy 2 kept the default
    for n in ("1", "2"):
        for f, release, match in (("west1", "staged", "FALSE"), ("east1", "staged", "FALSE"),
                                  ("west2", "upfront", "TRUE"), ("east2", "upfront", "TRUE")):
            row = rounds[(n, f)]
            assert (row["treatment"], row["terms.release"], row["terms_match_treatment"]) == \
                ("upfront", release, match), (n, f)
    assert (rounds[("1", "west1")]["terms.share"], rounds[("1", "east1")]["terms.share"]) == ("0.55", "0.45")
    in_force = json.loads(rounds[("1", "west1")]["terms_in_force"])
    assert list(in_force) == json.loads(rounds[("1", "west1")]["alliances"])
    assert next(iter(in_force.values()))["release"] == "staged"

    # chat.csv: the time the client said it sent the line
    chat = rows_of(files, "chat.csv")
    assert [(c["text"], float(c["client_time"])) for c in chat] == [("hello partner", CHAT_SENT_AT)]

    # manifest: the code that made the export
    manifest = json.loads(files["manifest.json"])
    assert manifest["package_version"] == metadata.version("alliance-game")
    assert manifest["dependencies"] == {d: metadata.version(d) for d in
                                        ("aiohttp", "websockets", "msgpack", "sqlite-utils", "pydantic")}
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert manifest["git_commit"] == (head.stdout.strip() if head.returncode == 0 else None)

    # replay --set: refused when it cannot be honoured; the overrides travel with the output
    assert game_rules_main(["replay", str(archive)]) == 0
    for bad in ("rounds=5", "estimate_noise=3"):
        assert game_rules_main(["replay", str(archive), "--set", bad]) == 2, bad
    out = tmp_path / "cf.csv"
    assert game_rules_main(["replay", str(archive), "--set", "rounds=1", "--set", "value_scale=5",
                            "--out", str(out)]) == 0
    cf = list(csv.DictReader(io.StringIO(out.read_text("utf-8"), newline="")))
    assert cf and {r["round"] for r in cf} == {"1"}
    assert all(json.loads(r["counterfactual"]) == {"rounds": "1", "value_scale": "5"} for r in cf)


async def test_logs_written_before_these_fields_still_export(server, api, clients, db_path):
    """A log from before: chat lines without the client's time (it was on the `chat` command's
    row only) and joins without `is_bot` or `language`. The export still finds the chat
    line's client time, and such players are people with no language."""
    s = await play(server, api, clients)
    sid = s["session"]["session_id"]
    with closing(sqlite3.connect(db_path)) as con, con:
        con.execute("UPDATE log SET client_time = NULL WHERE session_id = ? AND kind = 'chat'", (sid,))
        con.execute("UPDATE log SET data = json_remove(data, '$.is_bot', '$.language') "
                    "WHERE session_id = ? AND type = 'player_joined'", (sid,))
    files = unzip(build_archive(db_path, [sid])[0])
    assert [float(c["client_time"]) for c in rows_of(files, "chat.csv")] == [CHAT_SENT_AT]
    assert {(p["is_bot"], p["language"]) for p in rows_of(files, "players.csv")} == {("FALSE", "")}
    assert {r["is_bot"] for r in rows_of(files, "rounds.csv") if r["firm"] in ("west1", "east1")} == {"FALSE"}


async def test_join_refuses_a_bad_language_or_bot_flag(server, api):
    session = await api.create(scenario="classic")
    for body, field in (({"language": "fr_CA;drop"}, "language"), ({"language": "x" * 40}, "language"),
                        ({"bot": "yes"}, "bot"), ({"bot": 1}, "bot")):
        status, reply = await api.request("POST", "/api/join", {"code": session["code"], "name": "Eve", **body})
        assert status == 400 and reply["error"]["message"].startswith(f"{field}:"), (body, reply)
    ok = await api.join(session["code"], "Eve", language="pt-BR", bot=False)
    roster = (await api.summary(session))["status"]["players"]
    assert [(p["player_id"], p["is_bot"]) for p in roster] == [(ok["player_id"], False)]
