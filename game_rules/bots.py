"""Bot strategies (GAME.md section 11): pure functions from a firm's view to a decision.

A bot sees exactly what a player of its firm sees (`views.firm_view`) and nothing else, so
the same code plays in the engine's tournaments and through the live protocol. Each
returns a raw decision dict, the same shape a client sends.

- internalizer: learn as much as possible, give the minimum, stay closed, guard the gate.
- avoider: collaborate to avoid investment; contributes generously, learns nothing, open.
- balanced: contributes fairly, learns moderately (below the convergent threshold).
- tit_for_tat: starts balanced, then mirrors the partner's observed openness and breaches.
- random: a random legal allocation (seeded).
"""
from __future__ import annotations

import random

STRATEGIES = ("internalizer", "avoider", "balanced", "tit_for_tat", "random")

# Points per round by intent (budget 100 by default; scaled to the scenario's budget).
_PROFILE = {
    #               extra contribution, absorb, reveal, protect, develop
    "internalizer": (0.0, 50.0, 0.0, 5.0, 15.0),
    "avoider":      (20.0, 0.0, 0.6, 0.0, 10.0),
    "balanced":     (10.0, 20.0, 0.3, 5.0, 25.0),
}


def bot_decision(view: dict, strategy: str, seed: int | str = 0) -> dict:
    """The decision `strategy` takes for the firm whose view this is."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})")
    scale = view["budget"] / 100.0
    rng = random.Random(f"{seed}:{strategy}:{view['firm']['id']}:{view['round']}")
    if strategy == "random":
        return _random(view, rng)
    if strategy == "tit_for_tat":
        d = _tit_for_tat(view, scale)
    else:
        extra, absorb, reveal, protect, develop = _PROFILE[strategy]
        d = _allocate(view, scale, extra, absorb, reveal, protect, develop,
                      own_only=(strategy == "avoider"))
    return _jitter(view, d, rng)


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
