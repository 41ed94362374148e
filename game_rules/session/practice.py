"""The practice round (session option `practice_round: true`): an unscored round 0 against a
bot, after the lobby and before the real game, like a rehearsal.

    lobby --start--> practice (round 0: each firm decides once) --start--> the real game

Each firm plays one round of the round form in a game of its own: the firm at its
starting competences, an IMAGINED partner (game_rules/guide.py `imagined_pair`: strong
where the firm is weak) that plays the guide's plain plan, their alliance signed on the
scenario's default terms. Nothing of another firm is used (not even the real partner's
numbers or treatment: the firm's own rules play both sides), and nothing of the practice
reaches the real game: the session's engine state, books, drafts and submissions are never
touched, so round 1 starts exactly as without a practice round.

The round closes when every firm has submitted, when its clock runs out, or when the
facilitator ends it (`end_round`); the results stay on screen until the facilitator starts
the real game (`start`, the console's "Start the real game"): never automatically, so the
class reads its practice result first. The facts (`practice_opened`, `practice_submitted`,
`practice_closed`) are logged in phase `practice`, round 0, and exported (practice.csv).
"""
from __future__ import annotations

from dataclasses import replace

from ..decisions import parse_decision, validate_decision
from ..engine import resolve_round
from ..events import FirmRoundResult, JointValue
from ..guide import imagined_pair, plain_plan, template_of
from ..rules import Rules, fresh_firm
from ..state import Decision, SessionState
from ..views import firm_view as engine_firm_view
from . import facts as F
from .step import SERVER, Refused, Status, Step, Views, people_at, set_clock

PHASE = "practice"


def enabled(options: dict) -> bool:
    return bool(options.get("practice_round"))


# ---- the game a firm practises in ------------------------------------------------------------

def game_of(s, firm: str) -> tuple[Rules, SessionState, str | None]:
    """(rules, state, alliance id) of the firm's practice game. The firm's own rules for
    both firms (no other firm's treatment); a firm whose role is in no alliance of the
    scenario practises alone."""
    me = s.state.firms[firm]
    rules = replace(s.rules.of(firm), treated=None)
    tpl = template_of(rules, me.role)
    if tpl is None:
        rival = rules.scenario.rival.competence
        alone = SessionState(rules.scenario.id, s.state.seed, 0, rules.scenario.rounds, "execution",
                             {firm: fresh_firm(rules, me.role, me.copy)}, {}, dict(rival), dict(rival))
        return rules, alone, None
    partner_role = next(r for r in tpl.roles if r != me.role)
    state, aid, _ = imagined_pair(rules, tpl, me.copy, (me.role, partner_role), s.state.seed)
    return rules, state, aid


def checked(s, firm: str, raw) -> Decision:
    """`raw` as a legal practice decision of `firm` (raises `DecisionError`)."""
    rules, state, _ = game_of(s, firm)
    d = parse_decision(firm, raw)
    validate_decision(rules, state, d)
    return d


def result_of(s, firm: str, decision: dict | None) -> dict:
    """What the firm's practice decision (None: the engine's default) would have done, in
    the firm's practice game, against the imagined partner's plain plan."""
    rules, state, aid = game_of(s, firm)
    decisions = {}
    if decision is not None:
        decisions[firm] = Decision.from_dict(decision)
    if aid is not None:
        partner = next(f for f in state.alliances[aid].firms if f != firm)
        decisions[partner] = plain_plan(rules, state, partner, state.alliances[aid].terms)
    after, events = resolve_round(rules, state, decisions)
    mine = next(e for e in events if isinstance(e, FirmRoundResult) and e.firm == firm)
    value = next((e for e in events if isinstance(e, JointValue)), None)
    r2 = lambda v: round(float(v), 2)  # noqa: E731
    return {
        "position_before": r2(rules.position(state.firms[firm].competence)),
        "position_after": r2(mine.position),
        "cash": r2(mine.cash), "cash_from_value": r2(mine.cash_from_value),
        "cash_from_market": r2(mine.cash_from_market), "cash_unspent": r2(mine.cash_unspent),
        "learned": {k: r2(v) for k, v in mine.learned.items() if abs(v) >= 0.005},
        "developed": {k: r2(v) for k, v in mine.developed.items() if abs(v) >= 0.005},
        "joint_value": r2(value.value) if value else 0.0,
        "value_received": r2(value.shares.get(firm, 0.0)) if value else 0.0,
        "trust": r2(mine.trust.get(aid, 0.0)) if aid else None,
    }


# ---- the phase ----------------------------------------------------------------------------------

def open_practice(step: Step) -> None:
    """The lobby's `start` with a practice round: round 0 opens, bots submit at once."""
    s = step.session
    step.fact(F.PhaseChanged(PHASE))  # first: every practice fact is logged in phase `practice`
    step.fact(F.PracticeOpened(sorted(s.state.firms)))
    set_clock(step, "start", step.options["round_seconds"], SERVER)
    step.note(Views())
    bots_submit(step)


