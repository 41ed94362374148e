"""Partner selection (game_rules/selection/): partial public profiles hide what they should
and are deterministic for a seed, the go-between sees more, illegal moves are refused with
clear errors, pairings respect every limit, and sidecar files are validated."""
from __future__ import annotations

import statistics

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from game_rules.rules import Rules, instantiate_terms, new_session
from game_rules.scenario import ScenarioError, load_scenario, scenario_ids
from game_rules.selection import (Board, SelectionError, accept, close, decline, default_selection,
                                  estimated_fit, events_for_firm, full_profile, introduce, load_selection,
                                  pairings, parse_selection, propose, public_domains, public_profile,
                                  run_bot_selection, selection_ids, sign_pairings, visible_profiles)

OCEAN = Rules.from_scenario(load_scenario("across_ocean"))
OCEAN_CFG = load_selection(OCEAN.scenario)
TECH = ("harbor", "wavelink", "busline")


def session(rules=OCEAN, seed=0, copies=1, phase="selection"):
    state = new_session(rules, copies=copies, seed=seed)
    state.phase = phase
    return state


def cfg_with(text_extra: str = "", rules=OCEAN, base: str | None = None):
    base = base if base is not None else 'scenario = "across_ocean"\n'
    return parse_selection(base + text_extra, rules.scenario)


def code(excinfo) -> str:
    return excinfo.value.code


# ---- configuration ---------------------------------------------------------------------

def test_shipped_sidecars_load_and_belong_to_selection_scenarios():
    assert set(selection_ids()) <= set(scenario_ids())
    assert {"across_ocean", "one_partner"} <= set(selection_ids())
    for sid in selection_ids():
        s = load_scenario(sid)
        cfg = load_selection(s)
        assert cfg.scenario == sid and s.phases.selection


def test_a_scenario_without_sidecar_gets_defaults():
    s = load_scenario("classic")
    cfg = load_selection(s)
    assert cfg == default_selection(s)
    assert (cfg.top, cfg.rounding, cfg.noise, cfg.go_between) == (2, 5.0, 5.0, None)


def test_the_across_ocean_sidecar_says_what_the_case_needs():
    assert OCEAN_CFG.go_between.roles == ["bridge"]
    assert OCEAN_CFG.go_between.introductions == 2 and OCEAN_CFG.go_between.effect == "skip"
    assert OCEAN_CFG.public["kinsei"] == ["manufacturing", "bus_boards"]
    assert OCEAN_CFG.max_alliances == {"kinsei": 2}


@pytest.mark.parametrize("text, expected", [
    ('colour = 1\n', ["colour: unknown key"]),
    ('[public]\nnobody = ["os_software"]\n', ["public.nobody: unknown role"]),
    ('[public]\nharbor = ["cooking"]\n', ["public.harbor: unknown domain 'cooking'"]),
    ('[public]\nharbor = ["os_software", "os_software"]\n', ["public.harbor: lists a domain more than once"]),
    ('[max_alliances]\nkinsei = 99\n', ["max_alliances.kinsei: must be between 0 and 50 (got 99)"]),
    ('[go_between]\nroles = ["ghost"]\n', ["go_between.roles: unknown role 'ghost'"]),
    ('[go_between]\nroles = ["kinsei"]\n',
     ["go_between.roles: 'kinsei' is a party to alliance 'os_deal'; a go-between brokers alliances, it does not sign them",
      "go_between.roles: 'kinsei' is a party to alliance 'net_deal'; a go-between brokers alliances, it does not sign them",
      "go_between.roles: 'kinsei' is a party to alliance 'bus_deal'; a go-between brokers alliances, it does not sign them"]),
    ('[go_between]\nroles = ["bridge"]\nsees = ["ghost"]\n', ["go_between.sees: unknown role 'ghost'"]),
    ('[go_between]\nroles = ["bridge"]\neffect = "teleport"\n',
     ["go_between.effect: Input should be 'skip' or 'priority' (got 'teleport')"]),
    ('noise = -1\n', ["noise: Input should be greater than or equal to 0 (got -1)"]),
])
def test_sidecar_problems_name_the_field(text, expected):
    with pytest.raises(ScenarioError) as ei:
        cfg_with(text)
    assert ei.value.problems == expected


