"""The wide format of a replayed (or logged) session: one row per firm and round, with its
decision, results, terms in force and scores, in the columns of `wide_columns`
(docs/codebook.md explains each). The export's `rounds.csv` and the replay command line
write it.

    result = replay(log, rules)                   # game_rules.replay
    rows = wide_rows(log, result)                 # one dict per firm and round
"""
from __future__ import annotations

import json
from math import fsum
from typing import Any

from .replay import ReplayResult, RoundRecord, SessionLog, _coerce
from .rules import Rules
from .scoring import introductions, score_session


# The terms in force that a treatment may set (`terms.<key>` overrides) or partners negotiate.
TERMS_IN_FORCE = ("release", "form", "share", "milestone", "exit_penalty")
TERMS_COLUMNS = tuple(f"terms.{k}" for k in TERMS_IN_FORCE) + ("terms_in_force", "terms_match_treatment")
RESULT_FIELDS = ("cash", "cash_from_value", "cash_from_market", "cash_unspent", "cash_penalties", "position")
PER_DOMAIN_RESULTS = ("competence", "learned", "taught", "developed", "exposure")
SCORE_FIELDS = ("internal_gain", "external_gain", "cash_score", "freedom", "total", "rank")


def wide_columns(rules: Rules) -> list[str]:
    """The wide format's columns for a session under `rules` (domains and survey questions
    in the scenario's order); docs/codebook.md explains each."""
    doms = rules.domains
    cols = ["session_id", "study", "treatment", "scenario", "round", "copy", "firm", "role",
            "alliances", "partners", *TERMS_COLUMNS, "players", "bot", "is_bot", "submitted",
            "decision_source", "decided_by", "close_reason"]
    for name in ("contribute", "absorb", "develop"):
        cols += [f"{name}.{k}" for k in doms]
    cols += ["protect"] + [f"reveal.{k}" for k in doms] + ["withhold", "exit", "spent"]
    cols += [f"survey.{q.id}" for q in rules.scenario.surveys] + ["survey_other"]
    cols += list(RESULT_FIELDS)
    for name in PER_DOMAIN_RESULTS:
        cols += [f"{name}.{k}" for k in doms]
    cols += ["trust", "dependency", "alliance_value", "tranches_released", "tranches_withheld",
             "alliance_ended", "rival_position"]
    cols += [f"score.{k}" for k in SCORE_FIELDS]
    cols += ["adjusted", "counterfactual"]
    return cols


