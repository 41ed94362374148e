"""The timers of online panels (docs/research.md, "A full online study"): the waiting
room's deadline, each offline participant's dropout wait, the panel's end.

What the panel decides when a timer fires (the group forms or fails, a dropout is
replaced by a bot, the session ends) is pure: game_rules/session/panel.py. Here only the
timers live: `loop.call_later` posting an item to the session actor's queue (like the
phase clock), armed from deadlines kept in the session's state, so a restart re-arms them.
"""
from __future__ import annotations

import asyncio
from typing import Callable


class PanelTimers:
    """Timers keyed by what they wait for (("wait",), ("end",), ("dropout", player id))."""

    def __init__(self, post: Callable[..., None]):
        self._post = post              # the actor's `post`: run an item in the actor
        self._timers: dict[tuple, asyncio.TimerHandle] = {}
        self._stopped = False

    def arm(self, key: tuple, delay: float, fn: Callable, *args) -> None:
        self.cancel(key)
        self._timers[key] = asyncio.get_running_loop().call_later(max(0.0, delay), self._fire, key, fn, args)

    def cancel(self, key: tuple) -> None:
        t = self._timers.pop(key, None)
        if t is not None:
            t.cancel()

    def _fire(self, key: tuple, fn: Callable, args: tuple) -> None:
        self._timers.pop(key, None)
        if not self._stopped:
            self._post(fn, *args)

    def stop(self) -> None:
        self._stopped = True
        for t in self._timers.values():
            t.cancel()
        self._timers.clear()
