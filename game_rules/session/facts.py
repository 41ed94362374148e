"""The facts of a live session: one class per fact type, and the registry `FACTS`.

A fact is a small record of what changed (`draft_changed`, `round_closed`, ...). The
server logs it (the `data` of a `system` row, or of a `chat` row), then `evolve`
(game_rules/session/evolve.py) applies it to the session's state; a restart and `replay`
read it back with `from_data` and fold it with the same `evolve`.

`to_data()` is exactly the dict the log holds (keys in the same order: the log and the
exports are compared byte for byte), `from_data(d)` its inverse. A field that older logs
lack, or that some facts of a type leave out, is `ABSENT` (omitted from `to_data`); a key
a class does not know is kept in `extra` and written back after the known ones, so a log
never loses data by being read. The codebook (server/codebook.py) lists the types of
`FACTS` and documents every field.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar


class _Absent:
    """A field the logged dict does not have (older logs, optional parts)."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


def opt(value, default=None):
    """`value`, or `default` when the log did not have it."""
    return default if value is ABSENT else value


FACTS: dict[str, type["Fact"]] = {}


@dataclass(frozen=True, slots=True)
class Fact:
    type: ClassVar[str]
    _keys: ClassVar[tuple[tuple[str, str], ...]]   # (attribute, key in the logged dict), in log order
    extra: dict | None = field(default=None, kw_only=True, repr=False)  # keys this class does not know

    def to_data(self) -> dict:
        d = {}
        for attr, key in self._keys:
            v = getattr(self, attr)
            if v is not ABSENT:
                d[key] = v
        if self.extra:
            d.update(self.extra)
        return d

    @classmethod
    def from_data(cls, d: dict) -> "Fact":
        kw = {attr: d.get(key, ABSENT) for attr, key in cls._keys}
        if len(d) != sum(1 for v in kw.values() if v is not ABSENT):
            known = {key for _, key in cls._keys}
            kw["extra"] = {k: v for k, v in d.items() if k not in known}
        return cls(**kw)


def fact(name: str):
    """Make a fact class (a frozen dataclass) and register it as type `name`. A field is
    logged under its name without a trailing `_` (`from_` -> "from"); a field with
    `metadata={"logged": False}` is not logged at all."""
    def register(cls):
        cls = dataclass(frozen=True, slots=True)(cls)
        cls.type = name
        cls._keys = tuple((f.name, f.name.rstrip("_")) for f in dataclasses.fields(cls)
                          if f.name != "extra" and f.metadata.get("logged", True))
        if name in FACTS:
            raise ValueError(f"fact type {name!r} registered twice")
        FACTS[name] = cls
        return cls
    return register


def not_logged(default=None):
    """A field that exists only in memory (never written, never read from a log)."""
    return field(default=default, compare=False, repr=False, kw_only=True, metadata={"logged": False})


# ---- the session -------------------------------------------------------------------------

@fact("session_created")
class SessionCreated(Fact):
    scenario: str
    title: str | None
    options: dict
    engine_version: str = ABSENT
    scenario_toml: str = ABSENT


@fact("treatment_assigned")
class TreatmentAssigned(Fact):
    study: str | None
    treatment: str | None
    method: str
    seed: int
    overrides: dict
    treatments: dict
    counts_before: dict
    unit: str = ABSENT
    of_unit: dict | None = ABSENT
    of_firm: dict | None = ABSENT


@fact("session_ended")
class SessionEnded(Fact):
    reason: str


@fact("announcement")
class Announcement(Fact):
    text: str
    event: Any
    time: float


@fact("chat")
class Chat(Fact):
    channel: str
    sender: str
    sender_name: str
    firm: str
    text: str
    time: float


# ---- seats -------------------------------------------------------------------------------

@fact("consent_given")
class ConsentGiven(Fact):
    player_id: str
    consent_sha256: str
    time: float


@fact("consent_declined")
class ConsentDeclined(Fact):
    player_id: str
    consent_sha256: str
    time: float
    is_bot: bool = ABSENT
    language: str | None = ABSENT


