"""Every message on the wire: typed schemas, the msgpack and JSON codecs, validation and
the stable error codes. `docs/protocol.md` is generated from this module
(`python -m server.protocol > docs/protocol.md`) and a test keeps the two equal.

Client frames are maps with a `type`. Binary frames are msgpack, text frames are JSON;
the server answers in the format the client last used. Validation is strict: unknown
fields, wrong types (a string where a number belongs, `true` where an integer belongs)
and non-finite numbers are refused with an `error` that names the field.
"""
from __future__ import annotations

import functools
import json
import math
import re
import typing
from typing import Annotated, Any, Literal

import msgpack
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PROTOCOL_VERSION = 1


class ProtocolError(Exception):
    """A refused message or command: `code` is stable (see ERROR_CODES), `message` is for people."""

    def __init__(self, code: str, message: str, status: int = 400):
        assert code in ERROR_CODES, code
        self.code = code
        self.message = message
        self.status = status  # the HTTP status when the error is answered over HTTP
        super().__init__(f"{code}: {message}")


# ---- error codes (stable; clients switch on them) --------------------------------------

ERROR_CODES: dict[str, str] = {
    # frames and schemas
    "bad_frame": "the frame is not valid msgpack / JSON, or not a map",
    "frame_too_large": "the frame is larger than the server's frame limit",
    "not_finite": "a number is NaN or infinite",
    "unknown_type": "the message `type` is not one this server knows",
    "missing_field": "a required field is missing (the message names it)",
    "wrong_type": "a field has the wrong type (the message names it)",
    "unknown_field": "a field this message does not have",
    "out_of_range": "a value is outside its allowed range or set",
    "bad_request": "an HTTP request body that is not a JSON object",
    # who you are
    "not_authenticated": "send `auth` with a token first",
    "already_authenticated": "this socket is already authenticated",
    "bad_token": "the token is not valid for any session",
    "token_revoked": "the token was revoked (the facilitator removed the player, or the seat was taken "
                     "again on another device)",
    "too_many_sockets": "this token already has the maximum number of open sockets",
    "token_expired": "the token's session has ended",
    "forbidden": "this command needs the facilitator token",
    "unknown_code": "no live session has this join code",
    "not_found": "no such session or resource",
    "admin_key_required": "creating a session needs the server's admin key (`Authorization: Bearer <admin key>`): "
                          "it was missing or wrong",
    # flow control
    "rate_limited": "too many commands per second; slow down (repeated floods close the socket)",
    "shutting_down": "the server is shutting down; reconnect shortly",
    "session_ended": "the session has ended",
    "session_archived": "the session was archived after a long time without activity: it is read-only (its "
                        "summary, debrief and exports stay available to its facilitator and researcher)",
    # game flow
    "wrong_phase": "the command is not allowed in the session's current phase",
    "stale_round": "the command names a round that is not the current one",
    "not_your_firm": "the command concerns another firm",
    "not_submitter": "only the firm's designated submitter may submit",
    "already_submitted": "your firm has already submitted this round",
    "no_partner": "your firm has no partner to chat or negotiate with",
    "unknown_player": "no player with that id in this session",
    "unknown_firm": "no firm with that id in this session",
    "unknown_negotiation": "no negotiation with that id for your firm",
    "unknown_strategy": "no bot strategy with that name",
    "invalid_options": "a session option or scenario override is not valid",
    "unknown_label": "the participant label is not on this session's list",
    "seat_taken": "the label's seat is taken: give the seat's rejoin code, or ask the facilitator to allow "
                  "a rejoin",
    "bad_name": "the player name is empty once invisible characters are removed, or imitates a role (facilitator, admin...)",
    "session_full": "every firm of the session has its maximum of players (`max_per_firm`)",
    "group_closed": "a panel study's group has started or is full; the study link seats the participant in the next one",
    "consent_required": "give (or decline) consent first: POST /api/consent with the token join returned",
    "unknown_scenario": "no scenario with that id",
    # decisions (codes from game_rules.decisions)
    "negative": "a decision value must not be negative",
    "over_budget": "the decision spends more points than the budget",
    "unknown_domain": "a decision names a domain the scenario does not have",
    "not_contributed": "contribution to (or withholding of) a domain your firm does not contribute",
    "out_of_scope": "absorb or reveal in a domain outside your alliance's scope",
    "unknown_alliance": "withhold or exit names an alliance your firm is not in",
    # negotiation (codes from game_rules.negotiation)
    "not_a_party": "your firm is not a party to that negotiation",
    "closed": "the negotiation is already agreed or failed",
    "no_offer": "there is no offer on the table to answer",
    "not_your_turn": "you cannot answer your own offer",
    "offer_pending": "the partner's offer is on the table: accept, reject or counter it",
    "invalid_terms": "the term sheet is not valid (the message names the field)",
    "invalid_firms": "a negotiation needs two different firms",
    # partner selection (codes from game_rules.selection)
    "selection_off": "the session has no partner-selection phase",
    "selection_closed": "the partner-selection board is already closed",
    "unknown_proposal": "no selection proposal with that id",
    "unknown_template": "no alliance template with that id in the scenario",
    "ambiguous_template": "several alliance templates join these two firms: name one in `template`",
    "same_firm": "a firm cannot ally with itself",
    "other_market": "the firms play in different copies of the case",
    "role_mismatch": "the template does not join the roles of these two firms",
    "duplicate_proposal": "a proposal between these firms under this template is already pending or accepted",
    "already_paired": "a firm is already paired under this template",
    "at_capacity": "a firm already holds as many pairings as it may",
    "go_between": "a go-between introduces firms; it does not propose",
    "not_go_between": "only a go-between firm may introduce",
    "not_visible": "the go-between does not know that firm well enough to introduce it",
    "no_introductions_left": "the go-between has used all its introductions",
    "not_addressee": "the proposal is addressed to another firm",
    "not_pending": "the proposal has already been accepted or declined",
    # the server itself
    "storage_failed": "the event log could not be written; nothing was applied",
    "internal_error": "an unexpected server error; nothing was applied",
}


