"""Round deltas (game_rules/session/deltas.py): after a round a player is sent the changes
from the view it holds to the new one, not the whole view.

- `diff` and `patch` are inverse on any JSON-like pair of dicts (hypothesis);
- over whole sessions played on the pure layer (decide + evolve, as in
  tests/test_session_flow.py: seeds, negotiation on and off, one to three copies, a
  results break or none, a practice round or none, people in one firm drafting, chatting
  and submitting, bots in the others), a client that folds every push it is told
  (clients/python/view_fold.py, with the same effects in the same order as the server's
  actor hands them to server/fanout.py) and applies each round's delta ends, after every
  round, with exactly the full view the server builds then; and no delta carries a key
  or value the recipient's new full view lacks (it is computed from the per-party views
  of game_rules/session/views.py, never from the session); a delta cites its round's results
  (`cite_results`, version 3) rather than repeating the `round_result` the client got.
tests/test_view_fold.py checks the same over real sockets with the server's own
bookkeeping (server/view_deltas.py)."""
from __future__ import annotations

import copy
from types import SimpleNamespace as Control

from hypothesis import HealthCheck, given, settings, strategies as st

from clients.python.view_fold import apply
from game_rules.rules import Rules, new_session
from game_rules.scenario import load_scenario
from game_rules.session import commands, controls, facts as F, phases, views
from game_rules.session.deltas import (DELTA_VERSION, PatchError, add_results, cite_results, diff, patch, saves,
                                      touched_by, view_changes, with_me)
from game_rules.session.state import Session
from game_rules.session.step import Logged, PlayerView, Step, Team, Tell, Views, ViewsNext
from game_rules.session.outbox import recipients

T0 = 1_000.0

# ---- diff and patch ---------------------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("ab", max_size=2))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.sampled_from("abcd"), inner, max_size=4)),
                      max_leaves=12)
docs = st.dictionaries(st.sampled_from("abcdef"), values, max_size=6)


@given(docs, docs)
def test_patch_of_a_diff_gives_the_new_dict(old, new):
    assert patch(old, diff(old, new)) == new
    assert diff(new, new) == {}


def test_a_list_that_only_grew_is_sent_as_its_new_items():
    old = {"history": [{"round": 1}], "chat": {"firm:w": ["hi"], "alliance:a1": []}, "gone": 1}
    new = {"history": [{"round": 1}, {"round": 2}], "chat": {"firm:w": ["hi", "yes"], "alliance:a1": []}}
    assert diff(old, new) == {"append": {"history": [{"round": 2}]}, "sub": {"chat": {"append": {"firm:w": ["yes"]}}},
                              "unset": ["gone"]}


# lists of dicts with ids (a firm's alliances), changed in place, grown, shrunk or reordered
items = st.lists(st.fixed_dictionaries({"id": st.sampled_from("xyz"), "trust": st.integers(0, 3)},
                                       optional={"due": st.dictionaries(st.sampled_from("ab"), st.integers(0, 2))}),
                 max_size=3)


@given(items, items, st.booleans())
def test_patch_of_a_diff_gives_the_new_list_of_items(old, new, same_ids):
    if same_ids:  # the same alliances, in the same order, changed in place (what a round does)
        new = [{**b, "id": a["id"]} for a, b in zip(old, new)] + [dict(a) for a in old[len(new):]]
    assert patch({"alliances": old}, diff({"alliances": old}, {"alliances": new})) == {"alliances": new}


def test_a_list_of_the_same_items_is_sent_item_by_item():
    """A round changes an alliance's trust and tranches, not its terms: only that is sent
    (the whole list was sent whenever any field of it changed, before version 2)."""
    terms = {"scope": ["design", "brand"], "tranches": {"w": 4, "e": 4}}
    old = {"alliances": [{"id": "a1", "terms": terms, "trust": 0.9, "released": {"own": {"design": 1}}},
                         {"id": "a2", "terms": terms, "trust": 0.5, "released": {"own": {}}}]}
    new = {"alliances": [{"id": "a1", "terms": terms, "trust": 0.95, "released": {"own": {"design": 2}}},
                         {"id": "a2", "terms": terms, "trust": 0.5, "released": {"own": {}}}]}
    changes = diff(old, new)
    assert changes == {"items": {"alliances": [[0, {"set": {"trust": 0.95}, "sub": {"released": {"sub": {
        "own": {"set": {"design": 2}}}}}}]]}}
    assert patch(old, changes) == new
    reordered = {"alliances": new["alliances"][::-1]}
    assert diff(old, reordered) == {"set": reordered}  # not the same items in place: the list whole


