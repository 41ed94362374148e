"""Study files (study.toml): validated with clear errors, hashed, turned into a session by the
API and the facilitator CLI, recorded in every export; the payment rule."""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from game_rules.study import Payments, StudyError, parse_study, payment

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "studies" / "online_panel.toml"


def example() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def test_the_example_study_parses_and_is_hashed():
    text = example()
    st = parse_study(text)
    assert st.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert st.name == "alliance-online-2026" and st.panel.quorum == 2 and st.completion.code == "C7ALLY26"
    assert st.payments.per_point == Decimal("0.005")


@pytest.mark.parametrize("edit, expected", [
    (lambda t: t + "\n[oops\n", "not valid TOML"),
    (lambda t: t.replace('name = "alliance-online-2026"', 'name = "alliance-online-2026"\ncolour = "red"'),
     "colour: Extra inputs are not permitted"),
    (lambda t: t.replace('bot_strategy = "balanced"', 'bot_strategy = "greedy"'),
     "panel.bot_strategy: 'greedy' is not a bot strategy"),
    (lambda t: t.replace('unfilled = "bots"', 'unfilled = "wait"'), "panel.unfilled"),
    (lambda t: t.replace("per_point = 0.005", "per_point = -1"), "payments.per_point"),
    (lambda t: t.split("[completion]")[0], "completion: a panel study needs [completion]"),
    (lambda t: t.replace("min_people = 1 ", "min_people = 3 "), "panel.min_people: must not exceed panel.quorum"),
    (lambda t: t.replace('redirect_url = "https://', 'redirect_url = "javascript://'), "completion.redirect_url"),
])
def test_a_bad_study_file_names_the_field(edit, expected):
    with pytest.raises(StudyError) as e:
        parse_study(edit(example()))
    assert any(expected in p for p in e.value.problems), e.value.problems


def test_the_payment_rule():
    rule = Payments(currency="GBP", participation_fee=Decimal("3.00"), points="cash",
                    per_point=Decimal("0.005"), max_bonus=Decimal("4.00"))
    assert payment(rule, "completed", 301.0) == {"participation_fee": Decimal("3.00"), "bonus": Decimal("1.51"),
                                                 "total": Decimal("4.51")}  # 1.505 rounds half up
    assert payment(rule, "completed", 5000.0)["bonus"] == Decimal("4.00")  # capped
    assert payment(rule, "completed", -20.0)["bonus"] == Decimal("0.00")   # never negative
    assert payment(rule, "no_group", None) == {"participation_fee": Decimal("3.00"), "bonus": Decimal("0.00"),
                                               "total": Decimal("3.00")}
    assert payment(rule, "dropout", 400.0)["total"] == Decimal("0.00")    # no fee (fee_for), no bonus


LAB_STUDY = """
name = "lab-2026"
scenario = "classic"
[session]
copies = 1
rounds = 2
negotiation = false
[treatments]
staged = {}
upfront = { "terms.release" = "upfront" }
[assignment]
method = "fixed"
treatment = "upfront"
[participants]
labels = ["A01", "A02"]
[[questionnaire]]
id = "fair"
text = "Fair?"
"""


async def export(api, path: str, token: str) -> zipfile.ZipFile:
    async with api.http.get(api.url + path, headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status == 200, await r.text()
        return zipfile.ZipFile(io.BytesIO(await r.read()))


async def test_a_session_from_a_study_file_records_its_hash_in_the_export(api):
    s = await api.create(study_file=LAB_STUDY, title="Lab, Tuesday")
    sha = hashlib.sha256(LAB_STUDY.encode()).hexdigest()
    assert s["study_sha256"] == sha and "study_link" not in s
    assert s["options"]["rounds"] == 2 and s["options"]["treatment"] == "upfront"
    assert s["options"]["study"] == "lab-2026" and s["options"]["labels"] == ["A01", "A02"]
    status, body = await api.request("POST", "/api/join", {"code": s["code"], "name": "Ada", "label": "B99"})
    assert status == 403 and body["error"]["code"] == "unknown_label"  # the file's label list applies
    z = await export(api, f"/api/sessions/{s['session_id']}/export", s["researcher_token"])
    read = lambda n: pd.read_csv(z.open(n), keep_default_na=False, na_values=[""])
    assert read("sessions.csv")["study_sha256"].tolist() == [sha]
    manifest = json.loads(z.read("manifest.json"))
    assert manifest["studies"] == {s["session_id"]: sha}
    assert f"studies/{sha}.toml" not in z.namelist()  # it lists labels: only with `labels`
    config = json.loads(z.read(f"config/{s['session_id']}.json"))
    assert config["options"]["study_file"] == {"name": "lab-2026", "sha256": sha}


async def test_a_bad_study_file_is_refused_with_the_field(api):
    status, body = await api.try_create(study_file=LAB_STUDY.replace("rounds = 2", "rounds = 0"))
    assert status == 400 and body["error"]["code"] == "invalid_options"
    assert "session.rounds" in body["error"]["message"]
    status, body = await api.try_create(study_file=LAB_STUDY, rounds=3)
    assert status == 400 and "give it alone" in body["error"]["message"]
    bad = LAB_STUDY.replace('"terms.release" = "upfront"', '"terms.release" = "sideways"')
    status, body = await api.try_create(study_file=bad)
    assert status == 400 and "treatments.upfront" in body["error"]["message"]


async def test_the_facilitator_cli_creates_a_session_from_a_study_file(server, tmp_path):
    env = {**os.environ, "ALLIANCE_URL": server.url, "PYTHONPATH": str(ROOT)}
    env.pop("ALLIANCE_TOKEN", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "clients.python.facilitator", "create", "--study", str(EXAMPLE),
        "--token-file", str(tmp_path / "tok.json"), "--json", cwd=str(ROOT), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    r = json.loads(out)
    assert r["study_sha256"] == hashlib.sha256(example().encode()).hexdigest()
    assert "PROLIFIC_PID={{%PROLIFIC_PID%}}" in r["study_link"] and r["code"].replace("-", "") in \
        r["study_link"].replace("-", "")
    actor = server.hub.sessions[r["session_id"]]
    assert actor.options["panel"]["quorum"] == 2 and actor.options["completion"]["code"] == "C7ALLY26"


async def test_a_study_file_turns_roles_inside_the_firms_on(api):
    """`[session] firm_roles = true` (issue 16, roles inside a firm)."""
    s = await api.create(study_file=LAB_STUDY.replace("negotiation = false", "negotiation = false\nfirm_roles = true"))
    assert s["options"]["firm_roles"] is True
    assert "firm_roles" not in (await api.create(study_file=LAB_STUDY))["options"]