def wide_rows(log: SessionLog, result: ReplayResult, logged: bool = False) -> list[dict]:
    """One dict per firm and resolved round. Results come from the replayed engine events,
    or from the logged ones with `logged=True` (the export: the log is the truth); scores
    are computed from the replayed state after each round (they are not logged)."""
    rules = result.rules
    doms = rules.domains
    survey_ids = [q.id for q in rules.scenario.surveys]
    out = []
    introduced = introductions(p for r in log.rows if r.get("type") == "selection_closed"
                               for p in (r["data"] or {}).get("pairings", ()))
    for rec in result.rounds:
        events = rec.logged_events if logged else rec.events
        results = {e["firm"]: e for e in events if e.get("type") == "firm_result"}
        rival = next((e["rival_position"] for e in events if e.get("type") == "round_resolved"), None)
        scores = {f: s.to_dict() for f, s in score_session(rules, rec.state, introduced).items()}
        for fid, firm in rec.state.firms.items():
            dec = rec.decisions.get(fid, {})
            res = results.get(fid, {})
            source = rec.sources.get(fid, "default")
            row: dict[str, Any] = {
                "session_id": log.session_id, "study": log.study, "treatment": log.treatment_of(fid),
                "scenario": log.scenario, "round": rec.round, "copy": firm.copy, "firm": fid,
                "role": firm.role, "alliances": rec.alliances.get(fid, []),
                "partners": rec.partners.get(fid, []),
                **terms_in_force(fid, rec, treatment_terms(log, fid)),
                "players": rec.players.get(fid, 0),
                "bot": rec.bots.get(fid), "is_bot": rec.is_bot.get(fid, source == "bot"),
                "submitted": source in ("submitted", "bot"),
                "decision_source": source,
                "decided_by": rec.decided_by.get(fid) if source in ("submitted", "bot") else None,
                "close_reason": rec.reason,
            }
            for name in ("contribute", "absorb", "develop"):
                vals = dec.get(name) or {}
                for k in doms:
                    row[f"{name}.{k}"] = float(vals.get(k, 0.0))
            row["protect"] = float(dec.get("protect", 0.0))
            reveal = dec.get("reveal") or {}
            for k in doms:
                row[f"reveal.{k}"] = float(reveal.get(k, 0.0))
            row["withhold"] = dec.get("withhold") or {}
            row["exit"] = dec.get("exit") or []
            row["spent"] = fsum([*(dec.get("contribute") or {}).values(), *(dec.get("absorb") or {}).values(),
                                 *(dec.get("develop") or {}).values(), float(dec.get("protect", 0.0))])
            survey = dec.get("survey") or {}
            for q in survey_ids:
                row[f"survey.{q}"] = survey.get(q)
            other = {q: a for q, a in survey.items() if q not in survey_ids}
            row["survey_other"] = other or None
            for k in RESULT_FIELDS:
                row[k] = res.get(k)
            for name in PER_DOMAIN_RESULTS:
                vals = res.get(name) or {}
                for k in doms:
                    row[f"{name}.{k}"] = vals.get(k)
            trust = res.get("trust") or {}
            dep = res.get("dependency") or {}
            row["trust"] = fsum(trust.values()) / len(trust) if trust else None
            row["dependency"] = max(dep.values()) if dep else None
            mine = set(rec.alliances.get(fid, []))
            row["alliance_value"] = fsum(e["value"] for e in events
                                         if e.get("type") == "joint_value" and e["alliance"] in mine) if mine else None
            row["tranches_released"] = sum(1 for e in events if e.get("type") == "tranche_released" and e["firm"] == fid)
            row["tranches_withheld"] = sum(1 for e in events if e.get("type") == "tranche_withheld" and e["firm"] == fid)
            ended = [f"{e['alliance']}:{e['reason']}" for e in events
                     if e.get("type") == "alliance_ended" and e["alliance"] in mine]
            row["alliance_ended"] = ";".join(ended) or None
            row["rival_position"] = rival
            sc = scores.get(fid, {})
            for k in SCORE_FIELDS:
                row[f"score.{k}"] = sc.get(k)
            row["adjusted"] = "; ".join(rec.adjusted.get(fid, [])) or None
            row["counterfactual"] = result.counterfactual or None  # the `--set` overrides, as given
            out.append(row)
    return out


def treatment_terms(log: SessionLog, firm: str) -> dict[str, Any]:
    """The term-sheet settings (`terms.<key>` overrides, coerced as `--set` does) of the firm's
    treatment; empty when it has no treatment or its treatment sets no terms."""
    overrides = (log.options.get("treatments") or {}).get(log.treatment_of(firm) or "") or {}
    return {name[len("terms."):]: _coerce(v) for name, v in overrides.items()
            if name.startswith("terms.") and not (name == "terms.duration" and v in (None, ""))}


def terms_in_force(firm: str, rec: RoundRecord, treated: dict[str, Any]) -> dict[str, Any]:
    """The `TERMS_COLUMNS` of a firm's row: each setting of the term sheets in force for its
    alliances when the round started (its own value share for `share`), a single value when
    they all agree (one alliance: always), empty when it has none or they differ
    (`terms_in_force` then has each); `terms_match_treatment` whether every one of them
    holds the treatment's terms (empty: no terms set, or no alliance)."""
    sheets = {a: rec.terms[a] for a in rec.alliances.get(firm, []) if a in rec.terms}
    per = {a: {k: (t["split"].get(firm) if k == "share" else t.get(k)) for k in TERMS_IN_FORCE}
           for a, t in sheets.items()}
    row: dict[str, Any] = {}
    for k in TERMS_IN_FORCE:
        values = {json.dumps(p[k]) for p in per.values()}
        row[f"terms.{k}"] = next(iter(per.values()))[k] if len(values) == 1 else None
    row["terms_in_force"] = per or None
    match = None
    if treated and sheets:
        match = all(t.get(k) == v for t in sheets.values() for k, v in treated.items())
    row["terms_match_treatment"] = match
    return row