def test_sidecar_must_match_its_scenario_and_a_selection_phase():
    with pytest.raises(ScenarioError) as ei:
        parse_selection('scenario = "classic"\n', OCEAN.scenario)
    assert ei.value.problems == ["scenario: this file is for 'classic', not 'across_ocean'"]
    classic = load_scenario("classic")
    with pytest.raises(ScenarioError) as ei:
        parse_selection('scenario = "classic"\n', classic)
    assert ei.value.problems == ["scenario: 'classic' has phases.selection = false; "
                                 "set it to true to use a selection file"]
    with pytest.raises(ScenarioError) as ei:
        parse_selection('scenario = \n', OCEAN.scenario)
    assert ei.value.problems[0].startswith("(selection file): not valid TOML")


# ---- profiles hide what they should ----------------------------------------------------------

def test_public_profile_shows_only_the_public_domains():
    state = session()
    p = public_profile(OCEAN, OCEAN_CFG, state, "kinsei1")
    assert set(p.values) == {"manufacturing", "bus_boards"}
    assert "industrial_buyers" in p.hidden and set(p.hidden) | set(p.values) == set(OCEAN.domains)
    assert not p.full
    # a role without a `public` list shows its two strongest domains
    h = public_profile(OCEAN, OCEAN_CFG, state, "harbor1")
    assert set(h.values) == {"os_software", "networking"}
    assert public_domains(OCEAN, OCEAN_CFG, "busline") == ("bus_boards", "manufacturing")


def test_public_values_are_rounded_and_noisy_but_close():
    errors = []
    for seed in range(40):
        state = session(seed=seed)
        for fid, f in state.firms.items():
            for k, v in public_profile(OCEAN, OCEAN_CFG, state, fid).values.items():
                assert v % OCEAN_CFG.rounding == 0 and v >= 0
                errors.append(v - f.competence[k])
    assert any(e != 0 for e in errors)                       # noise is there
    assert abs(statistics.fmean(errors)) < 2.0                 # unbiased
    assert max(abs(e) for e in errors) < 6 * OCEAN_CFG.noise + OCEAN_CFG.rounding


@given(seed=st.integers(0, 10**9))
@settings(max_examples=40, deadline=None)
def test_profiles_are_deterministic_for_a_seed(seed):
    a, b = session(seed=seed), session(seed=seed)
    for fid in a.firms:
        assert public_profile(OCEAN, OCEAN_CFG, a, fid) == public_profile(OCEAN, OCEAN_CFG, b, fid)
        if fid != "bridge1":
            assert full_profile(OCEAN, OCEAN_CFG, a, "bridge1", fid) == full_profile(OCEAN, OCEAN_CFG, b, "bridge1", fid)
    assert visible_profiles(OCEAN, OCEAN_CFG, a, "kinsei1") == visible_profiles(OCEAN, OCEAN_CFG, b, "kinsei1")


def test_different_seeds_give_different_noise():
    shown = {tuple(sorted(public_profile(OCEAN, OCEAN_CFG, session(seed=s), "harbor1").values.items()))
             for s in range(20)}
    assert len(shown) > 1


@given(comp=st.dictionaries(st.sampled_from(["os_software", "networking", "bus_boards",
                                              "manufacturing", "industrial_buyers"]),
                            st.floats(0, 100), min_size=5, max_size=5),
       top=st.integers(0, 5), seed=st.integers(0, 1000))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_profile_never_shows_more_than_its_top_domains(comp, top, seed):
    data = OCEAN.scenario.model_dump()
    data["roles"][0]["competence"] = comp
    rules = Rules.from_scenario(type(OCEAN.scenario).model_validate(data))
    cfg = parse_selection(f'scenario = "across_ocean"\ntop = {top}\n', rules.scenario)
    state = session(rules, seed=seed)
    p = public_profile(rules, cfg, state, "harbor1")
    assert len(p.values) == top
    strongest = sorted(comp.values(), reverse=True)
    for k in p.values:  # the shown domains are the strongest ones
        assert comp[k] >= (strongest[top - 1] if top else 101)
    assert len(p.hidden) == 5 - top


