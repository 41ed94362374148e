"""Bots that play through the live protocol, exactly as a person's browser does.

A `LiveBot` joins a session with its code like any player (or is given a player token),
then reacts to what the server pushes: on a partner-selection board it answers proposals,
proposes to the partner whose shown profile promises the best fit and, as a go-between,
introduces the best pair it has full dossiers of (the fit and the reservation of the
server's seat bots, from what the firm sees only); in the negotiation it opens with the scenario's
default term sheet (the first firm of a pair opens, so two bots never offer at once),
accepts an offer that leaves it a fair share and counters one that does not; in each round
it submits the decision of its engine strategy (`game_rules.bots`), computed from the same
firm view a person sees. It never touches server internals. Human-like think times (a
random pause before each move) can be turned off.

A bot hands over to a person: when someone who is not a bot joins its firm (or the
facilitator moves a person in), it says so in the firm chat and stops, so the firm is
played by the person from its next decision on. Bots recognise each other by the
` (bot)` at the end of their names.

    python -m clients.python.live_bots --url http://127.0.0.1:8080 --code ABCD-2345 \\
        --bots 3 --strategy balanced --think 1-4
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import random
import sys
from dataclasses import dataclass, field

from game_rules.bots import STRATEGIES, bot_decision
from game_rules import renegotiation_moves as reneg_moves
from game_rules.rules import Rules, instantiate_terms
from game_rules.scenario import load_scenario
from game_rules.selection import estimated_fit, load_selection

from .client import CommandError, ConnectionLost, GameClient, join_session

log = logging.getLogger("alliance.bots")

BOT_SUFFIX = " (bot)"
# refusals that are normal in live play (a teammate or the clock overtook the bot)
_RACES = frozenset({"stale_round", "already_submitted", "wrong_phase", "closed", "no_offer",
                    "not_your_turn", "offer_pending", "not_submitter", "selection_closed",
                    "duplicate_proposal", "already_paired", "at_capacity", "not_pending", "no_window"})
# refusals that mean the decision itself is not legal: the bot falls back to an empty one
_ILLEGAL = frozenset({"negative", "over_budget", "unknown_domain", "not_contributed", "out_of_scope",
                      "unknown_alliance", "out_of_range", "wrong_type", "not_finite"})


@dataclass
class ThinkTime:
    """Human-like pauses before acting: seconds, uniform in [low, high]; `ThinkTime()` (0, 0)
    turns them off."""
    low: float = 0.0
    high: float = 0.0

    @classmethod
    def parse(cls, text: str) -> "ThinkTime":
        """'1-4' -> ThinkTime(1, 4); '2' -> ThinkTime(2, 2); '0' -> off."""
        problem = ValueError(f"think time {text!r}: give LOW-HIGH seconds, e.g. 1-4 (0: none)")
        try:
            parts = [float(x) for x in text.split("-")] if text.strip() else [0.0]
        except ValueError:
            raise problem from None
        if len(parts) == 1:
            parts *= 2
        if len(parts) != 2 or parts[0] < 0 or parts[1] < parts[0]:
            raise problem
        return cls(*parts)

    async def pause(self, rng: random.Random) -> None:
        if self.high > 0:
            await asyncio.sleep(rng.uniform(self.low, self.high))


def default_terms(scenario_id: str, negotiation_id: str, rounds: int) -> dict | None:
    """The scenario's default term sheet for alliance copy `negotiation_id` (e.g. 'a3')."""
    scenario = load_scenario(scenario_id)
    for tpl in scenario.alliances:
        tail = negotiation_id[len(tpl.id):]
        if negotiation_id.startswith(tpl.id) and tail.isdigit():
            return instantiate_terms(tpl, int(tail), rounds).to_dict()
    return None


@dataclass
class BotReport:
    """What a bot did: for tests, tournaments and the demo's log."""
    outcome: str = ""                                   # debrief | ended | handover | lost
    submitted: dict[int, dict] = field(default_factory=dict)   # round -> decision sent
    moves: list[tuple[str, str]] = field(default_factory=list)  # (negotiation, action)
    fallbacks: int = 0                                   # illegal decisions replaced by {}


