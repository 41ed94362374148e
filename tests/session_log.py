"""Helpers for tests that play the pure session layer: the log rows its decided facts make
(as the server writes them, for `game_rules.replay`), and a refusal's check."""
from __future__ import annotations

import json

import pytest

from game_rules.scenario import MODEL_VERSION
from game_rules.session.step import Refused


def log_rows(logged, options: dict, session_id: str = "s1") -> list[dict]:
    """The log rows of `logged` (`Logged` notes, in order) after a `session_created` with
    `options`: each fact a `system` row followed by its engine events as `event` rows. The
    options name the model the rules played (`MODEL_VERSION`, as server/hub.py logs it for
    a new session) unless they name one: a log without it replays as model 1."""
    overrides = {"model_version": MODEL_VERSION, **(options.get("overrides") or {})}
    created = {"scenario": "classic", "title": "t", "options": {**options, "overrides": overrides}}
    out = [{"session_id": session_id, "seq": 0, "kind": "system", "type": "session_created", "data": created}]
    for e in logged:
        out.append({"session_id": session_id, "seq": len(out), "kind": "system", "type": e.fact.type,
                    "data": json.loads(json.dumps(e.fact.to_data()))})
        out += [{"session_id": session_id, "seq": len(out) + i, "kind": "event", "type": ev["type"],
                 "data": json.loads(json.dumps(ev))} for i, ev in enumerate(e.caused)]
    return out


def refused(code: str, fn, *args, **kw) -> str:
    """`fn(*args, **kw)` is refused with `code`; its message."""
    with pytest.raises(Refused) as e:
        fn(*args, **kw)
    assert e.value.code == code, e.value
    return e.value.message
