"""Participants for research sessions: label lists (lab mode), informed consent, and the
closing questionnaire. The HTTP routes are in `server/http/research.py`.

Lab mode (`labels` in the session options): only a listed label may join; the first join
with a label seats a new player (in the firm the list names, or the emptiest one). Every join
returns the seat's `rejoin_code` (6 characters). A later join with the same label gets the
**same seat** with a new token (the old one is revoked and its sockets close), logged as
`player_rejoined`, only with the seat's rejoin code or after the facilitator's
`allow_rejoin`: a label alone (often a student number) is not a key to someone's seat.

Consent (`consent_text` in the options, or the scenario's `text.consent`): `POST
/api/join` answers `consent_required: true` with the text and a token that is not yet a
player's; the player is seated only after `POST /api/consent` with `{"consent": true}`
(facts `consent_given` then `player_joined`). `{"consent": false}` logs
`consent_declined` and drops the token. A pending token is kept in memory only: after a
server restart the participant joins again.

Questionnaire (`questionnaire` in the options, or the scenario's): answered in the
debrief phase with `POST /api/questionnaire`; every call is logged as
`questionnaire_answered` (a later answer to the same question replaces the earlier one).
"""
from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from game_rules.session import facts as F
from game_rules.study import Completion, completion_code, redirect

from . import auth, seats
from .auth import Principal
from .protocol import ProtocolError

if TYPE_CHECKING:
    from .interfaces import Hub, SessionActor
    from .connection import Connection


class PendingConsents:
    """Participants who joined but have not answered the consent yet: token hash -> entry.

    Bounded without evicting anyone who is still reading: an entry older than `ttl` seconds
    lapses (oldest first, so each join does O(1) amortised work), and when a session (or the
    server) still holds its maximum, a new join is refused with 429 instead of pushing out a
    participant who came earlier. One entry per (session, label): a label that joins again
    replaces its own entry, found through an index, not a scan."""

    def __init__(self, per_session: int = 500, total: int = 50_000, ttl: float = 3600.0, clock=time.monotonic):
        self.per_session, self.total, self.ttl, self._clock = per_session, total, ttl, clock
        self._entries: dict[str, dict] = {}           # insertion order = arrival order
        self._labels: dict[tuple[str, str], str] = {}  # (session, label) -> token hash
        self._count: dict[str, int] = {}               # session -> entries

    def __contains__(self, hashed: str) -> bool:
        return hashed in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, hashed: str) -> dict | None:
        return self._entries.get(hashed)

    def pop(self, hashed: str) -> dict | None:
        e = self._entries.pop(hashed, None)
        if e is not None:
            sid = e["session_id"]
            self._count[sid] -= 1
            if not self._count[sid]:
                del self._count[sid]
            if e["label"] is not None and self._labels.get((sid, e["label"])) == hashed:
                del self._labels[(sid, e["label"])]
        return e

    def add(self, hashed: str, entry: dict) -> None:
        sid, label = entry["session_id"], entry["label"]
        if label is not None and (sid, label) in self._labels:
            self.pop(self._labels[(sid, label)])
        self._lapse()
        if self._count.get(sid, 0) >= self.per_session or len(self._entries) >= self.total:
            raise ProtocolError("rate_limited", "too many participants are reading the consent form right now; "
                                                "try again in a minute")
        self._entries[hashed] = {**entry, "at": self._clock()}
        self._count[sid] = self._count.get(sid, 0) + 1
        if label is not None:
            self._labels[(sid, label)] = hashed

    def _lapse(self) -> None:
        limit = self._clock() - self.ttl
        while self._entries:
            hashed, e = next(iter(self._entries.items()))
            if e["at"] > limit:
                break
            self.pop(hashed)


def consent_text(actor: "SessionActor") -> str | None:
    return actor.options.get("consent_text") or actor.rules.scenario.text.consent or None