def bots_submit(step: Step) -> None:
    """Every bot-held firm nobody plays submits its practice decision at once (also bots
    seated during the practice round: bots.py `seated`)."""
    s = step.session
    if s.practice["closed"]:
        return
    for firm in sorted(s.bots):
        if firm not in s.practice["submitted"] and not people_at(s, firm):
            submitted(step, F.PracticeSubmitted(firm, f"bot:{firm}", bot_decision(s, firm), "bot"))
    maybe_close(step)


def bot_decision(s, firm: str) -> dict:
    """A seat bot's practice decision: the guide's plain plan in its practice game."""
    rules, state, aid = game_of(s, firm)
    if aid is None:
        return {}
    return plain_plan(rules, state, firm, state.alliances[aid].terms).to_dict()


def submit(step: Step, player, raw: dict | None, round_: int | None, submitter: str | None) -> dict:
    """A firm's practice decision (round 0). A decision for a real round is refused: the
    practice round is being played."""
    s = step.session
    pr = s.practice
    if round_ is not None and round_ != 0:
        raise Refused("wrong_phase", f"this is the practice round (round 0): round {round_} starts after it")
    if pr is None or pr["closed"]:
        raise Refused("wrong_phase", "the practice round is over: the real game starts when the facilitator says so")
    firm = player.firm
    if firm in pr["submitted"]:
        raise Refused("already_submitted", "your firm already submitted its practice decision")
    if submitter is not None and submitter != player.id:
        raise Refused("not_submitter", "your firm's designated submitter submits the decision")
    d = checked(s, firm, raw if raw is not None else {})
    submitted(step, F.PracticeSubmitted(firm, player.id, d.to_dict(), "submitted"))
    maybe_close(step)
    return {"round": 0, "practice": True, "decision": d.to_dict()}


def submitted(step: Step, fact: F.PracticeSubmitted) -> None:
    step.fact(fact, actor=fact.by, firm=fact.firm)
    step.tell(f"firm:{fact.firm}", {"type": "submitted", "firm": fact.firm, "round": 0, "practice": True,
                                    "by": fact.by, "decision": fact.decision})
    step.note(Status())


def maybe_close(step: Step) -> None:
    s = step.session
    if s.state.phase == PHASE and not s.practice["closed"] and len(s.practice["submitted"]) == len(s.state.firms):
        close(step, "all_submitted", SERVER)


def close(step: Step, reason: str, actor: str) -> None:
    """Every firm's practice result (a firm that did not submit: the engine's default);
    the results stay on screen until the facilitator starts the real game."""
    s = step.session
    subs = s.practice["submitted"]
    decisions = {f: subs[f]["decision"] for f in sorted(subs)}
    sources = {f: subs[f]["source"] if f in subs else "default" for f in sorted(s.state.firms)}
    results = {f: result_of(s, f, decisions.get(f)) for f in sorted(s.state.firms)}
    step.fact(F.PracticeClosed(reason, decisions, sources, results), actor=actor)
    set_clock(step, "stop", None, actor)
    for f in sorted(s.state.firms):
        step.tell(f"firm:{f}", {"type": "practice_result", "round": 0, "result": results[f], "source": sources[f]})
    step.tell("facilitator", {"type": "practice_result", "round": 0, "sources": sources})
    step.note(Views())


def end(step: Step, actor: str) -> None:
    """The facilitator starts the real game: an open practice round closes first."""
    if not step.session.practice["closed"]:
        close(step, "facilitator", actor)
    # back to the lobby's footing: what the real start decides (alliances signed on default
    # terms, a board opened) is logged outside the practice phase
    step.fact(F.PhaseChanged("lobby"), actor=actor)


# ---- what a firm and the facilitator see --------------------------------------------------------

def firm_view(s, firm: str) -> dict:
    """The practice part of a firm's view: its practice game's alliance with the imagined
    partner (for the round form), its submission and, once closed, its result."""
    rules, state, aid = game_of(s, firm)
    ev = engine_firm_view(rules, state, firm, [], None)
    for a in ev.get("alliances", []):
        a["partner_imagined"] = True
    pr = s.practice
    return {"round": 0, "closed": pr["closed"], "budget": ev.get("budget"), "alliances": ev.get("alliances", []),
            "submitted": pr["submitted"].get(firm), "result": (pr["results"] or {}).get(firm),
            "source": (pr["sources"] or {}).get(firm)}


def facilitator_part(s) -> dict:
    pr = s.practice
    return {"closed": pr["closed"], "submitted": {f: sub["by"] for f, sub in sorted(pr["submitted"].items())},
            "waiting_for": [] if pr["closed"] else [f for f in s.state.firms if f not in pr["submitted"]],
            "sources": pr["sources"] or {}, "reason": pr["reason"]}


__all__ = ["PHASE", "close", "enabled", "end", "facilitator_part", "firm_view", "open_practice",
           "result_of", "submit"]
