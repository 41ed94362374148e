"""Online panels inside the session actor: the waiting room, group formation, dropouts and
completion codes (docs/research.md, "A full online study"). A mixin of `SessionActor`.

A panel session (`options["panel"]`, from a study file's `[panel]`) is one group. Its
lobby is the waiting room:

- the first person seated starts the wait (`waiting_started`, with its deadline);
- once `quorum` people are seated, the group is formed and the game starts at once
  (`group_formed`, reason `quorum`);
- when the deadline passes first: with at least `min_people` and `unfilled = "bots"`, the
  empty firms get bots (`group_formed` reason `timeout`, then `bots_seated`) and the game
  starts; otherwise the group fails (`group_failed`), everyone seated gets the `no_group`
  completion code and the session ends. Nobody waits without an end.

In a running game, a participant whose last socket closed and who stays away for
`dropout_seconds` is replaced: `participant_dropped` (when they left, when they were
replaced, the round), then `bots_seated` for the firm when none of its people is left, so
the round does not wait for its clock. When they connect again, `participant_returned`
and `bot_replaced` (reason `returned`): they take their seat back, the bot stops.

When the game is over, each participant gets a completion code (`completion_given`:
`completed`, or `dropout` for someone who left and did not come back), pushed as a
`completion` message and readable at `GET /api/completion`; the session ends by itself
`debrief_seconds` later (`panel_closing`), so the questionnaire can be answered first.

Every timer is the actor's: `loop.call_later` posting an item to the actor's queue (like
the phase clock), armed from deadlines kept in the state, so a restart re-arms them.
"""
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from game_rules.study import Completion, completion_code, redirect

from game_rules.session import facts as F

from .protocol import ProtocolError, Start

if TYPE_CHECKING:
    from .session_actor import SessionActor

RUNNING = ("selection", "negotiation", "execution")
SERVER = "server"


