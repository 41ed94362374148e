"""The codebook (`docs/codebook.md`, also inside every export archive), generated from the
schemas so it cannot drift: the database tables from `store.schema_columns`, the fact types
from the registry of typed facts (`game_rules.session.facts.FACTS`), the engine events from
`game_rules.events`, the commands from `server.protocol`, the export files from
`server.export_catalog`. A name without a meaning here makes the generator fail.

    python -m server.codebook > docs/codebook.md

`tests/test_research_codebook.py` checks that the committed file equals the generated one.
"""
from __future__ import annotations

import dataclasses

from game_rules import events as engine_events
from game_rules.session import facts as session_facts

from . import export_catalog
from .protocol import CLIENT_MESSAGES
from .store import schema_columns

EPOCH = "s since 1970-01-01 UTC"

TABLES: dict[str, dict[str, str]] = {
    "sessions": {
        "session_id": "`s_` + 16 hex characters",
        "code": "join code, 8 characters (shown as XXXX-XXXX)",
        "scenario": "scenario id",
        "title": "session title",
        "options": "JSON: copies, rounds, round_seconds, negotiation_seconds, negotiation, selection, "
                   "results_break (when on), renegotiation_every and renegotiation_seconds (when windows are on), "
                   "selection_seconds, members_submit, max_per_firm, seed, overrides; firm_roles (true only when on); practice_round (true only when the "
                   "session has a practice round); research options when set: study, treatment, assignment {method, seed, unit}, "
                   "treatments, treatment_of, treatment_of_firm, labels, consent_text, questionnaire",
        "facilitator_token_hash": "SHA-256 (hex) of the facilitator token (removed in exports)",
        "created_at": f"creation time ({EPOCH})",
        "status": "`live`, `ended`, or `archived` (no activity for `--archive-after-days`: read-only)",
        "ended_at": f"end (or archiving) time ({EPOCH}); NULL while live",
        "researcher_token_hash": "SHA-256 (hex) of the researcher token, which can only export (removed in exports)",
    },
    "players": {
        "player_id": "`p_` + 12 hex characters: the pseudonymous id used everywhere",
        "session_id": "the session",
        "token_hash": "SHA-256 (hex) of the player's current token (removed in exports)",
        "name": "the name the player typed (personal data; NULL in exports unless asked for)",
        "label": "participant label (personal data; NULL in exports unless asked for)",
        "firm": "the player's current firm",
        "joined_at": f"when the player was seated ({EPOCH})",
    },
    "log": {
        "id": "global insertion order over all sessions",
        "session_id": "the session",
        "seq": "position within the session: 1, 2, 3, ... without gaps",
        "kind": "command | control | system | event | chat | connection",
        "type": "the command, fact or event type (below)",
        "actor": "a player id, `facilitator`, `bot:<firm>` or `server`",
        "firm": "the firm concerned, when there is one",
        "round": "the round being played when the row was written (`round_closed` and engine events carry "
                 "their own `round` in `data`)",
        "command_id": "the client's command id (commands and controls)",
        "wall_time": f"server wall time ({EPOCH})",
        "mono_time": "server monotonic clock (s; comparable within one server run only)",
        "client_time": f"the client's `client_time`, as given ({EPOCH}; NULL if none): on a command's row and on "
                       "the chat line it made (logs before 2026-12: on the command's row only)",
        "data": "JSON payload (below)",
        "reply": "JSON: the `ack` sent for a command or control",
    },
    "snapshots": {
        "session_id": "the session",
        "seq": "the last log `seq` the snapshot includes",
        "round": "resolved rounds at that point",
        "phase": "the phase at that point",
        "wall_time": f"when it was written ({EPOCH})",
        "state": "JSON: the engine state (`game_rules.state.state_to_dict`)",
        "server": "JSON: the server's own state (players, bots, drafts, submissions, clock, ...)",
    },
}