# ---- the go-between sees more ------------------------------------------------------------------

def test_the_go_between_sees_every_domain_of_every_firm():
    state = session()
    gb = visible_profiles(OCEAN, OCEAN_CFG, state, "bridge1")
    other = visible_profiles(OCEAN, OCEAN_CFG, state, "harbor1")
    assert set(gb) == set(state.firms) - {"bridge1"}
    for fid, p in gb.items():
        assert p.full and set(p.values) == set(OCEAN.domains) and p.hidden == ()
    for fid, p in other.items():
        assert not p.full and len(p.values) < len(OCEAN.domains)
    assert sum(len(p.values) for p in gb.values()) > sum(len(p.values) for p in other.values())


def test_the_go_between_sees_more_accurately():
    pub, dossier = [], []
    for seed in range(30):
        state = session(seed=seed)
        for fid in ("harbor1", "wavelink1", "busline1", "kinsei1"):
            truth = state.firms[fid].competence
            pub += [abs(v - truth[k]) for k, v in public_profile(OCEAN, OCEAN_CFG, state, fid).values.items()]
            dossier += [abs(v - truth[k]) for k, v in full_profile(OCEAN, OCEAN_CFG, state, "bridge1", fid).values.items()]
    assert statistics.fmean(dossier) < 0.5 * statistics.fmean(pub)


def test_sees_limits_the_go_betweens_dossiers():
    cfg = cfg_with('[go_between]\nroles = ["bridge"]\nsees = ["kinsei", "harbor"]\n')
    state = session()
    gb = visible_profiles(OCEAN, cfg, state, "bridge1")
    assert gb["kinsei1"].full and gb["harbor1"].full and not gb["wavelink1"].full
    with pytest.raises(SelectionError) as ei:
        full_profile(OCEAN, cfg, state, "bridge1", "wavelink1")
    assert code(ei) == "not_visible"
    with pytest.raises(SelectionError) as ei:
        full_profile(OCEAN, cfg, state, "harbor1", "kinsei1")  # not a go-between
    assert code(ei) == "not_visible"


def test_an_introduction_shares_the_dossier_with_both_firms():
    state = session()
    board, _ = introduce(OCEAN, OCEAN_CFG, state, Board(), "bridge1", "harbor1", "kinsei1", "os_deal")
    seen = visible_profiles(OCEAN, OCEAN_CFG, state, "harbor1", board)
    assert seen["kinsei1"].full and "industrial_buyers" in seen["kinsei1"].values
    assert visible_profiles(OCEAN, OCEAN_CFG, state, "kinsei1", board)["harbor1"].full
    assert not visible_profiles(OCEAN, OCEAN_CFG, state, "wavelink1", board)["kinsei1"].full


# ---- proposals, answers, pairings -----------------------------------------------------------------

def test_propose_accept_pair_and_sign():
    state = session()
    board, ev = propose(OCEAN, OCEAN_CFG, state, Board(), "kinsei1", "harbor1", "os_deal")
    assert ev[0]["type"] == "selection_proposed" and board.proposal(1).status == "pending"
    board, ev = accept(OCEAN, OCEAN_CFG, state, board, 1, "harbor1")
    assert ev[0]["type"] == "selection_accepted"
    (p,) = pairings(OCEAN, OCEAN_CFG, state, board)
    assert (p.alliance_id, p.template, p.firms) == ("os_deal1", "os_deal", ("harbor1", "kinsei1"))
    sign_pairings(OCEAN, state, [p])
    al = state.alliances["os_deal1"]
    # the same term sheet the facilitator's default pairing would have signed
    tpl = next(a for a in OCEAN.scenario.alliances if a.id == "os_deal")
    assert al.terms == instantiate_terms(tpl, 1, state.rounds)


