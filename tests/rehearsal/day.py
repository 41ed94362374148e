"""The state a rehearsal carries from step to step: the server's LAN address, the facilitator's
console, the students' phones (one browser context each), and what every screen looked like.

Every step ends with `day.photograph(step)`: each open page is checked (no horizontal overflow
on a phone) and photographed into a scratch folder, so a reader can follow the whole day.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

PHONE = {"width": 390, "height": 844}
# a busy two-core machine runs 26 pages: a step may wait this long for a screen (ms)
PATIENCE = 120_000
CONSOLE = {"width": 1280, "height": 800}

# the document's width against the viewport's, and what sticks out when it is wider
OVERFLOW = """() => { const w = document.documentElement.scrollWidth, v = window.innerWidth;
  if (w <= v) return null;
  return [w, v, [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > v + 1
    && e.offsetParent !== null).slice(0, 6).map(e => `${e.tagName.toLowerCase()}.${e.className}`)]; }"""


@dataclass
class Day:
    browser: object
    problems: object                     # test_browser_game.Problems: console errors of every page
    base: str                            # the server as the phones reach it (the LAN address)
    lan_ip: str | None                   # the detected LAN address, None on a machine without one
    shots: Path                          # the scratch folder of the screenshots
    scratch: Path                        # files the facilitator uploads
    console: object = None               # the facilitator's page (1280x800)
    session: dict = field(default_factory=dict)    # token, session_id, code, join_url (the console's own)
    phones: dict = field(default_factory=dict)     # student name -> page: everyone seated now
    teams: dict = field(default_factory=dict)      # firm id -> student names, as the list formed them
    firm_names: dict = field(default_factory=dict)  # firm id -> its name
    console_link: str = ""               # "Open on another device": the console signed in elsewhere
    expected_refusals: list = field(default_factory=list)  # HTTP statuses a step provoked on purpose
    timings: list = field(default_factory=list)    # (step, seconds)
    shot_count: int = 0

    async def new_phone(self, name: str):
        ctx = await self.browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, accept_downloads=True)
        ctx.set_default_timeout(PATIENCE)
        ctx.set_default_navigation_timeout(PATIENCE)
        page = await ctx.new_page()
        self.problems.watch(page)
        return page

    async def new_desk(self):
        """A fresh browser context at console size: nothing stored, no cookies."""
        ctx = await self.browser.new_context(viewport=CONSOLE, accept_downloads=True)
        ctx.set_default_timeout(PATIENCE)
        ctx.set_default_navigation_timeout(PATIENCE)
        return self.problems.watch(await ctx.new_page())

    def team_of(self, name: str) -> str:
        return next(f for f, names in self.teams.items() if name in names)

    async def photograph(self, step: str, extra: dict | None = None) -> None:
        """Every screen of the room after `step`: the console, every phone, and `extra` pages
        (a phone that has just been signed out, a fresh browser)."""
        pages = {"console": self.console, **self.phones, **(extra or {})}
        self.shots.mkdir(parents=True, exist_ok=True)

        async def one(who, page):
            if page is None or page.is_closed():
                return
            if page.viewport_size and page.viewport_size["width"] == PHONE["width"]:
                wide = await page.evaluate(OVERFLOW)
                assert wide is None, f"{step}: {who}'s phone is {wide[0]} px wide in {wide[1]} px: {wide[2]}"
            # scratch screenshots (the full page: every part of the screen a student scrolls to)
            slug = who.lower().replace(" ", "_")
            await page.screenshot(path=str(self.shots / f"{self.shot_count:02d}_{step}_{slug}.png"), full_page=True,
                                  animations="disabled")
        # a few at a time: 25 screenshots at once starve two cores
        items = list(pages.items())
        for i in range(0, len(items), 6):
            await asyncio.gather(*(one(w, p) for w, p in items[i:i + 6]))
        self.shot_count += 1

    async def run(self, step) -> None:
        start = time.perf_counter()
        await step(self)
        self.timings.append((step.__name__, time.perf_counter() - start))
        print(f"rehearsal: {step.__name__} {self.timings[-1][1]:.1f} s", flush=True)
