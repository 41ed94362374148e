"""Re-sent command ids (server/replies.py): once a player has had acks dropped from memory,
a NEW id must not cost a read of the event log (it was one per command for the rest of the
class), while every old id re-sent is still found in the log."""
from server.replies import IdFilter, ReplyCache


class Log:
    """The event log's acks as the lookup sees them, counting the reads."""

    def __init__(self):
        self.acks: dict[tuple[str, str], str] = {}
        self.reads = 0

    def find(self, principal: str, id: str) -> str | None:
        self.reads += 1
        return self.acks.get((principal, id))


def _play(cache: ReplyCache, log: Log, principal: str, ids) -> None:
    for i in ids:
        assert cache.get(principal, i) is None  # new
        reply = f'{{"type":"ack","id":"{i}"}}'
        log.acks[(principal, i)] = reply  # committed with the command's row
        cache.put(principal, i, reply)


def test_new_ids_after_acks_were_dropped_are_not_looked_up():
    log = Log()
    cache = ReplyCache(per_principal=4, lookup=log.find)
    _play(cache, log, "p1", [f"c{n}" for n in range(200)])  # 196 acks dropped from memory
    log.reads = 0
    fresh = [f"new{n}" for n in range(2000)]
    assert all(cache.get("p1", i) is None for i in fresh)
    assert log.reads <= 0.05 * len(fresh)  # only the filter's rare false positives (before: 2,000)


def test_every_old_id_is_still_answered_from_the_log():
    log = Log()
    cache = ReplyCache(per_principal=4, lookup=log.find)
    _play(cache, log, "p1", [f"c{n}" for n in range(5000)])
    _play(cache, log, "p2", [f"c{n}" for n in range(50)])
    for who, n in [("p1", k) for k in range(5000)] + [("p2", k) for k in range(50)]:
        assert cache.get(who, f"c{n}") == log.acks[(who, f"c{n}")]
    assert cache.get("p2", "c4999") is None  # p1's id is not p2's


def test_a_restored_cache_knows_every_logged_id():
    """After a restart the actor puts every logged ack back (`SessionActor.restore`)."""
    log = Log()
    first = ReplyCache(per_principal=3, lookup=log.find)
    _play(first, log, "p1", [f"c{n}" for n in range(100)])
    restored = ReplyCache(per_principal=3, lookup=log.find)
    for (who, i), reply in log.acks.items():
        restored.put(who, i, reply)
    assert all(restored.get("p1", f"c{n}") == log.acks[("p1", f"c{n}")] for n in range(100))
    log.reads = 0
    assert all(restored.get("p1", f"x{n}") is None for n in range(1000))
    assert log.reads <= 50


def test_the_filter_has_no_false_negatives_and_few_false_positives_as_it_grows():
    f = IdFilter(capacity=1000)
    added = [("p%d" % (n % 97), "id%d" % n) for n in range(100_000)]
    for who, i in added:
        f.add(who, i)
    assert all(f.may_hold(who, i) for who, i in added)
    false = sum(f.may_hold("p1", "other%d" % n) for n in range(100_000))
    assert false < 4_000  # ~1% per layer; 7 layers here (from a capacity of 1,000)
    assert f.nbytes() < 100_000 * 4  # bytes, not a set of 100,000 strings
