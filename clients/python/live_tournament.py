"""The tournament played end to end: every pairing as a real session on a running server,
each firm played by a `LiveBot` over the live protocol. Slower than the engine tournament
(`game_rules.simulate.tournament`), and the point is that it gives the same numbers: same
engine, same bots, same seeds, every decision through the socket, the validation and the
event log. `compare` reports the largest difference.
"""
from __future__ import annotations

import asyncio
from itertools import product

from game_rules.scenario import load_scenario

from .client import control, create_session, summary
from .live_bots import LiveBot

SCORE_KEYS = ("internal_gain", "external_gain", "cash", "cash_score", "freedom", "total")


async def play_live_game(base_url: str, scenario: str, strategies: dict[str, str], seed: int,
                         timeout: float = 120.0) -> dict:
    """One session with one copy of the case, negotiation off (the scenario's default terms,
    as in the engine tournament); a bot per firm, playing its role's strategy (roles not in
    `strategies` play balanced). Returns {"scores": firm -> score, "roles": firm -> role,
    "dissolved": bool, "session_id": ...} from the facilitator's final view."""
    s = await create_session(base_url, scenario=scenario, copies=1, seed=seed, negotiation=False,
                             title=f"tournament {'-'.join(strategies.values())} seed {seed}")
    bots: list[LiveBot] = []
    for i in range(len(s["firms"])):
        b = await LiveBot.join(base_url, s["code"], f"T{i + 1}", "balanced", seed=seed)
        b.strategy = strategies.get(b.joined["role"], "balanced")
        bots.append(b)
    for b in bots:
        await b.client.connect()  # connected before the start: every bot sees round 1
    runs = [asyncio.create_task(b.run(timeout)) for b in bots]
    await control(base_url, s["session_id"], s["facilitator_token"], "start")
    outcomes = await asyncio.gather(*runs)
    if any(o != "debrief" for o in outcomes):
        raise RuntimeError(f"a live game did not reach the debrief: {outcomes}")
    final = await summary(base_url, s["session_id"], s["facilitator_token"])
    await control(base_url, s["session_id"], s["facilitator_token"], "end_session")
    return {"session_id": s["session_id"], "scores": final["scores"],
            "roles": {f: x["role"] for f, x in final["firms"].items()},
            "dissolved": any(a["status"] == "dissolved" for a in final["alliances"].values())}


async def run_live_tournament(base_url: str, scenario: str, strategies: list[str], seeds: int = 1,
                              concurrency: int = 8) -> list[dict]:
    """Every strategy for the first role against every strategy for the second, `seeds`
    games each (seeds 0..seeds-1); rows shaped like the engine tournament's."""
    roles = [r.id for r in load_scenario(scenario).roles]
    gate = asyncio.Semaphore(concurrency)

    async def game(strat: dict[str, str], seed: int) -> dict:
        async with gate:
            return await play_live_game(base_url, scenario, strat, seed)

    pairings = [{roles[0]: s1, roles[1]: s2} for s1, s2 in product(strategies, repeat=2)]
    games = await asyncio.gather(*(game(p, seed) for p in pairings for seed in range(seeds)))
    rows = []
    for i, strat in enumerate(pairings):
        mine = games[i * seeds:(i + 1) * seeds]
        means = {r: {k: 0.0 for k in SCORE_KEYS} for r in roles[:2]}
        for g in mine:
            for firm, sc in g["scores"].items():
                role = g["roles"][firm]
                if role in means:
                    for k in SCORE_KEYS:
                        means[role][k] += sc[k] / seeds
        rows.append({"strategies": strat, "means": means,
                     "dissolution_rate": sum(g["dissolved"] for g in mine) / seeds,
                     "sessions": [g["session_id"] for g in mine]})
    return rows


def compare(engine_rows: list[dict], live_rows: list[dict]) -> float:
    """The largest absolute difference of any mean score between two tournaments over the
    same pairings and seeds (0.0: the live server reproduced the engine exactly)."""
    by = {tuple(sorted(r["strategies"].items())): r for r in engine_rows}
    worst = 0.0
    for row in live_rows:
        other = by[tuple(sorted(row["strategies"].items()))]
        for role, m in row["means"].items():
            for k in SCORE_KEYS:
                worst = max(worst, abs(m[k] - other["means"][role][k]))
    return worst
