"""A firm's books: its own round as the firm itself can know it (GAME.md section 8).

The engine's `firm_result` is exact, and an exact result would give the partner away: with
the public formulas, the exact learned amount solves for the partner's competence (in a
fully released domain the exposure is 1, so nothing else is unknown), the exact exposure
for its reveal and protection, and two exact competences in a row for its development.
So what a firm is told of the parts of its round that came from its partner is a
*benchmark*, made with the same noise model as its estimates of the partner
(`benchmark_sd`: sd = estimate_noise * A0 / (A0 + its own absorb effort)):

- exposure: what crossed, plus noise of sd/100 (the same share of the 0-1 scale as an
  estimate's noise is of the 0-100 competence scale), kept in [0, 1];
- learned: the engine's own learning formula applied to that benchmarked exposure, to the
  firm's booked competence and to a fresh benchmark of the partner's competence;
- competence: booked, i.e. the firm's own exact parts (development, teaching) plus its
  learning as booked; its position and dependency come from the booked levels;
- model 3: what of its learning goes out of date (`engine.outdated`) is taken off its booked
  competence, scaled to its booked level like teaching (the firm finds out when its copy
  stops working; the rate is set by the partner's development pace, which shows in its
  products, not by any of its secrets), and its booked learning is discounted by freshness
  as the engine's is (models 1 and 2 booked learning without it: their books are kept);
- money (cash and its parts, joint value and shares): in whole points, so that the exact
  market income cannot give away the firm's exact position.

Every booked number is a function of numbers the firm already sees and of seeded noise
(session seed, round, firm, partner): views are reproducible and the engine's outcomes are
untouched. The facilitator, the log and the exports keep the exact numbers; at the debrief
the books close and the firm sees its exact competence and cash with its score.
"""
from __future__ import annotations

import random
from functools import lru_cache
from math import fsum

from .engine import exposure, freshness, learning, outdated, protection
from .rules import Rules
from .state import Decision, SessionState


def benchmark_sd(p, effort: float) -> float:
    """The noise of a benchmark: estimate_noise at zero absorb, halved at A0 absorb points."""
    return p.estimate_noise * p.a0 / (p.a0 + max(0.0, effort))


def rng(state: SessionState, *parts) -> random.Random:
    # A str seed is hashed with SHA-512 by `random`, so this is stable across processes
    # and independent of PYTHONHASHSEED.
    return random.Random(seed_text(state.seed, state.round, *parts))


def seed_text(seed: int, rnd: int, *parts) -> str:
    """The text `rng(state, *parts)` seeds its generator with, for `state.seed` and `state.round`."""
    return ":".join(map(str, (seed, rnd, *parts)))


@lru_cache(maxsize=1 << 15)
def noise(seed: str) -> float:
    """`draw(random.Random(seed))`: the one draw of an estimate, remembered. Seeding a
    generator is most of an estimate's cost (~10 µs: 624 words of state mixed from the
    SHA-512 of the text), a firm's view holds four per alliance and is built again on every
    change to its team, and the noise of round r can be drawn before round r is closed
    (`game_rules.views.noise_ahead`): the round's end then finds it here. Bounded (about
    16 rounds of a 1,000-player class)."""
    return draw(random.Random(seed))


def draw(r: random.Random) -> float:
    """A standard normal draw, never so close to 0 that a benchmark would be exact."""
    z = r.gauss(0.0, 1.0)
    if abs(z) < 0.05:
        z = 0.05 if z >= 0 else -0.05
    return z


def money(x: float) -> float:
    """Money as a firm's accounts show it: whole points."""
    return float(round(x))


def booked_competence(history: list[dict] | None, firm_id: str) -> dict[str, float] | None:
    """The competence of the firm's last booked result, or None before its first round."""
    for e in reversed(history or ()):
        if e.get("type") == "firm_result" and e.get("firm") == firm_id:
            return e["competence"]
    return None


def decisions_used(state: SessionState, events: list[dict], decisions: dict) -> dict[str, Decision]:
    """The decision every firm played: the one given, or the default the engine applied."""
    out = {f: (d if isinstance(d, Decision) else Decision.from_dict(d)) for f, d in decisions.items()}
    for e in events:
        if e["type"] == "default_applied":
            out[e["firm"]] = Decision.from_dict(e["decision"])
    for f in state.firms:
        out.setdefault(f, Decision(f))
    return out


