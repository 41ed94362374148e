"""What a player's command decides: the facts it makes, or why it is refused.

    fact, result = decide.draft(session, player, fields, round_)

Pure (no I/O, no clock: `now` is passed in). The server's actor checks the transport
(authentication, the command id's idempotency), calls one of these, logs and applies the
facts (`evolve`), then delivers the ack and the pushes. A refusal raises `Refused` (or the
rules' own `DecisionError` / `NegotiationError`) before any fact exists, so a refused
command changes nothing.

What follows a command (pushes, a round that closes, bots that answer) is commands.py's;
the facilitator's controls are controls.py's, the phases phases.py's, rounds rounds.py's.
"""
from __future__ import annotations

from .. import negotiation as neg_rules
from ..decisions import check_draft, merge_draft, parse_decision, validate_decision
from . import facts as F
from .evolve import negotiation_step
from .state import Player, Session
from .step import Refused

__all__ = ["Refused", "chat", "check_round", "draft", "negotiate", "pair_of", "submit"]


def check_round(s: Session, round_: int | None) -> None:
    """A command that names a round must name the one being played."""
    if round_ is not None and round_ != s.state.round + 1:
        raise Refused("stale_round", f"round {round_} is not the current round ({s.state.round + 1})")


def not_in_break(s: Session) -> None:
    if s.state.phase == "break":
        raise Refused("results_break", f"round {s.state.round}'s results are up: the next round opens when the "
                                       "facilitator starts it (nothing is submitted during the break)")


def draft(s: Session, player: Player, fields: dict, round_: int | None) -> tuple[F.DraftChanged, dict]:
    """A change to the firm's draft: the fact logs the change only (the draft is its fold)."""
    not_in_break(s)
    if s.state.phase not in ("negotiation", "execution"):
        raise Refused("wrong_phase", f"drafts are open in negotiation and execution (now: {s.state.phase})")
    check_round(s, round_)
    merged = merge_draft(s.drafts.get(player.firm, {}), fields)
    # keys, domains, bounds and size, like a submission: junk is refused, never stored
    check_draft(s.rules, s.state, player.firm, merged)
    return F.DraftChanged(player.firm, player.id, fields), {"draft": merged}


def submit(s: Session, player: Player, raw: dict | None, round_: int | None,
           submitter: str | None) -> tuple[F.DecisionSubmitted, dict]:
    """The firm's decision for the round (`raw`, else its draft). `submitter`: the only
    player who may submit for the firm (`members_submit: submitter`), else None."""
    not_in_break(s)
    if s.state.phase != "execution":
        raise Refused("wrong_phase", f"decisions are submitted in the execution phase (now: {s.state.phase})")
    check_round(s, round_)
    firm = player.firm
    if firm in s.submitted:
        raise Refused("already_submitted", f"your firm already submitted round {s.state.round + 1}")
    if submitter is not None and submitter != player.id:
        raise Refused("not_submitter", "your firm's designated submitter submits the decision")
    d = parse_decision(firm, raw if raw is not None else s.drafts.get(firm, {}))
    validate_decision(s.rules, s.state, d)
    rnd = s.state.round + 1
    return F.DecisionSubmitted(firm, rnd, player.id, d.to_dict(), "submitted"), {"round": rnd, "decision": d.to_dict()}


def pair_of(s: Session, firm: str) -> tuple[str, tuple[str, str]] | None:
    """The id and firms of this firm's (first) negotiation or alliance (the partner channel)."""
    for ids, by_id in ((s.negotiation_ids(firm), s.negotiations), (s.alliance_ids(firm), s.state.alliances)):
        if ids:
            return ids[0], by_id[ids[0]].firms
    return None


def chat(s: Session, player: Player, to: str, text: str, now: float) -> tuple[F.Chat, list[str]]:
    """A chat line to the firm or to its partner; returns it and the firms that read it."""
    text = text.strip()
    if not text:
        raise Refused("out_of_range", "text: must not be blank")
    firm = player.firm
    if to == "firm":
        channel, firms = f"firm:{firm}", [firm]
    else:
        pair = pair_of(s, firm)
        if pair is None:
            raise Refused("no_partner", "your firm has no partner yet")
        channel, firms = f"alliance:{pair[0]}", list(pair[1])
    return F.Chat(channel, player.id, player.name, firm, text, now), firms


def negotiate(s: Session, player: Player, negotiation: str | None, action: str,
              terms: dict | None) -> tuple[F.NegotiationMove, list[dict]]:
    """A move in the firm's negotiation (or the one named); returns it and its events."""
    if s.state.phase != "negotiation":
        raise Refused("wrong_phase", f"negotiation moves are made in the negotiation phase (now: {s.state.phase})")
    firm = player.firm
    if negotiation is not None:
        neg = s.negotiations.get(negotiation)
        if neg is None:
            raise Refused("unknown_negotiation", f"no negotiation {negotiation!r}")
    else:
        ids = s.negotiation_ids(firm)
        neg = s.negotiations[ids[0]] if ids else None
        if neg is None:
            raise Refused("no_partner", "your firm has no negotiation")
    sheet = None
    if action in ("offer", "counter"):
        if terms is None:
            raise Refused("missing_field", "terms: missing (an offer needs a term sheet)")
        sheet = neg_rules.terms_from_dict(terms, neg.firms, s.rules.domains, s.rules.params.budget, s.state.rounds)
    _, events = negotiation_step(s, neg, action, firm, sheet)  # legality: raises, changes nothing
    return F.NegotiationMove(neg.id, action, firm, sheet.to_dict() if sheet else None), events
