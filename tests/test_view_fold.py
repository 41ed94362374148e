"""One fold of pushes into a view (clients/python/view_fold.py), checked against the views the
server builds: a whole session played by live bots over real sockets, with a person in one
firm drafting and chatting and the facilitator announcing and moving the clock. Every message
each client receives is recorded; at known moments (the negotiation under way, every round
before it closes, the debrief, after the end) each client asks for a full view (`resync`),
and folding every message it received before that answer, from the first one on, must give
exactly that view. After a round a player is sent a `round_delta` (the new view as changes to
the one it holds), so a player's fold is compared whole: the engine's parts (books,
alliances, scores) come with those deltas.

The recorded streams are kept for tests/test_browser_view_fold.py, which runs them through
the web pages' fold (clients/web/js/viewfold.js) in Chromium and compares with the Python
fold's result."""
from __future__ import annotations

import asyncio
import copy
import json

from clients.python.client import GameClient
from clients.python.live_bots import LiveBot
from clients.python.view_fold import FOLDS, Folded, apply

TIMEOUT = 60
DUE = "full views due"
CHAT_KEEP = 2  # chat lines per channel the test server's views keep (config `chat_keep`)


# What pushes keep current in a view (the keys view_fold.py writes). The engine's parts (an
# alliance signed, the scores, the firms' books) change with full views only: a round's
# results, a phase, a signature are followed by the next full view, not by a push.
FOLDED = ("draft", "submitted", "chat", "clock", "status", "negotiations", "announcements", "selection", "session")


def comparable(view: dict | None, whole: bool = False) -> dict | None:
    """The part of a view pushes keep current, without what moves with the wall clock alone
    (a running clock's remaining seconds: its deadline says the same and is compared), and
    without the facilitator's drafts, which it is not told as they change (a draft is
    pushed to the firm only: game_rules/session/commands.py), only with each full view."""
    if view is None:
        return None
    v = copy.deepcopy(view if whole else {k: view[k] for k in FOLDED if k in view})
    for clock in (v.get("clock"), (v.get("status") or {}).get("clock")):
        if isinstance(clock, dict) and clock.get("running"):
            clock.pop("remaining", None)
    return v


def fold_to(messages: list[dict], resync_id: str) -> tuple[dict | None, dict, set]:
    """Fold `messages` from the first up to the view that answered `resync_id`; returns the
    folded view, that full view, and the types folded since the last full view before it
    (what the check exercised: the rest of the fold was replaced by that full view). After
    a round's results, or a clock push of a new phase, the full views are due (they are
    built after the results, server/fanout.py `views_next`): `DUE` is among the types."""
    view, since, folded = None, set(), Folded()
    for m in messages:
        t = m.get("type")
        if t == "view" and m.get("id") == resync_id:
            return view, m["view"], since
        if t == "round_result" or (t == "clock" and view is not None and m.get("phase") != view.get("phase")):
            since.add(DUE)  # a round closed or a phase opened: full views follow (server/fanout.py)
        view = folded(m)
        # a full view, or a round delta (which brings the view to the full one), starts afresh
        since = set() if t == "view" else ({t} if t == "round_delta" else since) | ({t} & set(FOLDS))
    raise AssertionError(f"no view answered {resync_id}")


class Observed:
    """A client whose every message is recorded, checked by `resync` when the test says (no
    other resync in between: each check folds everything since the last full view the
    server pushed by itself)."""

    def __init__(self, name: str, client: GameClient):
        self.name, self.client = name, client
        self.queue = client.listen()
        self.messages: list[dict] = []
        self.checks: list[tuple[dict | None, dict, set]] = []   # (folded, fresh, types folded) per resync
        self._n = 0

    def drain(self) -> None:
        while not self.queue.empty():
            self.messages.append(copy.deepcopy(self.queue.get_nowait()))

    async def check(self) -> None:
        self._n += 1
        rid = f"fold-check-{self.name}-{self._n}"
        await self.client.command("resync", id=rid)
        self.drain()
        self.checks.append(fold_to(self.messages, rid))


