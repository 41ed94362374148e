"""`python run.py --demo`: a session of the `classic` case with a bot in every seat but one.

The server starts as usual; then this module, talking to it over HTTP and the live protocol
only (as any client would), creates a session, joins a `LiveBot` to every firm but one,
and prints two links: the join page for the newcomer, who takes the remaining seat, and
the facilitator console. The console link carries the facilitator token in the URL
fragment (`/console#token=...`): a browser never sends the fragment to a server, so the
token stays out of request lines, proxies and logs; the console keeps it and removes it
from the address bar.

The game starts by itself when the first person joins (the facilitator can also start it
from the console). When the server stops (Ctrl-C), the demo ends its session so it is not
restored at the next start.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from .client import CommandError, ConnectionLost, GameClient, control, create_session
from .live_bots import BOT_SUFFIX, LiveBot, ThinkTime

log = logging.getLogger("alliance.demo")

# the bots' strategies, by seat in join order (west1, east1, west2, east2, ...): the first
# copy shows the textbook pair (an internalizer with an avoider); the newcomer's partner
# mirrors what the newcomer does
DEMO_STRATEGIES = ("internalizer", "avoider", "tit_for_tat", "balanced", "random", "balanced")
BOT_NAMES = ("Ada", "Bo", "Chen", "Dara", "Emil", "Femi", "Gus", "Hana", "Ivo", "Jun", "Kai")


class Demo:
    """Create the demo session on a running server and keep its bots playing."""

    def __init__(self, api_url: str, public_url: str | None = None, *, scenario: str = "classic",
                 copies: int = 2, think: ThinkTime | None = None, round_seconds: float = 180.0,
                 negotiation_seconds: float = 300.0, seed: int | None = None,
                 out: Callable[[str], None] = print, admin_key: str | None = None):
        self.api_url = api_url.rstrip("/")                 # where the bots connect (loopback)
        self.public_url = (public_url or api_url).rstrip("/")  # what the printed links use
        self.scenario, self.copies, self.seed = scenario, copies, seed
        self.think = think if think is not None else ThinkTime(1.0, 3.0)
        self.round_seconds, self.negotiation_seconds = round_seconds, negotiation_seconds
        self.out = out
        self.admin_key = admin_key  # run.py --demo hands over the server's own key: nothing to type
        self.session: dict | None = None
        self.bots: list[LiveBot] = []
        self.facilitator: GameClient | None = None
        self.started = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    @property
    def join_link(self) -> str:
        return f"{self.public_url}/join?code={self.session['code']}"

    @property
    def console_link(self) -> str:
        return f"{self.public_url}/console#token={self.session['facilitator_token']}"

    async def setup(self) -> None:
        """Create the session, seat the bots, print the links."""
        s = await create_session(self.api_url, admin_key=self.admin_key, scenario=self.scenario, copies=self.copies,
                                 title=f"Demo: {self.scenario}", round_seconds=self.round_seconds,
                                 negotiation_seconds=self.negotiation_seconds, seed=self.seed)
        self.session = s
        for i in range(len(s["firms"]) - 1):  # every seat but one (seats fill in a fixed order)
            bot = await LiveBot.join(self.api_url, s["code"], BOT_NAMES[i % len(BOT_NAMES)],
                                     DEMO_STRATEGIES[i % len(DEMO_STRATEGIES)], seed=i, think=self.think)
            self.bots.append(bot)
        self.facilitator = GameClient(self.api_url, s["facilitator_token"], name="demo-facilitator")
        await self.facilitator.connect()
        seats = ", ".join(f"{b.joined['firm']} {b.strategy.replace('_', '-')}" for b in self.bots)
        self.out(f"Demo session ready: the `{s['scenario']}` case, {len(s['firms'])} firms; bots play {seats}.")
        self.out(f"  Join as the remaining player:  {self.join_link}")
        self.out(f"  Facilitator console:           {self.console_link}")
        self.out("The game starts when you join. Ctrl-C stops the demo.")

    async def run(self) -> None:
        """Set up, then play until cancelled (the server stopping cancels it)."""
        try:
            await self.setup()
            self._tasks = [asyncio.create_task(b.run(), name=f"demo-bot-{i}") for i, b in enumerate(self.bots)]
            self._tasks.append(asyncio.create_task(self._watch(), name="demo-watch"))
            for t, r in zip(self._tasks, await asyncio.gather(*self._tasks, return_exceptions=True)):
                if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError):
                    log.error("demo: %s stopped: %r", t.get_name(), r)
            await asyncio.Event().wait()  # the bots are done (debrief): keep the server up
        finally:
            await self.stop()

    async def _watch(self) -> None:
        """Start the game when the first person joins; report the rounds."""
        f = self.facilitator
        reported = 0
        while True:
            seen = f.version
            v = f.view or {}
            people = [p for p in v.get("status", {}).get("players", ()) if not p["name"].endswith(BOT_SUFFIX)]
            if people and v.get("phase") == "lobby" and not self.started.is_set():
                self.started.set()
                try:
                    await f.control("start")
                    self.out(f"{people[0]['name']} joined firm {people[0]['firm']}: the game has started.")
                except CommandError as e:
                    if e.code != "wrong_phase":  # the console was quicker
                        raise
            if people and v.get("phase") != "lobby":
                self.started.set()
            done = max(f.round_results, default=0)
            if done > reported:
                reported = done
                self.out(f"Round {done} resolved.")
            if v.get("phase") == "debrief":
                self.out(f"Debrief: scores and the story of each alliance in the console ({self.public_url}/console).")
                return
            if f.ended is not None:
                return
            try:
                await f.wait_change(seen)
            except ConnectionLost:
                return
            if f.gone:
                return

    async def stop(self) -> None:
        """End the demo session (so a restart does not restore it) and close every client."""
        # close the clients before waiting on their tasks: a closed client wakes every
        # waiter, so a bot ends even if its cancel was lost (a cancel landing as an await
        # completes can be swallowed by library code)
        clients = [b.client for b in self.bots] + ([self.facilitator] if self.facilitator else [])
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.session is not None:
            try:
                async with asyncio.timeout(5):
                    await control(self.api_url, self.session["session_id"],
                                  self.session["facilitator_token"], "end_session")
            except (CommandError, ConnectionLost, OSError, asyncio.TimeoutError) as e:
                log.info("demo: could not end the session: %s", e)