def test_moves_never_change_the_board_they_are_given():
    state = session()
    empty = Board()
    board, _ = propose(OCEAN, OCEAN_CFG, state, empty, "kinsei1", "harbor1", "os_deal")
    assert empty == Board() and len(board.proposals) == 1
    accepted, _ = accept(OCEAN, OCEAN_CFG, state, board, 1, "harbor1")
    assert board.proposal(1).status == "pending" and accepted.proposal(1).status == "accepted"


def test_declined_proposals_make_no_pairing():
    state = session()
    board, _ = propose(OCEAN, OCEAN_CFG, state, Board(), "harbor1", "kinsei1", "os_deal")
    board, ev = decline(OCEAN, OCEAN_CFG, state, board, 1, "kinsei1")
    assert ev[0]["type"] == "selection_declined" and pairings(OCEAN, OCEAN_CFG, state, board) == []
    # once declined, the same pair may try again
    board, _ = propose(OCEAN, OCEAN_CFG, state, board, "kinsei1", "harbor1", "os_deal")
    assert board.proposal(2).status == "pending"


ILLEGAL = [
    # (setup moves, the illegal move, code, message fragment)
    ([], ("propose", "ghost1", "harbor1", "os_deal"), "unknown_firm", "firm 'ghost1' is not in this session"),
    ([], ("propose", "harbor1", "harbor1", "os_deal"), "same_firm", "harbor1 cannot ally with itself"),
    ([], ("propose", "harbor1", "kinsei1", "no_deal"), "unknown_template", "no alliance template 'no_deal'"),
    ([], ("propose", "harbor1", "kinsei1", "net_deal"), "role_mismatch",
     "template 'net_deal' joins a wavelink and a kinsei; harbor1 is a harbor and kinsei1 a kinsei"),
    ([], ("propose", "harbor1", "wavelink1", "os_deal"), "role_mismatch", "wavelink1 a wavelink"),
    ([], ("propose", "bridge1", "kinsei1", "os_deal"), "go_between", "bridge1 is a go-between"),
    ([("propose", "harbor1", "kinsei1", "os_deal")], ("propose", "kinsei1", "harbor1", "os_deal"),
     "duplicate", "proposal #1 between harbor1 and kinsei1 under 'os_deal' is already pending"),
    ([("propose", "harbor1", "kinsei1", "os_deal")], ("accept", 1, "harbor1"), "not_addressee",
     "proposal #1 is addressed to kinsei1, not harbor1"),
    ([("propose", "harbor1", "kinsei1", "os_deal"), ("accept", 1, "kinsei1")], ("accept", 1, "kinsei1"),
     "not_pending", "proposal #1 is already accepted"),
    ([("propose", "harbor1", "kinsei1", "os_deal"), ("accept", 1, "kinsei1")], ("decline", 1, "kinsei1"),
     "not_pending", "proposal #1 is already accepted"),
    ([], ("accept", 7, "kinsei1"), "unknown_proposal", "no proposal #7"),
    ([("propose", "harbor1", "kinsei1", "os_deal"), ("accept", 1, "kinsei1"),
      ("propose", "wavelink1", "kinsei1", "net_deal"), ("accept", 2, "kinsei1")],
     ("propose", "busline1", "kinsei1", "bus_deal"), "at_capacity", "kinsei1 already holds 2 pairing(s), its maximum"),
    ([], ("introduce", "harbor1", "wavelink1", "kinsei1", "net_deal"), "not_go_between", "harbor1 is not a go-between"),
]


def _do(state, board, move, cfg=OCEAN_CFG):
    kind, *args = move
    if kind == "propose":
        return propose(OCEAN, cfg, state, board, *args)
    if kind == "accept":
        return accept(OCEAN, cfg, state, board, *args)
    if kind == "decline":
        return decline(OCEAN, cfg, state, board, *args)
    return introduce(OCEAN, cfg, state, board, *args)


