"""The `form_teams` control: the facilitator forms the teams in the lobby, by arrival,
at random, balanced by a list of groups, or from an uploaded list of firms. The plan is
game_rules/teams.py's (pure); here it is checked against the session and applied as facts:
`teams_formed` (method, seed, how many moved, the sizes), then one `player_moved` per
player who changes firm. `preview: true` answers the same plan and changes nothing, so the
console can show "13 students in 4 firms: 3 firms of 3 and 1 firm of 4" before Apply; a
random draw's seed comes back with the preview and Apply sends it again (same teams).
`actor` is the session's SessionActor (not imported: no import cycle).
"""
from __future__ import annotations

import secrets

from game_rules.session import bots, facts as F
from game_rules.teams import Member, TeamListError, form_teams as plan_teams, parse_rows

from .auth import FACILITATOR
from .protocol import ProtocolError
from . import seats
from .seats import seat_key



def form_teams(actor, c) -> dict:
    """In the actor: the plan, applied unless `c.preview`."""
    if actor.state.phase != "lobby":
        raise ProtocolError("wrong_phase", "teams are formed in the lobby, before the game starts "
                                           f"(now: {actor.state.phase}); move players one by one instead")
    seed = c.seed
    if seed is None and c.method in ("random", "balanced"):
        seed = secrets.randbelow(2**31)  # logged with the teams: the draw can be replayed
    members = [Member(p.id, p.name, p.label, p.firm)
               for p in sorted(actor.players.values(), key=lambda p: (p.joined_at, p.id))]
    firms = sorted(actor.state.firms.items(), key=lambda kv: kv[1].copy)  # stable: role order within a copy
    try:
        rows = parse_rows(c.csv) if c.csv and c.method in ("balanced", "list") else None
        plan = plan_teams(c.method, members, [(f, s.name) for f, s in firms], seed=seed, rows=rows,
                          cap=actor.options.get("max_per_firm") or actor.cfg.max_per_firm, key=seat_key)
    except TeamListError as e:
        raise ProtocolError("bad_team_list", f"nothing was changed: {e}") from None
    out = {**plan.to_dict(), "applied": not c.preview,
           "empty": [f for f, n in plan.sizes.items() if n == 0 and f not in actor.bots]}
    if not c.preview:
        _apply(actor, plan)
    return out


def _apply(actor, plan) -> None:
    step = actor._step()
    step.fact(F.TeamsFormed(plan.method, plan.seed, len(plan.firms), len(plan.moves), plan.shape()), FACILITATOR)
    touched = set()
    for pid, old, new in plan.moves:
        bot = actor.bots.get(new)
        step.fact(F.PlayerMoved(pid, old, new), FACILITATOR, new)
        bots.replaced(step, new, bot, pid, "moved", FACILITATOR)
        touched |= {old, new}
    for firm in sorted(touched):  # their players (the moved ones too) get the new view, the console a status
        actor.fanout.team(firm)


# the facilitator's controls whose effects need the server (tokens revoked and added, the
# roster pushed): the actor routes them here, every other control to game_rules/session/controls.py
SERVER_CONTROLS = {"approve_seat": lambda actor, c: seats.approve(actor, c.request, FACILITATOR),
                   "refuse_seat": lambda actor, c: seats.refuse(actor, c.request),
                   "form_teams": form_teams}
