"""Server settings in one dataclass: limits, clocks and storage knobs (CLI flags set them)."""
from __future__ import annotations

from dataclasses import dataclass

from game_rules.scenario import MODEL_VERSION
from game_rules.session.state import CHAT_KEEP


@dataclass(slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    db_path: str = "./data/alliance.db"
    public_url: str | None = None       # base of join links; defaults to http://<advertised host>:port
    # the host the links name when public_url is not set: the LAN address phones reach
    # (server/lan.py picks it when host is 0.0.0.0; --advertise chooses another)
    advertise_host: str | None = None
    # durability: "full" fsyncs the WAL at every commit (survives power loss); "normal"
    # survives a process crash (kill -9) but not an OS crash. See docs/data.md.
    synchronous: str = "full"
    # live protocol limits
    max_frame_bytes: int = 64 * 1024    # larger frames get `frame_too_large`
    rate_per_second: float = 20.0       # commands per second per player, all its sockets together (token bucket)
    rate_burst: int = 40
    max_sockets_per_token: int = 8      # open sockets one token (a player, the facilitator) may hold
    flood_strikes: int = 50             # rate-limited commands in a row before we close
    garbage_strikes: int = 10           # undecodable/invalid frames in a row before we close
    auth_timeout: float = 10.0          # seconds from the socket's opening to its (accepted) auth frame, whatever else it sends
    unauthenticated_per_address: int = 1000  # sockets one client address may hold open before their auth (then 429)
    ping_allowance: int = 20            # WebSocket pings and pongs a socket may send per 10 s (server/http/ws.py); beyond, closed (1008)
    heartbeat: float = 20.0             # a silent socket is pinged after about this long, dropped without a pong (server/heartbeat.py)
    # permessage-deflate: off by default. Its zlib contexts cost ~170 kB per socket (469 MB
    # of server RSS at 2,000 sockets instead of 133 MB, docs/benchmarks.md), and frames are
    # small (acks, chat; a full view is 3.7 kB); turn on for very slow links
    ws_compress: bool = False
    outbox_limit: int = 2000            # queued messages per socket; beyond, the socket is closed (1013)
    outbox_bytes: int = 16 * 2**20      # queued bytes per socket; beyond, the socket is closed (1013)
    # HTTP: failed POST /api/join per client address (token bucket); when empty, every join
    # from that address gets 429 until it refills (join codes cannot be brute-forced)
    status_every: float = 0.25          # s between two status pushes to the facilitator (coalesced)
    max_per_firm: int = 12              # players a firm seats through the join code (session option max_per_firm)
    join_fail_burst: int = 30
    join_fail_per_minute: float = 30.0
    # successful joins: per client address (a class behind one NAT joins from one address)
    # and per session (a leaked code cannot fill every seat at machine speed)
    join_burst_per_address: int = 120
    join_per_minute_per_address: float = 120.0
    join_burst_per_session: int = 200
    join_per_minute_per_session: float = 300.0
    pending_per_session: int = 500      # joined, still reading the consent form (then 429, nobody evicted)
    pending_seconds: float = 3600.0     # an unanswered consent lapses after this
    trust_proxy: bool = False           # take the client address from X-Forwarded-For (local proxy)
    # creating sessions (docs/operations.md, "The admin key"): the key itself comes from
    # here, else ALLIANCE_ADMIN_KEY, else the file admin.key next to the database
    admin_key: str | None = None
    create_per_minute: float = 30.0     # sessions created per client address (token bucket) ...
    create_burst: int = 30              # ... after a burst of this many; beyond, 429
    create_total_per_minute: float = 120.0  # sessions created by everyone together ...
    create_total_burst: int = 120
    max_copies: int = 200               # copies of the case in one session (the protocol allows 500)
    max_rounds: int = 50                # rounds of one session (the protocol allows 50)
    # the model a new session plays (docs/model.md section 11): the newest by default; an
    # older one keeps a course (or the goldens, tests/goldens/live.py) on the model it started with
    model_version: int = MODEL_VERSION
    # a live session with nothing logged for this long is archived (read-only: summary,
    # debrief, exports) at the next check or start; 0 never archives
    archive_idle_seconds: float = 7 * 86400.0
    archive_check_every: float = 3600.0  # seconds between two checks while the server runs
    # PostgreSQL only: how long a process's hold on a live session lasts without renewal;
    # another process takes over a session whose owner stopped after at most this long
    lease_seconds: float = 15.0
    check_db_at_start: bool = True      # PRAGMA quick_check before serving (refuse a damaged file)
    # game defaults (a session's options override them)
    round_seconds: float = 300.0
    negotiation_seconds: float = 600.0
    restore_grace_seconds: float = 30.0  # a clock that ran out while we were down gets this much
    snapshot_every: int = 5000          # log records between snapshots (also at every round)
    # a due snapshot waits this long (server/snapshot_timer.py): not behind a round's pushes
    snapshot_quiet_seconds: float = 2.0
    chat_keep: int = CHAT_KEEP          # chat lines per channel kept for a full view
    replies_keep: int = 64              # acks per player kept in memory for re-sent ids (older: from the log)

    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = self.advertise_host or self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 literal in a URL
        return f"http://{host}:{self.port}"
