"""The best attack I can write on a partner's hidden numbers, from what one firm receives.

`Seen` is everything the attacking firm got over its socket (full views, round results)
plus the decisions it sent itself. `recover` runs the public formulas of
`game_rules/engine.py` backwards to rebuild, round by round, the partner's competences,
protection, reveal and development points:

- competence from the firm's learned amount (the learning formula solved for the gap, given
  the exposure and the firm's own level and effort), from the partner's effective
  contribution and from the firm's own (the effective-contribution formula solved for the
  competence), from the benchmark estimates, from the joint value (solved for the partner's
  effective contribution, given the reveal the exposure shows), and at the end from the
  exact score (freedom);
- protection from the exposure of a domain outside the scope (X = epsilon leak prot);
- reveal from the exposure of a scope domain (X = rel + (1 - rel) r leak prot), and, as a
  second candidate, from the joint value (which holds the mean reveal of both firms);
- development from two consecutive competences (c' = (c + taught + dev) keep where the
  partner is ahead and so learns nothing).

A figure the protocol marks as exact (no `booked` flag) is used as exact; a benchmark is
weighted by the noise the model documents for it. Noisy sources are combined by inverse
variance and smoothed over rounds. To make the attack stronger than any real one, every
candidate estimator (several smoothing windows, two reveal methods) is scored against the
truth and the best is kept: an oracle's choice. `score` gives, per quantity, the median
absolute error and the share of values recovered to 1e-6.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from game_rules.rules import Rules

WINDOWS = (0, 1, 2, 3, 99)  # smoothing half-widths (99: the whole game)


def benchmark_sd(p, effort: float) -> float:
    """The documented noise of a benchmark (docs/model.md): estimate_noise * A0 / (A0 + absorb)."""
    return p.estimate_noise * p.a0 / (p.a0 + max(0.0, effort))


@dataclass
class Seen:
    """What one firm received, by round. `views[r]`: the last full view whose `round` is r
    (r resolved rounds); `results[r]`: the events of round r's `round_result`;
    `decisions[r]`: the decision the firm sent for round r."""
    me: str
    partner: str
    rounds: int
    views: dict[int, dict] = field(default_factory=dict)
    results: dict[int, list[dict]] = field(default_factory=dict)
    decisions: dict[int, dict] = field(default_factory=dict)

    @classmethod
    def from_messages(cls, me: str, partner: str, rounds: int, messages: list[dict],
                      decisions: dict[int, dict]) -> "Seen":
        s = cls(me, partner, rounds, decisions=dict(decisions))
        for m in messages:
            if m.get("type") == "view":
                s.views[m["view"]["round"]] = m["view"]
            elif m.get("type") == "round_result":
                s.results[m["round"]] = m["events"]
        return s

    def own_result(self, t: int) -> dict | None:
        return next((e for e in self.results.get(t, ()) if e["type"] == "firm_result" and e["firm"] == self.me), None)

    def joint_value(self, t: int) -> dict | None:
        return next((e for e in self.results.get(t, ()) if e["type"] == "joint_value"), None)

    def alliance(self, r: int) -> dict:
        return self.views[r]["alliances"][0]


def _smooth(points: dict[int, tuple[float, float]], half: int) -> dict[int, float]:
    """Inverse-variance moving average over rounds t-half..t+half; exact points (sd 0) stay."""
    out = {}
    for t, (v, sd) in points.items():
        if sd == 0.0:
            out[t] = v
            continue
        num = den = 0.0
        for u, (w, s) in points.items():
            if abs(u - t) <= half and s > 0.0:
                num += w / (s * s)
                den += 1.0 / (s * s)
        out[t] = num / den
    return out


class Attack:
    def __init__(self, rules: Rules, seen: Seen):
        self.rules, self.s, self.p = rules, seen, rules.params
        al = seen.alliance(0)
        self.terms = al["terms"]
        self.scope = list(self.terms["scope"])
        self.leak = self.p.leak_parallel if self.terms["form"] == "parallel" else self.p.leak_serial
        self.phi = self.p.phi_parallel if self.terms["form"] == "parallel" else self.p.phi_serial
        self.pace = rules.scenario.role(al["partner"]["role"]).pace
        self.keep = 1.0 - self.p.decay
        self.last = max(t for t in range(1, seen.rounds + 1) if seen.own_result(t))
        self.active = [t for t in range(1, self.last + 1) if seen.joint_value(t) is not None]

    # ---- what the firm knows of itself ---------------------------------------------------

    def own_level(self, t: int) -> dict[str, float]:
        """The firm's own competence after round t (as it is shown to it)."""
        if t == 0:
            return self.s.views[0]["firm"]["competence"]
        return self.s.own_result(t)["competence"]

    def effort(self, t: int, k: str) -> float:
        absorb = self.s.decisions.get(t, {}).get("absorb", {})
        if k in self.scope:
            return absorb.get(k, 0.0)
        return sum(absorb.get(x, 0.0) for x in self.scope) / len(self.scope)

    def released(self, t: int, firm: str) -> dict[str, float]:
        """Released share of `firm`'s tranches in each contributed domain after round t's releases."""
        n = self.terms["tranches"][firm]
        count = {k: (n if self.terms["release"] == "upfront" else 0) for k in self.terms["contributions"][firm]}
        for u in range(1, t + 1):
            for e in self.s.results.get(u, ()):
                if e["type"] == "tranche_released" and e["firm"] == firm:
                    count[e["domain"]] = max(count[e["domain"]], e["released"])
        return {k: v / n for k, v in count.items()}

    def partner_points(self, t: int) -> float:
        cum = lambda r: self.s.alliance(r)["cum_contribution"]["partner"]
        return cum(t) - cum(t - 1)

    # ---- competence ------------------------------------------------------------------------

    def competence_sources(self) -> dict[tuple[int, str], list[tuple[float, float]]]:
        """(t, domain) -> [(value, sd)] for the partner's competence after round t."""
        src: dict[tuple[int, str], list[tuple[float, float]]] = {}
        me, partner, p = self.s.me, self.s.partner, self.p
        for t in range(0, self.last + 1):
            if t in self.s.views and self.s.views[t]["alliances"]:
                est = self.s.alliance(t)["partner_estimate"]
                for k, v in est.items():
                    sd = benchmark_sd(p, self.effort(t, k) if t else 0.0)
                    src.setdefault((t, k), []).append((v, sd))
        for t in self.active:
            res = self.s.own_result(t)
            exact = "booked" not in res
            own = self.own_level(t - 1)
            for k, learned in res["learned"].items():
                x, a = res["exposure"][k], self.effort(t, k)
                if learned > 0 and x > 0 and a > 0:
                    gap = self._gap(learned, x, a, own[k], k)
                    if gap is not None:
                        src.setdefault((t - 1, k), []).append(
                            (own[k] + gap, 0.0 if exact else benchmark_sd(p, a)))
            jv = self.s.joint_value(t)
            eff = jv.get("effective_contribution")
            if eff:  # exact effective contributions solve for a competence each
                for k in self.terms["contributions"][partner]:
                    x = self.partner_points(t)
                    if x > 0:
                        src.setdefault((t - 1, k), []).append((self._from_partner_e(eff[partner], x, own[k]), 0.0))
                x_own = sum(self.s.decisions[t].get("contribute", {}).values())
                for k in self.terms["contributions"][me]:
                    c = self._from_own_e(eff[me], x_own, own[k])
                    if c is not None:
                        src.setdefault((t - 1, k), []).append((c, 0.0))
        final = self.s.views.get(self.s.rounds, {})
        score = final.get("score")
        if score and final.get("phase") == "debrief":  # the exact score: freedom = 1 - D
            own = final["firm"]["competence"]
            dep = 1.0 - score["freedom"]
            doms = self.terms["contributions"][partner]
            if len(doms) == 1 and dep > 0:
                k = doms[0]
                pos = self.rules.position(own)
                src.setdefault((self.s.rounds, k), []).append((own[k] + dep * pos / self.rules.weight[k], 0.0))
        return src

    def _gap(self, learned, x, a, own, k):
        p = self.p
        y = learned / (p.eta * (1 - self.rules.tacitness[k]) * x * a / (a + p.a0))
        base = own + p.c0
        return y * base / (base - y) if base > y else None

    @staticmethod
    def _from_partner_e(e, x, own):
        u = 100.0 * e / x
        if u <= own:
            return u
        b = 100.0 - own
        return (-b + math.sqrt(b * b + 40000.0 * e / x)) / 2.0

    @staticmethod
    def _from_own_e(e, x, own):
        if x <= 0 or own <= 0:
            return None
        bonus = e * 100.0 / (x * own) - 1.0
        return own - 100.0 * bonus if bonus > 1e-12 else None

    def competence_candidates(self, extra: dict | None = None, extra_sd: float = 0.0) -> list[dict]:
        src = self.competence_sources()
        for key, v in (extra or {}).items():
            src.setdefault(key, []).append((v, extra_sd))
        per_domain: dict[str, dict[int, tuple[float, float]]] = {}
        for (t, k), xs in src.items():
            exact = [v for v, sd in xs if sd == 0.0]
            if exact:
                per_domain.setdefault(k, {})[t] = (statistics.fmean(exact), 0.0)
            else:
                w = [1.0 / (sd * sd) for _, sd in xs]
                v = sum(wi * vi for wi, (vi, _) in zip(w, xs)) / sum(w)
                per_domain.setdefault(k, {})[t] = (v, 1.0 / math.sqrt(sum(w)))
        out = []
        for half in WINDOWS:
            cand = {}
            for k, pts in per_domain.items():
                for t, v in _smooth(pts, half).items():
                    cand[t, k] = v
            out.append(cand)
        return out

    # ---- protection and reveal ---------------------------------------------------------------

    def protection_points(self) -> dict[int, tuple[float, float]]:
        """t -> (prot, sd) from the exposure of the domains outside the scope."""
        p, out = self.p, {}
        for t in self.active:
            res = self.s.own_result(t)
            outside = [k for k in self.rules.domains if k not in self.scope]
            if not outside:
                continue
            prot = statistics.fmean(res["exposure"][k] / (p.epsilon * self.leak) for k in outside)
            sd = 0.0 if "booked" not in res else benchmark_sd(p, self.effort(t, outside[0])) / 100 / (p.epsilon * self.leak)
            out[t] = (min(1.0, max(1.0 - p.gamma, prot)), sd)
        return out

    def protect_candidates(self) -> list[dict[int, float]]:
        p = self.p
        out = []
        for half in WINDOWS:
            cand = {}
            for t, prot in _smooth(self.protection_points(), half).items():
                q = min(1.0 - prot, p.gamma - 1e-9)
                cand[t] = max(0.0, q * p.p0 / (p.gamma - q))
            out.append(cand)
        return out

    def reveal_candidates(self, comp: dict[tuple[int, str], float]) -> list[dict[tuple[int, str], float]]:
        partner, out = self.s.partner, []
        for half in WINDOWS:
            prot = _smooth(self.protection_points(), half)
            raw: dict[str, dict[int, tuple[float, float]]] = {}
            for t in self.active:
                res = self.s.own_result(t)
                rel = self.released(t, partner)
                for k in self.scope:
                    r_k = rel.get(k, 0.0)
                    if r_k >= 1.0 or prot.get(t, 0) <= 0:
                        continue
                    r = (res["exposure"][k] - r_k) / ((1 - r_k) * self.leak * prot[t])
                    sd = 0.0 if "booked" not in res else benchmark_sd(self.p, self.effort(t, k)) / 100
                    raw.setdefault(k, {})[t] = (min(1.0, max(0.0, r)), sd)
            cand = {}
            for k, pts in raw.items():
                for t, v in _smooth(pts, half).items():
                    cand[t, k] = v
            out.append(cand)
            out.append(self._reveal_from_value(comp, cand))
        return out

    def _value_rounds(self):
        """Per active round: (t, the joint-value event, the value, its factor without the
        effective contributions and the reveal, the firm's own sum of reveals)."""
        p, me = self.p, self.s.me
        trust_partner = p.trust_start
        for t in self.active:
            jv = self.s.joint_value(t)
            trust = min(self.s.alliance(t - 1)["trust"], trust_partner)
            trust_partner = self._next_partner_trust(t, trust_partner)
            split = self.terms["split"][me]
            # the firm's own share is its cash: the most precise figure of the value it gets
            value = jv["shares"][me] / split if split > 0 else jv["value"]
            factor = p.value_scale * (1 + p.kappa * jv["mean_released"]) * (0.5 + 0.5 * trust) * self.phi
            own_reveal = sum(self.s.decisions[t].get("reveal", {}).get(k, 0.0) for k in self.scope)
            yield t, jv, value, factor, own_reveal

    def value_competences(self, comp, reveal) -> dict[tuple[int, str], float]:
        """The joint value solved for the partner's effective contribution, hence for its
        competence in the domain it contributes, given estimates of its reveal and of the
        firm's own effective contribution."""
        out, partner = {}, self.s.partner
        doms = self.terms["contributions"][partner]
        for t, jv, value, factor, own_reveal in self._value_rounds():
            own = self.own_level(t - 1)
            rs = [reveal.get((t, k)) for k in self.scope]
            x = self.partner_points(t)
            e_me = self._own_e(t, own, comp)
            if None in rs or len(doms) != 1 or value <= 0 or not e_me or x <= 0:
                continue
            mean = (own_reveal + sum(rs)) / (2 * len(self.scope))
            e_p = (value / (factor * (1 + self.p.lam * mean))) ** 2 / e_me
            out[t - 1, doms[0]] = self._from_partner_e(e_p, x, own[doms[0]])
        return out

    def _reveal_from_value(self, comp, by_exposure) -> dict[tuple[int, str], float]:
        """The joint value holds the mean reveal: solve it for the partner's sum of reveals,
        split between scope domains as the exposure-based estimates are."""
        p, me, partner = self.p, self.s.me, self.s.partner
        out = {}
        for t, jv, value, factor, own_reveal in self._value_rounds():
            own = self.own_level(t - 1)
            eff = jv.get("effective_contribution") or {}
            e_me = eff.get(me) or self._own_e(t, own, comp)
            e_p = eff.get(partner) or self._partner_e(t, own, comp)
            if not e_me or not e_p or value <= 0:
                continue
            mean = (value / (factor * math.sqrt(e_me * e_p)) - 1.0) / p.lam
            total = max(0.0, mean * 2 * len(self.scope) - own_reveal)
            shares = {k: by_exposure.get((t, k)) for k in self.scope}
            known = {k: v for k, v in shares.items() if v is not None}
            norm = sum(known.values())
            for k in known:
                out[t, k] = min(1.0, total * known[k] / norm if norm > 0 else total / len(self.scope))
        return out

    def _own_e(self, t, own, comp):
        x = sum(self.s.decisions[t].get("contribute", {}).values())
        e = 0.0
        for k in self.terms["contributions"][self.s.me]:
            e += x * own[k] / 100 * (1 + max(0.0, own[k] - comp.get((t - 1, k), own[k])) / 100)
        return e

    def _partner_e(self, t, own, comp):
        x = self.partner_points(t)
        e = 0.0
        for k in self.terms["contributions"][self.s.partner]:
            c = comp.get((t - 1, k), 0.0)
            e += x * c / 100 * (1 + max(0.0, c - own[k]) / 100)
        return e

    def _next_partner_trust(self, t, trust):
        """The partner's trust in this firm follows from this firm's own conduct."""
        p, me = self.p, self.s.me
        evs = self.s.results.get(t, ())
        withheld = any(e["type"] == "tranche_withheld" and e["firm"] == me for e in evs)
        x = sum(self.s.decisions[t].get("contribute", {}).values())
        under = x + 1e-9 < self.terms["min_effort"].get(me, 0.0)
        delta = (-p.trust_withhold if withheld else 0.0) + (-p.trust_under_min if under else 0.0)
        if not withheld and not under:
            delta += p.trust_meet
        if any(e["type"] == "trust_changed" and "convergent_intents" in e["reasons"] for e in evs):
            delta -= p.trust_convergent
        return min(1.0, max(0.0, trust + delta))

    # ---- development ---------------------------------------------------------------------------

    def develop_candidates(self, comps: list[dict]) -> list[dict[tuple[int, str], float]]:
        p, out = self.p, []
        for comp in comps:
            cand = {}
            for t in self.active:
                res = self.s.own_result(t)
                for k in self.rules.domains:
                    if (t, k) not in comp or (t - 1, k) not in comp:
                        continue
                    before = comp[t - 1, k]
                    taught = p.beta * res["exposure"][k] * before if k in self.scope else 0.0
                    dev = comp[t, k] / self.keep - before - taught
                    cand[t, k] = (max(0.0, dev) / (p.delta * self.pace)) ** 2
            out.append(cand)
        return out


