"""The wide per-table builders of an export archive (events_wide, chat, offers,
questionnaire, players) and the CSV writer; the tidy tables are in export_tidy.py, the
columns of each in export_catalog.py. Each builder takes the session's log rows, already
redacted and annotated (`annotate`), and returns (columns, rows)."""
from __future__ import annotations

from game_rules.csv_cells import csv_line
from game_rules.session.firm_roles import ROLES

from .export_catalog import CHAT_COLUMNS, EVENTS_WIDE_COLUMNS, OFFERS_COLUMNS, PLAYERS_COLUMNS, QUESTIONNAIRE_COLUMNS


def csv_bytes(columns: list[str], rows: list[dict]) -> bytes:
    lines = [csv_line(columns)] + [csv_line(r.get(c) for c in columns) for r in rows]
    return "".join(lines).encode("utf-8")


def ordered_union(lists: list[list[str]]) -> list[str]:
    out, seen = [], set()
    for cols in lists:
        for c in cols:
            if c not in seen:
                seen.add(c)
                out.append(c)
    return out


_REOPENED_PHASE = {"round_reopened": "execution", "negotiation_reopened": "negotiation"}


def annotate(rows: list[dict], rounds_total: int | None) -> None:
    """Add `phase` and the row's own `round` (module docs, EVENTS_COLUMNS) to every row."""
    phase, debrief_next, cause_phase = "lobby", False, "lobby"
    for r in rows:
        d = r["data"] if isinstance(r["data"], dict) else {}
        if r["kind"] != "event":
            if debrief_next:
                phase, debrief_next = "debrief", False
            if r["kind"] == "system" and r["type"] == "phase_changed":
                phase = d.get("phase", phase)
            # an undo of a close puts the phase back without a `phase_changed` (codebook.py)
            elif r["kind"] == "system" and r["type"] in _REOPENED_PHASE:
                phase, debrief_next = _REOPENED_PHASE[r["type"]], False
            if r["kind"] == "system" and r["type"] == "round_closed" and d.get("round") == rounds_total:
                debrief_next = True
            cause_phase = phase
            r["_phase"] = phase
        else:
            r["_phase"] = cause_phase
        if (r["kind"] == "event" or (r["kind"] == "system" and r["type"] == "round_closed")) \
                and isinstance(d.get("round"), int):
            r["_round"] = d["round"]
        else:
            r["_round"] = r["round"]


def _scalar(v) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def events_wide_table(rows: list[dict]) -> tuple[list[str], list[dict]]:
    spread: dict[str, bool] = {}
    for r in rows:
        d = r["data"]
        if not isinstance(d, dict):
            continue
        for k, v in d.items():
            flat = v is None or (isinstance(v, dict) and all(_scalar(x) for x in v.values()))
            spread[k] = spread.get(k, True) and flat
    for k, ok in spread.items():  # a field that is never a map stays one column
        if ok and not any(isinstance(r["data"], dict) and isinstance(r["data"].get(k), dict) for r in rows):
            spread[k] = False
    data_cols: set[str] = set()
    out = []
    for r in rows:
        pid = r["actor"] if isinstance(r["actor"], str) and r["actor"].startswith("p_") else None
        latency = (r["wall_time"] - r["client_time"]) if r["client_time"] is not None else None
        row = {"session_id": r["session_id"], "seq": r["seq"], "log_id": r["id"], "kind": r["kind"],
               "type": r["type"], "round": r["_round"], "phase": r["_phase"], "firm": r["firm"],
               "actor": r["actor"], "player_id": pid, "command_id": r["command_id"],
               "wall_time": r["wall_time"], "mono_time": r["mono_time"], "client_time": r["client_time"],
               "latency": latency, "reply": r["reply"]}
        d = r["data"]
        if isinstance(d, dict):
            for k, v in d.items():
                if spread.get(k) and isinstance(v, dict):
                    for kk, vv in v.items():
                        row[f"data.{k}.{kk}"] = vv
                        data_cols.add(f"data.{k}.{kk}")
                elif not spread.get(k) or v is not None:
                    row[f"data.{k}"] = v
                    data_cols.add(f"data.{k}")
        out.append(row)
    core = [c.name for c in EVENTS_WIDE_COLUMNS if not c.name.startswith("data.")]
    return core + sorted(data_cols), out


