"""The bodies of the HTTP requests (`POST /api/sessions`, `/api/join`, `/control`,
`/api/consent`, `/api/questionnaire`, `/api/export`): validated as strictly as the live
messages; the OpenAPI document (server/openapi.py) is built from them."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, create_model, field_validator

from .errors import ProtocolError
from .messages import _SHARED_CONTROL, CONTROL_ACTIONS, _Msg


class ScoringWeights(_Msg):
    internal: float | None = Field(None, ge=0, le=100)
    external: float | None = Field(None, ge=0, le=100)
    cash: float | None = Field(None, ge=0, le=100)
    freedom: float | None = Field(None, ge=0, le=100)


class QuestionnaireQuestion(_Msg):
    """One question of a closing questionnaire (answered after the last round)."""
    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=1, max_length=2000)
    kind: Literal["scale", "text", "choice"] = "scale"
    points: int = Field(5, ge=2, le=11, description="a scale's answers are 1..points")
    low: str = Field("", max_length=200)
    high: str = Field("", max_length=200)
    choices: list[str] = Field([], max_length=50)


class CreateSession(_Msg):
    """POST /api/sessions with `Authorization: Bearer <admin key>` (docs/operations.md). Every
    option is optional; a server may allow fewer copies and rounds (`--max-copies`, `--max-rounds`)."""
    scenario: str = Field("classic", max_length=64)
    copies: int = Field(1, ge=1, le=500, description="alliance copies (a class of 60 in firms of 5: 6 copies of a 2-firm case)")
    max_per_firm: int | None = Field(None, ge=1, le=1000, description="players a firm may seat through the join "
                                     "code (default: the server's `--max-per-firm`, 12); beyond, `session_full`. "
                                     "Fixed lab seats and facilitator moves are not limited")
    rounds: int | None = Field(None, ge=1, le=50)
    round_seconds: float | None = Field(None, gt=0, le=86400)
    negotiation_seconds: float | None = Field(None, gt=0, le=86400)
    negotiation: bool | None = Field(None, description="negotiation phase on/off (default: the scenario's switch)")
    selection: bool | None = Field(None, description="partner-selection phase on/off (default: the scenario's "
                                   "`phases.selection`)")
    selection_seconds: float | None = Field(None, gt=0, le=86400, description="partner-selection clock "
                                            "(default: the negotiation clock)")
    members_submit: Literal["any", "submitter"] | None = None
    firm_roles: bool | None = Field(None, description="roles inside each firm: a negotiator (negotiation moves), "
                                    "a gatekeeper (protect, reveal) and a learner (absorb), dealt at the start in "
                                    "join order (default: the scenario's `phases.firm_roles`)")
    renegotiation_every: int | None = Field(None, ge=0, le=50, description="a renegotiation window every n rounds "
                                            "(after round n, 2n, ...; never after the last); 0: none (default: "
                                            "the scenario's `phases.renegotiation_every`)")
    renegotiation_seconds: float | None = Field(None, gt=0, le=86400, description="the renegotiation window's "
                                                "clock (default 120)")
    practice_round: bool = Field(False, description="true: after the lobby, an unscored practice round 0 in which "
                                 "each firm decides once against an imagined partner (a bot); nothing of it "
                                 "reaches the real game, which starts when the facilitator says `start` again")

    results_break: Literal["off", "manual"] | Annotated[int, Field(ge=1, le=3600)] | None = Field(
        None, description="a results break after each round but the last: `off` (default: the next round "
                          "opens at once), `manual` (until the facilitator's Next round), or seconds (1..3600: "
                          "until Next round or the break clock runs out)")

    @field_validator("results_break", mode="before")
    @classmethod
    def _break_says_what_it_takes(cls, v):
        """One clear message for any bad value (a union's errors name only its first branch)."""
        ok = v in (None, "off", "manual") or type(v) is int and 1 <= v <= 3600
        if not ok:
            raise ProtocolError("out_of_range", "results_break: \"off\", \"manual\" or whole seconds 1..3600")
        return v

    language: Literal["en", "fr", "es", "de", "zh", "pt"] | None = Field(
        None, description="the session's default language: a participant who has not chosen one sees this "
                          "(docs/languages.md); the join link and the join's answer carry it")
    scoring: ScoringWeights | None = None
    seed: int | None = Field(None, ge=0, le=2**53)
    title: str | None = Field(None, max_length=200)
    # research options (docs/research.md)
    study: str | None = Field(None, min_length=1, max_length=100, description="the study this session belongs to: "
                              "groups sessions for balanced treatment assignment and exports")
    treatments: dict[str, dict[str, str | int | float | bool]] | None = Field(
        None, max_length=64, description="treatment name -> scenario `--set` overrides; assigned to the "
                          "session, its alliance groups or its firms (`assignment_unit`) and logged "
                          "(`treatment_assigned`)")
    assignment_unit: Literal["session", "alliance", "firm"] = Field(
        "session", description="what a treatment is assigned to: the whole session; each alliance group (a "
                               "copy of the case: both partners play it); or each firm (then only scoring.*, "
                               "estimate_noise and pace.* may differ)")
    assignment: Literal["random", "balanced", "fixed"] | None = Field(
        None, description="how treatments are chosen: random (seeded); balanced (sessions: the least used "
                          "in the study so far, ties broken by the seed; groups or firms: dealt out evenly in "
                          "an order shuffled by the seed); or fixed (`treatment`, `treatment_of`); default random")
    treatment: str | None = Field(None, max_length=64, description="the session's treatment, for `fixed` "
                                                                   "assignment of unit session")
    treatment_of: dict[str, str] | None = Field(
        None, max_length=10000, description="fixed assignment of unit alliance (copy number -> treatment, "
                                            "e.g. {\"1\": \"low\", \"2\": \"high\"}) or firm (firm id -> treatment)")
    assignment_seed: int | None = Field(None, ge=0, le=2**53, description="seed of the assignment (recorded; "
                                        "default: drawn at random)")
    labels: list[str] | dict[str, str | None] | None = Field(
        None, description="participant labels (lab mode): only these labels may join, each once; the same "
                          "label joining again gets the same seat. A map label -> firm fixes the seats")
    consent_text: str | None = Field(None, min_length=1, max_length=20000, description="informed-consent "
                                     "text (default: the scenario's); players consent before being seated")
    questionnaire: list[QuestionnaireQuestion] | None = Field(
        None, max_length=100, description="closing questionnaire (default: the scenario's), answered in the debrief")
    study_file: str | None = Field(None, min_length=1, max_length=200_000, description="the text of a study "
                                   "file (study.toml, docs/research.md): it holds the options, so give it alone "
                                   "(with an optional title); its SHA-256 is recorded")


class JoinSession(_Msg):
    """POST /api/join."""
    code: str = Field(min_length=4, max_length=16)
    name: str | None = Field(None, min_length=1, max_length=80, description="shown to others: invisible characters "
                             "are removed; an empty or role-like name (facilitator, admin...) is refused with "
                             "bad_name. Required, except with a study link (panel): then a pseudonym is shown")
    label: str | None = Field(None, max_length=80, description="optional participant label (e.g. a student number)")
    rejoin_code: str | None = Field(None, max_length=16, description="the seat's rejoin code (returned by the "
                                    "first join with a label): takes the seat again on a new device")
    takeover: bool = Field(False, description="true, after `name_taken`: \"this is me on a new device\": ask the "
                           "facilitator to move the seat of that name here (answered with `seat_request: "
                           "pending` and a token; GET /api/sessions/{session_id}/seat_request says when it is "
                           "decided)")
    bot: bool = Field(False, description="true: this client is a program playing by itself (a bot), not a person; "
                      "logged (`is_bot`), shown to the facilitator and exported")
    language: str | None = Field(None, max_length=35, pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,6}$",
                                 description="the participant's language as a BCP-47 tag (e.g. `fr-CA`; a "
                                 "browser sends `navigator.language`); logged and exported")


