"""Tidy exports, end to end: a real `across_ocean` session through the real server on loopback
(partner selection by people: an introduction, two proposals, a decline, an accept; Kinsei
holds two alliances, withholds a tranche and leaves one alliance), exported over HTTP and from
the command line, and every tidy table checked against the log and read back with pandas."""
from __future__ import annotations

import io
import json
import re
import sqlite3
import zipfile
from statistics import fmean

import pandas as pd
from pandas.api import types as pdt
from pytest import approx

from server import export as export_mod

from conftest import Client
from test_server_selection import _seat

ROUNDS = 3


async def _phase(c: Client, phase: str) -> dict:
    return (await c.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == phase))["view"]


async def play_selection_session(server, api, clients, db_path) -> dict:
    """Selection by people (introduce, propose x2, decline, accept), signed on the templates'
    terms; three rounds closed by the facilitator; Kinsei withholds in round 1 and leaves
    net_deal1 in round 2. Returns the session and its log rows (data parsed)."""
    session = await api.create(scenario="across_ocean", copies=1, rounds=ROUNDS, negotiation=False, seed=11)
    p = await _seat(server.url, api, session, 5, clients)
    kinsei = p["kinsei1"]
    await api.control(session, "start")
    await _phase(kinsei, "selection")
    await p["bridge1"].ok("select", action="introduce", firms=["kinsei1", "wavelink1"], template="net_deal")
    await p["busline1"].ok("select", action="propose", to="kinsei1")    # proposal 2
    await p["harbor1"].ok("select", action="propose", to="kinsei1")     # proposal 3
    await kinsei.ok("select", action="decline", proposal=2)
    await kinsei.ok("select", action="accept", proposal=3)
    r = await api.control(session, "close_selection")
    assert r["result"]["phase"] == "execution", r
    await _phase(kinsei, "execution")
    await kinsei.ok("submit", round=1, decision={"contribute": {"industrial_buyers": 45},
                                                 "withhold": {"os_deal1": ["industrial_buyers"]},
                                                 "survey": {"understood": 4}})
    await api.control(session, "end_round")
    await kinsei.wait_for(lambda m: m["type"] == "round_result" and m["round"] == 1)
    await kinsei.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 2)
    await kinsei.ok("submit", round=2, decision={"contribute": {"industrial_buyers": 20}, "exit": ["net_deal1"]})
    await api.control(session, "end_round")
    await kinsei.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 3)
    await api.control(session, "end_round")
    await _phase(kinsei, "debrief")
    await api.control(session, "end_session")
    con = sqlite3.connect(db_path)
    try:
        rows = [dict(zip(("seq", "kind", "type", "firm", "data", "reply"), r)) for r in con.execute(
            "SELECT seq, kind, type, firm, data, reply FROM log WHERE session_id = ? ORDER BY seq",
            (session["session_id"],))]
    finally:
        con.close()
    for r in rows:
        r["data"] = json.loads(r["data"])
        r["reply"] = json.loads(r["reply"]) if r["reply"] is not None else None
    return {"session": session, "sid": session["session_id"], "rows": rows, "players": p}


async def download(api, session: dict, query: str = "") -> dict[str, bytes]:
    headers = {"Authorization": f"Bearer {session['researcher_token']}"}
    async with api.http.get(f"{api.url}/api/sessions/{session['session_id']}/export{query}", headers=headers) as r:
        assert r.status == 200 and r.content_type == "application/zip", r.status
        body = await r.read()
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return {n: z.read(n) for n in z.namelist()}


def read(files: dict[str, bytes], name: str) -> pd.DataFrame:
    """The documented call (docs/research.md): the empty field is the only missing value."""
    return pd.read_csv(io.BytesIO(files[name]), keep_default_na=False, na_values=[""], low_memory=False)


def documented(name: str, column: str):
    for c in export_mod.CSV_FILES[name]:
        if re.fullmatch(".+".join(re.escape(p) for p in re.split(r"<[a-z_]+>", c.name)), column):
            return c
    raise AssertionError(f"{name}: column {column!r} is not in the codebook")


