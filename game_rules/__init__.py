"""The alliance game's rules: pure, deterministic, no I/O (see docs/model.md).

Public entry points: `load_scenario`, `Rules`, `new_session`, `sign_default_alliances`,
`resolve_round`, `parse_decision`, `validate_decision`, the views and the bots.
"""
ENGINE_VERSION = "0.1.0"
