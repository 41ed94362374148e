"""Team formation: who plays in which firm, as the facilitator chooses in the lobby (the
`form_teams` control). Pure: the server gives the seated players and the firms, gets a plan
back, and logs it as facts (`teams_formed`, then one `player_moved` per move).

Methods:
- `arrival`: by order of arrival, firm after firm (what joining does: each newcomer takes
  the emptiest firm, ties to the earliest copy, then role order);
- `random`: the players in an order drawn with `seed` (the same seed gives the same teams),
  then firm after firm;
- `balanced`: a list of `name_or_label,group` rows (e.g. a programme, a section, a skill
  tier): each group is spread over the firms as evenly as possible, its members in an
  order drawn with `seed`; players not on the list form one more group;
- `list`: a list of `name_or_label,firm` rows: the listed players go to their firm, the
  others stay where they are.

`arrival`, `random` and `balanced` fill the firms in turn, so firm sizes differ by at most
one and, with fewer players than seats, the last firms (whole copies of the case first)
stay empty for bots. A list that names an unknown player or firm, a player twice, or makes
a firm larger than the session allows, is refused with every problem at once
(`TeamListError`): nothing is half-applied.
"""
from __future__ import annotations

import csv
import io
import random
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable

METHODS = ("arrival", "random", "balanced", "list")
MAX_ROWS = 2000          # a class list, not a registry: more rows are refused
MAX_CELL = 200           # characters of a name, label, group or firm cell
SHOWN_PROBLEMS = 20      # problems named in the refusal (then "and N more")


@dataclass(frozen=True, slots=True)
class Member:
    """A seated player, in arrival order."""
    player_id: str
    name: str
    label: str | None
    firm: str


@dataclass(frozen=True, slots=True)
class Plan:
    method: str
    seed: int | None
    firms: dict[str, str]                  # player id -> firm, every member
    moves: tuple[tuple[str, str, str], ...]  # (player id, from firm, to firm), members who change firm
    sizes: dict[str, int]                  # firm -> members afterwards, every firm (0 included)
    unlisted: tuple[str, ...] = ()         # list/balanced: members the rows did not name

    def shape(self) -> list[list[int]]:
        """[[size, number of firms of that size], ...] by size: "three firms of 3 and one of 4"."""
        return [[size, n] for size, n in sorted(Counter(self.sizes.values()).items())]

    def to_dict(self) -> dict:
        return {"method": self.method, "seed": self.seed, "firms": dict(self.firms),
                "moves": [{"player_id": p, "from": a, "firm": b} for p, a, b in self.moves],
                "sizes": dict(self.sizes), "shape": self.shape(), "unlisted": list(self.unlisted)}