@pytest.mark.parametrize("setup, move, expected_code, fragment", ILLEGAL)
def test_illegal_moves_are_refused_with_clear_errors(setup, move, expected_code, fragment):
    state = session()
    board = Board()
    for m in setup:
        board, _ = _do(state, board, m)
    with pytest.raises(SelectionError) as ei:
        _do(state, board, move)
    assert code(ei) == expected_code and fragment in ei.value.message
    assert str(ei.value).startswith(f"{expected_code}: ")


def test_moves_need_an_open_selection_phase():
    state = session(phase="lobby")
    with pytest.raises(SelectionError) as ei:
        propose(OCEAN, OCEAN_CFG, state, Board(), "harbor1", "kinsei1", "os_deal")
    assert code(ei) == "wrong_phase" and "now: lobby" in ei.value.message
    state = session()
    with pytest.raises(SelectionError) as ei:
        propose(OCEAN, OCEAN_CFG, state, close(Board()), "harbor1", "kinsei1", "os_deal")
    assert code(ei) == "closed"
    classic = Rules.from_scenario(load_scenario("classic"))
    cstate = session(classic)
    with pytest.raises(SelectionError) as ei:
        propose(classic, load_selection(classic.scenario), cstate, Board(), "west1", "east1", "a")
    assert code(ei) == "selection_off"


def test_firms_deal_only_within_their_copy_unless_allowed():
    state = session(copies=2)
    with pytest.raises(SelectionError) as ei:
        propose(OCEAN, OCEAN_CFG, state, Board(), "harbor1", "kinsei2", "os_deal")
    assert code(ei) == "other_market"
    cfg = cfg_with("across_copies = true\n[max_alliances]\nkinsei = 2\n")
    board, _ = propose(OCEAN, cfg, state, Board(), "harbor1", "kinsei2", "os_deal")
    board, _ = accept(OCEAN, cfg, state, board, 1, "kinsei2")
    # harbor1 is paired under os_deal: kinsei1 cannot have it there too
    with pytest.raises(SelectionError) as ei:
        propose(OCEAN, cfg, state, board, "kinsei1", "harbor1", "os_deal")
    assert code(ei) == "already_paired"
    (p,) = pairings(OCEAN, cfg, state, board)
    assert p.alliance_id == "os_deal1x2" and p.firms == ("harbor1", "kinsei2")


# ---- introductions --------------------------------------------------------------------------

def test_an_introduction_with_skip_pairs_at_once_and_either_may_decline():
    state = session()
    board, ev = introduce(OCEAN, OCEAN_CFG, state, Board(), "bridge1", "kinsei1", "harbor1", "os_deal")
    assert ev[0]["type"] == "selection_introduced" and set(ev[0]["parties"]) == {"kinsei1", "harbor1", "bridge1"}
    (p,) = pairings(OCEAN, OCEAN_CFG, state, board)
    assert p.introduced_by == "bridge1" and p.firms == ("harbor1", "kinsei1")
    declined, _ = decline(OCEAN, OCEAN_CFG, state, board, 1, "kinsei1")  # the sender side may opt out
    assert pairings(OCEAN, OCEAN_CFG, state, declined) == []
    with pytest.raises(SelectionError) as ei:
        decline(OCEAN, OCEAN_CFG, state, board, 1, "wavelink1")
    assert code(ei) == "not_addressee"


