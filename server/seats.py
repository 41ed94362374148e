"""One seat per name, and a seat moved to a new device (issue 15, "Seats and teams").

In a session without a participant-label list (the usual class), the name is how people
find their seat. A join whose name is already seated, compared as `seat_key` (case,
spaces, punctuation, accents, full-width forms and the Cyrillic/Greek lookalikes of Latin
letters ignored: server/names.py), is refused with 409 `name_taken`, so a classmate cannot
sit beside "Anna" as "аnna" and read her firm's brief. The person then either chooses
another name, or says "this is me on a new device", and the seat moves:

- with the seat's own rejoin code (returned by the first join, shown on the first device):
  the join carries `rejoin_code`; a wrong code is `bad_rejoin_code` (a failed join, so the
  per-address budget of server/http/api.py applies) and after `CODE_TRIES` wrong codes for
  one seat only the facilitator can move it (30 bits are not guessed in 10 tries);
- or with the facilitator's approval: the join carries `takeover: true` and gets a token
  that is not yet a player's plus a request id; the console lists the request ("X asks to
  take over Y's seat on a new device"), `approve_seat` moves it and `refuse_seat` drops it.
  The new device asks `GET /api/sessions/{session_id}/seat_request` (its token) until it is
  decided. Requests live in memory only (like pending consents): after a restart the
  person asks again.

Either way the fact `player_rejoined` is logged (same seat, new token, new rejoin code) and
the old device's token is revoked: its screens close saying why. Never a second player.
Label lists (lab mode) and study links keep their own rule (server/participants.py).
`actor` below is the session's SessionActor (not imported, even for typing: no import cycle).
"""
from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache, partial

from game_rules.session import facts as F

from . import auth
from .names import role_key, visible_text
from .protocol import ProtocolError


CODE_TRIES = 10       # wrong rejoin codes for one seat before only the facilitator can move it
MAX_REQUESTS = 50     # pending takeover requests per session (the console lists them all)
MOVED = "your seat moved to a new device"
REMOVED = "you were removed from this session by the facilitator"


@lru_cache(maxsize=65536)
def seat_key(name: str) -> str:
    """What two names are compared as: "Anna B", "anna b", "ANNA  B.", "Аnna B" (Cyrillic А)
    and "Ａｎｎａ Ｂ" are one seat. A name of no letters or digits (emoji) is compared
    without its spaces and case."""
    return role_key(name) or visible_text(name).casefold().replace(" ", "")


def by_name(actor, name: str | None):
    """The seated player whose name is `name` (as `seat_key`), or None."""
    if name is None or actor.options.get("labels") is not None or actor.options.get("panel") is not None:
        return None  # a label list or a study link: the label is the seat, names may repeat
    key = seat_key(name)
    return next((p for p in actor.players.values() if seat_key(p.name) == key), None)


@dataclass(frozen=True, slots=True)
class SeatRequest:
    """"This is me on a new device": `name` (as typed) asks for `player_id`'s seat; the new
    device holds the token of `token_hash` and the rejoin code of `rejoin_hash`."""
    id: str
    player_id: str
    name: str
    token_hash: str
    rejoin_hash: str
    at: float

    def public(self, holder_name: str) -> dict:
        return {"request": self.id, "player_id": self.player_id, "name": self.name, "seat_name": holder_name,
                "at": self.at}


class SeatRequests:
    """The pending requests of one session, oldest first; one per seat (a newer request for
    the same seat replaces the older one, whose device is told it was replaced)."""

    def __init__(self):
        self._by_id: OrderedDict[str, SeatRequest] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, r: SeatRequest) -> SeatRequest | None:
        old = next((x for x in self._by_id.values() if x.player_id == r.player_id), None)
        if old is not None:
            del self._by_id[old.id]
        elif len(self._by_id) >= MAX_REQUESTS:
            raise ProtocolError("rate_limited", "too many seat requests are waiting for the facilitator; "
                                                "try again in a minute")
        self._by_id[r.id] = r
        return old

    def pop(self, request_id: str) -> SeatRequest:
        r = self._by_id.pop(request_id, None)
        if r is None:
            raise ProtocolError("not_found", f"no pending seat request {request_id!r} (decided already, or the "
                                             "student asked again)")
        return r

    def by_token(self, token_hash: str) -> SeatRequest | None:
        return next((r for r in self._by_id.values() if r.token_hash == token_hash), None)

    def public(self, players: dict) -> list[dict]:
        return [r.public(players[r.player_id].name) for r in self._by_id.values() if r.player_id in players]


def take_over(actor, holder, seat, takeover: bool) -> tuple[str, dict, str | None]:
    """A join whose name `holder` already has (in the actor). `seat` is the asking device's
    (participants.Seat). Returns like participants._join: the seat moved, or a request."""
    if seat.rejoin_code:
        return _with_code(actor, holder, seat)
    if not takeover:
        raise ProtocolError("name_taken", f"{holder.name!r} is already seated in this session: choose another "
                                          "name, or take your seat on this device (rejoin code or facilitator)")
    r = SeatRequest("r_" + secrets.token_hex(6), holder.id, seat.name, seat.token_hash, seat.rejoin_hash, time.time())
    replaced = actor.seat_requests.add(r)
    if replaced is not None:
        actor.hub.revoke(replaced.token_hash, "a newer request for this seat replaced yours")
    actor.fanout.status()  # the console lists the request
    return "waiting", {"session_id": actor.id, "request": r.id, "seat_request": "pending"}, None


