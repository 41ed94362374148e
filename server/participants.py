"""Participants for research sessions: label lists (lab mode), informed consent, and the
closing questionnaire. The HTTP routes are in `server/research.py`.

Lab mode (`labels` in the session options): only a listed label may join; the first join
with a label seats a new player (in the firm the list names, or the emptiest one); a later
join with the same label gets the **same seat** with a new token (the old one is revoked),
logged as `player_rejoined`. A browser that crashed comes back with its label.

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
import time
from typing import TYPE_CHECKING

from . import auth
from .auth import Principal
from .protocol import ProtocolError

if TYPE_CHECKING:
    from .hub import Hub
    from .session_actor import SessionActor


MAX_PENDING = 50_000  # participants who joined but have not answered the consent yet (all sessions)


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

async def join(hub: "Hub", actor: "SessionActor", name: str, label: str | None) -> dict:
    """POST /api/join for every session (research options or not)."""
    labels = actor.options.get("labels")
    if label is not None:
        label = label.strip() or None
    if labels is not None and (label is None or label not in labels):
        raise ProtocolError("unknown_label", "this participant label is not on the session's list "
                                             "(ask the experimenter for yours)", 403)
    token = auth.new_token()
    hashed = auth.token_hash(token)
    text = consent_text(actor)
    kind, result, old = await actor.call(_join, actor, auth.new_player_id(), name, label, hashed, text)
    if kind == "pending":
        for h, p in list(hub.pending.items()):  # one pending entry per label
            if label is not None and p["session_id"] == actor.id and p["label"] == label:
                del hub.pending[h]
        hub.pending[hashed] = {"session_id": actor.id, "player_id": result["player_id"], "name": name,
                               "label": label, "consent_sha256": _sha(text)}
        while len(hub.pending) > MAX_PENDING:  # bounded: the oldest unanswered consent is dropped
            del hub.pending[next(iter(hub.pending))]
    else:
        if old:
            hub.tokens.discard(old)
        hub.tokens.add(hashed, Principal(actor.id, result["player_id"]))
    return {**result, "player_token": token, "ws_url": hub.ws_url()}


def _existing_label(actor: "SessionActor", label: str | None):
    if label is None or actor.options.get("labels") is None:
        return None
    return next((p for p in actor.players.values() if p.label == label), None)


def _rejoin(actor: "SessionActor", player, hashed: str) -> tuple[str, dict, str]:
    old = player.token_hash
    actor._fact("player_rejoined", {"player_id": player.id, "token_hash": hashed, "rejoined_at": time.time()},
                actor=player.id, firm=player.firm)
    return "seated", {**_seat_info(actor, player.id), "rejoined": True}, old


def _seat(actor: "SessionActor", player_id: str, name: str, label: str | None, hashed: str) -> tuple[str, dict, None]:
    labels = actor.options.get("labels")
    firm = labels.get(label) if isinstance(labels, dict) and label is not None else None
    return "seated", actor.join(player_id, name, label, hashed, firm), None


def _join(actor: "SessionActor", player_id: str, name: str, label: str | None, hashed: str,
          text: str | None):
    """In the actor (one at a time, so one label never gets two seats)."""
    if actor.status != "live":
        raise ProtocolError("session_ended", "the session has ended", 410)
    existing = _existing_label(actor, label)
    if existing is not None:
        return _rejoin(actor, existing, hashed)
    if text is not None:
        return "pending", {"player_id": player_id, "session_id": actor.id, "consent_required": True,
                           "consent_text": text}, None
    return _seat(actor, player_id, name, label, hashed)


# ---- consent ------------------------------------------------------------------------------

async def consent(hub: "Hub", token: str, agree: bool) -> dict:
    hashed = auth.token_hash(token)
    pend = hub.pending.get(hashed)
    if pend is None:
        p = hub.principal(token)  # bad_token / token_expired; a seated player already consented
        if p.is_facilitator:
            raise ProtocolError("forbidden", "consent is given by a participant's token", 403)
        actor = hub.sessions[p.session_id]
        return {**_seat_info(actor, p.player_id), "consented": True, "already": True}
    actor = hub.sessions.get(pend["session_id"])
    if actor is None:
        hub.pending.pop(hashed, None)
        raise ProtocolError("token_expired", "this token's session has ended", 401)
    kind, result, old = await actor.call(_consent, actor, pend, hashed, agree)
    hub.pending.pop(hashed, None)
    if kind == "declined":
        return result
    if old:
        hub.tokens.discard(old)
    hub.tokens.add(hashed, Principal(actor.id, result["player_id"]))
    return {**result, "consented": True}


def _consent(actor: "SessionActor", pend: dict, hashed: str, agree: bool):
    if actor.status != "live":
        raise ProtocolError("session_ended", "the session has ended", 410)
    pid = pend["player_id"]
    if not agree:
        actor._fact("consent_declined", {"player_id": pid, "consent_sha256": pend["consent_sha256"],
                                         "time": time.time()}, actor=pid)
        return "declined", {"player_id": pid, "consented": False, "seated": False}, None
    existing = _existing_label(actor, pend["label"])
    actor._fact("consent_given", {"player_id": existing.id if existing else pid,
                                  "consent_sha256": pend["consent_sha256"], "time": time.time()},
                actor=existing.id if existing else pid)
    if existing is not None:
        return _rejoin(actor, existing, hashed)
    return _seat(actor, pid, pend["name"], pend["label"], hashed)


# ---- questionnaire ----------------------------------------------------------------------------

def _player(hub: "Hub", token: str):
    if auth.token_hash(token) in hub.pending:
        raise ProtocolError("consent_required", "give (or decline) consent first: POST /api/consent", 403)
    p = hub.principal(token)
    if p.is_facilitator:
        raise ProtocolError("forbidden", "the questionnaire is answered with a player token", 403)
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
        raise ProtocolError("not_found", "this session has no questionnaire", 404)
    clean = check_answers(qs, answers)
    return await actor.call(_answer, actor, p.player_id, clean)


def _answer(actor: "SessionActor", player_id: str, answers: dict) -> dict:
    if actor.status != "live":
        raise ProtocolError("session_ended", "the session has ended", 410)
    if actor.state.phase != "debrief":
        raise ProtocolError("wrong_phase", "the questionnaire opens when the game is over "
                                           f"(now: {actor.state.phase})", 409)
    firm = actor.players[player_id].firm
    actor._fact("questionnaire_answered", {"player_id": player_id, "firm": firm, "answers": answers},
                actor=player_id, firm=firm)
    return {"answered": sorted(answers)}
