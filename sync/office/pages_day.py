"""Provides the day's page for duty leaders: every room's zero report, live, signed there, by date, printable
and as XLSX.

Live without a build step: the page reloads its table from `/day/table` every few seconds with a
dozen lines of our own script (`static/day.js`); without JavaScript a `<noscript>` refresh does the
same for the whole page. Signing goes the console's way: the server forwards it to the device of the
room (`sync.api.actions.forward`), and the report shows the signature once the next pull brings the
event up.
"""

from __future__ import annotations

import asyncio
import io
from datetime import date
from typing import Any
from urllib.parse import quote

import orjson
from aiohttp import web

from edge.core.report import ZeroReport
from edge.files.report_format import write_xlsx
from edge.web.errors import ApiError
from sync.api.actions import forward
from sync.api.keys import SCHOOL
from sync.office import activity_rows, pdf
from sync.office.lookups import roster
from sync.office.roles import DUTY_TEACHER
from sync.office.web import LANG, Refused, audit, field, need, render, see_other, text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(request: web.Request) -> date:
    today = request.app[SCHOOL].clock.now().date()
    try:
        return date.fromisoformat(request.query.get("date", "")) if request.query.get("date") else today
    except ValueError:
        raise Refused(400, "office.day.bad_date") from None


async def _reports(request: web.Request, day: date) -> list[ZeroReport]:
    school = request.app[SCHOOL]
    now = school.clock.now()
    reports: list[ZeroReport] = await school.query(lambda view: view.reports(day, now))
    await audit(request, {"daily": day.isoformat(), "sessions": len(reports)})
    return reports


async def _care(request: web.Request, day: date) -> dict[tuple[str, str], list[Any]]:
    """The day's care notes (看管记录) by (service, room), shown under each room's report."""
    return await request.app[SCHOOL].writer.run(lambda store: activity_rows.care_by_session(store.db, day))


def _context(request: web.Request, day: date, reports: list[ZeroReport]) -> dict[str, Any]:
    return {
        "day": day,
        "reports": reports,
        "totals": {
            "enrolled": sum(r.enrolled for r in reports),
            "present": sum(len(r.present) for r in reports),
            "on_leave": sum(len(r.on_leave) for r in reports),
            "missing": sum(len(r.missing) for r in reports),
            "signed": sum(1 for r in reports if r.signed),
        },
        "message": request.query.get("message", "")[:200],
    }


async def day_page(request: web.Request) -> web.Response:
    need(request, "day")
    day = _day(request)
    reports = await _reports(request, day)
    people = await roster(request)
    care = await _care(request, day)
    return render(request, "day.html", _context(request, day, reports) | {"care": care, "rooms": people.rooms,
                                                                         "services": people.services})  # fmt: skip


async def day_table(request: web.Request) -> web.Response:
    """The reports' table alone, for the page's script to swap in."""
    need(request, "day")
    day = _day(request)
    reports = await _reports(request, day)
    people = await roster(request)
    care = await _care(request, day)
    return render(request, "day_table.html", _context(request, day, reports) | {"care": care, "rooms": people.rooms,
                                                                               "services": people.services})  # fmt: skip


async def day_xlsx(request: web.Request) -> web.Response:
    need(request, "day")
    day = _day(request)
    reports = await _reports(request, day)
    buffer = io.BytesIO()
    await asyncio.to_thread(write_xlsx, reports, request[LANG], buffer)
    return web.Response(body=buffer.getvalue(), content_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="zero-reports-{day}.xlsx"'})  # fmt: skip


async def day_pdf(request: web.Request) -> web.Response:
    need(request, "day")
    day = _day(request)
    reports = await _reports(request, day)
    people = await roster(request)
    try:
        data = await asyncio.to_thread(
            pdf.day_pdf, reports, people.services, people.rooms, day, request[LANG]
        )
    except pdf.NoFont as missing:
        raise Refused(409, "office.day.no_font", why=str(missing)) from None
    return web.Response(body=data, content_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="zero-reports-{day}.pdf"'})  # fmt: skip


async def sign(request: web.Request) -> web.StreamResponse:
    user = need(request, "sign")
    school = request.app[SCHOOL]
    session_id = field(request, "session", 80)
    day = session_id[:10]
    try:
        plan_day = date.fromisoformat(day)
    except ValueError:
        raise Refused(404, "office.day.no_session") from None
    session = await school.query(lambda view: view.plan(plan_day).sessions.get(session_id))
    if session is None:
        raise Refused(404, "office.day.no_session")
    if user.role == DUTY_TEACHER and user.room_id != session.room_id:
        raise Refused(403, "office.day.not_your_room")
    if not user.staff_id:
        raise Refused(409, "office.day.no_staff_id")
    body = {"staff_id": user.staff_id}
    try:
        answer = await forward(request, school.device_for(session.room_id),
                               f"/api/v1/sessions/{session_id}/report/sign", body, {"session": session_id} | body)  # fmt: skip
    except ApiError as refused:  # no device, or it did not answer: said on the page, nothing recorded
        message = str(refused)
    else:
        raw = answer.body if isinstance(answer.body, bytes) else b"{}"
        found = orjson.loads(raw) if answer.status >= 300 else {}
        # The device recorded it; the puller's long-poll brings the event up within a moment.
        message = (
            text(request, "office.day.signed", session=session_id)
            if answer.status < 300
            else str(found.get("error", {}).get("message", answer.status))
        )
    raise see_other(f"/day?date={day}&message={quote(message)}")


ROUTES = (
    ("GET", "/day", day_page),
    ("GET", "/day/table", day_table),
    ("GET", "/day/reports.xlsx", day_xlsx),
    ("GET", "/day/reports.pdf", day_pdf),
    ("POST", "/day/sign", sign),
)
