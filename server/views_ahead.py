"""The next round's view work that does not wait for the round: done while the round is open.

At a round's end every firm's view is built at once (server/fanout.py), and most of a
firm view's cost was its estimates of its partners: each a generator seeded with the
session's seed, the round, the two firms and the domain (`game_rules.books.noise`, four per
alliance). None of that depends on what the firms decide, so shortly after a round's views
went out, the estimates' noise of the round now open is drawn in small actor items
(`game_rules.views.noise_ahead`) and remembered; the round's end finds it drawn. What a
firm is shown is the same either way: a seed not drawn ahead (a round closed early, an
alliance signed since) is drawn when its view is built.
"""
from __future__ import annotations

import asyncio
from typing import Any

from game_rules import views as engine_views
from game_rules.books import noise

AFTER_S = 0.5   # after a round's views: the players' devices are busy reading them, not us
CHUNK = 250     # seeds per actor item (a few ms: a command waits at most that long)


class Ahead:
    def __init__(self, live: Any):
        self.live = live                                  # the session actor (its session, `post`)
        self._timer: asyncio.TimerHandle | None = None

    def schedule(self) -> None:
        """A round's views (or the first round's) went out: draw the next ones' noise soon."""
        s = self.live.session
        if s.state.phase != "execution" or self._timer is not None:
            return
        self._timer = asyncio.get_running_loop().call_later(AFTER_S, self._due, s.state.round)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _due(self, rnd: int) -> None:
        self._timer = None
        if not self.live._stopping:
            self.live.post(self._draw, None, rnd)

    def _draw(self, seeds: list[str] | None, rnd: int) -> None:
        s = self.live.session
        if s.state.phase != "execution" or s.state.round != rnd:
            return  # the round closed meanwhile: its views drew what they needed
        if seeds is None:
            seeds = engine_views.noise_ahead(s.rules, s.state)
        for seed in seeds[:CHUNK]:
            noise(seed)
        if len(seeds) > CHUNK and not self.live._stopping:
            self.live.post(self._draw, seeds[CHUNK:], rnd)  # behind the commands waiting now
