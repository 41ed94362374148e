"""Undo of a negotiation's close: the facilitator reopens a negotiation they (or the clock)
ended by mistake.

Which closes. The negotiation phase ends in one go (phases.py): the facilitator's "End the
negotiation now" (`advance`), "Sign the default terms for open negotiations" (`pair`) or the
negotiation clock give every open negotiation a `deadline` move (it fails), `pair` then signs
the default terms (`alliance_signed`), and round 1 opens (`phase_changed` execution, its
clock, the seat bots' decisions). Only a negotiation that such a close ended (`deadline`)
can be reopened; one that ended because a firm accepted the other's offer, or because a
firm walked away, was not ended by mistake (`not_reopenable`).

The undo record. The close's first `deadline` starts a record (`Record`): the engine state
just before it (a copy: signing mutates the state), each firm's book length, the drafts and
submissions, then, while the close goes on, every negotiation it ended (as it was just
before) and every alliance it signed (in order). The round's opening seals it.
`negotiation_reopened` puts that negotiation back as it was (its offers, the standing one)
and rebuilds the engine state exactly: the state before the close with the close's other
signings done again, in their order (signing is deterministic), so an alliance signed by
the close on the reopened negotiation is un-signed and nothing else moves; the phase is
`negotiation` again (round 1, opened by the close, is taken back: the seat bots' decisions
for it go, the drafts are as before the close). With one negotiation closed, the session is
exactly as just before the close (`Session.to_dict`), but for a fresh negotiation clock
(the control starts the full `negotiation_seconds`: the class needs the time to talk).

"As long as nothing has been decided since" is exact: the record is dropped by the first fact
after the close that is not one of `KEEPS`: the clock, the phase (round 1's opening, not the
debrief), the seat bots' decisions for round 1, chat, announcements, seat changes and
another reopening. A person's draft or decision in round 1, a round's close, the debrief, a
negotiation move (also in a negotiation reopened a moment ago, so every negotiation to be
reopened is reopened before play resumes) or the session's end: nothing can be reopened any
more. A later close starts a new record (the older one's negotiations stay closed).

The record lives in the session's state (and its snapshots); `game_rules.replay` folds the
same facts (the opening and `deadline` moves, the signings, the phase, the reopening), so the
live session, a restart and a replay rebuild the same engine state.

Pure: no I/O, no clock.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .. import negotiation as neg_rules
from ..rules import sign_alliance
from ..state import SessionState, TermSheet, state_from_dict, state_to_dict
from . import facts as F


def negotiation_from_dict(d: dict) -> neg_rules.Negotiation:
    """`Negotiation.to_dict` reversed (game_rules.negotiation has no loader yet)."""
    offers = [neg_rules.Offer(o["n"], o["by"], TermSheet.from_dict(o["terms"]), o["kind"], o["status"])
              for o in d["offers"]]
    standing = next((o for o in offers if o.n == d["standing"]), None) if d["standing"] else None
    return neg_rules.Negotiation(d["id"], tuple(d["firms"]), d["status"], offers, standing,
                                 d["outcome_reason"], d["walked_away_by"])


@dataclass(slots=True)
class Record:
    """What the negotiation phase's close changed, to be put back by `negotiation_reopened`."""
    state: SessionState                 # the engine state just before the close (never mutated)
    books: dict                         # firm -> how many entries its history had
    submitted: dict
    drafts: dict
    closed: dict = field(default_factory=dict)    # alliance id -> its negotiation before the close
    signed: list = field(default_factory=list)    # [alliance id, terms] the close signed, in order
    reopened: list = field(default_factory=list)  # alliance ids reopened since (not signed again)
    sealed: bool = False                # the close is over (round 1 opened)

    def to_dict(self) -> dict:
        return {"state": state_to_dict(self.state), "books": self.books, "submitted": self.submitted,
                "drafts": self.drafts, "closed": {k: n.to_dict() for k, n in self.closed.items()},
                "signed": self.signed, "reopened": self.reopened, "sealed": self.sealed}

    @classmethod
    def from_dict(cls, d: dict) -> "Record":
        return cls(state_from_dict(d["state"]), d["books"], d["submitted"], d["drafts"],
                   {k: negotiation_from_dict(n) for k, n in d["closed"].items()},
                   [list(x) for x in d["signed"]], list(d["reopened"]), d["sealed"])