def chat_table(rows: list[dict], names: bool) -> tuple[list[str], list[dict]]:
    # Logs before 2026-12 wrote the client's time on the `chat` command row only, right before
    # the chat line (same session, seq - 1): take it from there when the line has none.
    sent = {(r["session_id"], r["seq"], r["actor"]): r["client_time"] for r in rows
            if r["kind"] == "command" and r["type"] == "chat"}
    out = []
    for r in rows:
        if r["kind"] != "chat":
            continue
        d = r["data"]
        ch = d.get("channel", "")
        row = {"session_id": r["session_id"], "seq": r["seq"], "round": r["_round"], "phase": r["_phase"],
               "channel": ch, "alliance": ch.split(":", 1)[1] if ch.startswith("alliance:") else None,
               "firm": d.get("firm"), "player_id": d.get("sender"), "wall_time": r["wall_time"],
               "client_time": r["client_time"] if r["client_time"] is not None
               else sent.get((r["session_id"], r["seq"] - 1, r["actor"])),
               "text": d.get("text")}
        if names:
            row["sender_name"] = d.get("sender_name")
        out.append(row)
    cols = [c.name for c in CHAT_COLUMNS if names or c.name != "sender_name"]
    return cols, out


_TERM_SCALARS = ("release", "form", "milestone", "duration", "exit_penalty", "exit_on_breach",
                 "exit_trust_below", "upfront_payment", "payer")


_OFFER_FACTS = ("negotiation_opened", "negotiation_move", "alliance_signed", "negotiation_reopened",
                "renegotiation_opened", "renegotiation_move", "terms_renegotiated", "renegotiation_closed")


def offers_table(rows: list[dict]) -> tuple[list[str], list[dict]]:
    """One row per negotiation move and signing; a renegotiation window's moves (phase
    `renegotiation`, the negotiation id is the alliance's), its agreements (`renegotiated`,
    with `applies_from`) and the alliances it left as they were (`kept`)."""
    out = []
    firms_of: dict[str, list[str]] = {}
    standing: dict[tuple[str, str], dict] = {}
    for r in rows:
        if r["kind"] != "system" or r["type"] not in _OFFER_FACTS:
            continue
        d = r["data"]
        if r["type"] == "negotiation_opened":
            firms_of[d["id"]] = list(d["firms"])
            continue
        if r["type"] == "renegotiation_opened":
            firms_of.update({aid: list(f) for aid, f in d["alliances"].items()})
            continue
        if r["type"] == "renegotiation_closed":
            for aid in d["kept"]:
                out.append(_offer_row(r, aid, firms_of, "kept", None, None, None))
            continue
        applies_from = None
        if r["type"] in ("negotiation_move", "renegotiation_move"):
            nid = d.get("id") or d.get("alliance_id")
            key, action, by = (r["type"], nid), d["action"], d.get("by")
            terms = d.get("terms")
            source = "proposed" if terms else None
            if action in ("offer", "counter") and terms:
                standing[key] = terms
            elif action == "accept":
                terms, source = standing.get(key), "accepted" if standing.get(key) else None
            elif action == "reject":
                standing.pop(key, None)
        elif r["type"] == "terms_renegotiated":
            nid, action, by, terms, source = d["alliance_id"], "renegotiated", None, d.get("terms"), "renegotiated"
            applies_from = d["from_round"]
        elif r["type"] == "negotiation_reopened":  # the facilitator undid the close (its offers are back)
            nid, action, by, terms, source = d["alliance_id"], "reopened", None, None, None
        else:
            nid, action, by, terms, source = d["alliance_id"], "signed", None, d.get("terms"), "signed"
        out.append(_offer_row(r, nid, firms_of, action, by, terms, source, applies_from))
    return [c.name for c in OFFERS_COLUMNS], out


def _offer_row(r: dict, nid: str, firms_of: dict, action: str, by, terms, source, applies_from=None) -> dict:
    firms = firms_of.get(nid) or (list((terms or {}).get("split", {})) if terms else [])
    a, b = (firms + [None, None])[:2]
    row = {"session_id": r["session_id"], "seq": r["seq"], "round": r["_round"], "phase": r["_phase"],
           "negotiation": nid, "firm_a": a, "firm_b": b, "action": action, "by": by, "actor": r["actor"],
           "wall_time": r["wall_time"], "terms_source": source, "applies_from": applies_from}
    if terms:
        row["scope"] = terms.get("scope")
        for k in _TERM_SCALARS:
            row[k] = terms.get(k)
        for part in ("contributions", "min_effort", "tranches", "split"):
            m = terms.get(part) or {}
            row[f"{part}.a"] = m.get(a) if part != "contributions" else m.get(a, [])
            row[f"{part}.b"] = m.get(b) if part != "contributions" else m.get(b, [])
        row["terms"] = terms
    return row


