"""Learning races and exits (GAME.md sections 6 and 9; docs/model.md, section 13).

Two strategies play the race (`game_rules.bots`): a *racing internalizer* learns hard and
leaves once it has what it came for, a *watchful avoider* contributes and leaves once it
sees its dependency on the partner rising. Both decide only from what the firm sees (its
view: its books, its estimates of the partner, the public terms), like every bot. The
debrief reads the other side: who *graduated* (left an alliance after learning from it)
and when (`graduations`).

Pure: no state between rounds; the bots rebuild what they need from the view's history.
"""
from __future__ import annotations

INTENT = {"racing_internalizer": "internalizer", "watchful_avoider": "avoider"}
GRADUATE_SHARE = 0.25   # learned what it came for: a quarter of its gap in the partner's domains closed
DEPENDENCY_RISE = 0.05  # the watchful avoider leaves once its own side of the spiral adds 5%


def _results(view: dict) -> list[dict]:
    return [e for e in view["history"] if e.get("type") == "firm_result"]


def _partner_domains(view: dict, al: dict) -> list[str]:
    return list(al["terms"]["contributions"].get(al["partner"]["id"], []))


def race_progress(view: dict, al: dict) -> dict:
    """How far the firm has got in the race in alliance `al`, from its books and estimates:
    `learned` (points learned in the partner's domains so far), `gap` (what is left to learn
    there, by its estimate of the partner), `closed` (the share of its gap closed, taking the
    start gap as what it learned plus what is left), `last` (learned last round), and
    `partner_rate`: what the partner would learn next round in the firm's own domains.

    The firm cannot see the partner's effort, so it applies its own last round to the
    partner's side of the learning formula (learning is proportional to (1 - tacitness) x
    exposure x gap): its own learning per unit of that product, times the product on the
    partner's side (its own domains' tacitness, what it has released of them, the
    partner's gap by its estimate), times how guarded the partner is (an open partner is
    taken for an avoider that does not learn)."""
    me = view["firm"]["id"]
    own = view["firm"]["competence"]
    est = al["partner_estimate"]
    tau = {d["id"]: d["tacitness"] for d in view["domains"]}
    t = al["terms"]
    theirs = _partner_domains(view, al)
    mine = t["contributions"].get(me, [])
    results = _results(view)
    learned = sum(r["learned"].get(k, 0.0) for r in results for k in theirs)
    last = sum(results[-1]["learned"].get(k, 0.0) for k in theirs) if results else 0.0
    gap = sum(max(0.0, est[k] - own[k]) for k in theirs)
    seen = results[-1]["exposure"] if results else {}
    # last round's learning happened across last round's gap: today's plus what it learned
    mine_open = sum((1 - tau[k]) * seen.get(k, 0.0) * (max(0.0, est[k] - own[k]) + last / len(theirs))
                    for k in theirs)
    n = t["tranches"].get(me, 1)
    theirs_open = sum((1 - tau[k]) * al["released"]["own"].get(k, 0) / n * max(0.0, own[k] - est[k])
                      for k in mine)
    rate = last / mine_open if mine_open > 0 else 0.0
    return {"learned": learned, "gap": gap, "last": last,
            "closed": learned / (learned + gap) if learned + gap > 0 else 0.0,
            "partner_rate": rate * theirs_open * max(0.0, 1.0 - 2.0 * partner_openness(view, al))}


def partner_openness(view: dict, al: dict) -> float:
    """How openly the partner revealed last round, read from what crossed to the firm (the
    exposure its books show, less what released tranches explain), as tit-for-tat reads it.
    The seeds' avoider is open and its learner guards its gate, so a guarded partner is taken
    for a rival learner. 0.5 (unknown) before the first round."""
    results = _results(view)
    if not results:
        return 0.5
    t = al["terms"]
    leak = 1.0 if t["form"] == "parallel" else 0.6
    partner = al["partner"]["id"]
    seen = []
    for k in t["scope"]:
        n = t["tranches"].get(partner, 1)
        rel = al["released"]["partner"].get(k, 0) / n if k in t["contributions"].get(partner, []) else 0.0
        if rel < 1:
            seen.append((results[-1]["exposure"].get(k, 0.0) - rel) / ((1 - rel) * leak))
    return min(1.0, max(0.0, sum(seen) / len(seen))) if seen else 0.5


def point_price(view: dict, develop: dict[str, float]) -> float:
    """What one competence point costs the firm to develop alone, from its own books:
    development is delta * pace * sqrt(points), so its marginal cost is 2 * points / gained.
    `develop` is what the firm develops this round (a bot keeps its profile, so it stands in
    for last round's points, which the view does not repeat); the dearest domain counts (the
    firm would have to buy at the margin what it no longer learns). 0 before any result."""
    results = _results(view)
    if not results:
        return 0.0
    developed = results[-1].get("developed", {})
    prices = [2.0 * pts / developed[k] for k, pts in develop.items() if pts > 0 and developed.get(k, 0) > 0]
    return max(prices, default=0.0)


