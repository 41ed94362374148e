"""The typed facts (game_rules/session/facts.py) and the one `evolve` (evolve.py).

- every fact a real server logs reads back as its class and writes back to the very same
  bytes (the log and the exports are compared byte for byte);
- any dict of a fact's shape round-trips, keys in order, unknown keys kept (hypothesis);
- the codebook documents exactly the registry's types and fields;
- folding a live session's log from the start with `evolve` (no snapshot, no sockets)
  builds the state the live actor holds."""
from __future__ import annotations

import json
import sqlite3

from hypothesis import given, settings, strategies as st

from conftest import Client
from game_rules.rules import new_session
from game_rules.session import FACTS, Session, evolve, read_fact
from game_rules.session.facts import ABSENT
from game_rules.state import state_to_dict
from server import codebook
from server.store import dumps


def _rows(db_path, kinds=("system", "chat")) -> list[tuple]:
    con = sqlite3.connect(db_path)
    try:
        q = f"SELECT session_id, kind, type, data FROM log WHERE kind IN ({','.join('?' * len(kinds))}) ORDER BY id"
        return con.execute(q, kinds).fetchall()
    finally:
        con.close()


async def _play(server, api) -> list[dict]:
    """Sessions that log most fact types: negotiation, chat, drafts, moves and removals,
    clock controls, consent, labels and rejoins, a questionnaire, partner selection with
    bots, treatments inside a session."""
    a = await api.create(scenario="classic", copies=2, rounds=2, seed=3, consent_text="Agree?",
                         labels=["L1", "L2", "L3", "L4"], questionnaire=[{"id": "fair", "text": "Fair?"}])
    seated = []
    for label in ("L1", "L2", "L3"):
        j = await api.join(a["code"], label, label=label)
        status, body = await api.request("POST", "/api/consent", {"consent": True}, token=j["player_token"])
        assert status == 200, body
        seated.append({**j, **body})
    no = await api.join(a["code"], "Nay", label="L4")
    assert (await api.request("POST", "/api/consent", {"consent": False}, token=no["player_token"]))[0] == 200
    back = await api.join(a["code"], "again", label="L1", rejoin_code=seated[0]["rejoin_code"])
    assert back["rejoined"]
    c1 = await Client.login(server.url, back["player_token"])
    await c1.ok("chat", to="firm", text="hello")
    await api.control(a, "allow_rejoin", player_id=seated[2]["player_id"])
    await api.control(a, "fill_bots")
    await api.control(a, "start")
    v = await c1.resync()
    n = v["negotiations"][0]
    await c1.cmd("negotiate", negotiation=n["id"], action="offer", terms=n["default_terms"])
    await c1.cmd("chat", to="alliance", text="partner")
    for action, extra in (("pause", {}), ("resume", {}), ("extend", {"seconds": 20}), ("advance", {})):
        await api.control(a, action, **extra)
    await c1.ok("draft", fields={"protect": 1.0})
    await api.control(a, "inject", text="news", event={"kind": "shock"})
    await api.control(a, "move_player", player=seated[1]["player_id"], firm=seated[0]["firm"])
    await api.control(a, "remove_player", player_id=seated[2]["player_id"])
    await c1.ok("submit")
    await api.control(a, "end_round")
    await api.control(a, "end_round")
    status, body = await api.request("POST", "/api/questionnaire", {"answers": {"fair": 4}},
                                     token=back["player_token"])
    assert status == 200, body
    await c1.close()
    b = await api.create(scenario="across_ocean", copies=1, rounds=1, seed=11)
    await api.control(b, "fill_bots")
    await api.control(b, "start")  # bots select, negotiate and play the round
    c = await api.create(scenario="classic", copies=2, rounds=1, negotiation=False, seed=5, study="s",
                         treatments={"low": {"value_scale": 2}, "high": {"value_scale": 6}},
                         assignment="random", assignment_seed=1, assignment_unit="alliance")
    await api.control(c, "fill_bots")
    await api.control(c, "start")
    await api.control(c, "end_session")
    return [a, b, c]


async def test_every_logged_fact_round_trips_byte_for_byte_and_folds_to_the_live_state(server, api, db_path):
    made = await _play(server, api)
    rows = _rows(db_path)
    seen = set()
    for sid, kind, type_, data in rows:
        fact = read_fact(type_, json.loads(data))
        assert type(fact) is FACTS[type_] and fact.type == type_
        assert dumps(fact.to_data()) == data, (type_, data)
        seen.add(type_)
    # the sessions above logged these (panel facts: tests/test_panel_study.py plays them)
    assert seen >= {"session_created", "treatment_assigned", "consent_given", "consent_declined", "player_joined",
                    "player_rejoined", "rejoin_allowed", "player_moved", "player_removed", "bots_seated",
                    "phase_changed", "clock", "negotiation_opened", "negotiation_move", "alliance_signed",
                    "draft_changed", "decision_submitted", "round_closed", "chat", "announcement",
                    "questionnaire_answered", "selection_opened", "selection_move", "selection_closed",
                    "session_ended"}, sorted(seen)
    # the log alone, folded from the start by `evolve`, is the live session (no snapshot)
    compared = 0
    for s in made:
        actor = server.hub.sessions.get(s["session_id"])
        if actor is None:  # ended: no actor left to compare with
            continue
        folded = Session(actor.rules, new_session(actor.rules, actor.options["copies"], actor.options["seed"],
                                                  actor.options.get("rounds")), server.config.chat_keep)
        for sid, kind, type_, data in rows:
            if sid == s["session_id"]:
                evolve(folded, read_fact(type_, json.loads(data)))
        assert json.loads(dumps(folded.to_dict())) == json.loads(dumps(actor.session.to_dict()))
        assert state_to_dict(folded.state) == state_to_dict(actor.state)
        assert {k: list(v) for k, v in folded.chat.items()} == {k: list(v) for k, v in actor.chat.items()}
        compared += 1
    assert compared == 2  # the third session ended


_json = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4) | \
    st.lists(st.integers(), max_size=2) | st.dictionaries(st.sampled_from("abc"), st.integers(), max_size=2)


@st.composite
def _fact_dicts(draw):
    cls = draw(st.sampled_from(sorted(FACTS.values(), key=lambda c: c.type)))
    d = {}
    for attr, key in cls._keys:
        default = cls.__dataclass_fields__[attr].default
        if default is ABSENT and not draw(st.booleans()):
            continue  # an optional key this fact leaves out
        d[key] = draw(_json)
    known = {key for _, key in cls._keys}
    for k in draw(st.lists(st.sampled_from(["zz", "new_key", "to", "by", "firm"]).filter(lambda k: k not in known), max_size=2, unique=True)):
        d[k] = draw(_json)  # a key this class does not know (a newer server's): kept, written last
    return cls, d


@settings(max_examples=100, deadline=None)
@given(_fact_dicts())
def test_any_fact_dict_round_trips_with_its_key_order(case):
    cls, d = case
    fact = cls.from_data(d)
    assert list(fact.to_data().items()) == list(d.items())
    assert cls.from_data(fact.to_data()) == fact


def test_the_codebook_documents_exactly_the_registry():
    assert codebook.fact_types() == sorted(FACTS)
    for type_, cls in FACTS.items():
        assert set(codebook.FACTS[type_]) == {key for _, key in cls._keys}, type_
