"""Bot games on the cheapest path that plays the very same game (the robustness sweep's).

`simulate.play` builds each firm's whole view every round (its books, a noisy estimate of
every partner competence, the terms as plain data), because a bot may read any of it. The
fixed-intent bots read little of it (`game_rules.bots`):

- internalizer, balanced, random: the round, the budget, the domains' weights, the rival's
  competence and, of each active alliance, its terms, partner and due tranches; no books,
  no estimates, no history;
- avoider: that, and its own competence *as its books show it* (it keeps up only the
  domains where it is ahead of the rival), so its books are kept;
- tit_for_tat: that, and its booked results (the exposure it saw last round), the
  partner's released tranches, breaches and cumulative contribution.

`play` builds each firm only what its strategy reads and keeps books only for the firms that
read them. Every random draw of the game (a bot's jitter, a benchmark, an estimate) comes
from its own generator seeded by (seed, round, firm, ...), so a draw skipped for one firm
never shifts another's: the game is the same, record for record (`rounds`, `events`,
`decisions`, the final state; tests/test_robustness.py holds it). What is not kept is
`GameRecord.history` (left empty): nothing the facts read. Any other strategy (the race
bots read estimates), more than one copy, or renegotiation windows (every bot bargains
there from its whole view: its books and estimates, renegotiation_moves) go through
`simulate.play` unchanged, so both paths play the windows with the very same moves.
"""
from __future__ import annotations

from .books import alliances_by_firm, booked_competence, booked_result, decisions_used
from .bots import bot_decision
from .decisions import parse_decision
from .engine import resolve_round
from .rules import Rules, new_session, sign_default_alliances
from .simulate import GameRecord, _round_record
from .simulate import play as full_play
from .state import SessionState
from .views import _due

NO_BOOKS = frozenset({"internalizer", "balanced", "random"})
BOOKS = frozenset({"avoider", "tit_for_tat"})


def play(rules: Rules, strategies: dict[str, str], seed: int = 0, sign=sign_default_alliances) -> GameRecord:
    """`simulate.play(rules, strategies, seed, sign=sign)` for one copy, on the lean path
    when every firm's strategy allows it."""
    state = new_session(rules, seed=seed)
    plays = {fid: strategies.get(f.role, "balanced") for fid, f in state.firms.items()}
    if (rules.scenario.phases.renegotiation_every
            or any(s not in NO_BOOKS | BOOKS for s in plays.values())):
        return full_play(rules, strategies, seed, sign=sign)
    sign(rules, state)
    state.phase = "execution"
    domains = [{"id": d.id, "name": d.name, "tacitness": d.tacitness, "weight": d.weight}
               for d in rules.scenario.domains]
    books: dict[str, list[dict]] = {f: [] for f, s in plays.items() if s in BOOKS}
    rec = GameRecord(state)
    while state.phase == "execution":
        raw = {fid: bot_decision(_view(rules, state, fid, domains, books.get(fid)), plays[fid], seed)
               for fid in state.firms}
        decisions = {fid: parse_decision(fid, d) for fid, d in raw.items()}
        before = state
        state, events = resolve_round(rules, state, decisions)
        dicts = [e.to_dict() for e in events]
        if books:
            _book(rules, before, state, dicts, decisions, books)
        rec.state = state
        rec.events.append(dicts)
        rec.decisions.append(raw)
        rec.rounds.append(_round_record(rules, state, dicts))
    return rec


def _book(rules: Rules, before: SessionState, state: SessionState, events: list[dict], decisions: dict,
          books: dict[str, list[dict]]) -> None:
    """Each book-keeping firm's round as its books show it (what `views.events_by_firm`
    adds to its history; the bots read only these `firm_result` entries of it)."""
    played = decisions_used(state, events, decisions)
    allied = alliances_by_firm(state)
    for e in events:
        if e["type"] == "firm_result" and e["firm"] in books:
            fid = e["firm"]
            books[fid].append(booked_result(rules, before, state, e, played, books[fid], allied.get(fid, [])))


def _view(rules: Rules, state: SessionState, fid: str, domains: list[dict], history: list[dict] | None) -> dict:
    """The part of `views.firm_view` a fixed-intent bot reads, with the same values."""
    f = state.firms[fid]
    booked = booked_competence(history, fid) if history is not None else None
    return {
        "round": state.round, "rounds": state.rounds,
        "firm": {"id": fid, "competence": dict(booked if booked is not None else f.competence)},
        "rival": {"competence": dict(state.rival)},
        "domains": domains,
        "budget": rules.of(fid).params.budget,
        "alliances": [_alliance(al, fid) for al in state.alliances_of(fid, active_only=False)],
        "history": history or [],
    }


def _alliance(al, fid: str) -> dict:
    partner = al.partner(fid)
    t = al.terms
    return {
        "id": al.id, "status": al.status, "signed_round": al.signed_round,
        "partner": {"id": partner},
        "terms": {"scope": t.scope, "contributions": t.contributions, "min_effort": t.min_effort,
                  "tranches": t.tranches, "form": t.form},
        "released": {"own": al.released[fid], "partner": al.released[partner]},
        "cum_contribution": {"own": al.cum_contribution[fid], "partner": al.cum_contribution[partner]},
        "due": _due(al, fid),
        "partner_breached": al.breach.get(partner, False),
    }