# fact type -> field -> meaning (the `data` of `system` rows; `chat` rows use the `chat` entry)
FACTS: dict[str, dict[str, str]] = {
    "session_created": {
        "scenario": "scenario id", "title": "session title", "options": "the session options (table `sessions`)",
        "engine_version": "`game_rules.ENGINE_VERSION` of the server that created the session",
        "scenario_toml": "the full scenario text the session was created with",
    },
    "treatment_assigned": {
        "study": "the study", "treatment": "the session's treatment (null when treatments differ inside it)",
        "method": "random | balanced | fixed",
        "seed": "the seed of the draw (`random.Random(seed)`)",
        "overrides": "the session's treatment's scenario overrides (empty when treatments differ inside it)",
        "treatments": "every treatment of the configuration (name -> overrides, in the order given)",
        "counts_before": "balanced sessions only: sessions of the study per treatment before this one",
        "unit": "session | alliance (each copy of the case) | firm",
        "of_unit": "unit alliance or firm: copy number or firm id -> treatment (null for unit session)",
        "of_firm": "unit alliance or firm: firm id -> treatment (null for unit session)",
    },
    "consent_given": {
        "player_id": "the participant", "consent_sha256": "SHA-256 of the consent text shown",
        "time": f"when ({EPOCH})",
    },
    "consent_declined": {
        "player_id": "the participant (never seated)", "consent_sha256": "SHA-256 of the consent text shown",
        "time": f"when ({EPOCH})",
        "is_bot": "true: the client declared itself a bot at the join (absent in logs before 2026-12)",
        "language": "the language the client sent at the join (BCP-47), if any",
    },
    "player_joined": {
        "player_id": "the new player", "name": "the name typed (personal data)",
        "label": "participant label (personal data)", "firm": "the firm the player was seated in",
        "token_hash": "SHA-256 of the player's token (never exported)", "joined_at": f"when ({EPOCH})",
        "rejoin_hash": "SHA-256 of the seat's rejoin code (never exported)",
        "is_bot": "true: the client declared itself a bot at the join (`bot` in POST /api/join); false or absent "
                  "(logs before 2026-12): a person",
        "language": "the participant's language as the client sent it at the join (BCP-47, e.g. `fr-CA`; the "
                    "browser's `navigator.language`); absent or null when not sent",
    },
    "player_rejoined": {
        "player_id": "the player who came back with the same label (same seat)",
        "token_hash": "SHA-256 of the new token (the old one is revoked; never exported)",
        "rejoin_hash": "SHA-256 of the seat's new rejoin code (never exported)",
        "rejoined_at": f"when ({EPOCH})",
    },
    "player_removed": {
        "player_id": "the player the facilitator removed (its token was revoked, its sockets closed)",
        "firm": "the firm it left", "removed_at": f"when ({EPOCH})",
    },
    "players_merged": {
        "player_id": "the seat that stays (its firm and name); from now on played from the duplicate's device",
        "duplicate_id": "the row that was the same person (gone from the roster; players.csv `merged_into`)",
        "firm": "the seat's firm", "duplicate_firm": "the firm the duplicate row was in",
        "token_hash": "SHA-256 of the duplicate's token, now the seat's (the seat's earlier token is revoked; "
                      "never exported)",
        "rejoin_hash": "SHA-256 of the duplicate's rejoin code, now the seat's (never exported)",
        "merged_at": f"when ({EPOCH})",
    },
    "role_assigned": {
        "firm": "the firm", "role": "negotiator, gatekeeper or learner (`firm_roles` sessions)",
        "player_id": "who holds the role now; empty: nobody, so every member of the firm may do what it controls",
        "previous": "who held it before (empty: nobody)",
        "how": "dealt (at the start, in join order), assigned or freed (the facilitator), taken (a member with no "
               "role took a free one) or handed (its holder gave it to a teammate)",
        "by": "the player who took or handed it, `facilitator` or `server`",
    },
    "rejoin_allowed": {"player_id": "the player whose labelled seat the next join with its label may take"},
    "player_moved": {"player_id": "the player", "from": "the old firm", "firm": "the new firm"},
    "language_changed": {"player_id": "the player",
                         "language": "the page language its socket declared (BCP-47): the language switcher "
                                     "reloads the page; its scenario texts follow this language",
                         "from": "the language logged before (at the join or the last change); null: none sent"},
    "teams_formed": {"method": "how the facilitator formed the teams in the lobby (`form_teams`): arrival, random, "
                               "balanced (a list of groups spread over the firms) or list (a list of firms)",
                     "seed": "random, balanced: the seed of the draw (the same seed and players give the same "
                             "teams); null otherwise",
                     "players": "players seated when the teams were formed",
                     "moves": "players who changed firm (one `player_moved` fact each follows)",
                     "shape": "[[size, number of firms of that size], ...]: e.g. [[3, 3], [4, 1]]"},
    "bots_seated": {"firms": "firm -> bot strategy for every empty firm filled",
                    "reason": "absent: the facilitator's `fill_bots`; `waiting_room`: a panel group started with "
                              "empty seats; `dropout`: a participant left (server/waiting_room.py)",
                    "player_id": "with reason `dropout`: who left"},
    "waiting_started": {"at": f"when the first person was seated in the panel group's waiting room ({EPOCH})",
                        "deadline": f"when the wait ends ({EPOCH})", "quorum": "people that start the game at once",
                        "seats": "the group's seats (firms × people per firm)"},
    "group_formed": {"reason": "`quorum` (enough people) or `timeout` (the wait ended; bots fill the rest)",
                     "people": "people seated", "bots": "firm -> bot strategy seated in an empty firm",
                     "at": f"when ({EPOCH})"},
    "group_failed": {"people": "people seated when the wait ended", "min_people": "the study's minimum",
                     "unfilled": "`bots` or `exit` (the study's rule)", "at": f"when ({EPOCH})"},
    "participant_dropped": {"player_id": "who left", "firm": "their firm",
                            "disconnected_at": f"when their last connection closed ({EPOCH})",
                            "at": f"when they were declared dropped, `dropout_seconds` later ({EPOCH})",
                            "round": "the round being played", "phase": "the phase",
                            "bot": "the strategy of the bot that took the firm over (empty: a teammate plays on)"},
    "participant_returned": {"player_id": "who came back (a dropout)", "firm": "their firm",
                             "at": f"when ({EPOCH})", "away_seconds": "[s] since their last connection closed"},
    "completion_given": {"player_id": "the participant", "status": "`completed`, `dropout` or `no_group`",
                         "code": "the completion code shown (the study file's)",
                         "redirect_url": "where the participant is sent (the study file's, with the code)"},
    "panel_closing": {"end_at": f"when the panel session ends by itself ({EPOCH})"},
    "bot_replaced": {
        "firm": "the firm", "strategy": "the bot's strategy", "player_id": "the person taking over",
        "reason": "`joined`, `moved` or `returned` (a panel dropout came back)",
        "from_round": "the first round the person decides",
    },
    "phase_changed": {"phase": "practice | selection | negotiation | execution | break (the results break between two "
                               "rounds, option `results_break`) | renegotiation (a renegotiation window between "
                               "two rounds, option `renegotiation_every`) | debrief; `lobby` when the facilitator ends the "
                               "practice round (the real start follows)"},
    "practice_opened": {"firms": "the firms that play the practice round (round 0, never scored; session option "
                                 "`practice_round`), each against an imagined partner (a bot)"},
    "practice_submitted": {
        "firm": "the firm", "by": "the player who submitted, or `bot:<firm>`",
        "decision": "the practice decision (as in `decision_submitted`)", "source": "submitted | bot",
    },
    "practice_closed": {
        "reason": "all_submitted | clock | facilitator",
        "decisions": "firm -> the practice decision it submitted",
        "sources": "firm -> submitted | bot | default (did not submit: the engine's default)",
        "results": "firm -> what its practice decision did in its own practice game against the imagined "
                   "partner: position_before, position_after, cash and its parts (cash_from_value, "
                   "cash_from_market, cash_unspent), learned, developed, joint_value, value_received, trust. "
                   "Nothing of it reaches the real game",
    },
    "selection_opened": {"settings": "the partner-selection settings used (`game_rules/scenarios/selection/"
                                     "<scenario>.toml`, or the defaults): profiles, capacities, go-between, bots"},
    "selection_move": {
        "action": "propose | accept | decline | introduce", "by": "the firm that moved (the go-between for "
        "introduce)", "to": "propose: the firm asked", "proposal": "accept, decline: the proposal id (1, 2, ... "
        "in the order made)", "firms": "introduce: the two firms introduced",
        "template": "propose, introduce: the alliance template",
    },
    "selection_closed": {"pairings": "the pairs that go on to negotiation (or are signed): alliance_id, "
                                     "template, firms (in the template's role order), introduced_by"},
    "clock": {
        "action": "start | pause | resume | extend | stop", "seconds": "the seconds given (start, extend)",
        "clock": "the clock after: running, deadline (wall time), remaining (s, when paused)",
    },
    "negotiation_opened": {"id": "negotiation id (= the alliance id it may create)", "firms": "the two firms"},
    "negotiation_move": {
        "id": "negotiation id", "action": "offer | counter | accept | reject | walk_away | deadline",
        "by": "the firm that moved (null for the deadline)", "terms": "the term sheet (offer, counter)",
    },
    "alliance_signed": {"alliance_id": "the alliance", "terms": "the full term sheet"},
    "renegotiation_opened": {"round": "the rounds played when the window opened (option `renegotiation_every`): "
                                      "terms agreed in it apply from the next round",
                             "alliances": "alliance id -> its two firms: the alliances in force, one "
                                          "renegotiation each"},
    "renegotiation_move": {
        "alliance_id": "the alliance renegotiated", "action": "offer | counter | accept | reject | walk_away "
        "(walk_away: this firm keeps the terms in force for this window)",
        "by": "the firm that moved", "terms": "offer, counter: the whole proposed term sheet (scope, form, "
        "duration and the upfront payment cannot change)",
    },
    "terms_renegotiated": {"alliance_id": "the alliance", "terms": "the full term sheet agreed in the window",
                           "from_round": "the first round played on these terms"},
    "renegotiation_closed": {"round": "the window's round (as in `renegotiation_opened`)",
                             "reason": "settled (every renegotiation agreed or given up) | clock | facilitator",
                             "kept": "the alliances whose terms did not change (no agreement keeps the terms)"},
    "draft_changed": {
        "firm": "the firm", "by": "the player",
        "changed": "the fields sent; the draft is these merged in order, one level deep (null removes)",
        "draft": "the whole draft after the merge (logs written before 2026-11-29 only)",
    },
    "decision_submitted": {
        "firm": "the firm", "round": "the round", "by": "player id or `bot:<firm>`",
        "decision": "the decision (contribute, absorb, develop, protect, reveal, withhold, exit, survey)",
        "source": "`submitted` or `bot`",
    },
    "round_closed": {
        "round": "the round resolved", "reason": "all_submitted | clock | facilitator",
        "decisions": "firm -> the decision used (firms absent played the engine default: `default_applied`)",
        "sources": "firm -> submitted | bot | draft | default",
        "unusable": "firm -> why its decision or last draft could not be used (it played the default); "
                    "absent when every one could",
    },
    "negotiation_reopened": {"alliance_id": "the negotiation reopened by the facilitator (undo of the "
                                            "`deadline` move logged before it, by the facilitator's close or the "
                                            "clock): it is open again as just before that close, an alliance the "
                                            "close signed on it is un-signed, and the phase is `negotiation` again"},
    "round_reopened": {"round": "the round reopened by the facilitator (undo of its close, logged just "
                                "before): the session is back as it was before that `round_closed`, whose "
                                "decisions and events no longer count"},
    "chat": {
        "channel": "`firm:<firm>` or `alliance:<id>`", "sender": "player id",
        "sender_name": "the sender's name (personal data; removed in exports unless asked for)",
        "firm": "the sender's firm", "text": "the message", "time": f"server time ({EPOCH})",
    },
    "announcement": {
        "text": "the facilitator's text", "event": "an injected scenario event (any JSON)",
        "time": f"server time ({EPOCH})",
    },
    "questionnaire_answered": {
        "player_id": "who answered", "firm": "the player's firm",
        "answers": "question id -> answer (a later answer to a question replaces an earlier one)",
    },
    "session_ended": {"reason": "why"},
}

