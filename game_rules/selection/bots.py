"""Selection bots: how a bot judges a partner (the fit a pairing promises, from what it can
see and a prior for the rest), the introductions a go-between bot makes, the proposals a
firm's bot sends and its answers, and a whole selection phase played by bots."""
from __future__ import annotations

import math

from ..engine import effective_contribution
from ..rules import Rules
from ..scenario import AllianceTemplate
from ..state import SessionState
from .board import (Board, Profile, Proposal, SelectionError, _check_free, _live, _template, accept, capacity,
                    close, decline, full_profile, introduce, is_go_between, market, propose, sees_fully,
                    visible_profiles)
from .config import SelectionConfig


def estimated_fit(rules: Rules, template: AllianceTemplate, own_role: str,
                  own: dict[str, float], partner: dict[str, float]) -> float:
    """How much joint value a pairing promises, on a competence-like scale: sqrt(E_a E_b)
    where each firm spreads 100 points over the domains it contributes (the engine's
    effective contribution, so differences count). `partner` holds what the firm believes
    of its partner (shown values, a prior for hidden ones)."""
    other = template.roles[1] if template.roles[0] == own_role else template.roles[0]
    comp = {own_role: own, other: partner}
    es = []
    for r in template.roles:
        ks = template.terms.contributions.get(r, [])
        x = {k: 100.0 / len(ks) for k in ks}
        o = other if r == own_role else own_role
        es.append(effective_contribution(x, comp[r], comp[o], rules.domains))
    return math.sqrt(es[0] * es[1]) if es[0] > 0 and es[1] > 0 else 0.0


def believed(rules: Rules, cfg: SelectionConfig, profile: Profile) -> dict[str, float]:
    """A profile as a full competence vector: shown values, the bots' prior elsewhere."""
    return {k: profile.values.get(k, cfg.bots.prior) for k in rules.domains}


def _fit_for(rules, cfg, state, board, fid, partner, tpl) -> float:
    prof = visible_profiles(rules, cfg, state, fid, board)[partner]
    return estimated_fit(rules, tpl, state.firms[fid].role, state.firms[fid].competence,
                         believed(rules, cfg, prof))


def _candidates(rules, cfg, state, fid):
    """(partner, template) pairs open to `fid` under the scenario's templates."""
    role = state.firms[fid].role
    out = []
    for tpl in rules.scenario.alliances:
        if role not in tpl.roles:
            continue
        other = tpl.roles[1] if tpl.roles[0] == role else tpl.roles[0]
        out += [(g, tpl) for g in market(cfg, state, fid) if state.firms[g].role == other]
    return out


def bot_introductions(rules: Rules, cfg: SelectionConfig, state: SessionState, board: Board,
                      go_between: str) -> list[tuple[str, str, str]]:
    """The pairs a go-between bot introduces: those with the best fit by its dossiers, above
    the bots' reservation, not already proposed, at most its introductions left."""
    if not is_go_between(cfg, state, go_between):
        return []
    left = cfg.go_between.introductions - sum(i.by == go_between for i in board.introductions)
    scored = []
    for tpl in rules.scenario.alliances:
        r0, r1 = tpl.roles
        for a in market(cfg, state, go_between):
            for b in market(cfg, state, go_between):
                if (state.firms[a].role, state.firms[b].role) != (r0, r1):
                    continue
                if not (sees_fully(cfg, state, go_between, a) and sees_fully(cfg, state, go_between, b)):
                    continue
                if b not in market(cfg, state, a):
                    continue
                da = full_profile(rules, cfg, state, go_between, a).values
                db = full_profile(rules, cfg, state, go_between, b).values
                fit = estimated_fit(rules, tpl, r0, da, db)
                if fit >= cfg.bots.reservation:
                    scored.append((-fit, tpl.id, a, b))
    out, used = [], {}
    for _, tid, a, b in sorted(scored):
        if len(out) >= left:
            break
        if any(set(p.parties()) == {a, b} and p.template == tid for p in _live(board)):
            continue
        if any(used.get(f, 0) >= capacity(rules, cfg, state, f) for f in (a, b)):
            continue
        try:
            _check_free(rules, cfg, state, board, a, b, tid)
        except SelectionError:
            continue  # already paired there, or full
        for f in (a, b):
            used[f] = used.get(f, 0) + 1
        out.append((a, b, tid))
    return out


def bot_proposals(rules: Rules, cfg: SelectionConfig, state: SessionState, board: Board,
                  fid: str) -> list[tuple[str, str]]:
    """(receiver, template) proposals a firm's bot sends: under each template it is not yet
    paired in, the partner that looks best from its profiles, if it clears the reservation."""
    if is_go_between(cfg, state, fid):
        return []
    held = [p for p in _live(board) if fid in p.parties()]
    room = capacity(rules, cfg, state, fid) - sum(p.status == "accepted" for p in held)
    best: dict[str, tuple[float, str]] = {}
    for g, tpl in _candidates(rules, cfg, state, fid):
        if any(p.template == tpl.id for p in held):
            continue
        fit = _fit_for(rules, cfg, state, board, fid, g, tpl)
        if fit >= cfg.bots.reservation and (tpl.id not in best or fit > best[tpl.id][0]):
            best[tpl.id] = (fit, g)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [(g, tid) for tid, (_, g) in ranked[:max(0, room)]]


def bot_answer(rules: Rules, cfg: SelectionConfig, state: SessionState, board: Board,
               proposal: Proposal, fid: str) -> bool:
    """Whether a firm's bot wants the pairing `proposal` offers (or, for an introduced
    pairing, keeps it): the fit it sees clears the reservation."""
    partner = proposal.sender if proposal.receiver == fid else proposal.receiver
    return _fit_for(rules, cfg, state, board, fid, partner, _template(rules, proposal.template)) \
        >= cfg.bots.reservation


def run_bot_selection(rules: Rules, cfg: SelectionConfig, state: SessionState,
                      introductions: bool = True) -> tuple[Board, list[dict]]:
    """A whole selection phase played by bots, in a fixed order: go-betweens introduce,
    introduced firms keep or decline, every firm proposes, receivers answer, the board
    closes. `state.phase` must be "selection"."""
    board, events = Board(), []

    def do(result):
        nonlocal board
        board, ev = result
        events.extend(ev)

    if introductions:
        for gb in sorted(f for f in state.firms if is_go_between(cfg, state, f)):
            for a, b, tid in bot_introductions(rules, cfg, state, board, gb):
                do(introduce(rules, cfg, state, board, gb, a, b, tid))
        for p in [p for p in board.proposals if p.introduced_by]:
            for f in p.parties():
                current = board.proposal(p.id)
                if current.status == "accepted" and not bot_answer(rules, cfg, state, board, current, f):
                    do(decline(rules, cfg, state, board, p.id, f))
    for fid in sorted(state.firms):
        for receiver, tid in bot_proposals(rules, cfg, state, board, fid):
            try:
                do(propose(rules, cfg, state, board, fid, receiver, tid))
            except SelectionError:
                pass  # the partner filled up meanwhile: a bot does not insist
    for p in list(board.proposals):
        current = board.proposal(p.id)
        if current.status != "pending":
            continue
        if bot_answer(rules, cfg, state, board, current, current.receiver):
            try:
                do(accept(rules, cfg, state, board, p.id, current.receiver))
                continue
            except SelectionError:
                pass
        do(decline(rules, cfg, state, board, p.id, current.receiver))
    return close(board), events
