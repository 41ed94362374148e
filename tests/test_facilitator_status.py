"""The facilitator's status (the whole roster) is coalesced: a burst of joins sends a
handful of statuses, not one per join, and the last one is complete."""
from __future__ import annotations

import asyncio
import math
import time

import aiohttp

from clients.python.client import GameClient
from conftest import Api


async def test_a_burst_of_joins_sends_a_few_complete_statuses(start_server):
    every = 0.5
    server = await start_server(status_every=every)
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        s = await api.create(copies=10)
        fac = GameClient(server.url, s["facilitator_token"], name="fac")
        await fac.connect()
        try:
            inbox = fac.listen()
            t0 = time.monotonic()
            joined = await asyncio.gather(*(api.join(s["code"], f"p{i}") for i in range(20)))
            elapsed = time.monotonic() - t0
            statuses = []
            while not statuses or len(statuses[-1]["players"]) < 20:  # the trailing one has everybody
                m = await asyncio.wait_for(inbox.get(), 10)
                if m["type"] == "status":
                    statuses.append(m["status"])
            assert {p["player_id"] for p in statuses[-1]["players"]} == {j["player_id"] for j in joined}
            # at most one at once and one per period after it, plus the trailing one
            assert len(statuses) <= math.ceil(elapsed / every) + 2 < 20, (len(statuses), elapsed)
        finally:
            await fac.close()
