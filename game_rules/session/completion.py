"""The end of the game for a study's participants: completion codes, and the panel's close.

When the last round is resolved (or the facilitator ends the game), every seated player
gets a completion code (`completion_given`: `completed`, or `dropout` for someone who left
and did not come back); a panel session then ends by itself `debrief_seconds` later
(`panel_closing`), so the questionnaire can be answered first.
"""
from __future__ import annotations

from ..study import Completion, completion_code, redirect
from . import facts as F
from .step import Arm, Step


def give(step: Step, player_id: str, status: str) -> None:
    c = Completion.model_validate(step.options["completion"])
    code = completion_code(c, status)
    fact = F.CompletionGiven(player_id, status, code, redirect(c, code))
    players = step.session.players
    step.fact(fact, firm=players[player_id].firm if player_id in players else None)
    step.tell(f"player:{player_id}", {"type": "completion", **fact.to_data()})


def game_over(step: Step) -> None:
    """The last round is resolved: completion codes; a panel session ends by itself later."""
    s = step.session
    if step.options.get("completion") is None or s.completions:
        return
    for pid in list(s.players):
        give(step, pid, "dropout" if pid in s.dropped else "completed")
    panel = step.options.get("panel")
    if panel is not None:
        step.fact(F.PanelClosing(step.now + panel["debrief_seconds"]))
        step.note(Arm("panel_end"))
