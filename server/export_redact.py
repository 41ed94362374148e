"""What an export leaves out: token hashes always; the names players typed and participant
labels unless asked for (`names`, `labels`). Applied to the log rows, the session options,
the snapshots and the copy of the database (`alliance.sqlite`) alike."""
from __future__ import annotations

import json

_SECRET_KEYS = frozenset({"token_hash", "facilitator_token_hash", "researcher_token_hash", "rejoin_hash"})


def _strip_secrets(v):
    if isinstance(v, dict):
        return {k: _strip_secrets(x) for k, x in v.items() if k not in _SECRET_KEYS}
    if isinstance(v, list):
        return [_strip_secrets(x) for x in v]
    return v


def redact_options(options: dict, labels: bool) -> dict:
    o = dict(options)
    if not labels and "labels = [" in ((o.get("study_file") or {}).get("toml") or ""):
        o["study_file"] = {k: v for k, v in o["study_file"].items() if k != "toml"}  # lists labels
    if not labels and o.get("labels") is not None:
        n = len(o["labels"])
        o["labels"] = None
        o["labels_removed"] = n
    return o


def redact_data(kind: str, type_: str, data, names: bool, labels: bool):
    """A log row's payload as exported: token hashes never; names and labels unless asked."""
    d = _strip_secrets(data)
    if not isinstance(d, dict):
        return d
    if type_ in ("player_joined",) and kind == "system":
        if not names:
            d.pop("name", None)
        if not labels:
            d.pop("label", None)
    if kind == "control" and type_ == "control" and d.get("action") == "form_teams" and not (names and labels):
        d.pop("csv", None)  # the uploaded list: names and labels
    if kind == "chat" and not names:
        d.pop("sender_name", None)
    if type_ == "session_created" and isinstance(d.get("options"), dict):
        d["options"] = redact_options(d["options"], labels)
    return d


def redact_snapshot_server(text: str | None, names: bool, labels: bool) -> str | None:
    if text is None:
        return None
    s = _strip_secrets(json.loads(text))
    for p in (s.get("players") or {}).values():
        if isinstance(p, dict):
            if not names:
                p["name"] = None
            if not labels:
                p["label"] = None
    return json.dumps(s, separators=(",", ":"))


def redact_row(table: str, rec: dict, names: bool, labels: bool) -> None:
    """A row of the database copy (`alliance.sqlite`) as exported, in place: the token
    columns are emptied by the copy itself (server/store/export_reader.py)."""
    if table == "sessions" and rec.get("options"):
        rec["options"] = json.dumps(redact_options(json.loads(rec["options"]), labels))
    elif table == "players":
        if not names:
            rec["name"] = None
        if not labels:
            rec["label"] = None
    elif table == "log":
        rec["data"] = json.dumps(redact_data(rec["kind"], rec["type"], json.loads(rec["data"]), names, labels),
                                 separators=(",", ":"), ensure_ascii=False)
    elif table == "snapshots" and "server" in rec:
        rec["server"] = redact_snapshot_server(rec["server"], names, labels)
