"""A terminal for facilitators: run a session over the HTTP API.

    python -m clients.python.facilitator create --scenario classic --copies 6
    python -m clients.python.facilitator create --study docs/studies/online_panel.toml
    python -m clients.python.facilitator players
    python -m clients.python.facilitator fill-bots --strategy balanced
    python -m clients.python.facilitator start | pause | resume | advance | end-round
    python -m clients.python.facilitator extend 120
    python -m clients.python.facilitator move "Ada" east2
    python -m clients.python.facilitator announce "The rival cuts its prices"
    python -m clients.python.facilitator export --out class.zip
    python -m clients.python.facilitator end-session

The facilitator token never goes on the command line (where the shell history and `ps`
would keep it): it is read from the `ALLIANCE_TOKEN` environment variable, else from a
token file (`--token-file`, or `ALLIANCE_TOKEN_FILE`, default `.alliance/facilitator.json`).
`create` writes that file (readable by you only) with the server URL, session id and
join code, so the commands after it need no options. A token file may also hold just the
token on one line. The server URL comes from `--url`, `ALLIANCE_URL`, the token file, or
`http://127.0.0.1:8080`; the session from the token file or, with only a token, from the
server itself (the live socket's `welcome`).

`create` needs the server's admin key, which is never taken on the command line either:
`--admin-key-file`, else `ALLIANCE_ADMIN_KEY`, else `ALLIANCE_ADMIN_KEY_FILE`, else
`data/admin.key` (the file the server makes next to its default database; the server
prints where its key is when it starts). See clients/python/admin_key.py.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from .admin_key import AdminKeyMissing, find_admin_key
from .client import CommandError, ConnectionLost, GameClient, control, create_session, http_request, summary

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_TOKEN_FILE = ".alliance/facilitator.json"


class UsageError(Exception):
    pass


# ---- credentials ---------------------------------------------------------------------------

def token_file_path(args: argparse.Namespace) -> Path:
    return Path(args.token_file or os.environ.get("ALLIANCE_TOKEN_FILE") or DEFAULT_TOKEN_FILE).expanduser()


def read_token_file(path: Path) -> dict:
    """{"facilitator_token", "url"?, "session_id"?, "code"?} from a JSON file or a bare token."""
    text = path.read_text(encoding="utf-8").strip()
    if text.startswith("{"):
        data = json.loads(text)
        if not isinstance(data, dict) or not data.get("facilitator_token"):
            raise UsageError(f"{path}: no facilitator_token in it")
        return data
    if not text or len(text.split()) != 1:
        raise UsageError(f"{path}: expected the token on one line (or the JSON `create` writes)")
    return {"facilitator_token": text}


def write_token_file(path: Path, data: dict) -> None:
    """Write the credentials readable by the owner only (0600), never world-readable even
    for an instant."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    os.chmod(path, 0o600)


class Credentials:
    def __init__(self, url: str, token: str, session_id: str | None, code: str | None):
        self.url, self.token, self.session_id, self.code = url.rstrip("/"), token, session_id, code


async def credentials(args: argparse.Namespace) -> Credentials:
    """The token: `--token-file` if given, else ALLIANCE_TOKEN, else the default token file.
    URL, session and code come from the token file when it holds that same token."""
    path = token_file_path(args)
    stored: dict = {}
    if path.exists():
        try:
            stored = read_token_file(path)
        except (UsageError, ValueError, OSError):
            if args.token_file or not os.environ.get("ALLIANCE_TOKEN"):
                raise
    if args.token_file:
        if not stored:
            raise UsageError(f"{path}: no such token file")
        token = stored["facilitator_token"]
    else:
        token = os.environ.get("ALLIANCE_TOKEN") or stored.get("facilitator_token")
    if not token:
        raise UsageError(f"no facilitator token: set ALLIANCE_TOKEN or give --token-file "
                         f"(`create` writes {path})")
    same = stored.get("facilitator_token") == token
    url = args.url or os.environ.get("ALLIANCE_URL") or (stored.get("url") if same else None) or DEFAULT_URL
    session_id = stored.get("session_id") if same else None
    code = stored.get("code") if same else None
    if session_id is None:  # only a token: the server says whose it is
        c = GameClient(url, token, reconnect=False, name="facilitator-cli")
        try:
            await c.connect()
        finally:
            await c.close()
        if c.welcome.get("role") != "facilitator":
            raise UsageError("this is a player's token, not the facilitator's")
        session_id = c.welcome["session_id"]
    return Credentials(url, token, session_id, code)


