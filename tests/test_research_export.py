"""Research exports end to end: a real session through the real server on loopback (two
people by client negotiating and playing one copy of the case, bots the other), exported
in every format over HTTP and from the command line, every file parsed back and counted
against the log, replayed through the engine with zero differences, and a counterfactual.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import zipfile

import pytest

from game_rules.__main__ import main as game_rules_main
from game_rules.rules import instantiate_terms
from game_rules.scenario import load_scenario, parse_scenario
from server import export as export_mod
from server.auth import token_hash
from server.codebook import EVENT_FIELDS, FACTS

from conftest import Client

NAMES = ("Alice Zebra", "Bob Yak")
LABELS = ("S-001", "S-002")
QUESTIONS = [{"id": "fair", "text": "Was the split fair?", "low": "not at all", "high": "completely"},
             {"id": "why", "text": "What would you do differently?", "kind": "text"},
             {"id": "intent", "text": "What was your firm's main aim?", "kind": "choice",
              "choices": ["learn", "earn", "both"]}]
FILES = {"manifest.json", "codebook.md", "events.csv", "rounds.csv", "chat.csv", "offers.csv",
         "questionnaire.csv", "players.csv", "sessions.csv", "log.jsonl", "alliance.sqlite"}


async def download(api, path: str, token: str | None) -> tuple[int, bytes | dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with api.http.get(api.url + path, headers=headers) as r:
        body = await r.read()
        if r.content_type == "application/json":
            return r.status, json.loads(body)
        assert r.content_type == "application/zip", r.content_type
        return r.status, body


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def read_csv(files: dict[str, bytes], name: str) -> tuple[list[str], list[dict]]:
    text = files[name].decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return reader.fieldnames, rows


def column_pattern(name: str) -> re.Pattern:
    parts = re.split(r"<[a-z_]+>", name)
    return re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$")


def documented(file: str, column: str) -> bool:
    return any(column_pattern(c.name).match(column) for c in export_mod.CSV_FILES[file])


async def play_session(server, api, clients, db_path) -> dict:
    """Create, negotiate (people), play three rounds (one submitted, one by draft, one by
    default for the second person), chat, answer the questionnaire, end. Returns what the
    checks need."""
    session = await api.create(scenario="classic", copies=2, rounds=3, negotiation=True, seed=11,
                               title="Export test", questionnaire=QUESTIONS)
    sid = session["session_id"]
    fac = await Client.login(server.url, session["facilitator_token"], binary=False, name="fac")
    clients.append(fac)
    people = []
    for name, label in zip(NAMES, LABELS):
        j = await api.join(session["code"], name, label=label)
        c = await Client.login(server.url, j["player_token"], binary=len(people) == 0, name=name.split()[0])
        c.joined = j
        clients.append(c)
        people.append(c)
    alice, bob = people
    assert (alice.joined["firm"], bob.joined["firm"]) == ("west1", "east1")
    await api.control(session, "fill_bots", strategy="balanced")  # copy 2
    await api.control(session, "start")

    # negotiation (copy 1 by people; the bots of copy 2 settle by themselves)
    await alice.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "negotiation")
    tpl = load_scenario("classic").alliances[0]
    terms = instantiate_terms(tpl, 1, 3).to_dict()
    terms["split"] = {"west1": 0.6, "east1": 0.4}
    await alice.ok("negotiate", action="offer", terms=terms)
    await bob.wait_for(lambda m: m["type"] == "negotiation" and m["negotiation"]["standing"])
    terms["split"] = {"west1": 0.5, "east1": 0.5}
    terms["release"] = "upfront"
    await bob.ok("negotiate", action="counter", terms=terms)
    await alice.wait_for(lambda m: m["type"] == "negotiation" and any(
        o["by"] == "east1" for o in m["negotiation"]["offers"]))
    await alice.ok("negotiate", action="accept")
    for c in people:
        c.view = (await c.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 1))["view"]

    # round 1: both submit (Alice answers the pulse survey); chat
    await alice.ok("submit", round=1, decision={"contribute": {"design": 30}, "absorb": {"manufacturing": 10},
                                               "survey": {"trust": 4, "surprise": 2}})
    await alice.ok("chat", to="firm", text="ready when you are")
    await bob.ok("chat", to="alliance", text="let us keep it fair")
    await bob.ok("submit", round=1, decision={"contribute": {"manufacturing": 25}, "develop": {"brand": 10}})
    await alice.wait_for(lambda m: m["type"] == "round_result" and m["round"] == 1)
    # round 2: Bob only drafts; the facilitator closes the round (his draft is played)
    await alice.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 2)
    await alice.ok("submit", round=2, decision={"contribute": {"design": 20}, "survey": {"trust": 3}})
    await bob.ok("draft", round=2, fields={"contribute": {"manufacturing": 15}, "protect": 5})
    await api.control(session, "end_round")
    await alice.wait_for(lambda m: m["type"] == "round_result" and m["round"] == 2)
    # round 3: Bob clears his draft and does nothing: the engine default is played
    await alice.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 3)
    await bob.ok("draft", fields={"contribute": None, "protect": None})
    await alice.ok("submit", round=3, decision={"contribute": {"design": 25}})
    await api.control(session, "end_round")
    await alice.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "debrief")

    # closing questionnaire
    status, body = await api.request("GET", "/api/questionnaire", token=alice.joined["player_token"])
    assert status == 200 and body["open"] and [q["id"] for q in body["questions"]] == ["fair", "why", "intent"]
    status, body = await api.request("POST", "/api/questionnaire", {"answers": {"fair": 9}},
                                     token=alice.joined["player_token"])
    assert status == 400 and body["error"]["code"] == "out_of_range"
    status, body = await api.request("POST", "/api/questionnaire", {"answers": {"fair": 4, "why": "Protect more",
                                                                                "intent": "both"}},
                                     token=alice.joined["player_token"])
    assert status == 200, body
    status, body = await api.request("POST", "/api/questionnaire", {"answers": {"fair": 2}},
                                     token=bob.joined["player_token"])
    assert status == 200, body
    await api.control(session, "end_session")
    con = sqlite3.connect(db_path)
    try:
        log_rows = con.execute("SELECT COUNT(*) FROM log WHERE session_id = ?", (sid,)).fetchone()[0]
        kinds = dict(con.execute("SELECT kind, COUNT(*) FROM log WHERE session_id = ? GROUP BY kind", (sid,)))
        facts = [(t, json.loads(d)) for t, d in con.execute(
            "SELECT type, data FROM log WHERE session_id = ? AND kind IN ('system', 'chat') ORDER BY seq", (sid,))]
    finally:
        con.close()
    return {"session": session, "sid": sid, "alice": alice, "bob": bob, "log_rows": log_rows, "kinds": kinds,
            "facts": facts}


async def test_export_every_format_replay_and_counterfactual(server, api, clients, db_path, tmp_path, capsys):
    s = await play_session(server, api, clients, db_path)
    sid, session = s["sid"], s["session"]
    path = f"/api/sessions/{sid}/export"

    # who may export: researcher and facilitator tokens (even after the end); never a player
    status, data = await download(api, path, session["researcher_token"])
    assert status == 200
    status, fac_data = await download(api, path, session["facilitator_token"])
    assert status == 200 and fac_data[:2] == b"PK"
    status, body = await download(api, path, s["alice"].joined["player_token"])
    assert status == 403 and body["error"]["code"] == "forbidden" and "player token" in body["error"]["message"]
    status, body = await download(api, path, None)
    assert status == 401 and body["error"]["code"] == "not_authenticated"
    status, body = await download(api, path, "not-a-token")
    assert status == 401 and body["error"]["code"] == "bad_token"
    other = await api.create(scenario="classic")
    status, body = await download(api, path, other["researcher_token"])
    assert status == 403 and body["error"]["code"] == "forbidden"

    files = unzip(data)
    assert FILES <= set(files) and f"scenarios/{sid}.toml" in files and f"config/{sid}.json" in files

    # names and labels: absent by default, anywhere in the archive (the SQLite file too)
    for secret in (*NAMES, *LABELS):
        assert not any(secret.encode() in b for b in files.values()), secret
    for tok in (session["facilitator_token"], session["researcher_token"], s["alice"].joined["player_token"],
                s["bob"].joined["player_token"]):  # neither the tokens nor their hashes (snapshots included)
        for secret in (tok, token_hash(tok)):
            assert not any(secret.encode() in b for b in files.values())

    # every file parses; row counts agree with the log
    manifest = json.loads(files["manifest.json"])
    assert manifest["sessions"] == [sid] and manifest["options"] == {"names": False, "labels": False, "wide": False}
    for name, info in manifest["files"].items():
        assert len(files[name]) == info["bytes"]
    jsonl = [json.loads(line) for line in files["log.jsonl"].decode("utf-8").splitlines()]
    assert len(jsonl) == s["log_rows"] == manifest["files"]["log.jsonl"]["rows"]
    assert [r["seq"] for r in jsonl] == list(range(1, s["log_rows"] + 1))
    assert all("token_hash" not in json.dumps(r["data"]) for r in jsonl)

    cols, events = read_csv(files, "events.csv")
    assert len(events) == s["log_rows"] == manifest["files"]["events.csv"]["rows"]
    assert cols == [c.name for c in export_mod.EVENTS_COLUMNS]
    assert {r["phase"] for r in events} == {"lobby", "negotiation", "execution", "debrief"}
    _, commands = read_csv(files, "commands.csv")
    assert all(r["player_id"] in ("", s["alice"].joined["player_id"], s["bob"].joined["player_id"]) for r in commands)
    assert sum(r["kind"] == "chat" for r in events) == s["kinds"]["chat"] == 2

    cols, rounds = read_csv(files, "rounds.csv")
    assert all(documented("rounds.csv", c) for c in cols), [c for c in cols if not documented("rounds.csv", c)]
    assert len(rounds) == 3 * 4  # rounds x firms
    closed = [d for t, d in s["facts"] if t == "round_closed"]
    for rc in closed:
        for firm in ("west1", "east1", "west2", "east2"):
            row = next(r for r in rounds if r["round"] == str(rc["round"]) and r["firm"] == firm)
            assert row["decision_source"] == rc["sources"][firm]
            assert row["submitted"] == ("TRUE" if rc["sources"][firm] in ("submitted", "bot") else "FALSE")
    bob2 = next(r for r in rounds if r["round"] == "2" and r["firm"] == "east1")
    assert (bob2["submitted"], bob2["decision_source"], bob2["decided_by"]) == ("FALSE", "draft", "")
    assert float(bob2["contribute.manufacturing"]) == 15.0 and float(bob2["protect"]) == 5.0
    bob3 = next(r for r in rounds if r["round"] == "3" and r["firm"] == "east1")
    assert (bob3["submitted"], bob3["decision_source"]) == ("FALSE", "default")
    assert float(bob3["contribute.manufacturing"]) == 15.0  # the minimum effort of the terms: the default
    alice1 = next(r for r in rounds if r["round"] == "1" and r["firm"] == "west1")
    assert (alice1["survey.trust"], alice1["survey.surprise"], alice1["decided_by"]) == \
        ("4", "2", s["alice"].joined["player_id"])
    assert alice1["survey_other"] == "" and alice1["players"] == "1"
    bot = next(r for r in rounds if r["firm"] == "east2")
    assert (bot["bot"], bot["decision_source"], bot["players"]) == ("balanced", "bot", "0")
    for r in rounds:
        float(r["cash"]), float(r["score.total"]), int(r["score.rank"])
        json.loads(r["withhold"]), json.loads(r["alliances"])

    cols, chat = read_csv(files, "chat.csv")
    assert len(chat) == 2 and "sender_name" not in cols
    assert [c["text"] for c in chat] == ["ready when you are", "let us keep it fair"]
    assert chat[1]["channel"] == "alliance:a1" and chat[1]["alliance"] == "a1"

    cols, offers = read_csv(files, "offers.csv")
    moves = [d for t, d in s["facts"] if t == "negotiation_move"]
    signed = [d for t, d in s["facts"] if t == "alliance_signed"]
    assert len(offers) == len(moves) + len(signed)
    a1 = [o for o in offers if o["negotiation"] == "a1"]
    assert [o["action"] for o in a1] == ["offer", "counter", "accept", "signed"]
    assert [o["split.a"] for o in a1] == ["0.6", "0.5", "0.5", "0.5"]
    assert a1[2]["terms_source"] == "accepted" and a1[3]["release"] == "upfront"
    assert json.loads(a1[3]["terms"]) == signed[0]["terms"] or any(json.loads(a1[3]["terms"]) == x["terms"] for x in signed)

    _, answers = read_csv(files, "questionnaire.csv")
    assert sorted((a["question"], a["answer"]) for a in answers) == \
        [("fair", "2"), ("fair", "4"), ("intent", "both"), ("why", "Protect more")]
    cols, players = read_csv(files, "players.csv")
    assert "name" not in cols and "label" not in cols
    assert {(p["player_id"], p["firm"], p["consent"]) for p in players} == {
        (s["alice"].joined["player_id"], "west1", "not_asked"), (s["bob"].joined["player_id"], "east1", "not_asked")}
    _, sessions = read_csv(files, "sessions.csv")
    assert len(sessions) == 1 and sessions[0]["log_rows"] == str(s["log_rows"])
    assert sessions[0]["replay_differences"] == "0" and sessions[0]["rounds_played"] == "3"
    assert sessions[0]["status"] == "ended"

    db = tmp_path / "export.sqlite"
    db.write_bytes(files["alliance.sqlite"])
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT COUNT(*) FROM log").fetchone()[0] == s["log_rows"]
        assert con.execute("SELECT COUNT(DISTINCT session_id) FROM log").fetchone()[0] == 1
        assert con.execute("SELECT facilitator_token_hash, researcher_token_hash FROM sessions").fetchall() == [(None, None)]
        assert con.execute("SELECT COUNT(*) FROM players WHERE token_hash IS NOT NULL OR name IS NOT NULL").fetchone()[0] == 0
    finally:
        con.close()

    parse_scenario(files[f"scenarios/{sid}.toml"].decode("utf-8"))
    config = json.loads(files[f"config/{sid}.json"])
    assert config["replay"]["differences"] == 0 and config["options"]["questionnaire"][0]["id"] == "fair"
    assert files["codebook.md"].decode("utf-8").startswith("# Codebook")

    # every fact's fields are in the codebook; every engine event field too
    for t, d in s["facts"]:
        assert t in FACTS and set(d) <= set(FACTS[t]), (t, set(d) - set(FACTS.get(t, {})))
    for r in jsonl:
        if r["kind"] == "event":
            assert set(r["data"]) <= set(EVENT_FIELDS), r["data"]["type"]

    # names and labels only when asked for
    status, named = await download(api, path + "?names=1&labels=1", session["researcher_token"])
    named = unzip(named)
    cols, players = read_csv(named, "players.csv")
    assert {p["name"] for p in players} == set(NAMES) and {p["label"] for p in players} == set(LABELS)
    assert "sender_name" in read_csv(named, "chat.csv")[0]
    assert b"Alice Zebra" in named["log.jsonl"]
    assert json.loads(named["manifest.json"])["options"] == {"names": True, "labels": True, "wide": False}

    # replay: every round recomputed, no difference (archive and JSON Lines alike)
    archive = tmp_path / "export.zip"
    archive.write_bytes(data)
    capsys.readouterr()
    assert game_rules_main(["replay", str(archive)]) == 0
    assert f"{sid}: 3 round(s) replayed, no differences" in capsys.readouterr().out
    (tmp_path / "log.jsonl").write_bytes(files["log.jsonl"])
    assert game_rules_main(["replay", str(tmp_path / "log.jsonl")]) == 0

    # counterfactual: the same decisions, a larger value scale: results differ, same format
    out = tmp_path / "cf.csv"
    assert game_rules_main(["replay", str(archive), "--set", "value_scale=6", "--out", str(out)]) == 0
    with open(out, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        cf = list(reader)
    assert reader.fieldnames == read_csv(files, "rounds.csv")[0]
    assert len(cf) == len(rounds)
    assert [r["decision_source"] for r in cf] == [r["decision_source"] for r in rounds]
    differ = [(a["firm"], a["round"]) for a, b in zip(rounds, cf) if float(a["cash"]) != float(b["cash"])]
    assert differ and all(float(b["cash"]) >= float(a["cash"]) for a, b in zip(rounds, cf))

    # a tampered log is caught, with a report and exit code 1
    tampered = [dict(r) for r in jsonl]
    victim = next(r for r in tampered if r["type"] == "firm_result")
    victim["data"] = {**victim["data"], "cash": victim["data"]["cash"] + 1.0}
    bad = tmp_path / "tampered.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in tampered), encoding="utf-8")
    capsys.readouterr()
    assert game_rules_main(["replay", str(bad)]) == 1
    report = capsys.readouterr().out
    assert "1 difference(s)" in report and f"firm_result {victim['data']['firm']}.cash" in report

    # the command line makes the same files
    assert export_mod.main(["--db", str(db_path), "--session", sid, "--out", str(tmp_path / "cli")]) == 0
    made = list((tmp_path / "cli").glob("*.zip"))
    assert len(made) == 1
    cli = unzip(made[0].read_bytes())
    for name in ("events.csv", "rounds.csv", "chat.csv", "offers.csv", "questionnaire.csv", "players.csv", "log.jsonl"):
        assert cli[name] == files[name], name
    assert export_mod.main(["--db", str(db_path), "--session", "s_nope", "--out", str(tmp_path / "cli")]) == 2


async def test_export_of_several_sessions(server, api, clients, db_path, tmp_path):
    """POST /api/export with several tokens; `--all` from the command line; a live session
    exports what it has so far."""
    made = [await api.create(scenario="classic", rounds=1, negotiation=False, seed=i) for i in range(2)]
    for s in made:
        await api.control(s, "fill_bots")
        await api.control(s, "start")  # bots play the single round at once
    async with api.http.post(api.url + "/api/export", json={"tokens": [made[0]["researcher_token"],
                                                                     made[1]["facilitator_token"]]}) as r:
        assert r.status == 200 and r.content_type == "application/zip"
        files = unzip(await r.read())
    _, sessions = read_csv(files, "sessions.csv")
    assert [x["session_id"] for x in sessions] == [s["session_id"] for s in made]
    assert all(x["status"] == "live" and x["replay_differences"] == "0" for x in sessions)
    _, rounds = read_csv(files, "rounds.csv")
    assert len(rounds) == 2 * 2 and {r["session_id"] for r in rounds} == {s["session_id"] for s in made}
    _, per_alliance = read_csv(files, "alliance_rounds.csv")  # the tidy tables keep the sessions apart
    assert {(r["session_id"], r["round"], r["firm"]) for r in per_alliance} == {
        (r["session_id"], r["round"], r["firm"]) for r in rounds if json.loads(r["alliances"])} != set()
    j = await api.join(made[0]["code"], "Late Person")
    async with api.http.post(api.url + "/api/export", json={"tokens": [j["player_token"]]}) as r:
        assert r.status == 403 and (await r.json())["error"]["code"] == "forbidden"
    async with api.http.post(api.url + "/api/export", json={"tokens": []}) as r:
        assert r.status == 400
    assert export_mod.main(["--db", str(db_path), "--all", "--out", str(tmp_path)]) == 0
    cli = unzip(next(tmp_path.glob("*.zip")).read_bytes())
    assert len(read_csv(cli, "sessions.csv")[1]) == 2
    assert game_rules_main(["replay", str(next(tmp_path.glob("*.zip")))]) == 0


@pytest.mark.parametrize("value", [None, 3, 2.5, "x", True, [1], {"a": 1}])
def test_csv_cell_is_one_documented_form(value):
    from game_rules.csv_cells import csv_cell
    out = csv_cell(value)
    expected = {None: "", 3: "3", 2.5: "2.5", "x": "x", True: "TRUE"}
    key = value if not isinstance(value, (list, dict)) else None
    if isinstance(value, (list, dict)):
        assert json.loads(out) == value
    else:
        assert out == expected[key]
