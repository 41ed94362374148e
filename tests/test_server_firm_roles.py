"""Roles inside a firm (`firm_roles`, issue 16) through the real server: the create option,
the roles dealt at `start` and shown in every member's view, refusals as `not_your_role`
errors over the socket (never a silent drop), the take/hand command and the facilitator's
`assign_role`, the roles kept across a restart, and players.csv's `role` column."""
from __future__ import annotations

import aiohttp

from conftest import Api, Client
from test_language_changed import export
from test_research_data import rows_of, unzip


async def test_roles_over_the_socket_and_in_the_export(start_server, clients):
    async with aiohttp.ClientSession() as http:
        server = await start_server()
        api = Api(server.url, http)
        status, body = await api.try_create(copies=1, rounds=2, firm_roles="yes")
        assert status == 400 and body["error"]["code"] == "wrong_type", body
        s = await api.create(copies=1, rounds=2, negotiation=True, firm_roles=True)
        assert s["options"]["firm_roles"] is True
        joined = {n: await api.join(s["code"], n) for n in ("Ana", "Bo", "Cy", "Di", "Ed")}
        west = [n for n in joined if joined[n]["firm"] == "west1"]
        assert west == ["Ana", "Cy", "Ed"]  # seated alternately: three at west1
        ids = {n: j["player_id"] for n, j in joined.items()}
        sock = {n: await Client.login(server.url, joined[n]["player_token"], name=n) for n in west}
        fac = await Client.login(server.url, s["facilitator_token"], name="fac")
        clients += [*sock.values(), fac]

        await fac.ok("control", action="start")
        view = (await sock["Ed"].wait_for(lambda m: m["type"] == "view" and "firm_roles" in m["view"]))["view"]
        assert view["firm_roles"]["holders"] == {"negotiator": ids["Ana"], "gatekeeper": ids["Cy"],
                                                 "learner": ids["Ed"]}

        # the learner may not protect; the gatekeeper may; nobody but the negotiator negotiates
        r = await sock["Ed"].cmd("draft", fields={"protect": 2})
        assert r["type"] == "error" and r["code"] == "not_your_role" and "Cy" in r["message"], r
        await sock["Cy"].ok("draft", fields={"protect": 2})
        await sock["Ed"].ok("draft", fields={"absorb": {"design": 1}})
        r = await sock["Cy"].cmd("negotiate", action="walk_away")
        assert r["type"] == "error" and r["code"] == "not_your_role", r
        r = await sock["Ed"].cmd("role", action="take", role="negotiator")
        assert r["type"] == "error" and r["code"] == "not_your_role", r
        r = await sock["Ed"].cmd("role", action="hand", role="cook", to=ids["Ana"])
        assert r["type"] == "error" and r["code"] == "out_of_range", r

        # Ana hands the negotiator's role to Cy: the firm's views say so
        r = await sock["Ana"].ok("role", action="hand", role="negotiator", to=ids["Cy"])
        assert r["result"]["roles"]["negotiator"] == ids["Cy"]
        view = (await sock["Ed"].wait_for(lambda m: m["type"] == "view" and
                                          m["view"]["firm_roles"]["holders"]["negotiator"] == ids["Cy"]))["view"]
        # the facilitator gives the learner's role to Ana; its roster shows every firm's roles
        r = await fac.ok("control", action="assign_role", player_id=ids["Ana"], role="learner")
        assert r["result"]["roles"]["learner"] == ids["Ana"]
        st = await fac.wait_for(lambda m: m["type"] == "status" and
                                m["status"].get("firm_roles", {}).get("west1", {}).get("learner") == ids["Ana"])
        assert st["status"]["firm_roles"]["east1"] == {"negotiator": ids["Bo"], "gatekeeper": ids["Di"],
                                                       "learner": ids["Bo"]}
        r = await fac.cmd("control", action="assign_role", player_id=ids["Ana"], role="boss")
        assert r["type"] == "error" and r["code"] == "out_of_range", r
        r = await sock["Ana"].cmd("control", action="assign_role", player_id=ids["Ana"], role="negotiator")
        assert r["type"] == "error" and r["code"] == "forbidden", r
        await sock["Cy"].ok("negotiate", action="walk_away")

        # after a restart the roles are the same
        await server.stop()
        server = await start_server()
        api = Api(server.url, http)
        again = await Client.login(server.url, joined["Ed"]["player_token"], name="Ed2")
        clients.append(again)
        assert again.view["firm_roles"]["holders"] == {"negotiator": ids["Cy"], "gatekeeper": ids["Cy"],
                                                       "learner": ids["Ana"]}
        r = await again.cmd("draft", fields={"absorb": {"design": 2}})
        assert r["type"] == "error" and r["code"] == "not_your_role", r

        status, archive = await export(api, s)
        assert status == 200
        players = {p["player_id"]: p["role"] for p in rows_of(unzip(archive), "players.csv")}
        assert players == {ids["Ana"]: "learner", ids["Cy"]: "negotiator;gatekeeper", ids["Ed"]: "",
                           ids["Bo"]: "negotiator;learner", ids["Di"]: "gatekeeper"}
        events = [e for e in rows_of(unzip(archive), "events.csv") if e.get("type") == "role_assigned"]
        assert len(events) == 8  # six dealt, one handed, one assigned


async def test_the_scenario_or_a_treatment_turns_roles_on(api):
    """`firm_roles` under a scenario's [phases] (here through `--set firm_roles=true`, as a
    research treatment sets it) turns roles on; the create option wins over it."""
    from game_rules.scenario import load_scenario
    assert load_scenario("classic").phases.firm_roles is False
    assert load_scenario("classic", {"firm_roles": "true"}).phases.firm_roles is True
    s = await api.create(copies=1, treatments={"roles": {"firm_roles": True}}, assignment="fixed", treatment="roles")
    assert s["options"]["firm_roles"] is True
    s = await api.create(copies=1, treatments={"roles": {"firm_roles": True}}, assignment="fixed", treatment="roles",
                         firm_roles=False)
    assert "firm_roles" not in s["options"]
    assert "firm_roles" not in (await api.create(copies=1))["options"]  # off: the options are as before