def questions(actor: "SessionActor") -> list[dict]:
    q = actor.options.get("questionnaire")
    if q is None:
        q = [x.model_dump() for x in actor.rules.scenario.questionnaire]
    return q


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _seat_info(actor: "SessionActor", player_id: str) -> dict:
    firm = actor.players[player_id].firm
    return {"player_id": player_id, "firm": firm, "firm_name": actor.state.firms[firm].name,
            "role": actor.state.firms[firm].role, "session_id": actor.id}


# ---- join -------------------------------------------------------------------------------

async def join(hub: "Hub", actor: "SessionActor", name: str | None, label: str | None,
               rejoin_code: str | None = None, *, is_bot: bool = False, language: str | None = None,
               takeover: bool = False) -> dict:
    """POST /api/join for every session (research options or not). In a panel session
    (a study link) the label is the panel's participant id and no name is asked: the
    player is shown to others as a pseudonym ("Player 3")."""
    labels = actor.options.get("labels")
    if label is not None:
        label = label.strip() or None
    if actor.options.get("panel") is not None:
        if label is None:
            raise ProtocolError("missing_field", "label: a study link carries the participant id "
                                                 f"(?{actor.options['panel']['id_parameter']}=...)")
    elif name is None:
        raise ProtocolError("bad_name", "name: type the name others will see")
    if labels is not None and (label is None or label not in labels):
        raise ProtocolError("unknown_label", "this participant label is not on the session's list "
                                             "(ask the experimenter for yours)")
    token = auth.new_token()
    hashed = auth.token_hash(token)
    rejoin = auth.new_rejoin_code()
    text = consent_text(actor)
    seat = Seat(auth.new_player_id(), name, label, hashed, auth.token_hash(rejoin), rejoin_code, is_bot, language,
                takeover)
    kind, result, old = await actor.call(_join, actor, seat, text)
    if kind == "pending":
        hub.pending.add(hashed, {"session_id": actor.id, "player_id": result["player_id"], "name": name,
                                 "label": label, "consent_sha256": _sha(text), "rejoin_hash": seat.rejoin_hash,
                                 "is_bot": is_bot, "language": language,
                                 # a panel study: consent given after this group started or ended seats
                                 # the person in the study's next group (server/study.py)
                                 "panel_link": (actor.panel_cfg or {}).get("link")})
    elif kind == "seated":  # ("waiting": "this is me on a new device", the facilitator decides: server/seats.py)
        _seated(hub, actor, hashed, result["player_id"], old)
    reply = {**result, "player_token": token, "rejoin_code": auth.format_rejoin_code(rejoin), "ws_url": hub.ws_url()}
    if actor.options.get("language"):  # the session's default language (docs/languages.md)
        reply["language"] = actor.options["language"]
    return reply


def _seated(hub: "Hub", actor: "SessionActor", hashed: str, player_id: str, old: str | None) -> None:
    if old:  # the seat was taken again: the other device's token stops working, its sockets close
        hub.revoke(old, "your seat was taken on another device")
    hub.tokens.add(hashed, Principal(actor.id, player_id))


@dataclass(frozen=True, slots=True)
class Seat:
    """Who asks for a seat: a new player id and token (hashed), and the seat's new rejoin code
    (hashed); `rejoin_code` is the code the person typed to take their seat again, if any;
    `is_bot` and `language` as the client declared them at the join."""
    player_id: str
    name: str | None
    label: str | None
    token_hash: str
    rejoin_hash: str
    rejoin_code: str | None
    is_bot: bool = False
    language: str | None = None
    takeover: bool = False  # a join whose name is seated asks the facilitator to move the seat here


def _existing_label(actor: "SessionActor", label: str | None):
    if label is None or (actor.options.get("labels") is None and actor.options.get("panel") is None):
        return None
    return next((p for p in actor.players.values() if p.label == label), None)


