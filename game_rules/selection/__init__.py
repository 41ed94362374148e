"""Partner selection (GAME.md section 3, step 2): partial public profiles, proposals, a
go-between who sees more and introduces firms, and the pairings that go on to negotiation.

Everything here is pure: functions take the scenario's `Rules`, a `SelectionConfig`, the
session state and a `Board` (the selection's own state) and return a NEW board plus event
dicts; no I/O, no clock, no global random state. Noise is drawn from
`random.Random(f"{seed}:...")`, so a profile is the same for a given session seed every time
and in every process.

    cfg = load_selection(rules.scenario)           # sidecar file or defaults
    profile = public_profile(rules, cfg, state, "harbor1")
    board, events = propose(rules, cfg, state, Board(), "kinsei1", "harbor1", "os_deal")
    board, events = accept(rules, cfg, state, board, 1, "harbor1")
    board, events = introduce(rules, cfg, state, board, "bridge1", "kinsei1", "wavelink1", "net_deal")
    sign_pairings(rules, state, pairings(rules, cfg, state, board))

The package, by subject:
- `config`: the selection settings of a scenario (its sidecar TOML file, or the defaults);
- `board`: profiles (what a firm shows, what a go-between sees), the board's moves
  (propose, accept, decline, introduce, close) and the pairings that get signed;
- `bots`: how a selection bot judges a partner, introduces, proposes and answers.
`python -m game_rules.selection` is the command line (`__main__`).
"""
from .board import (Board, Introduction, Pairing, Profile, Proposal, Result, SelectionError, Status, accept,
                    alliance_id, capacity, close, decline, events_for_firm, full_profile, introduce, is_go_between,
                    market, pairings, propose, public_domains, public_profile, sees_fully, sign_pairings,
                    terms_for, visible_profiles)
from .bots import believed, bot_answer, bot_introductions, bot_proposals, estimated_fit, run_bot_selection
from .config import (SIDECAR_DIR, SIDECAR_PACKAGE, GoBetweenConfig, SelectionBots, SelectionConfig,
                     SelectionConfigError, default_selection, load_selection, parse_selection, selection_ids)
