"""The pure session layer: typed facts (`facts`), the session's state (`state`), and the
one `evolve` that applies a fact to it (`evolve`). No I/O, no clock: the server's actor
(server/session_actor.py) holds a `Session`, logs facts and delivers messages."""
from .evolve import evolve
from .facts import FACTS, Fact, read_fact
from .state import Player, Session

__all__ = ["FACTS", "Fact", "Player", "Session", "evolve", "read_fact"]
