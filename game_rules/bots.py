"""Bot strategies (GAME.md section 11): pure functions from a firm's view to a decision.

A bot sees exactly what a player of its firm sees (`views.firm_view`) and nothing else, so
the same code plays in the engine's tournaments and through the live protocol. Each
returns a raw decision dict, the same shape a client sends.

- internalizer: learn as much as possible, give the minimum, stay closed, guard the gate.
- avoider: collaborate to avoid investment; contributes generously, learns nothing, open.
- balanced: contributes fairly, learns moderately (below the convergent threshold).
- tit_for_tat: starts balanced, then mirrors the partner's observed openness and breaches.
- random: a random legal allocation (seeded).

Two more play the learning race (`game_rules.race`; not in STRATEGIES, so tournaments,
the facts and the goldens that loop over the five keep their numbers):

- racing_internalizer: an internalizer that leaves once it has learned what it came for
  and the exit pays (the penalty against what the partner would still learn from it);
- watchful_avoider: an avoider that leaves once it sees its dependency on the partner rise.
"""
from __future__ import annotations

import random

from . import race

STRATEGIES = ("internalizer", "avoider", "balanced", "tit_for_tat", "random")
RACE_STRATEGIES = ("racing_internalizer", "watchful_avoider")
ALL_STRATEGIES = STRATEGIES + RACE_STRATEGIES

# Points per round by intent (budget 100 by default; scaled to the scenario's budget).
_PROFILE = {
    #               extra contribution, absorb, reveal, protect, develop
    "internalizer": (0.0, 50.0, 0.0, 5.0, 15.0),
    "avoider":      (20.0, 0.0, 0.6, 0.0, 10.0),
    "balanced":     (10.0, 20.0, 0.3, 5.0, 25.0),
}


def bot_decision(view: dict, strategy: str, seed: int | str = 0) -> dict:
    """The decision `strategy` takes for the firm whose view this is."""
    if strategy not in ALL_STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r} (known: {', '.join(ALL_STRATEGIES)})")
    scale = view["budget"] / 100.0
    # a race strategy draws its jitter as its intent does: until it exits it plays the very
    # same game, so a paired comparison isolates the exit
    intent = race.INTENT.get(strategy, strategy)
    rng = random.Random(f"{seed}:{intent}:{view['firm']['id']}:{view['round']}")
    if strategy == "random":
        return _random(view, rng)
    if strategy == "tit_for_tat":
        d = _tit_for_tat(view, scale)
    elif strategy in RACE_STRATEGIES:
        return _racing(view, strategy, scale, rng)
    else:
        extra, absorb, reveal, protect, develop = _PROFILE[strategy]
        d = _allocate(view, scale, extra, absorb, reveal, protect, develop,
                      own_only=(strategy == "avoider"))
    return _jitter(view, d, rng)


def _racing(view, strategy, scale, rng) -> dict:
    """The intent's decision, jittered like every bot's, less the alliances the race leaves:
    a firm that exits puts no points into the alliance it leaves (the engine ends it before
    the round is played, so what it would have contributed stays as cash)."""
    intent = race.INTENT[strategy]
    extra, absorb, reveal, protect, develop = _PROFILE[intent]

    me = view["firm"]["id"]

    def plan(v):  # a graduate with no partner left builds on what it learned: its absorb points go to R&D
        # None: the alliance it is leaving this very round (marked exited in the plan's view)
        left = any(al["status"] == "exited" and al["ended_reason"] in (f"exit by {me}", "mutual exit", None)
                   for al in v["alliances"])
        dev = develop + (absorb if intent == "internalizer" and left and not _active(v) else 0.0)
        return _allocate(v, scale, extra, absorb, reveal, protect, dev, own_only=(intent == "avoider"))
    price = race.point_price(view, plan(view)["develop"])
    leaving = [al["id"] for al in _active(view)
               if (race.internalizer_leaves(view, al, price) if intent == "internalizer"
                   else race.avoider_leaves(view, al))]
    if not leaving:
        return _jitter(view, plan(view), rng)
    staying = dict(view, alliances=[dict(al, status="exited") if al["id"] in leaving else al
                                    for al in view["alliances"]])
    d = _jitter(view, plan(staying), rng)
    d["exit"] = leaving
    return d


def _jitter(view, d, rng: random.Random, spread: float = 0.15) -> dict:
    """Human-like variation (seeded): a team never splits its budget exactly the same way
    twice. Contributions are left alone so a bot never falls under its promised minimum."""
    for field in ("absorb", "develop"):
        d[field] = {k: v * rng.uniform(1 - spread, 1 + spread) for k, v in d[field].items()}
    d["protect"] *= rng.uniform(1 - spread, 1 + spread)
    d["reveal"] = {k: min(1.0, v * rng.uniform(1 - spread, 1 + spread)) for k, v in d["reveal"].items()}
    _fit_budget(view, d)
    return d


def _active(view: dict) -> list[dict]:
    return [a for a in view["alliances"] if a["status"] == "active"]


