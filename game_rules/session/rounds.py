"""The execution phase: rounds opened, decisions submitted (by players and seat bots),
rounds closed and resolved.

A round closes when every firm has submitted, when its clock runs out, or when the
facilitator ends it. Closing it resolves the engine's round with, for each firm, its
submitted decision, else its last draft if that is a legal decision, else the engine's
default; the `round_closed` fact says which (`sources`). Nothing one firm sent can keep the
round from closing: a decision the engine cannot take is replaced by that firm's default,
and the fact says why (`unusable`).
"""
from __future__ import annotations

import logging

from ..bots import bot_decision
from ..decisions import DecisionError, parse_decision, validate_decision
from ..engine import resolve_round
from ..state import Decision
from ..views import firm_view
from . import completion, facts as F, renegotiating
from .step import SERVER, Status, Step, ViewsNext, people_at, set_clock

log = logging.getLogger("game_rules.session")


def start(step: Step) -> None:
    """A new round: its clock, everyone's view, the bots' decisions."""
    set_clock(step, "start", step.options["round_seconds"], SERVER)
    step.note(ViewsNext())
    bots_submit(step)
    maybe_close(step)


def submitted(step: Step, fact: F.DecisionSubmitted) -> None:
    step.fact(fact, actor=fact.by, firm=fact.firm)
    step.tell(f"firm:{fact.firm}", {"type": "submitted", "firm": fact.firm, "round": fact.round, "by": fact.by,
                                    "decision": fact.decision})
    step.note(Status())


def bots_submit(step: Step) -> None:
    """Every bot-held firm nobody plays submits its bot's decision (an illegal one: the
    firm plays its default)."""
    s = step.session
    for firm, strategy in s.bots.items():
        if firm in s.submitted or people_at(s, firm):
            continue
        last = s.last_decision.get(firm)
        view = firm_view(s.rules, s.state, firm, list(s.history[firm]), Decision.from_dict(last) if last else None)
        try:
            d = parse_decision(firm, bot_decision(view, strategy, f"{s.state.seed}:{firm}"))
            validate_decision(s.rules, s.state, d)
        except DecisionError:
            log.warning("bot %s made an illegal decision; it plays the default", firm)
            continue
        submitted(step, F.DecisionSubmitted(firm, s.state.round + 1, f"bot:{firm}", d.to_dict(), "bot"))


def maybe_close(step: Step) -> None:
    # `submitted` only holds firms of the session: counting is enough (a scan of every
    # firm at every submission made a 500-firm round quadratic)
    st = step.state
    if st.phase == "execution" and len(step.session.submitted) == len(st.firms):
        close(step, "all_submitted", SERVER)


def close(step: Step, reason: str, actor: str) -> None:
    """Resolve the round (see the module's docstring), tell each firm what it may see of
    the engine's events, then the next round or the debrief."""
    s = step.session
    decisions, sources, unusable = decisions_for_round(step)
    rnd = s.state.round + 1
    resolved = resolve(step, decisions, sources, unusable)
    step.fact(F.RoundClosed(rnd, reason, decisions, sources, unusable or F.ABSENT, resolved=resolved), actor=actor)
    by_firm = s.last_by_firm
    for fid in s.state.firms:
        step.tell(f"firm:{fid}", {"type": "round_result", "round": rnd, "events": by_firm.get(fid, [])})
    step.tell("facilitator", {"type": "round_result", "round": rnd, "events": s.last_events, "sources": sources,
                              **({"unusable": unusable} if unusable else {})})
    if s.state.phase == "debrief":
        set_clock(step, "stop", None, SERVER)
        step.note(ViewsNext())
        completion.game_over(step)
    elif renegotiating.due(step):  # the window is the pause between these rounds (no results break)
        renegotiating.open_window(step)
        if renegotiating.settled(s):  # only bots, and they settled at once
            after_window(step, "settled", SERVER)
    elif break_setting(step.options) is not None:
        open_break(step)
    else:
        start(step)


def after_window(step: Step, reason: str, actor: str) -> None:
    """The renegotiation window closes (settled, its clock, the facilitator): the next round opens."""
    renegotiating.close(step, reason, actor)
    step.fact(F.PhaseChanged("execution"), actor=actor)
    start(step)


# ---- the results break (session option `results_break`) --------------------------------------

