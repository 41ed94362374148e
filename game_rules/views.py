"""What each party may see (GAME.md section 8). This is the ONLY place views are built.

A firm sees what it did exactly, and everything that depends on its partner's hidden
numbers only through benchmarks (docs/model.md, "What a firm knows of its partner"):
estimates of the partner's competences whose noise shrinks with the firm's own absorption
effort in that domain, and its own round as its books show it (`game_rules.books`: learned
amounts and exposure benchmarked, competence booked, money in whole points). Of the
partner it sees the public terms and the effects of its moves (tranches released,
contribution points, the value created), never its brief, cash, trust, or its absorb,
develop, protect or reveal numbers. The facilitator and researchers see everything.
"""
from __future__ import annotations

from .books import alliances_by_firm, benchmark_sd, booked_competence, booked_result, decisions_used, money, noise, seed_text
from .engine import dependency
from .rules import Rules
from .state import Decision, SessionState


def estimate(rules: Rules, state: SessionState, observer: str, partner: str, domain: str,
             absorb_effort: float) -> float:
    """A noisy benchmark of the partner's competence; sd = noise * A0 / (A0 + effort).
    The noise is never exactly zero, so the exact value is never shown."""
    return _estimates(rules, state, observer, partner, {domain: absorb_effort}, (domain,))[domain]


def _estimates(rules: Rules, state: SessionState, observer: str, partner: str, absorb,
               domains) -> dict[str, float]:
    """`estimate` for each of `domains` (absorb efforts from `absorb`, 0 if absent). The
    noise of each is `draw(rng(state, observer, partner, domain))`, remembered by its seed."""
    p = rules.of(observer).numbers  # (`params`' values, read without pydantic's hook)
    level = state.firms[partner].competence
    prefix = seed_text(state.seed, state.round, observer, partner, "")
    out = {}
    for k in domains:
        z = noise(prefix + k)
        out[k] = round(max(0.0, level[k] + benchmark_sd(p, absorb.get(k, 0.0)) * z), 1)
    return out


def firm_view(rules: Rules, state: SessionState, firm_id: str, history: list[dict] | None = None,
              last_decision: Decision | None = None, alliances: list | None = None,
              shared: dict | None = None) -> dict:
    """Everything firm `firm_id` may see now. `history` is the firm's own per-round results
    as `events_by_firm` made them (its books); `last_decision` its own last decision
    (sharpens estimates); `alliances` the firm's alliances of any status in the state's
    order, when the caller has them indexed (else they are found by scanning the state).
    During play the firm's competence is the booked one and its cash is in whole points;
    at the debrief the books close and both are exact.

    `shared`: a dict the caller keeps for the session (game_rules/session/views.py
    `firm_part`), where the parts that are the same for every firm or since the last
    round (the domains, the rival, a firm's start, a term sheet, a partner's name) are
    kept and given again: the same values, one object, so a round's views cost less to
    build and their changes less to find (game_rules/session/deltas.py leaves an
    object that is its own old value alone). Each is given again only while what it is
    made of is unchanged. The views are read, never changed, by whoever gets them."""
    if alliances is None:
        alliances = state.alliances_of(firm_id, active_only=False)
    f = state.firms[firm_id]
    absorb = last_decision.absorb if last_decision else {}
    closed = state.phase == "debrief"
    competence = f.competence if closed else _booked(state, firm_id, history)
    if shared is None:
        shared = {}  # (nothing kept: every part is built anew)
    position = rules.position(competence)
    view = {
        "round": state.round, "rounds": state.rounds, "phase": state.phase,
        "scenario": state.scenario_id,
        "firm": {"id": f.id, "name": f.name, "role": f.role, "competence": dict(competence),
                 "start_competence": kept(shared, ("start", firm_id), f.start_competence,
                                           lambda: dict(f.start_competence)),
                 "pace": f.pace, "cash": f.cash if closed else money(f.cash),
                 "position": position, "brief": kept(shared, ("brief", f.role), f.role,
                                                     lambda: rules.scenario.role(f.role).brief),
                 "booked": not closed},
        "rival": kept(shared, "rival", state.rival, lambda: {"competence": dict(state.rival),
                                                              "position": rules.position(state.rival)}),
        "domains": kept(shared, "domains", rules.scenario.domains, lambda: [
            {"id": d.id, "name": d.name, "tacitness": d.tacitness, "weight": d.weight}
            for d in rules.scenario.domains]),
        "budget": rules.of(firm_id).numbers.budget,
        "alliances": [_alliance_view(rules, state, al, firm_id, absorb, competence, position, shared)
                      for al in alliances],
        "history": history or [],
    }
    return view


def kept(shared: dict, key, source, make):
    """`make()`, or what it made last time for `key` if `source` (what it is made of: a
    dict, copied here to be compared by value later; a tuple of plain values; a term sheet,
    which is replaced, never changed in place: renegotiation.py) is the same as then."""
    hit = shared.get(key)
    if hit is not None and (hit[0] is source or hit[0] == source):
        return hit[1]
    value = make()
    shared[key] = (dict(source) if type(source) is dict else source, value)
    return value


def noise_ahead(rules: Rules, state: SessionState) -> list[str]:
    """The seeds (`books.noise`) of every estimate the firms' views will show once the open
    round is closed: round `state.round + 1`, every alliance there is now (one that ends in
    the round is still shown). Drawn while the round is open, they are remembered, and the
    round's end, when every firm's view is built at once, does not draw them; what is shown
    is the same either way (a seed not drawn ahead is drawn when it is needed)."""
    seed, rnd, domains = state.seed, state.round + 1, rules.domains
    return [seed_text(seed, rnd, f, al.partner(f), k)
            for al in state.alliances.values() for f in al.firms for k in domains]


