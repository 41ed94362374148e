"""Facilitator controls as one typed variant per action (server/protocol/controls.py): each
action's fields are checked by its own schema, the handlers (one function per action in
game_rules/session/controls.py, the `CONTROLS` table) get the typed
variant and no longer check fields by hand, and the answers to bad controls are the ones the
hand checks gave (the HTTP test below passes on the code before the variants too)."""
import ast
import typing
from pathlib import Path

import pytest

from conftest import Client
from game_rules.session import controls
from server import protocol as P
from server.teams import SERVER_CONTROLS

ROOT = Path(__file__).resolve().parent.parent


def test_one_variant_and_one_handler_per_control_action():
    wire = set(typing.get_args(P.Control.model_fields["action"].annotation))
    assert wire == set(typing.get_args(P.HttpControl.model_fields["action"].annotation)) == set(P.CONTROL_ACTIONS)
    assert set(P.CONTROL_VARIANTS) == wire
    handlers = {**controls.CONTROLS, **SERVER_CONTROLS}  # seats and teams move tokens: the server's
    assert not set(controls.CONTROLS) & set(SERVER_CONTROLS)
    for action, variant in P.CONTROL_VARIANTS.items():
        assert variant.model_fields["action"].default == action
        assert callable(handlers[action])
    assert set(handlers) == wire


@pytest.mark.parametrize("body, variant, fields", [
    ({"action": "extend", "seconds": 60}, P.Extend, {"seconds": 60.0}),
    ({"action": "move_player", "player": "p_1", "firm": "east1"}, P.MovePlayer, {"player": "p_1", "firm": "east1"}),
    ({"action": "remove_player", "player": "p_1"}, P.RemovePlayer, {"player_id": "p_1"}),
    ({"action": "remove_player", "player_id": "", "player": "p_2"}, P.RemovePlayer, {"player_id": "p_2"}),
    ({"action": "allow_rejoin", "player_id": "p_3", "player": "p_9"}, P.AllowRejoin, {"player_id": "p_3"}),
    ({"action": "fill_bots"}, P.FillBots, {"strategy": "balanced"}),
    ({"action": "fill_bots", "strategy": ""}, P.FillBots, {"strategy": "balanced"}),
    ({"action": "fill_bots", "strategy": "avoider"}, P.FillBots, {"strategy": "avoider"}),
    ({"action": "inject", "event": {"kind": "news"}}, P.Inject, {"text": "", "event": {"kind": "news"}}),
    ({"action": "start", "seconds": 5, "firm": "x"}, P.Start, {}),  # another action's fields: ignored, as always
])
def test_a_control_becomes_its_typed_variant(body, variant, fields):
    for msg in (P.HttpControl.model_validate(body), P.Control.model_validate({"type": "control", "id": "c1", **body})):
        c = P.control_variant(msg)
        assert type(c) is variant and c.action == body["action"]
        assert {k: getattr(c, k) for k in fields} == fields


BAD = [  # (body, HTTP status, code, message): what the hand checks in the handlers answered
    ({"action": "extend"}, 400, "missing_field", "seconds: missing"),
    ({"action": "move_player"}, 400, "missing_field", "player: missing"),
    ({"action": "move_player", "player": "p_x"}, 400, "missing_field", "firm: missing"),
    ({"action": "move_player", "firm": "east1"}, 400, "missing_field", "player: missing"),
    ({"action": "remove_player"}, 400, "missing_field", "player_id: missing"),
    ({"action": "allow_rejoin", "player_id": None}, 400, "missing_field", "player_id: missing"),
    ({"action": "inject"}, 400, "missing_field", "text: missing (give a text and/or an event)"),
    ({"action": "inject", "text": "", "event": {}}, 400, "missing_field", "text: missing (give a text and/or an event)"),
    ({"action": "fill_bots", "strategy": "evil"}, 400, "unknown_strategy",
     "no strategy 'evil' (known: internalizer, avoider, balanced, tit_for_tat, random, racing_internalizer, watchful_avoider)"),
]


@pytest.mark.parametrize("body, status, code, message", BAD)
def test_a_bad_control_is_refused_by_its_schema(body, status, code, message):
    with pytest.raises(P.ProtocolError) as e:
        P.control_variant(P.HttpControl.model_validate(body))
    assert (e.value.status, e.value.code, e.value.message) == (status, code, message)


def _ctl_handlers():
    names = {fn.__name__ for fn in controls.CONTROLS.values()} | {"_known_player", "form_teams", "approve", "refuse"}
    for path in (ROOT / "game_rules" / "session" / "controls.py", ROOT / "server" / "teams.py", ROOT / "server" / "seats.py"):
        for f in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(f, ast.FunctionDef) and f.name in names:
                yield path.name, f


def test_the_control_handlers_check_no_field_by_hand():
    """A handler reads its variant's attributes: no `c.get(...)`, `c["x"]`, nor a
    `missing_field` of its own (the schema refuses those before the handler runs)."""
    seen, hand = 0, []
    for where, f in _ctl_handlers():
        seen += 1
        arg = f.args.args[1].arg if len(f.args.args) > 1 else None
        for n in ast.walk(f):
            if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get"
                    and isinstance(n.func.value, ast.Name) and n.func.value.id == arg):
                hand.append(f"{where} {f.name}: {arg}.get")
            elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == arg:
                hand.append(f"{where} {f.name}: {arg}[...]")
            elif (isinstance(n, ast.Call) and getattr(n.func, "id", None) in ("ProtocolError", "Refused") and n.args
                  and isinstance(n.args[0], ast.Constant) and n.args[0].value in ("missing_field", "unknown_strategy")):
                hand.append(f"{where} {f.name}: raises {n.args[0].value}")
    assert seen >= len(P.CONTROL_VARIANTS)
    assert not hand, hand


async def test_bad_controls_get_the_same_answers_over_http_and_the_socket(server, api, clients):
    session = await api.create(negotiation=False)
    path = f"/api/sessions/{session['session_id']}/control"
    for body, status, code, message in BAD:
        got = await api.request("POST", path, body, token=session["facilitator_token"])
        assert got == (status, {"error": {"code": code, "message": message}}), body
    # the schema is checked before the session's state: a field missing, then the phase
    got = await api.request("POST", path, {"action": "extend", "seconds": 30}, token=session["facilitator_token"])
    assert got == (409, {"error": {"code": "wrong_phase", "message": "there is no clock to extend"}})
    got = await api.request("POST", path, {"action": "remove_player", "player_id": "", "player": "p_x"},
                            token=session["facilitator_token"])
    assert got == (404, {"error": {"code": "unknown_player", "message": "no player 'p_x' in this session"}})
    fac = await Client.login(server.url, session["facilitator_token"], name="fac")
    clients.append(fac)
    r = await fac.cmd("control", action="move_player", firm="east1")
    assert (r["type"], r["code"], r["message"]) == ("error", "missing_field", "player: missing")
    # a player's control is refused as a control, whatever its fields
    j = await api.join(session["code"], "ann")
    ann = await Client.login(server.url, j["player_token"], name="ann")
    clients.append(ann)
    r = await ann.cmd("control", action="extend")
    assert (r["type"], r["code"]) == ("error", "forbidden")
    # nothing refused was applied: still the lobby, nothing announced
    summary = await api.summary(session)
    assert summary["phase"] == "lobby" and summary["announcements"] == []