class PanelRoom:
    """The panel part of a session actor (every method runs in the actor)."""

    def _panel_init(self: "SessionActor") -> None:
        self.panel_cfg: dict | None = self.options.get("panel")
        self._panel_timers: dict[tuple, asyncio.TimerHandle] = {}

    # ---- seats ----------------------------------------------------------------------------

    def panel_seats(self: "SessionActor") -> int:
        return len(self.state.firms) * self.panel_cfg["people_per_firm"]

    def panel_quorum(self: "SessionActor") -> int:
        return min(self.panel_cfg.get("quorum") or self.panel_seats(), self.panel_seats())

    def panel_open(self: "SessionActor") -> bool:
        """May a new person be seated in this group (its waiting room is open)?"""
        return (self.status == "live" and self.state.phase == "lobby" and self.panel["formed"] is None
                and not self.panel["failed"] and len(self.players) < self.panel_seats())

    def panel_admit(self: "SessionActor") -> None:
        """Before a new person is seated: a panel group that started, failed or is full
        takes nobody (the hub then seats them in the study's next group)."""
        if self.panel_cfg is not None and not self.panel_open():
            raise ProtocolError("group_closed", "this group has started or is full; join again with the "
                                                "study link for the next group")

    def people_at(self: "SessionActor", firm: str) -> list:
        """The firm's members who play it themselves (not replaced after a dropout)."""
        return [p for p in self.members(firm) if p.id not in self.dropped]

    # ---- the waiting room -------------------------------------------------------------------

    def _panel_seated(self: "SessionActor") -> None:
        if self.panel_cfg is None or self.state.phase != "lobby":
            return
        if self.panel["deadline"] is None:
            now = time.time()
            self._fact(F.WaitingStarted(now, now + self.panel_cfg["waiting_seconds"], self.panel_quorum(),
                                        self.panel_seats()))
            self._panel_arm_wait()
        if len(self.players) >= self.panel_quorum():
            self._panel_form("quorum")

    def _panel_form(self: "SessionActor", reason: str) -> None:
        strategy = self.panel_cfg["bot_strategy"]
        empty = {f: strategy for f in self.state.firms if not self.members(f) and f not in self.bots}
        self._fact(F.GroupFormed(reason, len(self.players), empty, time.time()))
        if empty:
            self._fact(F.BotsSeated(empty, "waiting_room"))
        self._ctl_start(Start())
        self._push_status()
        for p in self.players.values():  # someone who left while waiting is a dropout from now on
            if not self.conns.get(p.id):
                self._panel_disconnected(p.id)

    def _panel_waited(self: "SessionActor") -> None:
        """The waiting room's deadline (a timer item)."""
        if (self.status != "live" or self.state.phase != "lobby" or self.panel["formed"] is not None
                or self.panel["failed"]):
            return
        left = self.panel["deadline"] - time.time()
        if left > 0.001:
            self._panel_arm_wait()
            return
        if self.panel_cfg["unfilled"] == "bots" and len(self.players) >= self.panel_cfg["min_people"]:
            self._panel_form("timeout")
            return
        self._fact(F.GroupFailed(len(self.players), self.panel_cfg["min_people"], self.panel_cfg["unfilled"],
                                 time.time()))
        for pid in list(self.players):
            self._give_completion(pid, "no_group")
        self._end_session("no_group: the group could not be filled in time", SERVER)

    # ---- dropouts ----------------------------------------------------------------------------

    def _panel_disconnected(self: "SessionActor", player_id: str) -> None:
        """The player's last socket closed: a dropout if they stay away `dropout_seconds`."""
        if self.panel_cfg is None or self.state.phase not in RUNNING or player_id in self.dropped:
            return
        self._panel_timer(("dropout", player_id), self.panel_cfg["dropout_seconds"],
                          self._panel_dropout, player_id, time.time())

    def _panel_dropout(self: "SessionActor", player_id: str, since: float) -> None:
        if (self.status != "live" or self.state.phase not in RUNNING or self.conns.get(player_id)
                or player_id not in self.players or player_id in self.dropped):
            return
        firm = self.players[player_id].firm
        alone = not [p for p in self.people_at(firm) if p.id != player_id]
        strategy = self.panel_cfg["bot_strategy"] if alone and firm not in self.bots else None
        self._fact(F.ParticipantDropped(player_id, firm, since, time.time(), self.state.round + 1,
                                        self.state.phase, strategy), firm=firm)
        if strategy is None:
            return
        self._fact(F.BotsSeated({firm: strategy}, "dropout", player_id), firm=firm)
        self._bots_seated({firm})

    def _panel_connected(self: "SessionActor", player_id: str) -> None:
        t = self._panel_timers.pop(("dropout", player_id), None)
        if t is not None:
            t.cancel()
        if player_id not in self.dropped or self.status != "live":
            return
        firm = self.players[player_id].firm
        now = time.time()
        self._fact(F.ParticipantReturned(player_id, firm, now, now - self.dropped[player_id]["disconnected_at"]),
                   actor=player_id, firm=firm)
        self._bot_replaced(firm, self.bots.get(firm), player_id, "returned", player_id)

    # ---- the end -----------------------------------------------------------------------------

    def _panel_game_over(self: "SessionActor") -> None:
        """The last round is resolved: completion codes; a panel session ends by itself later."""
        if self.options.get("completion") is None or self.completions:
            return
        for pid in list(self.players):
            self._give_completion(pid, "dropout" if pid in self.dropped else "completed")
        if self.panel_cfg is not None:
            self._fact(F.PanelClosing(time.time() + self.panel_cfg["debrief_seconds"]))
            self._panel_arm_end()

    def _panel_closed(self: "SessionActor") -> None:
        if self.status == "live" and self.panel["end_at"] is not None:
            if self.panel["end_at"] - time.time() > 0.001:
                self._panel_arm_end()
            else:
                self._end_session("the study's game is over", SERVER)

    def _give_completion(self: "SessionActor", player_id: str, status: str) -> None:
        c = Completion.model_validate(self.options["completion"])
        code = completion_code(c, status)
        fact = F.CompletionGiven(player_id, status, code, redirect(c, code))
        firm = self.players[player_id].firm if player_id in self.players else None
        self._fact(fact, firm=firm)
        for conn in self.conns.get(player_id, ()):
            self._out.append((conn, {"type": "completion", **fact.to_data()}))

    def completion_of(self: "SessionActor", player_id: str) -> dict:
        """`GET /api/completion` for a live session."""
        if player_id in self.completions:
            return self.completions[player_id]
        waiting = self.panel_cfg is not None and self.state.phase == "lobby"
        return {"player_id": player_id, "status": "waiting" if waiting else "playing", "code": None,
                "redirect_url": None}

    # ---- timers ------------------------------------------------------------------------------

    def _panel_timer(self: "SessionActor", key: tuple, delay: float, fn, *args) -> None:
        old = self._panel_timers.pop(key, None)
        if old is not None:
            old.cancel()
        self._panel_timers[key] = asyncio.get_running_loop().call_later(
            max(0.0, delay), self._panel_fire, key, fn, args)

    def _panel_fire(self: "SessionActor", key: tuple, fn, args) -> None:
        self._panel_timers.pop(key, None)
        if not self._stopping:
            self.post(fn, *args)

    def _panel_arm_wait(self: "SessionActor") -> None:
        self._panel_timer(("wait",), self.panel["deadline"] - time.time(), self._panel_waited)

    def _panel_arm_end(self: "SessionActor") -> None:
        self._panel_timer(("end",), self.panel["end_at"] - time.time(), self._panel_closed)

    def _panel_arm_all(self: "SessionActor") -> None:
        """When the actor starts (also after a restart): every deadline in the state gets its timer."""
        if self.panel_cfg is None or self.status != "live":
            return
        if self.state.phase == "lobby" and self.panel["deadline"] is not None and self.panel["formed"] is None:
            self._panel_arm_wait()
        if self.panel["end_at"] is not None:
            self._panel_arm_end()
        for pid in self.players:
            if not self.conns.get(pid):
                self._panel_disconnected(pid)

    def _panel_stop(self: "SessionActor") -> None:
        for t in self._panel_timers.values():
            t.cancel()
        self._panel_timers.clear()