# ---- client -> server messages --------------------------------------------------------

class _Msg(BaseModel):
    # strict: no "1" for 1, no true for 1; allow_inf_nan=False: no NaN / Infinity
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _integral_floats(cls, data):
        """JSON Schema (so the OpenAPI document) and many JSON encoders treat 3.0 as the
        integer 3: an integer field takes it. Strings and booleans stay refused."""
        if isinstance(data, dict):
            for k in _int_fields(cls) & data.keys():
                v = data[k]
                if isinstance(v, float) and v.is_integer() and abs(v) <= 2**53:
                    data = {**data, k: int(v)}
        return data


@functools.cache
def _int_fields(model: type[BaseModel]) -> frozenset[str]:
    out = set()
    for name, f in model.model_fields.items():
        if f.annotation is int or set(typing.get_args(f.annotation)) == {int, type(None)}:
            out.add(name)
    return frozenset(out)


CommandId = Field(min_length=1, max_length=64, description="client-chosen id, echoed by `ack`/`error`; "
                                                            "a repeated id is never applied twice")
ClientTime = Field(None, description="client clock (seconds since the epoch), logged as given")
RoundField = Field(None, ge=0, le=1000, description="if given, must be the current round (else `stale_round`)")


class Auth(_Msg):
    """First frame on a socket. Answered by `welcome` and a full `view` (or an `error`)."""
    type: Literal["auth"]
    token: str = Field(min_length=1, max_length=256, description="player or facilitator token")
    id: str | None = Field(None, max_length=64, description="optional; echoed by an `error`")
    client_time: float | None = ClientTime


class Ping(_Msg):
    """Round-trip check; answered by `ack` (also measures command latency)."""
    type: Literal["ping"]
    id: str = CommandId
    client_time: float | None = ClientTime