def _allocate(view, scale, extra, absorb, reveal, protect, develop, own_only=False,
              withhold_all=False, reveal_by_alliance=None) -> dict:
    me = view["firm"]["id"]
    d = {"contribute": {}, "absorb": {}, "develop": {}, "protect": 0.0, "reveal": {},
         "withhold": {}}
    active = _active(view)
    for al in active:
        t = al["terms"]
        own = t["contributions"].get(me, [])
        partner_doms = t["contributions"].get(al["partner"]["id"], [])
        for k in own:
            amount = (t["min_effort"].get(me, 0.0) + extra * scale) / len(own)
            d["contribute"][k] = d["contribute"].get(k, 0.0) + amount
        targets = partner_doms or t["scope"]
        for k in targets:
            d["absorb"][k] = d["absorb"].get(k, 0.0) + absorb * scale / len(targets) / len(active)
        r = reveal if reveal_by_alliance is None else reveal_by_alliance.get(al["id"], reveal)
        for k in t["scope"]:
            d["reveal"][k] = max(d["reveal"].get(k, 0.0), r)
        if withhold_all and al["due"]:
            d["withhold"][al["id"]] = list(al["due"])
    if active:
        d["protect"] = protect * scale
    _develop(view, d, develop * scale, own_only)
    _fit_budget(view, d)
    return d


def _develop(view, d, points, own_only) -> None:
    """Spread development over domains by market weight; an avoider only keeps up the
    domains it is already good at (the start of the dependency spiral)."""
    comp = view["firm"]["competence"]
    doms = view["domains"]
    if own_only:
        doms = [x for x in doms if comp[x["id"]] >= view["rival"]["competence"][x["id"]]] or doms
    total_w = sum(x["weight"] for x in doms)
    for x in doms:
        d["develop"][x["id"]] = points * x["weight"] / total_w


def _fit_budget(view, d) -> None:
    """Scale development (then absorb) down if the sum would exceed the budget."""
    budget = view["budget"]
    spent = sum(d["contribute"].values()) + sum(d["absorb"].values()) + sum(d["develop"].values()) + d["protect"]
    for field in ("develop", "absorb"):
        over = spent - budget
        if over <= 1e-9:
            return
        have = sum(d[field].values())
        if have > 0:
            f = max(0.0, 1 - over / have)
            d[field] = {k: v * f for k, v in d[field].items()}
            spent -= have * (1 - f)
    over = spent - budget
    if over > 1e-9 and d["protect"] > 0:  # promised contributions are cut last of all
        d["protect"] = max(0.0, d["protect"] - over)


def _tit_for_tat(view, scale) -> dict:
    """Open like a balanced firm, then answer in kind: mirror the openness the partner
    showed last round, withhold when the partner withheld, give only the minimum when the
    partner gave less than promised."""
    history = [e for e in view["history"] if e.get("type") == "firm_result"]
    if not history:
        return _allocate(view, scale, *_PROFILE["balanced"])
    last = history[-1]
    extra = _PROFILE["balanced"][0]
    reveal_by, breached = {}, False
    for al in _active(view):
        partner = al["partner"]["id"]
        t = al["terms"]
        leak = 1.0 if t["form"] == "parallel" else 0.6
        seen = []
        for k in t["scope"]:
            n = t["tranches"].get(partner, 1)
            rel = al["released"]["partner"].get(k, 0) / n if k in t["contributions"].get(partner, []) else 0.0
            if rel < 1:
                seen.append((last["exposure"].get(k, 0.0) - rel) / ((1 - rel) * leak))
        reveal_by[al["id"]] = min(1.0, max(0.0, sum(seen) / len(seen))) if seen else 0.3
        breached = breached or al["partner_breached"]
        if al["cum_contribution"]["partner"] + 1e-9 < t["min_effort"].get(partner, 0.0) * (view["round"] - al["signed_round"]):
            extra = 0.0
    _, absorb, _, protect, develop = _PROFILE["balanced"]
    return _allocate(view, scale, extra, absorb, 0.3, protect, develop,
                     withhold_all=breached, reveal_by_alliance=reveal_by)


def _random(view, rng: random.Random) -> dict:
    me = view["firm"]["id"]
    weights = [rng.random() for _ in range(5)]
    total = sum(weights) or 1.0
    budget = view["budget"] * rng.uniform(0.6, 1.0)
    extra, absorb, protect, develop = (budget * w / total for w in weights[:4])
    reveal = rng.random()
    d = _allocate(view, 1.0, 0.0, absorb, reveal, protect, develop)
    active = _active(view)
    for al in active:
        own = al["terms"]["contributions"].get(me, [])
        for k in own:
            d["contribute"][k] = d["contribute"].get(k, 0.0) + extra / len(active) / len(own)
        if al["due"] and rng.random() < 0.15:
            d["withhold"][al["id"]] = list(al["due"])
    _fit_budget(view, d)
    return d
