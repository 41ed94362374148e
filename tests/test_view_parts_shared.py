"""A round's views made cheaper without changing a byte (issue 19: the round's end at 1,000 players).

- `diff` leaves a value that is its own old value (the same object) alone without
  comparing it, and otherwise gives, key for key and in the same order, the changes the
  plain recursive diff gave (the reference below, as game_rules/session/deltas.py had it),
  with or without keys to skip and a memo of shared parts' changes (hypothesis, over
  pairs that share parts as views do);
- the parts of firm views that are the same for every firm (the domains, the rival, the
  surveys, the session) or since the last round (a firm's start, a partner, a term sheet)
  are one object, kept in the session (`Session.view_parts`), and given again only while
  what they are made of is unchanged;
- over whole bot sessions (tests/test_view_deltas.py's table: negotiation, practice,
  breaks, chat, drafts), every firm's part built with what the session kept is, encoded,
  the same bytes as one built from nothing, after every step; and every round's changes,
  with the memo, the same bytes as without it.
"""
from __future__ import annotations

import json

import msgpack
from hypothesis import HealthCheck, given, settings, strategies as st

from game_rules.session import views
from game_rules.session.deltas import diff, view_changes
from game_rules.state import TermSheet
import test_view_deltas as delta_tests
from test_view_deltas import Table, docs, sessions
from test_session_views import live, play


def _reference_diff(old: dict, new: dict) -> dict:
    """`diff` as it was before parts were shared (the specification of the changes)."""
    out: dict = {}
    for k, v in new.items():
        if k not in old:
            out.setdefault("set", {})[k] = v
            continue
        o = old[k]
        if o == v:
            continue
        if type(o) is dict and type(v) is dict:
            out.setdefault("sub", {})[k] = _reference_diff(o, v)
        elif type(o) is list and type(v) is list and len(v) > len(o) and v[:len(o)] == o:
            out.setdefault("append", {})[k] = v[len(o):]
        elif type(o) is list and type(v) is list and len(o) == len(v) and all(
                type(a) is dict and type(b) is dict and a.get("id") == b.get("id") for a, b in zip(o, v)):
            out.setdefault("items", {})[k] = [[i, d] for i, (a, b) in enumerate(zip(o, v))
                                              if (d := _reference_diff(a, b))]
        else:
            out.setdefault("set", {})[k] = v
    gone = [k for k in old if k not in new]
    if gone:
        out["unset"] = gone
    return out


def _reference_view_changes(held: dict, touched, new: dict) -> dict:
    out = _reference_diff({k: v for k, v in held.items() if k not in touched},
                          {k: v for k, v in new.items() if k not in touched})
    for k in touched:
        if k in new:
            out.setdefault("set", {})[k] = new[k]
        else:
            out.setdefault("unset", []).append(k)
    return out


def _bytes(x) -> bytes:
    return msgpack.packb(x, use_bin_type=True)  # keys in their order: the bytes a client is sent


@settings(max_examples=150, deadline=None)
@given(docs, docs, st.lists(st.booleans(), min_size=6, max_size=6), st.sets(st.sampled_from("abcdef")))
def test_the_changes_are_the_reference_diffs_key_for_key(old, other, kept, touched):
    # `new` keeps some of `old`'s values as the same objects, as a view keeps its shared parts
    new = {k: (old[k] if k in old and keep else v) for (k, v), keep in zip(other.items(), kept)}
    assert _bytes(diff(old, new)) == _bytes(_reference_diff(old, new))
    memo: dict = {}
    for _ in range(2):  # the second time from the memo
        assert _bytes(view_changes(old, frozenset(touched), new, memo)) == \
            _bytes(_reference_view_changes(old, frozenset(touched), new))


class Counted(list):
    compared = 0

    def __eq__(self, other):
        Counted.compared += 1
        return list.__eq__(self, other)

    __hash__ = None


def test_a_part_that_is_its_own_old_value_is_not_compared():
    part = Counted([{"id": "design"}] * 50)
    Counted.compared = 0
    assert diff({"domains": part, "round": 1}, {"domains": part, "round": 2}) == {"set": {"round": 2}}
    assert Counted.compared == 0
    assert diff({"domains": part}, {"domains": Counted(part)}) == {}  # an equal copy still is
    assert Counted.compared == 1


def test_a_nan_is_compared_as_ever_even_with_itself():
    nan = float("nan")
    assert diff({"x": nan}, {"x": nan}) == _reference_diff({"x": nan}, {"x": nan})


