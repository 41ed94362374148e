"""What each party of a live session is told: every per-party filter of the session, built
from the pure `Session` (game_rules/session/state.py). Pure: no sockets, no clock.

    firm_part(s, live, firm)       what every player of a firm sees alike
    player_view(s, live, pid)      firm_part + `me` (the one per-player part)
    status(s, live)                the facilitator's live roster
    facilitator_view(s, live, join_url)   everything, exactly
    negotiation_for(s, neg, firm)  a negotiation as one of its two parties sees it
    selection_for(s, firm)         the partner-selection board as a firm sees it
    selection_board(s)             the whole board (the facilitator)
    web_context(s, firm)           the term-sheet form's context (GET /api/web/context)
    debrief_frame(s, live)         the debrief's public frame (GET /api/web/history, facilitator)
    due(s, note)                   who is due a fresh view (or status, or board) after a step's note

What a firm may know of the *game* (its numbers, its partner's through benchmarks only)
comes from `game_rules.views` (the engine's filter); this module adds the session around
it (draft, team, clock, negotiations, chat, selection) scoped to the firm, and nothing of
another firm: not its draft, brief, chat, negotiations, proposals, or treatment.

What only the server knows (who has a socket open, the time, the session's row, the join
link) comes in as plain data: `Live`, and `join_url` for the facilitator.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Collection

from .. import selection as sel
from ..negotiation import Negotiation
from ..scoring import Score, introductions, score_session
from ..state import Decision
from ..views import kept, facilitator_view as engine_facilitator_view, firm_view
from . import firm_roles, practice, renegotiating, reopen, reopen_negotiation
from .decide import Refused, pair_of
from .state import CHAT_KEEP, Session
from .step import FACILITATOR, PlayerView, SelectionBoard, Status, Team, Views, ViewsNext

ANNOUNCEMENTS_SHOWN = 20  # a player's view carries the latest ones only


def chat_bound(s: Session) -> dict:
    """How many lines of each channel a view carries, for the clients' folds to keep as many
    (clients/python/view_fold.py): said only when it is not the usual 200, so the views of
    a server with the default are the ones they always were."""
    return {} if s.chat_keep == CHAT_KEEP else {"chat_keep": s.chat_keep}


@dataclass(frozen=True, slots=True)
class Live:
    """What a view needs beyond the session's facts, from the server as plain data: the
    session's row (id, join code, title, options), who has a socket open (`online`: a
    container of principal names; a player counts as online when its id is in it), and
    the time (`now`, for the clock's remaining seconds)."""
    id: str
    code: str
    title: str
    options: dict
    online: Collection[str] = frozenset()
    now: float = 0.0
    seat_requests: list = ()  # "this is me on a new device" requests waiting for the facilitator (server/seats.py)


# ---- a firm's players ----------------------------------------------------------------------

def firm_engine_view(s: Session, firm: str) -> dict:
    """The engine's view of the firm (`game_rules.views.firm_view`) from its books."""
    last = s.last_decision.get(firm)
    alliances = [s.state.alliances[a] for a in s.alliance_ids(firm)]
    return firm_view(s.rules, s.state, firm, list(s.history[firm]), Decision.from_dict(last) if last else None,
                     alliances, s.view_parts)


def firm_part(s: Session, live: Live, firm: str, scores: dict[str, Score] | None = None) -> dict:
    """Everything a player sees that is the same for the whole firm. Only firm-scoped
    data goes here: the engine's firm view, the firm's draft, chat and negotiations.
    `scores`: the session's scores (`scores_now`), when the caller builds many firms' parts
    at the debrief (every firm's score ranks it against the whole class: computed once)."""
    v = firm_engine_view(s, firm)
    members_submit = live.options["members_submit"]
    v["current_round"] = s.state.round + 1 if s.state.phase == "execution" else None
    v["session"] = kept(s.view_parts, "session", (live.id, live.title, s.status, members_submit), lambda: {
        "id": live.id, "title": live.title, "status": s.status, "members_submit": members_submit})
    v["case"] = s.rules.scenario.text.case
    v["surveys"] = kept(s.view_parts, "surveys", s.rules.scenario.surveys,
                         lambda: [q.model_dump() for q in s.rules.scenario.surveys])
    v["team"] = [{"player_id": p.id, "name": p.name, "connected": p.id in live.online} for p in s.members(firm)]
    v["submitter"] = submitter(s, firm, live.online) if members_submit == "submitter" else None
    if firm_roles.enabled(live.options):  # only then: the views of sessions without roles stay as they were
        v["firm_roles"] = firm_roles.firm_view(s, firm)
    v["draft"] = s.drafts.get(firm, {})
    v["submitted"] = s.submitted.get(firm)
    v["clock"] = s.clock.public(live.now)
    v["negotiations"] = [negotiation_for(s, s.negotiations[n], firm) for n in s.negotiation_ids(firm)]
    pair = pair_of(s, firm)
    channels = [f"firm:{firm}"] + ([f"alliance:{pair[0]}"] if pair else [])
    v["chat"] = {ch: list(s.chat.get(ch, ())) for ch in channels}
    v.update(chat_bound(s))
    v["announcements"] = s.announcements[-ANNOUNCEMENTS_SHOWN:]
    if s.state.phase == "selection" and s.selection is not None:
        v["selection"] = selection_for(s, firm)
    if s.state.phase == practice.PHASE and s.practice is not None:
        v["practice"] = practice.firm_view(s, firm)  # round 0 against an imagined partner
    if s.renegotiation is not None:  # the last renegotiation window (sessions with windows only)
        v["renegotiation"] = renegotiating.firm_view(s, firm)
    if s.state.phase == "debrief":
        scores = scores if scores is not None else scores_now(s)
        v["score"] = {**scores[firm].to_dict(), "firms": len(s.state.firms)}  # "3rd of 12"
    return v


def scores_now(s: Session) -> dict[str, Score] | None:
    """Every firm's score and rank at the debrief (None before it: no part shows one)."""
    return score_session(s.rules, s.state, _introduced(s)) if s.state.phase == "debrief" else None


def _introduced(s: Session) -> dict[str, str]:
    """Which go-between introduced which alliance (its score is what those alliances create)."""
    return introductions(s.selection_pairs.values())


def me_of(s: Session, pid: str) -> dict:
    """The one part of a player's view that is not the same for the whole firm."""
    p = s.players[pid]
    # kept while the seat is as it was (a round's end sends every player's: mostly unchanged)
    return kept(s.view_parts, ("me", pid), (p.id, p.name, p.label, p.firm, p.language), lambda: _me(s, p))


def _me(s: Session, p) -> dict:
    me = {"player_id": p.id, "name": p.name, "label": p.label, "firm": p.firm}
    texts = texts_for(s, p.firm, p.language)
    if texts is not None:  # only for a translated language: English views stay as they were
        me["texts"] = texts
    return me


def texts_for(s: Session, firm: str, language: str | None) -> dict | None:
    """The scenario texts a player of `firm` reads (the case, its role's name and confidential
    brief), in `language` when the scenario carries that translation, else None (the firm part's
    English texts stand). Per player, since one firm's players may read different languages."""
    scenario = s.rules.scenario
    if scenario.translation(language) is None:
        return None
    texts = scenario.texts_in(language)
    role = texts["roles"][s.state.firms[firm].role]
    return {"language": (language or "").split("-")[0].lower(), "case": texts["case"],
            "role_name": role["name"], "brief": role["brief"]}


def player_view(s: Session, live: Live, pid: str, part: dict | None = None) -> dict:
    """A player's full view: its firm's part (built here unless given) and `me`."""
    v = dict(part or firm_part(s, live, s.players[pid].firm))
    v["me"] = me_of(s, pid)
    return v


def submitter(s: Session, firm: str, online: Collection[str]) -> str | None:
    """The firm's designated submitter (`members_submit: submitter`): its earliest-joined
    member who is online (else its earliest-joined member), so a team whose submitter's
    phone died can still submit."""
    m = s.members(firm)
    here = [p for p in m if p.id in online]
    return min(here or m, key=lambda p: (p.joined_at, p.id)).id if m else None


def negotiation_for(s: Session, n: Negotiation, firm: str) -> dict:
    """A negotiation as a party sees it: the public record, the partner's public name and
    the alliance's default term sheet (the starting point of an offer). Refused for a
    firm that is not one of its two parties."""
    if firm not in n.firms:
        raise Refused("forbidden", f"{firm} is not a party to negotiation {n.id}")
    d = n.to_dict()
    partner = s.state.firms[n.partner(firm)]
    d["partner"] = {"id": partner.id, "name": partner.name, "role": partner.role}
    d["default_terms"] = s.default_terms(n.id).to_dict()
    return d


def web_context(s: Session, firm: str) -> dict:
    """What the web term-sheet form needs per negotiation of the firm: the partner's public
    name and role and the default term sheet (as in the firm's negotiation views)."""
    out = {}
    for n in s.negotiation_ids(firm):
        d = negotiation_for(s, s.negotiations[n], firm)
        out[n] = {"partner": d["partner"], "default_terms": d["default_terms"]}
    return {"firm": firm, "negotiations": out}


# ---- partner selection -------------------------------------------------------------------------

def selection_for(s: Session, firm: str) -> dict:
    """A firm's view of the board: the profiles it may see (a go-between sees more), its
    own proposals in and out, the introductions that concern it. Nothing of proposals
    between other firms, and no firm's private numbers beyond what its profile shows."""
    r, cfg, st, board = s.rules, s.selection_cfg, s.state, s.selection
    gb = sel.is_go_between(cfg, st, firm)
    role = st.firms[firm].role
    mine = [p for p in board.proposals if firm in p.parties()]
    left = None
    if gb:
        left = cfg.go_between.introductions - sum(i.by == firm for i in board.introductions)
    return {
        "closed": board.closed,
        "go_between": gb,
        "introductions_left": left,
        "capacity": 0 if gb else sel.capacity(r, cfg, st, firm),
        "templates": [{"id": t.id, "roles": list(t.roles)} for t in r.scenario.alliances
                      if gb or role in t.roles],
        "own_profile": sel.public_profile(r, cfg, st, firm).to_dict(),
        "profiles": {f: p.to_dict() for f, p in sel.visible_profiles(r, cfg, st, firm, board).items()},
        "proposals_in": [p.to_dict() for p in mine if p.receiver == firm],
        "proposals_out": [p.to_dict() for p in mine if p.sender == firm],
        "introduced": [p.to_dict() for p in board.proposals if p.introduced_by == firm],
        "introductions": [{"id": i.id, "by": i.by, "firms": list(i.firms), "template": i.template,
                           "proposal": i.proposal}
                          for i in board.introductions if i.by == firm or firm in i.firms],
    }


def selection_board(s: Session) -> dict:
    """The facilitator's view: the whole board, every public profile, the pairings the
    board would give now (or gave, once closed) and the settings."""
    r, cfg, st, board = s.rules, s.selection_cfg, s.state, s.selection
    d = board.to_dict()
    if board.closed:  # (the rest of the game: the outcome only)
        d["pairings"] = list(s.selection_pairs.values())
        return d
    d["pairings"] = [p.to_dict() for p in sel.pairings(r, cfg, st, board)]
    d["profiles"] = s.selection_profiles
    d["go_betweens"] = sorted(f for f in st.firms if sel.is_go_between(cfg, st, f))
    d["settings"] = cfg.model_dump()
    return d


# ---- who is due a fresh view --------------------------------------------------------------------

def due(s: Session, note) -> dict[str, str]:
    """Whom a step's view note (game_rules/session/step.py) owes what: recipient (a player's
    id, or "facilitator") -> "view" (its full view), "status" (the facilitator's roster) or
    "selection" (its view of the board). The server builds and sends them (server/fanout.py),
    with what only it knows (who is online, the time); a note of another kind owes nothing."""
    everyone = {pid: "view" for pid in s.players} | {FACILITATOR: "view"}
    if isinstance(note, (Views, ViewsNext)):
        return everyone
    if isinstance(note, Team):
        return {p.id: "view" for p in s.members(note.firm)} | {FACILITATOR: "status"}
    if isinstance(note, PlayerView):
        return {note.player_id: "view"}
    if isinstance(note, Status):
        return {FACILITATOR: "status"}
    if isinstance(note, SelectionBoard):
        firms = sorted({f for e in note.events for f in e["parties"]}) if note.firms else []
        return {p.id: "selection" for f in firms for p in s.members(f)} | {FACILITATOR: "selection"}
    return {}


# ---- the facilitator ------------------------------------------------------------------------------

def status(s: Session, live: Live) -> dict:
    """The facilitator's live roster: every seat and who is online, who submitted."""
    execution = s.state.phase == "execution"
    return {"phase": s.state.phase, "round": s.state.round,
            "current_round": s.state.round + 1 if execution else None,
            "players": [{"player_id": p.id, "name": p.name, "label": p.label, "firm": p.firm, "is_bot": p.is_bot,
                         "connected": p.id in live.online} for p in s.players.values()],
            "connected": sum(1 for name in live.online if name in s.players),
            "bots": dict(s.bots),
            **({"seat_requests": list(live.seat_requests)} if live.seat_requests else {}),
            "submitted": {f: sub["by"] for f, sub in s.submitted.items()},
            "waiting_for": [f for f in s.state.firms if f not in s.submitted] if execution else [],
            "clock": s.clock.public(live.now),
            # only while possible (the console's Reopen round button), see reopen.py
            **({"reopen": {"round": s.undo.round}} if reopen.refusal(s) is None else {}),
            **({"practice": practice.facilitator_part(s)} if s.practice is not None else {}),
            **({"firm_roles": firm_roles.status(s)} if firm_roles.enabled(live.options) else {}),
            # the negotiations the facilitator can reopen now (reopen_negotiation.py)
            **({"reopen_negotiations": ids} if (ids := reopen_negotiation.reopenable(s)) else {})}


def facilitator_view(s: Session, live: Live, join_url: str) -> dict:
    """Everything, exactly: the engine's whole state, every draft, negotiation, chat
    channel and the board, the scores; and the session's row with its join link."""
    v = engine_facilitator_view(s.rules, s.state)
    v["session"] = {"id": live.id, "code": live.code, "title": live.title, "status": s.status,
                    "options": live.options, "join_url": join_url}
    v["status"] = status(s, live)
    v["drafts"] = dict(s.drafts)
    v["negotiations"] = {k: n.to_dict() for k, n in s.negotiations.items()}
    if s.selection is not None:
        v["selection"] = selection_board(s)
    if s.renegotiation is not None:
        v["renegotiation"] = renegotiating.facilitator_view(s)
    v["chat"] = {k: list(c) for k, c in s.chat.items()}
    v.update(chat_bound(s))
    v["announcements"] = list(s.announcements)
    v["scores"] = {f: sc.to_dict() for f, sc in score_session(s.rules, s.state, _introduced(s)).items()}
    return v


def debrief_frame(s: Session, live: Live) -> dict:
    """The debrief's frame (the facilitator's; the rounds come from the log): the firms with
    their treatments, start and end positions, the alliances, the scores."""
    rules, state, options = s.rules, s.state, live.options
    treatment_of = options.get("treatment_of_firm") or {}
    return {
        "session": {"id": live.id, "title": live.title, "scenario": state.scenario_id,
                    "phase": state.phase, "round": state.round, "rounds": state.rounds},
        "debrief_text": rules.scenario.text.debrief,
        "budget": rules.params.budget,
        "convergent_share": rules.params.convergent_share,
        "trust_start": rules.params.trust_start,
        "domains": [{"id": d.id, "name": d.name, "weight": d.weight} for d in rules.scenario.domains],
        "firms": {fid: {"id": fid, "name": f.name, "role": f.role, "copy": f.copy,
                        "treatment": treatment_of.get(fid, options.get("treatment")),
                        "start_position": rules.position(f.start_competence),
                        "position": rules.position(f.competence), "cash": f.cash}
                  for fid, f in state.firms.items()},
        "rival": {"start_position": rules.position(state.start_rival),
                  "position": rules.position(state.rival)},
        "alliances": {aid: {"id": aid, "firms": list(a.firms), "status": a.status,
                            "signed_round": a.signed_round, "ended_round": a.ended_round,
                            "ended_reason": a.ended_reason, "terms": a.terms.to_dict(),
                            "trust": dict(a.trust)}
                      for aid, a in state.alliances.items()},
        "bots": dict(s.bots),
        "scores": {f: sc.to_dict() for f, sc in score_session(rules, state, _introduced(s)).items()},
    }