# ---- commands ----------------------------------------------------------------------------

async def cmd_create(args) -> dict:
    path = token_file_path(args)
    if path.exists() and not args.force:
        raise UsageError(f"{path} exists (a session's token): use --force to replace it, "
                         f"or --token-file for another file")
    url = (args.url or os.environ.get("ALLIANCE_URL") or DEFAULT_URL).rstrip("/")
    if args.study:
        return await _create_from_study(args, path, url)
    try:
        admin_key = find_admin_key(args.admin_key_file)
    except AdminKeyMissing as e:
        raise UsageError(str(e)) from None
    if admin_key is None:
        raise UsageError("creating a session needs the server's admin key: set ALLIANCE_ADMIN_KEY or give "
                         "--admin-key-file (the server prints where its key file is when it starts)")
    options = {"scenario": args.scenario, "copies": args.copies, "rounds": args.rounds,
               "round_seconds": args.round_seconds, "negotiation_seconds": args.negotiation_seconds,
               "negotiation": args.negotiation, "members_submit": args.members_submit,
               "seed": args.seed, "title": args.title, "results_break": args.results_break,
               "firm_roles": args.firm_roles,
               "renegotiation_every": args.renegotiation_every,
               "renegotiation_seconds": args.renegotiation_seconds}
    s = await create_session(url, admin_key=admin_key, **options)
    write_token_file(path, {"url": url, "session_id": s["session_id"], "code": s["code"],
                            "join_url": s["join_url"], "facilitator_token": s["facilitator_token"]})
    return {"session_id": s["session_id"], "code": s["code"], "join_url": s["join_url"],
            "firms": s["firms"], "options": s["options"], "token_file": str(path)}


def _results_break(text: str) -> str | int:
    """`--results-break`: off, manual or whole seconds (the server checks the range)."""
    if text in ("off", "manual"):
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("off, manual or whole seconds") from None


async def _create_from_study(args, path: Path, url: str) -> dict:
    """`create --study FILE`: the study file holds every option (the server validates it)."""
    given = [f"--{k.replace('_', '-')}" for k in ("copies", "rounds", "round_seconds", "negotiation_seconds",
                                                    "negotiation", "members_submit", "firm_roles", "seed")
             if getattr(args, k) not in (None, 1 if k == "copies" else None)]
    if given or args.scenario != "classic":
        raise UsageError(f"--study: the study file holds the options; drop {', '.join(given) or '--scenario'}")
    try:
        text = Path(args.study).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"--study: cannot read {args.study}: {e}") from None
    s = await create_session(url, study_file=text, title=args.title)
    write_token_file(path, {"url": url, "session_id": s["session_id"], "code": s["code"],
                            "join_url": s["join_url"], "facilitator_token": s["facilitator_token"],
                            "researcher_token": s["researcher_token"]})
    return {"session_id": s["session_id"], "code": s["code"], "join_url": s["join_url"],
            "firms": s["firms"], "options": s["options"], "token_file": str(path),
            "study_sha256": s.get("study_sha256"), "study_link": s.get("study_link")}


def print_create(r: dict) -> None:
    print(f"Session {r['session_id']} created: {len(r['firms'])} firms, "
          f"{r['options']['rounds']} rounds.")
    print(f"  join code: {r['code']}")
    print(f"  join link: {r['join_url']}")
    if r.get("study_sha256"):
        print(f"  study file SHA-256: {r['study_sha256']}")
    if r.get("study_link"):
        print(f"  study link (give it to the panel): {r['study_link']}")
    print(f"The facilitator token is in {r['token_file']} (readable by you only); "
          f"the other commands read it from there.")


