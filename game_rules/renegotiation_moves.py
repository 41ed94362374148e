"""A bot's moves in a renegotiation window, judged only from what its firm sees.

The live bots (clients/python/live_bots.py) play through the protocol, so they cannot use
the exact dependencies the seat bots bargain on (game_rules/renegotiation.py). They read
the firm's view: its own dependency on the partner as the view shows it, and the partner's
dependency on it, estimated from the firm's own competence (its books) and its estimate of
the partner (the engine's formula on those numbers). Nothing here is hidden from the firm.

Bargaining power. The reservation share is the seat bots' (`renegotiation.reservation_share`)
on these two estimates: the firm that needs its partner less asks for more.

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

Deterministic: the same view gives the same move. Pure: reads view dicts only.
"""
from __future__ import annotations

import copy

from . import race
from .negotiation import MAX_TRANCHES
from .renegotiation import ASKS_FROM, reservation_share

EXIT_RAISE = 1.5      # an avoider's protection: the exit penalty half as high again
MILESTONE_CUT = 0.75  # an internalizer's access when its partner releases in one tranche
EPS = 1e-9


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
            terms["milestone"] = round(terms["milestone"] * MILESTONE_CUT, 6)
    return terms


def _more_protection(terms: dict, me: str) -> dict:
    if terms["release"] == "upfront":
        terms["release"] = "staged"
        terms["tranches"][me] = max(2, terms["tranches"].get(me, 1))
    else:
        terms["tranches"][me] = min(MAX_TRANCHES, terms["tranches"].get(me, 1) + 1)
    terms["exit_penalty"] = round(terms["exit_penalty"] * EXIT_RAISE, 6)
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
        new = _with_share(_more_protection(new, me), me, want if strong else (share + want) / 2)
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