def _rejoin(actor: "SessionActor", player, seat: Seat) -> tuple[str, dict, str]:
    """A labelled seat taken again on a new device: the seat's rejoin code, or the
    facilitator's `allow_rejoin`, is needed (a label alone is not a key: labels are often
    student numbers that classmates know). The seat gets a new token and a new rejoin code."""
    # a panel's participant id (random, private to the person and the panel) is their key
    if not (player.id in actor.rejoin_allowed or _code_matches(player, seat.rejoin_code)
            or actor.options.get("panel") is not None):
        raise ProtocolError("seat_taken", "this participant label is already seated: type the rejoin code shown on "
                                          "your first device, or ask the experimenter to allow your rejoin")
    old = player.token_hash
    actor._fact(F.PlayerRejoined(player.id, seat.token_hash, seat.rejoin_hash, time.time()),
                actor=player.id, firm=player.firm)
    return "seated", {**_seat_info(actor, player.id), "rejoined": True}, old


def _code_matches(player, code: str | None) -> bool:
    if not code or not player.rejoin_hash:
        return False
    return hmac.compare_digest(auth.token_hash(auth.normalize_code(code)), player.rejoin_hash)


def _seat(actor: "SessionActor", seat: Seat) -> tuple[str, dict, None]:
    labels = actor.options.get("labels")
    firm = labels.get(seat.label) if isinstance(labels, dict) and seat.label is not None else None
    name = seat.name if seat.name is not None else f"Player {len(actor.players) + 1}"  # a panel's pseudonym
    return "seated", actor.join(seat.player_id, name, seat.label, seat.token_hash, firm, seat.rejoin_hash,
                                is_bot=seat.is_bot, language=seat.language), None


def _join(actor: "SessionActor", seat: Seat, text: str | None):
    """In the actor (one at a time, so one label never gets two seats)."""
    if actor.status != "live":
        raise ProtocolError("session_ended", "the session has ended")
    existing = _existing_label(actor, seat.label)
    if existing is not None:
        return _rejoin(actor, existing, seat)
    holder = seats.by_name(actor, seat.name)
    if holder is not None:  # one seat per name: name_taken, or the seat moves here (server/seats.py)
        return seats.take_over(actor, holder, seat, seat.takeover)
    if text is not None:
        actor.panel_admit()  # not even to read the consent (seating checks it again in `actor.join`)
        return "pending", {"player_id": seat.player_id, "session_id": actor.id, "consent_required": True,
                           "consent_text": text, **_instructions(actor)}, None
    return _seat(actor, seat)


def _instructions(actor: "SessionActor") -> dict:
    text = actor.options.get("instructions")
    return {"instructions": text} if text else {}


# ---- consent ------------------------------------------------------------------------------

async def consent(hub: "Hub", token: str, agree: bool) -> dict:
    hashed = auth.token_hash(token)
    pend = hub.pending.get(hashed)
    if pend is None:
        p = hub.principal(token)  # bad_token / token_expired; a seated player already consented
        if p.is_facilitator:
            raise ProtocolError("forbidden", "consent is given by a participant's token")
        actor = hub.sessions[p.session_id]
        return {**_seat_info(actor, p.player_id), "consented": True, "already": True}
    actor = hub.sessions.get(pend["session_id"])
    link = pend.get("panel_link")
    if actor is None and link is None:
        hub.pending.pop(hashed)
        raise ProtocolError("token_expired", "this token's session has ended")
    try:
        try:
            if actor is None:  # the group failed or ended while this person read the consent
                raise ProtocolError("session_ended", "the session has ended")
            kind, result, old = await actor.call(_consent, actor, pend, hashed, agree)
        except ProtocolError as e:
            if link is None or not agree or e.code not in ("group_closed", "session_ended"):
                raise
            actor, (kind, result, old) = await hub.consent_elsewhere(link, pend, hashed)  # server/study.py
    finally:
        hub.pending.pop(hashed)
    if kind == "declined":
        return result
    _seated(hub, actor, hashed, result["player_id"], old)
    return {**result, "consented": True}