def test_introductions_are_limited_and_need_dossiers():
    state = session()
    board = Board()
    board, _ = introduce(OCEAN, OCEAN_CFG, state, board, "bridge1", "harbor1", "kinsei1", "os_deal")
    board, _ = introduce(OCEAN, OCEAN_CFG, state, board, "bridge1", "wavelink1", "kinsei1", "net_deal")
    with pytest.raises(SelectionError) as ei:
        introduce(OCEAN, OCEAN_CFG, state, board, "bridge1", "busline1", "kinsei1", "bus_deal")
    assert code(ei) == "no_introductions_left" and "its 2 introduction(s)" in ei.value.message
    cfg = cfg_with('[go_between]\nroles = ["bridge"]\nsees = ["kinsei"]\n')
    with pytest.raises(SelectionError) as ei:
        introduce(OCEAN, cfg, state, Board(), "bridge1", "harbor1", "kinsei1", "os_deal")
    assert code(ei) == "not_visible" and "harbor1" in ei.value.message
    one, _ = introduce(OCEAN, OCEAN_CFG, state, Board(), "bridge1", "harbor1", "kinsei1", "os_deal")
    with pytest.raises(SelectionError) as ei:
        introduce(OCEAN, OCEAN_CFG, state, one, "bridge1", "kinsei1", "harbor1", "os_deal")
    assert code(ei) == "duplicate" and "already accepted" in ei.value.message


def test_priority_introductions_go_first_when_capacity_binds():
    cfg = cfg_with('[max_alliances]\nkinsei = 1\n[go_between]\nroles = ["bridge"]\neffect = "priority"\n')
    state = session()
    board = Board()
    board, _ = propose(OCEAN, cfg, state, board, "busline1", "kinsei1", "bus_deal")          # 1
    board, _ = introduce(OCEAN, cfg, state, board, "bridge1", "harbor1", "kinsei1", "os_deal")  # 2
    assert board.proposal(2).status == "pending" and board.proposal(2).introduced_by == "bridge1"
    board, _ = accept(OCEAN, cfg, state, board, 2, "kinsei1")
    # kinsei1 is now full: the older proposal can no longer be accepted
    with pytest.raises(SelectionError) as ei:
        accept(OCEAN, cfg, state, board, 1, "kinsei1")
    assert code(ei) == "at_capacity"
    (p,) = pairings(OCEAN, cfg, state, board)
    assert p.template == "os_deal" and p.introduced_by == "bridge1"


def test_events_go_to_the_parties_only():
    state = session()
    board, e1 = propose(OCEAN, OCEAN_CFG, state, Board(), "harbor1", "kinsei1", "os_deal")
    board, e2 = introduce(OCEAN, OCEAN_CFG, state, board, "bridge1", "wavelink1", "kinsei1", "net_deal")
    events = e1 + e2
    assert [e["type"] for e in events_for_firm(events, "kinsei1")] == ["selection_proposed", "selection_introduced"]
    assert [e["type"] for e in events_for_firm(events, "bridge1")] == ["selection_introduced"]
    assert events_for_firm(events, "busline1") == []


# ---- property: any sequence of moves keeps every limit -------------------------------------------

MOVES = st.lists(st.tuples(st.sampled_from(["propose", "accept", "decline", "introduce"]),
                           st.sampled_from(["harbor1", "wavelink1", "busline1", "kinsei1", "bridge1",
                                            "harbor2", "kinsei2"]),
                           st.sampled_from(["harbor1", "wavelink1", "busline1", "kinsei1", "kinsei2"]),
                           st.sampled_from(["os_deal", "net_deal", "bus_deal"]),
                           st.integers(1, 8)),
                 max_size=25)


