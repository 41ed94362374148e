"""Every message on the wire: typed schemas, the msgpack and JSON codecs, validation and
the stable error codes. `docs/protocol.md` is generated from this package
(`python -m server.protocol > docs/protocol.md`) and a test keeps the two equal.

- `messages`: what clients send and what the server sends, as typed schemas, and the
  parsing of a decoded frame into its message;
- `controls`: one typed variant per facilitator control action (`control_variant`);
- `bodies`: the HTTP request bodies;
- `errors`: every error code with its one HTTP status, and `ProtocolError`;
- `codecs`: msgpack/JSON frames in and out, and the encode-once shared pushes;
- `docs`: the generated reference (docs/protocol.md).

`from server import protocol as P` gives all of it.
"""
from .bodies import (Consent, CreateSession, ExportRequest, HttpControl, JoinSession, QuestionnaireAnswers,
                     QuestionnaireQuestion, ScoringWeights)
from .controls import (CONTROL_VARIANTS, Advance, AllowRejoin, AssignRole, ApproveSeat, FormTeams, RefuseSeat, CloseSelection, ControlAction, EndRound,
                       EndSession, Extend, FillBots, Inject, MergePlayers, MovePlayer, OpenNegotiation, OpenSelection, Pair,
                       Pause, RemovePlayer, Resume, Start, control_variant)
from .codecs import MAX_DEPTH, MAX_INT, RESERVED_KEYS, Shared, SharedPart, SharedView, decode_frame, encode
from .docs import render_protocol_doc
from .errors import ERROR_CODES, ERRORS, HTTP_STATUS, SELECTION_CODES, ProtocolError, http_status
from .messages import (CLIENT_MESSAGES, CONTROL_ACTIONS, PROTOCOL_VERSION, SERVER_MESSAGES, Ack, AnnouncementPush,
                       Auth, Chat, ChatPush, ClockPush, CompletionPush, Control, Draft, DraftPush, Error,
                       Negotiate, NegotiationPush, Ping, Resync, Role, RoundResultPush, Select, SelectionPush,
                       SessionEndedPush, StatusPush, Submit, SubmittedPush, View, Welcome, _Msg, _Out, ack,
                       error, message_id, parse_client_message, parse_model, validation_error)

__all__ = [
    "Ack", "Advance", "AllowRejoin", "ApproveSeat", "FormTeams", "RefuseSeat", "AnnouncementPush", "Auth", "CLIENT_MESSAGES", "CONTROL_ACTIONS",
    "CONTROL_VARIANTS", "Chat", "ChatPush", "ClockPush", "CloseSelection", "CompletionPush", "Consent",
    "Control", "ControlAction", "CreateSession", "Draft", "DraftPush", "ERRORS", "ERROR_CODES", "EndRound",
    "EndSession", "Error", "ExportRequest", "Extend", "FillBots", "HTTP_STATUS", "HttpControl", "Inject",
    "JoinSession", "MAX_DEPTH", "MAX_INT", "MergePlayers", "MovePlayer", "Negotiate", "NegotiationPush", "OpenNegotiation",
    "OpenSelection", "PROTOCOL_VERSION", "Pair", "Pause", "Ping", "ProtocolError", "QuestionnaireAnswers",
    "QuestionnaireQuestion", "RESERVED_KEYS", "RemovePlayer", "Role", "AssignRole", "Resume", "Resync", "RoundResultPush",
    "SELECTION_CODES", "SERVER_MESSAGES", "ScoringWeights", "Select", "SelectionPush", "SessionEndedPush",
    "Shared", "SharedPart", "SharedView", "Start", "StatusPush", "Submit", "SubmittedPush", "View", "Welcome",
    "ack", "control_variant", "decode_frame", "encode", "error", "http_status", "message_id",
    "parse_client_message", "parse_model", "render_protocol_doc", "validation_error",
]
