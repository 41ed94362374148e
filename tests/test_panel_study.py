"""An online panel study through the real server (issue 17, "Done when"): participants arrive
by study links at random moments, wait in the waiting room, are formed into groups (one
session each), bots fill where the study's rules say, a dropout is replaced by a bot (and
can come back), everyone gets the right completion code, the payments file adds up, and
pandas reads the export.

Timers are the server's (short timeouts set in the study file); the test waits for the
messages and answers they cause. The only `asyncio.sleep` is the arrival schedule: it
decides *when* people arrive, never what the test waits for."""
from __future__ import annotations

import asyncio
import io
import random
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from tests.conftest import Client
from r_schema import r_reads_every_csv
from test_research_snippets import missing_tool

STUDY = """
name = "panel-test"
title = "Panel test"
scenario = "classic"

[session]
copies = 2
rounds = 2
round_seconds = 30
negotiation = false

[treatments]
staged = {}
upfront = { "terms.release" = "upfront" }

[assignment]
method = "balanced"
seed = 5

[participants]
consent = "I agree to take part."
instructions = "Decide each round with your firm."

[panel]
people_per_firm = 1
quorum = 4
min_people = 2
waiting_seconds = 1.5
dropout_seconds = 2.0       # long enough for 8 logins on a loaded 2-core machine
unfilled = "bots"
bot_strategy = "balanced"
debrief_seconds = 0.4

[payments]
currency = "EUR"
participation_fee = 2.00
points = "cash"
per_point = 0.01
max_bonus = 3.00
fee_for = ["completed", "no_group"]

[completion]
code = "DONE1"
dropout_code = "DROP1"
no_group_code = "NOGRP1"
redirect_url = "https://panel.example/complete?cc={code}"
"""
CODES = {"completed": "DONE1", "dropout": "DROP1", "no_group": "NOGRP1"}


async def arrive(api, code: str, pid: str, delay: float) -> dict:
    """One participant opens the study link (`?code=...&PROLIFIC_PID=...`): no name, the
    panel id as label; consent (with the instructions) comes first, then the seat."""
    await asyncio.sleep(delay)  # the arrival schedule
    status, j = await api.request("POST", "/api/join", {"code": code, "label": pid, "language": "de-DE"})
    assert status == 200, j
    assert j["consent_required"] and j["instructions"] == "Decide each round with your firm."
    status, seat = await api.request("POST", "/api/consent", {"consent": True}, token=j["player_token"])
    assert status == 200 and seat["consented"], seat
    return {"pid": pid, "token": j["player_token"], **seat}


async def submit(c: Client, rnd: int) -> None:
    """Submit round `rnd` as soon as it is open (the group may still be waiting)."""
    while True:
        r = await c.cmd("submit", round=rnd)
        if r["type"] == "ack":
            return
        assert r["code"] in ("wrong_phase", "stale_round"), r
        await c.wait_for(lambda m: m["type"] == "clock" and m.get("phase") == "execution" and m.get("round") == rnd)


async def play(c: Client, rounds: int) -> dict:
    for rnd in range(1, rounds + 1):
        await submit(c, rnd)
        await c.wait_for(lambda m: m["type"] == "round_result" and m["round"] == rnd, timeout=15)
    done = await c.wait_for(lambda m: m["type"] == "completion", timeout=15)
    await c.wait_for(lambda m: m["type"] == "session_ended", timeout=15)
    return done


async def drop_out(c: Client) -> None:
    """Leave in round 1, before the firm decides: the socket closes for good."""
    if c.view["phase"] != "execution":
        await c.wait_for(lambda m: m["type"] == "clock" and m.get("phase") == "execution" and m.get("round") == 1)
    await c.close()


async def completion(api, token: str) -> dict:
    status, body = await api.request("GET", "/api/completion", token=token)
    assert status == 200, body
    return body


async def export(api, token: str) -> zipfile.ZipFile:
    async with api.http.post(api.url + "/api/export", json={"tokens": [token], "payments": True}) as r:
        assert r.status == 200, await r.text()
        return zipfile.ZipFile(io.BytesIO(await r.read()))