def dtype_problem(series: pd.Series, type_: str) -> str | None:
    """Why pandas' dtype does not fit the codebook's type (None: it does). An all-empty
    column reads as float NaN whatever it would hold, so it fits every type."""
    s = series.dropna()
    if s.empty:
        return None
    ok = {"integer": lambda: pdt.is_integer_dtype(series) or (pdt.is_float_dtype(series) and (s == s.round()).all()),
          "real": lambda: pdt.is_numeric_dtype(series) and not pdt.is_bool_dtype(series),
          "boolean": lambda: pdt.is_bool_dtype(series) or set(s) <= {True, False},
          "text": lambda: pdt.is_object_dtype(series) or pdt.is_string_dtype(series),
          "json": lambda: pdt.is_string_dtype(series) and all(json.loads(x) is not None for x in s)}
    if type_ not in ok:
        return None  # `any` (a payload field of events_wide.csv)
    return None if ok[type_]() else f"{series.dtype} is not {type_}"


def flat(value, path: str) -> list[tuple[str, object]]:
    """The scalars of a payload as event_values.csv should list them (written here again, not
    imported, so the test checks the module)."""
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in flat(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [x for i, v in enumerate(value, 1) for x in flat(v, f"{path}.{i}")]
    return [(path, value)]


def used_decisions(rows: list[dict]) -> list[tuple[int, str, dict]]:
    """(round, firm, decision played) from the log: round_closed, or the engine default."""
    out = []
    for i, r in enumerate(rows):
        if r["kind"] == "system" and r["type"] == "round_closed":
            d = dict(r["data"]["decisions"])
            j = i + 1
            while j < len(rows) and rows[j]["kind"] == "event":
                if rows[j]["type"] == "default_applied":
                    d[rows[j]["data"]["firm"]] = rows[j]["data"]["decision"]
                j += 1
            out += [(r["data"]["round"], f, x) for f, x in d.items()]
    return out


def engine_events(rows: list[dict], type_: str) -> list[dict]:
    return [r["data"] for r in rows if r["kind"] == "event" and r["type"] == type_]


async def test_tidy_tables_match_the_log_and_read_with_the_documented_dtypes(server, api, clients, db_path,
                                                                           tmp_path):
    s = await play_selection_session(server, api, clients, db_path)
    rows, sid = s["rows"], s["sid"]
    files = await download(api, s["session"])
    manifest = json.loads(files["manifest.json"])
    t = {name: read(files, name) for name in files if name.endswith(".csv")}

    # sparsity: every column of events.csv is filled in at least half its rows (it was one
    # column per payload field: 113 columns here, 18% of the cells filled, most columns under 5%)
    events = t["events.csv"]
    fill = events.notna().mean()
    assert fill.min() >= 0.5, (events.shape, fill.sort_values().head())
    assert list(events.columns) == [c.name for c in export_mod.EVENTS_COLUMNS] and len(events) == len(rows)
    tidy = ("commands.csv", "event_values.csv", "alliance_rounds.csv", "withhold.csv", "exits.csv", "survey.csv",
            "selection.csv")
    assert set(tidy) <= set(files) and "events_wide.csv" not in files  # the wide table only when asked
    for name, df in t.items():
        assert manifest["files"][name]["rows"] == len(df), name
    for name in ("commands.csv", "event_values.csv", "alliance_rounds.csv", "selection.csv"):
        assert t[name].notna().to_numpy().mean() >= 0.7, name

    # pandas reads every CSV file with the documented call and gets the documented types
    problems = {(name, col): p for name, df in t.items() for col in df.columns
                if (p := dtype_problem(df[col], documented(name, col).type))}
    assert not problems, problems

    # commands.csv: one row per command and control
    assert list(t["commands.csv"]["seq"]) == [r["seq"] for r in rows if r["kind"] in ("command", "control")]

    # event_values.csv: exactly the scalars of every payload and reply, numbers and text apart
    got = {}
    for v in t["event_values.csv"].itertuples(index=False):
        got.setdefault(v.seq, []).append((v.key, v.number if pd.notna(v.number) else
                                          None if pd.isna(v.text) else v.text))
    for r in rows:
        data = export_mod.redact_data(r["kind"], r["type"], r["data"], names=False, labels=False)  # as exported
        want = flat(data, "data") + (flat(r["reply"], "reply") if r["reply"] is not None else [])
        want = [(k, "TRUE" if x is True else "FALSE" if x is False else float(x) if isinstance(x, (int, float))
                 else x) for k, x in want]
        assert got.get(r["seq"], []) == want, r["seq"]

    # withhold.csv, exits.csv, survey.csv: one row per element of the decisions the log holds
    decided = used_decisions(rows)
    rounds = t["rounds.csv"]
    withheld = {(rnd, f, a, k) for rnd, f, d in decided for a, ks in (d.get("withhold") or {}).items() for k in ks}
    assert withheld == {(1, "kinsei1", "os_deal1", "industrial_buyers")}
    assert len(t["withhold.csv"]) == sum(len(ks) for _, _, d in decided for ks in (d.get("withhold") or {}).values())
    assert set(t["withhold.csv"][["round", "firm", "alliance", "domain"]].itertuples(index=False, name=None)) \
        == withheld == {(r.round, r.firm, a, k) for r in rounds.itertuples() for a, ks in json.loads(r.withhold).items()
                        for k in ks}
    exits = {(rnd, f, a) for rnd, f, d in decided for a in d.get("exit") or []}
    assert exits == {(2, "kinsei1", "net_deal1")} and len(t["exits.csv"]) == len(exits)
    assert set(t["exits.csv"][["round", "firm", "alliance"]].itertuples(index=False, name=None)) == exits
    answers = {(rnd, f, q, a) for rnd, f, d in decided for q, a in (d.get("survey") or {}).items()}
    assert answers == {(1, "kinsei1", "understood", 4)}
    assert set(t["survey.csv"][["round", "firm", "question", "answer"]].itertuples(index=False, name=None)) == answers

    # alliance_rounds.csv: one row per firm, round and alliance (Kinsei has two alliances in
    # rounds 1 and 2), each with its own trust and dependency; rounds.csv keeps their mean and max
    ar = t["alliance_rounds.csv"]
    assert sorted(ar[ar["firm"] == "kinsei1"].groupby("round").size().items()) == [(1, 2), (2, 2), (3, 1)]
    assert set(ar[["round", "firm", "alliance"]].itertuples(index=False, name=None)) == {
        (r.round, r.firm, a) for r in rounds.itertuples() for a in json.loads(r.alliances)}
    for r in rounds.itertuples():
        mine = ar[(ar["round"] == r.round) & (ar["firm"] == r.firm)]
        assert sorted(mine["partner"]) == json.loads(r.partners)
        if len(mine) and mine["trust"].notna().any():  # the aggregates (pandas parses floats to ~1 ulp)
            assert r.trust == approx(fmean(mine["trust"].dropna()), rel=1e-12)
            assert r.dependency == approx(mine["dependency"].max(), rel=1e-12)
        else:
            assert pd.isna(r.trust) and pd.isna(r.dependency)
    results = {(e["round"], e["firm"]): e for e in engine_events(rows, "firm_result")}
    values = {(e["round"], e["alliance"]): e for e in engine_events(rows, "joint_value")}
    for x in ar.itertuples():
        logged = results[x.round, x.firm]
        assert (x.trust, x.dependency) == approx((logged["trust"][x.alliance], logged["dependency"][x.alliance]),
                                                 rel=1e-12)
        jv = values.get((x.round, x.alliance))
        if jv is None:  # no joint value: the alliance was left before it made one
            assert pd.isna(x.value) and pd.isna(x.share) and x.ended == "exited"
        else:
            assert (x.value, x.share, x.effective_contribution) == approx(
                (jv["value"], jv["shares"][x.firm], jv["effective_contribution"][x.firm]), rel=1e-12)
    k1 = ar[(ar["firm"] == "kinsei1") & (ar["round"] == 1)].set_index("alliance")
    assert k1.loc["os_deal1", "partner"] == "harbor1" and k1.loc["net_deal1", "partner"] == "wavelink1"
    assert k1.loc["os_deal1", "withheld_domains"] == 1 and k1.loc["net_deal1", "withheld_domains"] == 0
    ended = {(e["round"], e["alliance"]): e["reason"] for e in engine_events(rows, "alliance_ended")}
    assert {(x.round, x.alliance, x.ended) for x in ar.itertuples() if pd.notna(x.ended)} == \
        {(rnd, a, why) for (rnd, a), why in ended.items()} == {(2, "net_deal1", "exited"), (3, "os_deal1", "completed")}
    assert bool(ar[(ar["firm"] == "kinsei1") & (ar["round"] == 2) & (ar["alliance"] == "net_deal1")]["exit"].iloc[0])

    # selection.csv: one row per selection move, with the proposal and what became of it
    moves = [r for r in rows if r["type"] == "selection_move"]
    sel = t["selection.csv"]
    assert list(sel["seq"]) == [r["seq"] for r in moves] and list(sel["action"]) == [r["data"]["action"] for r in moves]
    assert list(sel[["action", "by", "proposal", "sender", "receiver", "template", "status", "outcome"]].itertuples(
        index=False, name=None)) == [
        ("introduce", "bridge1", 1, "kinsei1", "wavelink1", "net_deal", "accepted", "accepted"),
        ("propose", "busline1", 2, "busline1", "kinsei1", "bus_deal", "pending", "declined"),
        ("propose", "harbor1", 3, "harbor1", "kinsei1", "os_deal", "pending", "accepted"),
        ("decline", "kinsei1", 2, "busline1", "kinsei1", "bus_deal", "declined", "declined"),
        ("accept", "kinsei1", 3, "harbor1", "kinsei1", "os_deal", "accepted", "accepted")]
    (closed,) = [r["data"] for r in rows if r["type"] == "selection_closed"]
    assert set(sel["alliance"].dropna()) == {p["alliance_id"] for p in closed["pairings"]} == {"net_deal1", "os_deal1"}
    assert list(sel["introduced_by"].fillna("")) == ["bridge1", "", "", "", ""]

    # the wide table when asked: over HTTP (?wide=1) and from the command line (--wide), the same bytes
    wide = await download(api, s["session"], "?wide=1")
    assert json.loads(wide["manifest.json"])["options"]["wide"] is True
    ew = read(wide, "events_wide.csv")
    assert len(ew) == len(rows) and ew.shape[1] > 100 and ew.notna().to_numpy().mean() < 0.5  # why it is optional
    assert set(events.columns) <= set(ew.columns) and any(c.startswith("data.") for c in ew.columns)
    assert all(wide[n] == files[n] for n in t)  # the default files do not change
    async with api.http.post(api.url + "/api/export", json={"tokens": [s["session"]["researcher_token"]],
                                                            "wide": True}) as r:
        assert r.status == 200
        with zipfile.ZipFile(io.BytesIO(await r.read())) as z:
            assert z.read("events_wide.csv") == wide["events_wide.csv"]
    async with api.http.post(api.url + "/api/export", json={"tokens": [s["session"]["researcher_token"]],
                                                            "wide": "yes"}) as r:
        assert r.status == 400 and "wide" in (await r.json())["error"]["message"]
    assert export_mod.main(["--db", str(db_path), "--session", sid, "--wide", "--out", str(tmp_path / "cli")]) == 0
    with zipfile.ZipFile(next((tmp_path / "cli").glob("*.zip"))) as z:
        assert z.read("events_wide.csv") == wide["events_wide.csv"] and z.read("selection.csv") == files["selection.csv"]
