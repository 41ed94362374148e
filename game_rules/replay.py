"""Replay a logged session through the pure engine, and counterfactuals (GAME.md section 12).

    logs = read_sessions(rows)                    # event-log rows of one or more sessions
    log = logs[session_id]
    rules = rules_for(log, scenario_toml)         # the session's scenario with its overrides
    result = replay(log, rules)                   # every round recomputed from the logged decisions
    result.diffs                                  # [] when the engine reproduces the log exactly
    cf = replay(log, rules_for(log, toml, {"value_scale": "5"}), counterfactual={"value_scale": "5"})
    rows = wide_rows(log, cf)                     # game_rules.wide_format: one dict per firm and round

The log's engine facts are folded in order by the server's own `session.evolve`:
`alliance_signed` signs (the logged term sheet), `phase_changed` moves the phase,
`round_closed` carries the decision used by every firm that had one (a firm absent from
it played the engine default, as it did live), `terms_renegotiated` (a renegotiation
window's agreement) changes an alliance's terms from the next round, and the engine events logged right after
a fact are its consequences, compared field by field with what the engine computes now.
Seats and submitters are only tallied, for the wide rows (an export has no names to seat).

A counterfactual holds every logged decision fixed (bots' included) and changes the
parameters. A decision the changed rules no longer allow (over a smaller budget, naming
an alliance that has already broken up) is adapted, and the wide row says how
(`adjusted`); `terms.*` overrides change every signed term sheet too.

Pure: no I/O, no clock (the command line reads the files; see `__main__.py`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from .decisions import DecisionError, default_decision, validate_decision
from .engine import resolve_round
from .rules import Rules, new_session
from .session import facts as F, reopen_negotiation
from .session.evolve import evolve
from .session.state import Session
from .treatments import session_rules
from .scenario import load_scenario, parse_scenario, session_overrides
from .state import Decision, SessionState, TermSheet


class ReplayError(ValueError):
    """A log that cannot be replayed at all (no session_created row, unknown scenario, ...)."""


# ---- reading log rows --------------------------------------------------------------------

@dataclass
class SessionLog:
    """The log rows of one session (seq order, `data` parsed) and its configuration."""
    session_id: str
    rows: list[dict]
    scenario: str
    title: str
    options: dict
    engine_version: str | None = None

    @property
    def study(self) -> str | None:
        return self.options.get("study")

    @property
    def treatment(self) -> str | None:
        return self.options.get("treatment")

    def treatment_of(self, firm: str) -> str | None:
        """The firm's treatment: its own when treatments differ inside the session."""
        return (self.options.get("treatment_of_firm") or {}).get(firm) or self.treatment


def _parsed(v):
    return json.loads(v) if isinstance(v, str) else v


def read_sessions(rows: Iterable[dict]) -> dict[str, SessionLog]:
    """Group event-log rows (the `log` table's columns; `data` as JSON text or parsed) by
    session. Every session must have its `session_created` fact."""
    by: dict[str, list[dict]] = {}
    for r in rows:
        r = dict(r)
        r["data"] = _parsed(r.get("data"))
        by.setdefault(r["session_id"], []).append(r)
    out = {}
    for sid, rs in by.items():
        rs.sort(key=lambda r: r["seq"])
        created = next((r for r in rs if r["kind"] == "system" and r["type"] == "session_created"), None)
        if created is None:
            raise ReplayError(f"session {sid}: the log has no session_created fact")
        d = created["data"]
        out[sid] = SessionLog(sid, rs, d["scenario"], d.get("title") or "", dict(d["options"]),
                              d.get("engine_version"))
    return out