async def test_a_panel_study_from_links_to_payments(api, server, clients, tmp_path):
    study = await api.create(study_file=STUDY)
    link = study["code"]
    assert "PROLIFIC_PID={{%PROLIFIC_PID%}}" in study["study_link"]
    rng = random.Random(17)
    pids = [f"{rng.getrandbits(96):024x}" for _ in range(12)]  # Prolific-like participant ids

    # 8 arrive at random moments: the first four seated form group 1 (quorum), the next four group 2
    seated = await asyncio.gather(*(arrive(api, link, pid, rng.uniform(0, 0.2)) for pid in pids[:8]))
    groups: dict[str, list[dict]] = {}
    for s in seated:
        groups.setdefault(s["session_id"], []).append(s)
    assert sorted(len(g) for g in groups.values()) == [4, 4]
    g1, g2 = groups.values()
    for g in (g1, g2):
        assert sorted(p["firm"] for p in g) == ["east1", "east2", "west1", "west2"]  # one person per firm
    conns = {}
    for s in seated:
        c = await Client.login(server.url, s["token"], name=s["pid"][:6])
        clients.append(c)
        conns[s["pid"]] = c
        assert c.view["me"]["name"].startswith("Player ")  # a pseudonym, never the panel id
    dropout = g2[1]
    plays = [asyncio.create_task(play(conns[p["pid"]], 2)) for p in g1 + g2 if p is not dropout]
    await drop_out(conns[dropout["pid"]])

    # 3 more: group 3 waits, never reaches its quorum of 4; after the wait a bot takes the empty firm
    third = await asyncio.gather(*(arrive(api, link, pid, rng.uniform(0, 0.1)) for pid in pids[8:11]))
    assert len({s["session_id"] for s in third}) == 1 and third[0]["session_id"] not in groups
    for s in third:
        c = await Client.login(server.url, s["token"], name=s["pid"][:6])
        clients.append(c)
        plays.append(asyncio.create_task(play(c, 2)))
    # the last one arrives after group 3 has started: alone, below min_people, the group fails
    await seen(c, lambda m: m["type"] == "clock" and m.get("phase") == "execution")
    last = await arrive(api, link, pids[11], 0)
    assert last["session_id"] not in {third[0]["session_id"], *groups}
    lone = await Client.login(server.url, last["token"], name="last")
    clients.append(lone)
    got = await lone.wait_for(lambda m: m["type"] == "completion", timeout=15)
    assert got["status"] == "no_group" and got["code"] == "NOGRP1"
    assert got["redirect_url"] == "https://panel.example/complete?cc=NOGRP1"
    await lone.wait_for(lambda m: m["type"] == "session_ended")

    pushed = await asyncio.gather(*plays)  # every round closed without waiting for the 30 s clock
    assert all(p["status"] == "completed" and p["code"] == "DONE1" for p in pushed)

    # everyone's code over HTTP (also after the session ended, also the dropout who never came back)
    everyone = seated + third + [last]
    expected = {p["pid"]: ("dropout" if p is dropout else "no_group" if p is last else "completed")
                for p in everyone}
    for p in everyone:
        c = await completion(api, p["token"])
        assert (c["status"], c["code"]) == (expected[p["pid"]], CODES[expected[p["pid"]]]), (p["pid"], c)

    # the export: one researcher token exports every group of the study
    z = await export(api, study["researcher_token"])
    # the panel snippet of docs/research.md runs on this export
    (tmp_path / "export.zip").write_bytes(z.fp.getvalue())
    doc = (Path(__file__).resolve().parent.parent / "docs" / "research.md").read_text("utf-8")
    snippet = re.search(r"^```python panel\n(.*?)^```", doc, re.S | re.M).group(1)
    ran = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0 and "completed" in ran.stdout, ran.stderr
    # base R reads every file too, each column as the codebook says (R is installed by the test set-up)
    rscript = shutil.which("Rscript")
    if rscript is None:
        missing_tool("R is not installed: run `bash scripts/install_test_tools.sh` (part of `make install-test`)")
    assert "payments.csv" in r_reads_every_csv(rscript, tmp_path / "export.zip", tmp_path)
    read = lambda n: pd.read_csv(z.open(n), keep_default_na=False, na_values=[""], low_memory=False)
    for name in z.namelist():
        if name.endswith(".csv"):
            read(name)  # pandas reads every file
    sessions = read("sessions.csv")
    assert len(sessions) == 4 and sessions["study_sha256"].nunique() == 1
    assert sorted(sessions["treatment"]) == ["staged", "staged", "upfront", "upfront"]  # balanced
    rounds = read("rounds.csv")
    d_rounds = rounds[(rounds["session_id"] == dropout["session_id"]) & (rounds["firm"] == dropout["firm"])]
    assert d_rounds["decision_source"].tolist() == ["bot", "bot"]  # the bot played the dropout's firm
    g3 = rounds[rounds["session_id"] == third[0]["session_id"]]
    assert (g3["decision_source"] == "bot").sum() == 2  # one bot firm, two rounds
    assert "events_wide.csv" not in z.namelist()  # no sparse wide table unless asked for
    # is_bot says who decided: the seat bots (dropout, unfilled seat), never a person
    assert (rounds["is_bot"] == (rounds["decision_source"] == "bot")).all()
    assert rounds["terms_match_treatment"].dropna().astype(bool).all()  # nobody negotiated the treatment away
    values = read("event_values.csv")  # the log's payloads, long: one family widened at a time

    def family(type_):
        v = values[values["type"] == type_].copy()
        v["value"] = v["number"].astype(object).where(v["number"].notna(), v["text"])
        return v.pivot_table(index=["session_id", "seq"], columns="key", values="value",
                             aggfunc="first").reset_index()
    dropped = family("participant_dropped")
    assert len(dropped) == 1 and dropped["data.player_id"].iloc[0] == dropout["player_id"]
    assert dropped["data.at"].iloc[0] - dropped["data.disconnected_at"].iloc[0] >= 2.0
    closed = family("round_closed")
    closed = closed[closed["session_id"] == dropout["session_id"]].sort_values("seq")
    assert closed["data.reason"].tolist() == ["all_submitted", "all_submitted"]  # never the clock

    assert set(read("players.csv")["language"]) == {"de-DE"}  # the language each browser sent at the join
    pay = read("payments.csv")
    assert len(pay) == 12 and set(pay["label"]) == set(pids)
    final = rounds[rounds["round"] == rounds.groupby("session_id")["round"].transform("max")]
    cash = {(r.session_id, r.firm): r.cash for r in final.itertuples()}
    for r in pay.itertuples():
        assert r.status == expected[r.label] and r.completion_code == CODES[r.status]
        fee = Decimal("2.00") if r.status in ("completed", "no_group") else Decimal("0")
        bonus = Decimal("0")
        if r.status == "completed":
            assert r.points == cash[(r.session_id, r.firm)]
            bonus = min(Decimal("3.00"), max(Decimal("0"), Decimal(repr(r.points)) * Decimal("0.01")))
        bonus = bonus.quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert (Decimal(str(r.participation_fee)), Decimal(str(r.bonus))) == (fee, bonus)
        assert Decimal(str(r.total)).quantize(Decimal("0.01")) == fee + bonus
    assert round(pay["total"].sum(), 2) == round(pay["participation_fee"].sum() + pay["bonus"].sum(), 2)
    assert "payments.csv" not in (await export_plain(api, study["researcher_token"])).namelist()


