"""The renegotiation windows as the debrief tells them, read from the log's facts.

For each alliance, every window it was in: when it opened (after round `round`; terms
agreed apply from `applies_from`), each move (who, what, and what a proposal changes from
the terms in force), and how it ended: `renegotiated` (new terms from `from_round`, with
what changed) or `kept` (the old terms stay; `reason`: settled, that is a partner walked
away, the clock, or the facilitator). The facilitator's debrief, after the game: the
terms are no longer secret there.

Pure: a fold over (type, data) facts in log order.
"""
from __future__ import annotations

from collections.abc import Iterable

STORY_TYPES = ("alliance_signed", "renegotiation_opened", "renegotiation_move", "terms_renegotiated",
               "renegotiation_closed")
# the fields that can change in a window (renegotiation.FIXED cannot), in the order told
_FIELDS = ("split", "contributions", "min_effort", "release", "tranches", "milestone", "exit_penalty",
           "exit_on_breach", "exit_trust_below")


def changes(before: dict | None, after: dict) -> list[dict]:
    """What `after` changes from `before`: [{field, firm (per-firm fields, else None),
    before, after}]; every field when `before` is unknown."""
    out = []
    for name in _FIELDS:
        old, new = (before or {}).get(name), after.get(name)
        if isinstance(new, dict):
            for firm in new:  # in the term sheet's order (the alliance's firms)
                was = old.get(firm) if isinstance(old, dict) else None
                if was != new[firm]:
                    out.append({"field": name, "firm": firm, "before": was, "after": new[firm]})
        elif old != new:
            out.append({"field": name, "firm": None, "before": old, "after": new})
    return out


def windows(facts: Iterable[tuple[str, dict]]) -> dict[str, list[dict]]:
    """alliance id -> its windows in order (see the module). `facts`: (type, data) of the
    session's facts in log order; other types are skipped."""
    terms: dict[str, dict] = {}
    out: dict[str, list[dict]] = {}
    for type_, d in facts:
        if type_ == "alliance_signed" and "terms" in d:  # the fact (the engine's event has no terms)
            terms[d["alliance_id"]] = d["terms"]
        elif type_ == "renegotiation_opened":
            for aid in d["alliances"]:
                out.setdefault(aid, []).append({"round": d["round"], "applies_from": d["round"] + 1,
                                                "moves": [], "outcome": "open", "reason": None,
                                                "from_round": None, "changes": []})
        elif type_ == "renegotiation_move" and out.get(d["alliance_id"]):
            aid = d["alliance_id"]
            move = {"by": d["by"], "action": d["action"]}
            if d.get("terms"):
                move["split"] = d["terms"].get("split")
                move["changes"] = changes(terms.get(aid), d["terms"])
            out[aid][-1]["moves"].append(move)
        elif type_ == "terms_renegotiated" and out.get(d["alliance_id"]):
            aid = d["alliance_id"]
            w = out[aid][-1]
            w.update(outcome="renegotiated", from_round=d["from_round"], changes=changes(terms.get(aid), d["terms"]))
            terms[aid] = d["terms"]
        elif type_ == "renegotiation_closed":
            for aid, ws in out.items():
                if ws[-1]["round"] == d["round"] and ws[-1]["reason"] is None:
                    ws[-1]["reason"] = d["reason"]
                    if aid in d["kept"]:
                        ws[-1]["outcome"] = "kept"
    return out
