"""The stylized facts of GAME.md section 9 as margins, measurable away from the defaults.

Each fact is a function `(ctx) -> list[float]`: one margin per seed (paired: the same seed
plays every variant the fact compares), positive when the fact holds in that game. A cell of
the robustness table is a fact in one context (a scenario, `--set` overrides such as
`eta=0.8`, `rounds=12` or `terms.form=serial`) and reports the mean margin over the seeds
with twice its standard error. `tests/test_robustness.py` samples cells;
`benchmarks/robustness.py` runs them all and writes the table in docs/model.md.

Pure like the engine: the same context and seeds give the same margins.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from math import sqrt

from .bots import STRATEGIES
from .lessons import learned, sign_nothing
from .rules import Rules
from .scenario import Params, load_scenario
from .scoring import score_session
from . import simulate
from .lean_play import play
from .simulate import GameRecord

# scenarios whose first alliance is a two-firm deal the intent facts can be played on
PAIR_SCENARIOS = ("classic", "chip_tranches", "joint_plant", "minority_stake", "rivals_to_partners")
FAST_PACE, SLOW_PACE = 1.6, 1.0  # fact 5: the same firm at two development paces
# fact 13: where the racing internalizer can graduate (close a quarter of its gap) within the
# game; in joint_plant (lean production, tacitness 0.8) and rivals_to_partners it never does,
# so the margin is exactly 0 there (docs/model.md, section 13)
RACE_SCENARIOS = ("classic", "chip_tranches", "minority_stake")


@dataclass
class Context:
    """One cell's setting. Games are played once per distinct game: the same strategies,
    signing and *effective rules* (two override sets that give the same scenario, such as
    `terms.release=staged` where staged is already the default, share their games), on the
    lean path (`game_rules.lean_play`: the same game, without the views no bot reads)."""
    scenario: str = "classic"
    overrides: dict[str, str] = field(default_factory=dict)
    seeds: int = 20
    # True: every call plays its games afresh through `simulate.play`, nothing shared (the
    # reference the cache and the lean path are checked against, tests/test_robustness.py)
    reference: bool = False
    _cache: dict = field(default_factory=dict, repr=False)

    def rules(self, extra: dict[str, str] | None = None) -> Rules:
        key = ("rules", tuple(sorted((extra or {}).items())))
        if key not in self._cache:
            self._cache[key] = Rules.from_scenario(load_scenario(self.scenario, {**self.overrides, **(extra or {})}))
        return self._cache[key]

    def _fingerprint(self, extra: dict[str, str] | None) -> str:
        key = ("fingerprint", tuple(sorted((extra or {}).items())))
        if key not in self._cache:
            self._cache[key] = self.rules(extra).scenario.model_dump_json()
        return self._cache[key]

    def pair(self) -> tuple[str, str]:
        """The two roles of the scenario's first alliance (the pair the facts are played on)."""
        return tuple(self.rules().scenario.alliances[0].roles)

    def games(self, a: str, b: str, extra: dict[str, str] | None = None, allied: bool = True) -> list[GameRecord]:
        """The pair playing strategies a and b (every other role balanced), one game per seed."""
        if self.reference:
            return self._play(simulate.play, a, b, extra, allied)
        key = ("games", a, b, self._fingerprint(extra), allied)
        if key not in self._cache:
            self._cache[key] = self._play(play, a, b, extra, allied)
        return self._cache[key]

    def _play(self, how, a: str, b: str, extra, allied: bool) -> list[GameRecord]:
        ra, rb = self.pair()
        kw = {} if allied else {"sign": sign_nothing}
        return [how(self.rules(extra), {ra: a, rb: b}, sd, **kw) for sd in range(self.seeds)]

    def scores(self, a, b, extra=None, allied=True) -> list[dict]:
        if self.reference:
            return [score_session(self.rules(extra), g.state) for g in self.games(a, b, extra, allied)]
        key = ("scores", a, b, self._fingerprint(extra), allied)
        if key not in self._cache:
            self._cache[key] = [score_session(self.rules(extra), g.state) for g in self.games(a, b, extra, allied)]
        return self._cache[key]


def firm(role: str) -> str:
    return f"{role}1"


# ---- the facts --------------------------------------------------------------------------

def fact1_internal(ctx: Context) -> list[float]:
    """An internalizer with an avoider ends with a positive internal gain, the avoider negative."""
    ra, rb = ctx.pair()
    out = []
    for sc in ctx.scores("internalizer", "avoider"):
        out.append(min(sc[firm(ra)].internal_gain, -sc[firm(rb)].internal_gain))
    return out