def estimated_dependency(rules: Rules, state: SessionState, firm_id: str, alliance_id: str,
                         history: list[dict] | None, last_decision: Decision | None = None) -> float:
    """The firm's dependency on its partner in `alliance_id` as the firm's view shows it (from
    its books and its estimates of the partner: never the exact one, see `_alliance_view`)."""
    al = state.alliances[alliance_id]
    own = state.firms[firm_id].competence if state.phase == "debrief" else _booked(state, firm_id, history)
    absorb = last_decision.absorb if last_decision else {}
    partner = al.partner(firm_id)
    estimates = _estimates(rules, state, firm_id, partner, absorb, rules.domains)
    return dependency(rules, own, estimates, al.terms.contributions.get(partner, ()))


def _booked(state: SessionState, firm_id: str, history: list[dict] | None) -> dict[str, float]:
    """The firm's competence as its books show it: its last booked result, or its exact
    start before its first round. Without its history a view after round 0 cannot be made
    (showing the exact level instead would give the partner away)."""
    booked = booked_competence(history, firm_id)
    if booked is not None:
        return booked
    if state.round > 0:
        raise ValueError(f"firm {firm_id}: a view after round 0 needs the firm's history (its books)")
    return state.firms[firm_id].competence


def _alliance_view(rules: Rules, state: SessionState, al, firm_id: str, absorb,
                   own: dict[str, float], position: float, shared: dict) -> dict:
    partner = al.partner(firm_id)
    pf = state.firms[partner]
    t = al.terms
    own_due = _due(al, firm_id)
    estimates = _estimates(rules, state, firm_id, partner, absorb, rules.domains)
    return {
        "id": al.id, "status": al.status, "ended_round": al.ended_round,
        "ended_reason": al.ended_reason, "signed_round": al.signed_round,
        "partner": kept(shared, ("partner", partner), (pf.id, pf.name, pf.role),
                         lambda: {"id": pf.id, "name": pf.name, "role": pf.role}),
        "terms": kept(shared, ("terms", al.id), t, t.to_dict),
        "trust": al.trust[firm_id],
        "released": {"own": dict(al.released[firm_id]), "partner": dict(al.released[partner])},
        "cum_contribution": {"own": al.cum_contribution[firm_id], "partner": al.cum_contribution[partner]},
        "due": own_due,
        "partner_breached": al.breach.get(partner, False),
        # computed from the firm's books and estimates, not the true levels: the exact
        # dependency would let a firm back out its partner's exact competence
        "dependency": dependency(rules, own, estimates, t.contributions.get(partner, ()), position),
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


# the joint value as a firm sees it: the released share (public), its own share in whole
# points (it is cash) and the value and the partner's share to the nearest 5 points, so
# that the value tells no more than the firm's own cash does; not the effective
# contributions (each solves for a partner competence), the mean reveal (the partner's
# reveal) or the lower trust (its trust)
_JOINT_VALUE_SHOWN = ("type", "alliance", "round", "mean_released")
VALUE_STEP = 5.0


def _joint_value_shown(e: dict, firm: str) -> dict:
    out = {k: e[k] for k in _JOINT_VALUE_SHOWN if k in e}
    out["value"] = VALUE_STEP * round(e["value"] / VALUE_STEP)
    out["shares"] = {f: money(v) if f == firm else VALUE_STEP * round(v / VALUE_STEP)
                     for f, v in e["shares"].items()}
    return out


def events_for_firm(rules: Rules, before: SessionState, state: SessionState, firm_id: str,
                    events: list[dict], decisions: dict, history: dict[str, list[dict]]) -> list[dict]:
    """The round's engine events as firm `firm_id` may see them (see `events_by_firm`)."""
    return events_by_firm(rules, before, state, events, decisions, history, only=(firm_id,))[firm_id]


def events_by_firm(rules: Rules, before: SessionState, state: SessionState, events: list[dict],
                   decisions: dict, history: dict[str, list[dict]],
                   only: tuple[str, ...] | None = None) -> dict[str, list[dict]]:
    """The events of one resolved round (`before` -> `state`, with the `decisions` given to
    the engine) that each firm may see, cut to what it may know, in one pass: its own
    `firm_result` as its books show it (`game_rules.books`; `history` holds each firm's
    earlier booked results), its own defaults and trust changes, its alliances' tranches,
    endings and joint value (`_joint_value_shown`), and the rival's new position."""
    out: dict[str, list[dict]] = {f: [] for f in (only or state.firms)}
    members = {a.id: [f for f in a.firms if f in out] for a in state.alliances.values()}
    everyone = list(out.values())
    played = decisions_used(state, events, decisions)
    allied = alliances_by_firm(state)
    for e in events:
        t = e["type"]
        if t == "firm_result":
            if e["firm"] in out:
                out[e["firm"]].append(booked_result(rules, before, state, e, played,
                                                    history.get(e["firm"]), allied.get(e["firm"], [])))
        elif t in ("default_applied", "trust_changed"):
            if e["firm"] in out:
                out[e["firm"]].append(e)
        elif t == "joint_value":
            for f in members.get(e["alliance"], ()):
                out[f].append(_joint_value_shown(e, f))
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