def _consent(actor: "SessionActor", pend: dict, hashed: str, agree: bool):
    if actor.status != "live":
        raise ProtocolError("session_ended", "the session has ended")
    pid = pend["player_id"]
    if not agree:
        actor._fact(F.ConsentDeclined(pid, pend["consent_sha256"], time.time(), pend.get("is_bot", False),
                                      pend.get("language")), actor=pid)
        out = {"player_id": pid, "consented": False, "seated": False}
        if actor.options.get("completion"):  # a panel participant who declines still gets their code
            c = Completion.model_validate(actor.options["completion"])
            code = completion_code(c, "declined")
            out["completion"] = {"status": "declined", "code": code, "redirect_url": redirect(c, code)}
        return "declined", out, None
    if _existing_label(actor, pend["label"]) is not None:  # seated meanwhile, from another device
        raise ProtocolError("seat_taken", "this participant label was seated meanwhile on another device; "
                                          "ask the experimenter to allow your rejoin")
    if seats.by_name(actor, pend["name"]) is not None:  # the same name was seated while this one read
        raise ProtocolError("name_taken", f"{pend['name']!r} was seated meanwhile: join again with another name")
    actor._fact(F.ConsentGiven(pid, pend["consent_sha256"], time.time()), actor=pid)
    return _seat(actor, Seat(pid, pend["name"], pend["label"], hashed, pend["rejoin_hash"], None,
                             pend.get("is_bot", False), pend.get("language")))


# ---- questionnaire ----------------------------------------------------------------------------

def _player(hub: "Hub", token: str):
    if auth.token_hash(token) in hub.pending:
        raise ProtocolError("consent_required", "give (or decline) consent first: POST /api/consent")
    p = hub.principal(token)
    if p.is_facilitator:
        raise ProtocolError("forbidden", "the questionnaire is answered with a player token")
    return p, hub.sessions[p.session_id]


def questionnaire(hub: "Hub", token: str) -> dict:
    p, actor = _player(hub, token)
    return {"questions": questions(actor), "phase": actor.state.phase, "open": actor.state.phase == "debrief"}


def check_answers(qs: list[dict], answers: dict) -> dict:
    by_id = {q["id"]: q for q in qs}
    if not answers:
        raise ProtocolError("missing_field", "answers: give at least one answer")
    out = {}
    for qid, a in answers.items():
        q = by_id.get(qid)
        if q is None:
            raise ProtocolError("unknown_field", f"answers.{qid}: no such question")
        kind = q.get("kind", "scale")
        if kind == "scale":
            if isinstance(a, bool) or not isinstance(a, int) or not 1 <= a <= q.get("points", 5):
                raise ProtocolError("out_of_range", f"answers.{qid}: an integer from 1 to {q.get('points', 5)}")
        elif kind == "choice":
            if a not in q.get("choices", []):
                raise ProtocolError("out_of_range", f"answers.{qid}: one of {q.get('choices')}")
        else:
            if not isinstance(a, str) or not a.strip() or len(a) > 4000:
                raise ProtocolError("wrong_type", f"answers.{qid}: a text of 1 to 4000 characters")
            a = a.strip()
        out[qid] = a
    return out


async def answer(hub: "Hub", token: str, answers: dict) -> dict:
    p, actor = _player(hub, token)
    qs = questions(actor)
    if not qs:
        raise ProtocolError("not_found", "this session has no questionnaire")
    clean = check_answers(qs, answers)
    return await actor.call(_answer, actor, p.player_id, clean)


def _answer(actor: "SessionActor", player_id: str, answers: dict) -> dict:
    if actor.status != "live":
        raise ProtocolError("session_ended", "the session has ended")
    if actor.state.phase != "debrief":
        raise ProtocolError("wrong_phase", "the questionnaire opens when the game is over "
                                           f"(now: {actor.state.phase})")
    firm = actor.players[player_id].firm
    actor._fact(F.QuestionnaireAnswered(player_id, firm, answers), actor=player_id, firm=firm)
    return {"answered": sorted(answers)}


def language_of(actor: "SessionActor", conn: "Connection") -> None:
    """A player's socket declared (`auth.language`) another page language than the one logged
    for it, the switcher having reloaded the page: log `language_changed` (its view's
    scenario texts follow it; players.csv exports the latest)."""
    pid = conn.principal.player_id
    player = actor.players.get(pid) if pid else None
    if player is not None and conn.language and conn.language != player.language:
        actor._fact(F.LanguageChanged(pid, conn.language, player.language), actor=pid, firm=player.firm)
