"""Scores (GAME.md section 7): internal gain, external gain, cash, strategic freedom, the
weighted total and the rank in the class. Every score carries its parts."""
from __future__ import annotations

from dataclasses import dataclass

from .fastdict import asdict

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


def partners_of(state: SessionState, firm_id: str) -> list[str]:
    """Firms allied at any time; a firm that never allied is compared with the other firms
    of its own copy of the case (the partners it could have had)."""
    allied = sorted({al.partner(firm_id) for al in state.alliances.values() if firm_id in al.firms})
    if allied:
        return allied
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


def freedom(rules: Rules, state: SessionState, i: str) -> float:
    """1 - the highest dependency on one partner, counting everything that partner
    contributes across all alliances with it (three narrow deals with one firm are one tie)."""
    by_partner: dict[str, set[str]] = {}
    for al in state.alliances.values():
        if i in al.firms:
            j = al.partner(i)
            by_partner.setdefault(j, set()).update(al.terms.contributions.get(j, ()))
    deps = [dependency(rules, state.firms[i].competence, state.firms[j].competence,
                       [k for k in rules.domains if k in doms]) for j, doms in sorted(by_partner.items())]
    return 1.0 - max(deps, default=0.0)


def score_session(rules: Rules, state: SessionState) -> dict[str, Score]:
    scale = max(1, state.round) * rules.params.budget  # the budget is the same for every firm
    scores = {}
    for fid, f in state.firms.items():
        w = rules.of(fid).scenario.scoring
        partners = partners_of(state, fid)
        ig = (sum(internal_gain(rules, state, fid, j) for j in partners) / len(partners)) if partners else 0.0
        eg = external_gain(rules, state, fid)
        cs = f.cash / scale
        fr = freedom(rules, state, fid)
        parts = {"internal": w.internal * ig, "external": w.external * eg,
                 "cash": w.cash * cs, "freedom": w.freedom * fr}
        scores[fid] = Score(fid, ig, eg, f.cash, cs, fr, sum(parts.values()), 0, partners, parts)
    ordered = sorted(scores.values(), key=lambda s: (-s.total, s.firm))
    for rank, s in enumerate(ordered, 1):
        s.rank = rank
    return scores