async def _until(c: GameClient, pred) -> dict:
    return await c.wait_view(pred, timeout=TIMEOUT)


def _chat_has(text: str):
    return lambda v: any(line.get("text") == text for lines in (v.get("chat") or {}).values() for line in lines)


async def _firm_plays(ada: GameClient, bea: GameClient, observed: list[Observed], fac: GameClient, api, session) -> None:
    """Two people in one firm, the live bot its partner: Ada opens the negotiation with the
    default terms, then every round both draft and chat before Ada submits. The round cannot
    close before she does, so in round 1 everyone's fold is checked at a moment known to
    follow every kind of push: drafts, chat, the clock paused, resumed and extended, an
    announcement; and once the bot has countered Ada's offer (it waits for her answer)."""
    v = await _until(ada, lambda v: v["phase"] == "negotiation" and v.get("negotiations"))
    neg = v["negotiations"][0]
    await ada.negotiate("offer", neg["default_terms"], neg["id"])
    # the bot asks for more than the default split: it counters, and waits for Ada's answer
    await _until(ada, lambda v: len(v["negotiations"][0]["offers"]) == 2)
    await _until(fac, lambda v: len(v["negotiations"][neg["id"]]["offers"]) == 2)
    for o in observed:
        await o.check()
    await ada.negotiate("accept", negotiation=neg["id"])
    done = 0
    while True:
        v = await _until(ada, lambda v: v["phase"] == "debrief" or (
            v["phase"] == "execution" and v["current_round"] > done and not v.get("submitted")))
        if v["phase"] == "debrief":
            return
        rnd = v["current_round"]
        await bea.draft({"develop": {"design": rnd}}, round=rnd)
        await ada.draft({"develop": {"brand": rnd}}, round=rnd)
        await ada.chat("firm", f"firm {rnd}")
        await bea.chat("alliance", f"partner {rnd}")
        if rnd == 1:
            for action, extra in (("pause", {}), ("resume", {}), ("extend", {"seconds": 30})):
                await api.control(session, action, **extra)
            await api.control(session, "inject", text="Round one is open.")
        for c in (ada, bea, fac):
            await _until(c, lambda v: v.get("announcements") and v["announcements"][-1]["text"] == "Round one is open.")
            await _until(c, _chat_has(f"partner {rnd}"))
        await _until(ada, lambda v: v["draft"].get("develop", {}).get("design") == rnd)
        for o in observed:
            await o.check()
        await ada.submit(round=rnd)
        done = rnd


async def play_observed_session(server, api) -> list[Observed]:
    """The whole session; returns the observed clients with their streams and checks."""
    session = await api.create(scenario="classic", copies=1, seed=5)
    ada_j = await api.join(session["code"], "Ada")
    bot = await LiveBot.join(server.url, session["code"], "Bot", "balanced", seed=1, handover=False,
                             fair_share=0.6)
    bea_j = await api.join(session["code"], "Bea")
    assert ada_j["firm"] == bea_j["firm"] != bot.joined["firm"]
    ada = GameClient(server.url, ada_j["player_token"], name="Ada")
    bea = GameClient(server.url, bea_j["player_token"], name="Bea")
    fac = GameClient(server.url, session["facilitator_token"], name="fac")
    observed = [Observed("fac", fac), Observed("ada", ada), Observed("bea", bea), Observed("bot", bot.client)]
    for c in (ada, bea, fac):
        await c.connect()
    try:
        run = asyncio.create_task(bot.run(timeout=TIMEOUT))
        playing = asyncio.create_task(_firm_plays(ada, bea, observed, fac, api, session))
        await api.control(session, "start")
        assert await asyncio.wait_for(run, TIMEOUT) == "debrief"
        await asyncio.wait_for(playing, TIMEOUT)
        for o in observed[:3]:
            await o.check()                       # at the debrief
        await api.control(session, "end_session")
        for c in (ada, bea, fac):
            await c.wait(lambda c: c.ended is not None, timeout=TIMEOUT)
        observed[0].drain()
        ended = await api.summary(session)        # the facilitator's full view, once ended
        fold = Folded()
        for m in observed[0].messages:
            folded = fold(m)
        # the sockets close at the end: who is online is no longer pushed to anyone
        observed[0].checks.append(({**folded, "status": None}, {**ended, "status": None}, {"session_ended"}))
        assert folded["session"]["status"] == "ended"
    finally:
        for c in (ada, bea, fac):
            await c.close()
    for o in observed:
        o.drain()
    return observed


