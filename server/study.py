"""Sessions made from a study file, study links, and completion codes over HTTP.

- `POST /api/sessions {"study_file": "<the study.toml text>"}` (or `python -m
  clients.python.facilitator create --study study.toml`): the file is validated
  (`game_rules.study`), turned into the session's options, and its SHA-256 and text are
  kept in the options (`study_file`), so every export records which file ran.
- A panel study (`[panel]`) is played in groups, one session per group. The study link is
  `/join?code=<the first session's code>&PROLIFIC_PID=...`: the hub seats each arrival in
  the study's open group (its waiting room, `server/waiting_room.py`), and once that group
  has started, creates the next one from the same file (same researcher token, so one
  token exports the whole study; the study's balanced assignment picks its treatment).
- `GET /api/completion` (player token, also after the session ended): the participant's
  completion status, code and redirect URL.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pydantic import ValidationError

from game_rules.study import Study, StudyError, parse_study

from . import participants
from .protocol import CreateSession, ProtocolError

if TYPE_CHECKING:
    from .interfaces import Hub, SessionActor

# errors that mean "this group takes nobody now": the arrival goes to the next group
_CLOSED = ("group_closed", "session_full", "session_ended")


def _invalid(msg: str) -> ProtocolError:
    return ProtocolError("invalid_options", msg)


def from_file(req: CreateSession) -> tuple[CreateSession, Study]:
    """The session request a study file stands for, and the parsed study."""
    extra = req.model_fields_set - {"study_file", "title"}
    if extra:
        raise _invalid(f"study_file: the file holds the session's options; give it alone (with an optional "
                       f"title), not with {', '.join(sorted(extra))}")
    try:
        st = parse_study(req.study_file)
    except StudyError as e:
        raise _invalid("study_file: " + "; ".join(e.problems)) from None
    d: dict = {"scenario": st.scenario, "study": st.name, "title": req.title or st.title,
               **st.session.model_dump(exclude_none=True)}
    if st.treatments:
        a = st.assignment
        d.update({"treatments": st.treatments, "assignment_unit": a.unit, "assignment": a.method,
                  "treatment": a.treatment, "treatment_of": a.treatment_of, "assignment_seed": a.seed})
    p = st.participants
    d.update({"labels": p.labels, "consent_text": p.consent,
              "questionnaire": [q.model_dump() for q in st.questionnaire] if st.questionnaire else None})
    if st.panel is not None:
        d["max_per_firm"] = st.panel.people_per_firm
    try:
        return CreateSession.model_validate({k: v for k, v in d.items() if v is not None}), st
    except ValidationError as e:
        raise _invalid("study_file: " + "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}"
                                                  for x in e.errors())) from None


def session_options(st: Study, text: str, firms: int, link: str) -> dict:
    """The study's entries of a session's `options` (next to the ones the request made)."""
    o: dict = {"study_file": {"name": st.name, "sha256": st.sha256, "toml": text}}
    if st.participants.instructions:
        o["instructions"] = st.participants.instructions
    if st.panel is not None:
        seats = firms * st.panel.people_per_firm
        if st.panel.min_people > seats:
            raise _invalid(f"study_file: panel.min_people: {st.panel.min_people} is more than the group's "
                           f"{seats} seat(s) ({firms} firm(s) × {st.panel.people_per_firm})")
        o["panel"] = {**st.panel.model_dump(mode="json"), "link": link}
    if st.completion is not None:
        o["completion"] = st.completion.model_dump(mode="json")
    if st.payments is not None:
        o["payments"] = st.payments.model_dump(mode="json")
    return o


# ---- study links: the next group ------------------------------------------------------------

def _lock(hub: "Hub", link: str) -> asyncio.Lock:
    return hub.link_locks.setdefault(link, asyncio.Lock())


async def open_group(hub: "Hub", link: str) -> "SessionActor":
    """The study's group that takes people now; a new one (the next group) when the last
    one has started, failed or ended."""
    last = hub.links[link]
    if hub.sessions.get(last.id) is last and last.panel_open():
        return last
    created = await hub.create_session(CreateSession(study_file=last.options["study_file"]["toml"]),
                                       link=link, researcher_hash=last.researcher_hash)
    return hub.sessions[created["session_id"]]


async def panel_join(hub: "Hub", link: str, name: str | None, label: str | None,
                     rejoin_code: str | None, **client) -> dict:
    """POST /api/join with a study link's code; `client`: what the client declared (`is_bot`,
    `language`), as for any join."""
    if label is not None:  # someone seated in a live group of this study comes back to their seat
        for a in list(hub.sessions.values()):
            if (a.panel_cfg or {}).get("link") == link and any(p.label == label for p in a.players.values()):
                return await participants.join(hub, a, name, label, rejoin_code, **client)
    async with _lock(hub, link):
        for _ in range(3):
            actor = await open_group(hub, link)
            try:
                return await participants.join(hub, actor, name, label, rejoin_code, **client)
            except ProtocolError as e:
                if e.code not in _CLOSED:
                    raise
    raise ProtocolError("group_closed", "no group of this study could take you just now; try the link again")


async def consent_elsewhere(hub: "Hub", link: str, pend: dict, hashed: str):
    """Consent given after the participant's group started, failed or ended: they are seated
    in the study's next group (where they wait for a quorum, or get their completion code)."""
    async with _lock(hub, link):
        for _ in range(3):
            a = await open_group(hub, link)
            try:
                return a, await a.call(participants._consent, a, pend, hashed, True)
            except ProtocolError as e:
                if e.code not in _CLOSED:
                    raise
    raise ProtocolError("group_closed", "no group of this study could take you just now; join again")


# ---- completion ---------------------------------------------------------------------------------