# engine event field -> meaning (game_rules/events.py; units in brackets)
EVENT_FIELDS: dict[str, str] = {
    "type": "the event type",
    "alliance": "alliance id", "firms": "the two firms", "firm": "the firm concerned",
    "round": "the round resolved (signing: the rounds resolved before it)",
    "upfront_payment": "[cash] paid at signing", "payer": "the firm that pays it",
    "decision": "the decision the engine used in place of a missing one",
    "domain": "the domain", "released": "[tranches] released so far in the domain", "of": "[tranches] in total",
    "due": "[tranches] due (withheld: a breach)",
    "value": "[cash] joint value V created", "shares": "firm -> [cash] its share of V",
    "effective_contribution": "firm -> E_i", "mean_reveal": "[0-1] mean reveal over both firms and the scope",
    "mean_released": "[0-1] mean released fraction", "trust_used": "[0-1] the lower of the two trusts",
    "before": "[0-1] trust before", "after": "[0-1] trust after",
    "reasons": "partner_withheld | partner_under_minimum | partner_met_terms | convergent_intents",
    "reason": "dissolved | exited | completed", "by": "the firm that left (exit)",
    "penalty": "[cash] paid by the leaver", "trigger": "partner_breach | trust_below | mutual (no penalty)",
    "cash": "[cash] cash after the round", "cash_from_value": "[cash] share of joint value this round",
    "cash_from_market": "[cash] market income this round", "cash_unspent": "[cash] unspent budget this round",
    "cash_penalties": "[cash] penalties received (+) or paid (-)",
    "position": "[competence] P after the round", "competence": "domain -> [competence] after the round",
    "learned": "domain -> [competence] learned from partners", "taught": "domain -> [competence] learning by teaching",
    "developed": "domain -> [competence] own development", "trust": "alliance -> [0-1] trust in the partner after",
    "dependency": "alliance -> dependency D on the partner after",
    "exposure": "domain -> [0-1] how much of the partners' domain crossed to the firm",
    "rival_position": "[competence] the rival's position after the round", "rival": "domain -> [competence] the rival",
}