class Resync(_Msg):
    """Ask for a full `view` (after a `seq` gap or a reconnect); answered by `view` then `ack`."""
    type: Literal["resync"]
    id: str = CommandId
    client_time: float | None = ClientTime


class Draft(_Msg):
    """Merge fields into the firm's shared draft decision (a null value removes a key).
    Teammates get a `draft` push naming who changed what."""
    type: Literal["draft"]
    id: str = CommandId
    fields: dict[str, Any] = Field(description="decision fields: contribute, absorb, develop, protect, "
                                               "reveal, withhold, exit, survey; checked like a submission "
                                               "(known domains, amounts within the budget) except the total")
    round: int | None = RoundField
    client_time: float | None = ClientTime


class Submit(_Msg):
    """Submit the firm's decision for the current round (once per firm per round).
    Without `decision`, the firm's current draft is submitted."""
    type: Literal["submit"]
    id: str = CommandId
    decision: dict[str, Any] | None = None
    round: int | None = RoundField
    client_time: float | None = ClientTime


class Chat(_Msg):
    """A chat line to your own firm (`firm`) or to your firm and its partner (`alliance`)."""
    type: Literal["chat"]
    id: str = CommandId
    to: Literal["firm", "alliance"]
    text: str = Field(min_length=1, max_length=2000)
    client_time: float | None = ClientTime


class Negotiate(_Msg):
    """A move in your firm's term-sheet negotiation (`terms` for offer and counter)."""
    type: Literal["negotiate"]
    id: str = CommandId
    action: Literal["offer", "counter", "accept", "reject", "walk_away"]
    terms: dict[str, Any] | None = None
    negotiation: str | None = Field(None, max_length=64, description="which negotiation; default: your firm's only one")
    client_time: float | None = ClientTime


CONTROL_ACTIONS = ("start", "pause", "resume", "extend", "advance", "end_round", "pair",
                   "open_negotiation", "open_selection", "close_selection", "move_player", "remove_player",
                   "allow_rejoin", "fill_bots", "inject", "end_session")


class Select(_Msg):
    """A move on the partner-selection board (selection phase only): `propose` an alliance to
    the firm `to`; `accept` or `decline` the `proposal` addressed to your firm (either firm of
    a go-between's pairing may also decline it); `introduce` two `firms` (go-between firms
    only). `template` is the alliance template; it may be left out when exactly one template
    joins the two firms' roles. Answered by `ack` with the firm's `selection` view; the firms
    concerned get a `selection` push."""
    type: Literal["select"]
    id: str = CommandId
    action: Literal["propose", "accept", "decline", "introduce"]
    to: str | None = Field(None, max_length=64, description="propose: the firm asked")
    proposal: int | None = Field(None, ge=1, le=1_000_000, description="accept, decline: the proposal id")
    firms: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, min_length=2, max_length=2, description="introduce: the two firms introduced to each other")
    template: str | None = Field(None, max_length=64, description="propose, introduce: the alliance template "
                                 "(default: the only one that joins the two firms' roles)")
    client_time: float | None = ClientTime


class Control(_Msg):
    """A facilitator control (facilitator token only). `extend` takes `seconds`,
    `move_player` takes `player` and `firm`, `fill_bots` an optional `strategy`,
    `inject` a `text` and/or an `event` map (logged and announced to everyone).
    `remove_player` takes `player_id`: that player's token stops working and its sockets close
    at once (the seat is freed). `allow_rejoin` takes `player_id`: the next join with that
    player's participant label takes the seat without its rejoin code (lab mode).
    `open_selection` opens the partner-selection board (lobby; `start` does it too when the
    session has a selection phase); `close_selection` (or `advance`) closes it: the accepted
    pairings go on to negotiation, or are signed on default terms if negotiation is off."""
    type: Literal["control"]
    id: str = CommandId
    action: Literal["start", "pause", "resume", "extend", "advance", "end_round", "pair",
                    "open_negotiation", "open_selection", "close_selection", "move_player",
                    "remove_player", "allow_rejoin", "fill_bots", "inject", "end_session"]
    seconds: float | None = Field(None, gt=0, le=86400)
    player: str | None = Field(None, max_length=64)
    player_id: str | None = Field(None, max_length=64, description="remove_player, allow_rejoin: the player "
                                  "(`player` is accepted too)")
    firm: str | None = Field(None, max_length=64)
    strategy: str | None = Field(None, max_length=32)
    text: str | None = Field(None, max_length=4000)
    event: dict[str, Any] | None = None
    client_time: float | None = ClientTime


