"""The server's side of online panels (docs/research.md, "A full online study"): timers
and who is online.

What a panel decides (the waiting room's group forms or fails, a dropout is replaced by a
bot and takes their seat back, the session ends after the debrief) is pure:
game_rules/session/panel.py. Here live the timers: `loop.call_later` posting an item to the
session actor's queue (like the phase clock), armed from deadlines kept in the session's
state, so a restart re-arms them; and the one thing the pure layer cannot know, whether a
participant is online.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

from game_rules.session import panel

from .protocol import ProtocolError


class PanelRoom:
    """A session actor's panel (`live`: the actor; `cfg`: its `panel` option, or None)."""

    def __init__(self, live: Any):
        self.live = live
        self.cfg: dict | None = live.options.get("panel")
        self._timers: dict[tuple, asyncio.TimerHandle] = {}  # ("wait",), ("end",), ("dropout", player id)
        self._stopped = False

    def is_open(self) -> bool:
        """May a new person be seated in this group (its waiting room is open)?"""
        return panel.is_open(self.live._step())

    def admit(self) -> None:
        """Before a new person is seated: a panel group that started, failed or is full
        takes nobody (the hub then seats them in the study's next group)."""
        if self.cfg is not None and not self.is_open():
            raise ProtocolError("group_closed", "this group has started or is full; join again with the "
                                                "study link for the next group")

    def completion_of(self, player_id: str) -> dict:
        """`GET /api/completion` for a live session."""
        s = self.live.session
        if player_id in s.completions:
            return s.completions[player_id]
        waiting = self.cfg is not None and s.state.phase == "lobby"
        return {"player_id": player_id, "status": "waiting" if waiting else "playing", "code": None,
                "redirect_url": None}

    # ---- who is online -------------------------------------------------------------------------

    def disconnected(self, player_id: str) -> None:
        """The player's last socket closed: a dropout if they stay away `dropout_seconds`."""
        if panel.may_drop(self.live._step(), player_id):
            self._arm(("dropout", player_id), self.cfg["dropout_seconds"], self._dropout, player_id, time.time())

    def _dropout(self, player_id: str, since: float) -> None:
        if not self.live.conns.get(player_id):
            panel.dropout(self.live._step(), player_id, since)

    def connected(self, player_id: str) -> None:
        self._cancel(("dropout", player_id))
        panel.returned(self.live._step(), player_id)  # a dropout takes their seat back

    # ---- timers --------------------------------------------------------------------------------

    def arm(self, what: str) -> None:
        """A step's `Arm` note: "panel_wait", "panel_end", or "dropouts" (everyone seated
        and offline now starts a dropout wait)."""
        s, now = self.live.session, time.time()
        if what == "panel_wait":
            self._arm(("wait",), s.panel["deadline"] - now, lambda: panel.waited(self.live._step()))
        elif what == "panel_end":
            self._arm(("end",), s.panel["end_at"] - now, lambda: panel.closing(self.live._step()))
        else:
            for pid in list(s.players):
                if not self.live.conns.get(pid):
                    self.disconnected(pid)

    def arm_all(self) -> None:
        """When the actor starts (also after a restart): every deadline in the state gets its timer."""
        s = self.live.session
        if self.cfg is None or s.status != "live":
            return
        if s.state.phase == "lobby" and s.panel["deadline"] is not None and s.panel["formed"] is None:
            self.arm("panel_wait")
        if s.panel["end_at"] is not None:
            self.arm("panel_end")
        self.arm("dropouts")

    def _arm(self, key: tuple, delay: float, fn: Callable, *args) -> None:
        self._cancel(key)
        self._timers[key] = asyncio.get_running_loop().call_later(max(0.0, delay), self._fire, key, fn, args)

    def _cancel(self, key: tuple) -> None:
        t = self._timers.pop(key, None)
        if t is not None:
            t.cancel()

    def _fire(self, key: tuple, fn: Callable, args: tuple) -> None:
        self._timers.pop(key, None)
        if not self._stopped:
            self.live.post(fn, *args)

    def stop(self) -> None:
        self._stopped = True
        for t in self._timers.values():
            t.cancel()
        self._timers.clear()
