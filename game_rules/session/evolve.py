"""`evolve(session, fact)`: the one place where a fact changes a session's state.

Used live (the server's actor logs a fact, then evolves its session with it), on restore
(the latest snapshot, then every fact logged after it) and by `game_rules.replay` (the
engine's facts of a log). Pure and deterministic: no I/O, no clock (a fact carries its
times), so the same facts always build the same state.

Each fact type has one small function here, found through `_EVOLVE` (fact class ->
function); `evolve` returns the engine events the fact caused (the server logs them as
`event` rows right after the fact: consequences, never replayed), usually none.
"""
from __future__ import annotations

from collections import deque
from typing import Callable

from .. import negotiation as neg_rules, renegotiation as reneg, selection as sel
from ..decisions import merge_draft
from ..engine import resolve_round
from ..rules import sign_alliance
from ..state import Decision, TermSheet
from ..views import events_by_firm
from . import facts as F, reopen, reopen_negotiation
from .clock import PhaseClock
from .facts import opt
from .state import Player, Session

_EVOLVE: dict[type, Callable[[Session, F.Fact], list | None]] = {}
NONE: tuple = ()


def evolve(s: Session, fact: F.Fact) -> list[dict] | tuple:
    """Change `s` by one fact; returns the engine events it caused (often none)."""
    if s.undo is not None and not reopen.keeps(s, fact):
        s.undo = None  # something was decided since the last close: it can no longer be undone
    reopen_negotiation.follow(s, fact)  # the negotiation phase's close: its undo record
    return _EVOLVE[fact.__class__](s, fact) or NONE


def _on(cls: type):
    def register(fn):
        _EVOLVE[cls] = fn
        return fn
    return register


# ---- moves whose legality the rules decide (also used to check a move before it is a fact) ----

def negotiation_step(s: Session, neg: neg_rules.Negotiation, action: str, firm: str | None,
                     terms: TermSheet | None):
    """`neg` after one move (and its events); raises `NegotiationError` for an illegal one."""
    return neg_rules.transition(neg, action, firm, terms, s.rules.domains, budget=s.rules.params.budget,
                                max_duration=s.state.rounds)


def selection_step(s: Session, board: sel.Board, m: F.SelectionMove):
    """`board` after one move (and its events); raises `SelectionError` for an illegal one."""
    r, cfg, st, by = s.rules, s.selection_cfg, s.state, m.by
    if m.action == "propose":
        return sel.propose(r, cfg, st, board, by, m.to, m.template)
    if m.action == "accept":
        return sel.accept(r, cfg, st, board, m.proposal, by)
    if m.action == "decline":
        return sel.decline(r, cfg, st, board, m.proposal, by)
    a, b = m.firms
    return sel.introduce(r, cfg, st, board, by, a, b, m.template)


# ---- facts that change nothing here -----------------------------------------------------------
# They are facts (logged, exported, documented in the codebook) whose effect is elsewhere:

@_on(F.SessionCreated)      # the session (rules, options) is built from the sessions row
@_on(F.TreatmentAssigned)   # the treatment's overrides are in the options the rules were built with
@_on(F.ConsentGiven)        # the `player_joined` that follows seats the player
@_on(F.ConsentDeclined)     # the participant is never seated
@_on(F.QuestionnaireAnswered)  # research data only: the answers are read from the log
def _for_the_record(s, f) -> None:
    return None


# ---- the session ---------------------------------------------------------------------------

@_on(F.SessionEnded)
def _session_ended(s: Session, f: F.SessionEnded) -> None:
    s.status = "ended"


@_on(F.Announcement)
def _announcement(s: Session, f: F.Announcement) -> None:
    s.announcements.append(f.to_data())


@_on(F.TeamsFormed)
def _teams_formed(s: Session, f: F.TeamsFormed) -> None:
    """A record of how; the `player_moved` facts that follow move the players."""


@_on(F.Chat)
def _chat(s: Session, f: F.Chat) -> None:
    ch = s.chat.get(f.channel)
    if ch is None:
        ch = s.chat[f.channel] = deque(maxlen=s.chat_keep)
    ch.append(f.to_data())


# ---- seats -----------------------------------------------------------------------------------

@_on(F.PlayerJoined)
def _player_joined(s: Session, f: F.PlayerJoined) -> None:
    s.players[f.player_id] = Player(f.player_id, f.name, f.label, f.firm, f.token_hash, f.joined_at,
                                    opt(f.rejoin_hash), bool(opt(f.is_bot, False)), opt(f.language))
    s.bots.pop(f.firm, None)  # a person takes over a bot-held seat


@_on(F.LanguageChanged)
def _language_changed(s: Session, f: F.LanguageChanged) -> None:
    p = s.players.get(f.player_id)
    if p is not None:  # its texts (views.texts_for) follow the new language
        p.language = f.language


@_on(F.PlayerMoved)
def _player_moved(s: Session, f: F.PlayerMoved) -> None:
    _free_roles(s, f.player_id)  # a role is the firm's: it stays behind, free
    s.players[f.player_id].firm = f.firm
    s.moves += 1
    s.bots.pop(f.firm, None)


