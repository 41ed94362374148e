"""A bot's moves in a renegotiation window, judged only from what its firm sees.

Every bot plays the windows with these moves: the live bots (clients/python/live_bots.py,
through the protocol), a session's seat bots (session/renegotiating.py) and the command
line's bots (`simulate`, `tournament`: simulate.play, through `bots_settle`). Each reads its
firm's view: its own dependency on the partner as the view shows it, and the partner's
dependency on it, estimated from the firm's own competence (its books) and its estimate of
the partner (the engine's formula on those numbers). Nothing here is hidden from the firm,
and no bot reads the exact dependencies (only the facilitator sees those).

Bargaining power. The reservation share is `renegotiation.reservation_share` on these two
estimates: the firm that needs its partner less asks for more.

Proposals (`ask`), in the direction the strategy wants:
- every strategy with the stronger hand asks for its reservation share;
- an internalizer with the stronger hand also asks for more access: the partner's
  contributions released in one tranche fewer (or at a lower milestone);
- an avoider asks for protection with the stronger hand, and also when its dependency has
  risen since signing (the spiral `race.avoider_leaves` watches): its own contributions in
  one tranche more (staged release if they were released upfront) and a higher exit
  penalty (a partner that has learned cannot leave cheaply). With a weak hand it pays for
  that with half of the share its hand would concede.

Answers (`answer`): accept a proposal that leaves the firm its reservation share and takes
nothing its strategy guards (an internalizer: access and a cheap exit; an avoider: its
protection); otherwise counter once per window with what it would accept (the guarded
terms put back, its reservation share), else walk away: the terms in force stay.

A whole move (`next_move`): with no proposal on the table a firm opens once per window
(`ask`, or nothing); it answers its partner's proposal (`answer`). Between two bots
(`seat_move`) the first with a move moves; when neither has one, the terms stay (the first
walks away), so two bots settle in at most four moves.

Deterministic: the same view gives the same move. Pure: reads view dicts only.
"""
from __future__ import annotations

import copy

from . import race
from .negotiation import DEFAULT_BUDGET, MAX_TRANCHES, MONEY_BUDGETS, NegotiationError, open_negotiation, transition
from .renegotiation import ASKS_FROM, proposal, reservation_share

EXIT_RAISE = 1.5      # an avoider's protection: the exit penalty half as high again
MILESTONE_CUT = 0.75  # an internalizer's access when its partner releases in one tranche
MIN_MILESTONE = 0.01  # cut window after window, a milestone stays a valid one (greater than 0)
EPS = 1e-9
MAX_MOVES = 6         # two bots settle in at most four moves (offer, counter, counter, answer)


def _family(strategy: str) -> str:
    return race.INTENT.get(strategy, strategy)


def _alliance(view: dict, alliance_id: str) -> dict | None:
    return next((a for a in view.get("alliances", ()) if a["id"] == alliance_id), None)


def partner_dependency(view: dict, al: dict) -> float:
    """The partner's dependency on the firm by the firm's estimate: what the firm's contributed
    domains fill of the partner's position gap (engine.dependency, on the firm's books and its
    estimate of the partner)."""
    w = {d["id"]: d["weight"] for d in view["domains"]}
    own, est = view["firm"]["competence"], al["partner_estimate"]
    pos = sum(w[k] * est[k] for k in w)
    if pos <= 0:
        return 1.0
    mine = al["terms"]["contributions"].get(view["firm"]["id"], ())
    return sum(w[k] * max(0.0, own[k] - est[k]) for k in mine) / pos


def reservation(view: dict, pair: dict) -> float:
    """The lowest share the firm accepts in this window's negotiation `pair`."""
    me = view["firm"]["id"]
    al = _alliance(view, pair["id"])
    theirs = partner_dependency(view, al) if al is not None else 0.0
    return reservation_share(pair["terms"]["split"][me], pair["dependency"], theirs)


def _rising(view: dict, al: dict) -> bool:
    """The avoider's spiral, as `race.avoider_leaves` reads it: its dependency up on what it
    would be with its competence at signing."""
    return al is not None and al["dependency"] > race.start_dependency(view, al) * (1 + race.DEPENDENCY_RISE) + EPS


