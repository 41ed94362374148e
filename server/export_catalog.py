"""The files of an export archive and the columns of each CSV file: what `server/codebook.py`
documents and `server/export.py` writes. Kept apart from the export itself so the codebook
reads these tables without importing the code that builds the archive (which ships the
codebook), and the two do not import each other."""
from __future__ import annotations

from . import export_tidy
from .export_columns import SESSION_COLUMNS, Column

C = Column
EVENTS_WIDE_COLUMNS = SESSION_COLUMNS + [
    C("seq", "integer", "", "position of the row in the session's log: 1, 2, 3, ... without gaps"),
    C("log_id", "integer", "", "the row's id in the database (`log.id`: insertion order over all sessions)"),
    C("kind", "text", "", "`command` (a player's accepted command), `control` (a facilitator control), `system` "
                          "(a fact: what changed), `event` (an engine event: a consequence), `chat`, `connection`"),
    C("type", "text", "", "the command, fact or event type (codebook section *Log row types*)"),
    C("round", "integer", "round", "the round the row belongs to: for `round_closed` and engine events the round "
                                   "they resolve; otherwise the round being played when the row was logged "
                                   "(0 before the first round; the last round in the debrief)"),
    C("phase", "text", "", "the session's phase when the row was logged: `lobby`, `practice` (the practice "
                           "round, round 0, never scored), `selection`, `negotiation`, `execution`, `debrief` (a `phase_changed` row shows the phase it starts; engine events the phase "
                           "of the fact that caused them)"),
    C("firm", "text", "", "the firm concerned, if any (`west1`, `east2`, ...: role id + copy number)"),
    C("actor", "text", "", "who acted: a player id, `facilitator`, `bot:<firm>` or `server` (timers, automatic steps)"),
    C("player_id", "text", "", "the pseudonymous player id when the actor is a person (`p_` + 12 hex characters)"),
    C("command_id", "text", "", "the client's command id (commands and controls)"),
    C("wall_time", "real", "s since 1970-01-01 UTC", "server wall-clock time when the row was logged"),
    C("mono_time", "real", "s", "server monotonic clock (differences are exact within one server run only)"),
    C("client_time", "real", "s since 1970-01-01 UTC", "the time the client said it sent the command (its own clock), as given"),
    C("latency", "real", "s", "`wall_time - client_time`: network delay plus the client's clock offset "
                              "(empty without `client_time`)"),
    C("reply", "json", "", "the `ack` sent for a command or control"),
    C("data.<field>", "any", "", "a payload field (codebook section *Log row types*); maps and lists as JSON text"),
    C("data.<field>.<key>", "any", "", "one entry of a payload field that is a flat map in every row that has it "
                                       "(e.g. `data.competence.design`, `data.sources.west1`)"),
]
EVENTS_COLUMNS = [c for c in EVENTS_WIDE_COLUMNS if c.name in export_tidy.EVENTS_CORE]  # events.csv
ROUNDS_COLUMNS = SESSION_COLUMNS + [
    C("study", "text", "", "the study the session belongs to"),
    C("treatment", "text", "", "the firm's treatment: the session's, or the firm's own when treatments differ "
                               "inside the session (`sessions.csv` has the overrides and the assignment)"),
    C("scenario", "text", "", "scenario id"),
    C("round", "integer", "round", "the resolved round (1, 2, ...)"),
    C("copy", "integer", "", "which copy of the case the firm belongs to"),
    C("firm", "text", "", "the firm (role id + copy)"),
    C("role", "text", "", "the firm's role in the scenario"),
    C("alliances", "json", "", "the firm's active alliances when the round started (list of ids)"),
    C("partners", "json", "", "the partner firms of those alliances (list)"),
    C("terms.release", "text", "", "the term sheet in force for the firm's alliances when the round started, as "
                                   "signed (negotiated, or the scenario's default): `staged` or `upfront`; empty "
                                   "when the firm has no alliance or its alliances differ (see `terms_in_force`)"),
    C("terms.form", "text", "", "terms in force: `serial` or `parallel` (empty as for `terms.release`)"),
    C("terms.share", "real", "share 0-1", "terms in force: the firm's own share of the joint value (empty as for "
                                          "`terms.release`)"),
    C("terms.milestone", "real", "contribution points", "terms in force: partner contribution per staged tranche"),
    C("terms.exit_penalty", "real", "cash units", "terms in force: paid by a firm that leaves without a trigger"),
    C("terms_in_force", "json", "", "alliance id -> {release, form, share, milestone, exit_penalty} of every "
                                    "alliance of the firm when the round started (empty: none)"),
    C("terms_match_treatment", "boolean", "", "compliance: TRUE when every term sheet in force for the firm holds "
                                              "each `terms.*` setting of its treatment, FALSE when partners "
                                              "negotiated one away; empty when the treatment sets no terms or the "
                                              "firm has no alliance this round"),
    C("players", "integer", "people", "people seated in the firm when the round closed (0: a bot or nobody)"),
    C("bot", "text", "", "the bot strategy playing the firm's seat, if a server bot held it"),
    C("is_bot", "boolean", "", "TRUE when the decision used was a bot's: the server's seat bot (`decision_source` "
                               "`bot`), or a client that declared itself a bot when it joined (`submitted` by it; "
                               "for `draft` and `default`: a firm held only by such clients); FALSE: a person's (or "
                               "nobody's)"),
    C("submitted", "boolean", "", "TRUE when the firm (a person or a bot) submitted a decision; FALSE: it did not, "
                                  "and `decision_source` says what was played instead"),
    C("decision_source", "text", "", "`submitted` (through the protocol by a seated participant: a **person** when "
                                     "`is_bot` is FALSE, a **bot** client that declared itself one when TRUE), "
                                     "`bot` (the server's seat bot), `draft` (the firm's last draft, used because "
                                     "it did not submit) or `default` (no legal draft: the engine default, see "
                                     "`default_applied`)"),
    C("decided_by", "text", "", "who submitted: a player id or `bot:<firm>` (empty when not submitted)"),
    C("close_reason", "text", "", "why the round closed: `all_submitted`, `clock` or `facilitator`"),
    C("contribute.<domain>", "real", "budget points", "points contributed to the alliance in the domain (0 when none)"),
    C("absorb.<domain>", "real", "budget points", "learning effort in the domain"),
    C("develop.<domain>", "real", "budget points", "own R&D in the domain"),
    C("protect", "real", "budget points", "protection (gatekeepers)"),
    C("reveal.<domain>", "real", "share 0-1", "openness beyond what the contract releases"),
    C("withhold", "json", "", "alliance id -> domains whose due tranche the firm withheld (`{}`: none)"),
    C("exit", "json", "", "alliances the firm left this round (`[]`: none)"),
    C("spent", "real", "budget points", "points allocated (the rest became cash)"),
    C("survey.<question>", "integer", "answer 1-5", "the pulse-survey answer in the decision used (empty: not answered)"),
    C("survey_other", "json", "", "answers to questions the scenario does not list (rare)"),
    C("cash", "real", "cash units", "the firm's cash after the round (cumulative)"),
    C("cash_from_value", "real", "cash units", "this round: its share of the alliances' joint value"),
    C("cash_from_market", "real", "cash units", "this round: market income from its position"),
    C("cash_unspent", "real", "cash units", "this round: budget points not allocated"),
    C("cash_penalties", "real", "cash units", "this round: exit penalties received (+) or paid (-)"),
    C("position", "real", "competence points", "P = sum of weight x competence after the round"),
    C("competence.<domain>", "real", "competence points", "competence after the round (0-100 scale at the start)"),
    C("learned.<domain>", "real", "competence points", "this round: learned from partners"),
    C("taught.<domain>", "real", "competence points", "this round: learning by teaching"),
    C("developed.<domain>", "real", "competence points", "this round: own development"),
    C("exposure.<domain>", "real", "share 0-1", "this round: how much of the partners' domain crossed to the firm"),
    C("trust", "real", "0-1", "the firm's trust in its partner after the round (mean over its alliances)"),
    C("dependency", "real", "share", "dependency on a partner after the round (the highest over its alliances)"),
    C("alliance_value", "real", "cash units", "joint value created this round by the firm's alliances (both shares)"),
    C("tranches_released", "integer", "tranches", "tranche releases by the firm this round"),
    C("tranches_withheld", "integer", "tranches", "due tranches the firm withheld this round (breaches)"),
    C("alliance_ended", "text", "", "`<alliance>:<reason>` for an alliance of the firm that ended this round "
                                    "(dissolved, exited, completed)"),
    C("rival_position", "real", "competence points", "the outside industry's position after the round"),
    C("score.internal_gain", "real", "ratio change", "score so far: change of P_i/P_partner since the start"),
    C("score.external_gain", "real", "ratio change", "score so far: change of P_i/P_rival since the start"),
    C("score.cash_score", "real", "budgets per round", "score so far: cash / (rounds played x budget)"),
    C("score.freedom", "real", "share", "score so far: 1 - the highest dependency"),
    C("score.total", "real", "score points", "score so far: the scenario's weighted total"),
    C("score.rank", "integer", "rank", "rank in the session after this round (1 = best)"),
    C("adjusted", "text", "", "counterfactual replays only: how the logged decision was adapted to the changed "
                              "rules (empty in an export)"),
    C("counterfactual", "json", "", "counterfactual replays only: the `--set` overrides the row was computed "
                                    "with, name -> value as given (empty in an export)"),
]
CHAT_COLUMNS = SESSION_COLUMNS + [
    C("seq", "integer", "", "the row's position in the session's log"),
    C("round", "integer", "round", "the round being played (0 before the first)"),
    C("phase", "text", "", "the phase"),
    C("channel", "text", "", "`firm:<firm>` (inside a firm) or `alliance:<id>` (both firms of an alliance)"),
    C("alliance", "text", "", "the alliance or negotiation id of an alliance channel"),
    C("firm", "text", "", "the sender's firm"),
    C("player_id", "text", "", "the sender (pseudonymous id)"),
    C("sender_name", "text", "", "the name the sender typed (only with the `names` option)"),
    C("wall_time", "real", "s since 1970-01-01 UTC", "server time"),
    C("client_time", "real", "s since 1970-01-01 UTC", "the time the sender's client said it sent the line (its "
                                                       "own clock), as given; empty when it sent none"),
    C("text", "text", "", "the message (UTF-8; may itself contain personal data)"),
]
OFFERS_COLUMNS = SESSION_COLUMNS + [
    C("seq", "integer", "", "the row's position in the session's log"),
    C("round", "integer", "round", "the round being played (0 before the first)"),
    C("phase", "text", "", "the phase"),
    C("negotiation", "text", "", "the negotiation id (= the id of the alliance it may create)"),
    C("firm_a", "text", "", "the first firm of the negotiation"),
    C("firm_b", "text", "", "the second firm"),
    C("action", "text", "", "`offer`, `counter`, `accept`, `reject`, `walk_away`, `deadline` (the clock ran out) "
                            "or `signed` (an alliance was signed: after an accept, or paired with the scenario's "
                            "default terms by the facilitator) or `reopened` (the facilitator undid the close "
                            "that ended it, and any alliance that close signed on it: the negotiation goes on with "
                            "its offers); in a renegotiation window (phase `renegotiation`) the same moves, then "
                            "`renegotiated` (the partners agreed new terms: see `applies_from`) or `kept` (the "
                            "window closed without an agreement: the terms in force stay)"),
    C("by", "text", "", "the firm that moved (empty for `deadline` and `signed`)"),
    C("actor", "text", "", "who: a player id, `bot:<firm>`, `facilitator` or `server`"),
    C("wall_time", "real", "s since 1970-01-01 UTC", "server time"),
    C("terms_source", "text", "", "where the terms come from: `proposed` (offer, counter), `accepted` (the "
                                  "standing offer an accept took), `signed`, `renegotiated`; empty when the move "
                                  "has none"),
    C("applies_from", "integer", "round", "`renegotiated`: the first round played on these terms; empty otherwise"),
    C("scope", "json", "", "domains inside the alliance (list)"),
    C("release", "text", "", "`staged` or `upfront`"),
    C("form", "text", "", "`serial` or `parallel`"),
    C("milestone", "real", "contribution points", "partner contribution per staged tranche"),
    C("duration", "integer", "rounds", "rounds the alliance runs"),
    C("exit_penalty", "real", "cash units", "paid by a firm that leaves without a trigger"),
    C("exit_on_breach", "boolean", "", "a partner's breach allows leaving without penalty"),
    C("exit_trust_below", "real", "0-1", "trust below this allows leaving without penalty"),
    C("upfront_payment", "real", "cash units", "paid at signing by `payer`"),
    C("payer", "text", "", "the firm paying the upfront payment"),
    C("contributions.a", "json", "", "domains firm_a contributes (list)"),
    C("contributions.b", "json", "", "domains firm_b contributes (list)"),
    C("min_effort.a", "real", "budget points per round", "firm_a's minimum contribution"),
    C("min_effort.b", "real", "budget points per round", "firm_b's minimum contribution"),
    C("tranches.a", "integer", "tranches", "tranches per contributed domain of firm_a"),
    C("tranches.b", "integer", "tranches", "tranches per contributed domain of firm_b"),
    C("split.a", "real", "share 0-1", "firm_a's share of the joint value"),
    C("split.b", "real", "share 0-1", "firm_b's share"),
    C("terms", "json", "", "the whole term sheet as logged"),
]
QUESTIONNAIRE_COLUMNS = SESSION_COLUMNS + [
    C("seq", "integer", "", "the row's position in the session's log (a later answer to the same question replaces "
                            "an earlier one)"),
    C("player_id", "text", "", "who answered (pseudonymous id)"),
    C("firm", "text", "", "the player's firm"),
    C("question", "text", "", "question id (the session's or scenario's questionnaire; `config/<session>.json`)"),
    C("kind", "text", "", "`scale`, `text` or `choice`"),
    C("answer", "text", "", "the answer (a scale answer is an integer 1..points)"),
    C("wall_time", "real", "s since 1970-01-01 UTC", "server time"),
]
PLAYERS_COLUMNS = SESSION_COLUMNS + [
    C("player_id", "text", "", "pseudonymous player id (random; the same in every file)"),
    C("first_firm", "text", "", "the firm the player was seated in"),
    C("firm", "text", "", "the firm at the end (after facilitator moves)"),
    C("joined_at", "real", "s since 1970-01-01 UTC", "when the player was seated"),
    C("consent", "text", "", "`given`, `declined` (never seated) or `not_asked` (the session asked for none)"),
    C("rejoins", "integer", "", "times the player came back with the same label (lab mode)"),
    C("moves", "integer", "", "times the facilitator moved the player"),
    C("is_bot", "boolean", "", "TRUE: the client declared itself a bot when it joined (a program, e.g. the "
                               "project's live bots); FALSE: a person"),
    C("language", "text", "", "the participant's latest language (BCP-47, e.g. `fr-CA`: the page's language, "
                              "its choice or the browser's): as sent at the join, or the last `language_changed` "
                              "(the log keeps every change); empty when never sent"),
    C("consent_at", "real", "s since 1970-01-01 UTC", "when the participant gave (or declined) consent; empty "
                                                      "when not asked"),
    C("merged_into", "text", "", "the player_id of the seat this row was merged into (the facilitator found two "
                                 "rows that were one person: `players_merged`); empty otherwise. Count people, "
                                 "not rows, without the merged ones"),
    C("role", "text", "", "the roles inside its firm the player held when the session ended (`firm_roles` "
                          "sessions: negotiator, gatekeeper, learner; several joined by `;`); empty: none, or "
                          "a session without roles. Every change, with its round, is a `role_assigned` row of "
                          "events.csv"),
    C("name", "text", "", "the name the player typed (only with the `names` option)"),
    C("label", "text", "", "the participant label (only with the `labels` option)"),
]
SESSIONS_COLUMNS = SESSION_COLUMNS + [
    C("study", "text", "", "the study (groups sessions)"),
    C("study_sha256", "text", "", "SHA-256 of the study file the session was created from (`studies/<sha256>.toml`); "
                                  "empty when it was created without one"),
    C("treatment", "text", "", "the treatment assigned to the session (empty when treatments differ inside it)"),
    C("assignment_unit", "text", "", "what treatments were assigned to: `session`, `alliance` (each copy of "
                                     "the case) or `firm`"),
    C("treatment_of", "json", "", "unit `alliance` or `firm`: copy number or firm id -> treatment"),
    C("treatments", "json", "", "every treatment of the configuration (name -> overrides, in the order given)"),
    C("assignment", "text", "", "how: `random`, `balanced` or `fixed`"),
    C("assignment_seed", "integer", "", "the seed of the draw (`random.Random(seed)`; docs/research.md)"),
    C("treatment_overrides", "json", "", "the treatment's scenario overrides (`--set` names)"),
    C("scenario", "text", "", "scenario id (`scenarios/<session>.toml` is the text)"),
    C("title", "text", "", "session title"),
    C("engine_version", "text", "", "`game_rules.ENGINE_VERSION` when the session was created"),
    C("copies", "integer", "", "copies of the case played side by side"),
    C("rounds", "integer", "rounds", "rounds in the session"),
    C("seed", "integer", "", "the session's seed (benchmark noise in views, bots)"),
    C("negotiation", "boolean", "", "negotiation phase on"),
    C("members_submit", "text", "", "`any` member or only the `submitter`"),
    C("round_seconds", "real", "s", "round clock"),
    C("negotiation_seconds", "real", "s", "negotiation clock"),
    C("overrides", "json", "", "every scenario override the session ran with (scoring weights and treatment)"),
    C("status", "text", "", "`live`, `ended` or `archived` (idle too long: read-only) at export time"),
    C("created_at", "real", "s since 1970-01-01 UTC", "creation time"),
    C("ended_at", "real", "s since 1970-01-01 UTC", "end time (empty while live)"),
    C("log_rows", "integer", "rows", "rows of the session in the log (= its rows in events.csv)"),
    C("rounds_played", "integer", "rounds", "rounds resolved"),
    C("players", "integer", "people", "participants seated"),
    C("replay_differences", "integer", "", "differences found when the export replayed the session through the "
                                            "engine (0: every logged number reproduced)"),
]

