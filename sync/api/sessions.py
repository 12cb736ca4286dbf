"""Provides the school-wide sessions and reports: a day's sessions, one zero report, the day's, the register.

The same routes and answers as a device's (`edge.api.sessions`), over every device's events; a
report names children and phones, so each read is audited. Signing is an event on the device
of the session's room: the server forwards it there (`sync.api.actions.forward`).
"""

from __future__ import annotations

import asyncio
import io
from datetime import date
from typing import Any

from aiohttp import web

from edge.api.sessions import FORMATS, LANG, SESSION_ID, XLSX
from edge.api.signing import SIGN_FIELDS
from edge.api.snapshot import session_summary
from edge.core.report import ZeroReport
from edge.files.report_format import COUNTS, as_csv, report_dict, write_xlsx
from edge.web.errors import BadRequest, NotFound, dumps
from edge.web.keys import IDENTITY
from edge.web.parse import field, fields, query, query_choice, query_date, read_json
from edge.web.routing import (
    ADMIN,
    ANY_OBJECT,
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
from sync import register
from sync.api.actions import forward
from sync.api.audit import audit
from sync.api.keys import SCHOOL


async def list_sessions(request: web.Request) -> web.Response:
    school = request.app[SCHOOL]
    now = school.clock.now()
    day = query_date(query(request, ("date",)), "date", now.date())
    found = await school.query(lambda view: [session_summary(r) for r in view.reports(day, now)])
    return web.json_response({"date": day.isoformat(), "sessions": found}, dumps=dumps)


def _formatted(reports: list[ZeroReport], fmt: str, lang: str, name: str, body: Any) -> web.Response:
    if fmt == "csv":
        return web.Response(text=as_csv(reports, lang), content_type="text/csv", charset="utf-8")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(reports, lang, buffer)
        return _xlsx(buffer.getvalue(), name)
    return web.json_response(body, dumps=dumps)


def _xlsx(data: bytes, name: str) -> web.Response:
    safe = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
    return web.Response(
        body=data, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{safe}"'}
    )


async def report(request: web.Request) -> web.Response:
    school = request.app[SCHOOL]
    params = query(request, ("format", "lang"))
    fmt, lang = query_choice(params, "format", FORMATS), query_choice(params, "lang", ("zh", "en"))
    session_id, now = request.match_info["id"], school.clock.now()
    found = await school.query(lambda view: view.report(session_id, now))
    if found is None:
        raise NotFound(
            f"no session {session_id!r}: a session id is its date, service and room, e.g. 2026-11-30.evening.r301"
        )
    await audit(request, {"session": session_id, "format": fmt})
    if fmt == "xlsx":
        buffer = io.BytesIO()
        await asyncio.to_thread(write_xlsx, [found], lang, buffer)
        return _xlsx(buffer.getvalue(), f"zero-report-{session_id}.xlsx")
    return _formatted([found], fmt, lang, "", report_dict(found))


async def daily(request: web.Request) -> web.Response:
    """The school-wide zero report of a day: every session's, the totals, and whether the day is closed."""
    school = request.app[SCHOOL]
    params = query(request, ("date", "format", "lang"))
    now = school.clock.now()
    day = query_date(params, "date", now.date())
    fmt, lang = query_choice(params, "format", FORMATS), query_choice(params, "lang", ("zh", "en"))
    reports = await school.query(lambda view: view.reports(day, now))
    await audit(request, {"daily": day.isoformat(), "format": fmt})
    totals = {name: sum(len(getattr(r, name)) for r in reports) for name in COUNTS}
    body = {
        "date": day.isoformat(),
        "sessions": [report_dict(r) for r in reports],
        "totals": totals | {"enrolled": sum(r.enrolled for r in reports)},
        "clean": all(r.clean for r in reports),
        "signed": all(r.signed for r in reports),
        # The day closes when every report is signed and no child is left waiting (edge.files.report_format).
        "closed": all(r.signed for r in reports) and totals["still_waiting"] == 0,
    }
    if fmt == "xlsx":
        buffer = io.BytesIO()
        await asyncio.to_thread(write_xlsx, reports, lang, buffer)
        return _xlsx(buffer.getvalue(), f"zero-reports-{day.isoformat()}.xlsx")
    return _formatted(reports, fmt, lang, "", body)


async def attendance(request: web.Request) -> web.Response:
    school = request.app[SCHOOL]
    params = query(request, ("from", "to", "by", "format", "lang"))
    now = school.clock.now()
    end = query_date(params, "to", now.date())
    start = query_date(params, "from", end.replace(day=1))
    if end < start or (end - start).days >= register.MAX_DAYS:
        raise BadRequest(
            f"from, to: at most {register.MAX_DAYS} days, `to` not before `from`", code="invalid_parameter"
        )
    by = query_choice(params, "by", register.GROUPINGS)
    fmt, lang = query_choice(params, "format", FORMATS), query_choice(params, "lang", ("zh", "en"))
    found = await school.query(lambda view: register.build(view, start, end, by, now))
    await audit(request, {"register": f"{start}..{end}", "by": by, "format": fmt})
    if fmt == "csv":
        return web.Response(text=register.as_csv(found, lang), content_type="text/csv", charset="utf-8")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        await asyncio.to_thread(register.write_xlsx, found, lang, buffer)
        return _xlsx(buffer.getvalue(), f"register-{by}-{start}-{end}.xlsx")
    rows = register.table(found, lang)
    return web.json_response({"from": start.isoformat(), "to": end.isoformat(), "by": by, "header": rows[0],
                              "rows": rows[1:]}, dumps=dumps)  # fmt: skip


async def sign(request: web.Request) -> web.Response:
    body = fields(await read_json(request, 64 * 1024), SIGN_FIELDS)
    field(body, "staff_id", str)
    for name in ("pin", "card_event"):
        field(body, name, str, "")
    if request[IDENTITY].role != ADMIN:
        # Forwarded with the device's admin token: a console here must still show who signs, so the
        # device checks its PIN (or its card's tap) as it would the console's own.
        body = {"pin": ""} | body
    session_id = request.match_info["id"]
    school = request.app[SCHOOL]
    now = school.clock.now()

    def room_of(view: Any) -> str | None:
        try:
            session = view.plan(date.fromisoformat(session_id[:10])).sessions.get(session_id)
        except ValueError:
            return None
        return None if session is None else str(session.room_id)

    room = await school.query(room_of)
    if room is None:
        raise NotFound(f"no session {session_id!r} on {now.date().isoformat()}")
    audited = {"session": session_id, "staff_id": body["staff_id"]}  # never the PIN
    return await forward(request, school.device_for(room), f"/api/v1/sessions/{session_id}/report/sign", body,
                         audited)  # fmt: skip


DAY = Param("date", "query", {"type": "string", "format": "date"}, "the day (today)")
FORMAT = Param("format", "query", {"type": "string", "enum": list(FORMATS)}, "json")

ROUTES = (
    Route(
        "GET",
        "/api/v1/sessions",
        list_sessions,
        roles(GUARD, TEACHER),
        "A day's sessions across the school, with their counts (no names)",
        params=(DAY,),
        responses=json_ok(
            "the sessions", obj({"date": STRING, "sessions": {"type": "array", "items": ANY_OBJECT}})
        ),
    ),
    Route(
        "GET",
        "/api/v1/sessions/{id}/report",
        report,
        roles(GUARD, TEACHER),
        "One session's zero report from every device's events (audited)",
        params=(SESSION_ID, FORMAT, LANG),
        responses={
            200: (
                "the zero report",
                {"application/json": ANY_OBJECT, "text/csv": {"type": "string"}, XLSX: {"type": "string"}},
            ),
            404: ("no such session", {}),
        },  # fmt: skip
    ),
    Route(
        "POST",
        "/api/v1/sessions/{id}/report/sign",
        sign,
        roles(TEACHER),
        "Sign a session's zero report: forwarded to the device of the session's room, recorded there",
        params=(SESSION_ID,),
        body=obj({"staff_id": TEXT}, {"pin": TEXT, "card_event": TEXT}, closed=True),
        responses=json_ok("the device's answer: the event", ANY_OBJECT, 201)
        | {
            404: ("no such session", {}),
            409: ("no device to forward to, or none with an action token", {}),
            503: ("the device did not answer; nothing was recorded", {}),
        },  # fmt: skip
    ),
    Route(
        "GET",
        "/api/v1/reports/daily",
        daily,
        roles(GUARD, TEACHER),
        "The school-wide zero report of a day: every session, the totals, closed or not (audited)",
        params=(DAY, FORMAT, LANG),
        responses={
            200: (
                "the day's reports",
                {"application/json": ANY_OBJECT, "text/csv": {"type": "string"}, XLSX: {"type": "string"}},
            )
        },  # fmt: skip
    ),
    Route(
        "GET",
        "/api/v1/reports/register",
        attendance,
        roles(TEACHER),
        "The attendance register per class or per service, a column per day (audited)",
        params=(
            Param(
                "from", "query", {"type": "string", "format": "date"}, "first day (the 1st of `to`'s month)"
            ),
            Param("to", "query", {"type": "string", "format": "date"}, "last day (today)"),
            Param("by", "query", {"type": "string", "enum": list(register.GROUPINGS)}, "class"),
            FORMAT,
            LANG,
        ),
        responses={
            200: (
                "the register",
                {"application/json": ANY_OBJECT, "text/csv": {"type": "string"}, XLSX: {"type": "string"}},
            )
        },  # fmt: skip
    ),
)