def _with_share(terms: dict, me: str, share: float) -> dict:
    terms["split"] = {f: (share if f == me else 1.0 - share) for f in terms["split"]}
    return terms


def _more_access(terms: dict, partner: str) -> dict:
    if terms["release"] == "staged":
        if terms["tranches"].get(partner, 1) > 1:
            terms["tranches"][partner] -= 1
        else:
            terms["milestone"] = max(round(terms["milestone"] * MILESTONE_CUT, 6), MIN_MILESTONE)
    return terms


def _more_protection(terms: dict, me: str, budget: float) -> dict:
    if terms["release"] == "upfront":
        terms["release"] = "staged"
        terms["tranches"][me] = max(2, terms["tranches"].get(me, 1))
    else:
        terms["tranches"][me] = min(MAX_TRANCHES, terms["tranches"].get(me, 1) + 1)
    # raised window after window, the penalty stays within what a term sheet allows
    terms["exit_penalty"] = min(round(terms["exit_penalty"] * EXIT_RAISE, 6), MONEY_BUDGETS * budget)
    return terms


def ask(view: dict, pair: dict, strategy: str) -> dict | None:
    """The terms the firm proposes in this window (a whole term sheet), or None."""
    me = view["firm"]["id"]
    al = _alliance(view, pair["id"])
    current = pair["terms"]
    share, want = current["split"][me], reservation(view, pair)
    strong = want >= share + ASKS_FROM
    family = _family(strategy)
    new = copy.deepcopy(current)
    if family == "avoider" and (strong or _rising(view, al)):
        new = _with_share(_more_protection(new, me, view.get("budget", DEFAULT_BUDGET)), me,
                          want if strong else (share + want) / 2)
    elif family == "internalizer" and strong:
        partner = next(f for f in current["split"] if f != me)
        new = _with_share(_more_access(new, partner), me, want)
    elif strong:
        new = _with_share(new, me, want)
    return new if new != current else None


def guarded(strategy: str, me: str, current: dict, offered: dict) -> list[str]:
    """The fields of `offered` that take from the firm what its strategy guards."""
    partner = next(f for f in current["split"] if f != me)
    family = _family(strategy)
    staged = {"staged": 1, "upfront": 0}
    out = []
    if family == "internalizer":
        if (offered["tranches"].get(partner, 1) > current["tranches"].get(partner, 1)
                or staged[offered["release"]] > staged[current["release"]]
                or offered["milestone"] > current["milestone"] + EPS):
            out.append("access")
        if offered["exit_penalty"] > current["exit_penalty"] + EPS:
            out.append("exit_penalty")
    elif family == "avoider":
        if (offered["tranches"].get(me, 1) < current["tranches"].get(me, 1)
                or staged[offered["release"]] < staged[current["release"]]):
            out.append("protection")
        if offered["exit_penalty"] < current["exit_penalty"] - EPS:
            out.append("exit_penalty")
    return out


def _put_back(offered: dict, current: dict, fields: list[str]) -> dict:
    terms = copy.deepcopy(offered)
    if "access" in fields or "protection" in fields:
        for name in ("tranches", "release", "milestone"):
            terms[name] = copy.deepcopy(current[name])
    if "exit_penalty" in fields:
        terms["exit_penalty"] = current["exit_penalty"]
    return terms


def answer(view: dict, pair: dict, strategy: str, offered: dict, may_counter: bool) -> tuple[str, dict | None]:
    """('accept', None), ('counter', terms) or ('walk_away', None) to the partner's standing
    proposal `offered` (a whole term sheet)."""
    me = view["firm"]["id"]
    floor = reservation(view, pair)
    cuts = guarded(strategy, me, pair["terms"], offered)
    enough = offered["split"].get(me, 0.0) >= floor - EPS
    if enough and not cuts:
        return "accept", None
    if may_counter:
        counter = _with_share(_put_back(offered, pair["terms"], cuts), me, max(offered["split"].get(me, 0.0), floor))
        if counter != offered:
            return "counter", counter
    return "walk_away", None


# ---- the whole move, for every bot that plays a window ---------------------------------------------
# Live bots (clients/python/live_bots.py), the session's seat bots (session/renegotiating.py) and the
# command line's bots (simulate.play, tournament) all take their next move here, each from its own
# firm's view.

