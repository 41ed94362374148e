"""A round's end as a delta: what changed in a player's view, not the whole view again.

    changes = diff(old, new)                  # {} when equal
    view = patch(view, changes)               # a new view; neither argument is changed
    changes = view_changes(held, touched, new)   # with_me(changes, held_me, me) for a player

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

Version 3: a round's results are not sent twice. The `round_result` that comes first
carries the round's events for the firm, and the firm's `history` grows by exactly those
events: a `round_delta` with `results: R` leaves them out of `append.history`
(`cite_results`), and the client puts them back from the `round_result` of round R it got
(`add_results`) before applying the changes; a client without it asks for a full view.
At 1,000 players this was half of each delta's bytes (1,601 of them).
"""
from __future__ import annotations

DELTA_VERSION = 3  # the changes' format (a `round_delta` carries it as `version`); 2: `items`; 3: `results`
DELTA_VERSIONS = (2, 3)  # the formats the server writes (a page cached before version 3 still gets deltas)

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


def diff(old: dict, new: dict, skip=(), memo: dict | None = None) -> dict:
    """The changes that turn `old` into `new` (both plain JSON-like dicts). Values that
    compare equal (==) are left alone; keys in `skip` are left out of both.

    `memo`: where a caller diffs many views built from shared parts (every firm's view
    holds the same rival: game_rules/views.py `firm_view`'s `shared`), the changes of a
    pair of top-level dicts already diffed, by identity (the pair is kept with them, so
    neither id is reused while the memo lives)."""
    # (each part of the changes is made when first needed, so that they come in the order
    # they are first needed, as ever: the encoded changes are the same bytes)
    out: dict = {}
    set_ = sub = append = items = None
    kept = 0  # keys of `new` that `old` has (when they are all of `old`'s, none is gone)
    for k, v in new.items():
        if k in skip:
            continue
        if k not in old:
            if set_ is None:
                set_ = out["set"] = {}
            set_[k] = v
            continue
        kept += 1
        o = old[k]
        # the same object is equal to itself (a float NaN aside: compared as ever); a part
        # shared by every view, or kept since the last one, costs nothing to leave alone
        if (o is v and type(v) is not float) or o == v:
            continue
        to = type(o)
        if to is dict and type(v) is dict:
            if sub is None:
                sub = out["sub"] = {}
            sub[k] = diff(o, v) if memo is None else _memo_diff(memo, o, v)
        elif to is list and type(v) is list and len(v) > len(o) and v[:len(o)] == o:
            if append is None:
                append = out["append"] = {}
            append[k] = v[len(o):]
        elif to is list and type(v) is list and len(o) == len(v) and _same_items(o, v):
            if items is None:
                items = out["items"] = {}
            items[k] = [[i, d] for i, (a, b) in enumerate(zip(o, v)) if (d := diff(a, b))]
        else:
            if set_ is None:
                set_ = out["set"] = {}
            set_[k] = v
    if kept < len(old) - (sum([k in old for k in skip]) if skip else 0):
        out["unset"] = [k for k in old if k not in new and k not in skip]
    return out


def _memo_diff(memo: dict, o: dict, v: dict) -> dict:
    hit = memo.get((id(o), id(v)))
    if hit is None or hit[0] is not o or hit[1] is not v:
        hit = memo[(id(o), id(v))] = (o, v, diff(o, v))
    return hit[2]


def _same_items(old: list, new: list) -> bool:
    """Lists of dicts, item by item the same thing (the same `id`, or none): changed in place, not reordered."""
    if len(old) != len(new):
        return False
    for a, b in zip(old, new):
        if type(a) is not dict or type(b) is not dict or a.get("id") != b.get("id"):
            return False
    return True


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


def cite_results(changes: dict, events: list) -> dict | None:
    """`changes` without the history's new items that are a round's results (`events`, as
    that round's `round_result` brought them), or None when the history does not grow by
    them first (or they are none)."""
    new = changes.get("append", {}).get("history")
    n = len(events)
    if not n or type(new) is not list or new[:n] != events:
        return None
    out = {k: v for k, v in changes.items() if k != "append"}
    append = {k: v for k, v in changes["append"].items() if k != "history"}
    if len(new) > n:
        append["history"] = new[n:]
    if append:
        out["append"] = append
    return out


def add_results(changes: dict, events: list) -> dict:
    """The changes a `round_delta` citing a round's results stands for: the results' events
    (its `round_result`'s) first among the history's new items (`cite_results` undone)."""
    if not isinstance(changes, dict) or not isinstance(events, list):
        raise PatchError("a round's results are a list of events")
    append = dict(changes.get("append", {}))
    append["history"] = [*events, *append.get("history", ())]
    return {**changes, "append": append}


def touched_by(push_type: str) -> tuple[str, ...]:
    return TOUCHES.get(push_type, ())


def view_changes(held: dict, touched: set[str] | frozenset[str], new: dict, memo: dict | None = None) -> dict:
    """The changes that turn the client's view (`held` with pushes folded that wrote only
    the keys in `touched`) into `new`: touched keys whole, the rest as their difference
    (`memo`: see `diff`)."""
    out = diff(held, new, touched, memo)
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