CLIENT_MESSAGES: dict[str, type[_Msg]] = {
    m.model_fields["type"].annotation.__args__[0]: m
    for m in (Auth, Ping, Resync, Draft, Submit, Chat, Negotiate, Select, Control)
}


# ---- server -> client messages (documented; built by the helpers below) ------------------

class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seq: int = Field(description="per-socket sequence number, +1 per message; a gap means pushes were dropped: send `resync`")


class Welcome(_Out):
    """Answer to a good `auth`; a full `view` follows."""
    type: Literal["welcome"]
    role: Literal["player", "facilitator"]
    session_id: str
    player_id: str | None = None
    name: str | None = None
    firm: str | None = None
    server_time: float
    protocol: int
    limits: dict[str, float] = Field(description="max_frame_bytes, rate_per_second, rate_burst")


class View(_Out):
    """A full view: a firm's (`game_rules.views.firm_view` plus the firm's draft, team, clock,
    negotiations and chat) or the facilitator's. Sent after `welcome`, after `resync`, at
    phase changes and after every round."""
    type: Literal["view"]
    id: str | None = Field(None, description="the `resync` id it answers, if any")
    view: dict[str, Any]


class Ack(_Out):
    """A command was applied and its events are durably logged."""
    type: Literal["ack"]
    id: str
    result: dict[str, Any] | None = None
    duplicate: bool = Field(False, description="true when this id was applied before (the original result)")


class Error(_Out):
    """A frame or command was refused; nothing changed."""
    type: Literal["error"]
    id: str | None = None
    code: str
    message: str


class DraftPush(_Out):
    """The firm's shared draft changed (to the firm's players)."""
    type: Literal["draft"]
    firm: str
    by: str = Field(description="player id")
    by_name: str
    changed: dict[str, Any] = Field(description="the fields sent, to merge into the draft the client holds "
                                    "(one level deep; null removes a field or a key)")


class SubmittedPush(_Out):
    """The firm submitted its decision this round (to the firm's players)."""
    type: Literal["submitted"]
    firm: str
    round: int
    by: str
    decision: dict[str, Any]


class ChatPush(_Out):
    """A chat line (to the firm, or to both firms of the alliance)."""
    type: Literal["chat"]
    channel: str = Field(description="'firm:<firm id>' or 'alliance:<alliance id>'")
    sender: str = Field(description="player id, or 'facilitator'")
    sender_name: str
    firm: str | None
    text: str
    time: float


class ClockPush(_Out):
    """The phase clock changed (started, paused, resumed, extended)."""
    type: Literal["clock"]
    phase: str
    round: int
    running: bool
    remaining: float | None
    deadline: float | None = Field(description="server wall time when it runs out (if running)")


class NegotiationPush(_Out):
    """A negotiation your firm is party to changed (to both firms and the facilitator)."""
    type: Literal["negotiation"]
    negotiation: dict[str, Any]
    events: list[dict[str, Any]]


class SelectionPush(_Out):
    """The partner-selection board changed. A firm gets it when a move concerns it, with
    the events it is party to and its own `selection` view (profiles it may see, its
    proposals in and out, introductions that concern it); the facilitator gets every event
    and the whole board."""
    type: Literal["selection"]
    events: list[dict[str, Any]]
    selection: dict[str, Any]


