"""The tidy tables of an export archive (docs/research.md, docs/codebook.md): one row per
observation, one column per variable, no JSON inside a cell, few empty cells.

| file | one row per |
|---|---|
| `events.csv` | log row: only the columns every row has (and `firm`) |
| `commands.csv` | player command or facilitator control: ids and client clock |
| `event_values.csv` | scalar inside a log row's payload or reply (`data.<path>`, `reply.<path>`) |
| `alliance_rounds.csv` | firm, resolved round and alliance it was in: trust, dependency, value, tranches |
| `withhold.csv` | domain a firm withheld in an alliance in a round (the decision used) |
| `exits.csv` | alliance a firm left in a round (the decision used) |
| `survey.csv` | pulse-survey answer in the decision used |
| `selection.csv` | partner-selection move: propose, accept, decline, introduce, and its outcome |

Why a long key/value table for the payloads rather than one file per fact type: the log has
some forty row types, most with two or three fields; one file each would be forty small
files to find and join. `event_values.csv` has one stable shape that both pandas
(`pivot_table`) and R (`reshape`, `xtabs`, tidyr `pivot_wider`) turn into any family's wide
table, with numbers and text in separate columns so each column has one type. The families
researchers analyse (alliances by round, decisions' lists, surveys, selection, offers, chat,
questionnaire) have their own typed tables.

Everything is read from the log rows (the log is the truth), after `export_tables.annotate` has
set each row's `_round` and `_phase`; nothing here replays the engine, so the tables exist
even for a session that cannot be replayed.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from .export_columns import SESSION_COLUMNS, Column

C = Column
EPOCH = "s since 1970-01-01 UTC"

EVENTS_CORE = ("session_id", "seq", "log_id", "kind", "type", "round", "phase", "firm", "actor",
               "wall_time", "mono_time")  # the columns of events.csv (documented in export_catalog.EVENTS_WIDE_COLUMNS)

COMMANDS_COLUMNS = SESSION_COLUMNS + [
    C("seq", "integer", "", "the row's position in the session's log (`events.csv`)"),
    C("kind", "text", "", "`command` (a player's) or `control` (the facilitator's)"),
    C("type", "text", "", "the command type (`submit`, `draft`, `chat`, `negotiate`, `select`, `control`, ...)"),
    C("round", "integer", "round", "the round being played (0 before the first)"),
    C("phase", "text", "", "the phase"),
    C("firm", "text", "", "the firm of the player (empty for a control)"),
    C("actor", "text", "", "a player id, `facilitator` or `bot:<firm>`"),
    C("player_id", "text", "", "the pseudonymous player id when a person sent it"),
    C("command_id", "text", "", "the client's command id"),
    C("wall_time", "real", EPOCH, "server wall-clock time when the command was logged"),
    C("client_time", "real", EPOCH, "the time the client said it sent the command (its own clock), as given"),
    C("latency", "real", "s", "`wall_time - client_time`: network delay plus the client's clock offset "
                              "(empty without `client_time`)"),
]
EVENT_VALUES_COLUMNS = SESSION_COLUMNS + [
    C("seq", "integer", "", "the log row (`events.csv`)"),
    C("kind", "text", "", "the row's kind (as in `events.csv`)"),
    C("type", "text", "", "the row's type (as in `events.csv`)"),
    C("key", "text", "", "where the value sits: `data.<field>` in the payload or `reply.<field>` in the "
                         "`ack` of a command, then `.<key>` into a map and `.<n>` (1, 2, ...) into a list "
                         "(`data.competence.design`, `data.firms.2`, `data.pairings.1.alliance_id`); the "
                         "`data.` keys are the column names of `events_wide.csv`"),
    C("number", "real", "", "the value when it is a number (empty otherwise)"),
    C("text", "text", "", "the value when it is text, or `true` / `false` (empty for a number or a null "
                          "value; an empty map or list has no row)"),
]
ALLIANCE_ROUNDS_COLUMNS = SESSION_COLUMNS + [
    C("round", "integer", "round", "the resolved round"),
    C("firm", "text", "", "the firm"),
    C("alliance", "text", "", "an alliance the firm was in when the round started (rounds.csv `alliances`)"),
    C("partner", "text", "", "the other firm of the alliance"),
    C("trust", "real", "0-1", "the firm's trust in this partner after the round (`firm_result`)"),
    C("trust_before", "real", "0-1", "the trust before, when it changed this round (`trust_changed`; empty: "
                                     "no change logged)"),
    C("dependency", "real", "share", "the firm's dependency D on this partner after the round (`firm_result`)"),
    C("value", "real", "cash units", "joint value the alliance created this round (both shares; empty: none, "
                                     "e.g. it was left before it made any)"),
    C("share", "real", "cash units", "the firm's share of that value"),
    C("effective_contribution", "real", "", "the firm's effective contribution E_i to the value"),
    C("mean_reveal", "real", "0-1", "mean reveal over both firms and the scope"),
    C("mean_released", "real", "0-1", "mean released fraction of the tranches"),
    C("trust_used", "real", "0-1", "the lower of the two trusts, as the value used it"),
    C("tranches_released", "integer", "tranches", "tranche releases by the firm in this alliance this round"),
    C("tranches_withheld", "integer", "tranches", "due tranches the firm withheld in this alliance (breaches)"),
    C("withheld_domains", "integer", "domains", "domains the firm's decision withheld in this alliance "
                                                "(`withhold.csv`)"),
    C("exit", "boolean", "", "the firm's decision left this alliance this round (`exits.csv`)"),
    C("ended", "text", "", "the alliance ended this round: `dissolved`, `exited` or `completed` (empty: it "
                           "goes on)"),
    C("ended_by", "text", "", "the firm that left (`exited`)"),
    C("penalty", "real", "cash units", "exit penalty paid by the leaver (`ended` rows)"),
    C("trigger", "text", "", "why leaving was free: `partner_breach`, `trust_below` or `mutual`"),
]
DECISION_KEYS = [
    C("round", "integer", "round", "the resolved round"),
    C("firm", "text", "", "the firm"),
    C("decision_source", "text", "", "where the decision came from (as in rounds.csv): `submitted`, `bot`, "
                                     "`draft` or `default`"),
]
WITHHOLD_COLUMNS = SESSION_COLUMNS + DECISION_KEYS + [
    C("alliance", "text", "", "the alliance"),
    C("domain", "text", "", "a domain whose due tranche the firm withheld"),
]
EXITS_COLUMNS = SESSION_COLUMNS + DECISION_KEYS + [
    C("alliance", "text", "", "an alliance the firm left"),
]
SURVEY_COLUMNS = SESSION_COLUMNS + DECISION_KEYS + [
    C("question", "text", "", "the pulse-survey question id (the scenario's `[[surveys]]`, or another)"),
    C("answer", "integer", "answer 1-5", "the answer"),
]
SELECTION_COLUMNS = SESSION_COLUMNS + [
    C("seq", "integer", "", "the `selection_move` row in the log"),
    C("round", "integer", "round", "0 (selection comes before the first round)"),
    C("wall_time", "real", EPOCH, "server time"),
    C("actor", "text", "", "a player id or `bot:<firm>`"),
    C("action", "text", "", "`propose`, `accept`, `decline` or `introduce`"),
    C("by", "text", "", "the firm that moved (the go-between for `introduce`)"),
    C("proposal", "integer", "", "the proposal id: made by `propose` and `introduce` (1, 2, ... in order), "
                                 "answered by `accept` and `decline`"),
    C("sender", "text", "", "the proposal's first firm (the proposer; the first firm introduced)"),
    C("receiver", "text", "", "the proposal's second firm (the firm asked)"),
    C("template", "text", "", "the alliance template"),
    C("introduced_by", "text", "", "the go-between, when the proposal is an introduction"),
    C("status", "text", "", "the proposal's status right after the move: `pending`, `accepted`, `declined`"),
    C("outcome", "text", "", "the proposal's status when the board closed: `accepted`, `declined` or "
                             "`lapsed` (still pending); empty while the board is open"),
    C("alliance", "text", "", "the pairing the proposal became when the board closed (empty: none)"),
]

PRACTICE_COLUMNS = SESSION_COLUMNS + [
    C("seq", "integer", "", "the `practice_closed` row in the log"),
    C("round", "integer", "round", "0: the practice round comes before the first real round"),
    C("practice", "integer", "", "1: a practice row, never scored (every row of this file)"),
    C("firm", "text", "", "the firm"),
    C("source", "text", "", "`submitted`, `bot` or `default` (the firm did not submit: the engine's default)"),
    C("by", "text", "", "the player id who submitted, or `bot:<firm>` (empty for `default`)"),
    C("reason", "text", "", "why the practice round closed: `all_submitted`, `clock` or `facilitator`"),
    C("decision", "json", "", "the practice decision (empty for `default`)"),
    C("position_before", "real", "position", "the firm's position at the start (its practice game)"),
    C("position_after", "real", "position", "after the practice round, against the imagined partner"),
    C("cash", "real", "cash units", "cash after the practice round"),
    C("cash_from_value", "real", "cash units", "its share of the joint value"),
    C("cash_from_market", "real", "cash units", "from the market"),
    C("cash_unspent", "real", "cash units", "budget kept"),
    C("joint_value", "real", "points", "the joint value of the practice alliance"),
    C("value_received", "real", "points", "the firm's share of it"),
    C("trust", "real", "0-1", "trust in the imagined partner after the round (empty: no alliance)"),
    C("learned", "json", "", "domain -> competence learned from the imagined partner"),
    C("developed", "json", "", "domain -> competence developed"),
]

CSV_FILES: dict[str, list[Column]] = {
    "commands.csv": COMMANDS_COLUMNS, "event_values.csv": EVENT_VALUES_COLUMNS,
    "alliance_rounds.csv": ALLIANCE_ROUNDS_COLUMNS, "withhold.csv": WITHHOLD_COLUMNS,
    "exits.csv": EXITS_COLUMNS, "survey.csv": SURVEY_COLUMNS, "selection.csv": SELECTION_COLUMNS,
    "practice.csv": PRACTICE_COLUMNS,
}
FILE_DOCS = {
    "commands.csv": "tidy: one row per player command and facilitator control (its payload is in "
                    "`event_values.csv`)",
    "event_values.csv": "long: one row per scalar in a log row's payload (`data.`) or a command's reply "
                        "(`reply.`); join to `events.csv` on `session_id`, `seq`",
    "alliance_rounds.csv": "tidy: one row per firm, resolved round and alliance the firm was in when the round "
                           "started (a firm with two alliances has two rows; rounds.csv `trust` and "
                           "`dependency` aggregate them)",
    "withhold.csv": "tidy: one row per domain withheld per alliance, firm and round (rounds.csv `withhold`)",
    "exits.csv": "tidy: one row per alliance a firm left, per round (rounds.csv `exit`)",
    "survey.csv": "tidy: one row per pulse-survey answer in the decision used (rounds.csv `survey.<question>`, "
                  "`survey_other`)",
    "selection.csv": "tidy: one row per partner-selection move, with the proposal's firms, template and outcome",
    "practice.csv": "tidy: one row per firm of the practice round (round 0, `practice` = 1, never scored; session "
                    "option `practice_round`): its decision and what it did against the imagined partner. Only in "
                    "archives with a practice round; in the other files its rows have phase `practice`, round 0",
}


# ---- events.csv, commands.csv, event_values.csv ------------------------------------------------

def events_table(rows: list[dict]) -> tuple[list[str], list[dict]]:
    return list(EVENTS_CORE), [{"session_id": r["session_id"], "seq": r["seq"], "log_id": r["id"],
                                "kind": r["kind"], "type": r["type"], "round": r["_round"],
                                "phase": r["_phase"], "firm": r["firm"], "actor": r["actor"],
                                "wall_time": r["wall_time"], "mono_time": r["mono_time"]} for r in rows]


def commands_table(rows: list[dict]) -> tuple[list[str], list[dict]]:
    out = []
    for r in rows:
        if r["kind"] not in ("command", "control"):
            continue
        actor = r["actor"]
        out.append({"session_id": r["session_id"], "seq": r["seq"], "kind": r["kind"], "type": r["type"],
                    "round": r["_round"], "phase": r["_phase"], "firm": r["firm"], "actor": actor,
                    "player_id": actor if isinstance(actor, str) and actor.startswith("p_") else None,
                    "command_id": r["command_id"], "wall_time": r["wall_time"], "client_time": r["client_time"],
                    "latency": r["wall_time"] - r["client_time"] if r["client_time"] is not None else None})
    return [c.name for c in COMMANDS_COLUMNS], out


def leaves(value, path: str) -> Iterator[tuple[str, object]]:
    """Every scalar inside `value` with its dotted path (maps by key, lists from 1); an empty
    map or list has none."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value, 1):
            yield from leaves(v, f"{path}.{i}")
    else:
        yield path, value