def test_a_rounds_results_are_cited_not_repeated():
    """Version 3: the history's new items that are the round's results (its `round_result`'s
    events) are left out of the changes and put back from the round_result."""
    events = [{"type": "firm_result", "round": 2, "cash": 1.0}, {"type": "round_resolved", "round": 2}]
    old = {"history": [{"type": "firm_result", "round": 1}], "cash": 0.0}
    new = {"history": [*old["history"], *events], "cash": 1.0}
    changes = diff(old, new)
    cited = cite_results(changes, events)
    assert cited == {"set": {"cash": 1.0}} and patch(old, add_results(cited, events)) == new
    more = {**new, "history": [*new["history"], {"type": "note", "round": 2}]}
    cited = cite_results(diff(old, more), events)
    assert cited["append"] == {"history": [{"type": "note", "round": 2}]} and patch(old, add_results(cited, events)) == more
    # not the results first, or none: nothing to cite
    assert cite_results(changes, events[1:]) is None and cite_results(changes, []) is None
    assert cite_results({"set": {"history": new["history"]}}, events) is None
    assert cite_results(diff(old, {**new, "history": [*old["history"], *events[::-1]]}), events) is None


def test_changes_that_do_not_fit_the_view_are_refused():
    for view, changes in (({"history": {}}, {"append": {"history": [1]}}), ({"firm": 3}, {"sub": {"firm": {"set": {}}}}),
                          ({"alliances": [{"id": "a"}]}, {"items": {"alliances": [[1, {"set": {"trust": 1}}]]}}),
                          ({"alliances": [{"id": "a"}]}, {"items": {"alliances": [[True, {}]]}}),
                          ({"alliances": [{"id": "a"}]}, {"items": {"alliances": [0, {}]}}),
                          ({"alliances": [3]}, {"items": {"alliances": [[0, {"set": {"trust": 1}}]]}}),
                          ({"alliances": {}}, {"items": {"alliances": []}})):
        try:
            patch(view, changes)
        except PatchError:
            continue
        raise AssertionError(f"{changes} applied to {view}")


# ---- whole sessions on the pure layer -----------------------------------------------------------------

def _carried(changes: dict, new: dict) -> None:
    """Every key and value the changes carry is the new full view's (the leak check)."""
    for k, v in changes.get("set", {}).items():
        assert k in new and new[k] == v, k
    for k, items in changes.get("append", {}).items():
        assert k in new and isinstance(new[k], list) and new[k][len(new[k]) - len(items):] == items, k
    for k, sub in changes.get("sub", {}).items():
        assert k in new and isinstance(new[k], dict), k
        _carried(sub, new[k])
    for k, pairs in changes.get("items", {}).items():
        assert k in new and isinstance(new[k], list), k
        for i, sub in pairs:
            _carried(sub, new[k][i])


class Phone:
    """One player's client: the view it holds, folded as the server's pushes come, and what
    the server knows of it (the view it was last sent, the keys pushes touched since)."""

    def __init__(self, pid: str):
        self.pid = pid
        self.view: dict | None = None
        self.held: tuple[dict, dict] | None = None   # (firm part, me) last sent
        self.touched: set[str] = set()
        self.result: dict | None = None   # the last round_result it got (a delta may cite it)

    def full(self, part: dict, me: dict) -> None:
        self.view, self.held, self.touched = {**part, "me": me}, (part, me), set()

    def push(self, msg: dict) -> None:
        self.touched |= set(touched_by(msg["type"]))
        if msg["type"] == "round_result":
            self.result = copy.deepcopy(msg)
        self.view = apply(self.view, copy.deepcopy(msg))


