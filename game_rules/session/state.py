"""The state of one live session, as pure data: the engine's `SessionState` plus what the
server keeps around it (seats, bots, drafts, submissions, negotiations, the selection board,
the phase clock, chat, the online-panel room). Only `evolve` (game_rules/session/evolve.py)
changes it, one fact at a time; the server's actor holds one and does the I/O.

`to_dict` / `load` are the `server` part of a snapshot (store.py's `snapshots.server`); the
engine state is snapshotted beside it (`state_to_dict`).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property

from .. import negotiation as neg_rules, selection as sel
from ..fastdict import asdict
from ..renegotiation import Window
from ..rules import Rules, instantiate_terms
from ..state import SessionState, TermSheet
from .clock import PhaseClock
from .reopen import Undo
from .reopen_negotiation import Record as NegotiationUndo, negotiation_from_dict


@dataclass(slots=True)
class Player:
    id: str
    name: str
    label: str | None
    firm: str
    token_hash: str
    joined_at: float
    rejoin_hash: str | None = None  # SHA-256 of the seat's rejoin code (None in logs before 2026-11-29)
    is_bot: bool = False            # the client declared itself a bot at the join
    language: str | None = None     # the language the client sent at the join (BCP-47)


CHAT_KEEP = 200  # chat lines per channel a session keeps for views, unless the server says otherwise


class Session:
    """Everything a session's facts build (no sockets, no timers, no time)."""

    def __init__(self, rules: Rules, state: SessionState, chat_keep: int = CHAT_KEEP, books: bool = True):
        self.rules = rules
        self.state = state                              # the engine's state
        self.books = books                              # keep each firm's books (`history`) for its views
        self.chat_keep = chat_keep                      # chat lines per channel kept for views
        self.status = "live"
        self.players: dict[str, Player] = {}
        self.bots: dict[str, str] = {}                  # firm -> strategy
        self.drafts: dict[str, dict] = {}               # firm -> raw decision fields
        self.submitted: dict[str, dict] = {}            # firm -> {by, decision, source}
        self.history: dict[str, list[dict]] = {f: [] for f in state.firms}
        self.last_decision: dict[str, dict] = {}
        self.negotiations: dict[str, neg_rules.Negotiation] = {}
        self.selection: sel.Board | None = None         # the partner-selection board, once opened
        self.selection_pairs: dict[str, dict] = {}      # alliance id -> pairing made by selection
        self.clock = PhaseClock()
        self.chat: dict[str, deque] = {}
        self.announcements: list[dict] = []
        self.rejoin_allowed: set[str] = set()           # players whose labelled seat the facilitator let go
        self.firm_roles: dict[str, dict[str, str]] = {}  # firm -> role -> its holder (firm_roles.py)
        # online panels (server/waiting_room.py)
        self.panel: dict = {"deadline": None, "formed": None, "failed": False, "end_at": None}
        self.dropped: dict[str, dict] = {}              # player id -> its participant_dropped fact
        self.completions: dict[str, dict] = {}          # player id -> its completion_given fact
        self.practice: dict | None = None               # the practice round (practice.py), once opened
        # the last round closed: its engine events, and each firm's share of them (for pushes)
        self.last_events: list[dict] = []
        self.last_by_firm: dict[str, list[dict]] = {}
        self.undo = None                                # reopen.Undo: the last round's close, while reopenable
        self.neg_undo = None                            # reopen_negotiation.Record: the negotiation's close
        self.renegotiation: Window | None = None        # the last renegotiation window (renegotiating.py)
        self.moves = 0                                  # seat moves and removals (the members index)
        self._members_key: tuple | None = None
        self._members: dict[str, list[Player]] = {}
        self._by_firm: dict[str, tuple] = {}            # "alliances"/"negotiations" -> (the dict, its size, index)
        # the parts of firm views that are the same for every firm or since the last round, kept
        # to be given again (game_rules/views.py `firm_view`'s `shared`; not snapshotted)
        self.view_parts: dict = {}

    @cached_property
    def selection_cfg(self) -> sel.SelectionConfig:
        return sel.load_selection(self.rules.scenario)

    @cached_property
    def selection_profiles(self) -> dict[str, dict]:
        """Every firm's public profile on the selection board (fixed for the session: the
        seed and the starting competences; the board is open before any round is played)."""
        r, cfg, st = self.rules, self.selection_cfg, self.state
        return {f: sel.public_profile(r, cfg, st, f).to_dict() for f in st.firms}

    def default_terms(self, alliance_id: str) -> TermSheet:
        """An alliance's default term sheet: where its negotiation starts, what a seat bot
        offers and what the facilitator's `pair` signs. A pairing made by partner selection
        gets its template's sheet for the two firms chosen; `<template><copy>` the
        template's sheet for that copy. KeyError for any other id."""
        p = self.selection_pairs.get(alliance_id)
        if p is not None:
            tpl = next(t for t in self.rules.scenario.alliances if t.id == p["template"])
            return sel.terms_for(tpl, tuple(p["firms"]), self.state.rounds)
        for tpl in self.rules.scenario.alliances:
            copy = alliance_id[len(tpl.id):]
            if alliance_id.startswith(tpl.id) and copy.isdigit():
                return instantiate_terms(tpl, int(copy), self.state.rounds)
        raise KeyError(alliance_id)

    def members(self, firm: str) -> list[Player]:
        # an index firm -> players, rebuilt when the roster changes (joins, moves, a
        # restore): a scan of every player per firm made round results O(players^2)
        key = (id(self.players), len(self.players), self.moves)
        if self._members_key != key:
            index: dict[str, list[Player]] = {}
            for p in self.players.values():
                index.setdefault(p.firm, []).append(p)
            self._members, self._members_key = index, key
        return list(self._members.get(firm, ()))

    def alliance_ids(self, firm: str) -> tuple[str, ...]:
        """The ids of the firm's alliances, of any status, in the state's order (what
        `SessionState.alliances_of(firm, active_only=False)` finds by scanning them all)."""
        return _firm_index(self._by_firm, "alliances", self.state.alliances).get(firm, ())

    def negotiation_ids(self, firm: str) -> tuple[str, ...]:
        """The ids of the firm's negotiations, in the session's order."""
        return _firm_index(self._by_firm, "negotiations", self.negotiations).get(firm, ())

    # ---- snapshots -----------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {"status": self.status, "players": {k: asdict(p) for k, p in self.players.items()},
                "bots": self.bots, "drafts": self.drafts, "submitted": self.submitted,
                "history": self.history, "last_decision": self.last_decision,
                "negotiations": {k: n.to_dict() for k, n in self.negotiations.items()},
                "clock": self.clock.to_dict(), "announcements": self.announcements,
                "selection": self.selection.to_dict() if self.selection is not None else None,
                "selection_pairs": self.selection_pairs, "rejoin_allowed": sorted(self.rejoin_allowed),
                "panel": {"room": self.panel, "dropped": self.dropped, "completions": self.completions},
                **({"undo": self.undo.to_dict()} if self.undo is not None else {}),
                **({"practice": self.practice} if self.practice is not None else {}),
                **({"neg_undo": self.neg_undo.to_dict()} if self.neg_undo is not None else {}),
                **({"firm_roles": self.firm_roles} if self.firm_roles else {}),
                **({"renegotiation": self.renegotiation.to_dict()} if self.renegotiation is not None else {})}

    def load(self, d: dict) -> None:
        self.status = d["status"]
        self.players = {k: Player(**p) for k, p in d["players"].items()}
        self.bots, self.drafts, self.submitted = d["bots"], d["drafts"], d["submitted"]
        self.history, self.last_decision = d["history"], d["last_decision"]
        self.negotiations = {k: negotiation_from_dict(n) for k, n in d["negotiations"].items()}
        self.clock = PhaseClock.from_dict(d["clock"])
        self.announcements = d["announcements"]
        self.selection = board_from_dict(d["selection"]) if d.get("selection") else None
        self.selection_pairs = d.get("selection_pairs") or {}
        self.rejoin_allowed = set(d.get("rejoin_allowed") or ())
        self.undo = Undo.from_dict(d["undo"]) if d.get("undo") else None
        self.practice = d.get("practice")
        self.neg_undo = NegotiationUndo.from_dict(d["neg_undo"]) if d.get("neg_undo") else None
        self.firm_roles = d.get("firm_roles") or {}
        self.renegotiation = Window.from_dict(d["renegotiation"]) if d.get("renegotiation") else None
        panel = d.get("panel")
        if panel:
            self.panel, self.dropped, self.completions = panel["room"], panel["dropped"], panel["completions"]


