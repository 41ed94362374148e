"""The people of one live session, as its actor (server/session_actor.py) sees them: sockets
that connect and leave, players that join and the firm each is seated in, who submits for a
firm, the partner-selection profiles and the online panel's room. A part of `SessionActor`
(it runs in the actor's task like the rest), kept apart so that each file reads as one thing."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from game_rules import selection as sel
from game_rules.session import bots, decide, facts as F, panel, views
from game_rules.session.state import Player
from game_rules.session.step import people_at

from . import participants
from .protocol import ProtocolError

if TYPE_CHECKING:
    from .connection import Connection


class SessionPeople:
    # ================================================================== connections

    def connect(self, conn: "Connection") -> None:
        p = conn.principal
        self.conns.setdefault(p.name, set()).add(conn)
        self.hub.metrics.connections += 1
        self._log("connection", "connected", {"sockets": len(self.conns[p.name])}, p.name, self._firm_of(p))
        participants.language_of(self, conn)  # before the welcome view: its texts follow the language
        self.fanout.greet(conn, self.cfg)
        if p.player_id:
            self.panel_room.connected(p.player_id)  # a panel dropout takes their seat back
        if p.player_id and len(self.conns[p.name]) == 1:
            # teammates see who is online (and, in submitter mode, who submits)
            self.fanout.team(self.players[p.player_id].firm, skip=p.player_id)
        else:
            self.fanout.status()

    def disconnect(self, conn: "Connection") -> None:
        p = conn.principal
        s = self.conns.get(p.name)
        if s and conn in s:
            s.discard(conn)
            self.hub.metrics.connections -= 1
            if not s:
                del self.conns[p.name]
            data = {"sockets": len(s)}
            if conn.close_reason:  # the server dropped it: slow_consumer, heartbeat_timeout, ...
                data["reason"] = conn.close_reason
            self._log("connection", "disconnected", data, p.name, self._firm_of(p))
            if p.player_id and not s and p.player_id in self.players:
                self.fanout.team(self.players[p.player_id].firm)
                self.panel_room.disconnected(p.player_id)
            else:
                self.fanout.status()

    def all_connections(self) -> list["Connection"]:
        return self.fanout.all()

    # ================================================================== players

    def join(self, player_id: str, name: str, label: str | None, token_hash: str,
             firm: str | None = None, rejoin_hash: str | None = None, *, is_bot: bool = False,
             language: str | None = None) -> dict:
        """Seat a new player: in `firm` (a lab's fixed seat), else the emptiest firm."""
        if self.status != "live":
            raise ProtocolError("session_ended", "the session has ended")
        self.panel_admit()  # a panel group takes nobody once it has started
        if firm is None:
            firm = self._balanced_firm()
            cap = self.options.get("max_per_firm") or self.cfg.max_per_firm
            if len(self.members(firm)) >= cap:  # the emptiest firm is full: all are
                raise ProtocolError("session_full", f"every firm of this session has {cap} player(s); "
                                                    f"ask the facilitator")
        bot = self.bots.get(firm)
        step = self._step()
        step.fact(F.PlayerJoined(player_id, name, label, firm, token_hash, step.now, rejoin_hash, is_bot, language),
                  actor=player_id, firm=firm)
        bots.replaced(step, firm, bot, player_id, "joined", player_id)
        self.fanout.team(firm)
        panel.seated(step)
        return {"player_id": player_id, "firm": firm, "firm_name": self.state.firms[firm].name,
                "role": self.state.firms[firm].role, "session_id": self.id}

    def _balanced_firm(self) -> str:
        """The firm with the fewest players; ties go to the lowest copy, then role order.
        Late joiners therefore fill empty firms (and take bot-held seats) first."""
        count = {f: 0 for f in self.state.firms}
        for p in self.players.values():
            count[p.firm] += 1
        return min(self.state.firms, key=lambda f: (count[f], self.state.firms[f].copy))

    def members(self, firm: str) -> list[Player]:
        return self.session.members(firm)

    def people_at(self, firm: str) -> list[Player]:
        return people_at(self.session, firm)

    def submitter(self, firm: str) -> str | None:
        return views.submitter(self.session, firm, self.conns.keys())

    def pair_of(self, firm: str) -> tuple[str, tuple[str, str]] | None:
        return decide.pair_of(self.session, firm)

    @property
    def selection_cfg(self):
        return self.session.selection_cfg

    @cached_property
    def selection_public_profiles(self) -> dict[str, dict]:
        """Every firm's public profile (fixed for the session: the seed and the starting
        competences; the board is open before any round is played)."""
        r, cfg, st = self.rules, self.selection_cfg, self.state
        return {f: sel.public_profile(r, cfg, st, f).to_dict() for f in st.firms}

    # online panels (server/waiting_room.py): what the hub, the study and the seats ask
    def panel_open(self) -> bool:
        return self.panel_room.is_open()

    def panel_admit(self) -> None:
        self.panel_room.admit()

    def completion_of(self, player_id: str) -> dict:
        return self.panel_room.completion_of(player_id)
