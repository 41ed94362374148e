"""One typed variant per facilitator control action, with the fields that action needs.

On the wire a control is one message (`control` over a socket, `POST .../control` over
HTTP) whose fields are all optional, so one schema documents them all (docs/protocol.md).
Before a control is applied, `control_variant` checks it against its action's own schema:
a field the action needs and did not get is refused here (`missing_field`, naming it), so
the control handlers (`SessionActor._ctl_<action>`) get a checked, typed value and only
decide what depends on the session (phase, clock, who is seated). Fields of other actions
are ignored, as they always were.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from game_rules.bots import ALL_STRATEGIES as STRATEGIES  # the race strategies too (game_rules.race)

from .errors import ProtocolError
from .messages import parse_model


class ControlAction(BaseModel):
    """A control that needs no field."""
    # extra="ignore": a field of another action is not this action's business (never refused)
    model_config = ConfigDict(extra="ignore", strict=True, allow_inf_nan=False, frozen=True)
    action: str


class Start(ControlAction):
    action: Literal["start"] = "start"


class OpenNegotiation(ControlAction):
    action: Literal["open_negotiation"] = "open_negotiation"


class Pair(ControlAction):
    action: Literal["pair"] = "pair"


class Advance(ControlAction):
    action: Literal["advance"] = "advance"


class EndRound(ControlAction):
    action: Literal["end_round"] = "end_round"


class NextRound(ControlAction):
    """End the results break: the next round opens now."""
    action: Literal["next_round"] = "next_round"


class EndRenegotiation(ControlAction):
    """End the renegotiation window now: open renegotiations keep their current terms."""
    action: Literal["end_renegotiation"] = "end_renegotiation"


class ReopenRound(ControlAction):
    """Undo the last round's close, while nothing has been decided since (docs/facilitator.md)."""
    action: Literal["reopen_round"] = "reopen_round"


class ReopenNegotiation(ControlAction):
    """Undo the close of negotiation `alliance_id`, while nothing has been decided since
    (docs/facilitator.md)."""
    action: Literal["reopen_negotiation"] = "reopen_negotiation"
    alliance_id: str = Field(max_length=64)


class Pause(ControlAction):
    action: Literal["pause"] = "pause"


class Resume(ControlAction):
    action: Literal["resume"] = "resume"


class EndSession(ControlAction):
    action: Literal["end_session"] = "end_session"


class OpenSelection(ControlAction):
    action: Literal["open_selection"] = "open_selection"


class CloseSelection(ControlAction):
    action: Literal["close_selection"] = "close_selection"


class Extend(ControlAction):
    """The running or paused clock gets `seconds` more."""
    action: Literal["extend"] = "extend"
    seconds: float = Field(gt=0, le=86400)


class MovePlayer(ControlAction):
    """`player` moves to `firm`."""
    action: Literal["move_player"] = "move_player"
    player: str = Field(max_length=64)
    firm: str = Field(max_length=64)


class _OnePlayer(ControlAction):
    player_id: str = Field(max_length=64)

    @model_validator(mode="before")
    @classmethod
    def _player_is_accepted_too(cls, data):
        """`player` names the player when `player_id` is missing or empty."""
        if isinstance(data, dict):
            data = dict(data)
            pid = data.get("player_id") or data.get("player")
            if pid is None:
                data.pop("player_id", None)
            else:
                data["player_id"] = pid
        return data


class RemovePlayer(_OnePlayer):
    action: Literal["remove_player"] = "remove_player"


class MergePlayers(_OnePlayer):
    """The row `duplicate_id` is the same person as the seat `player_id`: it is merged into
    that seat, which goes on on the duplicate row's device (game_rules/session/controls.py)."""
    action: Literal["merge_players"] = "merge_players"
    duplicate_id: str = Field(max_length=64)


class AssignRole(_OnePlayer):
    """`player_id` takes `role` inside its firm (from whoever held it), or, with `none`, holds
    no role any more (its roles become everyone's): game_rules/session/firm_roles.py."""
    action: Literal["assign_role"] = "assign_role"
    role: Literal["negotiator", "gatekeeper", "learner", "none"]


class AllowRejoin(_OnePlayer):
    action: Literal["allow_rejoin"] = "allow_rejoin"


class _OneRequest(ControlAction):
    request: str = Field(max_length=64)


class ApproveSeat(_OneRequest):
    """The seat request `request` ("this is me on a new device") is approved: the seat moves."""
    action: Literal["approve_seat"] = "approve_seat"


class RefuseSeat(_OneRequest):
    action: Literal["refuse_seat"] = "refuse_seat"


class FormTeams(ControlAction):
    """The lobby's teams by `method` (game_rules/teams.py): `seed` for random and balanced
    (drawn when missing), `csv` for balanced (name or label, group) and list (name or label,
    firm); `preview: true` only answers the plan."""
    action: Literal["form_teams"] = "form_teams"
    method: Literal["arrival", "random", "balanced", "list"]
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    csv: str | None = Field(None, max_length=60_000)
    preview: bool = False


class FillBots(ControlAction):
    """Bots of `strategy` take the firms nobody plays."""
    action: Literal["fill_bots"] = "fill_bots"
    strategy: str = Field("balanced", max_length=32)

    @model_validator(mode="before")
    @classmethod
    def _default_strategy(cls, data):
        if isinstance(data, dict) and not data.get("strategy"):
            data = {**data, "strategy": "balanced"}
        return data

    @model_validator(mode="after")
    def _known_strategy(self):
        if self.strategy not in STRATEGIES:
            raise ProtocolError("unknown_strategy", f"no strategy {self.strategy!r} (known: {', '.join(STRATEGIES)})")
        return self


class Inject(ControlAction):
    """An announcement: a `text`, an `event` map, or both."""
    action: Literal["inject"] = "inject"
    text: str = Field("", max_length=4000)
    event: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _something_to_say(self):
        if not self.text and not self.event:
            raise ProtocolError("missing_field", "text: missing (give a text and/or an event)")
        return self


CONTROL_VARIANTS: dict[str, type[ControlAction]] = {
    m.model_fields["action"].default: m
    for m in (Start, OpenNegotiation, Pair, Advance, EndRound, Pause, Resume, Extend, MovePlayer, RemovePlayer,
              MergePlayers, AllowRejoin, AssignRole, FillBots, Inject, EndSession, OpenSelection, CloseSelection,
              ApproveSeat, RefuseSeat, FormTeams, NextRound, ReopenRound, ReopenNegotiation, EndRenegotiation)
}


def control_variant(control: BaseModel | dict) -> ControlAction:
    """A `control` (or the body of `POST .../control`) as its action's typed variant; a
    missing or bad field of that action is a ProtocolError naming it."""
    data = control if isinstance(control, dict) else control.model_dump(exclude={"type", "id", "client_time"})
    data = {k: v for k, v in data.items() if v is not None}  # absent and null are the same on the wire
    model = CONTROL_VARIANTS.get(data.get("action"))
    if model is None:
        raise ProtocolError("out_of_range", f"action: not one of {', '.join(CONTROL_VARIANTS)}")
    return parse_model(model, data)