class LiveBot:
    """One bot player over the live protocol. `run()` plays until the debrief, the end of
    the session, or a hand-over to a person; it returns the outcome."""

    def __init__(self, client: GameClient, strategy: str, *, seed: int | str = 0,
                 think: ThinkTime | None = None, handover: bool = True, fair_share: float = 0.45,
                 max_counters: int = 3):
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})")
        self.client, self.strategy, self.seed = client, strategy, seed
        self.think = think or ThinkTime()
        self.handover, self.fair_share, self.max_counters = handover, fair_share, max_counters
        self.rng = random.Random(f"{seed}:{client.token[-8:]}")
        self.report = BotReport()
        self._counters: dict[str, int] = {}
        self._answered: dict[str, int] = {}   # negotiation -> number of offers when the bot last moved
        self._selection_done: set[tuple] = set()  # selection moves already made (never twice)

    @classmethod
    async def join(cls, base_url: str, code: str, name: str, strategy: str, *, binary: bool = True,
                   **kw) -> "LiveBot":
        """Join the session with its code as a new player that declares itself a bot (the
        facilitator sees it, the export flags its rows `is_bot`); the name gets ` (bot)`."""
        if not name.endswith(BOT_SUFFIX):
            name += BOT_SUFFIX
        joined = await join_session(base_url, code, name, bot=True)
        client = GameClient(base_url, joined["player_token"], binary=binary, name=name)
        bot = cls(client, strategy, **kw)
        bot.joined = joined
        return bot

    async def run(self, timeout: float | None = None) -> str:
        """Connect (if needed) and play; returns `report.outcome`. Closes the client."""
        try:
            if not self.client.connected and self.client.welcome is None:
                await self.client.connect()
            async with asyncio.timeout(timeout):
                await self._loop()
        except ConnectionLost:
            self.report.outcome = self.report.outcome or ("ended" if self.client.ended else "lost")
        finally:
            await self.client.close()
        return self.report.outcome

    async def _loop(self) -> None:
        c = self.client
        while True:
            seen = c.version
            view = c.view
            if c.ended is not None:
                self.report.outcome = "ended"
                return
            if view is not None:
                if view.get("phase") == "debrief":
                    self.report.outcome = "debrief"
                    return
                if self.handover and self._person_in_team(view):
                    await self._hand_over()
                    return
                try:
                    await self._act(view)
                except CommandError as e:
                    if e.code == "session_ended":
                        self.report.outcome = "ended"
                        return
                    if e.code not in _RACES:
                        raise
                    log.debug("%s: %s", c.name, e)
            await c.wait_change(seen)
            if c.gone:
                raise ConnectionLost("connection gone")

    # ---- hand-over -------------------------------------------------------------------------

    def _person_in_team(self, view: dict) -> bool:
        me = self.client.player_id
        return any(m["player_id"] != me and not m["name"].endswith(BOT_SUFFIX) for m in view.get("team", ()))

    async def _hand_over(self) -> None:
        self.report.outcome = "handover"
        person = next(m["name"] for m in self.client.view["team"]
                      if m["player_id"] != self.client.player_id and not m["name"].endswith(BOT_SUFFIX))
        try:
            await self.client.chat("firm", f"Welcome {person}: the firm is yours from the next decision on. "
                                           f"(The {self.strategy.replace('_', '-')} bot steps back.)")
        except (CommandError, ConnectionLost):
            pass

    # ---- acting ----------------------------------------------------------------------------

    async def _act(self, view: dict) -> None:
        phase = view.get("phase")
        if phase == "selection" and view.get("selection"):
            await self._select(view)
        elif phase == "negotiation":
            await self._negotiate(view)
        elif phase == "execution":
            await self._play_round(view)
        elif phase == "renegotiation" and view.get("renegotiation"):
            await self._renegotiate(view["renegotiation"])

    async def _play_round(self, view: dict) -> None:
        rnd = view.get("current_round")
        if rnd is None or view.get("submitted") or rnd in self.report.submitted:
            return
        await self.think.pause(self.rng)
        view = self.client.view  # the world may have moved on while the bot was thinking
        if view.get("phase") != "execution" or view.get("current_round") != rnd or view.get("submitted"):
            return
        if self.handover and self._person_in_team(view):
            return
        decision = bot_decision(view, self.strategy, self.seed)
        self.report.submitted[rnd] = decision
        try:
            await self.client.submit(decision, round=rnd)
        except CommandError as e:
            if e.code not in _ILLEGAL:
                raise
            log.warning("%s: %s decision refused (%s); submitting an empty one", self.client.name,
                        self.strategy, e)
            self.report.fallbacks += 1
            self.report.submitted[rnd] = {}
            await self.client.submit({}, round=rnd)

    async def _select(self, view: dict) -> None:
        """One move on the partner-selection board, judged only from what the firm sees
        (the same fit and reservation as the server's seat bots, `game_rules.selection`)."""
        board = view["selection"]
        if board["closed"]:
            return
        move = selection_move(view, board)
        if move is None or move in self._selection_done:
            return
        await self.think.pause(self.rng)
        if self.client.view.get("selection") != board:
            return  # the board changed while the bot was thinking: look again
        self._selection_done.add(move)
        action, *args = move
        self.report.moves.append(("selection", action))
        if action == "propose":
            await self.client.select("propose", to=args[0], template=args[1])
        elif action == "introduce":
            await self.client.select("introduce", firms=[args[0], args[1]], template=args[2])
        else:
            await self.client.select(action, proposal=args[0])

    async def _negotiate(self, view: dict) -> None:
        me = view["firm"]["id"]
        for neg in view.get("negotiations", ()):
            if neg["status"] != "open":
                continue
            standing = next((o for o in neg["offers"] if o["n"] == neg["standing"]), None)
            if standing is None and neg["firms"][0] != me:
                continue  # the first firm opens
            if standing is not None and standing["by"] == me:
                continue  # our offer is on the table
            if self._answered.get(neg["id"]) == len(neg["offers"]):
                continue  # already answered this state of the negotiation
            await self.think.pause(self.rng)
            now = next((n for n in self.client.view.get("negotiations", ()) if n["id"] == neg["id"]), None)
            if now is None or now["status"] != "open" or len(now["offers"]) != len(neg["offers"]):
                continue  # it changed while the bot was thinking: look again
            self._answered[neg["id"]] = len(neg["offers"])
            if standing is None:
                # the session's default term sheet as the view shows it (older servers: the
                # scenario's, computed here)
                terms = neg.get("default_terms") or default_terms(view["scenario"], neg["id"], view["rounds"])
                if terms:
                    await self._move(neg["id"], "offer", terms)
                continue
            share = standing["terms"]["split"].get(me, 0.0)
            countered = self._counters.get(neg["id"], 0)
            if share >= self.fair_share - 1e-9:
                await self._move(neg["id"], "accept")
            elif countered < self.max_counters:
                self._counters[neg["id"]] = countered + 1
                fair = dict(standing["terms"])
                fair["split"] = {f: 1.0 / len(fair["split"]) for f in fair["split"]}
                await self._move(neg["id"], "counter", fair)
            elif share >= 0.3:
                await self._move(neg["id"], "accept")
            else:
                await self._move(neg["id"], "walk_away")

    async def _renegotiate(self, window: dict) -> None:
        """In a renegotiation window a live bot bargains from what its firm sees
        (game_rules/renegotiation_moves.py): with a case to make (the stronger hand by its
        estimates, or an avoider whose dependency rose) it proposes once per window, in the
        direction its strategy wants; it answers its partner's proposals and counters, and
        counters once itself."""
        if not window["open"]:
            return
        me = self.client.view["firm"]["id"]
        for pair in window["alliances"]:
            standing = next((o for o in pair["offers"] if o["n"] == pair["standing"]), None)
            key = f"reneg:{window['round']}:{pair['id']}"
            if (pair["status"] != "open" or (standing is not None and standing["by"] == me)
                    or self._answered.get(key) == len(pair["offers"])):
                continue
            await self.think.pause(self.rng)
            view = self.client.view  # the world may have moved on while the bot was thinking
            now = next((p for p in (view.get("renegotiation") or {}).get("alliances", ()) if p["id"] == pair["id"]), None)
            if now is None or now["status"] != "open" or len(now["offers"]) != len(pair["offers"]):
                continue  # it changed: look again at the next push
            self._answered[key] = len(pair["offers"])
            move = reneg_moves.next_move(view, now, self.strategy)  # the seat bots' move too
            if move is None:
                continue
            action, terms = move
            self.report.moves.append((pair["id"], action))
            try:
                await self.client.negotiate(action, terms, pair["id"])
            except CommandError as e:
                if e.code not in _RACES:
                    raise

    async def _move(self, negotiation: str, action: str, terms: dict | None = None) -> None:
        self.report.moves.append((negotiation, action))
        await self.client.negotiate(action, terms, negotiation)


