"""Undo of a round's close: the facilitator reopens the round they closed by mistake.

When a round closes (`round_closed`), `evolve` keeps an *undo record*: what the close
changed (the engine state before it, each firm's books, the decisions submitted, the
drafts, the last round's events). `round_reopened` puts all of it back, so the session is
exactly as it was just before the close: positions, cash, histories, and the decisions
submitted before the close still count as submitted. The record lives in the session's
state (and its snapshots), so the live session, a restart and `game_rules.replay` all
restore the same thing from the same facts.

"As long as nothing has been decided since" is exact: the record is dropped by the first
fact after the close that is not one of `KEEPS`, i.e. anything but the clock, the phase
(the results break and the next round opening), the seat bots' decisions for the next
round (dropped again by the reopen), chat, announcements and seat changes. A person's
draft or decision in the next round, a later round's close, the debrief, a negotiation
move or the session's end: the round can no longer be reopened. Only a round the
facilitator or the clock closed is reopenable (one that closed because every firm had
submitted was not closed by mistake), and never the last round (the debrief has opened
and completion codes may have been given).

Pure: no I/O, no clock.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from ..state import SessionState, state_from_dict, state_to_dict
from . import facts as F

REOPENABLE = ("facilitator", "clock")   # the reasons of a close that may have been a mistake


@dataclass(slots=True)
class Undo:
    """What `round_closed` changed, to be put back by `round_reopened`."""
    round: int
    reason: str
    state: SessionState             # the engine state before the close (never mutated after it)
    books: dict                     # firm -> how many entries its history had
    submitted: dict
    drafts: dict
    last_decision: dict
    last_events: list
    last_by_firm: dict

    def to_dict(self) -> dict:
        return {"round": self.round, "reason": self.reason, "state": state_to_dict(self.state),
                "books": self.books, "submitted": self.submitted, "drafts": self.drafts,
                "last_decision": self.last_decision, "last_events": self.last_events,
                "last_by_firm": self.last_by_firm}

    @classmethod
    def from_dict(cls, d: dict) -> "Undo":
        return cls(d["round"], d["reason"], state_from_dict(d["state"]), d["books"], d["submitted"],
                   d["drafts"], d["last_decision"], d["last_events"], d["last_by_firm"])


def before_close(s, f: F.RoundClosed) -> Undo:
    """The undo record of `f`, taken before it changes anything (copies: the close pops
    per-round keys out of the drafts in place)."""
    return Undo(f.round, f.reason, s.state, {firm: len(h) for firm, h in s.history.items()},
                copy.deepcopy(s.submitted), copy.deepcopy(s.drafts), dict(s.last_decision),
                list(s.last_events), dict(s.last_by_firm))


def restore(s, u: Undo) -> None:
    """Put the session back as it was just before the close (`round_reopened`)."""
    s.state = state_from_dict(state_to_dict(u.state))  # a copy: the record may be restored from a snapshot too
    for firm, n in u.books.items():
        del s.history[firm][n:]
    s.submitted = copy.deepcopy(u.submitted)
    s.drafts = copy.deepcopy(u.drafts)
    s.last_decision = dict(u.last_decision)
    s.last_events, s.last_by_firm = list(u.last_events), dict(u.last_by_firm)


# the facts after which a closed round can still be reopened (see the module's docstring;
# `round_reopened` itself uses the record, then drops it)
KEEPS = frozenset({F.RoundReopened, F.Clock, F.PhaseChanged, F.Chat, F.Announcement, F.PlayerJoined, F.PlayerMoved,
                   F.PlayerRemoved, F.PlayersMerged, F.PlayerRejoined, F.RejoinAllowed, F.ConsentGiven, F.ConsentDeclined,
                   F.TeamsFormed, F.BotsSeated, F.BotReplaced, F.ParticipantDropped, F.ParticipantReturned, F.RoleAssigned})


def keeps(s, fact: F.Fact) -> bool:
    """Whether the undo record survives `fact`."""
    if fact.__class__ in KEEPS:
        return not (isinstance(fact, F.PhaseChanged) and fact.phase == "debrief")
    return isinstance(fact, F.DecisionSubmitted) and fact.source == "bot"


def refusal(s) -> tuple[str, str] | None:
    """Why the last closed round cannot be reopened now (code, message), or None."""
    u = s.undo
    if s.status != "live":
        return "session_ended", "the session has ended"
    if u is None or u.round != s.state.round:
        return "not_reopenable", ("no round to reopen: something has been decided since the last close "
                                  "(a draft, a decision, a later round) or no round has closed yet")
    if u.reason not in REOPENABLE:
        return "not_reopenable", f"round {u.round} closed because every firm had submitted; there is nothing to undo"
    if s.state.phase not in ("execution", "break"):
        return "not_reopenable", f"round {u.round} was the last one: the debrief has opened"
    return None
