"""Online panels: the waiting room, group formation, dropouts (docs/research.md, "A full
online study"). The server keeps the timers (server/waiting_room.py); what they decide is here.

A panel session (`options["panel"]`, from a study file's `[panel]`) is one group. Its
lobby is the waiting room:

- the first person seated starts the wait (`waiting_started`, with its deadline);
- once `quorum` people are seated, the group is formed and the game starts at once
  (`group_formed`, reason `quorum`);
- when the deadline passes first: with at least `min_people` and `unfilled = "bots"`, the
  empty firms get bots (`group_formed` reason `timeout`, then `bots_seated`) and the game
  starts; otherwise the group fails (`group_failed`), everyone seated gets the `no_group`
  completion code and the session ends. Nobody waits without an end.

In a running game, a participant who stays away `dropout_seconds` is replaced:
`participant_dropped`, then `bots_seated` for the firm when none of its people is left, so
the round does not wait for its clock. When they come back, `participant_returned` and
`bot_replaced` (reason `returned`). The end of the game is completion.py's.
"""
from __future__ import annotations

from . import bots, completion, facts as F, phases
from .step import SERVER, Arm, Status, Step, end_session, people_at

RUNNING = ("selection", "negotiation", "execution")
DUE = 0.001  # seconds left below which a deadline has passed


def seats(step: Step) -> int:
    return len(step.state.firms) * step.options["panel"]["people_per_firm"]


def quorum(step: Step) -> int:
    return min(step.options["panel"].get("quorum") or seats(step), seats(step))


def is_open(step: Step) -> bool:
    """May a new person be seated in this group (its waiting room is open)?"""
    s = step.session
    return (s.status == "live" and s.state.phase == "lobby" and s.panel["formed"] is None
            and not s.panel["failed"] and len(s.players) < seats(step))


def seated(step: Step) -> None:
    """Someone was seated: the wait starts, or the group is formed."""
    s, cfg = step.session, step.options.get("panel")
    if cfg is None or s.state.phase != "lobby":
        return
    if s.panel["deadline"] is None:
        step.fact(F.WaitingStarted(step.now, step.now + cfg["waiting_seconds"], quorum(step), seats(step)))
        step.note(Arm("panel_wait"))
    if len(s.players) >= quorum(step):
        form(step, "quorum")


def form(step: Step, reason: str) -> None:
    s, cfg = step.session, step.options["panel"]
    empty = {f: cfg["bot_strategy"] for f in s.state.firms if not s.members(f) and f not in s.bots}
    step.fact(F.GroupFormed(reason, len(s.players), empty, step.now))
    if empty:
        step.fact(F.BotsSeated(empty, "waiting_room"))
    phases.start(step)
    step.note(Status())
    step.note(Arm("dropouts"))  # someone who left while waiting is a dropout from now on


def waited(step: Step) -> None:
    """The waiting room's deadline (a timer)."""
    s, cfg = step.session, step.options["panel"]
    if s.status != "live" or s.state.phase != "lobby" or s.panel["formed"] is not None or s.panel["failed"]:
        return
    if s.panel["deadline"] - step.now > DUE:
        step.note(Arm("panel_wait"))
        return
    if cfg["unfilled"] == "bots" and len(s.players) >= cfg["min_people"]:
        form(step, "timeout")
        return
    step.fact(F.GroupFailed(len(s.players), cfg["min_people"], cfg["unfilled"], step.now))
    for pid in list(s.players):
        completion.give(step, pid, "no_group")
    end_session(step, "no_group: the group could not be filled in time", SERVER)


def may_drop(step: Step, player_id: str) -> bool:
    """Does an offline player start a dropout wait now?"""
    s = step.session
    return step.options.get("panel") is not None and s.state.phase in RUNNING and player_id not in s.dropped


def dropout(step: Step, player_id: str, since: float) -> None:
    """`player_id` stayed away since `since` (the server checked they are still offline)."""
    s = step.session
    if s.status != "live" or s.state.phase not in RUNNING or player_id not in s.players or player_id in s.dropped:
        return
    firm = s.players[player_id].firm
    alone = not [p for p in people_at(s, firm) if p.id != player_id]
    strategy = step.options["panel"]["bot_strategy"] if alone and firm not in s.bots else None
    step.fact(F.ParticipantDropped(player_id, firm, since, step.now, s.state.round + 1, s.state.phase, strategy),
              firm=firm)
    if strategy is None:
        return
    step.fact(F.BotsSeated({firm: strategy}, "dropout", player_id), firm=firm)
    bots.seated(step, {firm})


def returned(step: Step, player_id: str) -> None:
    """A dropout connected again: they take their seat back, the bot stops."""
    s = step.session
    if player_id not in s.dropped or s.status != "live":
        return
    firm = s.players[player_id].firm
    step.fact(F.ParticipantReturned(player_id, firm, step.now, step.now - s.dropped[player_id]["disconnected_at"]),
              actor=player_id, firm=firm)
    bots.replaced(step, firm, s.bots.get(firm), player_id, "returned", player_id)


def closing(step: Step) -> None:
    """The panel's debrief time is over (a timer): the session ends."""
    s = step.session
    if s.status == "live" and s.panel["end_at"] is not None:
        if s.panel["end_at"] - step.now > DUE:
            step.note(Arm("panel_end"))
        else:
            end_session(step, "the study's game is over", SERVER)