@functools.lru_cache(maxsize=16)
def _selection_setup(scenario_id: str):
    """The scenario, its rules and its selection settings (parsed once, not at every move)."""
    scenario = load_scenario(scenario_id)
    return scenario, Rules.from_scenario(scenario), load_selection(scenario)


def selection_move(view: dict, board: dict) -> tuple | None:
    """The next selection move of a bot holding this firm view, or None:
    answer a pending proposal (accept when the fit it sees clears the reservation), drop an
    introduced pairing that does not, introduce the best-fitting pair it has full dossiers
    of (a go-between), else propose to the best-fitting partner under a template it holds
    nothing in yet."""
    scenario, rules, cfg = _selection_setup(view["scenario"])
    me, role, own = view["firm"]["id"], view["firm"]["role"], view["firm"]["competence"]
    profiles = board["profiles"]
    templates = {t.id: t for t in scenario.alliances}

    def fit(partner: str, tid: str) -> float:
        prof = profiles.get(partner)
        if prof is None:
            return 0.0
        believed = {k: prof["values"].get(k, cfg.bots.prior) for k in rules.domains}
        return estimated_fit(rules, templates[tid], role, own, believed)

    for p in board["proposals_in"] + board["proposals_out"]:
        other = p["sender"] if p["receiver"] == me else p["receiver"]
        good = fit(other, p["template"]) >= cfg.bots.reservation
        if p["status"] == "pending" and p["receiver"] == me:
            return ("accept" if good else "decline", p["id"])
        if p["status"] == "accepted" and p["introduced_by"] and not good:
            return ("decline", p["id"])
    if board["go_between"]:
        if not board["introductions_left"]:
            return None
        paired = {frozenset((p["sender"], p["receiver"])) for p in board["introduced"]}
        best = None
        for tid in (t["id"] for t in board["templates"]):
            r0, r1 = templates[tid].roles
            for a, pa in profiles.items():
                for b, pb in profiles.items():
                    if pa["role"] != r0 or pb["role"] != r1 or not (pa["full"] and pb["full"]):
                        continue
                    if frozenset((a, b)) in paired:
                        continue
                    f = estimated_fit(rules, templates[tid], r0, pa["values"], pb["values"])
                    if f >= cfg.bots.reservation and (best is None or f > best[0]):
                        best = (f, a, b, tid)
        return ("introduce", best[1], best[2], best[3]) if best else None
    held = {p["template"] for p in board["proposals_in"] + board["proposals_out"]
            if p["status"] in ("pending", "accepted")}
    if board["capacity"] - sum(1 for p in board["proposals_in"] + board["proposals_out"]
                               if p["status"] == "accepted") < 1:
        return None
    best = None
    for tid in (t["id"] for t in board["templates"]):
        if tid in held or role not in templates[tid].roles:
            continue
        other_role = [r for r in templates[tid].roles if r != role][0]
        for g, prof in profiles.items():
            if prof["role"] == other_role:
                f = fit(g, tid)
                if f >= cfg.bots.reservation and (best is None or f > best[0]):
                    best = (f, g, tid)
    return ("propose", best[1], best[2]) if best else None


