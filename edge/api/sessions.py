"""Provides the sessions and zero reports: list a day's sessions, read one report (JSON, CSV, XLSX), sign it.

Listing gives counts only; a report names children and guardians' phones, so reading one is
audited. Signing is an event with the actor (the teacher's token), like a staff card's tap.
"""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime

from aiohttp import web

from edge.api.audit import audit
from edge.api.keys import CONFIG, SERVICE
from edge.api.signing import sign, signers
from edge.api.snapshot import as_of, reports, session_summary
from edge.core.model import School
from edge.core.places import reader_label
from edge.core.report import ZeroReport, zero_report
from edge.device.config import EdgeConfig
from edge.device.recorder import View
from edge.files.report_format import as_csv, report_dict, write_xlsx
from edge.web.errors import NotFound, dumps
from edge.web.parse import query, query_choice, query_date
from edge.web.routing import (
    ANY_OBJECT,
    EVENT,
    GUARD,
    STRING,
    TEACHER,
    TEXT,
    Param,
    Route,
    json_ok,
    obj,
    roles,
)

FORMATS = ("json", "csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def list_sessions(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    now = service.clock.now()
    day = query_date(query(request, ("date",)), "date", now.date())
    found = await service.recorder.query(lambda view: [session_summary(r) for r in reports(view, day, now)])
    return web.json_response({"date": day.isoformat(), "sessions": found}, dumps=dumps)


async def report(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    params = query(request, ("format", "lang"))
    fmt, lang = query_choice(params, "format", FORMATS), query_choice(params, "lang", ("zh", "en"))
    session_id = request.match_info["id"]
    now = service.clock.now()
    found, school = await service.recorder.query(lambda view: (_report(view, session_id, now), view.school))
    await audit(request, {"session": session_id, "format": fmt})
    places = reader_names(request.app[CONFIG], school, lang)
    if fmt == "csv":
        return web.Response(text=as_csv([found], lang, places), content_type="text/csv", charset="utf-8")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        await asyncio.to_thread(write_xlsx, [found], lang, buffer, places)  # openpyxl takes ~0.2 s: off the loop
        safe = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in session_id)
        name = f"zero-report-{safe}.xlsx"  # a header carries Latin-1 only, and no quotes
        return web.Response(body=buffer.getvalue(), content_type=XLSX,
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
    return web.json_response(report_dict(found) | {"signers": signers(school)}, dumps=dumps)


def reader_names(config: EdgeConfig, school: School, lang: str) -> dict[str, str]:
    """Reader id -> the name people read (东门入口, 301教室门口), for the CSV and XLSX a person opens."""
    rooms = {room_id: room.name for room_id, room in school.rooms.items()}
    return {r.spec.id: reader_label(r.place.role.value, rooms.get(r.place.room_id, r.place.room_id), r.name, lang)
            for r in config.readers}  # fmt: skip


def _report(view: View, session_id: str, now: datetime) -> ZeroReport:
    try:
        day = date.fromisoformat(session_id[:10])
    except ValueError:
        raise NotFound(
            f"no session {session_id!r}: a session id starts with its date, e.g. 2026-11-30.evening.r301"
        ) from None
    session = view.plan(day).sessions.get(session_id)
    if session is None:
        raise NotFound(f"no session {session_id!r} on {day.isoformat()}")
    return zero_report(view.school, view.plan(day), view.projection.state, session, as_of(day, now))


SESSION_ID = Param(
    "id", "path", {"type": "string", "examples": ["2026-11-30.evening.r301"]}, "DATE.SERVICE.ROOM", required=True
)
LANG = Param("lang", "query", {"type": "string", "enum": ["zh", "en"]}, "language of CSV and XLSX headings (zh)")
SESSIONS = obj({"date": STRING, "sessions": {"type": "array", "items": ANY_OBJECT}})

ROUTES = (
    Route(
        "GET",
        "/api/v1/sessions",
        list_sessions,
        roles(GUARD, TEACHER),
        "A day's sessions with their counts (no names)",
        params=(Param("date", "query", {"type": "string", "format": "date"}, "the day (today)"),),
        responses=json_ok("the sessions", SESSIONS),
    ),
    Route(
        "GET",
        "/api/v1/sessions/{id}/report",
        report,
        roles(GUARD, TEACHER),
        "One session's zero report (audited: it names children and phones)",
        params=(SESSION_ID, Param("format", "query", {"type": "string", "enum": list(FORMATS)}, "json"), LANG),
        responses={
            200: (
                "the zero report",
                {"application/json": ANY_OBJECT, "text/csv": {"type": "string"}, XLSX: {"type": "string"}},
            ),
            404: ("no such session", {}),
        },
    ),
    Route(
        "POST",
        "/api/v1/sessions/{id}/report/sign",
        sign,
        # A guard may sign too: at the gate console the duty teacher gives their staff id (the
        # signer is that staff member, the token only the actor), as their card would at the door.
        roles(GUARD, TEACHER),
        "Sign a session's zero report as a staff member, who shows it with their PIN or their staff card's tap "
        "(`pin` or `card_event`; an admin token, the office's page behind its own sign-in, may leave both out)",
        params=(SESSION_ID,),
        body=obj({"staff_id": TEXT}, {"pin": TEXT, "card_event": TEXT}, closed=True),
        responses=json_ok("signed: the event", obj({"accepted": {"type": "boolean"}, "event": EVENT}), 201)
        | {404: ("no such session today", {}),
           422: ("an unknown staff member, or no proof: refusal code pin_required, pin_wrong, pin_locked, pin_not_set", {}),
           507: ("the device's storage is full: not signed (it records again once space is back)", {})},
    ),
)
