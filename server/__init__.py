"""The live game server: an aiohttp application around the pure `game_rules` engine.

See `http/` (the application, its route table and error boundary), `session_actor.py`
(one sequential actor per live session), `store/` (the durable event log, every SQL
statement) and `protocol/` (every message on the wire, the error codes with their HTTP
status).
"""
