"""Firm views made cheap without changing a value (issue 19: the round's end at 1,000 players).

- An estimate's noise (`books.noise`, remembered by its seed) is exactly the draw of a
  generator seeded as before (`draw(random.Random(seed text))`), over random seeds, rounds,
  firms and domains; `_estimates` gives what `estimate` gave domain by domain.
- The noise drawn ahead while a round is open (`views.noise_ahead`) is all the next
  round's views need: building them draws nothing new.
- A firm's view found through the session's index of alliances (`Session.alliance_ids`)
  is the one found by scanning the state; the index follows new alliances and new states.
- Building every firm's view visits each alliance a bounded number of times, not once per
  firm (the scan made 500 firms × 250 alliances), during play and at the debrief, where the
  session is scored once for all firms instead of once per firm.
- `TermSheet.to_dict` by hand is `asdict`'s result.
- The server draws the open round's noise ahead (server/views_ahead.py), over real sockets.
"""
from __future__ import annotations

import dataclasses
import random

import aiohttp
from hypothesis import given, settings, strategies as st

from conftest import Api, Client
from game_rules import books, views as engine_views
from game_rules.books import benchmark_sd, draw
from game_rules.fastdict import asdict
from game_rules.rules import sign_alliance
from game_rules.scoring import freedom, partners_of, score_session
from game_rules.session import evolve, facts as F, views
from game_rules.state import TermSheet
from server import views_ahead
from test_session_views import live, play

IDS = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(-2**63, 2**63), rnd=st.integers(0, 60), observer=IDS, partner=IDS, domain=IDS)
def test_the_noise_remembered_is_the_draw_of_the_generator_seeded_as_before(seed, rnd, observer, partner, domain):
    text = ":".join(str(p) for p in (seed, rnd, observer, partner, domain))  # the seed as it always was
    assert books.seed_text(seed, rnd, observer, partner, domain) == text
    expected = draw(random.Random(text))
    assert books.noise(text) == expected
    assert books.noise(text) == expected  # remembered: the same again


def _estimate_as_before(rules, state, observer, partner, domain, effort) -> float:
    sd = benchmark_sd(rules.of(observer).params, effort)
    z = draw(random.Random(":".join(str(p) for p in (state.seed, state.round, observer, partner, domain))))
    return round(max(0.0, state.firms[partner].competence[domain] + sd * z), 1)


def test_every_estimate_of_a_played_session_is_the_one_the_old_formula_gives():
    s = play(seed=11, copies=3, played=2)
    rules, state = s.rules, s.state
    books.noise.cache_clear()
    for al in state.alliances.values():
        for f in al.firms:
            partner = al.partner(f)
            absorb = {k: 7.5 * i for i, k in enumerate(rules.domains)}
            got = engine_views._estimates(rules, state, f, partner, absorb, rules.domains)
            for k in rules.domains:
                want = _estimate_as_before(rules, state, f, partner, k, absorb[k])
                assert got[k] == want
                assert engine_views.estimate(rules, state, f, partner, k, absorb[k]) == want


def test_the_noise_drawn_while_a_round_is_open_is_all_its_end_needs():
    s = play(seed=3, copies=3, played=1)
    books.noise.cache_clear()
    ahead = engine_views.noise_ahead(s.rules, s.state)
    assert len(ahead) == 2 * len(s.state.alliances) * len(s.rules.domains)
    for seed in ahead:
        books.noise(seed)
    drawn = books.noise.cache_info().misses
    decisions = {f: {"firm": f} for f in s.state.firms}
    evolve(s, F.RoundClosed(s.state.round + 1, "all_submitted", decisions, {f: "submitted" for f in decisions}))
    parts = [views.firm_part(s, live(s), f) for f in s.state.firms]
    assert all(p["alliances"] for p in parts)
    assert books.noise.cache_info().misses == drawn  # nothing new drawn at the round's end


def test_a_view_through_the_index_is_the_view_found_by_scanning_and_follows_new_alliances():
    s = play(seed=5, copies=3, played=1)

    def both(firm):
        indexed = views.firm_engine_view(s, firm)
        scanned = engine_views.firm_view(s.rules, s.state, firm, list(s.history[firm]),
                                         indexed and _last(s, firm))
        return indexed, scanned

    for f in s.state.firms:
        a, b = both(f)
        assert a == b
    # a new alliance (a second one for two firms), then a new engine state: the index follows
    west, east = "west1", "east2"
    terms = s.default_terms("a1").to_dict()
    terms = TermSheet.from_dict({**terms, "contributions": {west: terms["contributions"]["west1"],
                                                            east: terms["contributions"]["east1"]},
                                 "min_effort": {west: 0.0, east: 0.0}, "tranches": {west: 2, east: 2},
                                 "split": {west: 0.5, east: 0.5}})
    sign_alliance(s.rules, s.state, "extra", terms)
    assert s.alliance_ids(west)[-1] == "extra" and s.alliance_ids(east)[-1] == "extra"
    assert [a["id"] for a in views.firm_engine_view(s, west)["alliances"]] == \
        [a.id for a in s.state.alliances_of(west, active_only=False)]
    s.state = s.state.clone()
    for f in s.state.firms:
        a, b = both(f)
        assert a == b


