"""What each principal sees of the partner-selection board (GAME.md section 3, step 2).

The rules are `game_rules.selection`; the moves, the seat bots and the phase are decided in
game_rules/session/ (selecting.py, phases.py). This module builds what each firm and the
facilitator may see of the board, and names a refused move's error code.

    lobby --start / open_selection--> selection --advance / close_selection / clock-->
        negotiation of the accepted pairs (or, negotiation off, the pairs signed on the
        templates' default terms) --> execution; a firm left unpaired plays alone.

Facts (game_rules/session/facts.py; applied by game_rules/session/evolve.py, live and on restart):
  `selection_opened` {settings}                      a new, empty board
  `selection_move`   {action, by, to?, proposal?, firms?, template?}
                     one accepted move, re-applied through `game_rules.selection`
  `selection_closed` {pairings: [{alliance_id, template, firms, introduced_by}]}
"""
from __future__ import annotations

from game_rules import selection as sel
from game_rules.session.selecting import pairing_dict as _pairing_dict

from .protocol import ERROR_CODES, SELECTION_CODES, ProtocolError

SessionLike = object  # the live session (server/session_actor.py): rules, state, selection, ...


def protocol_error(e: sel.SelectionError) -> ProtocolError:
    code = SELECTION_CODES.get(e.code, e.code)
    if code not in ERROR_CODES:
        code = "out_of_range"
    return ProtocolError(code, e.message)


# ---- what each principal sees ------------------------------------------------------------

def selection_for(s: "SessionLike", firm: str) -> dict:
    """A firm's view of the board: the profiles it may see (a go-between sees more), its
    own proposals in and out, the introductions that concern it. Nothing of proposals
    between other firms, and no firm's private numbers beyond what its profile shows."""
    r, cfg, st, board = s.rules, s.selection_cfg, s.state, s.selection
    gb = sel.is_go_between(cfg, st, firm)
    role = st.firms[firm].role
    mine = [p for p in board.proposals if firm in p.parties()]
    left = None
    if gb:
        left = cfg.go_between.introductions - sum(i.by == firm for i in board.introductions)
    return {
        "closed": board.closed,
        "go_between": gb,
        "introductions_left": left,
        "capacity": 0 if gb else sel.capacity(r, cfg, st, firm),
        "templates": [{"id": t.id, "roles": list(t.roles)} for t in r.scenario.alliances
                      if gb or role in t.roles],
        "own_profile": sel.public_profile(r, cfg, st, firm).to_dict(),
        "profiles": {f: p.to_dict() for f, p in sel.visible_profiles(r, cfg, st, firm, board).items()},
        "proposals_in": [p.to_dict() for p in mine if p.receiver == firm],
        "proposals_out": [p.to_dict() for p in mine if p.sender == firm],
        "introduced": [p.to_dict() for p in board.proposals if p.introduced_by == firm],
        "introductions": [{"id": i.id, "by": i.by, "firms": list(i.firms), "template": i.template,
                           "proposal": i.proposal}
                          for i in board.introductions if i.by == firm or firm in i.firms],
    }


def selection_board(s: "SessionLike") -> dict:
    """The facilitator's view: the whole board, every public profile, the pairings the
    board would give now (or gave, once closed) and the settings."""
    r, cfg, st, board = s.rules, s.selection_cfg, s.state, s.selection
    d = board.to_dict()
    if board.closed:  # (the rest of the game: the outcome only)
        d["pairings"] = list(s.selection_pairs.values())
        return d
    d["pairings"] = [_pairing_dict(p) for p in sel.pairings(r, cfg, st, board)]
    d["profiles"] = s.selection_public_profiles
    d["go_betweens"] = sorted(f for f in st.firms if sel.is_go_between(cfg, st, f))
    d["settings"] = cfg.model_dump()
    return d
