"""The application context: what every HTTP handler needs, put on the aiohttp application
once by `make_app` and read back with `context(request)`. Handlers get the hub from here,
never from a module-level global, so the route modules need not import the application."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

from ..config import ServerConfig
from ..hub import Hub
from ..ratelimit import KeyedBudget


@dataclass
class AppContext:
    hub: Hub
    join_failures: KeyedBudget     # failed joins per client address
    joins_by_address: KeyedBudget  # successful joins per client address ...
    joins_by_session: KeyedBudget  # ... and into one session
    creates: KeyedBudget           # sessions created per client address ...
    total_creates: KeyedBudget     # ... and by everyone together (one key)
    # sockets open and not yet authenticated, per client address (server/http/ws.py): each
    # is closed within `auth_timeout`, but a script opening thousands a second would hold
    # thousands of descriptors the class needs
    unauthenticated: Counter = field(default_factory=Counter)

    @classmethod
    def for_config(cls, config: ServerConfig) -> "AppContext":
        return cls(
            hub=Hub(config),
            join_failures=KeyedBudget(config.join_fail_per_minute / 60.0, config.join_fail_burst),
            joins_by_address=KeyedBudget(config.join_per_minute_per_address / 60.0, config.join_burst_per_address),
            joins_by_session=KeyedBudget(config.join_per_minute_per_session / 60.0, config.join_burst_per_session),
            creates=KeyedBudget(config.create_per_minute / 60.0, config.create_burst),
            total_creates=KeyedBudget(config.create_total_per_minute / 60.0, config.create_total_burst, max_keys=1),
        )


CONTEXT = web.AppKey("context", AppContext)
HUB = web.AppKey("hub", Hub)  # the context's hub, for code that holds the application (server.cli, the tests)


def context(request: web.Request) -> AppContext:
    return request.app[CONTEXT]


def hub_of(request: web.Request) -> Hub:
    return request.app[CONTEXT].hub
