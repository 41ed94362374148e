"""Roles inside a firm (GAME.md section 2): a negotiator, a gatekeeper and a learner.

A session with the option `firm_roles` gives each of them one part of the firm's work:

- the **negotiator** makes the firm's moves in its negotiation (offer, counter, accept, ...);
- the **gatekeeper** sets `protect` and `reveal` (what the partner may see and learn);
- the **learner** sets `absorb` (how hard the firm learns from its partner).

Everyone drafts the rest (contribute, develop, withhold, exit, survey) and sees everything;
the submitter rule (`members_submit`) still holds. A role nobody holds is everyone's: a role
whose holder left (moved, removed) is free again, and a firm nobody was dealt roles to (it
had no member at the start) plays as without roles until someone takes one.
A member may hold several roles (a firm of two: one holds two of the three).

Who holds what: at the start the free roles are dealt in the order the members joined (the
first negotiator, the second gatekeeper, the third learner, a fourth and fifth none; a firm of
two deals the learner to the first again; a firm of one holds all three; a role taken in the
lobby stays taken). The facilitator assigns or frees any role (`assign_role`).
Within the firm (player command `role`): a member who holds no role may `take` a free one,
and a holder may `hand` a role to a teammate. So one student can never collect the roles
alone: taking needs empty hands, more roles come only from a teammate or the facilitator, and
every change is shown to the whole firm and logged (`role_assigned`).

Pure: the facts are made on a `Step`; evolve.py applies them.
"""
from __future__ import annotations

from .facts import RoleAssigned
from .state import Player, Session
from .step import FACILITATOR, SERVER, Refused, Step, Team, people_at

ROLES = ("negotiator", "gatekeeper", "learner")
# which decision fields a role controls (the others are everyone's)
FIELDS = {"protect": "gatekeeper", "reveal": "gatekeeper", "absorb": "learner"}
COMMANDS = {"negotiate": "negotiator"}


def enabled(options: dict) -> bool:
    return bool(options.get("firm_roles"))


def holders(s: Session, firm: str) -> dict[str, str | None]:
    """Role -> the player who holds it in `firm` (None: nobody, so everyone may)."""
    held = s.firm_roles.get(firm, {})
    return {r: held.get(r) for r in ROLES}


def roles_of(s: Session, player_id: str, firm: str) -> list[str]:
    held = s.firm_roles.get(firm, {})
    return [r for r in ROLES if held.get(r) == player_id]


def may(s: Session, player: Player, role: str) -> bool:
    """Whether `player` may do what `role` controls: it holds the role, or nobody does."""
    holder = s.firm_roles.get(player.firm, {}).get(role)
    return holder is None or holder == player.id


def check(s: Session, player: Player, msg) -> None:
    """Refuse (`not_your_role`) a command that does what a role held by a teammate controls.
    Draft fields and explicit decisions on a submit are checked field by field; a submit
    from the draft is always fine (each field of the draft was set by its role's holder)."""
    t = msg.type
    if t in COMMANDS:
        _need(s, player, COMMANDS[t], "your firm's negotiation moves")
    elif t == "draft":
        for key in msg.fields:
            if key in FIELDS:
                _need(s, player, FIELDS[key], f"`{key}`")
    elif t == "submit" and msg.decision is not None:
        draft = s.drafts.get(player.firm, {})
        for key, role in FIELDS.items():
            if _plain(msg.decision.get(key)) != _plain(draft.get(key)):
                _need(s, player, role, f"`{key}` (it differs from your firm's draft)")


def _plain(value):
    """A decision field as it plays: 0, an empty map, zero entries and a missing field are all
    "nothing" (a page sends `protect: 0` and drops zero entries where the draft has none)."""
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if v not in (None, 0)}
    return value or None


def _need(s: Session, player: Player, role: str, what: str) -> None:
    if not may(s, player, role):
        holder = s.players[s.firm_roles[player.firm][role]]
        raise Refused("not_your_role", f"{what}: this is the {role}'s to decide, and {holder.name} is your "
                                       f"firm's {role} (draft it in the firm chat, or ask them to hand you the role)")


# ---- who holds what ---------------------------------------------------------------------------

def _set(step: Step, firm: str, role: str, player_id: str | None, how: str, by: str) -> None:
    previous = step.session.firm_roles.get(firm, {}).get(role)
    if previous == player_id:
        return
    step.fact(RoleAssigned(firm, role, player_id, previous, how, by), actor=by, firm=firm)


def deal(step: Step) -> None:
    """At the start: each firm's free roles are dealt in join order, first to the members who
    hold none (a role taken in the lobby stays taken). A firm of one: its member holds all
    three; bots' seats and live bots get none, so a firm played by a bot keeps every right."""
    s = step.session
    for firm in s.state.firms:
        people = sorted((p for p in people_at(s, firm) if not p.is_bot), key=lambda p: (p.joined_at, p.id))
        held = s.firm_roles.get(firm, {})
        free = [r for r in ROLES if r not in held]
        if not people or not free:
            continue
        order = [p for p in people if p.id not in held.values()] + [p for p in people if p.id in held.values()]
        for i, role in enumerate(free):
            _set(step, firm, role, order[i % len(order)].id, "dealt", SERVER)


def assign(step: Step, player: Player, role: str) -> dict:
    """The facilitator's `assign_role`: `player` takes `role` (from whoever held it); `none`
    frees every role the player holds."""
    if role == "none":
        for r in roles_of(step.session, player.id, player.firm):
            _set(step, player.firm, r, None, "freed", FACILITATOR)
    else:
        _role(role)
        _set(step, player.firm, role, player.id, "assigned", FACILITATOR)
    step.note(Team(player.firm))
    return {"player_id": player.id, "firm": player.firm, "roles": holders(step.session, player.firm)}


def command(step: Step, player: Player, action: str, role: str, to: str | None) -> dict:
    """A member's `role` command: `take` a free role (only with empty hands) or `hand` one's
    role to the teammate `to`."""
    s = step.session
    if not enabled(step.options):
        raise Refused("roles_off", "this session has no roles inside the firms")
    _role(role)
    holder = s.firm_roles.get(player.firm, {}).get(role)
    if action == "take":
        if holder is not None:
            raise Refused("not_your_role", f"{s.players[holder].name} is your firm's {role}: they can hand it to you")
        mine = roles_of(s, player.id, player.firm)
        if mine:
            raise Refused("not_your_role", f"you are already your firm's {' and '.join(mine)}: a member with a role "
                                           f"cannot take another (a teammate or the facilitator can give you one)")
        _set(step, player.firm, role, player.id, "taken", player.id)
    else:
        if holder != player.id:
            raise Refused("not_your_role", f"you are not your firm's {role}: only its holder hands it on")
        mate = s.players.get(to or "")
        if mate is None or mate.firm != player.firm or mate.id == player.id:
            raise Refused("unknown_player", "to: a teammate's player id")
        _set(step, player.firm, role, mate.id, "handed", player.id)
    step.note(Team(player.firm))
    return {"roles": holders(s, player.firm)}


def _role(role: str) -> None:
    if role not in ROLES:
        raise Refused("out_of_range", f"role: one of {', '.join(ROLES)}")


# ---- views ----------------------------------------------------------------------------------

def firm_view(s: Session, firm: str) -> dict:
    """The firm's roles as its members see them (and which fields each controls)."""
    return {"holders": holders(s, firm), "fields": FIELDS, "commands": COMMANDS}


def status(s: Session) -> dict[str, dict[str, str]]:
    """Every firm's held roles, for the facilitator's roster."""
    return {f: dict(held) for f, held in s.firm_roles.items() if held}