# command fields whose schema (server/protocol.py) has no description
COMMAND_FIELDS: dict[str, str] = {
    "submit.decision": "the decision submitted (omitted: the firm's draft)",
    "chat.to": "`firm` or `alliance`", "chat.text": "the message",
    "negotiate.action": "offer | counter | accept | reject | walk_away", "negotiate.terms": "the term sheet offered",
    "select.action": "propose | accept | decline | introduce (partner selection)",
    "control.action": "which control", "control.seconds": "extend: seconds added",
    "control.player": "move_player: the player", "control.firm": "move_player: the firm",
    "control.strategy": "fill_bots: the bots' strategy", "control.text": "inject: the announcement",
    "control.event": "inject: a scenario event (any JSON)",
    "control.request": "approve_seat, refuse_seat: the seat request (\"this is me on a new device\")",
    "control.method": "form_teams: arrival | random | balanced | list", "control.seed": "form_teams: the seed",
    "control.csv": "form_teams: the uploaded list (names and labels: personal data, left out of exports without "
                   "both names and labels)",
    "control.preview": "form_teams: true, the plan was only shown (nothing changed)",
}

KINDS = {
    "command": "a player's accepted command; `type` is the message type, `data` its fields except type, id, "
               "client_time (docs/protocol.md)",
    "control": "a facilitator control (socket or HTTP); `data.action` says which",
    "system": "a fact: what changed (replayed on restart)",
    "event": "an engine event: a consequence of the fact logged just before it (never replayed)",
    "chat": "a chat line",
    "connection": "`connected` / `disconnected`: `data.sockets` = sockets that principal has open after it; "
                  "`data.reason` when the server closed it",
}


