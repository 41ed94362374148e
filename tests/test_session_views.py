"""Every per-party view of a live session, on the pure layer (game_rules/session/views.py):
no server, no sockets. A session is played by the pure `decide` and `evolve` (seats,
negotiations signed, chat on every channel, drafts, rounds resolved, one round still
open with some decisions in), with treatments per firm and numbers that mark each firm's
secrets. Then:

- every firm's view holds nothing of another firm: its brief, its absorb, protect and
  develop (played, submitted or drafted), its draft, its players, the chat of channels
  the firm does not read, or any treatment's name;
- the negotiation view of a firm that is not a party is refused;
- over random sessions (hypothesis), a firm's view does not change when only other
  firms' secrets change: their drafts, the briefs of other roles, another copy's chat,
  the decisions other firms have sent in for the round still open. Each of these leaves
  every public effect as it was, so the view must be byte-for-byte the same. (What a
  firm may infer from public effects is tests/test_security_inference.py's part.)
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from game_rules import treatments as within
from game_rules.decisions import parse_decision, validate_decision
from game_rules.rules import Rules, instantiate_terms, new_session
from game_rules.scenario import load_scenario
from game_rules.session import decide, evolve, facts as F, views
from game_rules.session.decide import Refused
from game_rules.session.state import Session

CLASSIC = load_scenario("classic")
TREATMENTS = {"tr_quartz_hidden": {"value_scale": 2}, "tr_basalt_hidden": {"value_scale": 6, "eta": 1.5}}
OPTIONS = {"members_submit": "any"}


def _rules(briefs: dict[str, str] | None = None, treated: bool = True) -> Rules:
    """classic (with `briefs`: role -> a different brief text), treatments per firm."""
    scenario = CLASSIC
    if briefs:
        roles = [r.model_copy(update={"brief": briefs.get(r.id, r.brief)}) for r in scenario.roles]
        scenario = scenario.model_copy(update={"roles": roles})
    base = Rules.from_scenario(scenario)
    if not treated:
        return base
    firms = list(new_session(base, 3, 1).firms)
    of_firm = {f: sorted(TREATMENTS)[i % 2] for i, f in enumerate(firms)}
    return within.session_rules(base, {"treatments": TREATMENTS, "treatment_of_firm": of_firm}, lambda t: (
        Rules.from_scenario(load_scenario("classic", {k: str(v) for k, v in t.items()}))))


def mark(i: int, rnd: int, k: int) -> float:
    """A number no formula of the game makes: firm `i`'s secret in round `rnd`, slot `k`."""
    return round(0.001 * (i + 1) + 0.0000137 * rnd + 0.00000031 * (k + 1) + 0.1234, 9)


def secret_decision(s: Session, firm: str, rnd: int) -> dict:
    """A legal decision whose absorb, develop and protect amounts mark the firm."""
    i = list(s.state.firms).index(firm)
    alliances = s.state.alliances_of(firm)
    d = {"contribute": {k: 16.0 for a in alliances for k in a.terms.contributions.get(firm, ())},
         "absorb": {k: 3 + mark(i, rnd, j) for j, k in enumerate(sorted({k for a in alliances for k in a.terms.scope}))},
         "develop": {k: 2 + mark(i, rnd, 10 + j) for j, k in enumerate(s.rules.domains)},
         "protect": 1 + mark(i, rnd, 20)}
    return d


def secret_numbers(s: Session, firm: str, upto: int) -> set[float]:
    out = set()
    for rnd in range(1, upto + 1):
        d = secret_decision(s, firm, rnd)
        out |= set(d["absorb"].values()) | set(d["develop"].values()) | {d["protect"]}
    return out


@dataclass
class Secrets:
    """What may differ between two plays of the same session (see the module text)."""
    briefs: dict[str, str] = field(default_factory=dict)          # role -> brief text
    drafts: dict[str, dict] = field(default_factory=dict)         # firm -> draft fields (the open round)
    chat: dict[str, list[str]] = field(default_factory=dict)      # firm -> lines, on each of its channels
    submit: dict[str, dict] = field(default_factory=dict)         # firm -> decision sent in (the open round)