class Table:
    """A session played step by step; every effect of a step reaches the phones as the
    server's actor hands it on (a `Tell` at once, full views at once, a round's views after
    the step: server/fanout.py `views_next`)."""

    def __init__(self, options: dict, seed: int):
        rules = Rules.from_scenario(load_scenario("classic"))
        self.s = Session(rules, new_session(rules, options["copies"], seed, 3))
        self.options, self.now = options, T0
        self.phones: dict[str, Phone] = {}
        self.deltas = 0
        self.cited = 0         # deltas that cited the round's results instead of repeating them
        self.item_deltas = 0
        self.results: dict[str, dict] = {}   # firm -> the last round_result it was told   # deltas that changed a list item by item (the firm's alliances)

    def live(self) -> views.Live:
        return views.Live("s1", "CODE", "Class", self.options, frozenset(self.phones), self.now)

    def step(self) -> Step:
        self.now += 1
        self._due = False
        return Step(self.s, self.options, self.now, self._effect)

    def _effect(self, e) -> None:
        if isinstance(e, Tell):
            if e.msg.get("type") == "round_result" and e.to.startswith("firm:"):
                self.results[e.to[5:]] = copy.deepcopy(e.msg)
            to_step = Control(session=self.s)
            for r in recipients(to_step, e.to):
                if r in self.phones and (e.to_sender or r != self._sender):
                    self.phones[r].push(e.msg)
        elif isinstance(e, (Views, Team, PlayerView)):
            for pid, kind in views.due(self.s, e).items():
                if pid in self.phones and kind == "view":
                    self._full(self.phones[pid])
        elif isinstance(e, ViewsNext):
            self._due = True
        else:
            assert isinstance(e, Logged) or not isinstance(e, (Views, ViewsNext))

    def _full(self, phone: Phone) -> None:
        firm = self.s.players[phone.pid].firm
        phone.full(views.firm_part(self.s, self.live(), firm), views.me_of(self.s, phone.pid))

    def after(self) -> None:
        """The round's views, built after the step: each phone gets its delta."""
        if not self._due:
            return
        for phone in self.phones.values():
            firm = self.s.players[phone.pid].firm
            part, me = views.firm_part(self.s, self.live(), firm), views.me_of(self.s, phone.pid)
            held_part, held_me = phone.held
            changes = with_me(view_changes(held_part, phone.touched, part), held_me, me)
            new = {**part, "me": me}
            _carried(changes, new)
            if saves(changes, part):
                self.deltas += 1
                self.item_deltas += "items" in changes
                msg = {"type": "round_delta", "version": DELTA_VERSION, "base": 0, "round": part.get("current_round"),
                       "changes": changes}
                # as server/fanout.py `_cited`: the firm's last round_result, which every phone of it got
                told = self.results.get(firm)
                cited = cite_results(changes, told["events"]) if told else None
                if cited is not None:
                    self.cited += 1
                    msg = {**msg, "results": told["round"], "changes": cited}
                    _carried(cited, new)
                    assert phone.result == told
                phone.view = apply(phone.view, msg, phone.result)
                phone.held, phone.touched = (part, me), set()
            else:
                phone.full(part, me)
            assert phone.view == new, f"{phone.pid}: the delta's result differs from the full view"

    def control(self, action: str, **fields) -> None:
        self._sender = None
        controls.decide(self.step(), Control(action=action, **fields))
        self.after()

    def command(self, pid: str, fn, *args) -> None:
        self._sender = pid
        result = fn(self.step(), self.s.players[pid], *args)
        self.after()
        self.phones[pid].push({"type": "ack", "id": "c", "result": result})

    def clock_runs_out(self) -> None:
        self._sender = None
        st_ = self.step()
        self.now = st_.now = max(self.now, (self.s.clock.deadline or self.now) + 1)
        phases.clock_ran_out(st_)
        self.after()


sessions = st.fixed_dictionaries({
    "seed": st.integers(0, 10_000),
    "copies": st.integers(1, 3),
    "negotiation": st.booleans(),
    "results_break": st.sampled_from(["off", "manual"]),
    "practice_round": st.booleans(),
    "moves": st.lists(st.tuples(st.integers(0, 9), st.booleans(), st.booleans()), min_size=3, max_size=3),
})


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions)
def test_a_client_applying_deltas_has_the_full_view_after_every_round(g):
    options = {"copies": g["copies"], "negotiation": g["negotiation"], "negotiation_seconds": 60,
               "round_seconds": 30, "members_submit": "any", "results_break": g["results_break"],
               "practice_round": g["practice_round"]}
    t = Table(options, g["seed"])
    s = t.s
    for pid in ("p_ada", "p_bea"):  # two people in the first firm; bots in every other
        t.phones[pid] = Phone(pid)
        st_ = t.step()
        st_.fact(F.PlayerJoined(pid, pid, None, "west1", "h", t.now), actor=pid, firm="west1")
        t._full(t.phones[pid])
    t.control("fill_bots", strategy="balanced")
    t.control("start")
    if s.state.phase == "practice":
        t.control("end_round")
        t.control("start")
    if s.state.phase == "negotiation":
        t.clock_runs_out()
    rounds_seen = 0
    while s.state.phase in ("execution", "break"):
        if s.state.phase == "break":
            t.control("next_round")
            continue
        rnd = s.state.round + 1
        value, chat, by_clock = g["moves"][(rnd - 1) % len(g["moves"])]
        t.command("p_bea", commands.draft, {"develop": {"design": float(value)}}, rnd)
        if chat:
            t.command("p_ada", commands.chat, "firm", f"round {rnd}")
        if by_clock:
            t.clock_runs_out()
        else:
            t.command("p_ada", commands.submit, None, rnd, None)
        rounds_seen += 1
        assert rounds_seen <= 10
    assert s.state.phase == "debrief" and rounds_seen == s.state.rounds
    assert t.deltas >= rounds_seen  # each phone got deltas, not only full views
    assert t.cited >= rounds_seen   # and they cited the round's results rather than repeating them
    if any(p.view["alliances"] for p in t.phones.values()):
        assert t.item_deltas > 0  # an alliance's round: its changes, not the whole list