def free_exit(view: dict, al: dict) -> bool:
    """An exit trigger of the terms lets the firm leave without the penalty (the engine's rule)."""
    t = al["terms"]
    return (t.get("exit_on_breach") and al["partner_breached"]) or al["trust"] < t.get("exit_trust_below", 0.0)


def remaining(view: dict, al: dict) -> int:
    t = al["terms"]
    end = min(view["rounds"], al["signed_round"] + t["duration"])
    return max(0, end - view["round"])


def internalizer_leaves(view: dict, al: dict, price: float) -> bool:
    """A racing internalizer leaves `al` once it has learned what it came for (GRADUATE_SHARE
    of its gap closed) and the race is turning (the partner, learning at the firm's own rate, would now
    gain more per round than the firm does), paying the penalty only when that pays off: the
    points the partner would still gain over the remaining rounds, net of what the firm
    would still learn, valued at what developing them costs, are worth more than the penalty."""
    if view["round"] < 2 or remaining(view, al) < 1:
        return False
    r = race_progress(view, al)
    if r["closed"] < GRADUATE_SHARE or r["partner_rate"] <= r["last"]:
        return False
    if free_exit(view, al):
        return True
    denied = remaining(view, al) * (r["partner_rate"] - r["last"]) * price
    return denied > al["terms"].get("exit_penalty", 0.0)


def start_dependency(view: dict, al: dict) -> float:
    """The dependency the firm would have on the partner as it stands now had it kept its
    competence at signing: its own start competence against its estimate of the partner now
    (the engine's formula: sum over the partner's domains of weight x max(0, partner - own)
    over the firm's own position). A bot keeps nothing between rounds and sees the partner
    only through this round's benchmark, so it can time only its own side of the spiral: the
    skills it let slip and the position it did not build. Both numbers share the estimate,
    so its noise cancels in the comparison."""
    return _dependency(view, al, view["firm"]["start_competence"], al["partner_estimate"])


def _dependency(view: dict, al: dict, own: dict, partner: dict) -> float:
    w = {d["id"]: d["weight"] for d in view["domains"]}
    pos = sum(w[k] * own[k] for k in w)
    if pos <= 0:
        return 1.0
    return sum(w[k] * max(0.0, partner[k] - own[k]) for k in _partner_domains(view, al)) / pos


def avoider_leaves(view: dict, al: dict) -> bool:
    """A watchful avoider leaves `al` once its dependency on the partner, as its screen shows
    it, is up by DEPENDENCY_RISE on what it would be with its competence at signing (see
    `start_dependency`). It pays the penalty when it leaves: an avoider came for the joint
    value, so leaving is its defence of its freedom, not a calculation of cash."""
    if view["round"] < 2 or remaining(view, al) < 2:  # a last round is not worth a penalty
        return False
    then = start_dependency(view, al)
    return al["dependency"] > then * (1 + DEPENDENCY_RISE) + 1e-9


# ---- the debrief: who graduated, and when ----------------------------------------------

def graduations(state, rounds: list[dict]) -> list[dict]:
    """Every exit of the game as the debrief tells it: the firm that left, the alliance, the
    round, the penalty it paid, what it had learned from the partner by then (the points it
    learned in the partner's domains, exact, from the engine's events) and the share of its
    gap there it had closed (learned / (learned + the gap left when it left), the measure the
    racing bot uses on its estimates). A firm that left with at least GRADUATE_SHARE of its
    gap closed *graduated*; one that left before that *left*. `rounds` are the resolved
    rounds, each {"round": n, "events": [engine events as dicts]} (the log's, or a
    simulated game's). A mutual exit counts for both firms."""
    results: dict[tuple[int, str], dict] = {}
    ended: dict[str, dict] = {}
    for r in rounds:
        for e in r["events"]:
            if e["type"] == "firm_result":
                results[r["round"], e["firm"]] = e
            elif e["type"] == "alliance_ended" and e.get("reason") == "exited":
                ended[e["alliance"]] = e
    out = []
    for aid, e in sorted(ended.items(), key=lambda x: (x[1]["round"], x[0])):
        al = state.alliances.get(aid)
        if al is None:
            continue
        leavers = [e["by"]] if e.get("by") else list(al.firms)
        for fid in leavers:
            out.append(_graduation(state, al, fid, e, results))
    return out


def _graduation(state, al, fid: str, ended: dict, results: dict) -> dict:
    partner = al.partner(fid)
    doms = al.terms.contributions.get(partner, ())
    # an exit takes effect before the round is played: what counts is up to the round before
    learned = sum(res["learned"].get(k, 0.0) for (rnd, f), res in results.items()
                  if f == fid and rnd < ended["round"] for k in doms)

    def comp(f):
        res = results.get((ended["round"] - 1, f))
        return res["competence"] if res else state.firms[f].start_competence
    own, theirs = comp(fid), comp(partner)
    gap = sum(max(0.0, theirs[k] - own[k]) for k in doms)
    closed = learned / (learned + gap) if learned + gap > 0 else 0.0
    return {"alliance": al.id, "firm": fid, "partner": partner, "round": ended["round"],
            "penalty": ended.get("penalty", 0.0), "trigger": ended.get("trigger"),
            "learned": learned, "closed": closed, "graduated": closed >= GRADUATE_SHARE}
