"""The live game server: an aiohttp application around the pure `game_rules` engine.

See `app.py` (routes), `session_actor.py` (one sequential actor per live session),
`store.py` (the durable event log) and `protocol/` (every message on the wire, the error
codes with their HTTP status).
"""