async def run_bots(base_url: str, code: str, count: int, strategy: str, think: ThinkTime,
                   seed: int = 0, name: str = "Bot", binary: bool = True) -> list[LiveBot]:
    """Join `count` bots to the session with `code` and play until they are done."""
    bots = [await LiveBot.join(base_url, code, f"{name} {i + 1}", strategy, seed=seed + i, think=think,
                               binary=binary)
            for i in range(count)]
    await asyncio.gather(*(b.run() for b in bots))
    return bots


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m clients.python.live_bots",
                                 description="Join bots to a live session; they play a strategy over the live protocol.")
    ap.add_argument("--url", default="http://127.0.0.1:8080", help="the server's base URL")
    ap.add_argument("--code", required=True, help="the session's join code")
    ap.add_argument("--bots", type=int, default=1, help="how many bots join (one player each)")
    ap.add_argument("--strategy", default="balanced", choices=STRATEGIES)
    ap.add_argument("--think", default="0", help="think time range in seconds, e.g. 1-4 (0: none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="speak JSON text frames instead of msgpack")
    args = ap.parse_args(argv)
    try:
        think = ThinkTime.parse(args.think)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(level="INFO", format="%(asctime)s %(name)s: %(message)s")
    try:
        bots = asyncio.run(run_bots(args.url.rstrip("/"), args.code, args.bots, args.strategy, think,
                                    args.seed, binary=not args.json))
    except (CommandError, ConnectionLost, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    for b in bots:
        print(f"{b.client.name}: {b.report.outcome}, {len(b.report.submitted)} decisions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
