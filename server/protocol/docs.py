"""The generated reference, docs/protocol.md: `python -m server.protocol > docs/protocol.md`
prints it from the schemas and the error table; a test keeps the two equal."""
from __future__ import annotations

import re

from pydantic import BaseModel

from .bodies import Consent, CreateSession, ExportRequest, HttpControl, JoinSession, QuestionnaireAnswers
from .errors import ERROR_CODES
from .messages import CLIENT_MESSAGES, PROTOCOL_VERSION, SERVER_MESSAGES


_DOC_INTRO = """\
# Live protocol

*Generated from the package `server/protocol/` (messages, bodies, errors, controls) by
`python -m server.protocol > docs/protocol.md`; a test fails when the two differ. Edit the
package, then regenerate.*

One WebSocket endpoint, `/ws`. A frame is a map with a `type`: a **binary frame is
msgpack**, a **text frame is JSON**; both carry the same messages and the server answers
in the format the client used last. The **first frame must be `auth`** with a player or
facilitator token (tokens never go in a URL). The server answers `welcome` and a full
`view`, then pushes deltas.

Every command carries a client-chosen `id`; it is answered by exactly one `ack` or
`error` with that `id`, and an `ack` is sent **only after the command's events are
committed** to the event log. Re-sending an `id` (same token, even on a new socket or
after a server restart) returns the original `ack` with `duplicate: true` and applies
nothing. Every server message carries `seq`, +1 per message on that socket; on a gap
(the server drops pushes to a socket that does not keep up) or after a reconnect, send
`resync` and you get a full `view`.

Limits (server flags): frame size (`frame_too_large`), commands per second per socket
(`rate_limited`); a socket that keeps flooding or keeps sending garbage is closed with
code 1008 and a reason. Commands that carry `round` must name the current round
(`stale_round`). Refused commands change nothing.

Version: {version}.
"""


def _type_name(ann) -> str:
    s = str(ann) if not isinstance(ann, type) else ann.__name__
    s = s.replace("NoneType", "null").replace("<class '", "").replace("'>", "")
    s = re.sub(r"\b\w+\.", "", s)  # typing.Any, server.protocol.ScoringWeights -> Any, ScoringWeights
    return s.replace(" | ", " or ").replace("Literal", "one of ")


_LIMIT_WORDS = {"min_length": "at least {} chars", "max_length": "at most {} chars",
                "gt": "> {}", "ge": ">= {}", "lt": "< {}", "le": "<= {}"}


def _limits(f) -> list[str]:
    out = []
    for m in f.metadata:
        for attr, words in _LIMIT_WORDS.items():
            v = getattr(m, attr, None)
            if v is not None:
                out.append(words.format(v))
    return out


def _model_doc(name: str, model: type[BaseModel]) -> list[str]:
    out = [f"### `{name}`", "", " ".join((model.__doc__ or "").split()), "",
           "| field | type | required | notes |", "|---|---|---|---|"]
    for fname, f in model.model_fields.items():
        if fname == "type":
            continue
        notes = (f.description or "").replace("|", "/")
        limits = _limits(f)
        if limits:
            notes = (notes + " " if notes else "") + "(" + ", ".join(limits) + ")"
        out.append(f"| `{fname}` | `{_type_name(f.annotation)}` | {'yes' if f.is_required() else 'no'} | {notes} |")
    return out + [""]


def render_protocol_doc() -> str:
    lines = [_DOC_INTRO.replace("{version}", str(PROTOCOL_VERSION)), "## Client to server", ""]
    for name, model in CLIENT_MESSAGES.items():
        lines += _model_doc(name, model)
    lines += ["## Server to client", ""]
    for name, model in SERVER_MESSAGES.items():
        lines += _model_doc(name, model)
    lines += ["## HTTP request bodies", "",
              "See `/api/openapi.json` for the routes; the bodies are:", ""]
    for name, model in (("POST /api/sessions", CreateSession), ("POST /api/join", JoinSession),
                        ("POST /api/sessions/{session_id}/control", HttpControl),
                        ("POST /api/consent", Consent), ("POST /api/questionnaire", QuestionnaireAnswers),
                        ("POST /api/export", ExportRequest)):
        lines += _model_doc(name, model)
    lines += ["## Error codes", "", "| code | meaning |", "|---|---|"]
    lines += [f"| `{c}` | {m} |" for c, m in ERROR_CODES.items()]
    return "\n".join(lines) + "\n"