def _last(s, firm):
    from game_rules.state import Decision
    last = s.last_decision.get(firm)
    return Decision.from_dict(last) if last else None


class Visits(dict):
    """A dict that counts the entries read by iterating it (a scan of every alliance)."""

    def __init__(self, *a):
        super().__init__(*a)
        self.visits = 0

    def _count(self, it):
        for x in it:
            self.visits += 1
            yield x

    def values(self):
        return self._count(super().values())

    def items(self):
        return self._count(super().items())

    def __iter__(self):
        return self._count(super().__iter__())


def test_building_every_firm_view_visits_each_alliance_a_few_times_not_once_per_firm():
    s = play(seed=2, copies=12, played=1)  # 24 firms, 12 alliances
    s.state.alliances = Visits(s.state.alliances)
    parts = [views.firm_part(s, live(s), f) for f in s.state.firms]
    assert all(len(p["alliances"]) == 1 for p in parts)
    assert s.state.alliances.visits <= 2 * len(s.state.alliances)  # the index, built once


def test_the_debrief_scores_the_class_once_for_every_firm_view():
    s = play(seed=2, copies=12, played=1)
    evolve(s, F.PhaseChanged("debrief"))
    s.state.alliances = Visits(s.state.alliances)
    scores = views.scores_now(s)
    parts = {f: views.firm_part(s, live(s), f, scores) for f in s.state.firms}
    assert s.state.alliances.visits <= 3 * len(s.state.alliances)
    s.state.alliances = dict(s.state.alliances)
    for f, p in parts.items():
        assert p == views.firm_part(s, live(s), f)  # the same as a part built alone
        assert p["score"]["rank"] == scores[f].rank and p["score"]["firms"] == 24
    # the score itself, by the index of alliances, is what the scans gave
    for f in s.state.firms:
        assert scores[f].partners == partners_of(s.state, f)
        assert scores[f].freedom == freedom(s.rules, s.state, f)
    assert score_session(s.rules, s.state) == score_session(s.rules, s.state)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 4), payer=st.sampled_from([None, "a", "b"]), data=st.data())
def test_a_term_sheet_by_hand_is_what_asdict_gives(n, payer, data):
    doms = data.draw(st.lists(st.sampled_from(["design", "brand", "x"]), min_size=1, max_size=3, unique=True))
    num = st.floats(0, 100, allow_nan=False)
    t = TermSheet(tuple(doms), {"a": tuple(doms[:1]), "b": tuple(doms[1:])}, {"a": data.draw(num), "b": 1.0},
                  {"a": n, "b": n + 1}, data.draw(num), "staged", {"a": 0.25, "b": 0.75}, "parallel", n,
                  data.draw(num), data.draw(st.booleans()), 0.3, data.draw(num), payer)
    want = asdict(t)
    want["scope"] = list(t.scope)
    want["contributions"] = {f: list(v) for f, v in t.contributions.items()}
    got = t.to_dict()
    assert got == want and list(got) == [f.name for f in dataclasses.fields(TermSheet)]
    assert TermSheet.from_dict(got) == t


async def test_the_server_draws_the_open_rounds_noise_ahead(start_server, monkeypatch):
    monkeypatch.setattr(views_ahead, "AFTER_S", 0.0)
    server = await start_server(status_every=0)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        session = await api.create(scenario="classic", copies=2, seed=9, negotiation=False)
        joined = [await api.join(session["code"], n) for n in ("Ada", "Bo", "Cy", "Di")]
        players = [await Client.login(server.url, j["player_token"]) for j in joined]
        try:
            books.noise.cache_clear()
            await api.control(session, "start")
            for c in players:
                await c.wait_for(lambda m: m["type"] == "view" and m["view"].get("current_round") == 1)
            # the round's views scheduled the draw; an answer to a command queued after it
            # comes once it ran (one actor, one queue)
            assert (await players[0].cmd("draft", fields={"develop": {"design": 1.0}}, round=1))["type"] == "ack"
            actor = server.hub.sessions[session["session_id"]]
            seeds = engine_views.noise_ahead(actor.session.rules, actor.session.state)
            assert seeds
            misses = books.noise.cache_info().misses
            for seed in seeds:
                books.noise(seed)
            assert books.noise.cache_info().misses == misses  # all drawn already
        finally:
            for c in players:
                await c.close()