def _made(pair: dict, me: str, kind: str) -> bool:
    return any(o["by"] == me and o["kind"] == kind for o in pair.get("offers", ()))


def next_move(view: dict, pair: dict, strategy: str) -> tuple[str, dict | None] | None:
    """The firm's next move in one negotiation `pair` of a window: (action, whole term sheet
    or None), or None when it has nothing to do now (settled, its own proposal stands, it has
    opened once already or has no case to make). One opening proposal and one counter per
    window; a partner's proposal is always answered (accept, counter or walk away)."""
    me = view["firm"]["id"]
    if pair.get("status", "open") != "open":
        return None
    standing = next((o for o in pair.get("offers", ()) if o["n"] == pair.get("standing")), None)
    if standing is None:
        terms = None if _made(pair, me, "offer") else ask(view, pair, strategy)
        return ("offer", terms) if terms is not None else None
    if standing["by"] == me:
        return None
    return answer(view, pair, strategy, standing["terms"], may_counter=not _made(pair, me, "counter"))


def pair_of(view: dict, negotiation: dict) -> dict:
    """A window's negotiation (`Negotiation.to_dict()`) as the firm of `view` sees it: with the
    terms in force and its own dependency on the partner, both from its view (the window a
    live bot is pushed has the same fields)."""
    al = _alliance(view, negotiation["id"])
    return {**negotiation, "terms": al["terms"], "dependency": al["dependency"]}


def hand(view: dict, alliance_id: str) -> dict:
    """The firm's bargaining position in a window as it judges it: its dependency on the
    partner and the partner's on it (both estimated), its share now and its reservation."""
    al = _alliance(view, alliance_id)
    pair = {"id": alliance_id, "terms": al["terms"], "dependency": al["dependency"]}
    return {"dependency": al["dependency"], "partner_dependency": partner_dependency(view, al),
            "share": al["terms"]["split"][view["firm"]["id"]], "reservation": reservation(view, pair)}


def seat_move(negotiation: dict, bots: dict[str, str], view_of) -> tuple[str, str, dict | None] | None:
    """The seat bots' next move in one window negotiation (`Negotiation.to_dict()`):
    (firm, action, terms) or None when it is settled or only a person can move. `bots`: firm
    -> strategy of the parties a bot plays; `view_of(firm)`: that firm's view
    (`views.firm_view`). Each bot moves by `next_move` on its own view, as a live bot does;
    two bots with no move left keep the terms (the first walks away), so two bots settle."""
    if negotiation["status"] != "open":
        return None
    for firm in negotiation["firms"]:
        if firm in bots:
            view = view_of(firm)
            move = next_move(view, pair_of(view, negotiation), bots[firm])
            if move is not None:
                return (firm, *move)
    if all(f in bots for f in negotiation["firms"]):
        return negotiation["firms"][0], "walk_away", None
    return None


def seat_sheet(action: str, terms: dict | None, current, rules, rounds: int):
    """A bot's move as the state machine takes it: (action, TermSheet or None). A proposal
    the rules would refuse (it cannot happen by construction; kept as a guard) becomes a walk
    away: the terms in force stay."""
    if terms is None:
        return action, None
    try:
        return action, proposal(terms, current, rules, rounds)
    except NegotiationError:
        return "walk_away", None


def bots_settle(rules, state, alliance_id: str, bots: dict[str, str], view_of) -> tuple[object, list[dict]]:
    """Two seat bots play one negotiation of a window on the negotiation state machine, off a
    session (`simulate.play`): the terms agreed (a TermSheet) or None (the terms stay), and
    the moves made ({by, action, terms})."""
    al = state.alliances[alliance_id]
    neg = open_negotiation(alliance_id, al.firms)
    made = []
    for _ in range(MAX_MOVES):
        move = seat_move(neg.to_dict(), bots, view_of)
        if move is None:
            break
        firm, (action, sheet) = move[0], seat_sheet(move[1], move[2], al.terms, rules, state.rounds)
        neg, _ = transition(neg, action, firm, sheet, rules.domains, budget=rules.params.budget,
                            max_duration=state.rounds)
        made.append({"by": firm, "action": action, "terms": sheet.to_dict() if sheet else None})
    return neg.agreed_terms, made