def event_values_table(rows: list[dict]) -> tuple[list[str], list[dict]]:
    out = []
    for r in rows:
        base = {"session_id": r["session_id"], "seq": r["seq"], "kind": r["kind"], "type": r["type"]}
        for part in ("data", "reply"):
            for key, v in leaves(r[part], part) if r[part] is not None else ():
                number = isinstance(v, (int, float)) and not isinstance(v, bool)
                out.append({**base, "key": key, "number": float(v) if number else None,
                            "text": None if number or v is None else v})
    return [c.name for c in EVENT_VALUES_COLUMNS], out


# ---- rounds: alliances, decisions' lists, surveys ------------------------------------------------

def by_session(rows: list[dict]) -> Iterator[list[dict]]:
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i]["session_id"] != rows[start]["session_id"]:
            yield rows[start:i]
            start = i


def resolved_rounds(rows: list[dict]) -> Iterator[tuple[dict, list[dict], dict[str, tuple[str, str]]]]:
    """Each `round_closed` fact of one session's rows, with its engine events (the rows right
    after it) and the alliances active when the round started (id -> its two firms)."""
    active: dict[str, tuple[str, str]] = {}
    for i, r in enumerate(rows):
        d = r["data"]
        if r["kind"] == "event" and r["type"] == "alliance_signed":
            active[d["alliance"]] = tuple(d["firms"])
        elif r["kind"] == "event" and r["type"] == "alliance_ended":
            active.pop(d["alliance"], None)
        elif r["kind"] == "system" and r["type"] == "round_closed":
            j = i + 1
            while j < len(rows) and rows[j]["kind"] == "event":
                j += 1
            yield r, [x["data"] for x in rows[i + 1:j]], dict(active)


