"""What each party may see (GAME.md section 8). This is the ONLY place views are built.

A firm sees its own state exactly; its partner only through public terms and effects
(tranches released, contributions made as effective contribution, value created) and
through benchmark estimates of its competences whose noise shrinks with the firm's own
absorption effort in that domain. It never sees the partner's brief, cash, trust, or its
absorb, develop, protect or reveal numbers. The facilitator and researchers see everything.
"""
from __future__ import annotations

import random

from .rules import Rules
from .state import Decision, SessionState


def _rng(state: SessionState, *parts) -> random.Random:
    # A str seed is hashed with SHA-512 by `random`, so this is stable across processes
    # and independent of PYTHONHASHSEED.
    return random.Random(":".join(str(p) for p in (state.seed, state.round, *parts)))


def estimate(rules: Rules, state: SessionState, observer: str, partner: str, domain: str,
             absorb_effort: float) -> float:
    """A noisy benchmark of the partner's competence; sd = noise * A0 / (A0 + effort).
    The noise is never exactly zero, so the exact value is never shown."""
    p = rules.of(observer).params
    sd = p.estimate_noise * p.a0 / (p.a0 + max(0.0, absorb_effort))
    z = _rng(state, observer, partner, domain).gauss(0.0, 1.0)
    if abs(z) < 0.05:
        z = 0.05 if z >= 0 else -0.05
    return round(max(0.0, state.firms[partner].competence[domain] + sd * z), 1)


def firm_view(rules: Rules, state: SessionState, firm_id: str, history: dict | None = None,
              last_decision: Decision | None = None) -> dict:
    """Everything firm `firm_id` may see now. `history` is the firm's own per-round results
    (see `events_for_firm`); `last_decision` its own last decision (sharpens estimates)."""
    f = state.firms[firm_id]
    role = rules.scenario.role(f.role)
    absorb = last_decision.absorb if last_decision else {}
    view = {
        "round": state.round, "rounds": state.rounds, "phase": state.phase,
        "scenario": state.scenario_id,
        "firm": {"id": f.id, "name": f.name, "role": f.role, "competence": dict(f.competence),
                 "start_competence": dict(f.start_competence), "pace": f.pace, "cash": f.cash,
                 "position": rules.position(f.competence), "brief": role.brief},
        "rival": {"competence": dict(state.rival), "position": rules.position(state.rival)},
        "domains": [{"id": d.id, "name": d.name, "tacitness": d.tacitness, "weight": d.weight}
                    for d in rules.scenario.domains],
        "budget": rules.of(firm_id).params.budget,
        "alliances": [_alliance_view(rules, state, al, firm_id, absorb)
                      for al in state.alliances_of(firm_id, active_only=False)],
        "history": history or [],
    }
    return view


def _alliance_view(rules: Rules, state: SessionState, al, firm_id: str, absorb) -> dict:
    from .engine import dependency
    partner = al.partner(firm_id)
    pf = state.firms[partner]
    t = al.terms
    own_due = _due(al, firm_id)
    estimates = {k: estimate(rules, state, firm_id, partner, k, absorb.get(k, 0.0)) for k in rules.domains}
    return {
        "id": al.id, "status": al.status, "ended_round": al.ended_round,
        "ended_reason": al.ended_reason, "signed_round": al.signed_round,
        "partner": {"id": pf.id, "name": pf.name, "role": pf.role},
        "terms": t.to_dict(),
        "trust": al.trust[firm_id],
        "released": {"own": dict(al.released[firm_id]), "partner": dict(al.released[partner])},
        "cum_contribution": {"own": al.cum_contribution[firm_id], "partner": al.cum_contribution[partner]},
        "due": own_due,
        "partner_breached": al.breach.get(partner, False),
        # computed from the firm's estimates, not the partner's true levels: the exact
        # dependency would let a firm back out its partner's exact competence
        "dependency": dependency(rules, state.firms[firm_id].competence, estimates,
                                 t.contributions.get(partner, ())),
        "dependency_is_estimate": True,
        "partner_estimate": estimates,
    }


