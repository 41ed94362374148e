"""The stable error codes of the server (clients switch on them), each with the one HTTP
status it is answered with over HTTP, and `ProtocolError`, the refusal that carries a code.

A code's HTTP status is chosen here and nowhere else: `ProtocolError(code, message)`
takes it from `ERRORS`, and the HTTP handlers answer `e.status` (or `http_status(code)`).
Over a WebSocket only the code and message travel. `docs/protocol.md` lists the codes
(a test checks that every code the server raises is in this table and in the document).
The one exception: aiohttp's own refusals under /api/ (405 method not allowed, 404 no such
route, 413 body too large) keep aiohttp's status and get a code from it (server/app.py).
"""
from __future__ import annotations

# code -> (HTTP status, meaning). 400: a bad request; 401: who you are is not known (or no
# longer valid); 403: known but not allowed; 404: no such thing; 409: not possible in the
# session's current state; 410: gone for good; 413, 429, 500, 503: as in HTTP.
ERRORS: dict[str, tuple[int, str]] = {
    # frames and schemas
    "bad_frame": (400, "the frame is not valid msgpack / JSON, or not a map"),
    "frame_too_large": (413, "the frame is larger than the server's frame limit"),
    "not_finite": (400, "a number is NaN or infinite"),
    "unknown_type": (400, "the message `type` is not one this server knows"),
    "missing_field": (400, "a required field is missing (the message names it)"),
    "wrong_type": (400, "a field has the wrong type (the message names it)"),
    "unknown_field": (400, "a field this message does not have"),
    "out_of_range": (400, "a value is outside its allowed range or set"),
    "bad_request": (400, "an HTTP request body that is not a JSON object"),
    # who you are
    "not_authenticated": (401, "send `auth` with a token first"),
    "already_authenticated": (400, "this socket is already authenticated"),
    "bad_token": (401, "the token is not valid for any session"),
    "token_revoked": (401, "the token was revoked (the facilitator removed the player, or the seat was taken "
                            "again on another device)"),
    "too_many_sockets": (400, "this token already has the maximum number of open sockets"),
    "token_expired": (401, "the token's session has ended"),
    "forbidden": (403, "this command needs the facilitator token"),
    "unknown_code": (404, "no live session has this join code"),
    "not_found": (404, "no such session or resource"),
    "admin_key_required": (401, "creating a session needs the server's admin key (`Authorization: Bearer <admin key>`): "
                                 "it was missing or wrong"),
    # flow control
    "rate_limited": (429, "too many commands per second; slow down (repeated floods close the socket)"),
    "shutting_down": (503, "the server is shutting down; reconnect shortly"),
    "owner_unreachable": (503, "the server process that runs the session did not answer in time (several "
                               "processes on one database): try again shortly with the same command id"),
    "database_unavailable": (503, "the database cannot be reached now (PostgreSQL restarting or failing over): "
                                  "nothing was applied; the server reconnects by itself, try again shortly with "
                                  "the same command id"),
    "session_ended": (410, "the session has ended"),
    "session_archived": (410, "the session was archived after a long time without activity: it is read-only (its "
                               "summary, debrief and exports stay available to its facilitator and researcher)"),
    # game flow
    "wrong_phase": (409, "the command is not allowed in the session's current phase"),
    "results_break": (409, "the round's results are up (results break): the next round opens when the "
                           "facilitator says Next round or the break clock runs out"),
    "no_window": (409, "there is no renegotiation window open now"),
    "no_break": (409, "`next_round` needs a results break: there is none now"),
    "not_reopenable": (409, "the round or negotiation cannot be reopened: it was not closed by the facilitator "
                            "or the clock (every firm submitted; the firms agreed or one walked away), it was "
                            "the last round, or something has been decided since it closed"),
    "stale_round": (400, "the command names a round that is not the current one"),
    "not_your_firm": (400, "the command concerns another firm"),
    "not_submitter": (400, "only the firm's designated submitter may submit"),
    "not_your_role": (403, "a role inside your firm held by a teammate controls this (firm_roles: the negotiator "
                           "moves in the negotiation, the gatekeeper sets protect and reveal, the learner absorb), "
                           "or the role change is not yours to make"),
    "roles_off": (409, "this session has no roles inside the firms (the `firm_roles` option is off)"),
    "already_submitted": (400, "your firm has already submitted this round"),
    "no_partner": (400, "your firm has no partner to chat or negotiate with"),
    "unknown_player": (404, "no player with that id in this session"),
    "unknown_firm": (404, "no firm with that id in this session"),
    "unknown_negotiation": (400, "no negotiation with that id for your firm"),
    "unknown_strategy": (400, "no bot strategy with that name"),
    "invalid_options": (400, "a session option or scenario override is not valid"),
    "unknown_label": (403, "the participant label is not on this session's list"),
    "seat_taken": (409, "the label's seat is taken: give the seat's rejoin code, or ask the facilitator to allow "
                         "a rejoin"),
    "name_taken": (409, "a player with this name (ignoring case, spaces and lookalike letters) is already seated: "
                        "choose another name, or take the seat on this device with its rejoin code or the "
                        "facilitator's approval (`takeover`)"),
    "bad_rejoin_code": (403, "the rejoin code is not the seat's, or too many wrong codes were tried for it"),
    "bad_team_list": (400, "form_teams: the team list names an unknown player or firm, a player twice, too many "
                           "rows, or overfills a firm (every problem is named; nothing was changed)"),
    "bad_name": (400, "the player name is empty once invisible characters are removed, or imitates a role (facilitator, admin...)"),
    "session_full": (409, "every firm of the session has its maximum of players (`max_per_firm`)"),
    "group_closed": (503, "a panel study's group has started or is full; the study link seats the participant in the next one"),
    "consent_required": (403, "give (or decline) consent first: POST /api/consent with the token join returned"),
    "unknown_scenario": (404, "no scenario with that id"),
    # decisions (codes from game_rules.decisions)
    "negative": (400, "a decision value must not be negative"),
    "over_budget": (400, "the decision spends more points than the budget"),
    "unknown_domain": (400, "a decision names a domain the scenario does not have"),
    "not_contributed": (400, "contribution to (or withholding of) a domain your firm does not contribute"),
    "out_of_scope": (400, "absorb or reveal in a domain outside your alliance's scope"),
    "unknown_alliance": (400, "withhold or exit names an alliance your firm is not in"),
    # negotiation (codes from game_rules.negotiation)
    "not_a_party": (400, "your firm is not a party to that negotiation"),
    "closed": (400, "the negotiation is already agreed or failed"),
    "no_offer": (400, "there is no offer on the table to answer"),
    "not_your_turn": (400, "you cannot answer your own offer"),
    "offer_pending": (400, "the partner's offer is on the table: accept, reject or counter it"),
    "invalid_terms": (400, "the term sheet is not valid (the message names the field)"),
    "invalid_firms": (400, "a negotiation needs two different firms"),
    # partner selection (codes from game_rules.selection)
    "selection_off": (409, "the session has no partner-selection phase"),
    "selection_closed": (409, "the partner-selection board is already closed"),
    "unknown_proposal": (400, "no selection proposal with that id"),
    "unknown_template": (400, "no alliance template with that id in the scenario"),
    "ambiguous_template": (400, "several alliance templates join these two firms: name one in `template`"),
    "same_firm": (400, "a firm cannot ally with itself"),
    "other_market": (400, "the firms play in different copies of the case"),
    "role_mismatch": (400, "the template does not join the roles of these two firms"),
    "duplicate_proposal": (400, "a proposal between these firms under this template is already pending or accepted"),
    "already_paired": (400, "a firm is already paired under this template"),
    "at_capacity": (400, "a firm already holds as many pairings as it may"),
    "go_between": (400, "a go-between introduces firms; it does not propose"),
    "not_go_between": (400, "only a go-between firm may introduce"),
    "not_visible": (400, "the go-between does not know that firm well enough to introduce it"),
    "no_introductions_left": (400, "the go-between has used all its introductions"),
    "not_addressee": (400, "the proposal is addressed to another firm"),
    "not_pending": (400, "the proposal has already been accepted or declined"),
    # the server itself
    "storage_failed": (503, "the event log could not be written; nothing was applied"),
    "internal_error": (500, "an unexpected server error; nothing was applied"),
}


ERROR_CODES: dict[str, str] = {code: meaning for code, (_, meaning) in ERRORS.items()}
HTTP_STATUS: dict[str, int] = {code: status for code, (status, _) in ERRORS.items()}

# game_rules.selection's codes whose protocol name differs (the protocol's `closed` and
# `duplicate` would be ambiguous next to the negotiation's); its other codes keep their name
SELECTION_CODES: dict[str, str] = {"closed": "selection_closed", "duplicate": "duplicate_proposal"}


def http_status(code: str) -> int:
    """The HTTP status an error with this code is answered with."""
    return HTTP_STATUS[code]


class ProtocolError(Exception):
    """A refused message or command: `code` is stable (see ERRORS), `message` is for people;
    `status` is the code's HTTP status from the table."""

    def __init__(self, code: str, message: str, status: int | None = None):
        assert code in ERRORS, code
        # `status` is accepted only for callers written before the table: it must agree with it
        assert status is None or status == HTTP_STATUS[code], (code, status)
        self.code = code
        self.message = message
        self.status = HTTP_STATUS[code]  # the HTTP status when the error is answered over HTTP
        super().__init__(f"{code}: {message}")