@fact("player_joined")
class PlayerJoined(Fact):
    player_id: str
    name: str
    label: str | None
    firm: str
    token_hash: str
    joined_at: float
    rejoin_hash: str | None = ABSENT   # logs before 2026-11-29 lack the last three
    is_bot: bool = ABSENT
    language: str | None = ABSENT


@fact("language_changed")
class LanguageChanged(Fact):
    """A player's page came back in another language than the one logged for it (the
    language switcher reloads the page; its socket's `auth` carries the new language)."""
    player_id: str
    language: str
    from_: str | None                # the language logged before (None: the join sent none)


@fact("player_moved")
class PlayerMoved(Fact):
    player_id: str
    from_: str
    firm: str


@fact("teams_formed")
class TeamsFormed(Fact):
    """The facilitator formed the teams (`form_teams`, game_rules/teams.py); the moves follow
    as `player_moved` facts."""
    method: str
    seed: int | None
    players: int
    moves: int
    shape: list                      # [[size, number of firms of that size], ...]


@fact("player_removed")
class PlayerRemoved(Fact):
    player_id: str
    firm: str
    removed_at: float


@fact("players_merged")
class PlayersMerged(Fact):
    """Two rows of the roster were one person (`merge_players`): the row `duplicate_id` is
    gone, the seat `player_id` stays (its firm, its name) and is played from the device that
    joined last, whose token (`token_hash`) and rejoin code it now has; the other device's
    token is revoked."""
    player_id: str
    duplicate_id: str
    firm: str
    duplicate_firm: str
    token_hash: str
    rejoin_hash: str | None
    merged_at: float


@fact("role_assigned")
class RoleAssigned(Fact):
    """A role inside a firm (`firm_roles` on: negotiator, gatekeeper, learner) changed hands:
    `player_id` holds it now (None: nobody, so every member may do what it controls), `previous`
    held it before. `how`: dealt (at the start), assigned (the facilitator), taken (a member took
    a free role), handed (its holder gave it to a teammate), freed (the facilitator took it
    away). `by`: the player, the facilitator or the server. game_rules/session/firm_roles.py."""
    firm: str
    role: str
    player_id: str | None
    previous: str | None
    how: str
    by: str


@fact("rejoin_allowed")
class RejoinAllowed(Fact):
    player_id: str


@fact("player_rejoined")
class PlayerRejoined(Fact):
    player_id: str
    token_hash: str
    rejoin_hash: str | None = ABSENT
    rejoined_at: float = ABSENT


@fact("bots_seated")
class BotsSeated(Fact):
    firms: dict                      # firm -> strategy
    reason: str = ABSENT             # waiting_room | dropout (panels)
    player_id: str = ABSENT          # dropout: who left


@fact("bot_replaced")
class BotReplaced(Fact):
    firm: str
    strategy: str
    player_id: str
    reason: str
    from_round: int


@fact("questionnaire_answered")
class QuestionnaireAnswered(Fact):
    player_id: str
    firm: str
    answers: dict


# ---- phases, clock -----------------------------------------------------------------------

@fact("phase_changed")
class PhaseChanged(Fact):
    phase: str


@fact("clock")
class Clock(Fact):
    action: str
    seconds: float | None
    clock: dict                      # PhaseClock.to_dict() after the action


# ---- partner selection and negotiation -----------------------------------------------------

@fact("selection_opened")
class SelectionOpened(Fact):
    settings: dict


@fact("selection_move")
class SelectionMove(Fact):
    action: str                      # propose | accept | decline | introduce
    to: str = ABSENT                 # propose
    proposal: str = ABSENT           # accept, decline
    firms: list = ABSENT             # introduce
    template: str = ABSENT           # propose, introduce
    by: str = ABSENT                 # the firm that moved (always logged)


@fact("selection_closed")
class SelectionClosed(Fact):
    pairings: list


@fact("negotiation_opened")
class NegotiationOpened(Fact):
    id: str
    firms: list


@fact("negotiation_move")
class NegotiationMove(Fact):
    id: str
    action: str                      # offer | counter | accept | reject | walk_away | deadline
    by: str | None
    terms: dict | None


