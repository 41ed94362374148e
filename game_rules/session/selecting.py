"""The partner-selection board (GAME.md section 3, step 2): players' moves and seat bots'.

The rules are `game_rules.selection`; here a move becomes a `selection_move` fact (checked
first: an illegal move raises `SelectionError` and changes nothing) and a note that the
board changed (`SelectionBoard`: the server tells each firm what it may see of it).

Seat bots play through the selection module's bots: a go-between bot introduces, a bot
keeps or declines an introduction made to it, answers every proposal addressed to it and
proposes to the partner that looks best (never twice to a firm that declined it). The
phase itself (opening, closing, the pairings) is phases.py's.
"""
from __future__ import annotations

from .. import selection as sel
from . import facts as F
from .evolve import selection_step
from .state import Player, Session
from .step import Refused, SelectionBoard, Step, people_at


def select(step: Step, player: Player, action: str, to: str | None, proposal: str | None,
           firms: list | tuple | None, template: str | None) -> None:
    """A player's move on the board (`select` command)."""
    s = step.session
    if s.state.phase != "selection" or s.selection is None:
        raise Refused("wrong_phase", f"selection moves are made in the selection phase (now: {s.state.phase})")
    firm = player.firm
    data: dict = {"action": action}
    if action == "propose":
        if to is None:
            raise Refused("missing_field", "to: missing (the firm you propose to)")
        gb = sel.is_go_between(s.selection_cfg, s.state, firm)
        data["to"] = to
        data["template"] = template or ("" if gb else infer_template(s, firm, to))
    elif action in ("accept", "decline"):
        if proposal is None:
            raise Refused("missing_field", "proposal: missing (the proposal id)")
        data["proposal"] = proposal
    else:  # introduce
        if firms is None:
            raise Refused("missing_field", "firms: missing (the two firms you introduce)")
        data["firms"] = list(firms)
        data["template"] = template or infer_template(s, *firms)
    move(step, firm, data, actor=player.id)
    bots_select(step)


def infer_template(s: Session, a: str, b: str) -> str:
    """The only template joining the roles of `a` and `b` (unknown firms: selection.py
    names them)."""
    firms = s.state.firms
    if a not in firms or b not in firms:
        return ""
    ra, rb = firms[a].role, firms[b].role
    fits = [t.id for t in s.rules.scenario.alliances if ra != rb and {ra, rb} == set(t.roles)]
    if len(fits) == 1:
        return fits[0]
    if not fits:
        raise Refused("role_mismatch", f"no alliance template joins {a} (a {ra}) and {b} (a {rb})")
    raise Refused("ambiguous_template", f"templates {', '.join(fits)} all join {a} and {b}: name one in `template`")


def move(step: Step, firm: str, data: dict, actor: str) -> None:
    """Check one move (raises `SelectionError`, changing nothing), decide it, note it."""
    s = step.session
    m = F.SelectionMove.from_data({**data, "by": firm})
    _, events = selection_step(s, s.selection, m)
    step.fact(m, actor=actor, firm=firm)
    step.note(SelectionBoard(events))
    if m.action == "introduce":
        # a bot introduced to a partner keeps the pairing or declines it at once
        p = s.selection.proposals[-1]
        for f in p.parties():
            cur = s.selection.proposal(p.id)
            if cur.status == "accepted" and is_bot(s, f) and not sel.bot_answer(
                    s.rules, s.selection_cfg, s.state, s.selection, cur, f):
                _bot_move(step, f, {"action": "decline", "proposal": p.id})


def is_bot(s: Session, firm: str) -> bool:
    """Does a seat bot play `firm` (nobody of it plays it themselves)?"""
    return firm in s.bots and not people_at(s, firm)


def _bot_move(step: Step, firm: str, data: dict) -> bool:
    try:
        move(step, firm, data, actor=f"bot:{firm}")
        return True
    except (sel.SelectionError, Refused):
        return False  # the board changed under it: a bot does not insist


def bots_select(step: Step) -> None:
    """Seat bots introduce, answer the proposals addressed to them and propose."""
    s = step.session
    if s.state.phase != "selection" or s.selection is None or s.selection.closed:
        return
    bots = sorted(f for f in s.state.firms if is_bot(s, f))
    if not bots:
        return
    r, cfg, st = s.rules, s.selection_cfg, s.state
    for _ in range(4):  # bounded: a pass only adds moves; two or three settle the board
        before = s.selection
        for gb in bots:
            if sel.is_go_between(cfg, st, gb):
                for a, b, tid in sel.bot_introductions(r, cfg, st, s.selection, gb):
                    _bot_move(step, gb, {"action": "introduce", "firms": [a, b], "template": tid})
        _bots_answer(step, bots)
        for fid in bots:
            declined = {(frozenset(p.parties()), p.template) for p in s.selection.proposals
                        if p.status == "declined"}
            for receiver, tid in sel.bot_proposals(r, cfg, st, s.selection, fid):
                if (frozenset((fid, receiver)), tid) not in declined:
                    _bot_move(step, fid, {"action": "propose", "to": receiver, "template": tid})
        _bots_answer(step, bots)
        if s.selection == before:
            break


def _bots_answer(step: Step, bots: list[str]) -> None:
    s = step.session
    r, cfg, st = s.rules, s.selection_cfg, s.state
    for p in list(s.selection.proposals):
        cur = s.selection.proposal(p.id)
        if cur.status != "pending" or cur.receiver not in bots:
            continue
        if sel.bot_answer(r, cfg, st, s.selection, cur, cur.receiver) and \
                _bot_move(step, cur.receiver, {"action": "accept", "proposal": cur.id}):
            continue
        _bot_move(step, cur.receiver, {"action": "decline", "proposal": cur.id})


def pairing_dict(p: sel.Pairing) -> dict:
    return {"alliance_id": p.alliance_id, "template": p.template, "firms": list(p.firms),
            "introduced_by": p.introduced_by}


def pairings_now(s: Session) -> list[dict]:
    """The pairings the board gives now."""
    return [pairing_dict(p) for p in sel.pairings(s.rules, s.selection_cfg, s.state, s.selection)]