def rules_for(log: SessionLog, scenario_text: str | None = None,
              extra_overrides: dict[str, Any] | None = None) -> Rules:
    """The rules the session ran under: its scenario (the exact TOML text when given, else
    the shipped scenario of that id) with the session's overrides, then `extra_overrides`;
    with treatments inside the session, each firm's own (its treatment's overrides on top
    of the session's, then `extra_overrides`)."""
    base = session_overrides(log.options.get("overrides"))
    extra = dict(extra_overrides or {})

    def build(treatment_overrides: dict) -> Rules:
        overrides = {**base, **treatment_overrides, **extra}
        if scenario_text is not None:
            scenario = parse_scenario(scenario_text, overrides or None)
        else:
            scenario = load_scenario(log.scenario, overrides or None)
        if scenario.id != log.scenario:
            raise ReplayError(f"session {log.session_id}: the scenario text is {scenario.id!r}, "
                              f"the log says {log.scenario!r}")
        return Rules.from_scenario(scenario)

    return session_rules(build({}), log.options, build)


# ---- comparing -------------------------------------------------------------------------

@dataclass
class Difference:
    """One place where the recomputed result differs from the logged one."""
    session_id: str
    round: int | None
    what: str            # e.g. "firm_result west1", "events of round 3"
    path: str            # field path inside the event ("" for the whole thing)
    logged: Any
    replayed: Any

    def __str__(self) -> str:
        where = f"round {self.round}" if self.round is not None else "setup"
        at = f".{self.path}" if self.path else ""
        return f"{self.session_id} {where}: {self.what}{at}: logged {self.logged!r}, replayed {self.replayed!r}"


def normalize(v):
    """What a value becomes after a JSON round trip (tuples to lists); floats are kept
    exactly (JSON writes the shortest repr that reads back to the same float)."""
    return json.loads(json.dumps(v, allow_nan=False))