def play(seed: int = 7, copies: int = 2, played: int = 2, secrets: Secrets | None = None,
         treated: bool = True) -> Session:
    """A session played on the pure layer to round `played + 1`, open, in execution."""
    secrets = secrets or Secrets()
    rules = _rules(secrets.briefs, treated)
    s = Session(rules, new_session(rules, copies, seed, played + 2))
    for i, firm in enumerate(s.state.firms):
        for n in (1, 2):
            evolve(s, F.PlayerJoined(f"p_{firm}_{n}", f"Player {n} of {firm}", None, firm, "h", float(i * 2 + n)))
    evolve(s, F.PhaseChanged("negotiation"))
    for tpl in rules.scenario.alliances:
        for c in range(1, copies + 1):
            aid = f"{tpl.id}{c}"
            firms = list(instantiate_terms(tpl, c, s.state.rounds).split)
            evolve(s, F.NegotiationOpened(aid, firms))
            a, b = (s.members(f)[0] for f in firms)
            evolve(s, decide.negotiate(s, a, aid, "offer", s.default_terms(aid).to_dict())[0])
            evolve(s, decide.negotiate(s, b, aid, "accept", None)[0])
            evolve(s, F.AllianceSigned(aid, s.negotiations[aid].agreed_terms.to_dict()))
    for firm, lines in secrets.chat.items():
        p = s.members(firm)[0]
        for text in lines:
            for to in ("firm", "alliance"):
                evolve(s, decide.chat(s, p, to, f"{to}: {text}", 100.0)[0])
    evolve(s, F.PhaseChanged("execution"))
    for rnd in range(1, played + 1):
        decisions = {}
        for f in s.state.firms:
            d = parse_decision(f, secret_decision(s, f, rnd))
            validate_decision(s.rules, s.state, d)
            decisions[f] = d.to_dict()
        evolve(s, F.RoundClosed(rnd, "all_submitted", decisions, {f: "submitted" for f in decisions}))
    for firm, fields in secrets.drafts.items():
        evolve(s, decide.draft(s, s.members(firm)[0], fields, None)[0])
    for firm, raw in secrets.submit.items():
        evolve(s, decide.submit(s, s.members(firm)[1], raw, None, None)[0])
    return s


def live(s: Session, online=()) -> views.Live:
    return views.Live("s_1", "CODE", "A class", OPTIONS, frozenset(online), 1000.0)


def numbers(obj) -> set[float]:
    if isinstance(obj, dict):
        return set().union(*(numbers(v) for v in obj.values())) if obj else set()
    if isinstance(obj, list):
        return set().union(*(numbers(v) for v in obj)) if obj else set()
    return {obj} if isinstance(obj, float) else set()


def player(s: Session, firm: str) -> dict:
    return views.player_view(s, live(s), s.members(firm)[0].id)


# ---- a played session: what each firm's players are told -----------------------------------

def test_a_firm_sees_nothing_of_another_firms_secrets():
    firms = ["west1", "east1", "west2", "east2"]
    secrets = Secrets(chat={f: [f"chat-secret-of-{f}"] for f in firms},
                      drafts={f: {"protect": 5 + mark(i, 9, 0), "develop": {"brand": 4 + mark(i, 9, 1)}}
                              for i, f in enumerate(firms)},
                      submit={"east1": {"protect": 7 + mark(1, 8, 0)}})
    s = play(secrets=secrets)
    assert list(s.state.firms) == firms and s.state.round == 2
    brief = {f: s.rules.scenario.role(s.state.firms[f].role).brief for f in firms}
    for firm in firms:
        v = player(s, firm)
        text = json.dumps(v)
        seen = numbers(v)
        assert v["firm"]["brief"] == brief[firm] and v["draft"] == s.drafts[firm]  # its own, exactly
        assert numbers(s.drafts[firm]) <= seen  # (the search finds a firm's own numbers)
        partner = {a.partner(firm) for a in s.state.alliances_of(firm)}
        for other in firms:
            if other == firm:
                continue
            if s.state.firms[other].role != s.state.firms[firm].role:
                assert brief[other] not in text, (firm, other)
            assert not secret_numbers(s, other, 2) & seen, (firm, other, "played amounts")
            assert not numbers(s.drafts[other]) & seen, (firm, other, "draft")
            # its roster (a partner's chat lines name their sender, and that is all)
            assert f"Player 2 of {other}" not in text and f"p_{other}_2" not in text, (firm, other, "players")
            if other not in partner:
                assert f"Player 1 of {other}" not in text and f"p_{other}_1" not in text, (firm, other, "players")
            assert f"firm: chat-secret-of-{other}" not in text, (firm, other, "its firm channel")
            if other not in partner:  # a partner's alliance lines are on the firm's own channel
                assert f"alliance: chat-secret-of-{other}" not in text, (firm, other, "its alliance channel")
        assert sorted(v["chat"]) == sorted([f"firm:{firm}"] + [f"alliance:{a.id}" for a in s.state.alliances_of(firm)])
        assert f"firm: chat-secret-of-{firm}" in text
        # the decision east1 sent in for the open round: its own view only
        assert (7 + mark(1, 8, 0) in seen) == (firm == "east1")
        for name in TREATMENTS:
            assert name not in text, (firm, name)
        assert v["submitted"] == s.submitted.get(firm)


def test_the_negotiation_view_of_a_firm_that_is_not_a_party_is_refused():
    s = play(played=0)
    neg = s.negotiations["a1"]
    assert views.negotiation_for(s, neg, "west1")["partner"]["id"] == "east1"
    with pytest.raises(Refused) as e:
        views.negotiation_for(s, neg, "west2")
    assert e.value.code == "forbidden"
    assert [n["id"] for n in player(s, "west2")["negotiations"]] == ["a2"]


