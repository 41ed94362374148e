"""Fold the server's pushes into the full view they follow: one pure function for every
Python client (`GameClient` keeps its `view` with it; the live bots, the facilitator tool
and the load tools read that view).

    view = apply(view, push)      # a new view; neither argument is changed
    view = apply(view, delta, result)   # a round_delta citing its round's results (`results`):
                                        # the round_result of that round this socket got

The shapes are those of game_rules/session/views.py: a player's view (it has `me`: its
firm's draft, submitted decision, clock, negotiations as a list, the latest announcements)
and the facilitator's (`status` and no `me`: every firm's draft, the clock inside the
status, negotiations by id). `FOLDS` is the table of push types; the web pages' fold
(clients/web/js/viewfold.js) follows the same table, and tests/test_view_fold.py checks
both against the views the server builds. A push type not in the table (ack, error,
welcome, round_result, completion) leaves the view as it is; a `view` push replaces it, and
a `round_delta` (after a round) changes it into the new round's view
(game_rules/session/deltas.py `patch`): a `PatchError` if its changes do not fit, when the
client must ask for a full view (`resync`, as `GameClient` does; it also checks the
delta's `base` against the views it counted, `delta_fits`). A delta of version 3 may cite its
round's results (`results: R`) instead of repeating them: the fold is given the `round_result`
of round R the socket got (a `PatchError` without it).
The one reply folded is the ack of the player's own draft (the server pushes a draft to the
sender's teammates only, and the ack carries the firm's draft as merged).
"""
from __future__ import annotations

from typing import Callable

from game_rules.decisions import merge_draft
from game_rules.session.deltas import DELTA_VERSION, PatchError, add_results, patch
from game_rules.session.state import CHAT_KEEP  # a view's chat lines per channel, unless it says `chat_keep`

#: a player's view carries this many announcements (game_rules/session/views.py ANNOUNCEMENTS_SHOWN)
ANNOUNCEMENTS_SHOWN = 20

CHAT_FIELDS = ("channel", "sender", "sender_name", "firm", "text", "time")
ANNOUNCEMENT_FIELDS = ("text", "event", "time")
CLOCK_FIELDS = ("running", "remaining", "deadline")


def is_facilitator(view: dict) -> bool:
    return "status" in view and "me" not in view


def _own_firm(view: dict, firm: str | None) -> bool:
    return (view.get("firm") or {}).get("id") == firm


def _draft(v: dict, m: dict) -> dict:
    # a draft push carries the change only: fold it into the draft held
    if is_facilitator(v):
        drafts = dict(v.get("drafts") or {})
        drafts[m["firm"]] = merge_draft(drafts.get(m["firm"]) or {}, m["changed"])
        return {**v, "drafts": drafts}
    if _own_firm(v, m["firm"]):
        return {**v, "draft": merge_draft(v.get("draft") or {}, m["changed"])}
    return v


def _ack(v: dict, m: dict) -> dict:
    # the reply to the player's own draft: the firm's draft as merged (its teammates get a
    # `draft` push; the sender is not pushed its own change)
    result = m.get("result")
    if m.get("duplicate"):
        return v  # a re-sent command's original answer: its draft is no longer news
    if "me" in v and isinstance(result, dict) and isinstance(result.get("draft"), dict):
        return {**v, "draft": result["draft"]}
    return v


def _submitted(v: dict, m: dict) -> dict:
    if is_facilitator(v) or not _own_firm(v, m["firm"]):
        return v  # the facilitator learns who submitted from its status
    if m.get("practice"):  # round 0, the practice round: its own record, never the real round's
        p = v.get("practice")
        return {**v, "practice": {**p, "submitted": {"by": m["by"], "decision": m["decision"]}}} if isinstance(p, dict) else v
    return {**v, "submitted": {"by": m["by"], "decision": m["decision"], "source": "submitted"}}


def _chat(v: dict, m: dict) -> dict:
    chat = dict(v.get("chat") or {})
    lines = [*chat.get(m["channel"], ()), {k: m[k] for k in CHAT_FIELDS if k in m}]
    keep = v.get("chat_keep", CHAT_KEEP)
    # a full view holds a channel's last lines: the fold keeps as many, so a long class's
    # folded view stays the one the server would send
    chat[m["channel"]] = lines[-keep:] if isinstance(keep, int) and keep > 0 else lines
    return {**v, "chat": chat}