class RoundResultPush(_Out):
    """A round was resolved: the engine events this firm may see (a `view` follows)."""
    type: Literal["round_result"]
    round: int
    events: list[dict[str, Any]]
    sources: dict[str, str] | None = Field(None, description="facilitator only: per firm, "
                                           "submitted | draft | default | bot")
    unusable: dict[str, str] | None = Field(None, description="facilitator only: per firm whose decision "
                                            "or draft could not be used (it played its default), why")


class AnnouncementPush(_Out):
    """A facilitator announcement or injected scenario event (to everyone)."""
    type: Literal["announcement"]
    text: str
    event: dict[str, Any] | None = None
    time: float


class StatusPush(_Out):
    """Facilitator only: who is connected, who submitted, who holds up the round."""
    type: Literal["status"]
    status: dict[str, Any]


class CompletionPush(_Out):
    """A panel or study participant's ending: their completion code and where to go
    (also at `GET /api/completion`; docs/research.md)."""
    type: Literal["completion"]
    player_id: str
    status: Literal["completed", "dropout", "no_group"]
    code: str | None = None
    redirect_url: str | None = None


class SessionEndedPush(_Out):
    """The session has ended; the socket closes after this."""
    type: Literal["session_ended"]
    reason: str


SERVER_MESSAGES: dict[str, type[_Out]] = {
    m.model_fields["type"].annotation.__args__[0]: m
    for m in (Welcome, View, Ack, Error, DraftPush, SubmittedPush, ChatPush, ClockPush,
              NegotiationPush, SelectionPush, RoundResultPush, AnnouncementPush, StatusPush, CompletionPush,
              SessionEndedPush)
}


# ---- HTTP bodies ------------------------------------------------------------------------

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


class HttpControl(_Msg):
    """POST /api/sessions/{session_id}/control (facilitator bearer token): a `control` without `type`."""
    action: Literal["start", "pause", "resume", "extend", "advance", "end_round", "pair",
                    "open_negotiation", "open_selection", "close_selection", "move_player",
                    "remove_player", "allow_rejoin", "fill_bots", "inject", "end_session"]
    id: str | None = Field(None, min_length=1, max_length=64)
    seconds: float | None = Field(None, gt=0, le=86400)
    player: str | None = Field(None, max_length=64)
    player_id: str | None = Field(None, max_length=64, description="remove_player, allow_rejoin: the player "
                                  "(`player` is accepted too)")
    firm: str | None = Field(None, max_length=64)
    strategy: str | None = Field(None, max_length=32)
    text: str | None = Field(None, max_length=4000)
    event: dict[str, Any] | None = None


# ---- codecs ---------------------------------------------------------------------------

def _refuse_constant(name: str):
    raise ProtocolError("not_finite", f"{name} is not allowed: numbers must be finite")


MAX_DEPTH = 16                 # maps and lists inside a frame, nested (a decision needs 3)
MAX_INT = 2**53                # integers beyond JSON's exact range are refused
RESERVED_KEYS = frozenset({"__proto__", "constructor", "prototype"})  # JS prototype pollution


def _check_values(msg: dict) -> None:
    """Walk a decoded frame (iteratively: no recursion on hostile nesting) and refuse what
    JSON could not carry or what later stages must never see: NaN/inf (msgpack can carry
    them), nesting deeper than MAX_DEPTH, map keys that are not strings or are JavaScript
    prototype names, integers beyond +-2**53, binary and extension values (msgpack), and
    strings that are not valid Unicode (lone surrogates)."""
    stack = [(msg, "", 1)]
    while stack:
        v, path, depth = stack.pop()
        if isinstance(v, dict) or isinstance(v, list):
            if depth > MAX_DEPTH:
                raise ProtocolError("bad_frame", f"{path or 'frame'}: nested more than {MAX_DEPTH} levels deep")
            if isinstance(v, dict):
                for k, x in v.items():
                    if not isinstance(k, str):
                        raise ProtocolError("wrong_type", f"{path or 'frame'}: map keys must be strings")
                    if k in RESERVED_KEYS:
                        raise ProtocolError("unknown_field", f"{path + '.' if path else ''}{k}: reserved name")
                    _check_text(k, path)
                    stack.append((x, f"{path}.{k}" if path else k, depth + 1))
            else:
                for i, x in enumerate(v):
                    stack.append((x, f"{path}.{i}" if path else str(i), depth + 1))
        elif isinstance(v, str):
            _check_text(v, path)
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise ProtocolError("not_finite", f"{path or 'value'}: must be a finite number")
        elif isinstance(v, int):  # bool included
            if not -MAX_INT <= v <= MAX_INT:
                raise ProtocolError("out_of_range", f"{path or 'value'}: integer beyond +-2**53")
        elif v is not None:  # bytes, msgpack ExtType, timestamps
            raise ProtocolError("wrong_type", f"{path or 'value'}: {type(v).__name__} values are not allowed")


