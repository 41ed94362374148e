"""Renegotiation windows in a live session (session option `renegotiation_every`).

After round k*n closes (n = `renegotiation_every`; never after the last round) the phase is
`renegotiation`: a window opens with its clock (`renegotiation_seconds`, default 120 s) and
one negotiation per active alliance (game_rules/renegotiation.py says what may change).
The partners move with the first negotiation's moves (a `negotiate` command; the same
state machine); an accept is a `terms_renegotiated` fact at once: the alliance plays the
new terms from the next round. The window closes when every negotiation in it is settled,
when its clock runs out or when the facilitator ends it; an open one keeps its terms
(`renegotiation_closed` names them). Then the next round opens (rounds.after_window).

Seat bots bargain as the live bots do, each from its own firm's view
(renegotiation_moves.seat_move): the stronger hand by its estimates asks for its
reservation share, an internalizer also for access, an avoider for protection (a tranche
more, staged release, a higher exit penalty); a bot accepts what leaves it its reservation
and takes nothing its strategy guards, counters once, else walks away; two bots with nothing
to ask leave their terms as they are (walk away).

What each side sees: a firm its own alliances' negotiations, the terms in force and its own
dependency on its partner as its firm view reports it (from its estimates of the partner;
never the partner's dependency nor the exact own one: they would tell the partner's hidden
competences); the facilitator every pair with both exact dependencies. Bots, seated or live,
bargain on what their firm sees, never on the exact dependencies.
"""
from __future__ import annotations

from .. import negotiation as neg_rules, renegotiation as reneg, renegotiation_moves as moves
from ..negotiation import NegotiationError
from ..state import Decision
from ..views import estimated_dependency, firm_view as whole_firm_view
from . import facts as F
from .evolve import negotiation_step
from .state import Session
from .step import SERVER, Refused, Step, Views, people_at, set_clock

PHASE = "renegotiation"
DEFAULT_SECONDS = 120.0
ACTIONS = ("offer", "counter", "accept", "reject", "walk_away")


def session_options(every_: int | None, seconds: float | None, scenario_every: int) -> dict:
    """A new session's options for its windows: `every_` (the request's; None: the
    scenario's `phases.renegotiation_every`, which `--set renegotiation_every=n` changes) and
    the window's clock. Nothing when there are no windows: older sessions' options stay."""
    n = scenario_every if every_ is None else every_
    return {"renegotiation_every": n, "renegotiation_seconds": float(seconds or DEFAULT_SECONDS)} if n else {}


def every(options: dict) -> int:
    return int(options.get("renegotiation_every") or 0)


def due(step: Step) -> bool:
    return reneg.due(every(step.options), step.state)


def open_window(step: Step) -> None:
    s = step.session
    active = {aid: list(a.firms) for aid, a in s.state.alliances.items() if a.status == "active"}
    step.fact(F.RenegotiationOpened(s.state.round, active))
    step.fact(F.PhaseChanged(PHASE))
    set_clock(step, "start", float(step.options.get("renegotiation_seconds") or DEFAULT_SECONDS), SERVER)
    step.note(Views())
    for aid in active:
        bots_play(step, aid)


def is_open(s: Session) -> bool:
    w = s.renegotiation
    return s.state.phase == PHASE and w is not None and w.open


def settled(s: Session) -> bool:
    return all(n.status != "open" for n in s.renegotiation.negotiations.values())


def close(step: Step, reason: str, actor: str) -> None:
    """The window closes: open negotiations keep their terms."""
    s = step.session
    w = s.renegotiation
    kept = sorted(aid for aid in w.negotiations if aid not in w.renegotiated)
    step.fact(F.RenegotiationClosed(w.round, reason, kept), actor=actor)
    _tell(step, list(w.negotiations), [{"type": "renegotiation_closed", "reason": reason, "kept": kept}])


# ---- a move -------------------------------------------------------------------------------------

def decide(s: Session, firm: str, alliance_id: str | None, action: str, terms) -> tuple[F.RenegotiationMove, list]:
    """A firm's move in the window (refused, changing nothing: no window, not a party,
    bad terms, a move the negotiation does not allow now)."""
    if not is_open(s):
        raise Refused("no_window", "there is no renegotiation window open now")
    if action not in ACTIONS:
        raise Refused("out_of_range", f"action: one of {', '.join(ACTIONS)}")
    w = s.renegotiation
    if alliance_id is None:
        alliance_id = next((aid for aid, n in w.negotiations.items() if firm in n.firms), None)
        if alliance_id is None:
            raise Refused("no_partner", "your firm has no alliance to renegotiate")
    neg = w.negotiations.get(alliance_id) if isinstance(alliance_id, str) else None
    if neg is None:
        raise Refused("unknown_negotiation", f"no alliance {neg_rules._show(alliance_id)} in this renegotiation window")
    if firm not in neg.firms:  # before the terms: an outsider learns nothing of the alliance
        raise NegotiationError("not_a_party", f"{firm} is not a party to alliance {alliance_id}")
    sheet = None
    if action in ("offer", "counter"):
        if terms is None:
            raise Refused("missing_field", "terms: missing (a proposal needs the terms it changes)")
        sheet = reneg.proposal(terms, s.state.alliances[alliance_id].terms, s.rules, s.state.rounds)
    _, events = negotiation_step(s, neg, action, firm, sheet)  # legality: raises, changes nothing
    return F.RenegotiationMove(alliance_id, action, firm, sheet.to_dict() if sheet else None), events


