"""Seat bots: bots take firms nobody plays, play what the phase waits for at once, and
stop when a person takes the seat.

- `fill`: the facilitator's `fill_bots` (every empty firm gets a bot of one strategy);
- `seated`: bots just took some firms (fill, a panel's group formed short, a dropout): they
  submit the round, answer the negotiation or move on the selection board at once, so
  nobody waits on an empty seat;
- `replaced`: a person joined or was moved into a bot-held firm (`bot_replaced`).

How each bot plays is in rounds.py (decisions), negotiating.py and selecting.py.
"""
from __future__ import annotations

from . import facts as F, phases, practice, renegotiating, rounds, selecting
from .step import Status, Step


def empty_firms(step: Step) -> list[str]:
    """Firms nobody is seated in and no bot plays."""
    s = step.session
    return [f for f in s.state.firms if not s.members(f) and f not in s.bots]


def fill(step: Step, strategy: str, actor: str) -> list[str]:
    empty = empty_firms(step)
    if empty:
        step.fact(F.BotsSeated({f: strategy for f in empty}), actor=actor)
        seated(step, set(empty))
    return empty


def seated(step: Step, firms: set[str]) -> None:
    """Bots just took `firms`: they play what the phase waits for at once."""
    s = step.session
    step.note(Status())
    phase = s.state.phase
    if phase == "execution":
        rounds.bots_submit(step)
        rounds.maybe_close(step)
    elif phase == "negotiation":
        for n in list(s.negotiations.values()):
            if firms & set(n.firms):
                phases.after_move(step, n.id)
    elif phase == "selection":
        selecting.bots_select(step)
        phases.maybe_close_selection(step)
    elif phase == practice.PHASE:
        practice.bots_submit(step)
    elif renegotiating.is_open(s):
        for aid, n in list(s.renegotiation.negotiations.items()):
            if firms & set(n.firms):
                phases.after_renegotiation_move(step, aid)


def replaced(step: Step, firm: str, strategy: str | None, player_id: str, reason: str, actor: str) -> None:
    """A person took a bot-held firm: the bot stops playing it from the firm's next
    decision on (a decision it already submitted this round stands)."""
    if strategy is None:
        return
    st = step.state
    decided = st.phase == "execution" and firm in step.session.submitted
    step.fact(F.BotReplaced(firm, strategy, player_id, reason, st.round + (2 if decided else 1)),
              actor=actor, firm=firm)