class Consent(_Msg):
    """POST /api/consent (the bearer token `join` returned with `consent_required`)."""
    consent: bool = Field(description="true: I agree (the player is seated); false: I decline (the token is dropped)")


class QuestionnaireAnswers(_Msg):
    """POST /api/questionnaire (player bearer token), in the debrief phase."""
    answers: dict[str, int | str] = Field(description="question id -> answer: an integer 1..points for a "
                                                      "scale, the text for a text question, one of the "
                                                      "choices for a choice")


class ExportRequest(_Msg):
    """POST /api/export: one archive for several sessions, one researcher (or facilitator)
    token per session."""
    tokens: list[str] = Field(min_length=1, max_length=200, description="researcher or facilitator tokens")
    names: bool = Field(False, description="include the names players typed (personal data)")
    labels: bool = Field(False, description="include participant labels (personal data)")
    wide: bool = Field(False, description="also events_wide.csv: every payload field as a column (mostly empty)")
    payments: bool = Field(False, description="add payments.csv: pay per participant label by the study "
                                              "file's rule (personal data)")


HttpControl = create_model(
    "HttpControl", __base__=_Msg, __module__=__name__,
    __doc__="POST /api/sessions/{session_id}/control (facilitator bearer token): a `control` without `type`.",
    action=(Literal[CONTROL_ACTIONS], ...), id=(str | None, Field(None, min_length=1, max_length=64)),
    **_SHARED_CONTROL)