def _with_code(actor, holder, seat) -> tuple[str, dict, str]:
    tries = actor.seat_code_failures.get(holder.id, 0)
    if tries >= CODE_TRIES or not code_matches(holder.rejoin_hash, seat.rejoin_code):
        if tries < CODE_TRIES:
            actor.seat_code_failures[holder.id] = tries + 1
        raise ProtocolError("bad_rejoin_code", "this rejoin code is not the seat's (or too many wrong codes were "
                                               "tried): check it on your first device, or ask the facilitator")
    actor.seat_code_failures.pop(holder.id, None)
    old = holder.token_hash  # (the fact gives the seat the new one)
    return "seated", {**move(actor, holder, seat.token_hash, seat.rejoin_hash, holder.id), "rejoined": True}, old


def code_matches(rejoin_hash: str | None, code: str | None) -> bool:
    if not code or not rejoin_hash:
        return False
    return hmac.compare_digest(auth.token_hash(auth.normalize_code(code)), rejoin_hash)


def move(actor, holder, token_hash: str, rejoin_hash: str, by: str) -> dict:
    """The seat gets a new token and rejoin code (`player_rejoined`); the caller revokes the
    old token once this is durable."""
    actor._fact(F.PlayerRejoined(holder.id, token_hash, rejoin_hash, time.time()), actor=by, firm=holder.firm)
    firm = actor.state.firms[holder.firm]
    return {"player_id": holder.id, "firm": holder.firm, "firm_name": firm.name, "role": firm.role,
            "session_id": actor.id}


def approve(actor, request_id: str, by: str) -> dict:
    """`approve_seat` (in the actor): the request's device gets the seat once this is durable,
    the seat's old device is revoked."""
    r = actor.seat_requests.pop(request_id)
    holder = actor.players.get(r.player_id)
    if holder is None:
        actor.hub.revoke(r.token_hash, "the seat you asked for is no longer in the session")
        raise ProtocolError("unknown_player", "the seat asked for was removed meanwhile")
    old = holder.token_hash
    seat = move(actor, holder, r.token_hash, r.rejoin_hash, by)
    hub, principal = actor.hub, auth.Principal(actor.id, holder.id)

    def durable(exc):
        if exc is None:
            hub.revoke(old, MOVED + " (approved by the facilitator)")
            hub.tokens.add(r.token_hash, principal)
    actor._after.append(durable)
    actor.fanout.status()
    return {**seat, "request": r.id, "name": r.name}


def refuse(actor, request_id: str) -> dict:
    r = actor.seat_requests.pop(request_id)
    actor.hub.revoke(r.token_hash, "the facilitator refused to move the seat to this device: join with "
                                   "another name, or ask the facilitator")
    actor.fanout.status()
    return {"request": r.id, "player_id": r.player_id, "refused": True}


def request_state(actor, hashed: str) -> dict:
    """`GET /api/sessions/{id}/seat_request` for the asking device's token (its hash: a
    follower process forwards only the hash to the owner, server/forwarding.py)."""
    p = actor.hub.tokens.by_hash(hashed)
    if p is not None and p.session_id == actor.id and p.player_id in actor.players:
        holder = actor.players[p.player_id]
        firm = actor.state.firms[holder.firm]
        return {"seat_request": "approved", "player_id": holder.id, "firm": holder.firm, "firm_name": firm.name,
                "role": firm.role, "session_id": actor.id, "name": holder.name}
    if hashed in actor.hub.revoked:
        raise ProtocolError("token_revoked", actor.hub.revoked[hashed])
    r = actor.seat_requests.by_token(hashed)
    if r is None:
        raise ProtocolError("bad_token", "this token asks for no seat in this session")
    return {"seat_request": "pending", "request": r.id, "session_id": actor.id}


# ---- the facilitator's seat controls, once decided (notes of game_rules/session/controls.py) ----

def removed(actor, n) -> None:
    """`remove_player`: its sockets get nothing more from now on, and close once the removal
    is durable (its token is revoked then)."""
    gone = actor.conns.pop(n.player_id, set())
    actor.hub.metrics.connections -= len(gone)
    actor._after.append(partial(close_removed, actor.hub.revoke, n.token_hash, gone))


def merged(actor, n) -> None:
    """`merge_players`: the duplicate row's sockets close and reconnect by themselves, with the
    same token, as the seat once the merge is durable; the seat's earlier device is signed out."""
    gone = actor.conns.pop(n.duplicate_id, set())
    actor.hub.metrics.connections -= len(gone)
    actor._after.append(partial(merge_tokens, actor.hub, auth.Principal(actor.id, n.player_id), n, gone))


def close_removed(revoke, token_hash: str, conns: set, exc: BaseException | None) -> None:
    """A removed player's token stops working once the removal is durable; its sockets close."""
    if exc is None:
        revoke(token_hash, REMOVED)
    for conn in conns:
        asyncio.ensure_future(conn.close(4403, REMOVED))


MERGED = "your seat goes on on your other device (the facilitator merged your two rows)"


def merge_tokens(hub, principal, n, conns: set, exc: BaseException | None) -> None:
    """Two rows became one (`merge_players`): once durable, the duplicate's token opens the
    seat and the seat's earlier token is revoked. The duplicate's sockets close with a code
    the clients reconnect on (1012), so they come back as the seat, or as refused if the
    merge was not written."""
    if exc is None:
        hub.tokens.add(n.kept_token, principal)
        hub.revoke(n.dropped_token, MERGED)
    for conn in conns:
        asyncio.ensure_future(conn.close(1012, "your seat changed: reconnecting"))
