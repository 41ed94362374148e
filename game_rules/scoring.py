"""Scores (GAME.md section 7): internal gain, external gain, cash, strategic freedom, the
weighted total and the rank in the class. Every score carries its parts."""
from __future__ import annotations

from dataclasses import dataclass

from .fastdict import asdict

from .books import alliances_by_firm
from .engine import dependency
from .rules import Rules
from .state import SessionState


@dataclass(slots=True)
class Score:
    firm: str
    internal_gain: float   # change of P_i / P_partner, relative to the start (mean over partners)
    external_gain: float   # change of P_i / P_rival, relative to the start
    cash: float
    cash_score: float      # cash / (rounds * budget): 1.0 = one full budget earned per round
    freedom: float         # 1 - highest dependency on a partner at the end
    total: float
    rank: int
    partners: list[str]
    parts: dict[str, float]  # weighted contribution of each part to the total

    def to_dict(self) -> dict:
        return asdict(self)


def partners_of(state: SessionState, firm_id: str, allied: dict[str, list] | None = None) -> list[str]:
    """Firms allied at any time; a firm that never allied is compared with the other firms
    of its own copy of the case (the partners it could have had). `allied`: the state's
    alliances by firm (`books.alliances_by_firm`), when the caller has them."""
    mine = allied.get(firm_id, ()) if allied is not None else [
        al for al in state.alliances.values() if firm_id in al.firms]
    partners = sorted({al.partner(firm_id) for al in mine})
    if partners:
        return partners
    copy = state.firms[firm_id].copy
    return sorted(f.id for f in state.firms.values() if f.copy == copy and f.id != firm_id)


def internal_gain(rules: Rules, state: SessionState, i: str, j: str) -> float:
    fi, fj = state.firms[i], state.firms[j]
    start = rules.position(fi.start_competence) / rules.position(fj.start_competence)
    end = rules.position(fi.competence) / rules.position(fj.competence)
    return end / start - 1.0


def external_gain(rules: Rules, state: SessionState, i: str) -> float:
    f = state.firms[i]
    start = rules.position(f.start_competence) / rules.position(state.start_rival)
    end = rules.position(f.competence) / rules.position(state.rival)
    return end / start - 1.0


def freedom(rules: Rules, state: SessionState, i: str, allied: dict[str, list] | None = None) -> float:
    """1 - the highest dependency on one partner, counting everything that partner
    contributes across all alliances with it (three narrow deals with one firm are one tie).
    `allied` as for `partners_of`."""
    by_partner: dict[str, set[str]] = {}
    mine = allied.get(i, ()) if allied is not None else [al for al in state.alliances.values() if i in al.firms]
    for al in mine:
        j = al.partner(i)
        by_partner.setdefault(j, set()).update(al.terms.contributions.get(j, ()))
    deps = [dependency(rules, state.firms[i].competence, state.firms[j].competence,
                       [k for k in rules.domains if k in doms]) for j, doms in sorted(by_partner.items())]
    return 1.0 - max(deps, default=0.0)


def introductions(pairings) -> dict[str, str]:
    """alliance id -> the go-between that introduced its firms, from selection pairings
    (dicts with `alliance_id` and `introduced_by`, as the session and its log hold them)."""
    return {p["alliance_id"]: p["introduced_by"] for p in pairings if p.get("introduced_by")}


def go_betweens(rules: Rules, state: SessionState) -> list[str]:
    """Firms whose role signs no alliance of the scenario (across_ocean's Bridgeway): they
    broker, they do not ally (model 2 scores them by their introductions)."""
    if rules.params.model_version < 2:
        return []
    allying = {r for tpl in rules.scenario.alliances for r in tpl.roles}
    return [fid for fid, f in state.firms.items() if f.role not in allying]


def score_session(rules: Rules, state: SessionState, introduced: dict[str, str] | None = None) -> dict[str, Score]:
    """Every firm's score and rank. `introduced` maps an alliance id to the go-between that
    introduced its firms (the session's selection pairings)."""
    scale = max(1, state.round) * rules.params.budget  # the budget is the same for every firm
    scores = {}
    allied = alliances_by_firm(state)  # once: a scan of every alliance per firm was quadratic
    for fid, f in state.firms.items():
        w = rules.of(fid).scenario.scoring
        partners = partners_of(state, fid, allied)
        ig = (sum(internal_gain(rules, state, fid, j) for j in partners) / len(partners)) if partners else 0.0
        eg = external_gain(rules, state, fid)
        cs = f.cash / scale
        fr = freedom(rules, state, fid, allied)
        parts = {"internal": w.internal * ig, "external": w.external * eg,
                 "cash": w.cash * cs, "freedom": w.freedom * fr}
        scores[fid] = Score(fid, ig, eg, f.cash, cs, fr, sum(parts.values()), 0, partners, parts)
    for fid in go_betweens(rules, state):
        _score_go_between(scores[fid], state, scores, introduced or {})
    ordered = sorted(scores.values(), key=lambda s: (-s.total, s.firm))
    for rank, s in enumerate(ordered, 1):
        s.rank = rank
    return scores


def _score_go_between(sc: Score, state: SessionState, scores: dict[str, Score], introduced: dict[str, str]) -> None:
    """A go-between's reputation is the value the alliances it introduced go on to create
    (seed 003: the broker lives on the pairs it makes): its score is the mean score of the
    firms it brought together, part by part; it introduced nobody, it scores zero. What it
    earns or learns on its own does not count (it has no partner to race, nothing to depend on)."""
    firms = [f for aid, by in sorted(introduced.items()) if by == sc.firm and aid in state.alliances
             for f in state.alliances[aid].firms]
    n = len(firms)
    for attr in ("internal_gain", "external_gain", "freedom"):
        setattr(sc, attr, sum(getattr(scores[f], attr) for f in firms) / n if n else 0.0)
    sc.cash_score = sum(scores[f].cash_score for f in firms) / n if n else 0.0
    sc.parts = {k: (sum(scores[f].parts[k] for f in firms) / n if n else 0.0) for k in sc.parts}
    sc.total = sum(sc.parts.values())
    sc.partners = sorted(set(firms))
