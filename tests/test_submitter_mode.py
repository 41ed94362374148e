"""`members_submit: submitter`: one designated player submits for the firm. The designated
one is the earliest-joined member who is online, so a team whose submitter's phone died can
still submit; teammates' views follow who is online."""
from __future__ import annotations

import aiohttp
import pytest

from clients.python.client import CommandError, GameClient
from conftest import Api


async def test_the_submitter_role_passes_to_an_online_teammate_and_back(server, made):
    async with aiohttp.ClientSession() as http:
        api = Api(server.url, http)
        s = await api.create(copies=1, rounds=2, negotiation=False, members_submit="submitter")
        first = await api.join(s["code"], "Ana")    # west1, the designated submitter
        await api.join(s["code"], "Ben")            # east1
        second = await api.join(s["code"], "Cleo")  # west1 too
        assert first["firm"] == second["firm"] == "west1"
        ana = GameClient(server.url, first["player_token"], name="ana")
        cleo = GameClient(server.url, second["player_token"], name="cleo")
        made += [ana, cleo]
        await ana.connect()
        await cleo.connect()
        await api.control(s, "start")
        await cleo.wait_view(lambda v: v["phase"] == "execution" and v["submitter"] == first["player_id"])
        with pytest.raises(CommandError) as e:
            await cleo.submit({"develop": {"design": 5}}, round=1)
        assert e.value.code == "not_submitter"
        # Ana's phone dies: Cleo is told she is online alone and may submit
        await ana.close()
        view = await cleo.wait_view(lambda v: v["submitter"] == second["player_id"])
        assert {m["name"]: m["connected"] for m in view["team"]} == {"Ana": False, "Cleo": True}
        assert (await cleo.submit({"develop": {"design": 5}}, round=1))["round"] == 1
        # Ana comes back: the earliest-joined online member submits again
        ana2 = GameClient(server.url, first["player_token"], name="ana2")
        made.append(ana2)
        await ana2.connect()
        view = await cleo.wait_view(lambda v: v["submitter"] == first["player_id"])
        assert {m["name"]: m["connected"] for m in view["team"]} == {"Ana": True, "Cleo": True}
