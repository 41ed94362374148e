"""Every message on the wire as a typed schema: what clients send (validated strictly),
what the server sends (documented, built by `ack` and `error`), and the parsing of a
decoded frame into its message.

Client frames are maps with a `type`. Binary frames are msgpack, text frames are JSON;
the server answers in the format the client last used. Validation is strict: unknown
fields, wrong types (a string where a number belongs, `true` where an integer belongs)
and non-finite numbers are refused with an `error` that names the field.
"""
from __future__ import annotations

import functools
import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from .errors import ERROR_CODES, ProtocolError

PROTOCOL_VERSION = 1


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
    language: str | None = Field(None, max_length=35, pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,6}$",
                                 description="a player's page language (BCP-47); when it differs from the "
                                             "one logged for the player, `language_changed` is logged and the "
                                             "scenario texts of its view follow it")
    deltas: int | None = Field(None, ge=0, le=1000, description="the `round_delta` format this client reads "
                               "(3, or 2 without `results`); a player's socket then gets its view after a round as a `round_delta`, "
                               "without it always as a full `view`")


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
    """A move in your firm's term-sheet negotiation (`terms` for offer and counter). In a
    renegotiation window (phase `renegotiation`) the same moves renegotiate an alliance in
    force: `negotiation` is the alliance id, and `terms` names only the fields it changes."""
    type: Literal["negotiate"]
    id: str = CommandId
    action: Literal["offer", "counter", "accept", "reject", "walk_away"]
    terms: dict[str, Any] | None = None
    negotiation: str | None = Field(None, max_length=64, description="which negotiation; default: your firm's only one")
    client_time: float | None = ClientTime


CONTROL_ACTIONS = ("start", "pause", "resume", "extend", "advance", "end_round", "pair",
                   "open_negotiation", "open_selection", "close_selection", "move_player", "remove_player",
                   "merge_players", "allow_rejoin", "fill_bots", "inject", "end_session", "approve_seat",
                   "refuse_seat", "form_teams", "next_round", "reopen_round", "reopen_negotiation", "assign_role",
                   "end_renegotiation")


class Role(_Msg):
    """A role inside your firm (sessions with `firm_roles`): `take` a role nobody holds (only
    when you hold none), or `hand` a role you hold to the teammate `to`. The firm gets a fresh
    view; a refusal is `not_your_role` (or `roles_off`)."""
    type: Literal["role"]
    id: str = CommandId
    action: Literal["take", "hand"] = Field(description="take a free role, or hand yours to `to`")
    role: Literal["negotiator", "gatekeeper", "learner"] = Field(description="the role")
    to: str | None = Field(None, max_length=64, description="hand: the teammate's player id")
    client_time: float | None = ClientTime


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


class ControlFields(_Msg):
    """What a facilitator control says beyond its action, shared by the socket's `control`
    (below) and the HTTP body (`bodies.HttpControl`): one table, so the two cannot drift
    apart. Not a message itself."""
    seconds: float | None = Field(None, gt=0, le=86400)
    player: str | None = Field(None, max_length=64)
    player_id: str | None = Field(None, max_length=64, description="remove_player, merge_players, allow_rejoin: "
                                  "the player (`player` is accepted too)")
    duplicate_id: str | None = Field(None, max_length=64, description="merge_players: the row that is the same "
                                     "person as `player_id` (its device goes on in that seat)")
    role: str | None = Field(None, max_length=16, description="assign_role: negotiator, gatekeeper, learner, or "
                             "none (the player holds no role)")
    firm: str | None = Field(None, max_length=64)
    strategy: str | None = Field(None, max_length=32)
    text: str | None = Field(None, max_length=4000)
    event: dict[str, Any] | None = None
    request: str | None = Field(None, max_length=64, description="approve_seat, refuse_seat: the seat request")
    method: str | None = Field(None, max_length=16, description="form_teams: arrival | random | balanced | list")
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="form_teams: the seed of random and balanced")
    csv: str | None = Field(None, max_length=60_000, description="form_teams: the list for balanced "
                            "(name or label, group) and list (name or label, firm), as CSV text")
    preview: bool | None = Field(None, description="form_teams: true, only answer the plan")
    alliance_id: str | None = Field(None, max_length=64, description="reopen_negotiation: the negotiation "
                                    "(its alliance id) to reopen")


_SHARED_CONTROL = {name: (f.annotation, f) for name, f in ControlFields.model_fields.items()}

