"""When a session's snapshot is taken: a while after it falls due, not at once.

A snapshot is only a restore accelerator (server/session_actor.py): every fact is durable
in the log before its command is acknowledged, and a restart folds the facts logged after
the latest snapshot. So a snapshot may wait. It falls due after a new round or phase, or
after `snapshot_every` log records; it is then taken `snapshot_quiet_seconds` later, in an
actor item of its own. Taken at once, it was the largest cost at a round's end: at 1,000
players the whole session (every firm's history, the round's undo record: several MB of
JSON) was copied and encoded right behind the round's thousand pushes, on the same event
loop, while the players' devices read them and sent their first commands of the new round
(docs/benchmarks.md, "The round's end at once").
"""
from __future__ import annotations

import asyncio
from typing import Any


class SnapshotTimer:
    def __init__(self, actor: Any, quiet_seconds: float):
        self.actor = actor                      # the session actor (`_snapshot`, `post`)
        self.quiet = quiet_seconds
        self._timer: asyncio.TimerHandle | None = None
        self._posted = False

    def due(self) -> None:
        """A snapshot fell due (a new round or phase, or many records): take it later."""
        if self._timer is not None or self._posted:
            return
        self._timer = asyncio.get_running_loop().call_later(self.quiet, self._fire)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        self._timer = None
        if not self.actor._stopping:
            self._posted = True
            self.actor.post(self._take)

    def _take(self) -> None:
        """In the actor: the snapshot of the session as it is now (if none was taken since)."""
        a = self.actor
        if a.fanout.building and not a._stopping:
            # not between a round's results and its last views: the snapshot's commit would hold
            # the views built after it (they leave after the commits before them)
            a.post(self._take)
            return
        self._posted = False
        if a._round_dirty or a._since_snapshot >= a.cfg.snapshot_every:
            a._snapshot()