def break_setting(options: dict) -> str | float | None:
    """`results_break`: None (off: the next round opens at once), "manual" (it opens when
    the facilitator says "Next round"), or seconds (or when the break clock runs out)."""
    b = options.get("results_break", "off")
    return None if b in (None, "off") else b


def open_break(step: Step) -> None:
    """The round's results are up; play waits in the `break` phase (no draft, no submission)."""
    step.fact(F.PhaseChanged("break"))
    b = break_setting(step.options)
    if b == "manual":
        set_clock(step, "stop", None, SERVER)
    else:
        set_clock(step, "start", float(b), SERVER)
    step.note(ViewsNext())


def end_break(step: Step, actor: str) -> None:
    """The facilitator's "Next round" or the break clock: the next round opens."""
    step.fact(F.PhaseChanged("execution"), actor=actor)
    start(step)


def decisions_for_round(step: Step) -> tuple[dict, dict, dict]:
    """Each firm's decision for the round and where it came from; `unusable` says why a
    firm's draft could not be used."""
    s = step.session
    decisions, sources, unusable = {}, {}, {}
    for fid in s.state.firms:
        sub = s.submitted.get(fid)
        if sub is not None:  # checked when it was submitted
            decisions[fid], sources[fid] = sub["decision"], sub["source"]
            continue
        sources[fid] = "default"
        draft = s.drafts.get(fid)
        if draft:
            d, problem = checked(s, fid, draft)  # an older server's draft may hold anything
            if problem is not None and (live := still_offered(s, fid, draft)) != draft:
                d, problem = checked(s, fid, live)  # carried over from before an alliance ended
            if problem is not None:
                unusable[fid] = why("draft", problem)
                continue
            decisions[fid], sources[fid] = d.to_dict(), "draft"
    return decisions, sources, unusable


def resolve(step: Step, decisions: dict, sources: dict, unusable: dict):
    """The engine's result for these decisions; a decision the engine cannot take is
    dropped (that firm plays its default) and `decisions`, `sources`, `unusable` say so."""
    s = step.session
    for _ in range(2):
        try:
            return resolve_round(s.rules, s.state, {f: Decision.from_dict(x) for f, x in decisions.items()})
        except Exception as e:
            log.exception("round %d could not be resolved as decided", s.state.round + 1)
            problems = {f: checked(s, f, x)[1] for f, x in decisions.items()}
            bad = [f for f, p in problems.items() if p is not None] or list(decisions)  # none: drop them all
            for f in bad:
                unusable[f] = why(sources[f], problems[f] or e)
                del decisions[f]
                sources[f] = "default"
    return None  # every firm plays its default: resolved again when the fact is applied


def still_offered(s, firm: str, draft: dict) -> dict:
    """`draft` without its entries for what an alliance of `firm` offered and no active one
    offers any more (contributing, learning and openness in its areas, its tranches, leaving
    it): a team's draft carries over from round to round, and an alliance that ended since
    must not make the whole of it unplayable (the player's form drops them too,
    decision_rows.js). Any other illegal entry still makes the draft unusable."""
    mine = s.state.alliances_of(firm, active_only=False)
    active = [a for a in mine if a.status == "active"]
    ended = [a for a in mine if a.status != "active"]
    if not ended:
        return draft
    gone = lambda f: set().union(*map(f, ended)) - set().union(*map(f, active))  # noqa: E731
    scope = gone(lambda a: set(a.terms.scope))
    drop = {"contribute": gone(lambda a: set(a.terms.contributions.get(firm, ()))), "absorb": scope, "reveal": scope,
            "withhold": {a.id for a in ended}}
    out = dict(draft)
    for group, keys in drop.items():
        if isinstance(out.get(group), dict):
            out[group] = {k: v for k, v in out[group].items() if k not in keys}
    if isinstance(out.get("exit"), list):
        out["exit"] = [x for x in out["exit"] if x not in drop["withhold"]]
    return out


def checked(s, firm: str, raw: dict) -> tuple[Decision | None, Exception | None]:
    """`raw` as a legal decision of `firm` now, or why it is not one (any exception: the
    round's close must survive whatever an older log holds)."""
    try:
        d = parse_decision(firm, raw)
        validate_decision(s.rules, s.state, d)
    except Exception as e:
        return None, e
    return d, None


def why(source: str, e: BaseException) -> str:
    code = e.code if isinstance(e, DecisionError) else type(e).__name__
    return f"{source}: {code}: {getattr(e, 'message', None) or e}"[:300]
