"""Study files (`study.toml`): one online or lab study in one text file, and its payment rule.

A study file names the scenario and session settings, the treatments and how they are
assigned, the participants' side (labels, consent, instructions, questionnaire), the
panel settings (waiting room, groups, dropouts), the completion codes and the payment
rule. `parse_study(text)` validates it (every problem names its field path) and returns a
`Study` whose `sha256` is the SHA-256 of the file's text: the server records that hash in
every session made from it and in every export, so an analysis can show which file ran.

Pure: no I/O besides reading the text it is given, no clock. The server turns a study
into session options (`server/study.py`).
"""
from __future__ import annotations

import hashlib
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .bots import STRATEGIES

STATUSES = ("completed", "dropout", "no_group", "declined")
CENT = Decimal("0.01")


class StudyError(ValueError):
    """A study file that does not load; `problems` lists 'field.path: what is wrong'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid study file:\n  " + "\n  ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SessionPart(_Strict):
    """[session]: the options of `POST /api/sessions` that shape one group's game."""
    copies: int = Field(1, ge=1, le=500)
    rounds: int | None = Field(None, ge=1, le=50)
    round_seconds: float | None = Field(None, gt=0, le=86400)
    negotiation: bool | None = None
    negotiation_seconds: float | None = Field(None, gt=0, le=86400)
    selection: bool | None = None
    members_submit: Literal["any", "submitter"] | None = None
    firm_roles: bool | None = None  # roles inside each firm (docs/facilitator.md)
    seed: int | None = Field(None, ge=0, le=2**53)


class Assignment(_Strict):
    """[assignment]: what a treatment is assigned to and how (docs/research.md, Treatments)."""
    unit: Literal["session", "alliance", "firm"] = "session"
    method: Literal["random", "balanced", "fixed"] | None = None
    treatment: str | None = Field(None, max_length=64)
    treatment_of: dict[str, str] | None = None
    seed: int | None = Field(None, ge=0, le=2**53)


class Question(_Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=1, max_length=2000)
    kind: Literal["scale", "text", "choice"] = "scale"
    points: int = Field(5, ge=2, le=11)
    low: str = Field("", max_length=200)
    high: str = Field("", max_length=200)
    choices: list[str] = Field([], max_length=50)


class Participants(_Strict):
    """[participants]: who may join (a label list for a lab; none for a panel) and what
    they read before they are seated."""
    labels: list[str] | None = Field(None, max_length=10000)
    consent: str | None = Field(None, min_length=1, max_length=20000)
    instructions: str | None = Field(None, min_length=1, max_length=20000)


class Panel(_Strict):
    """[panel]: online panels. A group is one session; participants wait in its lobby (the
    waiting room) until `quorum` people are seated (the game starts at once) or until
    `waiting_seconds` have passed since the first one arrived: then, with at least
    `min_people`, the empty seats get bots (`unfilled = "bots"`), else (or with
    `unfilled = "exit"`) the group ends and everyone gets the `no_group` completion code."""
    id_parameter: str = Field("PROLIFIC_PID", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$",
                              description="the study link's query parameter that carries the participant id")
    people_per_firm: int = Field(1, ge=1, le=12)
    quorum: int | None = Field(None, ge=1, le=10000, description="people a group needs to start at once "
                                                                 "(default: every seat)")
    min_people: int = Field(1, ge=1, le=10000, description="fewest people a group plays with after the wait")
    waiting_seconds: float = Field(300, gt=0, le=86400)
    dropout_seconds: float = Field(60, gt=0, le=86400, description="disconnected this long in a running game: "
                                                                    "a bot takes the firm over")
    unfilled: Literal["bots", "exit"] = "bots"
    bot_strategy: str = "balanced"
    debrief_seconds: float = Field(600, gt=0, le=86400, description="the session ends this long after the game")

    @field_validator("bot_strategy")
    @classmethod
    def _strategy(cls, v: str) -> str:
        if v not in STRATEGIES:
            raise ValueError(f"{v!r} is not a bot strategy ({', '.join(STRATEGIES)})")
        return v


