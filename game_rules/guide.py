"""The worked example of the "How to play" tab: one round played by the engine itself.

A student reads rules faster with numbers in front of them, and numbers written by hand
go stale the moment a scenario or a treatment changes a parameter. So the example is
computed: the player's own firm at its starting competences, in the scenario's default
alliance under the default terms, with an IMAGINED partner strong where the firm is weak
(`_imagined`: 100 minus the firm's competences, and ahead in what it contributes). The real
partner's numbers are never used: a firm sees its partner only through noisy estimates
(GAME.md section 8), and exact start values would undo that noise. Both play one plain
plan (the promised contribution, some absorption, some development, a little protection,
half openness), resolved by `resolve_round` under the rules this firm plays (its
treatment's, if any). A second run with twice the absorption shows that learning has
diminishing returns.

    example = worked_example(rules, state, "west3")   # a JSON-ready dict, numbers rounded

Pure: the live state is only read (the firm's role and copy); nothing is changed.
"""
from __future__ import annotations

from dataclasses import replace

from .engine import resolve_round
from .events import FirmRoundResult, JointValue
from .rules import Rules, firm_id, fresh_firm, instantiate_terms, sign_alliance
from .scenario import AllianceTemplate
from .state import Decision, SessionState

# the plan both firms play, in points of the budget (scaled when the budget is not 100)
ABSORB, DEVELOP, PROTECT, REVEAL = 15.0, 20.0, 5.0, 0.5


def worked_example(rules: Rules, state: SessionState, firm: str) -> dict | None:
    """The example for `firm`, or None when its role is in no alliance of the scenario."""
    me = state.firms[firm]
    tpl = template_of(rules, me.role)
    if tpl is None:
        return None
    partner_role = next(r for r in tpl.roles if r != me.role)
    # the firm's treatment for both firms of the example, and no other firm's rules at all
    own_rules = replace(rules.of(firm), treated=None)
    roles = (me.role, partner_role)
    base = _plan_round(own_rules, tpl, me.copy, roles, absorb_factor=1.0)
    more = _plan_round(own_rules, tpl, me.copy, roles, absorb_factor=2.0)
    return {**base, "more_absorb": more["plan"]["absorb"], "more_learned": more["learned"]}


def outdating_applies(rules: Rules, firm: str) -> bool:
    """Whether what `firm` learns from a faster partner goes out of date under its rules
    (model 3 with a positive `outdating`): the guide says so only then."""
    p = rules.of(firm).params
    return p.model_version >= 3 and p.outdating > 0


def template_of(rules: Rules, role: str) -> AllianceTemplate | None:
    return next((t for t in rules.scenario.alliances if role in t.roles), None)


def imagined_pair(rules: Rules, tpl: AllianceTemplate, copy: int, roles: tuple[str, str], seed: int = 0):
    """A game of two firms for one round: the first role's firm at its starting
    competences, an IMAGINED partner in the second role (`_imagined`), their alliance
    signed on the template's default terms. Returns (state, alliance id, terms). Used by
    the worked example and by the practice round (game_rules/session/practice.py)."""
    ids = tuple(firm_id(r, copy) for r in roles)
    rival = rules.scenario.rival.competence
    firms = {f: fresh_firm(rules, r, copy) for f, r in zip(ids, roles)}
    imagined = firms[ids[1]]
    imagined.competence = _imagined(firms[ids[0]].competence, tpl.terms.contributions.get(roles[1], ()))
    imagined.start_competence = dict(imagined.competence)
    s = SessionState(rules.scenario.id, seed, 0, rules.scenario.rounds, "execution", firms, {}, dict(rival), dict(rival))
    aid = f"{tpl.id}{copy}"
    terms = instantiate_terms(tpl, copy, s.rounds)
    sign_alliance(rules, s, aid, terms)
    return s, aid, terms


def _plan_round(rules: Rules, tpl: AllianceTemplate, copy: int, roles: tuple[str, str],
                absorb_factor: float) -> dict:
    """Resolve one round of the plain plan for the pair; what the first role sees of it."""
    ids = tuple(firm_id(r, copy) for r in roles)
    s, aid, terms = imagined_pair(rules, tpl, copy, roles)
    decisions = {f: plain_plan(rules.of(f), s, f, terms, absorb_factor) for f in ids}
    after, events = resolve_round(rules, s, decisions)
    me, partner = ids
    result = next(e for e in events if isinstance(e, FirmRoundResult) and e.firm == me)
    value = next((e for e in events if isinstance(e, JointValue)), None)
    plan = decisions[me]
    budget = rules.of(me).params.budget
    focus = next(iter(plan.absorb), None)
    return {
        "budget": r2(budget),
        "plan": {"contribute": r2map(plan.contribute), "absorb": r2map(plan.absorb), "develop": r2map(plan.develop),
                 "protect": r2(plan.protect), "reveal": REVEAL, "kept": r2(budget - plan.spent())},
        "partner_plan": {"contribute": r2map(decisions[partner].contribute)},
        "effective_contribution": {"own": r2(value.effective_contribution[me]) if value else 0.0,
                                   "partner": r2(value.effective_contribution[partner]) if value else 0.0},
        "joint_value": r2(value.value) if value else 0.0,
        "share": r2(terms.split[me]),
        "value_received": r2(value.shares[me]) if value else 0.0,
        "cash": {"value": r2(result.cash_from_value), "market": r2(result.cash_from_market),
                 "kept": r2(result.cash_unspent)},
        "focus": focus,
        "competence_before": r2(s.firms[me].competence[focus]) if focus else None,
        "partner_competence": r2(s.firms[partner].competence[focus]) if focus else None,
        "learned": r2(result.learned.get(focus, 0.0)) if focus else 0.0,
        "developed": r2map(result.developed),
        "position_before": r2(rules.position(s.firms[me].competence)),
        "position_after": r2(result.position),
        "trust_after": r2(result.trust.get(aid, 0.0)),
    }


def _imagined(own: dict[str, float], strengths) -> dict[str, float]:
    """A partner strong where the firm is weak (100 minus the firm, kept in 10..90), and
    clearly ahead (30 points, up to 95) in what it contributes: there is something to learn."""
    out = {k: min(90.0, max(10.0, 100.0 - v)) for k, v in own.items()}
    for k in strengths:
        out[k] = max(out[k], min(95.0, own[k] + 30.0))
    return out


def plain_plan(rules: Rules, s: SessionState, firm: str, terms, absorb_factor: float = 1.0) -> Decision:
    """The promised minimum contribution, absorption in the partner's contributed areas,
    development in the firm's strongest area, a little protection, half openness."""
    scale = rules.params.budget / 100.0
    own = terms.contributions.get(firm, ())
    partner = next(f for f in terms.split if f != firm)
    contribute = {k: terms.min_effort[firm] / len(own) for k in own} if own else {}
    learn_in = [k for k in terms.contributions.get(partner, ()) if k in terms.scope] or list(terms.scope)[:1]
    absorb = {k: ABSORB * scale * absorb_factor / len(learn_in) for k in learn_in}
    comp = s.firms[firm].competence
    best = max(rules.domains, key=lambda k: (comp[k], k))
    return Decision(firm, contribute=contribute, absorb=absorb, develop={best: DEVELOP * scale},
                    protect=PROTECT * scale, reveal={k: REVEAL for k in terms.scope})


def r2(v: float) -> float:
    return round(float(v), 2)


def r2map(m: dict[str, float]) -> dict[str, float]:
    return {k: r2(v) for k, v in m.items() if abs(v) >= 0.005}

