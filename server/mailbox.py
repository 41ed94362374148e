"""The session actor's mailbox, drained a batch at a time.

Every command, control and timer is an item of the actor's queue (server/session_actor.py).
The items already queued when the actor wakes run back to back as one *batch*: their log
rows go to the store as one hand-off, committed together, and their acks and pushes leave
after that one commit, one write per socket. Per item, the same work was a store hand-off,
a commit future, a delivery callback and a socket write each, several times per command
when many players act at once (docs/benchmarks.md, "Where a command's microseconds go").

What does not change: an ack still leaves only after the commit that holds the command's
log rows; items still run one at a time, in the order they came; a refused command still
leaves no trace (its rows and messages are taken back from the batch's lists). A batch is
bounded in time (`BATCH_SECONDS`): an item is added only while the batch is younger, so a
command never waits behind more than that much of other players' work plus one item (a
heavy item, a round closing, ends the batch it is in).
"""
from __future__ import annotations

import logging
import time
from typing import Any

log = logging.getLogger("server.session")

STOP = object()          # the item that stops the actor (`SessionActor.stop`)
BATCH_SECONDS = 0.002    # a batch takes no more items once it has run this long


def run_batch(actor: Any, item: tuple, budget: float | None = None) -> bool:
    """Run `item` and the items queued behind it (within `budget` seconds), then end the
    batch once (`actor._end_of_item`: log rows to the store, delivery after the commit).
    Returns True when the actor must stop (the STOP item, or the session has ended)."""
    queue = actor.queue
    deadline = time.perf_counter() + (BATCH_SECONDS if budget is None else budget)
    actor.batch_ends = False  # an item sets it when its messages must leave before the next item runs
    ran = stop = False
    while True:
        if item[0] is STOP:
            stop = True
            break
        ran = True
        try:
            item[0](*item[1:])
        except Exception:
            # whatever was applied stays logged, so the log and the state agree
            log.exception("session %s: unexpected error", actor.id)
        if actor.status == "ended":
            stop = True
            break
        if queue.empty() or time.perf_counter() >= deadline or actor.batch_ends:
            break
        item = queue.get_nowait()
    if ran:
        actor._end_of_item()
    return stop