async def export_plain(api, token: str) -> zipfile.ZipFile:
    async with api.http.post(api.url + "/api/export", json={"tokens": [token]}) as r:
        assert r.status == 200
        return zipfile.ZipFile(io.BytesIO(await r.read()))


async def seen(c: Client, pred, timeout: float = 15) -> None:
    """Wait until `c` has received a matching message, without consuming it (another task
    of the test reads the same socket)."""
    async def scan():
        while not any(pred(m) for m in c.messages):
            c._new.clear()
            await c._new.wait()
    await asyncio.wait_for(scan(), timeout)


PAIR = STUDY.replace("copies = 2", "copies = 1").replace("rounds = 2", "rounds = 3") \
    .replace("quorum = 4", "quorum = 2").replace("min_people = 2", "min_people = 1")


async def test_a_dropout_comes_back_and_takes_their_seat(api, server, clients):
    """A bot plays the firm while its person is away; once they reconnect the bot stops (from
    the next round it has not decided), and they end the study as `completed`."""
    study = await api.create(study_file=PAIR)
    a, b = await asyncio.gather(arrive(api, study["code"], "aaaa", 0), arrive(api, study["code"], "bbbb", 0))
    assert a["session_id"] == b["session_id"]
    ca = await Client.login(server.url, a["token"], name="a")
    cb = await Client.login(server.url, b["token"], name="b")
    clients += [ca, cb]
    await drop_out(ca)
    await submit(cb, 1)  # the round closes on the bot's decision for the firm that left, not on the clock
    await cb.wait_for(lambda m: m["type"] == "round_result" and m["round"] == 1, timeout=10)
    # back during round 2 (the bot has already decided it): it takes the seat from round 3
    back = await Client.login(server.url, a["token"], name="a2")
    clients.append(back)
    await submit(cb, 2)
    await back.wait_for(lambda m: m["type"] == "round_result" and m["round"] == 2, timeout=10)
    await submit(back, 3)
    await submit(cb, 3)
    done = await back.wait_for(lambda m: m["type"] == "completion", timeout=10)
    assert (done["status"], done["code"]) == ("completed", "DONE1")
    actor = server.hub.sessions.get(a["session_id"])
    log = await _facts(server, a["session_id"])
    kinds = [t for t, _ in log]
    assert kinds.index("participant_dropped") < kinds.index("participant_returned") < kinds.index("bot_replaced")
    replaced = dict(log)["bot_replaced"]
    assert replaced["reason"] == "returned" and replaced["from_round"] == 3
    sources = [d["sources"][a["firm"]] for t, d in log if t == "round_closed"]
    assert sources == ["bot", "bot", "submitted"]
    assert actor is None or a["player_id"] not in actor.dropped


