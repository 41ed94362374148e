"""The pure session layer: typed facts (`facts`), the session's state (`state`), the one
`evolve` that applies a fact to it (`evolve`), and what decides the facts, on a `Step`
(`step`): a player's command (`decide`, `commands`), a facilitator's control (`controls`),
the phases and the clock's expiry (`phases`), rounds (`rounds`), negotiations
(`negotiating`), the selection board (`selecting`), seat bots (`bots`), online panels
(`panel`, `completion`). No I/O, no clock: the server's actor (server/session_actor.py)
holds a `Session`, logs the facts a step decides and delivers its messages."""
from .evolve import evolve
from .facts import FACTS, Fact, read_fact
from .state import Player, Session

__all__ = ["FACTS", "Fact", "Player", "Session", "evolve", "read_fact"]