def _start(s) -> Record:
    return Record(state_from_dict(state_to_dict(s.state)), {firm: len(h) for firm, h in s.history.items()},
                  copy.deepcopy(s.submitted), copy.deepcopy(s.drafts))


# the facts after which a closed negotiation can still be reopened (see the module's docstring)
KEEPS = frozenset({F.NegotiationReopened, F.Clock, F.PhaseChanged, F.Chat, F.Announcement, F.PlayerJoined,
                   F.PlayerMoved, F.PlayerRemoved, F.PlayersMerged, F.PlayerRejoined, F.RejoinAllowed, F.ConsentGiven,
                   F.ConsentDeclined, F.TeamsFormed, F.BotsSeated, F.BotReplaced, F.ParticipantDropped,
                   F.ParticipantReturned, F.RoleAssigned})


def follow(s, fact: F.Fact) -> None:
    """Before `fact` changes `s`: start, extend, keep or drop the undo record."""
    r = s.neg_undo
    if isinstance(fact, F.NegotiationMove) and fact.action == "deadline":
        if r is None or r.sealed:  # a new close
            r = s.neg_undo = _start(s)
        r.closed[fact.id] = s.negotiations[fact.id]  # immutable: a move makes a new one
        return
    if r is None:
        return
    if not r.sealed and isinstance(fact, F.AllianceSigned):
        r.signed.append([fact.alliance_id, fact.terms])
    elif not r.sealed and isinstance(fact, F.PhaseChanged) and fact.phase == "execution":
        r.sealed = True
    elif not _keeps(fact):
        s.neg_undo = None


def _keeps(fact: F.Fact) -> bool:
    if fact.__class__ in KEEPS:
        return not (isinstance(fact, F.PhaseChanged) and fact.phase == "debrief")
    return isinstance(fact, F.DecisionSubmitted) and fact.source == "bot"


def restore(s, alliance_id: str) -> None:
    """`negotiation_reopened`: the negotiation as it was just before the close, the engine
    state as the close would have left it without this negotiation's end."""
    r = s.neg_undo
    s.negotiations[alliance_id] = r.closed.pop(alliance_id)
    r.reopened.append(alliance_id)
    state = state_from_dict(state_to_dict(r.state))  # a copy: the record may serve again
    for firm, n in r.books.items():
        del s.history[firm][n:]
    for aid, terms in r.signed:
        if aid in r.reopened:
            continue
        e = sign_alliance(s.rules, state, aid, TermSheet.from_dict(terms)).to_dict()
        if s.books:
            for firm in e["firms"]:
                s.history[firm].append(e)
    s.state = state
    s.submitted = copy.deepcopy(r.submitted)
    s.drafts = copy.deepcopy(r.drafts)
    if not r.closed:
        s.neg_undo = None  # nothing left to reopen


def reopenable(s) -> list[str]:
    """The negotiations the facilitator can reopen now (the console's buttons)."""
    r = s.neg_undo
    return sorted(r.closed) if r is not None and r.sealed and s.status == "live" else []


def refusal(s, alliance_id: str) -> tuple[str, str] | None:
    """Why negotiation `alliance_id` cannot be reopened now (code, message), or None."""
    if s.status != "live":
        return "session_ended", "the session has ended"
    n = s.negotiations.get(alliance_id)
    if n is None:
        return "unknown_negotiation", f"no negotiation {alliance_id!r} in this session"
    if n.status == "open":
        return "not_reopenable", f"negotiation {alliance_id} is open: there is nothing to reopen"
    if n.outcome_reason == "accepted":
        return "not_reopenable", (f"negotiation {alliance_id} ended because both firms agreed; "
                                  "there is nothing to undo")
    if n.outcome_reason == "walked_away":
        return "not_reopenable", (f"negotiation {alliance_id} ended because {n.walked_away_by} walked away; "
                                  "there is nothing to undo")
    if alliance_id not in reopenable(s):
        return "not_reopenable", (f"negotiation {alliance_id} can no longer be reopened: something has been "
                                  "decided since it closed (a negotiation move, a draft or decision in round 1, "
                                  "a round closed)")
    return None
