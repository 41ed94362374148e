"""What each recipient is told by one step: its outbox, keyed by recipient.

    box = outbox(step)     # {"p_ada": [Out({"type": "submitted", ...})], "facilitator": [Out({"type": "status"})]}

Built in this one place from the step's effects (game_rules/session/step.py), in the order
they were decided: a `Tell` goes to whom its `to` names (everyone, the facilitator, a
firm's members, one player); a view note owes each recipient that views.py `due` names a
marker (`{"type": "view"}`, `{"type": "status"}`, `{"type": "selection"}`) which the
server replaces by that recipient's view, built with what only it knows (who is online,
the time: server/fanout.py). The members of a firm are those of the session after the step.

The server's actor still acts on the effects as they are made (its listener hands each
`Tell` and view note to server/fanout.py, which resolves the same recipients against the
open sockets): it does not yet deliver from this outbox. tests/test_session_outbox.py
checks the outbox of known steps.
"""
from __future__ import annotations

from dataclasses import dataclass

from .step import FACILITATOR, Logged, Step, Tell
from .views import due


@dataclass(frozen=True, slots=True)
class Out:
    """One message of an outbox; `to_sender=False`: not to the socket the command came
    from (its reply says it)."""
    msg: dict
    to_sender: bool = True


def recipients(step: Step, to: str) -> list[str]:
    """The principals a `Tell`'s `to` names: player ids, or "facilitator"."""
    s = step.session
    if to == "everyone":
        return [*s.players, FACILITATOR]
    if to == "facilitator":
        return [FACILITATOR]
    if to.startswith("firm:"):
        return [p.id for p in s.members(to[5:])]
    return [to[len("player:"):]]


def outbox(step: Step) -> dict[str, list[Out]]:
    box: dict[str, list[Out]] = {}
    for e in step.effects:
        if isinstance(e, Tell):
            for r in recipients(step, e.to):
                box.setdefault(r, []).append(Out(e.msg, e.to_sender))
        elif not isinstance(e, Logged):
            for r, kind in due(step.session, e).items():
                box.setdefault(r, []).append(Out({"type": kind}))
    return box
