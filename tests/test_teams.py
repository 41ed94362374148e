"""Team formation (game_rules/teams.py), pure: property tests for every method, and the
team list (CSV) a hostile or careless upload can carry."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from game_rules.teams import MAX_ROWS, Member, TeamListError, form_teams, parse_rows

SETTINGS = dict(deadline=None, max_examples=120)


def members(n: int, firms: list[str], labels: bool = True) -> list[Member]:
    return [Member(f"p{i}", f"Student {i}", f"L{i}" if labels else None, firms[i % len(firms)] if firms else "f0")
            for i in range(n)]


def firm_list(k: int) -> list[tuple[str, str]]:
    return [(f"f{j}", f"Firm {j}") for j in range(k)]


class_sizes = st.integers(0, 70)
firm_counts = st.integers(1, 16)
seeds = st.integers(0, 2**31 - 1)


@settings(**SETTINGS)
@given(n=class_sizes, k=firm_counts, seed=seeds, method=st.sampled_from(["arrival", "random"]))
def test_every_player_seated_once_and_sizes_differ_by_at_most_one(n, k, seed, method):
    fs = firm_list(k)
    ms = members(n, [f for f, _ in fs][::-1])  # start from another arrangement
    plan = form_teams(method, ms, fs, seed=seed)
    assert sorted(plan.firms) == sorted(m.player_id for m in ms)
    assert set(plan.firms.values()) <= {f for f, _ in fs}
    assert sum(plan.sizes.values()) == n
    assert max(plan.sizes.values()) - min(plan.sizes.values()) <= 1
    # the moves are exactly the members whose firm changes
    assert {p for p, _, _ in plan.moves} == {m.player_id for m in ms if plan.firms[m.player_id] != m.firm}


@settings(**SETTINGS)
@given(n=class_sizes, k=firm_counts, seed=seeds)
def test_random_is_deterministic_for_a_seed(n, k, seed):
    fs, ms = firm_list(k), members(n, ["f0"])
    assert form_teams("random", ms, fs, seed=seed) == form_teams("random", ms, fs, seed=seed)


def test_random_differs_between_seeds_and_from_arrival():
    fs, ms = firm_list(4), members(24, ["f0"])
    plans = {tuple(sorted(form_teams("random", ms, fs, seed=s).firms.items())) for s in range(5)}
    assert len(plans) == 5
    assert form_teams("arrival", ms, fs).firms != form_teams("random", ms, fs, seed=1).firms


def test_arrival_is_what_joining_does():
    """Each newcomer takes the emptiest firm, ties to the first: firm after firm."""
    fs = firm_list(3)
    plan = form_teams("arrival", members(7, ["f2"]), fs)
    assert [plan.firms[f"p{i}"] for i in range(7)] == ["f0", "f1", "f2", "f0", "f1", "f2", "f0"]
    assert plan.shape() == [[2, 2], [3, 1]]  # two firms of 2 and one of 3


@settings(**SETTINGS)
@given(n=st.integers(1, 60), k=firm_counts, seed=seeds, groups=st.integers(1, 5))
def test_balanced_spreads_every_group_and_keeps_sizes_even(n, k, seed, groups):
    fs, ms = firm_list(k), members(n, ["f0"])
    rows = [(m.label, f"g{i % groups}") for i, m in enumerate(ms) if i % 7 != 6]  # some students unlisted
    plan = form_teams("balanced", ms, fs, seed=seed, rows=rows)
    assert sorted(plan.firms) == sorted(m.player_id for m in ms)
    assert max(plan.sizes.values()) - min(plan.sizes.values()) <= 1
    group = {label: g for label, g in rows}
    for g in set(group.values()):
        per_firm = {f: 0 for f, _ in fs}
        for m in ms:
            if group.get(m.label) == g:
                per_firm[plan.firms[m.player_id]] += 1
        assert max(per_firm.values()) - min(per_firm.values()) <= 1, (g, per_firm)
    assert set(plan.unlisted) == {m.player_id for m in ms if m.label not in group}
    assert plan == form_teams("balanced", ms, fs, seed=seed, rows=rows)


def test_list_places_the_listed_and_keeps_the_others():
    fs = firm_list(3)
    ms = members(5, ["f0"])
    rows = parse_rows("name,firm\nstudent 1,Firm 2\nL2,f1\n")
    plan = form_teams("list", ms, fs, rows=rows, key=lambda s: s.casefold().replace(" ", ""))
    assert plan.firms == {"p0": "f0", "p1": "f2", "p2": "f1", "p3": "f0", "p4": "f0"}
    assert set(plan.unlisted) == {"p0", "p3", "p4"}
    assert plan.seed is None


def test_list_refuses_everything_wrong_at_once_and_applies_nothing():
    fs, ms = firm_list(2), members(3, ["f0"])
    rows = [("Student 0", "Firm 9"), ("Nobody", "f1"), ("L1", "f0"), ("L1", "f1")]
    with pytest.raises(TeamListError) as e:
        form_teams("list", ms, fs, rows=rows)
    text = str(e.value)
    assert "'Firm 9': no firm" in text and "'Nobody': no seated player" in text and "two firms" in text


def test_list_over_the_cap_is_refused():
    fs, ms = firm_list(2), members(4, ["f0"])
    with pytest.raises(TeamListError, match="at most 3"):
        form_teams("list", ms, fs, rows=[(m.label, "f1") for m in ms], cap=3)


def test_formulas_are_names_like_any_other():
    """A cell like =HYPERLINK(...) is text compared with names: it names nobody, never runs."""
    fs, ms = firm_list(2), members(2, ["f0"])
    rows = parse_rows('=HYPERLINK("http://evil","x"),f1\n+cmd|calc,f0\n')
    assert rows[0][0].startswith("=HYPERLINK")
    with pytest.raises(TeamListError, match="no seated player"):
        form_teams("list", ms, fs, rows=rows)


def test_csv_shapes_semicolons_tabs_bom_blank_lines_header():
    assert parse_rows("\ufeffName;Firm\r\n\r\nAna;f1\r\n") == [("Ana", "f1")]
    assert parse_rows("Ana\tf1\nBen\tf2\n") == [("Ana", "f1"), ("Ben", "f2")]
    with pytest.raises(TeamListError, match="row 2: two cells"):
        parse_rows("Ana,f1\nBen\n")


def test_ten_thousand_rows_are_refused_quickly():
    with pytest.raises(TeamListError, match=f"more than {MAX_ROWS} rows"):
        parse_rows("".join(f"Student {i},f1\n" for i in range(10_000)))


def test_balanced_and_list_need_a_list_and_unknown_methods_are_refused():
    fs, ms = firm_list(2), members(2, ["f0"])
    for method in ("balanced", "list"):
        with pytest.raises(TeamListError, match="upload a list"):
            form_teams(method, ms, fs)
    with pytest.raises(TeamListError, match="method"):
        form_teams("alphabetical", ms, fs)