async def cmd_status(args) -> dict:
    c = await credentials(args)
    v = await summary(c.url, c.session_id, c.token)
    code = v["session"]["code"]
    return {"session_id": c.session_id, "code": f"{code[:4]}-{code[4:]}" if len(code) == 8 else code, "title": v["session"]["title"],
            "phase": v["phase"], "round": v["round"], "rounds": v["rounds"], "status": v["status"],
            "session_status": v["session"].get("status", "live")}


def print_status(r: dict) -> None:
    st = r["status"]
    clock = st.get("clock") or {}
    left = clock.get("remaining")
    print(f"{r['title']} ({r['session_id']}, code {r['code']})")
    if r.get("session_status", "live") != "live":  # ended or archived: read-only, nobody is waited for
        print(f"  session {r['session_status']} (read-only): rounds played: {r['round']} of {r['rounds']}")
        return
    print(f"  phase: {r['phase']}, rounds played: {r['round']} of {r['rounds']}"
          + (f", playing round {st['current_round']}" if st.get("current_round") else ""))
    if left is not None:
        print(f"  clock: {'running' if clock.get('running') else 'paused'}, {left:.0f} s left")
    print(f"  players: {len(st['players'])} ({st['connected']} connected), bot seats: {len(st['bots'])}")
    if st.get("waiting_for"):
        print(f"  waiting for: {', '.join(st['waiting_for'])}")


async def cmd_players(args) -> dict:
    c = await credentials(args)
    v = await summary(c.url, c.session_id, c.token)
    return {"players": v["status"]["players"], "bots": v["status"]["bots"], "firms": list(v["firms"])}


def print_players(r: dict) -> None:
    by_firm: dict[str, list[dict]] = {f: [] for f in r["firms"]}
    for p in r["players"]:
        by_firm.setdefault(p["firm"], []).append(p)
    print(f"{'firm':<10} {'player':<24} {'label':<14} {'id':<16} connected")
    for firm, people in by_firm.items():
        if not people:
            who = f"(bot: {r['bots'][firm]})" if firm in r["bots"] else "(empty)"
            print(f"{firm:<10} {who:<24}")
        for p in people:
            print(f"{firm:<10} {p['name'][:24]:<24} {(p['label'] or '')[:14]:<14} {p['player_id']:<16} "
                  f"{'yes' if p['connected'] else 'no'}")


async def _control(args, action: str, **fields: Any) -> dict:
    c = await credentials(args)
    return await control(c.url, c.session_id, c.token, action, **fields)


async def _player_id(c: Credentials, player: str) -> str:
    """A player named by id or exact name."""
    v = await summary(c.url, c.session_id, c.token)
    players = v["status"]["players"]
    match = [p for p in players if p["player_id"] == player] or [p for p in players if p["name"] == player]
    if not match:
        raise UsageError(f"no player with the id or name {player!r} (see `players`)")
    if len(match) > 1:
        raise UsageError(f"{len(match)} players are called {player!r}: give the player id (see `players`)")
    return match[0]["player_id"]


async def cmd_move(args) -> dict:
    c = await credentials(args)
    return await control(c.url, c.session_id, c.token, "move_player", player=await _player_id(c, args.player),
                         firm=args.firm)


async def cmd_role(args) -> dict:
    """`role PLAYER ROLE`: the player takes a role inside its firm (`none`: holds none)."""
    c = await credentials(args)
    return await control(c.url, c.session_id, c.token, "assign_role", player_id=await _player_id(c, args.player),
                         role=args.role)


async def cmd_export(args) -> dict:
    """The research export (a ZIP: CSV files, the JSON Lines log, the session's SQLite rows,
    the codebook; server/export.py), or with `--format json` the facilitator's final view
    and the round-by-round history the debrief page shows."""
    c = await credentials(args)
    out = Path(args.out)
    fmt = args.format or ("json" if out.suffix.lower() == ".json" else "zip")
    if fmt == "zip":
        query = "&".join(f"{k}=1" for k in ("names", "labels", "wide", "payments") if getattr(args, k))
        data = await http_request("GET", f"{c.url}/api/sessions/{c.session_id}/export" + (f"?{query}" if query else ""),
                                  token=c.token, raw=True, timeout=300)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    else:
        view = await summary(c.url, c.session_id, c.token)
        history = await http_request("GET", f"{c.url}/api/web/history/{c.session_id}", token=c.token)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"session": view, "history": history}, indent=1), encoding="utf-8")
    return {"written": str(out), "format": fmt, "bytes": out.stat().st_size}


