"""payments.csv: what each participant of a study is paid, by the study file's rule.

Only written when asked (`payments` export option): it holds participant labels (a panel's
participant ids), so it is a separate file from the data. One row per seated participant
of every exported session whose options carry a `[payments]` rule (`game_rules.study.payment`):

- status: the participant's last `completion_given` fact (`completed`, `dropout`,
  `no_group`), else `unfinished` (no fee, no bonus);
- points: the firm's value of the rule's `points` column (`cash`, `score.total`, ...) in
  its last row of rounds.csv;
- participation fee, bonus and total in the study's currency, as decimal text (exact cents).
"""
from __future__ import annotations

from game_rules.study import Payments, payment


def _completions(raw: list[dict]) -> dict[tuple[str, str], dict]:
    out = {}
    for r in raw:
        if r["kind"] == "system" and r["type"] == "completion_given":
            out[(r["session_id"], r["data"]["player_id"])] = r["data"]
    return out


def _final_points(wide: list[dict], column: str) -> dict[tuple[str, str], float]:
    last: dict[tuple[str, str], tuple[int, float]] = {}
    for row in wide:
        key = (row["session_id"], row["firm"])
        if row.get(column) is not None and (key not in last or row["round"] >= last[key][0]):
            last[key] = (row["round"], row[column])
    return {k: v for k, (_, v) in last.items()}


def payments_table(options: dict[str, dict], seated: list[dict], raw: list[dict], wide: list[dict]) -> list[dict]:
    """The rows of payments.csv. `options`: session id -> its options; `seated`: the players
    table's rows (session_id, player_id, label, firm); `raw`: the log rows; `wide`: rounds.csv rows."""
    done = _completions(raw)
    points_of: dict[str, dict] = {}
    rows = []
    for p in sorted(seated, key=lambda r: (list(options).index(r["session_id"]), r["label"] or "", r["player_id"])):
        o = options[p["session_id"]]
        if not o.get("payments"):
            continue
        rule = Payments.model_validate(o["payments"])
        if rule.points not in points_of:
            points_of[rule.points] = _final_points(wide, rule.points)
        c = done.get((p["session_id"], p["player_id"])) or {}
        status = c.get("status", "unfinished")
        points = points_of[rule.points].get((p["session_id"], p["firm"]))
        pay = payment(rule, status, points)
        rows.append({"session_id": p["session_id"], "study": o.get("study"),
                     "study_sha256": (o.get("study_file") or {}).get("sha256"), "label": p["label"],
                     "player_id": p["player_id"], "firm": p["firm"], "status": status,
                     "completion_code": c.get("code"), "points": points, "currency": rule.currency,
                     **{k: str(v) for k, v in pay.items()}})
    return rows