def moved(step: Step, fact: F.RenegotiationMove, events: list, actor: str) -> None:
    """A checked move: the fact, the new terms when it is an accept, who is told."""
    step.fact(fact, actor=actor, firm=fact.by)
    s = step.session
    w = s.renegotiation
    neg = w.negotiations[fact.alliance_id]
    if neg.status == "agreed":
        step.fact(F.TermsRenegotiated(fact.alliance_id, neg.agreed_terms.to_dict(), w.applies_from), actor=actor)
        events = events + [{"type": "terms_renegotiated", "alliance": fact.alliance_id, "from_round": w.applies_from}]
    _tell(step, [fact.alliance_id], events)


def _tell(step: Step, alliance_ids: list[str], events: list) -> None:
    s = step.session
    firms = sorted({f for aid in alliance_ids for f in s.renegotiation.negotiations[aid].firms})
    for f in firms:
        step.tell(f"firm:{f}", {"type": "renegotiation", "renegotiation": firm_view(s, f), "events": events})
    step.tell("facilitator", {"type": "renegotiation", "renegotiation": facilitator_view(s), "events": events})


# ---- seat bots ------------------------------------------------------------------------------------

def _bot(s: Session, firm: str) -> bool:
    return firm in s.bots and not people_at(s, firm)


def bots_play(step: Step, alliance_id: str) -> None:
    """The seat bots of one alliance move until a person must answer or it is settled (two
    bots settle in a few moves). Each bargains from its own firm's view
    (renegotiation_moves.seat_move: the moves the live bots make)."""
    s = step.session
    views: dict[str, dict] = {}

    def view_of(firm: str) -> dict:
        if firm not in views:
            last = s.last_decision.get(firm)
            views[firm] = whole_firm_view(s.rules, s.state, firm, s.history.get(firm),
                                          Decision.from_dict(last) if last else None)
        return views[firm]
    for _ in range(moves.MAX_MOVES):
        neg = s.renegotiation.negotiations[alliance_id]
        if not is_open(s):
            return
        bots = {f: s.bots[f] for f in neg.firms if _bot(s, f)}
        move = moves.seat_move(neg.to_dict(), bots, view_of) if bots else None
        if move is None:
            return
        action, sheet = moves.seat_sheet(move[1], move[2], s.state.alliances[alliance_id].terms, s.rules,
                                         s.state.rounds)
        _bot_move(step, alliance_id, action, move[0], sheet)


def _bot_move(step: Step, alliance_id: str, action: str, firm: str, terms) -> None:
    s = step.session
    neg = s.renegotiation.negotiations[alliance_id]
    _, events = negotiation_step(s, neg, action, firm, terms)
    moved(step, F.RenegotiationMove(alliance_id, action, firm, terms.to_dict() if terms else None), events,
          f"bot:{firm}")


# ---- views --------------------------------------------------------------------------------------

def _pair(s: Session, aid: str) -> dict:
    n = s.renegotiation.negotiations[aid]
    al = s.state.alliances[aid]
    return {**n.to_dict(), "terms": al.terms.to_dict(), "renegotiated": aid in s.renegotiation.renegotiated}


def firm_view(s: Session, firm: str) -> dict:
    """The window as one firm sees it: its alliances' negotiations, the terms in force, its
    own dependency on each partner as its view shows it (from its estimates of the partner:
    the exact one would give the partner's competences away)."""
    w = s.renegotiation
    last = s.last_decision.get(firm)
    out = []
    for aid, n in w.negotiations.items():
        if firm in n.firms:
            partner = s.state.firms[n.partner(firm)]
            dep = estimated_dependency(s.rules, s.state, firm, aid, s.history.get(firm),
                                       Decision.from_dict(last) if last else None)
            out.append({**_pair(s, aid), "partner": {"id": partner.id, "name": partner.name, "role": partner.role},
                        "dependency": dep})
    return {"round": w.round, "applies_from": w.applies_from, "open": w.open, "alliances": out}


def facilitator_view(s: Session) -> dict:
    """Every pair of the window with both partners' dependencies (the stronger hand: lower)."""
    w = s.renegotiation
    pairs = [{**_pair(s, aid), "dependency": reneg.dependencies(s.rules, s.state, aid)} for aid in w.negotiations]
    return {"round": w.round, "applies_from": w.applies_from, "open": w.open, "alliances": pairs}