async def cmd_console_link(args) -> dict:
    c = await credentials(args)
    return {"console": f"{c.url}/console#token={c.token}"}


SIMPLE = {  # command -> control action
    "start": "start", "pause": "pause", "resume": "resume", "advance": "advance",
    "end-round": "end_round", "pair": "pair", "open-negotiation": "open_negotiation",
    "open-selection": "open_selection", "close-selection": "close_selection",
    "end-session": "end_session", "end-renegotiation": "end_renegotiation",
}


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m clients.python.facilitator",
                                 description="Run a live session from a terminal (HTTP API, facilitator token).",
                                 epilog="The token comes from ALLIANCE_TOKEN or the token file, never from "
                                        "the command line.")
    def common(p: argparse.ArgumentParser, default) -> None:
        p.add_argument("--url", default=default,
                       help=f"server base URL (default: ALLIANCE_URL, the token file, {DEFAULT_URL})")
        p.add_argument("--token-file", default=default, help=f"where the facilitator token is kept "
                                                              f"(default: ALLIANCE_TOKEN_FILE or {DEFAULT_TOKEN_FILE})")
        p.add_argument("--json", action="store_true", default=False if default is None else default,
                       help="print the server's answer as JSON")

    common(ap, None)
    shared = argparse.ArgumentParser(add_help=False)  # the same options after the command too
    common(shared, argparse.SUPPRESS)
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add = sub.add_parser
    sub.add_parser = lambda *a, **kw: _add(*a, parents=[shared], **kw)  # type: ignore[method-assign]
    # no abbreviated options: `--admin-key SECRET` must not pass for `--admin-key-file`
    cr = sub.add_parser("create", help="create a session; its token goes into the token file", allow_abbrev=False)
    cr.add_argument("--scenario", default="classic")
    cr.add_argument("--copies", type=int, default=1, help="copies of the case (firms = copies x roles)")
    cr.add_argument("--rounds", type=int)
    cr.add_argument("--round-seconds", type=float)
    cr.add_argument("--negotiation-seconds", type=float)
    neg = cr.add_mutually_exclusive_group()
    neg.add_argument("--negotiation", dest="negotiation", action="store_true", default=None,
                     help="with a negotiation phase")
    neg.add_argument("--no-negotiation", dest="negotiation", action="store_false",
                     help="no negotiation: the scenario's default terms are signed at the start")
    cr.add_argument("--members-submit", choices=["any", "submitter"])
    cr.add_argument("--firm-roles", action="store_true", default=None,
                    help="roles inside each firm: negotiator, gatekeeper, learner (docs/facilitator.md)")
    cr.add_argument("--results-break", type=_results_break, metavar="off|manual|SECONDS",
                    help="a results break between rounds: until Next round (manual), or SECONDS at most")
    cr.add_argument("--renegotiation-every", type=int, metavar="N",
                    help="a renegotiation window after every N rounds (default: the scenario's; 0: none)")
    cr.add_argument("--renegotiation-seconds", type=float, help="the renegotiation window's clock (default 120)")
    cr.add_argument("--seed", type=int)
    cr.add_argument("--title")
    cr.add_argument("--force", action="store_true", help="replace an existing token file")
    cr.add_argument("--admin-key-file", help="the server's admin key file (default: ALLIANCE_ADMIN_KEY, "
                                             "ALLIANCE_ADMIN_KEY_FILE or data/admin.key)")
    cr.add_argument("--study", metavar="FILE", help="create the session from a study file (study.toml: "
                    "docs/research.md); it holds every other option")
    sub.add_parser("status", help="phase, round, clock, who holds up the round")
    sub.add_parser("players", help="who is in which firm, connected or not; bot seats")
    for name, action in SIMPLE.items():
        sub.add_parser(name, help=f"the `{action}` control")
    ex = sub.add_parser("extend", help="add time to the clock")
    ex.add_argument("seconds", type=float)
    fb = sub.add_parser("fill-bots", help="seat bots in every empty firm")
    fb.add_argument("--strategy", default="balanced",
                    help="internalizer, avoider, balanced, tit_for_tat or random (default balanced)")
    mv = sub.add_parser("move", help="move a player (id or exact name) to a firm")
    mv.add_argument("player")
    mv.add_argument("firm")
    ro = sub.add_parser("role", help="give a player (id or exact name) a role inside its firm (firm_roles)")
    ro.add_argument("player")
    ro.add_argument("role", help="negotiator, gatekeeper, learner or none (the server checks it)")
    an = sub.add_parser("announce", aliases=["inject"], help="announce a text (and/or inject a scenario event) to everyone")
    an.add_argument("text", nargs="?", default=None)
    an.add_argument("--event", help="a JSON map logged and sent with the announcement")
    exp = sub.add_parser("export", help="download the session's data (the research export archive)")
    exp.add_argument("--out", required=True, help="file to write: .zip (CSV files, log, SQLite rows, codebook) "
                                                  "or .json (the final view and the round-by-round history)")
    exp.add_argument("--format", choices=["zip", "json"], help="default: from the file's extension (zip)")
    exp.add_argument("--names", action="store_true", help="include the names players typed (personal data)")
    exp.add_argument("--labels", action="store_true", help="include participant labels (personal data)")
    exp.add_argument("--wide", action="store_true", help="also events_wide.csv (every payload field as a column)")
    exp.add_argument("--payments", action="store_true", help="add payments.csv (pay per participant label, "
                     "by the study file's rule: personal data)")
    sub.add_parser("console-link", help="print the facilitator console link (it contains the token: do not project it)")
    return ap