def fact1_cash(ctx: Context) -> list[float]:
    """... and both earn more cash than playing alone (relative excess of the worse-off)."""
    ra, rb = ctx.pair()
    allied, alone = ctx.games("internalizer", "avoider"), ctx.games("internalizer", "avoider", allied=False)
    return [min(g.state.firms[f].cash / max(1e-9, h.state.firms[f].cash) - 1 for f in (firm(ra), firm(rb)))
            for g, h in zip(allied, alone)]


def fact1_cash_investment(ctx: Context) -> list[float]:
    """Fact 1's cash part restated (docs/model.md, section 12): the avoider earns more cash
    than alone, and so does the internalizer once the points it spent absorbing are counted
    as the investment they are (the alliance itself pays; the learning is bought)."""
    ra, rb = ctx.pair()
    allied, alone = ctx.games("internalizer", "avoider"), ctx.games("internalizer", "avoider", allied=False)
    out = []
    for g, h in zip(allied, alone):
        spent = sum(sum(d[firm(ra)].get("absorb", {}).values()) for d in g.decisions)
        out.append(min((g.state.firms[firm(ra)].cash + spent) / max(1e-9, h.state.firms[firm(ra)].cash),
                       g.state.firms[firm(rb)].cash / max(1e-9, h.state.firms[firm(rb)].cash)) - 1)
    return out


def _ended(g: GameRecord, rounds: int) -> int:
    return g.dissolved_round() or rounds + 1


def fact2_convergent(ctx: Context) -> list[float]:
    """Two internalizers dissolve earlier than internalizer/avoider, avoider/internalizer and
    two balanced firms (rounds earlier, against the closest of the three)."""
    n = ctx.rules().scenario.rounds
    both = ctx.games("internalizer", "internalizer")
    others = [ctx.games("internalizer", "avoider"), ctx.games("avoider", "internalizer"), ctx.games("balanced", "balanced")]
    return [min(_ended(o[i], n) for o in others) - _ended(g, n) for i, g in enumerate(both)]


def fact3_staged_internal(ctx: Context) -> list[float]:
    """A balanced firm against an internalizer keeps more internal gain with staged release
    than with upfront release (both sides' tranches follow the one term)."""
    ra, _ = ctx.pair()
    staged, upfront = ctx.scores("balanced", "internalizer", {"terms.release": "staged"}), \
        ctx.scores("balanced", "internalizer", {"terms.release": "upfront"})
    return [s[firm(ra)].internal_gain - u[firm(ra)].internal_gain for s, u in zip(staged, upfront)]


def fact3_staged_learning(ctx: Context) -> list[float]:
    """The restated fact 3: the internalizer learns less of what the releasing firm
    contributes when it is released in tranches (relative to upfront)."""
    ra, rb = ctx.pair()
    doms = ctx.rules().scenario.alliances[0].terms.contributions.get(ra, [])
    st = ctx.games("balanced", "internalizer", {"terms.release": "staged"})
    up = ctx.games("balanced", "internalizer", {"terms.release": "upfront"})
    out = []
    for s, u in zip(st, up):
        ls, lu = (sum(learned(g, firm(rb), k) for k in doms) for g in (s, u))
        out.append((lu - ls) / max(1e-9, lu))
    return out


def fact3_cash(ctx: Context) -> list[float]:
    """... while the releasing firm's cash falls by less than 10%."""
    ra, _ = ctx.pair()
    st = ctx.games("balanced", "internalizer", {"terms.release": "staged"})
    up = ctx.games("balanced", "internalizer", {"terms.release": "upfront"})
    return [s.state.firms[firm(ra)].cash / max(1e-9, u.state.firms[firm(ra)].cash) - 0.9 for s, u in zip(st, up)]


def fact4_tacitness(ctx: Context) -> list[float]:
    """The same learner learns less of a domain the more tacit it is (classic: manufacturing)."""
    ra, rb = ctx.pair()
    dom = ctx.rules().scenario.alliances[0].terms.contributions[rb][0]
    lo = ctx.games("internalizer", "avoider", {f"tacitness.{dom}": "0.2"})
    hi = ctx.games("internalizer", "avoider", {f"tacitness.{dom}": "0.9"})
    return [learned(a, firm(ra), dom) - learned(b, firm(ra), dom) for a, b in zip(lo, hi)]