def _firm_index(cache: dict, name: str, by_id: dict) -> dict[str, tuple[str, ...]]:
    """firm -> the ids of the entries of `by_id` (alliances or negotiations: anything with
    `firms`) that name it, in `by_id`'s order. A view built per firm used to scan every
    alliance and negotiation of the class for each firm (quadratic: 500 firms, 250
    alliances). Built again when `by_id` is another dict (a new engine state, a restore) or
    has grown: entries are added, never removed, and an id's firms never change (a move
    replaces a negotiation by one of the same firms), so the values are looked up by id
    when used, never kept here."""
    key = (len(by_id), next(reversed(by_id), None))
    hit = cache.get(name)
    if hit is not None and hit[0] is by_id and hit[1] == key:
        return hit[2]
    index: dict[str, list[str]] = {}
    for i, x in by_id.items():
        for f in dict.fromkeys(x.firms):  # (a firm named twice is listed once, as a scan finds it)
            index.setdefault(f, []).append(i)
    out = {f: tuple(ids) for f, ids in index.items()}
    cache[name] = (by_id, key, out)  # keeps `by_id` alive: its identity cannot be reused
    return out


def board_from_dict(d: dict) -> sel.Board:
    """`Board.to_dict` reversed (for snapshots)."""
    return sel.Board(
        tuple(sel.Proposal(p["id"], p["template"], p["sender"], p["receiver"], p["status"], p["introduced_by"])
              for p in d["proposals"]),
        tuple(sel.Introduction(i["id"], i["by"], tuple(i["firms"]), i["template"], i["proposal"])
              for i in d["introductions"]),
        d["closed"])