@_on(F.PlayerRemoved)
def _player_removed(s: Session, f: F.PlayerRemoved) -> None:
    _free_roles(s, f.player_id)
    s.players.pop(f.player_id, None)
    s.rejoin_allowed.discard(f.player_id)
    s.moves += 1  # the members index is stale


@_on(F.PlayersMerged)
def _players_merged(s: Session, f: F.PlayersMerged) -> None:
    _free_roles(s, f.duplicate_id)
    s.players.pop(f.duplicate_id, None)
    s.rejoin_allowed.discard(f.duplicate_id)
    s.dropped.pop(f.duplicate_id, None)
    p = s.players[f.player_id]
    p.token_hash, p.rejoin_hash = f.token_hash, f.rejoin_hash
    s.moves += 1  # the members index is stale


@_on(F.RoleAssigned)
def _role_assigned(s: Session, f: F.RoleAssigned) -> None:
    held = s.firm_roles.setdefault(f.firm, {})
    if f.player_id is None:
        held.pop(f.role, None)
    else:
        held[f.role] = f.player_id


def _free_roles(s: Session, player_id: str) -> None:
    """A player who leaves a firm (moved, removed, merged away) leaves its roles free: every
    member may then do what they control until someone holds them again."""
    for held in s.firm_roles.values():
        for role in [r for r, pid in held.items() if pid == player_id]:
            del held[role]


@_on(F.RejoinAllowed)
def _rejoin_allowed(s: Session, f: F.RejoinAllowed) -> None:
    s.rejoin_allowed.add(f.player_id)


@_on(F.PlayerRejoined)
def _player_rejoined(s: Session, f: F.PlayerRejoined) -> None:
    """A lab participant came back with the same label: same seat, a new token (and a new
    rejoin code)."""
    p = s.players[f.player_id]
    p.token_hash = f.token_hash
    p.rejoin_hash = opt(f.rejoin_hash, p.rejoin_hash)
    s.rejoin_allowed.discard(p.id)


@_on(F.BotsSeated)
def _bots_seated(s: Session, f: F.BotsSeated) -> None:
    s.bots.update(f.firms)


@_on(F.BotReplaced)
def _bot_replaced(s: Session, f: F.BotReplaced) -> None:
    s.bots.pop(f.firm, None)  # (player_joined / player_moved already did, for old logs)


# ---- phases and the clock -----------------------------------------------------------------------

@_on(F.PhaseChanged)
def _phase_changed(s: Session, f: F.PhaseChanged) -> None:
    s.state.phase = f.phase


@_on(F.Clock)
def _clock(s: Session, f: F.Clock) -> None:
    gen = s.clock.generation
    s.clock = PhaseClock.from_dict(f.clock)
    s.clock.generation = gen + 1  # timers armed for an older clock are stale


# ---- partner selection and negotiation ------------------------------------------------------------

@_on(F.SelectionOpened)
def _selection_opened(s: Session, f: F.SelectionOpened) -> None:
    s.selection = sel.Board()


@_on(F.SelectionMove)
def _selection_move(s: Session, f: F.SelectionMove) -> None:
    s.selection, _ = selection_step(s, s.selection, f)


@_on(F.SelectionClosed)
def _selection_closed(s: Session, f: F.SelectionClosed) -> None:
    s.selection = sel.close(s.selection)
    s.selection_pairs = {p["alliance_id"]: p for p in f.pairings}


@_on(F.NegotiationOpened)
def _negotiation_opened(s: Session, f: F.NegotiationOpened) -> None:
    s.negotiations[f.id] = neg_rules.open_negotiation(f.id, tuple(f.firms))


@_on(F.NegotiationMove)
def _negotiation_move(s: Session, f: F.NegotiationMove) -> None:
    terms = TermSheet.from_dict(f.terms) if f.terms else None
    s.negotiations[f.id], _ = negotiation_step(s, s.negotiations[f.id], f.action, f.by, terms)


@_on(F.NegotiationReopened)
def _negotiation_reopened(s: Session, f: F.NegotiationReopened) -> None:
    """Open again as just before the close (decided only while that was possible)."""
    reopen_negotiation.restore(s, f.alliance_id)


@_on(F.AllianceSigned)
def _alliance_signed(s: Session, f: F.AllianceSigned) -> list[dict]:
    e = sign_alliance(s.rules, s.state, f.alliance_id, TermSheet.from_dict(f.terms)).to_dict()
    if s.books:
        for firm in e["firms"]:
            s.history[firm].append(e)
    return [e]


# ---- renegotiation windows (renegotiating.py) ---------------------------------------------------------

@_on(F.RenegotiationOpened)
def _renegotiation_opened(s: Session, f: F.RenegotiationOpened) -> None:
    s.renegotiation = reneg.Window(f.round, {aid: neg_rules.open_negotiation(aid, tuple(firms))
                                             for aid, firms in f.alliances.items()})


@_on(F.RenegotiationMove)
def _renegotiation_move(s: Session, f: F.RenegotiationMove) -> None:
    w = s.renegotiation
    terms = TermSheet.from_dict(f.terms) if f.terms else None
    w.negotiations[f.alliance_id], _ = negotiation_step(s, w.negotiations[f.alliance_id], f.action, f.by, terms)


