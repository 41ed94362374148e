"""The demo stops even when a bot's cancel is lost. On Python 3.11 a cancel that lands as an
awaited step completes (`asyncio.wait_for` around a socket read) can be swallowed; a bot
waiting in the lobby then never ends and `run.py --demo` hung on Ctrl-C (seen in CI:
`test_demo_log` timed out). `Demo.stop` closes the clients first, which wakes every waiter.
Real server on a free loopback port, real bots over the live protocol."""
from __future__ import annotations

import asyncio

from clients.python.demo import Demo
from clients.python.live_bots import ThinkTime
from tests.conftest import TEST_ADMIN_KEY


async def _deaf_to_one_cancel(coro):
    """Run `coro` as a bot task whose first cancel is swallowed, as the 3.11 race does."""
    task = asyncio.ensure_future(coro)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        asyncio.current_task().uncancel()
        return await task  # the bot plays on, as if the cancel had never come


async def test_the_demo_stops_when_a_bot_swallowed_its_cancel(server):
    lines: list[str] = []
    demo = Demo(server.url, copies=1, think=ThinkTime(0, 0), admin_key=TEST_ADMIN_KEY, out=lines.append)
    await demo.setup()
    assert demo.bots and "Join as the remaining player" in "\n".join(lines)
    demo._tasks = [asyncio.create_task(_deaf_to_one_cancel(b.run())) for b in demo.bots]
    await asyncio.wait_for(demo.bots[0].client.wait(lambda c: c.view is not None), 10)  # the bots are in the lobby
    async with asyncio.timeout(15):
        await demo.stop()
    assert all(t.done() for t in demo._tasks)
    assert all(b.client.gone for b in demo.bots)
    assert all(t.result() in ("lost", "ended", None) for t in demo._tasks), [t.result() for t in demo._tasks]