class TeamListError(ValueError):
    """A team list that cannot be applied as a whole: `problems`, every one of them."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:SHOWN_PROBLEMS]
        more = len(problems) - len(shown)
        super().__init__("; ".join(shown) + (f"; and {more} more" if more > 0 else ""))


def parse_rows(text: str) -> list[tuple[str, str]]:
    """The rows of a two-column CSV (comma, semicolon or tab; an optional header row; a byte
    order mark and blank lines ignored). Cells are text only: a cell starting with `=` is a
    name like any other, never a formula."""
    text = text.lstrip("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    rows, problems = [], []
    for n, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise TeamListError([f"more than {MAX_ROWS} rows: a list of the class is expected"])
        if len(cells) < 2 or not cells[0] or not cells[1]:
            problems.append(f"row {n}: two cells expected (name or label, then firm or group)")
        elif max(len(cells[0]), len(cells[1])) > MAX_CELL:
            problems.append(f"row {n}: a cell longer than {MAX_CELL} characters")
        else:
            rows.append((n, cells[0], cells[1]))
    if rows and rows[0][2].casefold() in ("firm", "team", "group", "firma", "équipe", "groupe"):
        rows = rows[1:]  # a header row
    if problems:
        raise TeamListError(problems)
    return [(who, where) for _, who, where in rows]


def _matcher(members: list[Member], key: Callable[[str], str]) -> Callable[[str], list[Member]]:
    by_label: dict[str, list[Member]] = {}
    by_name: dict[str, list[Member]] = {}
    for m in members:
        if m.label:
            by_label.setdefault(m.label.casefold(), []).append(m)
        by_name.setdefault(key(m.name), []).append(m)

    def find(cell: str) -> list[Member]:
        return by_label.get(cell.casefold()) or by_name.get(key(cell), [])
    return find


def _deal(order: Iterable[Member], firms: list[str]) -> dict[str, str]:
    """Firm after firm, in `firms` order, starting again after the last."""
    return {m.player_id: firms[i % len(firms)] for i, m in enumerate(order)}


def _grouped(members: list[Member], rows: list[tuple[str, str]], rng: random.Random,
             find: Callable[[str], list[Member]], problems: list[str]) -> tuple[list[Member], tuple[str, ...]]:
    """`balanced`: the members in an order that spreads each group over the firms."""
    group: dict[str, str] = {}
    for who, g in rows:
        found = find(who)
        if len(found) != 1:
            problems.append(f"{who!r}: {'no seated player' if not found else 'several players'} with this name or label")
        elif group.setdefault(found[0].player_id, g) != g:
            problems.append(f"{who!r} is listed in two groups")
    unlisted = tuple(m.player_id for m in members if m.player_id not in group)
    groups: dict[str, list[Member]] = {}
    for m in members:
        groups.setdefault(group.get(m.player_id, "\uffff unlisted"), []).append(m)
    order: list[Member] = []
    for g in sorted(groups, key=lambda g: (-len(groups[g]), g)):  # largest groups first: spread best
        part = list(groups[g])
        rng.shuffle(part)
        order += part
    return order, unlisted


def _listed(members: list[Member], rows: list[tuple[str, str]], firm_of: Callable[[str], str | None],
            find: Callable[[str], list[Member]], problems: list[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """`list`: the listed members' firms; the others keep theirs (and are `unlisted`)."""
    out = {m.player_id: m.firm for m in members}
    placed: dict[str, str] = {}
    for who, where in rows:
        found, firm = find(who), firm_of(where)
        if not found:
            problems.append(f"{who!r}: no seated player with this name or label")
        elif len(found) > 1:
            problems.append(f"{who!r}: several players have this name; use their labels")
        if firm is None:
            problems.append(f"{where!r}: no firm with this id or name")
        if len(found) == 1 and firm is not None:
            if placed.setdefault(found[0].player_id, firm) != firm:
                problems.append(f"{who!r} is listed in two firms")
            out[found[0].player_id] = firm
    return out, tuple(m.player_id for m in members if m.player_id not in placed)


def form_teams(method: str, members: list[Member], firms: list[tuple[str, str]], *, seed: int | None = None,
               rows: list[tuple[str, str]] | None = None, cap: int | None = None,
               key: Callable[[str], str] = str.casefold) -> Plan:
    """The plan for `members` (in arrival order) over `firms` ((id, name) in fill order:
    copy, then role). `rows` for `balanced` and `list`; `cap` the most players a firm may
    have; `key` what names are compared as (the server's `seat_key`)."""
    if method not in METHODS:
        raise TeamListError([f"method: one of {', '.join(METHODS)}"])
    if not firms:
        raise TeamListError(["the session has no firms"])
    ids = [f for f, _ in firms]
    if method in ("balanced", "list") and not rows:
        raise TeamListError([f"{method}: upload a list (CSV rows of name or label, then "
                             f"{'group' if method == 'balanced' else 'firm'})"])
    rng = random.Random(seed)
    problems: list[str] = []
    unlisted: tuple[str, ...] = ()
    find = _matcher(members, key)
    if method == "arrival":
        assign = _deal(members, ids)
    elif method == "random":
        order = list(members)
        rng.shuffle(order)
        assign = _deal(order, ids)
    elif method == "balanced":
        order, unlisted = _grouped(members, rows, rng, find, problems)
        assign = _deal(order, ids)
    else:
        names = {}
        for f, name in firms:
            names.setdefault(f.casefold(), f)
            names.setdefault(name.casefold(), f)
        assign, unlisted = _listed(members, rows, lambda cell: names.get(cell.casefold()), find, problems)
    sizes = {f: 0 for f in ids}
    for f in assign.values():
        sizes[f] += 1
    if cap is not None:
        problems += [f"{dict(firms)[f]!r} would have {n} players (at most {cap})" for f, n in sizes.items() if n > cap]
    if problems:
        raise TeamListError(problems)
    moves = tuple((m.player_id, m.firm, assign[m.player_id]) for m in members if assign[m.player_id] != m.firm)
    return Plan(method, seed if method in ("random", "balanced") else None, assign, moves, sizes, unlisted)
