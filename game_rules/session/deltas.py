"""A round's end as a delta: what changed in a player's view, not the whole view again.

    changes = diff(old, new)                  # {} when equal
    view = patch(view, changes)               # a new view; neither argument is changed
    changes = view_changes(held, held_me, touched, new, new_me)

Both views come from game_rules/session/views.py (the one place a per-party view is
built): a delta only ever carries keys and values of the recipient's *new* full view,
so it can tell nothing the full view would not (tests/test_view_deltas.py checks it).

The client holds the view it was last sent (`held`, a full view or the last delta's
result) with the pushes it folded since (clients/python/view_fold.py). A push only
writes the view keys `TOUCHES` names for its type; `touched` is the set of keys a push
sent to this player since `held` may have written. Those keys are sent whole (the
client's copy may differ from `held`); every other key is still exactly `held`'s, so
only its difference to the new view is sent. Applying the changes to the client's view
gives exactly the new view (tests/test_view_deltas.py, over whole bot sessions).

The changes' shape (the web client's clients/web/js/viewfold.js applies the same):
`{"set": {key: value}, "unset": [key], "append": {key: [items]}, "sub": {key: changes},
"items": {key: [[index, changes], ...]}}`, each part present only when not empty; `sub` is
a nested dict's own changes, `append` the new items of a list that only grew (a round's
history, a chat channel), `items` the own changes of the items that changed in a list of
dicts of the same length and the same ids (a firm's alliances: a round changes their
trust, tranches and estimates, not their terms, which were sent whole before version 2).
"""
from __future__ import annotations

DELTA_VERSION = 2  # the changes' format (a `round_delta` carries it as `version`); 2: `items`

#: push type -> the keys of a player's view it may write (clients/python/view_fold.py FOLDS)
TOUCHES: dict[str, tuple[str, ...]] = {
    "draft": ("draft",),
    "ack": ("draft",),
    "submitted": ("submitted", "practice"),
    "chat": ("chat",),
    "clock": ("clock",),
    "negotiation": ("negotiations",),
    "announcement": ("announcements",),
    "status": ("status",),
    "selection": ("selection",),
    "session_ended": ("session",),
}


class PatchError(ValueError):
    """The changes do not fit the view they were applied to (it is not the view they were
    made for): the client asks for a full view (`resync`)."""


def diff(old: dict, new: dict) -> dict:
    """The changes that turn `old` into `new` (both plain JSON-like dicts). Values that
    compare equal (==) are left alone."""
    out: dict = {}
    for k, v in new.items():
        if k not in old:
            out.setdefault("set", {})[k] = v
            continue
        o = old[k]
        if o == v:
            continue
        if type(o) is dict and type(v) is dict:
            out.setdefault("sub", {})[k] = diff(o, v)
        elif type(o) is list and type(v) is list and len(v) > len(o) and v[:len(o)] == o:
            out.setdefault("append", {})[k] = v[len(o):]
        elif type(o) is list and type(v) is list and _same_items(o, v):
            out.setdefault("items", {})[k] = [[i, d] for i, (a, b) in enumerate(zip(o, v)) if (d := diff(a, b))]
        else:
            out.setdefault("set", {})[k] = v
    gone = [k for k in old if k not in new]
    if gone:
        out["unset"] = gone
    return out


def _same_items(old: list, new: list) -> bool:
    """Lists of dicts, item by item the same thing (the same `id`, or none): changed in place, not reordered."""
    return len(old) == len(new) and all(type(a) is dict and type(b) is dict and a.get("id") == b.get("id")
                                        for a, b in zip(old, new))


def patch(view: dict, changes: dict) -> dict:
    """`view` with `changes` applied (a PatchError if they do not fit it)."""
    if not isinstance(view, dict) or not isinstance(changes, dict):
        raise PatchError("changes apply to a dict")
    out = dict(view)
    for k in changes.get("unset", ()):
        out.pop(k, None)
    for k, v in changes.get("set", {}).items():
        out[k] = v
    for k, items in changes.get("append", {}).items():
        if not isinstance(out.get(k), list):
            raise PatchError(f"{k}: not a list to append to")
        out[k] = [*out[k], *items]
    for k, sub in changes.get("sub", {}).items():
        if not isinstance(out.get(k), dict):
            raise PatchError(f"{k}: not a dict to change")
        out[k] = patch(out[k], sub)
    for k, items in changes.get("items", {}).items():
        out[k] = _patch_items(out.get(k), k, items)
    return out


def _patch_items(held, key: str, items) -> list:
    if not isinstance(held, list) or not isinstance(items, list):
        raise PatchError(f"{key}: not a list to change item by item")
    out = list(held)
    for pair in items:
        if not (isinstance(pair, list) and len(pair) == 2 and type(pair[0]) is int and 0 <= pair[0] < len(out)):
            raise PatchError(f"{key}: an item change is [index, changes] with an index of the list")
        out[pair[0]] = patch(out[pair[0]], pair[1])
    return out


def touched_by(push_type: str) -> tuple[str, ...]:
    return TOUCHES.get(push_type, ())


def view_changes(held: dict, touched: set[str] | frozenset[str], new: dict) -> dict:
    """The changes that turn the client's view (`held` with pushes folded that wrote only
    the keys in `touched`) into `new`: touched keys whole, the rest as their difference."""
    out = diff({k: v for k, v in held.items() if k not in touched}, {k: v for k, v in new.items() if k not in touched})
    for k in touched:
        if k in new:
            out.setdefault("set", {})[k] = new[k]
        else:
            out.setdefault("unset", []).append(k)
    return out


def with_me(changes: dict, held_me: dict, me: dict) -> dict:
    """A player's changes: its firm's (`changes`) and those of its own part, `me`."""
    if held_me == me:
        return changes
    return {**changes, "sub": {**changes.get("sub", {}), "me": diff(held_me, me)}}


def saves(changes: dict, new: dict) -> bool:
    """Whether the changes are worth sending instead of the full view: not when they set
    every key of it anyway."""
    return not new.keys() <= changes.get("set", {}).keys()
