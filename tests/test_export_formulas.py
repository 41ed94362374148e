"""Formula-like text in the research export (CSV injection): what people typed -- names,
labels, chat, questionnaire answers, a command id, the session title and study -- goes
through a real session on the real server, is exported over HTTP and from the command line,
and every CSV file of the archive (and the replay's `--out` CSV) is opened in real headless
LibreOffice Calc with formula evaluation on. No cell may become a formula or a link, number
columns must stay numbers, and the JSON Lines and SQLite files keep the raw text.

LibreOffice comes from `scripts/install_test_tools.sh` (`make install-test`). Under CI the
test fails when it is missing; elsewhere it skips only when it cannot be installed (not root).
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from game_rules.__main__ import main as game_rules_main
from server import export as export_mod

from conftest import Client
from test_research_export import download, unzip

FORMULAS = {  # where each one is typed (the server strips names, labels, chat and answers)
    "alice": "=41+1",
    "alice_label": "+1+1",
    "bob": "@SUM(1,1)",
    "bob_label": "-3",                   # text that looks like a number is still text
    "title": "\t=1+1",
    "study": "\r=1+1",
    "chat": '=HYPERLINK("http://example.invalid/?"&A1,"x")',
    "chat_id": "-2+3",                   # the client's command id (commands.csv `command_id`)
    "answer": "-2+3",
    "choice": "=41+1",
}
CSV_NAMES = ("events.csv", "rounds.csv", "chat.csv", "offers.csv", "questionnaire.csv", "players.csv",
             "sessions.csv", "commands.csv", "event_values.csv", "alliance_rounds.csv", "withhold.csv", "exits.csv",
             "survey.csv", "selection.csv")
# Import as a spreadsheet user could: comma, '"', UTF-8, from line 1, standard columns, English
# numbers, quoted fields not forced to text, special numbers detected, formulas evaluated (13th).
CSV_IMPORT = "CSV:44,34,76,1,,1033,false,true,false,false,false,-1,true"
NS = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
      "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
      "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}
NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def soffice() -> str:
    path = shutil.which("soffice")
    if path:
        return path
    why = "LibreOffice is not installed: run `bash scripts/install_test_tools.sh` (part of `make install-test`)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.geteuid() == 0:
        pytest.fail(why)
    pytest.skip(why + " as root")


# ---- LibreOffice: open CSV files, read back what the spreadsheet made of every cell -------------

def open_in_calc(csv_files: list[Path], out: Path, profile: Path) -> dict[str, Path]:
    """Convert the CSV files to flat ODF spreadsheets in one headless LibreOffice run (its own
    profile, so parallel runs do not share one); the whole process group is stopped after."""
    out.mkdir()
    cmd = [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nolockcheck",
           f"--infilter={CSV_IMPORT}", "--convert-to", "fods", "--outdir", str(out), *map(str, csv_files)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        log, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    made = {f.name: out / (f.stem + ".fods") for f in csv_files}
    missing = [n for n, p in made.items() if not p.is_file()]
    assert proc.returncode == 0 and not missing, (proc.returncode, missing, log.decode(errors="replace"))
    return made


def _cell_text(cell: ET.Element) -> str:
    def inline(el: ET.Element) -> str:
        s = el.text or ""
        for child in el:
            tag = child.tag.split("}")[1]
            s += {"tab": "\t", "line-break": "\n",
                  "s": " " * int(child.get(f"{{{NS['text']}}}c", "1"))}.get(tag, "") or inline(child)
            s += child.tail or ""
        return s
    return "\n".join(inline(p) for p in cell.findall("text:p", NS))


def sheet_cells(fods: Path) -> list[list[dict]]:
    """Every row of the first sheet: per cell its value type (None: empty), shown text, number,
    formula (None unless LibreOffice made one) and whether it holds a link."""
    t, o = f"{{{NS['table']}}}", f"{{{NS['office']}}}"
    table = ET.parse(fods).getroot().find(".//table:table", NS)
    rows = []
    for row in table.iter(f"{t}table-row"):
        cells = []
        for cell in row:
            if cell.tag not in (f"{t}table-cell", f"{t}covered-table-cell"):
                continue
            c = {"type": cell.get(f"{o}value-type"), "text": _cell_text(cell), "value": cell.get(f"{o}value"),
                 "formula": cell.get(f"{t}formula"), "link": cell.find(".//text:a", NS) is not None}
            cells += [c] * min(int(cell.get(f"{t}number-columns-repeated", "1")), 10_000)
        while cells and cells[-1]["type"] is None and not cells[-1]["text"]:
            cells.pop()
        if cells:
            rows += [cells] * int(row.get(f"{t}number-rows-repeated", "1"))
    return rows


def column_type(file: str, column: str) -> str:
    cols = export_mod.CSV_FILES["rounds.csv" if file == "replay.csv" else file]
    for c in cols:
        parts = re.split(r"<[a-z_]+>", c.name)
        if re.fullmatch(".+".join(re.escape(p) for p in parts), column):
            return c.type
    raise AssertionError(f"{file}: column {column!r} is not in the codebook")


def check_sheet(file: str, csv_bytes: bytes, cells: list[list[dict]]) -> int:
    """Compare what LibreOffice made of every cell with the CSV text; return the cells checked."""
    written = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8"), newline="")))
    assert len(cells) == len(written), (file, len(cells), len(written))
    header = written[0]
    for r, (texts, got) in enumerate(zip(written, cells)):
        got = got + [{"type": None, "text": "", "value": None, "formula": None, "link": False}] * (len(texts) - len(got))
        for col, text, cell in zip(header, texts, got):
            where = (file, r + 1, col, text)
            assert cell["formula"] is None and not cell["link"], (where, cell)  # never run, never a link
            if text == "":
                assert cell["type"] is None, (where, cell)
            elif text.startswith("'"):  # neutralised text: shown as typed, apostrophe in front
                assert cell["type"] == "string", (where, cell)
                assert cell["text"] == text.replace("\r\n", "\n").replace("\r", "\n"), (where, cell)
            elif r > 0 and NUMBER.match(text):  # a number stays a number, with its sign (Calc keeps 15 digits)
                assert cell["type"] == "float", (where, cell)
                assert math.isclose(float(cell["value"]), float(text), rel_tol=1e-14), (where, cell)
            if r > 0 and text and column_type(file, col) in ("integer", "real"):
                assert cell["type"] == "float", (where, cell)
    return sum(len(t) for t in written)


# ---- the session ---------------------------------------------------------------------------------

async def play(server, api, clients) -> dict:
    """Two people (one copy, one round, no negotiation) type the payloads everywhere they can."""
    questions = [{"id": "fair", "text": "Fair?"}, {"id": "why", "text": "Why?", "kind": "text"},
                 {"id": "aim", "text": "Aim?", "kind": "choice", "choices": [FORMULAS["choice"], "earn"]}]
    session = await api.create(scenario="classic", copies=1, rounds=1, negotiation=False, seed=5,
                               title=FORMULAS["title"], study=FORMULAS["study"], questionnaire=questions)
    people = []
    for who in ("alice", "bob"):
        j = await api.join(session["code"], FORMULAS[who], label=FORMULAS[f"{who}_label"])
        c = await Client.login(server.url, j["player_token"], binary=who == "alice", name=who)
        c.joined = j
        clients.append(c)
        people.append(c)
    alice, bob = people
    await api.control(session, "start")
    await alice.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 1)
    # a client clock far off: client_time -3.5 is a real negative number in a real column
    r = await alice.cmd("chat", id=FORMULAS["chat_id"], to="firm", text=FORMULAS["chat"], client_time=-3.5)
    assert r["type"] == "ack", r
    await bob.ok("chat", to="firm", text=FORMULAS["bob_label"])
    await api.control(session, "end_round")
    await alice.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "debrief")
    for c, answers in ((alice, {"fair": 4, "why": FORMULAS["answer"], "aim": FORMULAS["choice"]}),
                       (bob, {"why": FORMULAS["alice"]})):
        status, body = await api.request("POST", "/api/questionnaire", {"answers": answers},
                                         token=c.joined["player_token"])
        assert status == 200, body
    await api.control(session, "end_session")
    return session


def strings(v) -> set[str]:
    if isinstance(v, str):
        out = {v}
        if v[:1] in "[{":  # JSON text inside a column (options, data)
            try:
                out |= strings(json.loads(v))
            except ValueError:
                pass
        return out
    if isinstance(v, dict):
        return set().union(*map(strings, v.values())) if v else set()
    if isinstance(v, (list, tuple)):
        return set().union(*map(strings, v)) if v else set()
    return set()


async def test_no_csv_cell_of_the_export_runs_as_a_formula(server, api, clients, db_path, tmp_path):
    soffice()  # fail (CI) or skip before playing when LibreOffice is missing
    session = await play(server, api, clients)
    sid = session["session_id"]
    status, data = await download(api, f"/api/sessions/{sid}/export?names=1&labels=1", session["researcher_token"])
    assert status == 200
    files = unzip(data)
    archive = tmp_path / "export.zip"
    archive.write_bytes(data)
    # the command line writes the same CSV files; the replay writes one more
    assert export_mod.main(["--db", str(db_path), "--session", sid, "--names", "--labels",
                            "--out", str(tmp_path / "cli")]) == 0
    cli = unzip(next((tmp_path / "cli").glob("*.zip")).read_bytes())
    assert all(cli[n] == files[n] for n in CSV_NAMES)
    assert game_rules_main(["replay", str(archive), "--out", str(tmp_path / "replay.csv")]) == 0
    csvs = {n: files[n] for n in CSV_NAMES} | {"replay.csv": (tmp_path / "replay.csv").read_bytes()}
    assert set(CSV_NAMES) == {n for n in files if n.endswith(".csv")}

    # every CSV file in LibreOffice: no formula, no link, numbers stay numbers
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    for name, b in csvs.items():
        (csv_dir / name).write_bytes(b)
    made = open_in_calc(sorted(csv_dir.iterdir()), tmp_path / "calc", tmp_path / "lo-profile")
    checked = {name: check_sheet(name, csvs[name], sheet_cells(made[name])) for name in csvs}
    assert all(n > 0 for n in checked.values()), checked

    # where the payloads land, as the CSV files write them
    def rows(name):
        return list(csv.DictReader(io.StringIO(csvs[name].decode("utf-8"), newline="")))
    safe = {k: "'" + v for k, v in FORMULAS.items()}
    players = {p["name"]: p for p in rows("players.csv")}
    assert set(players) == {safe["alice"], safe["bob"]}
    assert {p["label"] for p in players.values()} == {safe["alice_label"], safe["bob_label"]}
    chat = rows("chat.csv")
    assert [(c["text"], c["sender_name"]) for c in chat] == [(safe["chat"], safe["alice"]),
                                                            (safe["bob_label"], safe["bob"])]
    answers = {(a["question"], a["answer"]) for a in rows("questionnaire.csv")}
    assert answers == {("fair", "4"), ("why", safe["answer"]), ("aim", safe["choice"]), ("why", safe["alice"])}
    (s,) = rows("sessions.csv")
    assert (s["title"], s["study"]) == (safe["title"], safe["study"])
    assert {r["study"] for r in rows("rounds.csv")} == {r["study"] for r in rows("replay.csv")} == {safe["study"]}
    (cmd,) = [e for e in rows("commands.csv") if e["command_id"] == safe["chat_id"]]
    assert cmd["client_time"] == "-3.5"  # a number: no apostrophe
    assert {safe["chat"], safe["alice"], safe["alice_label"]} <= {e["text"] for e in rows("event_values.csv")}

    # JSON Lines and SQLite keep the raw text, without the apostrophe
    raw = set(FORMULAS.values())
    jsonl = set().union(*(strings(json.loads(line)) for line in files["log.jsonl"].decode("utf-8").splitlines()))
    assert raw <= jsonl, raw - jsonl
    assert not set(safe.values()) & jsonl
    db = tmp_path / "export.sqlite"
    db.write_bytes(files["alliance.sqlite"])
    con = sqlite3.connect(db)
    try:
        stored = set().union(*(strings(list(row)) for t in ("sessions", "players", "log")
                               for row in con.execute(f"SELECT * FROM {t}")))
    finally:
        con.close()
    assert raw <= stored, raw - stored
    assert not set(safe.values()) & stored


def test_one_csv_line_neutralises_text_and_keeps_numbers():
    """The one writer every CSV file uses: formula-like text gets `'`, numbers of any sign
    do not, and a carriage return is quoted so that it cannot split the row."""
    from game_rules.csv_cells import csv_line
    values = ["=41+1", "-3", -3.5, -3, "\tx", "\r=1+1", "a\rb", 'say "hi"', "x,y", None, True, "plain", ["-1"]]
    line = csv_line(values)
    assert line == "'=41+1,'-3,-3.5,-3,'\tx,\"'\r=1+1\",\"a\rb\",\"say \"\"hi\"\"\",\"x,y\",,TRUE,plain,\"[\"\"-1\"\"]\"\n"
    assert next(csv.reader(io.StringIO(line, newline=""))) == \
        ["'=41+1", "'-3", "-3.5", "-3", "'\tx", "'\r=1+1", "a\rb", 'say "hi"', "x,y", "", "TRUE", "plain", '["-1"]']