@fact("negotiation_reopened")
class NegotiationReopened(Fact):
    """The facilitator reopened a negotiation that their close (or the clock) had ended
    (game_rules/session/reopen_negotiation.py): it is open again as it was just before that
    close, an alliance the close signed on it is un-signed, and the phase is `negotiation`."""
    alliance_id: str


@fact("alliance_signed")
class AllianceSigned(Fact):
    alliance_id: str
    terms: dict


# ---- renegotiation windows (game_rules/session/renegotiating.py) ------------------------------

@fact("renegotiation_opened")
class RenegotiationOpened(Fact):
    """A window opened after round `round`: the partners of each alliance in `alliances`
    (id -> its two firms) may agree new terms, which apply from round `round` + 1."""
    round: int
    alliances: dict


@fact("renegotiation_move")
class RenegotiationMove(Fact):
    alliance_id: str
    action: str                      # offer | counter | accept | reject | walk_away
    by: str
    terms: dict | None               # offer, counter: the whole proposed term sheet


@fact("terms_renegotiated")
class TermsRenegotiated(Fact):
    """The partners agreed: the alliance plays `terms` from round `from_round` on."""
    alliance_id: str
    terms: dict
    from_round: int


@fact("renegotiation_closed")
class RenegotiationClosed(Fact):
    round: int
    reason: str                      # settled | clock | facilitator
    kept: list                       # the alliances that keep their terms


# ---- rounds ----------------------------------------------------------------------------------

@fact("draft_changed")
class DraftChanged(Fact):
    firm: str
    by: str = ABSENT
    changed: dict = ABSENT           # the fields changed (the draft is their fold)
    draft: dict = ABSENT             # logs before drafts were logged as changes: the whole draft


@fact("decision_submitted")
class DecisionSubmitted(Fact):
    firm: str
    round: int
    by: str
    decision: dict
    source: str                      # submitted | bot


@fact("round_closed")
class RoundClosed(Fact):
    round: int
    reason: str
    decisions: dict
    sources: dict
    unusable: dict = ABSENT
    # live: the engine's (state, events) for these decisions, already computed by the
    # server while checking them (resolving a round twice would double its cost)
    resolved: Any = not_logged()


@fact("round_reopened")
class RoundReopened(Fact):
    """The facilitator reopened the round they had closed (game_rules/session/reopen.py): the
    session is back as it was just before that `round_closed`, which stays in the log."""
    round: int


# ---- the practice round (game_rules/session/practice.py): round 0, never scored ------------

@fact("practice_opened")
class PracticeOpened(Fact):
    firms: list                      # the firms that practise (each against an imagined partner)


@fact("practice_submitted")
class PracticeSubmitted(Fact):
    firm: str
    by: str
    decision: dict
    source: str                      # submitted | bot


@fact("practice_closed")
class PracticeClosed(Fact):
    reason: str                      # all_submitted | clock | facilitator
    decisions: dict                  # firm -> the practice decision it submitted
    sources: dict                    # firm -> submitted | bot | default
    results: dict                    # firm -> what its decision did in its practice game


# ---- online panels (server/waiting_room.py) -----------------------------------------------

@fact("waiting_started")
class WaitingStarted(Fact):
    at: float
    deadline: float
    quorum: int
    seats: int


@fact("group_formed")
class GroupFormed(Fact):
    reason: str
    people: int
    bots: dict
    at: float


@fact("group_failed")
class GroupFailed(Fact):
    people: int
    min_people: int
    unfilled: str
    at: float


@fact("participant_dropped")
class ParticipantDropped(Fact):
    player_id: str
    firm: str
    disconnected_at: float
    at: float
    round: int
    phase: str
    bot: str | None


@fact("participant_returned")
class ParticipantReturned(Fact):
    player_id: str
    firm: str
    at: float
    away_seconds: float


@fact("completion_given")
class CompletionGiven(Fact):
    player_id: str
    status: str
    code: str | None
    redirect_url: str | None


@fact("panel_closing")
class PanelClosing(Fact):
    end_at: float


def read_fact(type_: str, data: dict) -> Fact:
    """A logged fact (`type` and parsed `data` of its row) as its class."""
    return FACTS[type_].from_data(data)
