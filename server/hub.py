"""The process-wide registry: live sessions by id and join code, tokens, the store,
metrics; creating, restoring, archiving (server/archive.py) and shutting down sessions."""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from game_rules.scenario import ScenarioError, load_scenario, session_overrides

from game_rules.rules import firm_id
from game_rules.session import renegotiating

from . import auth, participants, study, treatments
from .admin_key import AdminKey, load_admin_key
from .archive import Archive
from .auth import Principal, TokenRegistry
from .config import ServerConfig
from .heartbeat import Heartbeat
from .protocol import CreateSession, ProtocolError
from .session_actor import SessionActor
from .store import make_store

log = logging.getLogger("server.hub")


@dataclass
class Metrics:
    commands: int = 0
    connections: int = 0
    connections_total: int = 0
    sockets_closed: int = 0  # sockets whose handler ended (their garbage cycles: server/gctune.py)
    errors: Counter = field(default_factory=Counter)

    def error(self, code: str) -> None:
        self.errors[code] += 1


class Hub:
    def __init__(self, config: ServerConfig):
        self.config = config
        self.store = make_store(config.db_path, config.synchronous, check=config.check_db_at_start,
                                lease_seconds=config.lease_seconds)
        self.tokens = TokenRegistry()
        self.sessions: dict[str, SessionActor] = {}
        self.codes: dict[str, str] = {}          # join code -> session id (live sessions)
        self.links: dict[str, SessionActor] = {}  # study link code -> its latest group (server/study.py)
        self.link_locks: dict[str, asyncio.Lock] = {}
        self.ended: set[str] = set()             # sessions whose tokens have expired
        self.pending = participants.PendingConsents(config.pending_per_session, ttl=config.pending_seconds)
        self.revoked: OrderedDict[str, str] = OrderedDict()  # token hash -> why (recent revocations)
        self.sockets: Counter[str] = Counter()    # token hash -> open authenticated sockets
        self.metrics = Metrics()
        self.heartbeat = Heartbeat(config.heartbeat)  # pings silent sockets, drops dead ones (one timer)
        self.gc_pauses = None                    # the collector's pauses (server/gctune.py), once tuned
        self.shutting_down = False
        self.started_at = time.time()
        self.admin_key: AdminKey | None = None   # creates sessions (server/admin_key.py); read at start
        self.archive = Archive(self)             # sessions archived after a long idle time
        self._archiver: asyncio.Task | None = None
        # several processes on one PostgreSQL database (server/forwarding.py): the sessions
        # another process owns that this one serves sockets of
        self.followers: dict = {}
        self.forwarding = None

    # ---- start / stop ------------------------------------------------------------------

    async def start(self) -> None:
        self.admin_key = load_admin_key(self.config)  # before the store: a bad key file changes nothing
        self.store.open()
        t0 = time.monotonic()
        live, idle = self.archive.split_idle(self.store.load_live_sessions(self.config.chat_keep), time.time())
        self._restore(live)
        for hashed, sid, pid in self.store.load_ended_tokens():
            self.tokens.add(hashed, Principal(sid, pid))
            self.ended.add(sid)
        await self.archive.mark(idle, time.time())
        self.archive.load()
        if live:
            log.info("restored %d live session(s) in %.0f ms", len(self.sessions), (time.monotonic() - t0) * 1000)
        if self.config.archive_idle_seconds > 0:
            self._archiver = asyncio.create_task(self.archive.run(), name="archive idle sessions")
        if hasattr(self.store, "watch"):  # PostgreSQL: several processes may share the database
            from .forwarding import Forwarding  # (asyncpg: only when the store is PostgreSQL's)
            self.forwarding = Forwarding(self)
            self.forwarding.start()
            self.store.watch(self.leases_lost, self.taken_over, self.config.chat_keep)

    def taken_over(self, live: list) -> None:
        """This process claimed sessions whose owner stopped (PostgreSQL): a follower of one
        closes its sockets (the clients reconnect to the new owner), then the session is
        restored here and what other processes forwarded to it meanwhile is run."""
        for ls in live:
            self.unfollow(ls.session["session_id"], "this session moved to this server process: reconnecting")
        self._restore(live)
        self.forwarding.inbox_waiting(*(ls.session["session_id"] for ls in live))

    def unfollow(self, session_id: str, reason: str) -> None:
        f = self.followers.pop(session_id, None)
        if f is not None:
            f.close(reason)
            if reason == "session ended":
                self.ended.add(session_id)

    def _restore(self, live: list) -> None:
        """Restore (from snapshot and facts), register and start `live` sessions: at start,
        and when this process takes over sessions whose owner stopped (PostgreSQL)."""
        scenarios: dict[tuple[str, str], object] = {}  # parse each (scenario, overrides) once
        for ls in live:
            if ls.session["session_id"] in self.sessions or self.shutting_down:
                continue
            try:
                actor = self._actor(ls.session, scenarios)
                actor.restore(ls.snapshot, ls.records, ls.chat, ls.replies, ls.last_seq)
            except Exception:
                log.exception("could not restore session %s; it stays in the database", ls.session["session_id"])
                continue
            self._register(actor)
            for p in actor.players.values():
                self.tokens.add(p.token_hash, Principal(actor.id, p.id))
            actor.start()

    def leases_lost(self, session_ids: set[str]) -> None:
        """Another process owns these sessions now (PostgreSQL leases): this one stops
        serving them at once, writes nothing more for them, and closes their sockets (the
        clients reconnect, to the owner behind a proxy that routes there)."""
        for sid in session_ids:
            actor = self.sessions.get(sid)
            if actor is None:
                continue
            log.warning("session %s: another server process took it over; this one stops serving it", sid)
            # no snapshot, no last flush: its writes would be refused (fenced) anyway
            actor._stopping = True
            if actor.task is not None:
                actor.task.cancel()
            if actor._timer is not None:
                actor._timer.cancel()
            actor.fanout.stop()
            actor.panel_room.stop()
            # 1012, not 1000: the clients come back, and this process serves them as a follower
            self.retire(actor, "this session moved to another server process: reconnecting", code=1012)

    async def shutdown(self) -> None:
        """In-flight commands finish, every session writes a snapshot, sockets are told why
        they close, and the log is flushed."""
        self.shutting_down = True
        self.heartbeat.stop()
        if self._archiver is not None:
            self._archiver.cancel()
            await asyncio.gather(self._archiver, return_exceptions=True)
        if self.forwarding is not None:
            await self.forwarding.stop()
        await asyncio.gather(*(a.stop() for a in list(self.sessions.values())), return_exceptions=True)
        conns = [c for a in self.sessions.values() for c in a.all_connections()]
        await asyncio.gather(*(c.close(1001, "server shutting down") for c in conns), return_exceptions=True)
        await self.store.aclose()

    # ---- sessions ------------------------------------------------------------------------

    def _actor(self, session: dict, cache: dict | None = None) -> SessionActor:
        opts = json.loads(session["options"])
        overrides = session_overrides(opts.get("overrides"))  # an old log keeps its model
        key = (session["scenario"], json.dumps(overrides, sort_keys=True))
        scenario = cache.get(key) if cache is not None else None
        if scenario is None:  # (a restart of 100 sessions parsed the same TOML 100 times)
            scenario = load_scenario(session["scenario"], overrides)
            if cache is not None:
                cache[key] = scenario
        actor = SessionActor(self, session, scenario)
        actor.researcher_hash = session.get("researcher_token_hash")  # a study's next group shares it
        return actor

    def _register(self, actor: SessionActor) -> None:
        self.sessions[actor.id] = actor
        self.codes[actor.code] = actor.id
        if actor.panel_cfg is not None:
            self.links[actor.panel_cfg["link"]] = actor
        self.tokens.add(actor.facilitator_hash, Principal(actor.id, None))

    async def create_session(self, req: CreateSession, link: str | None = None,
                             researcher_hash: str | None = None) -> dict:
        """A new session; from a study file (`study_file`) its options come from the file.
        `link` and `researcher_hash`: a panel study's next group (server/study.py)."""
        self.check_writable()
        study_text, st = req.study_file, None
        if study_text is not None:
            req, st = study.from_file(req)
        if req.copies > self.config.max_copies:
            raise ProtocolError("out_of_range", f"copies: at most {self.config.max_copies} on this server "
                                                f"(its --max-copies)")
        overrides = {}
        if req.scoring is not None:
            overrides.update({f"scoring.{k}": v for k, v in req.scoring.model_dump(exclude_none=True).items()})
        # logged, so a later model leaves this session's alone (the newest unless --model-version)
        overrides["model_version"] = self.config.model_version
        assignment = treatments.assign(self, req)  # research: the session's treatment (or None)
        if assignment is not None:
            overrides.update(assignment.overrides)
        try:
            scenario = load_scenario(req.scenario, overrides or None)
        except ScenarioError as e:
            code = "unknown_scenario" if "unknown scenario" in str(e) else "invalid_options"
            raise ProtocolError(code, "; ".join(e.problems)) from None
        if (req.rounds or scenario.rounds) > self.config.max_rounds:
            raise ProtocolError("out_of_range", f"rounds: at most {self.config.max_rounds} on this server "
                                                f"(its --max-rounds)")
        options = {
            "copies": req.copies, "rounds": req.rounds or scenario.rounds,
            "round_seconds": req.round_seconds or self.config.round_seconds,
            "negotiation_seconds": req.negotiation_seconds or self.config.negotiation_seconds,
            "negotiation": scenario.phases.negotiation if req.negotiation is None else req.negotiation,
            "selection": scenario.phases.selection if req.selection is None else req.selection,
            "selection_seconds": req.selection_seconds or req.negotiation_seconds or self.config.negotiation_seconds,
            "members_submit": req.members_submit or scenario.phases.members_submit,
            "max_per_firm": req.max_per_firm or self.config.max_per_firm,
            "seed": req.seed if req.seed is not None else secrets.randbelow(2**31),
            "overrides": overrides,
            # only when on: the options of a session without a break stay as they were
            **({"results_break": req.results_break} if req.results_break not in (None, "off") else {}),
            **({"practice_round": True} if req.practice_round else {}),  # absent: no practice (older sessions too)
            # absent: no windows (older sessions too)
            **renegotiating.session_options(req.renegotiation_every, req.renegotiation_seconds,
                                            scenario.phases.renegotiation_every),
        }
        if req.firm_roles or (req.firm_roles is None and scenario.phases.firm_roles):
            options["firm_roles"] = True  # only when on, like the language below
        if req.language:  # only when set: older sessions' options stay as they were
            options["language"] = req.language
        options.update(treatments.session_options(
            req, assignment, [firm_id(r.id, c) for c in range(1, req.copies + 1) for r in scenario.roles]))
        token = auth.new_token()
        researcher_token = auth.new_token()
        code = auth.new_code()
        while code in self.codes or code in self.archive.codes or code in self.links:
            code = auth.new_code()
        if st is not None:
            options.update(study.session_options(st, study_text, len(scenario.roles) * req.copies, link or code))
        row = {"session_id": auth.new_session_id(), "code": code, "scenario": scenario.id,
               "title": req.title or scenario.title, "options": json.dumps(options),
               "facilitator_token_hash": auth.token_hash(token), "created_at": time.time(),
               "status": "live", "ended_at": None,
               "researcher_token_hash": researcher_hash or auth.token_hash(researcher_token)}
        actor = SessionActor(self, row, scenario)
        actor.researcher_hash = row["researcher_token_hash"]
        self._register(actor)
        actor.start()
        await actor.call(actor.created, row, (("treatment_assigned", assignment.fact()),) if assignment else ())
        return {"session_id": actor.id, "code": auth.format_code(code), "facilitator_token": token,
                "researcher_token": researcher_token,
                "join_url": self.join_url(code, options.get("language")), "ws_url": self.ws_url(), "scenario": scenario.id,
                "options": {k: v for k, v in options.items() if k not in ("overrides", "study_file")},
                "firms": sorted(actor.state.firms),
                **({"study_sha256": st.sha256} if st is not None else {}),
                **({"study_link": self.study_link(code, st.panel.id_parameter)} if st and st.panel else {})}

    async def join(self, code: str, name: str | None, label: str | None, rejoin_code: str | None = None, *,
                   is_bot: bool = False, language: str | None = None, takeover: bool = False) -> dict:
        norm = auth.normalize_code(code)
        sid = self.codes.get(norm)
        actor = self.sessions.get(sid) if sid else None
        if actor is None and norm in self.links and not self.shutting_down:
            actor = self.links[norm]  # a panel study's link outlives its first group
        if actor is None and sid is None and self.forwarding is not None and not self.shutting_down:
            joined = await self.forwarding.join(norm, name=name, label=label, rejoin_code=rejoin_code,
                                                is_bot=is_bot, language=language, takeover=takeover)
            if joined is not None:  # another process owns the session: it seated the player
                return joined
        if actor is None:
            if sid is None and norm in self.archive.codes:
                raise self.archive.refused("it no longer takes players")
            raise ProtocolError("unknown_code", "no live session has this code")
        if self.shutting_down:
            raise ProtocolError("shutting_down", "the server is shutting down")
        self.check_writable()
        if actor.panel_cfg is not None:  # a study link: the study's open group (its waiting room)
            return await study.panel_join(self, actor.panel_cfg["link"], name, label, rejoin_code,
                                          is_bot=is_bot, language=language)
        # label lists, same-label rejoin and consent: server/participants.py
        return await participants.join(self, actor, name, label, rejoin_code, is_bot=is_bot, language=language,
                                       takeover=takeover)

    async def consent_elsewhere(self, link: str, pend: dict, hashed: str):
        """Consent given after the participant's panel group closed: the study's next group
        (server/study.py; participants.py asks through the hub, which imports both)."""
        return await study.consent_elsewhere(self, link, pend, hashed)

    def check_log_written(self) -> None:
        """Refuse everything after a failed write of the event log (`storage_failed`): the
        server accepts nothing more until it is restarted and restores what was committed."""
        if self.store.failed is not None:
            raise ProtocolError("storage_failed", "the event log could not be written; the server accepts nothing "
                                                  "until it is restarted")

    def check_writable(self) -> None:
        """Refuse what would change a session when its change cannot be logged: for good
        after a failed write (`storage_failed`), or while the database cannot be reached
        (PostgreSQL restarting: `database_unavailable`, retryable, the store reconnects)."""
        self.check_log_written()
        if self.store.unavailable is not None:
            raise ProtocolError("database_unavailable", "the database cannot be reached now (it may be restarting); "
                                                        "nothing was applied: try again shortly with the same id")

    def session_closed(self, actor: SessionActor) -> None:
        """After `end_session` is durable: tokens expire, sockets close."""
        self.ended.add(actor.id)
        self.retire(actor, "session ended")

    def retire(self, actor: SessionActor, reason: str, code: int = 1000) -> None:
        """The session stops being live here (ended, archived, or owned by another process):
        its code and tokens no longer reach it, its sockets close with `code` and `reason`."""
        self.codes.pop(actor.code, None)
        self.sessions.pop(actor.id, None)
        conns = actor.all_connections()
        # the actor has stopped: its `disconnect` will not run for these, so the gauge and
        # the actor's socket table are settled here (nothing keeps the closed sockets alive)
        self.metrics.connections -= len(conns)
        actor.conns.clear()
        for conn in conns:
            asyncio.ensure_future(conn.close(code, reason))

    def revoke(self, hashed: str, why: str) -> None:
        """A token stops working now: every later use is refused with `token_revoked` (and
        `why`), and the sockets it opened close at once (4403, `why`)."""
        p = self.tokens.by_hash(hashed)
        self.tokens.discard(hashed)
        self.revoked[hashed] = why
        while len(self.revoked) > 100_000:  # bounded; an older revoked token is just `bad_token`
            self.revoked.popitem(last=False)
        # the owner's sockets, or a follower's (server/follower.py: it revokes what the owner did)
        holder = (self.sessions.get(p.session_id) or self.followers.get(p.session_id)) if p else None
        if holder is None:
            return
        for conn in [c for c in holder.conns.get(p.name, ()) if c.token_hash == hashed]:
            asyncio.ensure_future(conn.close(4403, why))

    def socket_closed(self, hashed: str) -> None:
        self.sockets[hashed] -= 1
        if self.sockets[hashed] <= 0:
            del self.sockets[hashed]

    def principal(self, token: str, archived_ok: bool = False) -> Principal:
        """The principal of a live session's token (or, with `archived_ok`, of an archived
        one: read-only routes), or the stable error."""
        p = self.tokens.lookup(token)
        if p is None and self.revoked:
            why = self.revoked.get(auth.token_hash(token))
            if why is not None:
                raise ProtocolError("token_revoked", why)
        if p is None and self.pending and auth.token_hash(token) in self.pending:
            raise ProtocolError("consent_required", "give (or decline) consent first: POST /api/consent")
        if p is None:
            raise ProtocolError("bad_token", "this token is not valid")
        if p.session_id in self.archive.sessions:
            if archived_ok:
                return p
            raise self.archive.refused("it is read-only (its facilitator can still read the summary and "
                                       "the debrief, and export its data)")
        if p.session_id in self.ended and archived_ok and p.is_facilitator:
            return p  # an ended session stays readable by its facilitator: summary, debrief, export
        if p.session_id in self.ended or (p.session_id not in self.sessions and p.session_id not in self.followers):
            raise ProtocolError("token_expired", "this token's session has ended")
        return p

    async def readable_session(self, session_id: str) -> SessionActor:
        """The live session, or a read-only copy of an ended or archived one (never run: read it only)."""
        if session_id in self.followers and session_id not in self.archive.sessions:
            return await self.live_session(session_id)
        if session_id in self.archive.sessions or session_id not in self.sessions:
            return await self.archive.reader(session_id)
        return self.sessions[session_id]

    async def live_session(self, session_id: str) -> SessionActor:
        """A live session to read: the owner's, or (another process owns it) this process's
        replica of it, caught up with what the owner had committed (server/follower.py)."""
        follower = self.followers.get(session_id)
        if follower is None or session_id in self.sessions:
            return self.sessions[session_id]
        await follower.catch_up()
        return follower.replica

    # ---- URLs ------------------------------------------------------------------------------

    def join_url(self, code: str, language: str | None = None) -> str:
        """The join link; `language`: the session's default language (`&lang=`), so that the
        join page is already in it before the join answers (docs/languages.md)."""
        lang = f"&lang={language}" if language else ""
        return f"{self.config.base_url()}/join?code={auth.format_code(code)}{lang}"

    def session_language(self, code: str) -> str | None:
        """The default language of the live session with this join code, if it set one."""
        actor = self.sessions.get(self.codes.get(auth.normalize_code(code), ""))
        return actor.options.get("language") if actor is not None else None

    def study_link(self, code: str, id_parameter: str) -> str:
        """The link to give the panel (Prolific fills in its `{{%...%}}` placeholders)."""
        return (f"{self.join_url(code)}&{id_parameter}={{{{%{id_parameter}%}}}}"
                f"&STUDY_ID={{{{%STUDY_ID%}}}}&SESSION_ID={{{{%SESSION_ID%}}}}")

    def ws_url(self) -> str:
        return self.config.base_url().replace("http", "ws", 1) + "/ws"