PAYMENTS_COLUMNS = SESSION_COLUMNS + [
    C("study", "text", "", "the study"),
    C("study_sha256", "text", "", "SHA-256 of the study file whose `[payments]` rule was applied"),
    C("label", "text", "", "the participant label (the panel's participant id): personal data"),
    C("player_id", "text", "", "pseudonymous player id"),
    C("firm", "text", "", "the participant's firm"),
    C("status", "text", "", "`completed`, `dropout`, `no_group` or `unfinished` (no completion code yet)"),
    C("completion_code", "text", "", "the code the participant was shown"),
    C("points", "real", "points", "the firm's final value of the rule's `points` column of rounds.csv "
                                  "(empty when no round was played)"),
    C("currency", "text", "", "the currency of the three amounts"),
    C("participation_fee", "real", "currency", "paid to the statuses in the rule's `fee_for`"),
    C("bonus", "real", "currency", "completed only: points × per_point, within [0, max_bonus], whole cents "
                                   "rounded half up"),
    C("total", "real", "currency", "participation_fee + bonus"),
]

CSV_FILES: dict[str, list[Column]] = {
    "events.csv": EVENTS_COLUMNS, "rounds.csv": ROUNDS_COLUMNS, "chat.csv": CHAT_COLUMNS,
    "offers.csv": OFFERS_COLUMNS, "questionnaire.csv": QUESTIONNAIRE_COLUMNS, "players.csv": PLAYERS_COLUMNS,
    "sessions.csv": SESSIONS_COLUMNS, **export_tidy.CSV_FILES, "events_wide.csv": EVENTS_WIDE_COLUMNS,
    "payments.csv": PAYMENTS_COLUMNS,
}
FILE_DOCS = {
    "events.csv": "tidy: one row per row of the event log (every kind), in session then `seq` order; the "
                  "payloads are in `event_values.csv`, command ids and client times in `commands.csv`",
    "rounds.csv": "wide: one row per firm and resolved round; a firm that did not submit still has its row "
                  "(`submitted` = false) with the decision that was played in its place",
    "chat.csv": "one row per chat line",
    "offers.csv": "one row per negotiation move and per signed alliance, with the full term sheet",
    "questionnaire.csv": "one row per answer to the closing questionnaire",
    "players.csv": "one row per participant (seated, or who declined consent)",
    "sessions.csv": "one row per session: configuration, study, treatment",
    **export_tidy.FILE_DOCS,
    "events_wide.csv": "only with the `wide` option: `events.csv` with every payload field as a column "
                       "(`data.<field>`, mostly empty), the command columns and the `reply`",
    "payments.csv": "only with the `payments` option: one row per seated participant of a session whose study "
                    "file has `[payments]`: label, completion status and code, points, fee, bonus, total "
                    "(personal data: a separate file from the data)",
    "studies/<sha256>.toml": "the study file a session was created from (left out when it lists participant "
                             "labels and `labels` was not asked)",
    "log.jsonl": "the raw event log: one JSON object per row with the `log` table's columns (`data` and `reply` "
                 "as objects), names and token hashes removed as in the CSV files",
    "alliance.sqlite": "the SQLite database itself with only the chosen sessions' rows; token hashes removed "
                       "(and names and labels unless asked for, also inside `options` and snapshots)",
    "codebook.md": "this codebook",
    "scenarios/<session>.toml": "the scenario text the session ran (logged at creation); its overrides are in "
                                "`config/<session>.json`",
    "config/<session>.json": "the session's configuration (options, study, treatment, consent text, questionnaire), "
                             "the engine version and the replay check",
    "manifest.json": "what was exported, when, with which options; every file's row count and SHA-256; the "
                     "code that made it: `engine_version`, `package_version`, `git_commit` (null when the server "
                     "does not run from a git checkout) and `dependencies` (name -> installed version)",
}