def test_the_web_context_is_the_firms_negotiation_views():
    """The term-sheet form's defaults are the negotiation view's (one `default_terms`),
    also for a pairing partner selection made across copies of the case."""
    s = play(played=0)
    for firm in s.state.firms:
        ctx = views.web_context(s, firm)
        mine = {n["id"]: n for n in player(s, firm)["negotiations"]}
        assert ctx == {"firm": firm, "negotiations": {k: {"partner": n["partner"], "default_terms": n["default_terms"]}
                                                     for k, n in mine.items()}}
    rules = Rules.from_scenario(load_scenario("across_ocean"))
    s = Session(rules, new_session(rules, 2, 5, 3))
    evolve(s, F.SelectionOpened({}))
    pair = {"alliance_id": "os_deal1x2", "template": "os_deal", "firms": ["harbor1", "kinsei2"], "introduced_by": None}
    evolve(s, F.SelectionClosed([pair]))
    evolve(s, F.NegotiationOpened("os_deal1x2", ["harbor1", "kinsei2"]))
    terms = views.web_context(s, "harbor1")["negotiations"]["os_deal1x2"]["default_terms"]
    assert set(terms["split"]) == set(terms["contributions"]) == {"harbor1", "kinsei2"}
    assert views.web_context(s, "harbor2") == {"firm": "harbor2", "negotiations": {}}


def test_status_and_team_say_who_is_online_from_the_server_data():
    s = play(played=0, treated=False)
    ana, ben = (p.id for p in s.members("west1"))
    v = views.firm_part(s, live(s, {ana, "facilitator"}), "west1")
    assert [(m["player_id"], m["connected"]) for m in v["team"]] == [(ana, True), (ben, False)]
    st_ = views.status(s, live(s, {ana, "facilitator"}))
    assert st_["connected"] == 1 and [p["connected"] for p in st_["players"]].count(True) == 1
    sub = views.Live("s", "C", "t", {"members_submit": "submitter"}, frozenset({ben}), 0.0)
    assert views.firm_part(s, sub, "west1")["submitter"] == ben  # the earliest online member
    assert views.submitter(s, "west1", ()) == ana                  # else the earliest member
    full = views.facilitator_view(s, live(s), "http://x/join?code=CODE")
    assert full["session"]["join_url"] == "http://x/join?code=CODE" and set(full["drafts"]) == set()
    treated = views.Live("s", "C", "t", {"members_submit": "any", "treatment_of_firm": {"west1": "tr_x"}})
    frame = views.debrief_frame(s, treated)  # the facilitator's debrief: treatments named
    assert frame["firms"]["west1"]["treatment"] == "tr_x" and frame["firms"]["east1"]["treatment"] is None


# ---- other firms' secrets change, a firm's view does not ---------------------------------------

drafts = st.fixed_dictionaries({}, optional={
    "protect": st.floats(0, 40),
    "develop": st.dictionaries(st.sampled_from([d.id for d in CLASSIC.domains]), st.floats(0, 20), max_size=2)})
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(str.strip)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), copies=st.integers(1, 3), played=st.integers(0, 2), observer=st.integers(0, 5),
       data=st.data())
def test_a_firms_view_is_unchanged_when_only_other_firms_secrets_change(seed, copies, played, observer, data):
    firms = list(new_session(Rules.from_scenario(CLASSIC), copies, seed).firms)
    me = firms[observer % len(firms)]
    other_role = {"west": "east", "east": "west"}[me.rstrip("0123456789")]
    others = [f for f in firms if f != me]
    partner = next(f for f in firms if f[-1] == me[-1] and f != me)
    other_copies = [f for f in others if f[-1] != me[-1]]

    def secrets() -> Secrets:
        return Secrets(briefs={other_role: data.draw(texts)},
                       drafts={f: data.draw(drafts) for f in others},
                       chat={f: data.draw(st.lists(texts, max_size=2)) for f in other_copies},
                       submit={f: (secret_decision_for(f, played + 1)) for f in others if data.draw(st.booleans())})

    def secret_decision_for(firm: str, rnd: int) -> dict:
        i = firms.index(firm)
        return {"develop": {"brand": 1 + mark(i, rnd, data.draw(st.integers(0, 9)))}}

    a, b = secrets(), secrets()
    sa, sb = play(seed, copies, played, a), play(seed, copies, played, b)
    assert player(sa, me) == player(sb, me)
    assert views.web_context(sa, me) == views.web_context(sb, me)
    # the check has teeth: the partner's chat on the alliance channel, or the firm's own
    # draft, does change it
    c = Secrets(briefs=a.briefs, drafts={**a.drafts, me: {"protect": 3.5}}, chat=a.chat, submit=a.submit)
    assert player(play(seed, copies, played, c), me) != player(sa, me)
    d = Secrets(briefs=a.briefs, drafts=a.drafts, chat={**a.chat, partner: ["hello partner"]}, submit=a.submit)
    assert player(play(seed, copies, played, d), me) != player(sa, me)