def fact5_pace(ctx: Context) -> list[float]:
    """Difference in differences: the internal gain a firm loses to an internalizing partner,
    compared with an avoiding one, is smaller when the firm is fast than when it is slow."""
    ra, _ = ctx.pair()

    def loss(pace):
        ov = {f"pace.{ra}": str(pace)}
        avoid = ctx.scores("balanced", "avoider", ov)
        inter = ctx.scores("balanced", "internalizer", ov)
        return [a[firm(ra)].internal_gain - i[firm(ra)].internal_gain for a, i in zip(avoid, inter)]
    return [s - f for s, f in zip(loss(SLOW_PACE), loss(FAST_PACE))]


def fact6_scope(ctx: Context) -> list[float]:
    """Domains outside the scope move far less (under a fifth of what the scope domains do)."""
    ra, rb = ctx.pair()
    scope = set(ctx.rules().scenario.alliances[0].terms.scope)
    out = []
    for g in ctx.games("avoider", "internalizer"):
        inside = sum(learned(g, firm(rb), k) for k in scope)
        outside = sum(learned(g, firm(rb), k) for k in ctx.rules().domains if k not in scope)
        out.append(0.2 - outside / max(1e-9, inside))
    return out


def fact8_not_used_up(ctx: Context) -> list[float]:
    """With decay 0 the revealing avoider's competences never fall (smallest step, >= 0)."""
    ra, _ = ctx.pair()
    out = []
    for g in ctx.games("avoider", "internalizer", {"decay": "0"}):
        prev = ctx.rules({"decay": "0"}).scenario.role(ra).competence
        worst = 0.0
        for r in g.rounds:
            now = r["competence"][firm(ra)]
            worst = min(worst, *(now[k] - prev[k] for k in now))
            prev = now
        out.append(worst + 1e-9)
    return out


def fact9_spiral(ctx: Context) -> list[float]:
    """An avoider's dependency rises over the game while its internalizing partner's falls."""
    ra, rb = ctx.pair()
    return [min(g.rounds[-1]["dependency"][firm(rb)] - g.rounds[0]["dependency"][firm(rb)],
                g.rounds[0]["dependency"][firm(ra)] - g.rounds[-1]["dependency"][firm(ra)])
            for g in ctx.games("internalizer", "avoider")]


def fact11_differences(ctx: Context) -> list[float]:
    """Complementary partners create more joint value than alike ones (classic's two domains)."""
    comp = {"competence.west.design": "80", "competence.west.manufacturing": "20",
            "competence.east.design": "20", "competence.east.manufacturing": "80"}
    alike = {k: "50" for k in comp}
    c, a = ctx.games("balanced", "balanced", comp), ctx.games("balanced", "balanced", alike)
    return [sum(r["joint_value"] for r in x.rounds) / max(1e-9, sum(r["joint_value"] for r in y.rounds)) - 1
            for x, y in zip(c, a)]


def fact12_no_dominant_intent(ctx: Context) -> list[float]:
    """Fact 12 restated: no fixed intent (internalizer, avoider, balanced) is the best reply
    to every opponent; tit-for-tat, which reads the partner's intent, is left out (it comes
    within a hundredth of the best reply everywhere, which is the seeds' point)."""
    return fact12_no_dominant(ctx, ("internalizer", "avoider", "balanced"))


def fact12_no_dominant(ctx: Context, candidates=STRATEGIES) -> list[float]:
    """No strategy has the best mean total against every opponent: for each strategy, the
    most it trails the best reply to some opponent; the margin is the smallest of these.
    One number for the whole cell (a tournament is a mean over seeds), repeated per seed
    half so its spread comes from splitting the seeds in two."""
    halves = []
    for part in (range(0, ctx.seeds, 2), range(1, ctx.seeds, 2)):
        score: dict[tuple[str, str], list[float]] = {}
        ra, rb = ctx.pair()
        for s1 in STRATEGIES:
            for s2 in STRATEGIES:
                scores = ctx.scores(s1, s2)
                for i in part:
                    sc = scores[i]
                    score.setdefault((s1, s2), []).append(sc[firm(ra)].total)
                    score.setdefault((s2, s1), []).append(sc[firm(rb)].total)
        m = {k: statistics.fmean(v) for k, v in score.items()}
        best = {o: max(m[s, o] for s in candidates) for o in STRATEGIES}
        halves.append(min(max(best[o] - m[s, o] for o in STRATEGIES) for s in candidates))
    return halves


