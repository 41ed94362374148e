"""The answers of applied commands, for idempotent re-sends: (principal, command id) -> the
ack as logged (JSON text). A re-sent id gets the original ack and is never applied twice.

Memory is bounded: only the last `per_principal` ids of each principal (player or
facilitator) are kept in memory. Clients re-send only what is still unanswered (a handful
of ids), so nearly every re-send is answered from memory; an older id is looked up in the
event log (`lookup`), which holds every ack. The lookup only runs for principals that have
had ids dropped, so a session's memory no longer grows with every command it ever took.
"""
from __future__ import annotations

from typing import Callable


class ReplyCache:
    def __init__(self, per_principal: int = 64,
                 lookup: Callable[[str, str], str | None] | None = None):
        self.per_principal = max(1, per_principal)
        self.lookup = lookup
        self._by: dict[str, dict[str, str]] = {}   # principal -> {id: reply}, oldest first
        self._spilled: set[str] = set()            # principals with ids only in the log

    def get(self, principal: str, id: str) -> str | None:
        recent = self._by.get(principal)
        if recent is not None:
            hit = recent.get(id)
            if hit is not None:
                return hit
        if principal in self._spilled and self.lookup is not None:
            return self.lookup(principal, id)
        return None

    def put(self, principal: str, id: str, reply: str) -> None:
        recent = self._by.get(principal)
        if recent is None:
            recent = self._by[principal] = {}
        recent[id] = reply
        if len(recent) > self.per_principal:
            del recent[next(iter(recent))]
            self._spilled.add(principal)

    def __len__(self) -> int:
        return sum(len(d) for d in self._by.values())