def _check_text(s: str, path: str) -> None:
    if not s.isascii():
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            raise ProtocolError("wrong_type", f"{path or 'value'}: text is not valid Unicode") from None


def decode_frame(data: bytes | str, max_bytes: int) -> dict:
    """A frame to a plain map; `bad_frame`, `frame_too_large` or `not_finite` otherwise."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ProtocolError("frame_too_large", f"frame of {size} bytes; the limit is {max_bytes}")
    try:
        if isinstance(data, bytes):
            msg = msgpack.unpackb(data, raw=False, strict_map_key=False)
        else:
            msg = json.loads(data, parse_constant=_refuse_constant)
    except ProtocolError:
        raise
    except Exception as e:  # any decoder complaint is the client's garbage
        kind = "msgpack" if isinstance(data, bytes) else "JSON"
        raise ProtocolError("bad_frame", f"not valid {kind}: {type(e).__name__}") from None
    if not isinstance(msg, dict):
        raise ProtocolError("bad_frame", "a frame must be a map with a `type`")
    _check_values(msg)
    return msg


def encode(msg: dict, binary: bool) -> bytes | str:
    if binary:
        return msgpack.packb(msg, use_bin_type=True)
    return json.dumps(msg, separators=(",", ":"), allow_nan=False)


def _map_header(n: int) -> bytes:
    """The msgpack header of a map of `n` pairs (what `packb` writes)."""
    if n < 16:
        return bytes((0x80 | n,))
    return b"\xde" + n.to_bytes(2, "big") if n < 0x10000 else b"\xdf" + n.to_bytes(4, "big")


_SEQ_KEY = msgpack.packb("seq")


class Shared:
    """A push sent unchanged to many sockets (a round result, a clock, a firm's view):
    encoded at most once per format, without `seq`; `frame(seq, binary)` appends the
    socket's `seq` as the last key, the same bytes as `encode(dict(msg, seq=seq), binary)`.
    `msg` is the message itself (read only, never sent as is)."""

    __slots__ = ("msg", "_bin", "_text")

    def __init__(self, msg: dict):
        self.msg = msg
        self._bin: bytes | None = None
        self._text: str | None = None

    def get(self, key, default=None):
        return self.msg.get(key, default)

    def _encode_bin(self) -> bytes:
        return msgpack.packb(self.msg, use_bin_type=True)

    def _encode_text(self) -> str:
        return json.dumps(self.msg, separators=(",", ":"), allow_nan=False)

    def frame(self, seq: int, binary: bool) -> bytes | str:
        n = len(self.msg)  # "seq" is never one of its keys
        if binary:
            b = self._bin
            if b is None:
                b = self._bin = self._encode_bin()
            return b"".join((_map_header(n + 1), b[len(_map_header(n)):], _SEQ_KEY, msgpack.packb(seq)))
        t = self._text
        if t is None:
            t = self._text = self._encode_text()
        return f'{t[:-1]},"seq":{seq}}}'


class SharedPart:
    """The map shared by every player of a firm (`session_views.firm_part`), encoded at
    most once per format; `SharedView` adds each player's `me` to it."""

    __slots__ = ("part", "_bin", "_text")

    def __init__(self, part: dict):
        self.part = part
        self._bin: bytes | None = None
        self._text: str | None = None

    def body_bin(self) -> bytes:
        if self._bin is None:
            self._bin = msgpack.packb(self.part, use_bin_type=True)[len(_map_header(len(self.part))):]
        return self._bin

    def body_text(self) -> str:
        if self._text is None:
            self._text = json.dumps(self.part, separators=(",", ":"), allow_nan=False)[1:-1]
        return self._text


_VIEW_PREFIX_BIN = msgpack.packb({"type": "view", "view": None})[:-1]
_VIEW_PREFIX_TEXT = json.dumps({"type": "view", "view": None}, separators=(",", ":"))[:-len("null}")]
_ME_KEY = msgpack.packb("me")


class SharedView(Shared):
    """`{"type": "view", "view": {**part, "me": me}}` for one player, built from the
    firm's encoded part (same bytes as encoding the whole message)."""

    __slots__ = ("shared", "me")

    def __init__(self, shared: SharedPart, me: dict):
        super().__init__({"type": "view", "view": {**shared.part, "me": me}})
        self.shared, self.me = shared, me

    def _encode_bin(self) -> bytes:
        part = self.shared.part
        assert "me" not in part
        return b"".join((_VIEW_PREFIX_BIN, _map_header(len(part) + 1), self.shared.body_bin(),
                         _ME_KEY, msgpack.packb(self.me, use_bin_type=True)))

    def _encode_text(self) -> str:
        body = self.shared.body_text()
        me = json.dumps(self.me, separators=(",", ":"), allow_nan=False)
        return f'{_VIEW_PREFIX_TEXT}{{{body},"me":{me}}}}}' if body else f'{_VIEW_PREFIX_TEXT}{{"me":{me}}}}}'


_PYDANTIC_CODES = {"missing": "missing_field", "extra_forbidden": "unknown_field",
                   "finite_number": "not_finite", "literal_error": "out_of_range",
                   "greater_than": "out_of_range", "greater_than_equal": "out_of_range",
                   "less_than": "out_of_range", "less_than_equal": "out_of_range",
                   "string_too_short": "out_of_range", "string_too_long": "out_of_range"}


def validation_error(err: ValidationError) -> ProtocolError:
    """The first problem of a pydantic error as a ProtocolError naming the field."""
    e = err.errors(include_url=False)[0]
    path = ".".join(str(p) for p in e["loc"]) or "message"
    code = _PYDANTIC_CODES.get(e["type"], "wrong_type")
    what = {"missing_field": "missing", "unknown_field": "unknown field"}.get(code, e["msg"])
    return ProtocolError(code, f"{path}: {what}")


def parse_model(model: type[BaseModel], data: dict) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise validation_error(e) from None


def parse_client_message(msg: dict) -> _Msg:
    """A decoded frame to its typed message (or a ProtocolError naming the problem)."""
    t = msg.get("type")
    if t is None:
        raise ProtocolError("missing_field", "type: missing")
    if not isinstance(t, str):
        raise ProtocolError("wrong_type", "type: must be a string")
    model = CLIENT_MESSAGES.get(t)
    if model is None:
        shown = t if len(t) <= 32 else t[:29] + "..."
        raise ProtocolError("unknown_type", f"unknown message type {shown!r} "
                                            f"(known: {', '.join(CLIENT_MESSAGES)})")
    return parse_model(model, msg)


def message_id(msg: dict) -> str | None:
    """The command id of a (possibly invalid) frame, to echo it in an `error`."""
    i = msg.get("id")
    return i if isinstance(i, str) and 0 < len(i) <= 64 else None


# ---- server message builders (one place that knows the shapes) ------------------------

def ack(id: str, result: dict | None = None, duplicate: bool = False) -> dict:
    m = {"type": "ack", "id": id, "result": result}
    if duplicate:
        m["duplicate"] = True
    return m


def error(id: str | None, code: str, message: str) -> dict:
    assert code in ERROR_CODES, code
    return {"type": "error", "id": id, "code": code, "message": message}


# ---- the generated reference (docs/protocol.md) -----------------------------------------

_DOC_INTRO = """\
# Live protocol

*Generated from `server/protocol.py` by `python -m server.protocol > docs/protocol.md`;
a test fails when the two differ. Edit the module, then regenerate.*

One WebSocket endpoint, `/ws`. A frame is a map with a `type`: a **binary frame is
msgpack**, a **text frame is JSON**; both carry the same messages and the server answers
in the format the client used last. The **first frame must be `auth`** with a player or
facilitator token (tokens never go in a URL). The server answers `welcome` and a full
`view`, then pushes deltas.

Every command carries a client-chosen `id`; it is answered by exactly one `ack` or
`error` with that `id`, and an `ack` is sent **only after the command's events are
committed** to the event log. Re-sending an `id` (same token, even on a new socket or
after a server restart) returns the original `ack` with `duplicate: true` and applies
nothing. Every server message carries `seq`, +1 per message on that socket; on a gap
(the server drops pushes to a socket that does not keep up) or after a reconnect, send
`resync` and you get a full `view`.

Limits (server flags): frame size (`frame_too_large`), commands per second per socket
(`rate_limited`); a socket that keeps flooding or keeps sending garbage is closed with
code 1008 and a reason. Commands that carry `round` must name the current round
(`stale_round`). Refused commands change nothing.

Version: {version}.
"""


def _type_name(ann) -> str:
    s = str(ann) if not isinstance(ann, type) else ann.__name__
    s = s.replace("NoneType", "null").replace("<class '", "").replace("'>", "")
    s = re.sub(r"\b\w+\.", "", s)  # typing.Any, server.protocol.ScoringWeights -> Any, ScoringWeights
    return s.replace(" | ", " or ").replace("Literal", "one of ")


_LIMIT_WORDS = {"min_length": "at least {} chars", "max_length": "at most {} chars",
                "gt": "> {}", "ge": ">= {}", "lt": "< {}", "le": "<= {}"}


def _limits(f) -> list[str]:
    out = []
    for m in f.metadata:
        for attr, words in _LIMIT_WORDS.items():
            v = getattr(m, attr, None)
            if v is not None:
                out.append(words.format(v))
    return out


def _model_doc(name: str, model: type[BaseModel]) -> list[str]:
    out = [f"### `{name}`", "", " ".join((model.__doc__ or "").split()), "",
           "| field | type | required | notes |", "|---|---|---|---|"]
    for fname, f in model.model_fields.items():
        if fname == "type":
            continue
        notes = (f.description or "").replace("|", "/")
        limits = _limits(f)
        if limits:
            notes = (notes + " " if notes else "") + "(" + ", ".join(limits) + ")"
        out.append(f"| `{fname}` | `{_type_name(f.annotation)}` | {'yes' if f.is_required() else 'no'} | {notes} |")
    return out + [""]


def render_protocol_doc() -> str:
    lines = [_DOC_INTRO.replace("{version}", str(PROTOCOL_VERSION)), "## Client to server", ""]
    for name, model in CLIENT_MESSAGES.items():
        lines += _model_doc(name, model)
    lines += ["## Server to client", ""]
    for name, model in SERVER_MESSAGES.items():
        lines += _model_doc(name, model)
    lines += ["## HTTP request bodies", "",
              "See `/api/openapi.json` for the routes; the bodies are:", ""]
    for name, model in (("POST /api/sessions", CreateSession), ("POST /api/join", JoinSession),
                        ("POST /api/sessions/{session_id}/control", HttpControl),
                        ("POST /api/consent", Consent), ("POST /api/questionnaire", QuestionnaireAnswers),
                        ("POST /api/export", ExportRequest)):
        lines += _model_doc(name, model)
    lines += ["## Error codes", "", "| code | meaning |", "|---|---|"]
    lines += [f"| `{c}` | {m} |" for c, m in ERROR_CODES.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_protocol_doc(), end="")