def alliances_by_firm(state: SessionState) -> dict[str, list]:
    """firm id -> its alliances (built once per round: a class can hold hundreds)."""
    out: dict[str, list] = {}
    for al in state.alliances.values():
        for f in al.firms:
            out.setdefault(f, []).append(al)
    return out


def booked_result(rules: Rules, before: SessionState, after: SessionState, result: dict,
                  decisions: dict[str, Decision], history: list[dict] | None, alliances: list) -> dict:
    """The firm's `firm_result` as its books show it (see the module text); `alliances`
    are the firm's alliances in `after`."""
    fid = result["firm"]
    prev_true = before.firms[fid].competence
    prev = booked_competence(history, fid) or prev_true
    learned, seen = _benchmarked_learning(rules, before, after, fid, prev, decisions, alliances)
    p = rules.of(fid).params
    keep, cap = 1.0 - p.decay, p.max_competence
    taught, comp = {}, {}
    firm = before.firms[fid]
    lost = outdated(p, before, firm) if firm.learned_from else {}
    for k, dev in result["developed"].items():
        t, o = result["taught"][k], lost.get(k, 0.0)
        # taught = beta * X * own competence, X set by the firm's own choices: booked on the
        # booked competence, it tells nothing the firm does not already know (nor, scaled the
        # same way, does what went out of date: a share of its own learning)
        if prev[k] != prev_true[k] and prev_true[k] > 0:
            t, o = t * prev[k] / prev_true[k], o * prev[k] / prev_true[k]
        taught[k] = t
        c = (prev[k] + learned[k] + t + dev - o) * keep
        comp[k] = 0.0 if c < 0.0 else cap if c > cap else c
    return {"type": "firm_result", "firm": fid, "round": result["round"],
            "cash": money(result["cash"]), "cash_from_value": money(result["cash_from_value"]),
            "cash_from_market": money(result["cash_from_market"]),
            "cash_unspent": money(result["cash_unspent"]),
            "cash_penalties": money(result["cash_penalties"]),
            "position": rules.position(comp), "competence": comp, "learned": learned,
            "taught": taught, "developed": dict(result["developed"]), "trust": dict(result["trust"]),
            "exposure": seen, "booked": True}


def _took_part(al, before: SessionState, after: SessionState) -> bool:
    """Active when the round began and not left by an exit in it (the engine's rule)."""
    if before.alliances.get(al.id) is None or before.alliances[al.id].status != "active":
        return False
    return not (al.status == "exited" and al.ended_round == after.round)


def _benchmarked_learning(rules: Rules, before: SessionState, after: SessionState, fid: str,
                          booked: dict[str, float], decisions: dict[str, Decision], alliances: list):
    """Learned and exposure per domain, from benchmarks of what crossed and of the partner."""
    domains = rules.domains
    learned = dict.fromkeys(domains, 0.0)
    seen = dict.fromkeys(domains, 0.0)
    own = decisions[fid]
    observer = rules.of(fid).params
    for al in alliances:
        if not _took_part(al, before, after):
            continue
        partner = al.partner(fid)
        ar = rules.of(al.firms[0])  # partners play the alliance-level settings together
        p, t = ar.params, al.terms
        other = decisions[partner]
        prot = protection(p, other.protect)
        n = t.tranches[partner]
        rel = {k: al.released[partner][k] / n for k in t.contributions.get(partner, ())}
        scope = t.scope
        ambient = fsum(own.absorb.get(k, 0.0) for k in scope) / len(scope) if scope else 0.0
        r = rng(after, fid, partner, al.id, "books")
        level = before.firms[partner].competence
        # model 3 books learning as the engine does it, fresh at the partner's pace (models 1
        # and 2 booked it without: their sessions keep their books)
        fresh = freshness(p, before.firms[partner].pace) if p.model_version >= 3 else 1.0
        for k in domains:
            inside = k in scope
            effort = own.absorb.get(k, 0.0) if inside else ambient
            sd = benchmark_sd(observer, effort)
            z_x, z_c = draw(r), draw(r)  # both drawn always: one domain never shifts another's
            x = exposure(p, inside, rel.get(k, 0.0), other.reveal.get(k, 0.0), t.form, prot)
            x = round(min(1.0, max(0.0, x + sd / 100.0 * z_x)), 3)
            if x > seen[k]:
                seen[k] = x
            if effort > 0.0:
                partner_level = max(0.0, level[k] + sd * z_c)
                learned[k] += fresh * learning(p, ar.tacitness[k], x, booked[k], partner_level, effort)
    return learned, seen
