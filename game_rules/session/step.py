"""One step of a live session: what a command, a control, a timer or a seat change decided.

    step = Step(session, options, now)
    phases.start(step)                  # decides, fact by fact
    step.effects                        # [Logged(fact, ...), Tell(...), Views(), ...] in order

A decision often depends on the facts decided just before it (the bots answer an offer that
was just made, a round closes once the last bot has submitted), so `Step.fact` evolves the
session at once and records the fact; the decide functions (phases.py, rounds.py, bots.py,
...) then read the state as it now is. A refusal (`Refused`, or the rules' own errors) is
raised before the first fact of a command, so a refused command changes nothing.

Besides facts a step records *notes*, plain data saying what the server should do about
them: whom to tell what (`Tell`), that full views are due (`Views`, `ViewsNext`), a firm's
roster changed (`Team`), a dropout timer to arm (`Arm`). outbox.py says, per recipient,
what the step tells it (the views due resolved by views.py `due`). The server's actor passes a
`listener` that logs each fact and acts on each note as it is made (the order of the log
and of the pushes is the order of the decisions); a test reads `effects` instead.

Pure: no I/O, no clock (`now` is the step's wall time, passed in).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import facts as F
from .clock import PhaseClock
from .evolve import evolve
from .state import Player, Session

SERVER = "server"            # the actor of a fact nobody in particular caused (a clock, a bot's seat)
FACILITATOR = "facilitator"  # the facilitator's principal name (server/auth.py)


class Refused(ValueError):
    """A command the session's state does not allow now: `code` is the protocol's error code."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


@dataclass(slots=True)
class Logged:
    """A fact as decided: who caused it, for which firm, and the log row's round (the round
    being played when it happened: read before the fact changed the state)."""
    fact: F.Fact
    actor: str = SERVER
    firm: str | None = None
    kind: str = "system"            # system | chat (the log row's kind)
    client_time: float | None = None
    round: int = 0
    caused: tuple | list = ()       # the engine events `evolve` returned (logged as `event` rows)


# ---- notes: what the server does about the facts (plain data) ---------------------------------

@dataclass(slots=True)
class Tell:
    """Send `msg` to `to`: "everyone", "facilitator", "firm:<id>" or "player:<id>".
    `to_sender=False`: not to the socket the command came from (its reply says it)."""
    to: str
    msg: dict
    to_sender: bool = True


@dataclass(slots=True)
class Views:
    """Everyone gets a full view now (a phase opened)."""


@dataclass(slots=True)
class ViewsNext:
    """Everyone gets a full view once this step's pushes are out (round results first)."""


@dataclass(slots=True)
class Team:
    """A firm's roster changed: its players get a fresh view, the facilitator a status."""
    firm: str


@dataclass(slots=True)
class Status:
    """The facilitator's status is due (the server coalesces these)."""


@dataclass(slots=True)
class PlayerView:
    """One player (just moved) gets its full view."""
    player_id: str


@dataclass(slots=True)
class SelectionBoard:
    """The selection board changed: the firms in `events` (when `firms`) and the
    facilitator get what they may see of it."""
    events: list
    firms: bool = True


@dataclass(slots=True)
class Removed:
    """A player was removed: its sockets close and its token stops working once durable."""
    player_id: str
    token_hash: str


@dataclass(slots=True)
class Merged:
    """Two rows were one person: the sockets of `duplicate_id` close (its device, if it is the
    one that goes on, reconnects as `player_id` with `kept_token`); `dropped_token` stops
    working once durable."""
    player_id: str
    duplicate_id: str
    kept_token: str
    dropped_token: str


@dataclass(slots=True)
class Arm:
    """A timer to arm: `what` ("panel_wait", "panel_end", "dropouts": every seated
    player who is offline now starts a dropout wait)."""
    what: str


@dataclass(slots=True)
class Closed:
    """The session ended: the server marks it ended and lets it go once durable."""
    reason: str


Note = Tell | Views | ViewsNext | Team | Status | PlayerView | SelectionBoard | Removed | Merged | Arm | Closed


@dataclass
class Step:
    session: Session
    options: dict                   # the session's options (copies, clocks, negotiation, panel, ...)
    now: float                      # wall seconds
    listener: Callable[[Logged | Note], None] | None = None
    effects: list = field(default_factory=list)

    @property
    def state(self):
        return self.session.state

    def fact(self, fact: F.Fact, actor: str = SERVER, firm: str | None = None, kind: str = "system",
             client_time: float | None = None) -> Logged:
        """Decide `fact`: the session evolves by it at once (the next decision reads it)."""
        st = self.session.state
        rnd = st.round + (1 if st.phase == "execution" else 0)
        caused = evolve(self.session, fact)
        entry = Logged(fact, actor, firm, kind, client_time, rnd, caused)
        self._record(entry)
        return entry

    def note(self, note: Note) -> None:
        self._record(note)

    def tell(self, to: str, msg: dict, to_sender: bool = True) -> None:
        self._record(Tell(to, msg, to_sender))

    def _record(self, e) -> None:
        self.effects.append(e)
        if self.listener is not None:
            self.listener(e)

    def facts(self) -> list[F.Fact]:
        return [e.fact for e in self.effects if isinstance(e, Logged)]


# ---- small shared decisions ---------------------------------------------------------------------

def need_phase(step: Step, *phases: str) -> None:
    if step.state.phase not in phases:
        raise Refused("wrong_phase", f"not possible in the {step.state.phase} phase (only in: {', '.join(phases)})")


def people_at(s: Session, firm: str) -> list[Player]:
    """The firm's members who play it themselves (not replaced after a dropout)."""
    return [p for p in s.members(firm) if p.id not in s.dropped]


def set_clock(step: Step, action: str, seconds: float | None, actor: str) -> None:
    """start | pause | resume | extend | stop the phase clock, and tell everyone."""
    s, now = step.session, step.now
    c = PhaseClock.from_dict(s.clock.to_dict())
    if action == "start":
        c.start(seconds, now)
    elif action == "pause":
        c.pause(now)
    elif action == "resume":
        c.resume(now)
    elif action == "extend":
        c.extend(seconds, now)
    elif action == "stop":
        c.stop()
    step.fact(F.Clock(action, seconds, c.to_dict()), actor=actor)
    step.tell("everyone", {"type": "clock", "phase": s.state.phase, "round": s.state.round + 1,
                           **s.clock.public(now)})


def end_session(step: Step, reason: str, actor: str) -> None:
    s = step.session
    step.fact(F.SessionEnded(reason), actor=actor)
    step.note(Closed(reason))
    if s.clock.running or s.clock.remaining_s is not None:
        set_clock(step, "stop", None, actor)
    step.tell("everyone", {"type": "session_ended", "reason": reason})
