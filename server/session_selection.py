"""The partner-selection board's refusals in protocol terms (GAME.md section 3, step 2).

The rules are `game_rules.selection`; the moves, the seat bots and the phase are decided in
game_rules/session/ (selecting.py, phases.py); what each firm and the facilitator may see of
the board is `game_rules.session.views` (selection_for, selection_board). This module names
a refused move's error code.

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

from .protocol import ERROR_CODES, SELECTION_CODES, ProtocolError

def protocol_error(e: sel.SelectionError) -> ProtocolError:
    code = SELECTION_CODES.get(e.code, e.code)
    if code not in ERROR_CODES:
        code = "out_of_range"
    return ProtocolError(code, e.message)
