"""The `form_teams` control (server/teams.py over game_rules/teams.py) on a real server:
preview then apply, the seed logged, the moves logged as `player_moved`, lobby only, a bad
list refused as a whole, the list left out of exports without names and labels."""
from __future__ import annotations

import io
import json
import sqlite3
import zipfile


async def _class(api, n, **options):
    s = await api.create(copies=2, rounds=3, negotiation=False, **options)
    joined = [await api.join(s["code"], f"Student {i}", label=f"S{i:02d}") for i in range(n)]
    return s, joined


async def _firms(api, s):
    return {p["player_id"]: p["firm"] for p in (await api.summary(s))["status"]["players"]}


async def test_random_preview_then_apply_with_the_same_seed(api, db_path):
    s, joined = await _class(api, 7)
    before = await _firms(api, s)
    prev = (await api.control(s, "form_teams", method="random", preview=True))["result"]
    assert prev["applied"] is False and isinstance(prev["seed"], int)
    assert await _firms(api, s) == before  # a preview changes nothing
    firms = len(prev["sizes"])
    assert sum(prev["sizes"].values()) == 7 and max(prev["sizes"].values()) - min(prev["sizes"].values()) <= 1
    assert prev["shape"] == [[1, 1], [2, 3]] if firms == 4 else prev["shape"]
    done = (await api.control(s, "form_teams", method="random", seed=prev["seed"]))["result"]
    assert done["applied"] is True and done["firms"] == prev["firms"]
    assert await _firms(api, s) == prev["firms"]
    db = sqlite3.connect(db_path)
    rows = [(t, json.loads(d)) for t, d in db.execute(
        "SELECT type, data FROM log WHERE session_id=? AND kind='system' AND type IN ('teams_formed','player_moved') "
        "ORDER BY seq", (s["session_id"],))]
    db.close()
    assert rows[0] == ("teams_formed", {"method": "random", "seed": prev["seed"], "players": 7,
                                        "moves": len(prev["moves"]), "shape": prev["shape"]})
    assert [(d["player_id"], d["firm"]) for t, d in rows[1:]] == [(m["player_id"], m["firm"]) for m in prev["moves"]]


async def test_a_list_upload_and_its_refusals(api, server):
    s, joined = await _class(api, 4)
    firms = sorted((await api.summary(s))["firms"])
    ok = f"name,firm\nStudent 0,{firms[1]}\nS01,{firms[1]}\n"
    r = (await api.control(s, "form_teams", method="list", csv=ok))["result"]
    placed = await _firms(api, s)
    assert placed[joined[0]["player_id"]] == placed[joined[1]["player_id"]] == firms[1]
    assert set(r["unlisted"]) == {joined[2]["player_id"], joined[3]["player_id"]}
    # unknown names and firms, a formula, all reported at once; nothing half-applied
    bad = f"Student 2,{firms[0]}\nNobody,{firms[0]}\n=HYPERLINK(\"x\"),{firms[0]}\nStudent 3,Mars\n"
    status, err = await api.request("POST", f"/api/sessions/{s['session_id']}/control",
                                    {"action": "form_teams", "method": "list", "csv": bad},
                                    token=s["facilitator_token"])
    assert status == 400 and err["error"]["code"] == "bad_team_list", err
    msg = err["error"]["message"]
    assert "'Nobody'" in msg and "HYPERLINK" in msg and "'Mars'" in msg
    assert await _firms(api, s) == placed
    # 10,000 rows: short ones are refused by count, long ones by size; nothing changes
    for huge, code in (("x,y\n" * 10_000, "bad_team_list"),
                       ("".join(f"Student {i},{firms[0]}\n" for i in range(10_000)), "frame_too_large")):
        status, err = await api.request("POST", f"/api/sessions/{s['session_id']}/control",
                                        {"action": "form_teams", "method": "list", "csv": huge},
                                        token=s["facilitator_token"])
        assert err["error"]["code"] == code, err
    assert await _firms(api, s) == placed


async def test_lobby_only_and_the_export_leaves_the_list_out(api):
    s, joined = await _class(api, 2)
    await api.control(s, "form_teams", method="balanced", csv="S00,finance\nS01,finance\n")
    await api.control(s, "start")
    status, err = await api.request("POST", f"/api/sessions/{s['session_id']}/control",
                                    {"action": "form_teams", "method": "arrival"}, token=s["facilitator_token"])
    assert status == 409 and err["error"]["code"] == "wrong_phase"
    raw = await _export_bytes(api, s)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith((".csv", ".jsonl", ".json")))
    assert "teams_formed" in text and "S00,finance" not in text and "finance" not in text


async def _export_bytes(api, s) -> bytes:
    async with api.http.get(f"{api.url}/api/sessions/{s['session_id']}/export",
                            headers={"Authorization": f"Bearer {s['researcher_token']}"}) as r:
        assert r.status == 200
        return await r.read()