def decisions_used(closed: dict, events: list[dict]) -> dict[str, tuple[dict, str]]:
    """firm -> (the decision played, its source): the logged one, or the engine default."""
    sources = closed.get("sources") or {}
    used = {f: (d, sources.get(f, "default")) for f, d in (closed.get("decisions") or {}).items()}  # as rounds.csv
    for e in events:
        if e.get("type") == "default_applied":
            used[e["firm"]] = (e["decision"], "default")
    return used


def _alliance_row(sid, rnd, firm, aid, firms, events, decision) -> dict:
    def one(kind, **match):
        return next((e for e in events if e.get("type") == kind
                     and all(e.get(k) == v for k, v in match.items())), {})

    def count(kind):
        return sum(1 for e in events if e.get("type") == kind and e["alliance"] == aid and e["firm"] == firm)

    result, jv = one("firm_result", firm=firm), one("joint_value", alliance=aid)
    ended = one("alliance_ended", alliance=aid)
    return {"session_id": sid, "round": rnd, "firm": firm, "alliance": aid,
            "partner": firms[1] if firms[0] == firm else firms[0],
            "trust": (result.get("trust") or {}).get(aid),
            "trust_before": one("trust_changed", alliance=aid, firm=firm).get("before"),
            "dependency": (result.get("dependency") or {}).get(aid),
            "value": jv.get("value"), "share": (jv.get("shares") or {}).get(firm),
            "effective_contribution": (jv.get("effective_contribution") or {}).get(firm),
            "mean_reveal": jv.get("mean_reveal"), "mean_released": jv.get("mean_released"),
            "trust_used": jv.get("trust_used"),
            "tranches_released": count("tranche_released"), "tranches_withheld": count("tranche_withheld"),
            "withheld_domains": len((decision.get("withhold") or {}).get(aid) or []),
            "exit": aid in (decision.get("exit") or []),
            "ended": ended.get("reason"), "ended_by": ended.get("by"),
            "penalty": ended.get("penalty"), "trigger": ended.get("trigger")}


