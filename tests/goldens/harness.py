"""Playthrough goldens: a script of commands in, the facts and each party's view out.

A *script* (`<name>.script.json`) names a session's options and a list of steps; a step is
one of
    {"join": PARTY, "name": NAME}                      a player joins (the server seats it)
    {"as": PARTY, "send": {"type": ..., ...}}          a party sends a live-protocol command
    {"as": "facilitator", "send": {"type": "control", "action": ...}}
PARTY is a name the script chooses ("facilitator" is the session's facilitator).

A *transcript* (`<name>.transcript.json`) is what playing it produced, step by step:
    reply   the command's `ack` or `error`
    facts   the log rows it added that change or describe the game (kinds system, event,
            chat), in log order: kind, type, actor, firm, round, data
    pushes  per party, the messages it was pushed, in the order it got them
    views   per party, how its full view changed (path -> new value; `<removed>`)

Neither format mentions sockets: a driver (tests/goldens/live.py drives the real server
over the live protocol) turns steps into whatever the transport needs and reports what
each party was told, so a pure `decide`/`evolve` driver can later play the same scripts
against the same transcripts.

What is normalized, and why (nothing else is):
- identifiers and secrets the server draws at random (session id, join code, tokens and
  their hashes, player ids, rejoin codes) and the server's address: replaced by
  `<what:party>` names, wherever they occur (also inside strings such as join links);
- wall-clock values (keys in TIME_KEYS) and a clock's `remaining` seconds: they depend on
  when the step ran; `<time>` / `<remaining>` (whether a clock runs, and its deadline's
  existence, stay). A number that still looks like a current Unix time after this fails
  the recording, so a new time field cannot slip in as flakiness;
- the facilitator's `status` pushes (coalesced on a timer, `status_every`: how many
  arrive depends on timing) and the socket `seq` of every message and reply (it counts
  those pushes); the facilitator's full view after each step covers what `status` says;
- log bookkeeping that is not a fact: rows of kinds command/control (the script is the
  commands; the reply is recorded) and connection, and each row's id, seq, times.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

HERE = Path(__file__).resolve().parent
FACT_KINDS = ("system", "event", "chat")
FACT_FIELDS = ("kind", "type", "actor", "firm", "round", "data")
TIME_KEYS = frozenset({"wall_time", "mono_time", "client_time", "server_time", "time", "joined_at", "removed_at",
                       "deadline", "created_at", "ended_at", "at", "disconnected_at", "end_at", "started_at"})
DROPPED_PUSHES = frozenset({"status"})
REMOVED = "<removed>"
_EPOCH = (1.0e9, 4.0e9)  # 2001 .. 2096: a number in here is a wall-clock time


class Driver(Protocol):
    """What a transport must offer to play a script (tests/goldens/live.py: the real server)."""

    async def create(self, options: dict) -> dict: ...          # the create reply

    async def join(self, party: str, name: str) -> dict: ...    # the join reply

    async def send(self, party: str, message: dict) -> dict: ...  # the ack or error

    async def settle(self) -> dict:
        """After a step: {"facts": [new log rows], "pushes": {party: [messages]},
        "views": {party: full view}} (everything the step caused, delivered)."""
        ...

    def aliases(self) -> dict[str, str]:
        """Random value -> stable name (`<token:ana>`), for normalization."""
        ...


def load_script(name: str) -> dict:
    return json.loads((HERE / f"{name}.script.json").read_text(encoding="utf-8"))


def transcript_path(name: str) -> Path:
    return HERE / f"{name}.transcript.json"


def script_names() -> list[str]:
    return sorted(p.name[:-len(".script.json")] for p in HERE.glob("*.script.json"))


async def play(script: dict, driver: Driver) -> dict:
    """Play `script` through `driver`; the normalized transcript."""
    steps = []
    seen: dict[str, Any] = {}  # party -> its last (normalized) full view
    created = await driver.create(script["session"])
    steps.append(await _observe(driver, {"create": script["session"]}, created, seen))
    for i, step in enumerate(script["steps"], 1):
        if "join" in step:
            reply = await driver.join(step["join"], step["name"])
        else:
            reply = await driver.send(step["as"], {**step["send"], "id": f"step-{i}"})
        steps.append(await _observe(driver, step, reply, seen))
    return {"script": script.get("title", ""), "steps": steps}


async def _observe(driver: Driver, step: dict, reply: dict, seen: dict) -> dict:
    out = await driver.settle()
    norm = Normalizer(driver.aliases())
    record: dict[str, Any] = {"do": step, "reply": norm({k: v for k, v in reply.items() if k != "seq"})}
    record["facts"] = [norm({k: row[k] for k in FACT_FIELDS}) for row in out["facts"] if row["kind"] in FACT_KINDS]
    pushes, views = {}, {}
    for party in sorted(out["views"]):
        before = seen.get(party, {})
        got = []
        for m in out["pushes"].get(party, []):
            if m["type"] in DROPPED_PUSHES:
                continue
            m = norm({k: v for k, v in m.items() if k != "seq"})
            if m["type"] == "view":  # a full view: what changed against the last step's
                m = {**m, "view": delta(before, m["view"])}
            got.append(m)
        if got:
            pushes[party] = got
        now = norm(out["views"][party])
        changed = delta(before, now)
        if changed:
            views[party] = changed
        seen[party] = now
    record["pushes"], record["views"] = pushes, views
    return record


class Normalizer:
    """Replace per-run values (see the module's docstring) in a decoded message or row."""

    def __init__(self, aliases: dict[str, str]):
        self.aliases = aliases
        known = sorted((a for a in aliases if a), key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(a) for a in known)) if known else None

    def __call__(self, v: Any, path: str = "") -> Any:
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                k2 = self._text(k) if isinstance(k, str) else k
                if k in TIME_KEYS and isinstance(x, (int, float)) and not isinstance(x, bool):
                    out[k2] = "<time>"
                elif k == "remaining" and isinstance(x, (int, float)):
                    out[k2] = "<remaining>"
                else:
                    out[k2] = self(x, f"{path}.{k}")
            return out
        if isinstance(v, list):
            return [self(x, f"{path}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, str):
            return self._text(v)
        if isinstance(v, float) and _EPOCH[0] <= v <= _EPOCH[1]:
            raise ValueError(f"{path}: {v} looks like a wall-clock time; add its key to TIME_KEYS "
                             f"(tests/goldens/harness.py) if it legitimately changes per run")
        return v

    def _text(self, s: str) -> str:
        if self._pattern is None:
            return s
        if s in self.aliases:
            return self.aliases[s]
        return self._pattern.sub(lambda m: self.aliases[m.group(0)], s)


def delta(old: Any, new: Any, path: str = "") -> dict[str, Any]:
    """What changed from `old` to `new`: flat path -> new value (REMOVED when gone)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: dict[str, Any] = {}
        for k in list(old) + [k for k in new if k not in old]:
            p = f"{path}.{k}" if path else str(k)
            if k not in new:
                out[p] = REMOVED
            elif k not in old:
                out[p] = new[k]
            else:
                out.update(delta(old[k], new[k], p))
        return out
    if isinstance(old, list) and isinstance(new, list) and old and new:
        out = {}
        for i in range(max(len(old), len(new))):
            p = f"{path}[{i}]"
            if i >= len(new):
                out[p] = REMOVED
            elif i >= len(old):
                out[p] = new[i]
            else:
                out.update(delta(old[i], new[i], p))
        return out
    return {} if old == new and type(old) is type(new) else {path or "$": new}


def first_difference(expected: Any, actual: Any, path: str = "$") -> str | None:
    """A readable account of the first place two transcripts differ, or None."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k in list(expected) + [k for k in actual if k not in expected]:
            if k not in actual:
                return f"{path}.{k}: missing now (recorded: {_short(expected[k])})"
            if k not in expected:
                return f"{path}.{k}: new (now: {_short(actual[k])})"
            d = first_difference(expected[k], actual[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        for i, (e, a) in enumerate(zip(expected, actual)):
            d = first_difference(e, a, f"{path}[{i}]")
            if d:
                return d
        if len(expected) != len(actual):
            return f"{path}: {len(expected)} item(s) recorded, {len(actual)} now"
        return None
    if expected != actual or type(expected) is not type(actual):
        return f"{path}: recorded {_short(expected)}, now {_short(actual)}"
    return None


def _short(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False, sort_keys=True)
    return s if len(s) <= 300 else s[:300] + "..."


def dump(transcript: dict) -> str:
    return json.dumps(transcript, indent=1, ensure_ascii=False) + "\n"
