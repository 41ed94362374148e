"""The actor's mailbox drained a batch at a time (server/mailbox.py), and a delivery that
writes each socket once (server/fanout.py `deliver`): the items queued together share one
store hand-off and one commit, every ack still leaves after the commit of its rows, a
refused command in a batch leaves no trace, and a batch is bounded in time."""
from __future__ import annotations

from server import mailbox, protocol as P
from server.connection import Connection

from conftest import seat_players


def _chat(id_: str, text: str) -> P._Msg:
    return P.parse_client_message({"type": "chat", "id": id_, "to": "firm", "text": text})


async def _seated(api, server, clients):
    session = await api.create(copies=1)
    ana, _, ben = await seat_players(api, server, session, clients, names=("ana", "bo", "ben"))
    assert ana.joined["firm"] == ben.joined["firm"]  # teammates: the third seat fills ana's firm
    await api.control(session, "start")
    actor = server.hub.sessions[session["session_id"]]
    conn = {c.principal.player_id: c for cs in actor.conns.values() for c in cs if c.principal.player_id}
    return actor, ana, ben, conn[ana.joined["player_id"]]


class _Writes:
    """Counts the real store's hand-offs (`write` calls) and keeps their commit futures."""

    def __init__(self, store):
        self.store, self.real, self.futures = store, store.write, []
        store.write = self

    def __call__(self, ops):
        fut = self.real(ops)
        self.futures.append(fut)
        return fut

    def close(self):
        self.store.write = self.real


async def test_commands_queued_together_share_one_commit_and_ack_after_it(server, api, clients, monkeypatch):
    actor, ana, ben, conn = await _seated(api, server, clients)
    monkeypatch.setattr(mailbox, "BATCH_SECONDS", 60.0)  # not bounded by a loaded machine's speed
    writes = _Writes(server.hub.store)
    try:
        for k in range(6):  # queued in one callback: the actor finds them together
            actor.post(actor.command, conn, _chat(f"b{k}", f"line {k}"))
        acks = [await ana.wait_for(lambda m, k=k: m["type"] == "ack" and m["id"] == f"b{k}") for k in range(6)]
    finally:
        writes.close()
    assert len(writes.futures) == 1, f"{len(writes.futures)} store hand-offs for 6 queued commands"
    assert writes.futures[0].done() and writes.futures[0].exception() is None  # acked after the commit
    assert [a["result"] for a in acks] == [{"channel": acks[0]["result"]["channel"]}] * 6
    # every line reached the teammate, in order, and every row is in the file
    lines = [await ben.wait_for(lambda m, k=k: m["type"] == "chat" and m["text"] == f"line {k}") for k in range(6)]
    assert [m["seq"] for m in lines] == sorted(m["seq"] for m in lines)
    rows = server.hub.store.find_reply(actor.id, ana.joined["player_id"], "b5")
    assert rows is not None


async def test_a_refused_command_in_a_batch_leaves_no_trace(server, api, clients):
    actor, ana, ben, conn = await _seated(api, server, clients)
    seq0 = actor.seq
    actor.post(actor.command, conn, _chat("ok1", "first"))
    actor.post(actor.command, conn, _chat("bad", "   "))  # blank: refused by the rules
    actor.post(actor.command, conn, _chat("ok2", "second"))
    await ana.wait_for(lambda m: m["type"] == "ack" and m["id"] == "ok2")
    err = await ana.wait_for(lambda m: m["type"] == "error" and m["id"] == "bad")
    assert err["code"] == "out_of_range"
    assert actor.seq == seq0 + 4  # two commands, two chat facts: nothing of the refused one
    assert server.hub.store.find_reply(actor.id, ana.joined["player_id"], "bad") is None
    assert [m["text"] for m in ben.messages if m["type"] == "chat"][-2:] == ["first", "second"]


async def test_a_batch_takes_no_more_items_once_its_time_is_up(server, api, clients, monkeypatch):
    actor, ana, ben, conn = await _seated(api, server, clients)
    monkeypatch.setattr(mailbox, "BATCH_SECONDS", 0.0)  # every item ends its own batch
    writes = _Writes(server.hub.store)
    try:
        for k in range(4):
            actor.post(actor.command, conn, _chat(f"t{k}", f"t {k}"))
        await ana.wait_for(lambda m: m["type"] == "ack" and m["id"] == "t3")
    finally:
        writes.close()
    assert len(writes.futures) == 4


async def test_a_delivery_writes_each_socket_once_and_schedules_nothing(server, api, clients):
    actor, ana, ben, conn = await _seated(api, server, clients)
    flushes = []
    real = Connection.flush

    def counted(self):
        flushes.append(len(self._batch))
        return real(self)
    Connection.flush = counted
    try:
        actor.post(actor.command, conn, _chat("one", "one line"))
        await ana.wait_for(lambda m: m["type"] == "ack" and m["id"] == "one")
        await ben.wait_for(lambda m: m["type"] == "chat" and m["text"] == "one line")
        await actor.call(lambda: None)  # a later item: any write scheduled for the first has run
    finally:
        Connection.flush = real
    # the command's delivery: ana (her line and her ack) and ben (the line), one write each;
    # no second, empty write scheduled for the end of the callback
    assert flushes[:2] == [2, 1] and 0 not in flushes, flushes