@_on(F.TermsRenegotiated)
def _terms_renegotiated(s: Session, f: F.TermsRenegotiated) -> None:
    reneg.apply_terms(s.state, f.alliance_id, TermSheet.from_dict(f.terms))
    if s.renegotiation is not None:
        s.renegotiation.renegotiated.append(f.alliance_id)


@_on(F.RenegotiationClosed)
def _renegotiation_closed(s: Session, f: F.RenegotiationClosed) -> None:
    w = s.renegotiation
    w.open = False
    for aid, n in w.negotiations.items():
        w.negotiations[aid], _ = neg_rules.deadline(n)  # not agreed: the terms in force stay


# ---- rounds ------------------------------------------------------------------------------------------

@_on(F.DraftChanged)
def _draft_changed(s: Session, f: F.DraftChanged) -> None:
    if f.draft is not F.ABSENT:  # logs written before drafts were logged as changes
        s.drafts[f.firm] = f.draft
    else:
        s.drafts[f.firm] = merge_draft(s.drafts.get(f.firm, {}), f.changed)


@_on(F.DecisionSubmitted)
def _decision_submitted(s: Session, f: F.DecisionSubmitted) -> None:
    s.submitted[f.firm] = {"by": f.by, "decision": f.decision, "source": f.source}


@_on(F.RoundClosed)
def _round_closed(s: Session, f: F.RoundClosed) -> list[dict]:
    """Resolve the round with the decisions it names (a firm absent plays the engine's
    default; the engine is deterministic, so a restart re-resolves to the same numbers)."""
    decisions = {firm: Decision.from_dict(x) for firm, x in f.decisions.items()}
    before = s.state
    s.undo = reopen.before_close(s, f)
    if f.resolved is not None:  # live: the server resolved it already
        s.state, events = f.resolved
    else:
        s.state, events = resolve_round(s.rules, s.state, decisions)
    dicts = [e.to_dict() for e in events]
    by_firm = {}
    if s.books:
        # one pass, not one per firm; each firm's books continue from its history
        by_firm = events_by_firm(s.rules, before, s.state, dicts, decisions, s.history)
        for fid in s.state.firms:
            s.history[fid].extend(by_firm[fid])
    s.last_decision = dict(f.decisions)
    for e in dicts:
        if e["type"] == "default_applied":
            s.last_decision[e["firm"]] = e["decision"]
    s.submitted = {}
    # answers that belong to one round (survey, breach, exit) never carry over in a
    # draft: a clock-closed round must not replay last round's withholding or exit
    for draft in s.drafts.values():
        for key in ("survey", "withhold", "exit"):
            draft.pop(key, None)
    s.last_events, s.last_by_firm = dicts, by_firm
    return dicts


@_on(F.RoundReopened)
def _round_reopened(s: Session, f: F.RoundReopened) -> None:
    """Back to just before the close (the fact was decided only while that was possible)."""
    reopen.restore(s, s.undo)
    s.undo = None


# ---- the practice round: its own record, never the engine's state ---------------------------------

@_on(F.PracticeOpened)
def _practice_opened(s: Session, f: F.PracticeOpened) -> None:
    s.practice = {"submitted": {}, "closed": False, "sources": None, "results": None, "reason": None}


@_on(F.PracticeSubmitted)
def _practice_submitted(s: Session, f: F.PracticeSubmitted) -> None:
    s.practice["submitted"][f.firm] = {"by": f.by, "decision": f.decision, "source": f.source}


@_on(F.PracticeClosed)
def _practice_closed(s: Session, f: F.PracticeClosed) -> None:
    s.practice.update(closed=True, sources=f.sources, results=f.results, reason=f.reason)


# ---- online panels ------------------------------------------------------------------------------------

@_on(F.WaitingStarted)
def _waiting_started(s: Session, f: F.WaitingStarted) -> None:
    s.panel["deadline"] = f.deadline


@_on(F.GroupFormed)
def _group_formed(s: Session, f: F.GroupFormed) -> None:
    s.panel["formed"] = f.reason


@_on(F.GroupFailed)
def _group_failed(s: Session, f: F.GroupFailed) -> None:
    s.panel["failed"] = True


@_on(F.ParticipantDropped)
def _participant_dropped(s: Session, f: F.ParticipantDropped) -> None:
    s.dropped[f.player_id] = f.to_data()


@_on(F.ParticipantReturned)
def _participant_returned(s: Session, f: F.ParticipantReturned) -> None:
    s.dropped.pop(f.player_id, None)


@_on(F.CompletionGiven)
def _completion_given(s: Session, f: F.CompletionGiven) -> None:
    s.completions[f.player_id] = f.to_data()


@_on(F.PanelClosing)
def _panel_closing(s: Session, f: F.PanelClosing) -> None:
    s.panel["end_at"] = f.end_at


missing = set(F.FACTS.values()) - set(_EVOLVE)
if missing:  # every registered fact type says what it changes (if only: nothing)
    raise RuntimeError(f"facts without an evolve: {sorted(c.type for c in missing)}")
