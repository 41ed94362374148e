"""A session's snapshot as JSON text, its firms' histories encoded only as they grow.

A snapshot (server/session_actor.py `_snapshot`) is the whole session: after every round at
1,000 players that was several MB of JSON encoded on the event loop (every firm's history
2.9 MB of 5.2 MB at round 4 of 500 firms, and growing by a round's worth each round:
docs/benchmarks.md, "The round's end at once"). A firm's history only grows: an entry,
once appended, is never changed (a reopened round cuts the list back, `reopen.restore`,
and the next close appends new entries). So each entry's text is kept and only the
entries appended since the last snapshot are encoded.

The text is exactly `dumps(session.to_dict())` (the same encoder, key by key, in the same
order: tests/test_snapshot_text.py compares them over played, reopened and restored
sessions). A cached entry is reused only while the firm's list still holds that very
object at that place (compared by identity), so a list cut back or replaced (a reopen, a
restore from a snapshot) is encoded anew.
"""
from __future__ import annotations

from typing import Any

from .store import dumps


class SnapshotText:
    """Per session: the text of each firm's history entries encoded so far."""

    def __init__(self):
        self._firms: dict[str, tuple[list, list[str]]] = {}   # firm -> (its entries, their texts)
        self.encoded = 0                                       # history entries encoded (the last call)

    def server(self, session: Any) -> str:
        """`dumps(session.to_dict())`, the histories' old entries not encoded again."""
        d = session.to_dict()
        return "{" + ",".join(f"{dumps(k)}:{self._history(v) if k == 'history' else dumps(v)}"
                              for k, v in d.items()) + "}"

    def _history(self, history: dict[str, list]) -> str:
        self.encoded = 0
        firms, self._firms = self._firms, {}
        parts = []
        for firm, entries in history.items():
            texts = self._entries(firms.get(firm), entries)
            self._firms[firm] = (list(entries), texts)
            parts.append(f"{dumps(firm)}:[{','.join(texts)}]")
        return "{" + ",".join(parts) + "}"

    def _entries(self, cached: tuple[list, list[str]] | None, entries: list) -> list[str]:
        kept: list[str] = []   # the texts still valid: the list still starts with those very entries
        n = 0
        if cached is not None:
            old, texts = cached
            if len(entries) >= len(old) and all(a is b for a, b in zip(old, entries)):
                kept, n = texts, len(old)
        new = [dumps(e) for e in entries[n:]]
        self.encoded += len(new)
        return kept + new if new else kept