async def run(args: argparse.Namespace) -> dict:
    cmd = args.command
    if cmd == "create":
        return await cmd_create(args)
    if cmd == "status":
        return await cmd_status(args)
    if cmd == "players":
        return await cmd_players(args)
    if cmd in SIMPLE:
        return await _control(args, SIMPLE[cmd])
    if cmd == "extend":
        return await _control(args, "extend", seconds=args.seconds)
    if cmd == "fill-bots":
        return await _control(args, "fill_bots", strategy=args.strategy.replace("-", "_"))
    if cmd == "move":
        return await cmd_move(args)
    if cmd == "role":
        return await cmd_role(args)
    if cmd in ("announce", "inject"):
        event = None
        if args.event:
            try:
                event = json.loads(args.event)
            except ValueError as e:
                raise UsageError(f"--event: not JSON ({e})") from None
            if not isinstance(event, dict):
                raise UsageError("--event: must be a JSON map")
        if not args.text and event is None:
            raise UsageError("give a text and/or --event")
        return await _control(args, "inject", text=args.text, event=event)
    if cmd == "export":
        return await cmd_export(args)
    if cmd == "console-link":
        return await cmd_console_link(args)
    raise UsageError(f"unknown command {cmd}")


def print_result(cmd: str, r: dict) -> None:
    if cmd == "create":
        print_create(r)
    elif cmd == "status":
        print_status(r)
    elif cmd == "players":
        print_players(r)
    elif cmd == "export":
        print(f"{r['format']} export written to {r['written']} ({r['bytes']} bytes)")
    elif cmd == "console-link":
        print(r["console"])
    else:
        res = r.get("result") or {}
        extra = ", ".join(f"{k}: {v}" for k, v in res.items() if not isinstance(v, dict))
        clock = res.get("clock")
        if clock and clock.get("remaining") is not None:
            extra += (", " if extra else "") + f"clock {'running' if clock['running'] else 'paused'}, " \
                                               f"{clock['remaining']:.0f} s left"
        print(f"{cmd}: done" + (f" ({extra})" if extra else ""))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        r = asyncio.run(run(args))
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except CommandError as e:
        print(f"error: {e.code}: {e.message}", file=sys.stderr)
        return 1
    except (OSError, ConnectionLost, asyncio.TimeoutError) as e:
        print(f"error: cannot reach the server: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(r, indent=1))
    else:
        print_result(args.command, r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