def _due(al, firm_id: str) -> dict[str, int]:
    """Tranches of `firm_id` that fall due next round (domain -> tranche count due)."""
    t = al.terms
    if al.status != "active":
        return {}
    n = t.tranches[firm_id]
    partner = al.partner(firm_id)
    due = n if t.release == "upfront" else min(n, int(al.cum_contribution[partner] // t.milestone))
    return {k: due for k in t.contributions.get(firm_id, ()) if due > al.released[firm_id][k]}


_JOINT_VALUE_PRIVATE = frozenset({"mean_reveal", "trust_used"})


# Event types a firm may see, and how to cut each to what it may know.
def events_for_firm(state: SessionState, firm_id: str, events: list[dict]) -> list[dict]:
    """The subset of engine event dicts a firm may see, cut to the fields it may know."""
    mine = {a.id for a in state.alliances.values() if firm_id in a.firms}
    out = []
    for e in events:
        t = e["type"]
        if t == "firm_result":
            if e["firm"] == firm_id:
                # the exact dependency would reveal the partner's exact competence
                out.append({k: v for k, v in e.items() if k != "dependency"})
        elif t == "default_applied":
            if e["firm"] == firm_id:
                out.append(e)
        elif t == "trust_changed":
            if e["firm"] == firm_id:
                out.append(e)
        elif t == "joint_value":
            if e["alliance"] in mine:
                # the mean reveal and the lower trust would let a firm back out its
                # partner's reveal and trust from its own: keep only the effects
                out.append({k: v for k, v in e.items() if k not in _JOINT_VALUE_PRIVATE})
        elif t in ("tranche_released", "tranche_withheld", "alliance_ended", "alliance_signed"):
            if e["alliance"] in mine:
                out.append(e)
        elif t == "round_resolved":
            out.append(e)
    return out


def events_by_firm(state: SessionState, events: list[dict]) -> dict[str, list[dict]]:
    """`events_for_firm` for every firm of the session in one pass over the events (the
    same lists, in the same order; one pass instead of one per firm)."""
    out: dict[str, list[dict]] = {f: [] for f in state.firms}
    members = {a.id: [f for f in a.firms if f in out] for a in state.alliances.values()}
    everyone = list(out.values())
    for e in events:
        t = e["type"]
        if t == "firm_result":
            if e["firm"] in out:
                out[e["firm"]].append({k: v for k, v in e.items() if k != "dependency"})
        elif t in ("default_applied", "trust_changed"):
            if e["firm"] in out:
                out[e["firm"]].append(e)
        elif t == "joint_value":
            for f in members.get(e["alliance"], ()):
                out[f].append({k: v for k, v in e.items() if k not in _JOINT_VALUE_PRIVATE})
        elif t in ("tranche_released", "tranche_withheld", "alliance_ended", "alliance_signed"):
            for f in members.get(e["alliance"], ()):
                out[f].append(e)
        elif t == "round_resolved":
            for lst in everyone:
                lst.append(e)
    return out


def facilitator_view(rules: Rules, state: SessionState) -> dict:
    """Everything, exactly (facilitators and, after the fact, researchers)."""
    from .state import state_to_dict
    from .engine import dependency
    d = state_to_dict(state)
    d["positions"] = {fid: rules.position(f.competence) for fid, f in state.firms.items()}
    d["rival_position"] = rules.position(state.rival)
    d["dependency"] = {
        al.id: {f: dependency(rules, state.firms[f].competence,
                              state.firms[al.partner(f)].competence,
                              al.terms.contributions.get(al.partner(f), ())) for f in al.firms}
        for al in state.alliances.values()}
    return d


def researcher_view(rules: Rules, state: SessionState) -> dict:
    """Researchers see the same game state as the facilitator; player identities are
    pseudonymized by the server's exports, which own the player records."""
    return facilitator_view(rules, state)
