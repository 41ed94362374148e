"""Which view each socket holds, and the `round_delta` that brings it to the new one.

Every view a socket is sent goes through `Holdings.hold` (server/fanout.py): the socket's
count of views (`views`, which the client counts too: a `round_delta`'s `base`) and, for a
player, the view's firm part and `me` (the same dicts the full view was encoded from, so
a firm's members share one). Every push a player may fold marks the view keys it may have
written (`touch`, by scope: a firm, a player, or everyone), with a tick. After a round,
`changes` turns what a socket holds into the new view: the keys touched since its view
whole, the rest as a difference (game_rules/session/deltas.py). A firm's members who hold
the same view and were touched alike get the same changes, computed and encoded once.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from game_rules.session.deltas import touched_by, view_changes, with_me

if TYPE_CHECKING:
    from .connection import Connection

EVERYONE = "*"


@dataclass(slots=True)
class Held:
    """A player socket's last view: its firm part, `me`, its firm then, and the tick it was sent at."""
    part: dict
    me: dict
    firm: str
    tick: int


class Holdings:
    def __init__(self):
        self.tick = 0
        self.touched: dict[str, dict[str, int]] = {}   # scope -> view key -> tick of the last push that may write it
        self._changes: dict[tuple, tuple] = {}         # (firm, id(held part), touched keys) -> (part, changes), for one `views`
        self._diffs: dict[tuple, tuple] = {}           # shared parts' changes (`diff`'s memo), for one `views`
        self.results: dict[str, tuple[int, list]] = {}  # firm -> (round, events) of the last `round_result` it was told
        self.cited: dict[int, tuple] = {}               # id(changes) -> (changes, citing ones or None), for one `views`

    def touch(self, scope: str, push_type: str) -> None:
        """A push of `push_type` went to `scope` (a firm id, a player id, or EVERYONE)."""
        keys = touched_by(push_type)
        if keys:
            self.tick += 1
            marks = self.touched.setdefault(scope, {})
            for k in keys:
                marks[k] = self.tick

    def hold(self, conn: "Connection", part: dict | None = None, me: dict | None = None, firm: str | None = None) -> None:
        """`conn` is sent a view (a player's: its firm part and `me`; the facilitator's: none)."""
        conn.views += 1
        conn.held = Held(part, me, firm, self.tick) if part is not None else None

    def touched_since(self, held: Held, pid: str, firm: str) -> frozenset[str]:
        keys = set()
        for scope in {firm, held.firm, pid, EVERYONE}:
            for k, t in self.touched.get(scope, {}).items():
                if t > held.tick:
                    keys.add(k)
        return frozenset(keys)

    def changes(self, conn: "Connection", pid: str, firm: str, part: dict, me: dict) -> tuple[dict, bool]:
        """The changes that bring `conn`'s view to `{**part, "me": me}`, and whether they are
        the same for every socket that holds the same firm part and was touched alike (its
        `me` did not change)."""
        held = conn.held
        touched = self.touched_since(held, pid, firm)
        key = (firm, id(held.part), touched)
        hit = self._changes.get(key)
        if hit is None or hit[0] is not held.part:  # (the part is kept with it: its id stays its own)
            hit = self._changes[key] = (held.part, view_changes(held.part, touched, part, self._diffs))
        out = hit[1]
        return with_me(out, held.me, me), held.me == me

    def done(self) -> None:
        """One round of views is out: forget the changes computed for it. The memos hold the
        last references to the views the sockets held before (500 firms' parts at 1,000
        players: ~3 ms to free, 8% of a round's views): they are freed after the delivery of
        the views being handed over now (two turns of the loop later: that delivery is queued
        behind this item, or waits for the commit), not before it."""
        old = (self._changes, self._diffs, self.cited)
        self._changes, self._diffs, self.cited = {}, {}, {}
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:   # (no loop: a pure caller)
            return
        loop.call_soon(loop.call_soon, _free, old)


def _free(_memos) -> None:
    """(the memos go when this callback's arguments do)"""