class Payments(_Strict):
    """[payments]: bonus = points × `per_point` (never below 0 nor above `max_bonus`), in
    whole cents rounded half up; the participation fee goes to the statuses in `fee_for`,
    the bonus only to `completed`."""
    currency: str = Field("GBP", min_length=1, max_length=8)
    participation_fee: Decimal = Field(Decimal("0"), ge=0, le=10000)
    points: str = Field("cash", pattern=r"^(cash|score\.(total|internal_gain|external_gain|cash_score|freedom))$",
                        description="the final-round column of rounds.csv that counts as the firm's points")
    per_point: Decimal = Field(Decimal("0"), ge=0, le=1000)
    max_bonus: Decimal | None = Field(None, ge=0, le=10000)
    fee_for: list[Literal["completed", "dropout", "no_group"]] = ["completed", "no_group"]


class Completion(_Strict):
    """[completion]: the codes shown at the end (Prolific-style), and where to send people."""
    code: str = Field(min_length=1, max_length=64, description="the game was played to the end")
    dropout_code: str | None = Field(None, min_length=1, max_length=64)
    no_group_code: str | None = Field(None, min_length=1, max_length=64)
    declined_code: str | None = Field(None, min_length=1, max_length=64)
    redirect_url: str | None = Field(None, max_length=2000, pattern=r"^https?://",
                                     description="`{code}` in it is replaced by the participant's code")


class Study(_Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    title: str | None = Field(None, max_length=200)
    scenario: str = Field("classic", max_length=64)
    session: SessionPart = SessionPart()
    treatments: dict[str, dict[str, str | int | float | bool]] | None = Field(None, max_length=64)
    assignment: Assignment = Assignment()
    participants: Participants = Participants()
    questionnaire: list[Question] | None = Field(None, max_length=100)
    panel: Panel | None = None
    payments: Payments | None = None
    completion: Completion | None = None
    sha256: str = ""  # set by parse_study from the text, never read from the file

    @model_validator(mode="after")
    def _consistent(self) -> "Study":
        if self.panel is not None and self.completion is None:
            raise ValueError("completion: a panel study needs [completion] (the code participants bring back)")
        if self.panel is not None and self.participants.labels is not None:
            raise ValueError("participants.labels: a panel study takes its labels from the study link "
                             "(`panel.id_parameter`); a label list is for a lab")
        if self.panel is not None and self.panel.quorum is not None and self.panel.min_people > self.panel.quorum:
            raise ValueError("panel.min_people: must not exceed panel.quorum")
        ids = [q.id for q in self.questionnaire or ()]
        if len(set(ids)) != len(ids):
            raise ValueError("questionnaire: question ids must be unique")
        return self


def _path(loc) -> str:
    return ".".join(str(x) for x in loc) or "(file)"


def parse_study(text: str) -> Study:
    """Validate a study file's text; `StudyError` lists every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise StudyError([f"(file): not valid TOML: {e}"]) from None
    if "sha256" in data:
        raise StudyError(["sha256: computed from the file, not written in it"])
    try:
        study = Study.model_validate(data)
    except ValidationError as e:
        raise StudyError([f"{_path(err['loc'])}: {err['msg'].removeprefix('Value error, ')}"
                          for err in e.errors()]) from None
    return study.model_copy(update={"sha256": study_sha256(text)})


def study_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def completion_code(completion: Completion, status: str) -> str | None:
    """The code for a participant's ending (`STATUSES`); None when the study gives none."""
    return {"completed": completion.code, "dropout": completion.dropout_code,
            "no_group": completion.no_group_code, "declined": completion.declined_code}[status]


def redirect(completion: Completion, code: str | None) -> str | None:
    if completion.redirect_url is None:
        return None
    return completion.redirect_url.replace("{code}", code or "")


def payment(rule: Payments, status: str, points: float | None) -> dict[str, Decimal]:
    """One participant's pay: the fee (for the statuses in `fee_for`), the bonus (completed
    only: points × per_point, clamped to [0, max_bonus], whole cents) and their sum."""
    fee = rule.participation_fee if status in rule.fee_for else Decimal("0")
    bonus = Decimal("0")
    if status == "completed" and points is not None:
        bonus = max(Decimal("0"), Decimal(repr(float(points))) * rule.per_point)
        if rule.max_bonus is not None:
            bonus = min(bonus, rule.max_bonus)
    fee, bonus = fee.quantize(CENT, ROUND_HALF_UP), bonus.quantize(CENT, ROUND_HALF_UP)
    return {"participation_fee": fee, "bonus": bonus, "total": fee + bonus}