def fact_types() -> list[str]:
    return sorted(session_facts.FACTS)


def engine_event_classes() -> list[type]:
    out = []
    for obj in vars(engine_events).values():
        if isinstance(obj, type) and issubclass(obj, engine_events.Event) and obj is not engine_events.Event:
            out.append(obj)
    return sorted(out, key=lambda c: c.type)


def _schema() -> dict[str, list[tuple[str, str]]]:
    return schema_columns()


class CodebookError(KeyError):
    pass


def _need(d: dict, key: str, where: str) -> str:
    if key not in d:
        raise CodebookError(f"{where}: `{key}` has no meaning in server/codebook.py; add it there and run "
                            "`python -m server.codebook > docs/codebook.md`")
    return d[key]


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render_codebook() -> str:
    L = ["# Codebook", "",
         "*Generated from the schemas by `python -m server.codebook > docs/codebook.md`; a test fails when the "
         "two differ. Every export archive carries a copy. The event log itself is described in "
         "`docs/data.md`; reading the exports with pandas and R: `docs/research.md`.*", "",
         "## Conventions", "",
         "- Text is UTF-8. CSV files: comma-separated, fields double-quoted where needed, one header row, "
         "`\\n` line ends, a stable column order (below; a `<placeholder>` column repeats for every domain, "
         "question or key in the scenario's order, or sorted in `events_wide.csv`).",
         "- **A missing value is an empty field** in CSV (nothing else means missing: no `NA`, no `None`) and "
         "`null` in JSON. A value that is known to be zero is written `0`.",
         "- Booleans are `TRUE` / `FALSE` in CSV files (base R's `read.csv` and pandas' `read_csv` both read "
         "them as logical; R reads `true` as text); JSON keeps `true` / `false`. Integers are digits; real "
         "numbers are written in the shortest form "
         "that reads back to the same double (exact: the replay compares numbers bit for bit).",
         "- Maps and lists inside a CSV cell are JSON text (`json` columns: rounds.csv, offers.csv, sessions.csv, "
         "events_wide.csv); each of rounds.csv's has a tidy table (one row per element), and the tidy tables and "
         "`events.csv` have none.",
         "- **Formula-like text gets a leading `'` in CSV files.** A text cell that starts with `=`, `+`, `-`, "
         "`@`, a tab or a carriage return is written with an apostrophe in front (`=41+1` becomes `'=41+1`), so "
         "a spreadsheet shows it instead of running it as a formula (the OWASP remedy for CSV injection; "
         "names, labels, chat, answers and titles are typed by people). Numbers are never changed: `-3.5` in a "
         "number column stays a number. `log.jsonl` and `alliance.sqlite` keep every text exactly as typed.",
         f"- Times are seconds: wall times since 1970-01-01 UTC ({EPOCH}); `mono_time` is the server's "
         "monotonic clock.",
         "- People appear only as pseudonymous player ids (`p_` + 12 random hex characters). Names and "
         "participant labels are exported only when asked for (`names`, `labels`); token hashes never.",
         "- Firms are `<role><copy>` (`west1`, `east2`); alliances `<template><copy>` (`a1`).",
         "- A firm that did not submit a decision is still a row in `rounds.csv`: `submitted` = FALSE and "
         "`decision_source` says what was played (its last draft, or the engine default).",
         "- **Person or bot.** A *person* is a participant whose client did not declare itself a bot; a *bot* is "
         "the server's seat bot (`decision_source` = `bot`) or a client that declared itself one when it joined "
         "(`bot: true` in POST /api/join; the project's live bots always do). `is_bot` in `players.csv` and "
         "`rounds.csv` says which; `decision_source` = `submitted` with `is_bot` = FALSE is a person's submission.",
         "", "## Files of an export archive", "", "| file | what |", "|---|---|"]
    L += [f"| `{name}` | {_cell(doc)} |" for name, doc in export_catalog.FILE_DOCS.items()]
    L.append("")
    for name, cols in export_catalog.CSV_FILES.items():
        L += [f"### `{name}`", "", _cell(export_catalog.FILE_DOCS[name]), "",
              "| column | type | unit | meaning |", "|---|---|---|---|"]
        L += [f"| `{c.name}` | {c.type} | {_cell(c.unit)} | {_cell(c.meaning)} |" for c in cols]
        L.append("")
    L += ["## Database tables", "",
          "The server's SQLite file (`--db`, default `data/alliance.db`) and `alliance.sqlite` in an export.", ""]
    for table, cols in _schema().items():
        docs = _need(TABLES, table, "table") if table in TABLES else _need({}, table, "table")
        L += [f"### `{table}`", "", "| column | type | meaning |", "|---|---|---|"]
        L += [f"| `{c}` | {t} | {_cell(_need(docs, c, f'table {table}'))} |" for c, t in cols]
        L.append("")
    L += ["## Log row types", "", "### Kinds (`log.kind`)", "", "| kind | meaning |", "|---|---|"]
    L += [f"| `{k}` | {_cell(v)} |" for k, v in KINDS.items()]
    L += ["", "### Facts (`kind` = `system`; a chat line is `kind` = `chat`, type `chat`)", "",
          "| type | field | meaning |", "|---|---|---|"]
    for t in fact_types():
        for f, m in _need(FACTS, t, "fact type").items():
            L.append(f"| `{t}` | `{f}` | {_cell(m)} |")
    L += ["", "### Engine events (`kind` = `event`, `game_rules/events.py`)", "",
          "Units: [cash] cash units, [competence] competence points (0-100 at the start), [tranches], "
          "[0-1] a share.", "", "| type | field | meaning |", "|---|---|---|"]
    for cls in engine_event_classes():
        for f in dataclasses.fields(cls):
            L.append(f"| `{cls.type}` | `{f.name}` | {_cell(_need(EVENT_FIELDS, f.name, f'event {cls.type}'))} |")
    L += ["", "### Commands (`kind` = `command` or `control`; fields as in docs/protocol.md)", "",
          "| type | field | meaning |", "|---|---|---|"]
    for t, model in CLIENT_MESSAGES.items():
        if t == "auth":
            continue
        for f, info in model.model_fields.items():
            if f in ("type", "id", "client_time"):
                continue
            L.append(f"| `{t}` | `{f}` | {_cell(info.description or COMMAND_FIELDS.get(f'{t}.{f}', ''))} |")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    print(render_codebook(), end="")
