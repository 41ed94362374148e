"""Hostile moves in a renegotiation window, over the real server's socket: NaN and infinite
numbers (msgpack carries them; JSON's `NaN` literal too), another copy's alliance, an
unknown action, a negotiation id that is not a string or is huge, terms that are not a map,
junk keys in the terms and in the message, accepting one's own proposal, proposing twice,
moving on a settled pair, and moving once the window is over. Each is refused with its code
and changes nothing any party sees; no error tells a firm anything of another alliance."""
from __future__ import annotations

import json
import math

from conftest import Client, seat_players

CONTRIBUTES = {"west": "design", "east": "manufacturing"}


async def _window_state(players, fac) -> list:
    """What each party sees of the window now (a fresh resync each)."""
    return [(await c.resync()).get("renegotiation") for c in players + [fac]]


async def test_hostile_renegotiation_moves_are_refused_and_change_nothing(server, api, clients):
    session = await api.create(copies=2, rounds=3, negotiation=False, renegotiation_every=1,
                               renegotiation_seconds=600)
    players = await seat_players(api, server, session, clients, names=("wes", "eas", "wes2", "eas2"))
    by_firm = {c.joined["firm"]: c for c in players}
    west, east, west2 = by_firm["west1"], by_firm["east1"], by_firm["west2"]
    fac = await Client.login(server.url, session["facilitator_token"], name="fac")
    clients.append(fac)
    await api.control(session, "start")
    for firm, c in by_firm.items():
        await c.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
        await c.ok("submit", round=1, decision={"contribute": {CONTRIBUTES[firm[:4]]: 20}})
    await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "renegotiation")
    before = await _window_state(players, fac)
    nan = float("nan")

    async def refused(c, code, **fields):
        r = await c.cmd("negotiate", **fields)
        assert r["type"] == "error" and r["code"] == code, (fields, r)
        return r["message"]

    split = {"split": {"west1": 0.6, "east1": 0.4}}
    # another copy's alliance: refused before its terms are read, and a2's firms are not named
    msg = await refused(west, "not_a_party", action="offer", negotiation="a2", terms=split)
    assert "west2" not in msg and "east2" not in msg
    msg = await refused(west, "not_a_party", action="accept", negotiation="a2")
    assert "west2" not in msg and "east2" not in msg
    for terms, code in (({"split": {"west1": nan, "east1": 0.4}}, "not_finite"),  # the codec refuses these
                        ({"split": {"west1": math.inf, "east1": -math.inf}}, "not_finite"),
                        ({"exit_penalty": nan}, "not_finite"), ({"milestone": -math.inf}, "not_finite"),
                        ({"min_effort": {"west1": nan}}, "not_finite"), ({"tranches": {"west1": 2**60}}, "out_of_range"),
                        ({"__proto__": {"admin": True}}, "unknown_field"),
                        ({"split": {"west1": 0.6, "east1": 0.4}, "constructor": 1}, "unknown_field"),
                        # ... and the rules these
                        ({"split": {"west1": 1e308, "east1": -1e308}}, "invalid_terms"),
                        ({"split": {"west1": 1e-320, "east1": 1.0 - 1e-320}, "exit_penalty": -1e-300}, "invalid_terms"),
                        ({"exit_trust_below": 1e-320 - 1}, "invalid_terms"), ({"tranches": {"west1": 2**40}}, "invalid_terms"),
                        ({"milestone": 1e300}, "invalid_terms"), ({"contributions": {"west1": ["design"] * 2000}}, "invalid_terms"),
                        ({"payer": "west2"}, "invalid_terms"), ({"split": {"west1": 0.6, "east1": 0.4, "west2": 0.0}}, "invalid_terms"),
                        ({"junk": 1}, "invalid_terms"), ({"duration": 2}, "invalid_terms"),
                        ([1, 2], "wrong_type"), ("all of it", "wrong_type"), (7, "wrong_type")):
        await refused(west, code, action="offer", negotiation="a1", terms=terms)
    await refused(west, "out_of_range", action="steal", negotiation="a1", terms=split)
    await refused(west, "wrong_type", action="offer", negotiation=["a1"], terms=split)
    await refused(west, "out_of_range", action="offer", negotiation="a1" * 5000, terms=split)
    await refused(west, "unknown_field", action="offer", negotiation="a1", terms=split, junk={"x": 1})
    await refused(east, "no_offer", action="accept", negotiation="a1")
    await refused(west, "missing_field", action="counter", negotiation="a1")
    # JSON's NaN literal (Python's encoder writes it; a strict client would not)
    raw = await Client.login(server.url, west.joined["player_token"], binary=False, name="wes-json")
    clients.append(raw)
    await raw.send('{"type": "negotiate", "id": "nan-1", "action": "offer", "negotiation": "a1", '
                   '"terms": {"split": {"west1": NaN, "east1": 0.4}}}')
    r = await raw.reply("nan-1")
    assert r["type"] == "error" and (r["code"], r["message"]) == ("not_finite", "terms.split.west1: must be a finite number")
    assert await _window_state(players, fac) == before  # nothing any party sees has changed

    # west proposes twice: the second replaces the first; it cannot accept its own proposal
    await west.ok("negotiate", action="offer", negotiation="a1", terms=split)
    await west.ok("negotiate", action="offer", negotiation="a1", terms={"split": {"west1": 0.55, "east1": 0.45}})
    pair = (await east.resync())["renegotiation"]["alliances"][0]
    assert [(o["n"], o["status"]) for o in pair["offers"]] == [(1, "replaced"), (2, "standing")]
    assert pair["standing"] == 2
    mid = await _window_state(players, fac)
    await refused(west, "not_your_turn", action="accept", negotiation="a1")
    await refused(west, "not_your_turn", action="counter", negotiation="a1", terms=split)
    assert await _window_state(players, fac) == mid
    await east.ok("negotiate", action="accept", negotiation="a1")
    # a1 is settled (a2 is still talking, so the window stays open): no more moves on a1
    await refused(east, "closed", action="offer", negotiation="a1", terms=split)
    await refused(west, "closed", action="walk_away", negotiation="a1")
    assert (await west2.resync())["phase"] == "renegotiation"
    # the window ends: moving is refused by the phase
    await api.control(session, "end_renegotiation")
    await west.wait_for(lambda m: m["type"] == "view" and m["view"]["phase"] == "execution")
    await refused(west, "wrong_phase", action="offer", negotiation="a1", terms=split)
    await refused(west2, "wrong_phase", action="accept", negotiation="a2")
    alliances = (await api.summary(session))["alliances"]
    assert {aid: a["terms"]["split"] for aid, a in alliances.items()} == {"a1": {"west1": 0.55, "east1": 0.45},
                                                                         "a2": {"west2": 0.5, "east2": 0.5}}
