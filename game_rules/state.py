"""Typed state of a game session: firms, alliances, term sheets, decisions.

Everything here is plain data. The engine (`engine.py`) is a pure function from one
`SessionState` and a set of `Decision`s to the next `SessionState` plus events; nothing
in this module does I/O or reads a clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .fastdict import asdict
from math import fsum
from typing import Literal

Form = Literal["serial", "parallel"]
Release = Literal["staged", "upfront"]
Phase = Literal["lobby", "selection", "negotiation", "execution", "debrief"]
PHASES: tuple[str, ...] = ("lobby", "selection", "negotiation", "execution", "debrief")


@dataclass(slots=True)
class TermSheet:
    """What two firms negotiate (GAME.md section 4).

    `contributions` maps a firm id to the domains it commits to contribute, `min_effort`
    to the minimum contribution points per round it promises, `tranches` to the number of
    tranches each of its contributed domains is released in. A staged tranche t (1..n) is
    due once the partner's cumulative contribution reaches t * `milestone`; `upfront`
    releases everything at signing. `split` maps firm id to its share of the joint value.
    `upfront_payment` is paid by `payer` to the other firm at signing.
    """

    scope: tuple[str, ...]
    contributions: dict[str, tuple[str, ...]]
    min_effort: dict[str, float]
    tranches: dict[str, int]
    milestone: float
    release: Release
    split: dict[str, float]
    form: Form
    duration: int
    exit_penalty: float
    exit_on_breach: bool = True
    exit_trust_below: float = 0.0
    upfront_payment: float = 0.0
    payer: str | None = None

    def to_dict(self) -> dict:
        # by hand, in field order: `asdict` gives the same (tests/test_firm_views_fast.py) in
        # three times the time, and every firm's view carries its alliances' term sheets
        return {"scope": list(self.scope), "contributions": {f: list(v) for f, v in self.contributions.items()},
                "min_effort": dict(self.min_effort), "tranches": dict(self.tranches), "milestone": self.milestone,
                "release": self.release, "split": dict(self.split), "form": self.form, "duration": self.duration,
                "exit_penalty": self.exit_penalty, "exit_on_breach": self.exit_on_breach,
                "exit_trust_below": self.exit_trust_below, "upfront_payment": self.upfront_payment,
                "payer": self.payer}

    @classmethod
    def from_dict(cls, d: dict) -> "TermSheet":
        d = dict(d)
        d["scope"] = tuple(d["scope"])
        d["contributions"] = {f: tuple(v) for f, v in d["contributions"].items()}
        return cls(**d)


@dataclass(slots=True)
class Decision:
    """One firm's moves for one round (GAME.md section 5).

    Budget points go to `contribute`, `absorb`, `develop` (per domain) and `protect`;
    unspent points become cash. `reveal` is openness in [0, 1] per domain. `withhold`
    maps an alliance id to the domains whose due tranche the firm refuses to release
    (a breach). `exit` lists alliances the firm leaves this round. `survey` holds pulse
    answers (1..5) that never change the mechanics.
    """

    firm: str
    contribute: dict[str, float] = field(default_factory=dict)
    absorb: dict[str, float] = field(default_factory=dict)
    develop: dict[str, float] = field(default_factory=dict)
    protect: float = 0.0
    reveal: dict[str, float] = field(default_factory=dict)
    withhold: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exit: tuple[str, ...] = ()
    survey: dict[str, int] = field(default_factory=dict)

    def spent(self) -> float:
        # fsum is exactly rounded, so the result does not depend on the order of the keys
        # (a decision that went through JSON with sorted keys resolves bit for bit the same)
        return fsum((*self.contribute.values(), *self.absorb.values(),
                     *self.develop.values(), self.protect))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["withhold"] = {a: list(v) for a, v in self.withhold.items()}
        d["exit"] = list(self.exit)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Decision":
        d = dict(d)
        d["withhold"] = {a: tuple(v) for a, v in (d.get("withhold") or {}).items()}
        d["exit"] = tuple(d.get("exit") or ())
        return cls(**d)


@dataclass(slots=True)
class Firm:
    id: str
    name: str
    role: str
    competence: dict[str, float]
    pace: float
    cash: float
    start_competence: dict[str, float]
    copy: int = 1  # which instance of the case (class copy) this firm belongs to
    # model 3: partner firm id -> domain -> the part of this firm's competence it learned from
    # a faster partner and that is still current (it goes out of date at a rate set by the
    # difference in pace, docs/model.md section 4); empty under models 1 and 2, and then left
    # out of snapshots. Never changed in place: the engine gives the next state a new one, so
    # a clone shares it (like `start_competence`)
    learned_from: dict[str, dict[str, float]] = field(default_factory=dict)

    def clone(self) -> "Firm":
        return Firm(self.id, self.name, self.role, dict(self.competence), self.pace,
                    self.cash, self.start_competence, self.copy, self.learned_from)

    def after_round(self, competence: dict[str, float], cash: float,
                    learned_from: dict[str, dict[str, float]]) -> "Firm":
        """This firm as the next state holds it (the engine gives it new dicts; this one
        is left as it was)."""
        return Firm(self.id, self.name, self.role, competence, self.pace, cash,
                    self.start_competence, self.copy, learned_from)


@dataclass(slots=True)
class Alliance:
    """Two firms bound by a term sheet. `trust[i]` is firm i's trust in its partner;
    `released[i][k]` counts the tranches firm i has released in domain k;
    `cum_contribution[i]` is firm i's contribution points summed over rounds."""

    id: str
    firms: tuple[str, str]
    terms: TermSheet
    signed_round: int
    trust: dict[str, float]
    released: dict[str, dict[str, int]]
    cum_contribution: dict[str, float]
    status: Literal["active", "dissolved", "exited", "ended"] = "active"
    ended_round: int | None = None
    ended_reason: str | None = None
    breach: dict[str, bool] = field(default_factory=dict)

    def partner(self, firm_id: str) -> str:
        a, b = self.firms
        return b if firm_id == a else a

    def clone(self) -> "Alliance":
        # (a loop of copies: the cheapest form in CPython 3.11; the engine clones every
        # alliance every round)
        released = {}
        for f, counts in self.released.items():
            released[f] = counts.copy()
        return Alliance(self.id, self.firms, self.terms, self.signed_round, self.trust.copy(), released,
                        self.cum_contribution.copy(), self.status, self.ended_round,
                        self.ended_reason, self.breach.copy())