def _clock(v: dict, m: dict) -> dict:
    clock = {k: m.get(k) for k in CLOCK_FIELDS}
    if is_facilitator(v):
        return {**v, "status": {**(v.get("status") or {}), "clock": clock}}
    return {**v, "clock": clock}


def _negotiation(v: dict, m: dict) -> dict:
    n = m["negotiation"]
    negs = v.get("negotiations")
    if isinstance(negs, dict):      # the facilitator's: by id, the public record
        return {**v, "negotiations": {**negs, n["id"]: n}}
    negs = list(negs or ())         # a player's: a list, each with what only full views carry
    for i, old in enumerate(negs):
        if old.get("id") == n["id"]:
            negs[i] = {**old, **n}  # keeps the partner's name and the default terms
            break
    else:
        negs.append(n)
    return {**v, "negotiations": negs}


def _announcement(v: dict, m: dict) -> dict:
    shown = [*(v.get("announcements") or ()), {k: m.get(k) for k in ANNOUNCEMENT_FIELDS}]
    if not is_facilitator(v):
        shown = shown[-ANNOUNCEMENTS_SHOWN:]
    return {**v, "announcements": shown}


def _status(v: dict, m: dict) -> dict:
    return {**v, "status": m["status"]}


def _selection(v: dict, m: dict) -> dict:
    return {**v, "selection": m["selection"]} if "selection" in m else v


def _renegotiation(v: dict, m: dict) -> dict:
    return {**v, "renegotiation": m["renegotiation"]}  # a firm's or the facilitator's view of the window


def _session_ended(v: dict, m: dict) -> dict:
    if not isinstance(v.get("session"), dict):
        return v
    return {**v, "session": {**v["session"], "status": "ended"}}


def _round_delta(v: dict, m: dict, result: dict | None = None) -> dict:
    # the new round's view as the changes to the one held (the `base` is checked by the client);
    # `result`: the round_result of the round the delta cites (`results`), whose events it left out
    if m.get("version") != DELTA_VERSION:
        raise PatchError(f"round_delta version {m.get('version')!r}: this client reads {DELTA_VERSION}")
    changes = m["changes"]
    if m.get("results") is not None:
        if not isinstance(result, dict) or result.get("round") != m["results"]:
            raise PatchError(f"round_delta cites the results of round {m['results']!r}, not got")
        changes = add_results(changes, result.get("events"))
    return patch(v, changes)


def delta_fits(views_held: int, push: dict) -> bool:
    """Whether a `round_delta` is for the view this socket holds: its `base` is the number
    of `view` and `round_delta` messages the socket got before it."""
    return push.get("base") == views_held


#: push type -> how it changes the view it follows (clients/web/js/viewfold.js: the same table)
FOLDS: dict[str, Callable[[dict, dict], dict]] = {
    "draft": _draft,
    "ack": _ack,
    "submitted": _submitted,
    "chat": _chat,
    "clock": _clock,
    "negotiation": _negotiation,
    "renegotiation": _renegotiation,
    "announcement": _announcement,
    "status": _status,
    "selection": _selection,
    "session_ended": _session_ended,
    "round_delta": _round_delta,
}
REPLIES = {"ack"}  # in FOLDS, but answers to a command rather than pushes


def apply(view: dict | None, push: dict, result: dict | None = None) -> dict | None:
    """The view after `push` (None until the first full view has come); `result`: for a
    `round_delta` that cites its round's results, that round's `round_result` as got."""
    t = push.get("type")
    if t == "view":
        return push["view"]
    fold = FOLDS.get(t)
    if view is None and t == "round_delta":
        raise PatchError("a round_delta before any full view")
    if view is None or fold is None:
        return view
    if t == "round_delta":
        return _round_delta(view, push, result)
    return fold(view, push)


class Folded:
    """One socket's view folded from its messages in order, with the last `round_result` a
    `round_delta` may cite: `folded.view = folded(msg)`."""

    def __init__(self, view: dict | None = None):
        self.view, self.result = view, None

    def __call__(self, push: dict) -> dict | None:
        if push.get("type") == "round_result":
            self.result = push
        self.view = apply(self.view, push, self.result)
        return self.view