Control = create_model(
    "Control", __base__=_Msg, __module__=__name__, __doc__="""A facilitator control (facilitator token only). `extend` takes `seconds`,
    `move_player` takes `player` and `firm`, `fill_bots` an optional `strategy`,
    `inject` a `text` and/or an `event` map (logged and announced to everyone).
    `remove_player` takes `player_id`: that player's token stops working and its sockets close
    at once (the seat is freed). `merge_players` takes `player_id` and `duplicate_id`: two rows that are one person
    become one; the seat `player_id` stays and goes on on the device of `duplicate_id`, whose
    row is gone (the seat's earlier device is signed out). `allow_rejoin` takes `player_id`: the next join with that
    player's participant label takes the seat without its rejoin code (lab mode).
    `assign_role` takes `player_id` and `role` (negotiator, gatekeeper, learner or none): in a
    session with `firm_roles`, that player takes the role inside its firm (none: holds none).
    `start` in the lobby of a session with `practice_round` opens the practice round (round 0);
    in the practice round it starts the real game (`end_round` there closes the practice round).
    `open_selection` opens the partner-selection board (lobby; `start` does it too when the
    session has a selection phase); `close_selection` (or `advance`) closes it: the accepted
    pairings go on to negotiation, or are signed on default terms if negotiation is off.
    `approve_seat` / `refuse_seat` take `request`: a student's "this is me on a new device"
    (server/seats.py). `form_teams` (lobby) takes `method` (arrival, random, balanced, list),
    an optional `seed`, the `csv` list for balanced and list, and `preview`. `reopen_negotiation`
    takes `alliance_id`: the negotiation the facilitator's close (or the clock) ended, while
    nothing has been decided since (game_rules/session/reopen_negotiation.py).""",
    type=(Literal["control"], ...), id=(str, CommandId), action=(Literal[CONTROL_ACTIONS], ...),
    **_SHARED_CONTROL, client_time=(float | None, ClientTime))


CLIENT_MESSAGES: dict[str, type[_Msg]] = {
    m.model_fields["type"].annotation.__args__[0]: m
    for m in (Auth, Ping, Resync, Draft, Submit, Chat, Negotiate, Select, Role, Control)
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
    phase changes, and after every round to the facilitator (a player gets a `round_delta`
    then, unless it would not be smaller)."""
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
    practice: bool | None = Field(None, description="true: the practice round's decision (round 0, not scored)")


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


class RoundDeltaPush(_Out):
    """After a round (its `round_result` came first), a player's new view as the changes to
    the view it holds: the full view it was last sent (or the last delta's result) with the
    pushes it folded since. Apply `changes` (game_rules/session/deltas.py: `set` keys,
    `unset` keys, `append` items to a list, `sub`: a nested dict's own changes, `items`:
    [index, changes] pairs for the items of a list of dicts) and the view is exactly the
    full view the server would send now. With `results: R` (version 3) the round's results
    are not sent twice: the `events` of the `round_result` of round R this socket got come
    first among the `history`'s new items, before `changes.append.history` (add them, then
    apply). Only if `base` is the number of `view` and `round_delta` messages this socket
    got before this one (and `version` is the one its `auth` gave, 3 or 2; a socket whose
    `auth` gave another `deltas` gets full views); otherwise, if the changes do not fit, or
    if a cited round's `round_result` did not come, send `resync` for a full view. A full
    `view` comes instead when the delta would not be smaller."""
    type: Literal["round_delta"]
    version: int = Field(description="the changes' format: the `deltas` of the socket's `auth` (3, or 2)")
    base: int = Field(description="how many `view` and `round_delta` messages this socket was sent before this one")
    round: int | None = Field(description="the new view's `current_round` (null outside the execution phase)")
    results: int | None = Field(None, description="version 3: the round whose `round_result` events are the "
                                                  "first new items of `history` (left out of `changes`)")
    changes: dict[str, Any]


class RoundReopenedPush(_Out):
    """The facilitator reopened round `round` (undo of its close): it is played again from
    just before the close (a `view` follows)."""
    type: Literal["round_reopened"]
    round: int


class PracticeResultPush(_Out):
    """The practice round (round 0, session option `practice_round`) closed: what the firm's
    practice decision did against its imagined partner (the facilitator gets the sources);
    nothing of it counts, the real game starts when the facilitator says so."""
    type: Literal["practice_result"]
    round: int
    result: dict[str, Any] | None = Field(None, description="a firm only: its practice result")
    source: str | None = Field(None, description="a firm only: submitted | bot | default")
    sources: dict[str, str] | None = Field(None, description="facilitator only: per firm, submitted | bot | default")


class RenegotiationPush(_Out):
    """A renegotiation window changed (to the alliance's two firms and the facilitator): a firm
    gets its view of the window (its alliances' negotiations, the terms in force, its own
    dependency), the facilitator every pair with both partners' dependencies."""
    type: Literal["renegotiation"]
    renegotiation: dict[str, Any]
    events: list[dict[str, Any]]


class NegotiationReopenedPush(_Out):
    """The facilitator reopened negotiation `alliance_id` (undo of its close, to its two firms
    and the facilitator): it is open again as it was just before the close (a `negotiation`
    push and a `view` follow)."""
    type: Literal["negotiation_reopened"]
    alliance_id: str


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
              NegotiationPush, RenegotiationPush, SelectionPush, RoundResultPush, RoundDeltaPush, RoundReopenedPush,
              NegotiationReopenedPush,
              PracticeResultPush, AnnouncementPush, StatusPush, CompletionPush,
              SessionEndedPush)
}


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