def _left(g: GameRecord, fid: str, rounds: int) -> int:
    """The round `fid` left an alliance by its own exit (rounds + 1 if it never did)."""
    return next((a.ended_round for a in g.state.alliances.values() if a.ended_reason in (f"exit by {fid}", "mutual exit")
                 and fid in a.firms), rounds + 1)


def fact13_race_internal(ctx: Context) -> list[float]:
    """The learning race (docs/model.md, section 13): against a balanced partner, a racing
    internalizer ends with more internal gain than an internalizer that stays (paired: the
    same seed, the same jitter, only the exit differs)."""
    ra, _ = ctx.pair()
    race, stay = ctx.scores("racing_internalizer", "balanced"), ctx.scores("internalizer", "balanced")
    return [r[firm(ra)].internal_gain - s[firm(ra)].internal_gain for r, s in zip(race, stay)]


def fact13_race_leaves(ctx: Context) -> list[float]:
    """... and leaves earlier: rounds before the end it graduates (0 in a game it stays)."""
    ra, _ = ctx.pair()
    n = ctx.rules().scenario.rounds
    return [n + 1 - _left(g, firm(ra), n) for g in ctx.games("racing_internalizer", "balanced")]


# fact -> (function, scenarios it applies to); facts 7 and 10 are one-round formula checks
# in tests/test_stylized_facts.py (they hold for every positive parameter by construction)
FACTS = {
    "1 internal": (fact1_internal, PAIR_SCENARIOS),
    "1 cash": (fact1_cash, PAIR_SCENARIOS),
    "1 cash, learning as investment": (fact1_cash_investment, PAIR_SCENARIOS),
    "2 convergent": (fact2_convergent, PAIR_SCENARIOS),
    "3 staged: internal gain": (fact3_staged_internal, ("classic", "chip_tranches")),
    "3 staged: partner learns less": (fact3_staged_learning, ("classic", "chip_tranches")),
    "3 staged: cash": (fact3_cash, ("classic", "chip_tranches")),
    "4 tacitness": (fact4_tacitness, ("classic",)),
    "5 pace (DiD)": (fact5_pace, ("classic", "chip_tranches", "joint_plant", "minority_stake")),
    "6 scope": (fact6_scope, ("classic",)),
    "8 not used up": (fact8_not_used_up, ("classic",)),
    "9 spiral": (fact9_spiral, PAIR_SCENARIOS),
    "11 differences": (fact11_differences, ("classic",)),
    "12 no dominant": (fact12_no_dominant, ("classic",)),
    "12 no dominant intent": (fact12_no_dominant_intent, ("classic",)),
    "13 race: internal gain": (fact13_race_internal, RACE_SCENARIOS),
    "13 race: leaves earlier": (fact13_race_leaves, RACE_SCENARIOS),
}


def perturbations(base: str = "classic") -> list[tuple[str, dict[str, str]]]:
    """Every parameter at x0.8 and x1.2 (kept in its range), 5/8/10/12 rounds, serial form."""
    params = load_scenario(base).params
    out: list[tuple[str, dict[str, str]]] = [("defaults", {})]
    out += [(f"{n} rounds", {"rounds": str(n)}) for n in (5, 8, 10, 12)]
    out.append(("serial form", {"terms.form": "serial"}))
    for name, f in Params.model_fields.items():
        v = getattr(params, name)
        if name == "model_version" or isinstance(v, bool) or v == 0:
            continue
        for k in (0.8, 1.2):
            nv = v * k
            le = next((m.le for m in f.metadata if getattr(m, "le", None) is not None), None)
            lt = next((m.lt for m in f.metadata if getattr(m, "lt", None) is not None), None)
            if (le is not None and nv > le) or (lt is not None and nv >= lt):
                continue
            out.append((f"{name} x{k}", {name: repr(nv)}))
    return out


@dataclass
class Cell:
    fact: str
    scenario: str
    setting: str
    mean: float
    margin: float  # twice the standard error of the mean
    n: int

    @property
    def holds(self) -> bool:
        return self.mean > 0


def measure(fact: str, scenario: str, setting: str, overrides: dict[str, str], seeds: int = 20,
            ctx: Context | None = None) -> Cell:
    """One cell: the fact's mean margin and twice its standard error over `seeds` games."""
    fn, _ = FACTS[fact]
    ctx = ctx or Context(scenario, dict(overrides), seeds)
    xs = fn(ctx)
    m = statistics.fmean(xs)
    se = statistics.stdev(xs) / sqrt(len(xs)) if len(xs) > 1 else 0.0
    return Cell(fact, scenario, setting, m, 2 * se, len(xs))