def recover(rules: Rules, seen: Seen) -> dict[str, list[dict]]:
    """Candidate estimates of every hidden number of the partner (see the module text)."""
    a = Attack(rules, seen)
    comps = a.competence_candidates()
    # second pass: the joint value, with the reveal the exposure shows over the game, is one
    # more source for the competence the partner contributes (weighted at several trusts)
    whole = comps[-1]
    from_value = a.value_competences(whole, a.reveal_candidates(whole)[-2])
    comps += [c for sd in (0.5, 1.0, 2.0, 4.0) for c in a.competence_candidates(from_value, sd)]
    return {"competence": comps, "protect": a.protect_candidates(),
            "reveal": [r for c in comps for r in a.reveal_candidates(c)],
            "develop": a.develop_candidates(comps)}


def score(candidates: list[dict], truth: dict) -> dict:
    """The oracle's best candidate against the truth: its absolute errors, their median and
    the share within 1e-6, over the keys of `truth` that the candidate estimates (at least
    half of them)."""
    best = None
    for cand in candidates:
        errs = [abs(cand[k] - v) for k, v in truth.items() if k in cand]
        if len(errs) < max(3, len(truth) // 2):
            continue
        med = statistics.median(errs)
        if best is None or med < best["median"]:
            best = {"median": med, "exact": sum(e < 1e-6 for e in errs) / len(errs), "n": len(errs),
                    "errors": errs}
    return best or {"median": math.inf, "exact": 0.0, "n": 0, "errors": []}
