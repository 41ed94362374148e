"""Three server processes on one PostgreSQL (issue 20, "Done when"): any process serves any
session, forwarding to the owner through the database (server/forwarding.py,
server/follower.py, server/store/pg_inbox.py); the owner of a busy session is killed with
SIGKILL mid-round and another takes it over.

Three `python run.py --db postgresql://... --lease-seconds 2` processes; each creates one
session (it owns it). Every session's players join and play through all three processes
(player i of session k on process (k + i) mod 3; its facilitator on yet another), sending
a seeded mix of drafts, chat lines and submits, each command with its own id. Then the
owner of session 0 is SIGKILLed mid-round: its own sockets reconnect to the next process
(no proxy in front here: the client tries the service's other addresses), the others keep
forwarding; a survivor takes the session over within the lease plus the restore time, and
every client gets commands through again.

At the end: every acknowledged command is in the log exactly once, with its fact right
after it; each seq once, no gap; every client's folded view (what the pushes made of it)
equals a fresh full view; and the three processes' summaries agree: the owner's live
state and the two followers' replicas, which are the log replayed (snapshot + facts)."""
from __future__ import annotations

from pg_processes import Spread

LEASE = 2.0
SEED = 20_2026


async def test_three_processes_forward_and_survive_the_owner_killed(pg_dsn):
    spread = Spread(pg_dsn, LEASE, SEED)
    try:
        await spread.start()
        # mid-round, with every player busy: the owner of session 0 dies
        await spread.until_acked(60)
        spread.procs[0].kill9()
        # a survivor serves session 0 again: every one of its players gets a command through;
        # within the lease, the lease watch's period (a third of it), the restore, the clients'
        # reconnects and re-sends, with room for a loaded test machine
        s0_back = await spread.every_player_again(60)
        assert s0_back < LEASE + 20, s0_back
        # every session has closed a round since (its results pushed to the followers' sockets)
        for pl in spread.players:
            await pl.c.wait_view(lambda v: v["current_round"] >= 2, 60)
        await spread.stop_playing()

        await spread.check_summaries(spread.urls[1:])
        await spread.check_views()
        # a socket that stayed on a follower got every round's results pushed, as on the owner
        stayed = [pl for pl in spread.players if pl.c.stats.reconnects == 0 and not pl.c.name.startswith("s0")]
        assert stayed
        for pl in stayed:
            assert sorted(pl.c.round_results) == list(range(1, pl.c.view["current_round"])), pl.c.name
    finally:
        await spread.close()
    assert await spread.check_log() > 100
