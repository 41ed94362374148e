"""The answers of applied commands, for idempotent re-sends: (principal, command id) -> the
ack as logged (JSON text). A re-sent id gets the original ack and is never applied twice.

Memory is bounded: only the last `per_principal` ids of each principal (player or
facilitator) are kept in memory. Clients re-send only what is still unanswered (a handful
of ids), so nearly every re-send is answered from memory; an older id is looked up in the
event log (`lookup`), which holds every ack. The lookup only runs for principals that have
had ids dropped, so a session's memory no longer grows with every command it ever took.

Once a principal has had ids dropped, every *new* id of theirs (nearly every command) would
be looked up too: an SQLite read on the event loop per command for the rest of the class
(after 64 commands of a player). So every id dropped from memory is added to `IdFilter`, a
Bloom filter (about 3 bytes per id, no false negatives): an id it has never seen is new, with no read;
the 1-3% of new ids it mistakes for old ones are looked up, as before.
"""
from __future__ import annotations

from typing import Callable


class IdFilter:
    """A scalable Bloom filter of (principal, id) pairs: `add`, and `may_hold` (False: never
    added; True: added, or rarely (~1%) a pair that was not). Kept in memory only (Python's
    `hash` of text differs between processes): a restore adds every logged id again. When a
    layer is full a new one for as many ids as all before it is added, with 2 bits per id
    more than the one before (10, 12, 14, ...; 4 probes: ~1.2%, 0.8%, 0.5% false positives
    when full), so the false positives of all layers together stay near 3% (measured: 2.9%
    at a million ids, ~3 bytes per id)."""

    __slots__ = ("_layers", "_count", "_capacity")
    PROBES = 4  # `may_hold` has them unrolled
    BITS_PER_ID = 10  # of the first layer

    def __init__(self, capacity: int = 4096):
        self._layers: list[tuple[bytearray, int]] = []  # (bits, number of bits) per layer
        self._count = 0
        self._capacity = 0
        self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        bits = capacity * (self.BITS_PER_ID + 2 * len(self._layers))
        self._layers.append((bytearray((bits + 7) // 8), bits))
        self._capacity += capacity

    @staticmethod
    def _hashes(principal: str, id: str) -> tuple[int, int]:
        h = hash((principal, id)) & 0xFFFFFFFFFFFFFFFF
        return h & 0xFFFFFFFF, (h >> 32) | 1

    def add(self, principal: str, id: str) -> None:
        if self._count >= self._capacity:
            self._grow(self._capacity)  # the new layer: as many ids as all before it
        self._count += 1
        bits, m = self._layers[-1]
        h1, h2 = self._hashes(principal, id)
        for i in range(self.PROBES):
            b = (h1 + i * h2) % m
            bits[b >> 3] |= 1 << (b & 7)

    def may_hold(self, principal: str, id: str) -> bool:
        h1, h2 = self._hashes(principal, id)
        for bits, m in self._layers:  # the probes unrolled: this runs for nearly every command
            b = h1 % m
            if not bits[b >> 3] >> (b & 7) & 1:
                continue
            b = (h1 + h2) % m
            if not bits[b >> 3] >> (b & 7) & 1:
                continue
            b = (h1 + 2 * h2) % m
            if not bits[b >> 3] >> (b & 7) & 1:
                continue
            b = (h1 + 3 * h2) % m
            if bits[b >> 3] >> (b & 7) & 1:
                return True
        return False

    def __len__(self) -> int:
        return self._count

    def nbytes(self) -> int:
        return sum(len(bits) for bits, _ in self._layers)


class ReplyCache:
    def __init__(self, per_principal: int = 64,
                 lookup: Callable[[str, str], str | None] | None = None):
        self.per_principal = max(1, per_principal)
        self.lookup = lookup
        self._by: dict[str, dict[str, str]] = {}   # principal -> {id: reply}, oldest first
        self._spilled: set[str] = set()            # principals with ids only in the log
        self._dropped = IdFilter()                 # every id dropped from memory: the others need no lookup
        self.lookups = 0                           # reads of the log (a metric; tests)

    def get(self, principal: str, id: str) -> str | None:
        recent = self._by.get(principal)
        if recent is not None:
            hit = recent.get(id)
            if hit is not None:
                return hit
        if principal in self._spilled and self.lookup is not None and self._dropped.may_hold(principal, id):
            self.lookups += 1
            return self.lookup(principal, id)
        return None

    def put(self, principal: str, id: str, reply: str) -> None:
        recent = self._by.get(principal)
        if recent is None:
            recent = self._by[principal] = {}
        recent[id] = reply
        if len(recent) > self.per_principal:
            oldest = next(iter(recent))
            del recent[oldest]
            self._dropped.add(principal, oldest)
            self._spilled.add(principal)

    def __len__(self) -> int:
        return sum(len(d) for d in self._by.values())