def round_tables(rows: list[dict]) -> dict[str, list[dict]]:
    """alliance_rounds.csv, withhold.csv, exits.csv and survey.csv, from every session's rows."""
    out: dict[str, list[dict]] = {"alliance_rounds.csv": [], "withhold.csv": [], "exits.csv": [], "survey.csv": []}
    for session in by_session(rows):
        sid = session[0]["session_id"]
        for closed, events, active in resolved_rounds(session):
            rnd = closed["data"]["round"]
            used = decisions_used(closed["data"], events)
            for aid, firms in active.items():
                for firm in firms:
                    decision = used.get(firm, ({}, ""))[0]
                    out["alliance_rounds.csv"].append(_alliance_row(sid, rnd, firm, aid, firms, events, decision))
            for firm, (d, source) in used.items():
                keys = {"session_id": sid, "round": rnd, "firm": firm, "decision_source": source}
                out["withhold.csv"] += [{**keys, "alliance": a, "domain": k}
                                        for a, ks in (d.get("withhold") or {}).items() for k in ks]
                out["exits.csv"] += [{**keys, "alliance": a} for a in d.get("exit") or []]
                out["survey.csv"] += [{**keys, "question": q, "answer": a} for q, a in (d.get("survey") or {}).items()]
    return out


# ---- selection.csv --------------------------------------------------------------------------------