async def test_a_group_that_cannot_fill_exits_with_its_code(api, server, clients):
    """`unfilled = "exit"`: nobody waits without an end; everyone waiting gets the no_group code."""
    study = await api.create(study_file=STUDY.replace('unfilled = "bots"', 'unfilled = "exit"'))
    p = await arrive(api, study["code"], "cccc", 0)
    c = await Client.login(server.url, p["token"], name="c")
    clients.append(c)
    got = await c.wait_for(lambda m: m["type"] == "completion", timeout=10)
    assert (got["status"], got["code"]) == ("no_group", "NOGRP1")
    await c.wait_for(lambda m: m["type"] == "session_ended")
    assert (await completion(api, p["token"]))["code"] == "NOGRP1"
    # the study link still works: the next arrival opens the next group
    q = await arrive(api, study["code"], "dddd", 0)
    assert q["session_id"] != p["session_id"]


async def test_a_declined_consent_gets_its_code_and_a_study_link_needs_the_id(api):
    study = await api.create(study_file=STUDY.replace('redirect_url', 'declined_code = "NOPE1"\nredirect_url'))
    status, j = await api.request("POST", "/api/join", {"code": study["code"], "label": "eeee"})
    status, r = await api.request("POST", "/api/consent", {"consent": False}, token=j["player_token"])
    assert status == 200 and r["completion"]["code"] == "NOPE1"
    status, body = await api.request("POST", "/api/join", {"code": study["code"]})
    assert status == 400 and body["error"]["code"] == "missing_field" and "PROLIFIC_PID" in body["error"]["message"]


async def _facts(server, sid: str) -> list[tuple[str, dict]]:
    import json
    import sqlite3
    con = sqlite3.connect(server.config.db_path)
    try:
        return [(t, json.loads(d)) for t, d in con.execute(
            "SELECT type, data FROM log WHERE session_id = ? AND kind = 'system' ORDER BY seq", (sid,))]
    finally:
        con.close()


async def test_who_was_reading_the_consent_when_the_group_failed_waits_in_the_next_group(api, server, clients):
    """Nobody is left without a code: the group fails (one person, min_people 2) while a
    second one reads the consent; that consent seats them in the study's next group, which
    fails in turn and gives them the no-group code too."""
    s = await api.create(study_file=STUDY)
    first = await arrive(api, s["code"], "PID_ALONE", 0)
    a = await Client.login(server.url, first["token"], name="alone")
    clients.append(a)
    status, late = await api.request("POST", "/api/join", {"code": s["code"], "label": "PID_LATE"})
    assert status == 200 and late["consent_required"], late
    done = await a.wait_for(lambda m: m["type"] == "completion", timeout=15)
    assert done["status"] == "no_group" and done["code"] == CODES["no_group"]
    await a.wait_for(lambda m: m["type"] == "session_ended", timeout=15)
    status, seat = await api.request("POST", "/api/consent", {"consent": True}, token=late["player_token"])
    assert status == 200 and seat["consented"] and seat["session_id"] != first["session_id"], seat
    b = await Client.login(server.url, late["player_token"], name="late")
    clients.append(b)
    done = await b.wait_for(lambda m: m["type"] == "completion", timeout=15)
    assert done["status"] == "no_group" and done["code"] == CODES["no_group"]
    assert (await completion(api, late["player_token"]))["code"] == CODES["no_group"]
