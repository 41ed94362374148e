"""What the server's parts need of the hub and of a live session, as `Protocol`s.

The hub (server/hub.py) creates the session actors (server/session_actor.py) and calls the
modules around them (participants, study, treatments, archive, the views); those modules
are handed a hub or an actor and only read what is listed here. They annotate with these
names instead of importing hub.py or session_actor.py, so no module imports back up the
chain (an import, even under `TYPE_CHECKING`, is an edge in tests/test_import_graph.py).
Structural types: the real `Hub` and `SessionActor` match them without naming them.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Protocol


class SessionActor(Protocol):
    """A live session (server/session_actor.py): its identity and options, the pure
    session's state (`session` and the names read through to it), and the actor's queue."""
    id: str
    code: str
    title: str
    options: dict
    rules: Any
    session: Any                 # game_rules.session.state.Session
    state: Any                   # the engine's SessionState
    status: str
    players: dict
    conns: dict
    panel_cfg: dict | None

    def call(self, fn: Callable, *args) -> Awaitable: ...

    def post(self, fn: Callable, *args) -> None: ...

    def members(self, firm: str) -> list: ...


class Hub(Protocol):
    """The server's registry of live sessions (server/hub.py)."""
    config: Any
    store: Any
    metrics: Any
    tokens: Any
    pending: Any
    sessions: dict[str, SessionActor]
    links: dict[str, SessionActor]
    shutting_down: bool

    def revoke(self, token_hash: str, why: str) -> None: ...

    def session_closed(self, actor: SessionActor) -> None: ...

    def join_url(self, code: str, language: str | None = None) -> str: ...

    async def consent_elsewhere(self, link: str, pend: dict, hashed: str) -> Any: ...