async def test_folding_every_push_gives_the_view_the_server_builds(start_server, tmp_path):
    import aiohttp

    from conftest import Api
    # every status change is pushed at once; a view holds a channel's last 2 chat lines, so
    # the fold must drop the older ones as the server's views do (a class chats past 200)
    server = await start_server(status_every=0, chat_keep=CHAT_KEEP)
    async with aiohttp.ClientSession() as http:
        observed = await play_observed_session(server, Api(server.url, http))
    sent = sum(m["type"] == "chat" and m["channel"].startswith("firm:") for m in observed[1].messages)
    assert sent > CHAT_KEEP and all(len(lines) <= CHAT_KEEP for _, fresh, _ in observed[1].checks
                                    for lines in fresh["chat"].values()), sent
    for o in observed:
        assert o.checks, f"{o.name}: never checked"
        for i, (folded, fresh, since) in enumerate(o.checks):
            if DUE in since:
                continue  # the state moved on by more than pushes say: its full views follow
            whole = o.name != "fac"  # the facilitator is not told the firms' drafts as they change
            assert comparable(folded, whole) == comparable(fresh, whole), f"{o.name}: check {i}: the fold differs"
    # every entry of the table but the selection board's and the renegotiation window's (folded
    # in tests/test_server_renegotiation.py) was folded onto a full view and compared with the
    # next one before a full view replaced it
    exercised = set().union(*(types for o in observed for _, _, types in o.checks if DUE not in types))
    untested = {"selection", "renegotiation"}
    assert exercised >= set(FOLDS) - untested, set(FOLDS) - untested - exercised
    # after each round the players were sent deltas, not full views (only their resyncs and
    # the phase changes brought full views)
    for o in observed[1:]:
        results = [i for i, m in enumerate(o.messages) if m["type"] == "round_result"]
        assert results and all(m["type"] != "view" or m.get("id") for m in o.messages[results[0]:]
                               if m["type"] == "view" and m["view"].get("phase") == "execution"), o.name
        assert sum(m["type"] == "round_delta" for m in o.messages) >= len(results), o.name
    # the streams, for the JS fold's test
    (tmp_path / "streams.json").write_text(json.dumps({o.name: o.messages for o in observed}))


def test_a_channel_keeps_the_lines_a_view_would_carry():
    """A view without `chat_keep` carries each channel's last 200 lines (the default: views of
    such a server are as they always were); one that says `chat_keep` carries that many. The
    fold drops the oldest line beyond it, in Python and in the web pages' module (the same
    default, read from its source), and never another channel's."""
    import re
    from pathlib import Path

    from game_rules.session.state import CHAT_KEEP
    line = {"type": "chat", "channel": "firm:a", "sender": "p1", "sender_name": "Ada", "firm": "a", "time": 1.0}
    full = {"me": {}, "chat": {"firm:a": [{**line, "text": str(i)} for i in range(CHAT_KEEP)], "alliance:x": []}}
    folded = apply(full, {**line, "text": "new"})
    assert [m["text"] for m in folded["chat"]["firm:a"]] == [str(i) for i in range(1, CHAT_KEEP)] + ["new"]
    assert folded["chat"]["alliance:x"] == [] and len(full["chat"]["firm:a"]) == CHAT_KEEP
    small = apply(apply({**full, "chat": {}, "chat_keep": 2}, {**line, "text": "a"}), {**line, "text": "b"})
    assert [m["text"] for m in apply(small, {**line, "text": "c"})["chat"]["firm:a"]] == ["b", "c"]
    js = (Path(__file__).parents[1] / "clients/web/js/viewfold.js").read_text()
    assert re.search(r"export const CHAT_KEEP = (\d+);", js).group(1) == str(CHAT_KEEP)