def test_the_parts_the_same_for_every_firm_or_since_the_last_round_are_one_object():
    s = play(seed=3, copies=3, played=1)
    now = live(s)
    before = {f: views.firm_part(s, now, f) for f in s.state.firms}
    a, b = (before[f] for f in list(s.state.firms)[:2])
    for key in ("domains", "rival", "surveys", "session"):
        assert a[key] is b[key], key
    al = s.state.alliances[next(iter(s.state.alliances))]
    x, y = (next(v for v in before[f]["alliances"] if v["id"] == al.id) for f in al.firms)
    assert x["terms"] is y["terms"]
    from game_rules.session import evolve, facts as F
    from game_rules.bots import bot_decision
    from game_rules.decisions import parse_decision
    decisions = {f: parse_decision(f, bot_decision(views.firm_engine_view(s, f), "balanced", 1)).to_dict()
                 for f in s.state.firms}
    evolve(s, F.RoundClosed(s.state.round + 1, "all_submitted", decisions, {f: "submitted" for f in decisions}))
    after = {f: views.firm_part(s, now, f) for f in s.state.firms}
    for f in s.state.firms:
        old, new = before[f], after[f]
        assert new["firm"]["start_competence"] is old["firm"]["start_competence"]
        assert new["domains"] is old["domains"]
        assert new["rival"] is not old["rival"] and new["rival"] != old["rival"]  # the round moved the rival
        for o, n in zip(old["alliances"], new["alliances"]):
            assert n["terms"] is o["terms"] and n["partner"] is o["partner"]


def test_a_kept_part_is_made_again_once_what_it_is_made_of_changed():
    s = play(seed=5, copies=1, played=1)
    now = live(s)
    aid = next(iter(s.state.alliances))
    al = s.state.alliances[aid]
    f = al.firms[0]
    old = views.firm_part(s, now, f)
    s.state.rival["design"] += 1.0        # changed in place: compared by value, not by identity
    s.state.firms[f].name = "Renamed"     # (the partner's name, for its partner)
    terms = al.terms.to_dict()
    terms["exit_penalty"] += 5.0
    al.terms = TermSheet.from_dict(terms)  # a renegotiated sheet: a new one
    new = views.firm_part(s, now, f)
    assert new["rival"]["competence"]["design"] == old["rival"]["competence"]["design"] + 1.0
    partner_view = views.firm_part(s, now, al.partner(f))
    assert next(v for v in partner_view["alliances"] if v["id"] == aid)["partner"]["name"] == "Renamed"
    assert next(v for v in new["alliances"] if v["id"] == aid)["terms"]["exit_penalty"] == terms["exit_penalty"]
    for firm in s.state.firms:
        _same_as_built_from_nothing(s, now, firm)


def _same_as_built_from_nothing(s, now, firm) -> dict:
    kept = views.firm_part(s, now, firm)
    saved, s.view_parts = s.view_parts, {}
    try:
        fresh = views.firm_part(s, now, firm)
    finally:
        s.view_parts = saved
    assert _bytes(kept) == _bytes(fresh), firm
    assert json.dumps(kept) == json.dumps(fresh), firm
    return kept


class CheckedTable(Table):
    """The delta table, checking after every step that each firm's part is the one built
    from nothing, and each round's changes the ones found without the memo."""

    steps = rounds = 0

    def after(self) -> None:
        CheckedTable.steps += 1
        for firm in self.s.state.firms:
            _same_as_built_from_nothing(self.s, self.live(), firm)
        if self._due:
            CheckedTable.rounds += 1
            memo: dict = {}
            for phone in self.phones.values():
                part = views.firm_part(self.s, self.live(), self.s.players[phone.pid].firm)
                held = phone.held[0]
                assert _bytes(view_changes(held, phone.touched, part, memo)) == \
                    _bytes(_reference_view_changes(held, phone.touched, part))
        super().after()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions)
def test_over_whole_sessions_every_kept_part_is_the_one_built_from_nothing(g):
    real, delta_tests.Table = delta_tests.Table, CheckedTable  # the same sessions, checked at every step
    try:
        delta_tests.test_a_client_applying_deltas_has_the_full_view_after_every_round.hypothesis.inner_test(g)
    finally:
        delta_tests.Table = real
    assert CheckedTable.steps > 0 and CheckedTable.rounds > 0


def test_a_players_own_part_is_kept_until_its_seat_changes():
    s = play(seed=7, copies=1, played=1)
    pid = next(iter(s.players))
    me = views.me_of(s, pid)
    assert views.me_of(s, pid) is me
    s.players[pid].language = "fr"   # (as the language_changed fact sets it)
    again = views.me_of(s, pid)
    saved, s.view_parts = s.view_parts, {}
    try:
        assert again == views.me_of(s, pid) and again is not me
    finally:
        s.view_parts = saved