def _walk(a, b, path: str, out: list[tuple[str, Any, Any]]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            p = f"{path}.{k}" if path else str(k)
            if k not in a:
                out.append((p, None, b[k]))
            elif k not in b:
                out.append((p, a[k], None))
            else:
                _walk(a[k], b[k], p, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            _walk(x, y, f"{path}.{i}" if path else str(i), out)
    elif a != b or type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        out.append((path, a, b))


def _event_name(e: dict) -> str:
    who = e.get("firm") or e.get("alliance")
    return f"{e.get('type')} {who}" if who else str(e.get("type"))


def compare_events(session_id: str, rnd: int | None, logged: list[dict], replayed: list[dict]) -> list[Difference]:
    diffs = []
    if len(logged) != len(replayed):
        diffs.append(Difference(session_id, rnd, "number of engine events", "",
                                [_event_name(e) for e in logged], [_event_name(e) for e in replayed]))
        return diffs
    for a, b in zip(logged, replayed):
        found: list[tuple[str, Any, Any]] = []
        _walk(a, b, "", found)
        diffs += [Difference(session_id, rnd, _event_name(a), p, x, y) for p, x, y in found]
    return diffs


# ---- replaying -------------------------------------------------------------------------

@dataclass
class RoundRecord:
    """One resolved round: what went in, what came out."""
    round: int
    reason: str | None
    decisions: dict[str, dict]        # firm -> the decision used (the default included)
    sources: dict[str, str]           # firm -> submitted | bot | draft | default
    decided_by: dict[str, str]        # firm -> who submitted (player id or bot:<firm>)
    players: dict[str, int]           # firm -> people seated when the round closed
    bots: dict[str, str]              # firm -> strategy of a bot-held seat
    alliances: dict[str, list[str]]   # firm -> its active alliances when the round started
    partners: dict[str, list[str]]
    events: list[dict]                # replayed engine events
    logged_events: list[dict]         # the engine events in the log
    state: SessionState               # after the round (replayed)
    adjusted: dict[str, list[str]] = field(default_factory=dict)  # counterfactual changes to decisions
    is_bot: dict[str, bool] = field(default_factory=dict)   # firm -> its decision was a bot's (`played_by_bot`)
    terms: dict[str, dict] = field(default_factory=dict)    # alliance -> the term sheet in force (round start)


@dataclass
class ReplayResult:
    session_id: str
    rules: Rules
    rounds: list[RoundRecord]
    diffs: list[Difference]
    notes: list[str]
    state: SessionState               # the final replayed state
    counterfactual: dict[str, Any] | None = None


def adapt_decision(rules: Rules, state: SessionState, d: Decision) -> tuple[Decision, list[str]]:
    """Make a logged decision legal under changed rules (a counterfactual): drop the parts
    that name domains or alliances the firm no longer has, cap reveal at 1, and scale the
    points down to the budget. Returns the decision and what was changed."""
    try:
        validate_decision(rules, state, d)
        return d, []
    except DecisionError:
        pass
    notes = []
    als = state.alliances_of(d.firm)
    scope = {k for a in als for k in a.terms.scope}
    contributed = {k for a in als for k in a.terms.contributions.get(d.firm, ())}
    active = {a.id for a in als}
    domains = rules.domain_set

    def keep(name, values, allowed):
        out = {k: v for k, v in values.items() if k in allowed and k in domains}
        if len(out) != len(values):
            notes.append(f"{name}: dropped {', '.join(sorted(set(values) - set(out)))}")
        return out

    nd = Decision(d.firm, keep("contribute", d.contribute, contributed), keep("absorb", d.absorb, scope),
                  keep("develop", d.develop, domains), d.protect,
                  {k: min(1.0, v) for k, v in keep("reveal", d.reveal, scope).items()},
                  {a: tuple(k for k in ks if k in state.alliances[a].terms.contributions.get(d.firm, ()))
                   for a, ks in d.withhold.items() if a in active},
                  tuple(a for a in d.exit if a in active), dict(d.survey))
    if set(nd.withhold) != set(d.withhold) or nd.exit != d.exit:
        notes.append("withhold/exit: dropped alliances no longer active")
    spent, budget = nd.spent(), rules.params.budget
    if spent > budget:
        f = budget / spent
        nd.contribute = {k: v * f for k, v in nd.contribute.items()}
        nd.absorb = {k: v * f for k, v in nd.absorb.items()}
        nd.develop = {k: v * f for k, v in nd.develop.items()}
        nd.protect *= f
        notes.append(f"points scaled by {f:.6g} to the budget of {budget:g}")
    try:
        validate_decision(rules, state, nd)
    except DecisionError as e:
        notes.append(f"still not legal ({e.code}): the engine default was played")
        nd = default_decision(rules, state, d.firm)
    return nd, notes


# Settings that change only what firms see (the noise of their benchmarks), never a logged
# decision or a result: with every decision held fixed, a counterfactual on them changes nothing.
VIEW_ONLY = ("estimate_noise",)


def unreplayable(log: SessionLog, overrides: dict[str, Any]) -> list[str]:
    """The `--set` overrides a counterfactual of `log` cannot honour, each with why (empty
    when it can honour them all): a view-only setting, and more rounds than the log resolved
    (there are no decisions to play them with; fewer rounds cut the session short)."""
    problems = [f"--set {n}: changes only what firms see; with their logged decisions held fixed "
                f"it would change nothing (use `simulate` to study it)" for n in overrides if n in VIEW_ONLY]
    if "renegotiation_every" in overrides:
        problems.append("--set renegotiation_every: a replay plays the log's renegotiation windows as they were "
                        "agreed (use `simulate --set renegotiation_every=n` to study windows with bots)")
    if "rounds" in overrides:
        resolved = sum(1 for r in log.rows if r["kind"] == "system" and r["type"] == "round_closed")
        wanted = _coerce(overrides["rounds"])
        if not isinstance(wanted, int) or isinstance(wanted, bool) or wanted < 1:
            problems.append(f"--set rounds={overrides['rounds']}: a whole number of rounds from 1")
        elif wanted > resolved:
            problems.append(f"--set rounds={wanted}: session {log.session_id} resolved {resolved} round(s); a replay "
                            f"has no decisions for later rounds (fewer rounds end it early)")
    return problems


def _apply_terms_overrides(terms: TermSheet, overrides: dict[str, Any]) -> TermSheet:
    d = terms.to_dict()
    for name, v in overrides.items():
        if name.startswith("terms."):
            key = name[len("terms."):]
            if key == "duration" and v in (None, ""):
                continue
            d[key] = _coerce(v)
    return TermSheet.from_dict(d)


def _coerce(v):
    if not isinstance(v, str):
        return v
    low = v.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return v


def replay(log: SessionLog, rules: Rules, counterfactual: dict[str, Any] | None = None) -> ReplayResult:
    """Recompute every round of `log` under `rules`. Without `counterfactual` every
    difference from the logged engine events is a `Difference` (there should be none);
    with it (the `--set` overrides, already in `rules`) decisions are adapted where needed
    and nothing is compared."""
    cf = counterfactual is not None
    if cf:
        problems = unreplayable(log, counterfactual)
        if problems:
            raise ReplayError("; ".join(problems))
    o = log.options
    rounds = rules.scenario.rounds if cf and "rounds" in counterfactual else o.get("rounds")
    # the engine's facts fold into a session (no firm's books: replay never builds a view)
    session = Session(rules, new_session(rules, o.get("copies", 1), o.get("seed", 0), rounds), books=False)
    sid = log.session_id
    diffs: list[Difference] = []
    notes: list[str] = []
    records: list[RoundRecord] = []
    players: dict[str, str] = {}
    bots: dict[str, str] = {}
    decided_by: dict[str, str] = {}
    declared_bots: set[str] = set()   # players whose client declared itself a bot at the join
    reopened = 0                      # rounds closed, then reopened (round_reopened)
    rows = log.rows
    i = 0
    while i < len(rows):
        r = rows[i]
        i += 1
        if r["kind"] != "system":
            continue
        j = i
        while j < len(rows) and rows[j]["kind"] == "event":
            j += 1
        consequences = [rows[k]["data"] for k in range(i, j)]
        i = j
        t, d = r["type"], r["data"]
        if t in ("player_joined", "player_moved"):
            players[d["player_id"]] = d["firm"]
            bots.pop(d["firm"], None)
            if t == "player_joined" and d.get("is_bot"):
                declared_bots.add(d["player_id"])
        elif t == "player_removed":   # a removed player no longer counts at the firm
            players.pop(d["player_id"], None)
        elif t == "players_merged":   # two rows were one person: the duplicate stops counting
            players.pop(d["duplicate_id"], None)
        elif t == "bots_seated":
            bots.update(d["firms"])
        elif t == "phase_changed":
            # a counterfactual that ended the game early stays over
            if session.state.phase != "debrief" or not cf:
                evolve(session, F.PhaseChanged.from_data(d))
        elif t == "decision_submitted":
            decided_by[d["firm"]] = d["by"]
        elif t == "alliance_signed":
            fact = F.AllianceSigned.from_data(d)
            if cf:
                terms = _apply_terms_overrides(TermSheet.from_dict(fact.terms), counterfactual)
                fact = replace(fact, terms=terms.to_dict())
            try:
                evs = normalize(evolve(session, fact))
            except ValueError as e:
                raise ReplayError(f"session {sid}: alliance {d['alliance_id']} cannot be signed: {e}") from None
            if not cf:
                diffs += compare_events(sid, None, consequences, evs)
        elif t == "terms_renegotiated":
            # a renegotiation window's agreement: the alliance plays these terms from the next round
            fact = F.TermsRenegotiated.from_data(d)
            if cf:
                if d["alliance_id"] not in session.state.alliances:
                    continue
                fact = replace(fact, terms=_apply_terms_overrides(TermSheet.from_dict(fact.terms),
                                                                  counterfactual).to_dict())
            evolve(session, fact)
        elif t == "negotiation_opened" or (t == "negotiation_move" and d.get("action") == "deadline"):
            # only what a reopening needs: the negotiations a close ended (other moves stay
            # out: they change no engine state, and a counterfactual's rules may refuse them)
            fact = F.read_fact(t, d)
            known = session.negotiations.get(d["id"])
            if t == "negotiation_opened" or (known is not None and known.status == "open"):
                evolve(session, fact)
        elif t == "negotiation_reopened":
            # the facilitator undid a negotiation's close: its alliance (if the close signed it)
            # is un-signed and the phase is negotiation again (reopen_negotiation.py)
            if d["alliance_id"] not in reopen_negotiation.reopenable(session):
                diffs.append(Difference(sid, None, "negotiation reopened", "", "a closed negotiation",
                                        d["alliance_id"]))
                break
            evolve(session, F.NegotiationReopened.from_data(d))
        elif t == "round_reopened":
            # the facilitator undid the last close: that round is played again (its record
            # goes; the decisions submitted before the close count again)
            if cf and (not records or records[-1].round != d["round"]):
                continue  # a counterfactual that ended the game before it: nothing to reopen
            evolve(session, F.RoundReopened.from_data(d))
            undone = records.pop()
            decided_by = dict(undone.decided_by)
            reopened += 1
        elif t == "round_closed":
            fact = F.RoundClosed.from_data(d)
            state = session.state
            rnd = d["round"]
            if state.phase != "execution":
                if cf:
                    notes.append(f"round {rnd} not replayed: the counterfactual session is over "
                                 f"after round {state.round}")
                    continue
                diffs.append(Difference(sid, rnd, "phase", "", "execution", state.phase))
                break
            if state.round + 1 != rnd:
                diffs.append(Difference(sid, rnd, "round number", "", rnd, state.round + 1))
                break
            decisions = {f: Decision.from_dict(x) for f, x in d["decisions"].items()}
            adjusted: dict[str, list[str]] = {}
            if cf:
                for f in list(decisions):
                    decisions[f], changed = adapt_decision(rules, state, decisions[f])
                    if changed:
                        adjusted[f] = changed
            before = state
            try:
                resolved = resolve_round(rules, state, decisions)
            except DecisionError as e:
                diffs.append(Difference(sid, rnd, "the engine refused a logged decision", "", None, str(e)))
                break
            if cf:  # the fact as the counterfactual played it
                fact = replace(fact, decisions={f: x.to_dict() for f, x in decisions.items()})
            evs = normalize(evolve(session, replace(fact, resolved=resolved)))
            state = session.state
            used = {f: normalize(x.to_dict()) for f, x in decisions.items()}
            for e in evs:
                if e["type"] == "default_applied":
                    used[e["firm"]] = e["decision"]
            sources = dict(d.get("sources") or {})
            if not cf:
                diffs += compare_events(sid, rnd, consequences, evs)
            count = {f: 0 for f in state.firms}
            for pid, firm in players.items():
                count[firm] = count.get(firm, 0) + 1
            als = {f: sorted(a.id for a in before.alliances_of(f)) for f in state.firms}
            partners = {f: sorted(a.partner(f) for a in before.alliances_of(f)) for f in state.firms}
            by_bot = {f: played_by_bot(sources.get(f, "default"), decided_by.get(f), bots.get(f),
                                       [p for p, pf in players.items() if pf == f], declared_bots)
                      for f in state.firms}
            in_force = {a.id: a.terms.to_dict() for a in before.alliances.values() if a.status == "active"}
            records.append(RoundRecord(rnd, d.get("reason"), used, sources,
                                       {f: b for f, b in decided_by.items()}, count, dict(bots), als,
                                       partners, evs, consequences, state, adjusted, by_bot, in_force))
            decided_by = {}
    if not cf:
        logged_rounds = [r["data"]["round"] for r in rows if r["kind"] == "system" and r["type"] == "round_closed"]
        if len(logged_rounds) - reopened != len(records) and not diffs:
            diffs.append(Difference(sid, None, "rounds replayed", "", len(logged_rounds), len(records)))
    return ReplayResult(sid, rules, records, diffs, notes, session.state, counterfactual)


def played_by_bot(source: str, decided_by: str | None, seat_bot: str | None, seated: list[str],
                  declared_bots: set[str]) -> bool:
    """Whether a firm's decision in a round was a bot's: the server's seat bot (`bot`), a
    submission by a client that declared itself a bot at the join, or, for a draft or the
    engine default (nobody submitted), a firm held only by bots (a seat bot, or seated
    players who all declared themselves bots). A firm nobody held is not a bot's."""
    if source == "bot":
        return True
    if source == "submitted":
        return decided_by is not None and (decided_by.startswith("bot:") or decided_by in declared_bots)
    if seat_bot is not None and not seated:
        return True
    return bool(seated) and all(p in declared_bots for p in seated)
