"""Events the engine emits. Each is plain data with a stable `type` tag; the server logs
them as they are and the views decide who may see which."""
from __future__ import annotations

from dataclasses import dataclass, field

from .fastdict import asdict


@dataclass(slots=True)
class Event:
    type = "event"

    def to_dict(self) -> dict:
        return {"type": self.type, **asdict(self)}


@dataclass(slots=True)
class AllianceSigned(Event):
    type = "alliance_signed"
    alliance: str
    firms: tuple[str, str]
    round: int
    upfront_payment: float
    payer: str | None


@dataclass(slots=True)
class DefaultApplied(Event):
    """A firm did not submit; the engine used this decision in its place."""
    type = "default_applied"
    firm: str
    round: int
    decision: dict


@dataclass(slots=True)
class TrancheReleased(Event):
    type = "tranche_released"
    alliance: str
    firm: str
    domain: str
    released: int
    of: int
    round: int


@dataclass(slots=True)
class TrancheWithheld(Event):
    type = "tranche_withheld"
    alliance: str
    firm: str
    domain: str
    due: int
    round: int


@dataclass(slots=True)
class JointValue(Event):
    type = "joint_value"
    alliance: str
    round: int
    value: float
    shares: dict[str, float]
    effective_contribution: dict[str, float]
    mean_reveal: float
    mean_released: float
    trust_used: float


@dataclass(slots=True)
class TrustChanged(Event):
    type = "trust_changed"
    alliance: str
    firm: str  # whose trust changed
    round: int
    before: float
    after: float
    reasons: list[str]


@dataclass(slots=True)
class AllianceEnded(Event):
    type = "alliance_ended"
    alliance: str
    round: int
    reason: str  # dissolved | exited | completed
    by: str | None = None
    penalty: float = 0.0
    trigger: str | None = None


@dataclass(slots=True)
class FirmRoundResult(Event):
    """One firm's outcome of one round, with every part of its cash and competence change."""
    type = "firm_result"
    firm: str
    round: int
    cash: float
    cash_from_value: float
    cash_from_market: float
    cash_unspent: float
    cash_penalties: float
    position: float
    competence: dict[str, float]
    learned: dict[str, float]
    taught: dict[str, float]
    developed: dict[str, float]
    trust: dict[str, float] = field(default_factory=dict)       # alliance -> trust in partner
    dependency: dict[str, float] = field(default_factory=dict)  # alliance -> D on partner
    exposure: dict[str, float] = field(default_factory=dict)    # domain -> X: how much of the partners' domain crossed to this firm


@dataclass(slots=True)
class RoundResolved(Event):
    type = "round_resolved"
    round: int
    rival_position: float
    rival: dict[str, float]
