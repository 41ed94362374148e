"""The views a session sends: a player's (the engine's firm view plus the firm's draft,
team, clock, negotiations and chat), the facilitator's (everything), and the facilitator's
live status. What a firm may see of the game comes only from `game_rules.views`; this
module adds firm-scoped server state and nothing of another firm."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from game_rules.scoring import score_session
from game_rules.state import Decision
from game_rules.views import facilitator_view as engine_facilitator_view, firm_view

from .auth import FACILITATOR, Principal
from .session_selection import selection_board, selection_for

if TYPE_CHECKING:
    from .session_actor import SessionActor


def view_for(s: "SessionActor", p: Principal) -> dict:
    return facilitator_full_view(s) if p.is_facilitator else player_view(s, p.player_id)


def firm_engine_view(s: "SessionActor", firm: str) -> dict:
    last = s.last_decision.get(firm)
    return firm_view(s.rules, s.state, firm, list(s.history[firm]),
                     Decision.from_dict(last) if last else None)


def firm_part(s: "SessionActor", firm: str) -> dict:
    """Everything a player sees that is the same for the whole firm. Only firm-scoped
    data goes here: the engine's firm view, the firm's draft, chat and negotiations."""
    v = firm_engine_view(s, firm)
    now = time.time()
    v["current_round"] = s.state.round + 1 if s.state.phase == "execution" else None
    v["session"] = {"id": s.id, "title": s.title, "status": s.status,
                    "members_submit": s.options["members_submit"]}
    v["case"] = s.rules.scenario.text.case
    v["surveys"] = [q.model_dump() for q in s.rules.scenario.surveys]
    v["team"] = [{"player_id": p.id, "name": p.name, "connected": bool(s.conns.get(p.id))}
                 for p in s.members(firm)]
    v["submitter"] = s.submitter(firm) if s.options["members_submit"] == "submitter" else None
    v["draft"] = s.drafts.get(firm, {})
    v["submitted"] = s.submitted.get(firm)
    v["clock"] = s.clock.public(now)
    v["negotiations"] = [_negotiation_for(s, n, firm) for n in s.negotiations.values() if firm in n.firms]
    pair = s.pair_of(firm)
    channels = [f"firm:{firm}"] + ([f"alliance:{pair[0]}"] if pair else [])
    v["chat"] = {ch: list(s.chat.get(ch, ())) for ch in channels}
    v["announcements"] = s.announcements[-20:]
    if s.state.phase == "selection" and s.selection is not None:
        v["selection"] = selection_for(s, firm)
    if s.state.phase == "debrief":
        v["score"] = {**score_session(s.rules, s.state)[firm].to_dict(), "firms": len(s.state.firms)}  # "3rd of 12"
    return v


def _negotiation_for(s: "SessionActor", n, firm: str) -> dict:
    """A negotiation as a party sees it: the public record, the partner's public name and
    the scenario's default term sheet for this copy (the starting point of an offer)."""
    d = n.to_dict()
    partner = s.state.firms[n.partner(firm)]
    d["partner"] = {"id": partner.id, "name": partner.name, "role": partner.role}
    d["default_terms"] = s._default_terms(n.id).to_dict()
    return d


def player_view(s: "SessionActor", pid: str, part: dict | None = None) -> dict:
    p = s.players[pid]
    v = dict(part or firm_part(s, p.firm))
    v["me"] = me_of(s, pid)
    return v


def me_of(s: "SessionActor", pid: str) -> dict:
    """The one part of a player's view that is not the same for the whole firm."""
    p = s.players[pid]
    return {"player_id": p.id, "name": p.name, "label": p.label, "firm": p.firm}


def status(s: "SessionActor") -> dict:
    execution = s.state.phase == "execution"
    return {"phase": s.state.phase, "round": s.state.round,
            "current_round": s.state.round + 1 if execution else None,
            "players": [{"player_id": p.id, "name": p.name, "label": p.label, "firm": p.firm, "is_bot": p.is_bot,
                         "connected": bool(s.conns.get(p.id))} for p in s.players.values()],
            "connected": sum(1 for k, v in s.conns.items() if k != FACILITATOR and v),
            "bots": dict(s.bots),
            **_seat_requests(s),
            "submitted": {f: s["by"] for f, s in s.submitted.items()},
            "waiting_for": [f for f in s.state.firms if f not in s.submitted] if execution else [],
            "clock": s.clock.public(time.time())}


def _seat_requests(s: "SessionActor") -> dict:
    """"This is me on a new device" requests waiting for the facilitator (live only:
    server/seats.py); the key only while there are some."""
    pending = s.seat_requests.public(s.players)
    return {"seat_requests": pending} if pending else {}


def facilitator_full_view(s: "SessionActor") -> dict:
    v = engine_facilitator_view(s.rules, s.state)
    v["session"] = {"id": s.id, "code": s.code, "title": s.title, "status": s.status,
                    "options": s.options, "join_url": s.hub.join_url(s.code)}
    v["status"] = status(s)
    v["drafts"] = dict(s.drafts)
    v["negotiations"] = {k: n.to_dict() for k, n in s.negotiations.items()}
    if s.selection is not None:
        v["selection"] = selection_board(s)
    v["chat"] = {k: list(c) for k, c in s.chat.items()}
    v["announcements"] = list(s.announcements)
    v["scores"] = {f: s.to_dict() for f, s in score_session(s.rules, s.state).items()}
    return v