@dataclass(slots=True)
class SessionState:
    """Everything the engine needs to resolve the next round. `round` counts resolved
    rounds (0 before the first). `start_position` keeps P at the start for scoring."""

    scenario_id: str
    seed: int
    round: int
    rounds: int
    phase: str
    firms: dict[str, Firm]
    alliances: dict[str, Alliance]
    rival: dict[str, float]
    start_rival: dict[str, float]

    def clone(self) -> "SessionState":
        return SessionState(self.scenario_id, self.seed, self.round, self.rounds, self.phase,
                            {k: f.clone() for k, f in self.firms.items()},
                            {k: a.clone() for k, a in self.alliances.items()},
                            dict(self.rival), self.start_rival)

    def alliances_of(self, firm_id: str, active_only: bool = True) -> list[Alliance]:
        return [a for a in self.alliances.values()
                if firm_id in a.firms and (a.status == "active" or not active_only)]


# ---- snapshots: a SessionState as plain JSON/msgpack-friendly data and back ----------

def state_to_dict(s: SessionState) -> dict:
    return {
        "scenario_id": s.scenario_id, "seed": s.seed, "round": s.round, "rounds": s.rounds,
        "phase": s.phase, "rival": dict(s.rival), "start_rival": dict(s.start_rival),
        "firms": {k: _firm_dict(f) for k, f in s.firms.items()},
        "alliances": {k: {**asdict(a), "firms": list(a.firms), "terms": a.terms.to_dict()}
                      for k, a in s.alliances.items()},
    }


def _firm_dict(f: Firm) -> dict:
    d = asdict(f)
    if not f.learned_from:  # models 1 and 2: a snapshot exactly as before model 3
        del d["learned_from"]
    return d


def state_from_dict(d: dict) -> SessionState:
    firms = {k: Firm(**f) for k, f in d["firms"].items()}
    alliances = {}
    for k, a in d["alliances"].items():
        a = dict(a)
        a["firms"] = tuple(a["firms"])
        a["terms"] = TermSheet.from_dict(a["terms"])
        alliances[k] = Alliance(**a)
    return SessionState(d["scenario_id"], d["seed"], d["round"], d["rounds"], d["phase"], firms,
                        alliances, dict(d["rival"]), dict(d["start_rival"]))