def questionnaire_table(rows: list[dict], questions: dict[str, dict[str, dict]]) -> tuple[list[str], list[dict]]:
    out = []
    for r in rows:
        if r["kind"] == "system" and r["type"] == "questionnaire_answered":
            d = r["data"]
            qs = questions.get(r["session_id"], {})
            for q, a in d["answers"].items():
                out.append({"session_id": r["session_id"], "seq": r["seq"], "player_id": d["player_id"],
                            "firm": d.get("firm"), "question": q, "kind": (qs.get(q) or {}).get("kind"),
                            "answer": a, "wall_time": r["wall_time"]})
    return [c.name for c in QUESTIONNAIRE_COLUMNS], out


def players_table(rows: list[dict], names: bool, labels: bool) -> tuple[list[str], list[dict]]:
    players: dict[tuple[str, str], dict] = {}
    consent: dict[tuple[str, str], str] = {}
    consent_at: dict[tuple[str, str], float | None] = {}
    asked: set[str] = set()
    roles: dict[str, dict[tuple[str, str], str]] = {}  # session -> (firm, role) -> holder
    for r in rows:
        if r["kind"] != "system":
            continue
        d, sid = r["data"], r["session_id"]
        if r["type"] in ("consent_given", "consent_declined"):
            consent[sid, d["player_id"]] = "given" if r["type"] == "consent_given" else "declined"
            consent_at[sid, d["player_id"]] = d.get("time")
            asked.add(sid)
            if r["type"] == "consent_declined":
                players.setdefault((sid, d["player_id"]), {
                    "session_id": sid, "player_id": d["player_id"], "first_firm": None, "firm": None,
                    "joined_at": None, "rejoins": 0, "moves": 0, "is_bot": bool(d.get("is_bot", False)),
                    "language": d.get("language")})
        elif r["type"] == "player_joined":
            p = {"session_id": sid, "player_id": d["player_id"], "first_firm": d["firm"], "firm": d["firm"],
                 "joined_at": d.get("joined_at"), "rejoins": 0, "moves": 0,
                 "is_bot": bool(d.get("is_bot", False)), "language": d.get("language")}
            if names:
                p["name"] = d.get("name")
            if labels:
                p["label"] = d.get("label")
            players[sid, d["player_id"]] = p
        elif r["type"] == "player_moved" and (sid, d["player_id"]) in players:
            p = players[sid, d["player_id"]]
            p["firm"] = d["firm"]
            p["moves"] += 1
        elif r["type"] == "language_changed" and (sid, d["player_id"]) in players:
            players[sid, d["player_id"]]["language"] = d["language"]  # the latest (the log keeps each)
        elif r["type"] == "player_rejoined" and (sid, d["player_id"]) in players:
            players[sid, d["player_id"]]["rejoins"] += 1
        elif r["type"] == "players_merged" and (sid, d["duplicate_id"]) in players:
            players[sid, d["duplicate_id"]]["merged_into"] = d["player_id"]
        if r["type"] in _ROLE_FACTS:
            _follow_roles(roles.setdefault(sid, {}), r["type"], d)
    for key, p in players.items():
        p["consent"] = consent.get(key) or ("not_asked" if key[0] not in asked else None)
        p["consent_at"] = consent_at.get(key)
        p.setdefault("merged_into", None)
        held = roles.get(key[0], {})
        p["role"] = ";".join(r for r in ROLES if held.get((p["firm"], r)) == key[1]) or None
    cols = [c.name for c in PLAYERS_COLUMNS if (c.name != "name" or names) and (c.name != "label" or labels)]
    return cols, list(players.values())


_ROLE_FACTS = ("role_assigned", "player_moved", "player_removed", "players_merged")


def _follow_roles(held: dict[tuple[str, str], str], type_: str, d: dict) -> None:
    """Who holds which role inside its firm, fact by fact (game_rules/session/evolve.py's rule:
    a player who leaves a firm leaves its roles free)."""
    if type_ == "role_assigned":
        if d["player_id"] is None:
            held.pop((d["firm"], d["role"]), None)
        else:
            held[d["firm"], d["role"]] = d["player_id"]
        return
    gone = d["duplicate_id"] if type_ == "players_merged" else d["player_id"]
    for k in [k for k, pid in held.items() if pid == gone]:
        del held[k]