@given(moves=MOVES, across=st.booleans())
@settings(max_examples=150, deadline=None)
def test_any_sequence_of_moves_yields_legal_pairings(moves, across):
    cfg = cfg_with(f"across_copies = {str(across).lower()}\n[max_alliances]\nkinsei = 2\n"
                   '[go_between]\nroles = ["bridge"]\nintroductions = 3\n')
    state = session(copies=2)
    board = Board()
    for kind, a, b, tid, pid in moves:
        try:
            if kind == "propose":
                board, _ = propose(OCEAN, cfg, state, board, a, b, tid)
            elif kind == "accept":
                board, _ = accept(OCEAN, cfg, state, board, pid, b)
            elif kind == "decline":
                board, _ = decline(OCEAN, cfg, state, board, pid, b)
            else:
                board, _ = introduce(OCEAN, cfg, state, board, "bridge1", a, b, tid)
        except SelectionError as e:
            assert e.code and e.message  # refused moves change nothing and say why
    chosen = pairings(OCEAN, cfg, state, board)
    held: dict[str, list[str]] = {}
    for p in chosen:
        tpl = next(t for t in OCEAN.scenario.alliances if t.id == p.template)
        assert tuple(state.firms[f].role for f in p.firms) == tpl.roles
        for f in p.firms:
            held.setdefault(f, []).append(p.template)
    for f, tids in held.items():
        assert len(tids) == len(set(tids))                       # once per template
        assert len(tids) <= (2 if f.startswith("kinsei") else 1)  # capacity
        assert not f.startswith("bridge")                         # the go-between signs nothing
    assert sum(i.by == "bridge1" for i in board.introductions) <= 3
    assert len({p.alliance_id for p in chosen}) == len(chosen)
    sign_pairings(OCEAN, state, chosen)  # every pairing can be signed
    assert len(state.alliances) == len(chosen)


# ---- selection bots ------------------------------------------------------------------------------

def test_bot_selection_is_deterministic_and_uses_the_go_between():
    a, b = session(seed=5), session(seed=5)
    ra = run_bot_selection(OCEAN, OCEAN_CFG, a)
    rb = run_bot_selection(OCEAN, OCEAN_CFG, b)
    assert ra == rb
    board, events = ra
    assert board.closed and len(board.introductions) == 2
    chosen = pairings(OCEAN, OCEAN_CFG, a, board)
    assert {p.template for p in chosen} == {"os_deal", "net_deal"}
    assert all(p.introduced_by == "bridge1" for p in chosen)


def test_without_introductions_the_software_firms_cannot_see_what_kinsei_offers():
    state = session(seed=5)
    board, events = run_bot_selection(OCEAN, OCEAN_CFG, state, introductions=False)
    declined = {e["template"] for e in events if e["type"] == "selection_declined"}
    assert {"os_deal", "net_deal"} <= declined
    assert [p.template for p in pairings(OCEAN, OCEAN_CFG, state, board)] == ["bus_deal"]


def test_estimated_fit_rewards_complementary_partners():
    tpl = next(t for t in OCEAN.scenario.alliances if t.id == "os_deal")
    kinsei = OCEAN.scenario.role("kinsei").competence
    harbor = OCEAN.scenario.role("harbor").competence
    true_fit = estimated_fit(OCEAN, tpl, "harbor", harbor, kinsei)
    guessed = estimated_fit(OCEAN, tpl, "harbor", harbor, {**kinsei, "industrial_buyers": 30.0})
    assert true_fit > OCEAN_CFG.bots.reservation > guessed > 0
    # symmetric: the same pairing seen from either side
    assert estimated_fit(OCEAN, tpl, "kinsei", kinsei, harbor) == pytest.approx(true_fit)


# ---- command line ------------------------------------------------------------------------------

def run_cli(*args, cwd=None):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "game_rules.selection", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_cli_validates_a_sidecar(tmp_path):
    from pathlib import Path
    shipped = Path(__file__).resolve().parents[1] / "game_rules" / "scenarios" / "selection" / "across_ocean.toml"
    ok = run_cli("validate", str(shipped))
    assert ok.returncode == 0 and ok.stdout.strip() == "ok: selection for across_ocean, go-between bridge"
    bad = tmp_path / "bad.toml"
    bad.write_text('scenario = "across_ocean"\n[public]\nharbor = ["cooking"]\n')
    out = run_cli("validate", str(bad))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr == "error: invalid selection file:\n  public.harbor: unknown domain 'cooking'\n"


def test_cli_previews_the_profiles():
    out = run_cli("profiles", "across_ocean", "--seed", "1")
    assert out.returncode == 0, out.stderr
    assert "Kinsei Instruments" in out.stdout and "hides os_software, networking, industrial_buyers" in out.stdout
    assert "what Bridgeway Partners sees:" in out.stdout