def _selection_rows(session: list[dict]) -> Iterable[dict]:
    proposals: dict[int, dict] = {}   # id -> sender, receiver, template, introduced_by, status
    made: list[dict] = []
    effect = "skip"
    for r in session:
        if r["kind"] != "system":
            continue
        d = r["data"]
        if r["type"] == "selection_opened":
            yield from made  # an earlier board that never closed
            proposals, made = {}, []
            effect = ((d.get("settings") or {}).get("go_between") or {}).get("effect", "skip")
        elif r["type"] == "selection_move":
            action = d["action"]
            if action in ("propose", "introduce"):
                pid = len(proposals) + 1
                a, b = (d["by"], d["to"]) if action == "propose" else tuple(d["firms"])
                proposals[pid] = {"sender": a, "receiver": b, "template": d.get("template"),
                                  "introduced_by": d["by"] if action == "introduce" else None,
                                  "status": "accepted" if action == "introduce" and effect == "skip" else "pending"}
            else:  # the server logs only legal answers; an unknown id (a hand-edited log) keeps the row
                pid = d.get("proposal")
                proposals.setdefault(pid, dict.fromkeys(("sender", "receiver", "template", "introduced_by")))
                proposals[pid]["status"] = "accepted" if action == "accept" else "declined"
            p = proposals[pid]
            made.append({"session_id": r["session_id"], "seq": r["seq"], "round": r["_round"],
                         "wall_time": r["wall_time"], "actor": r["actor"], "action": action, "by": d["by"],
                         "proposal": pid, **{k: p[k] for k in ("sender", "receiver", "template", "introduced_by",
                                                               "status")}, "_p": p})
        elif r["type"] == "selection_closed":
            pairs = {(frozenset(x["firms"]), x["template"]): x["alliance_id"] for x in d.get("pairings") or []}
            for m in made:
                p = m["_p"]
                m["outcome"] = "lapsed" if p["status"] == "pending" else p["status"]
                m["alliance"] = pairs.get((frozenset((p["sender"], p["receiver"])), p["template"])) \
                    if p["status"] == "accepted" else None
            yield from made
            proposals, made = {}, []
    yield from made  # a board still open


def selection_table(rows: list[dict]) -> tuple[list[str], list[dict]]:
    out = [m for session in by_session(rows) for m in _selection_rows(session)]
    for m in out:
        m.pop("_p", None)
    return [c.name for c in SELECTION_COLUMNS], out


def practice_table(rows: list[dict]) -> tuple[list[str], list[dict]]:
    """One row per firm of each `practice_closed` fact (who submitted: its `practice_submitted`)."""
    out = []
    for session in by_session(rows):
        by: dict[str, str] = {}
        for r in session:
            d = r["data"] if isinstance(r["data"], dict) else {}
            if r["kind"] != "system":
                continue
            if r["type"] == "practice_submitted":
                by[d.get("firm")] = d.get("by")
            elif r["type"] == "practice_closed":
                decisions = d.get("decisions") or {}
                for firm, res in sorted((d.get("results") or {}).items()):
                    res = res if isinstance(res, dict) else {}
                    out.append({"session_id": r["session_id"], "seq": r["seq"], "round": 0, "practice": 1,
                                "firm": firm, "source": (d.get("sources") or {}).get(firm),
                                "by": by.get(firm) if firm in decisions else None, "reason": d.get("reason"),
                                "decision": decisions.get(firm),
                                **{c.name: res.get(c.name) for c in PRACTICE_COLUMNS[9:]}})
    return [c.name for c in PRACTICE_COLUMNS], out


def tidy_tables(rows: list[dict]) -> Iterator[tuple[str, list[str], list[dict]]]:
    """(file name, columns, rows) of every tidy table but events.csv, in FILE_DOCS order."""
    yield "commands.csv", *commands_table(rows)
    yield "event_values.csv", *event_values_table(rows)
    per_round = round_tables(rows)
    for name in ("alliance_rounds.csv", "withhold.csv", "exits.csv", "survey.csv"):
        yield name, [c.name for c in CSV_FILES[name]], per_round[name]
    yield "selection.csv", *selection_table(rows)
    cols, practice = practice_table(rows)
    if practice:  # only with a practice round: archives of other sessions stay as they were
        yield "practice.csv", cols, practice
