"""Provides the staff attendance page (plan 5: 建立管理人员考勤名册): every rostered person's mark per post and
session day, the tap or sign-off behind it, the office's corrections, their history, and the XLSX.

`GET /office/attendance` shows a week (or `?first=…&last=…`, at most `MAX_DAYS`); `POST
/office/attendance/correct` stores a correction (status, who covered, minutes late, a reason) as a new
row (`staff_store`), refused naming what is wrong when `attendance.problem` finds it so; a tap is never
edited. `GET /office/attendance.xlsx` is `exports.attendance_workbook` of the same marks. The pay page
(`pages_pay`) reads its sessions served from `staffing` here, so the two pages cannot disagree.

Who may: the office and admin correct; duty leaders may look (they run the day and answer for who
was at her post); homeroom and duty teachers and guards may not (a colleague's lateness is not theirs).

Where the evidence comes from: the school-wide view (`SchoolView.day`), the path the day page and the
term archive read: staff cards at a reader as the day's fold collects them (`DayState.staff`, times
re-based as every event's), and each report's sign-off from the projection. Decisions where the plans
are silent:
- A staff card's room: the session its event names (a report signed, a card refused, an earlier report
  unsigned), else the room of the device's reader as that device's health says; a reader whose room
  is not known (its device not heard from since the server started) counts as the gate, which is
  enough for a duty leader or a guard but not for a teacher's room.
- A correction "covered by" someone is a cover after the fact (代班): the post is hers for that day, as
  `rota.cover` would have made it, so the person first rostered shows covered and is not paid, and
  the one covering is marked from her own taps; with none, the office's word stands for her arrival
  (on time, with the corrector and the reason), so the session moves to her in the pay.
- A duty leader's or a guard's day starts at the first start of the services the rota posts (as
  `rota.build` counts them), not of every service: a rota of evening study does not make its leaders
  late against midday care at 12:10.
- The latest correction for a person's post wins; an earlier one stays in the history.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web

from edge.core.model import School
from sync.api.keys import SCHOOL
from sync.office import exports, rota_store, staff_store
from sync.office.attendance import Correction, Mark, SignOff, StaffTap, Status, attendance, problem
from sync.office.problems import Problem
from sync.office.rota import DAY_ROLES, Role, Rota
from sync.office.rota_store import Held
from sync.office.staff_store import CorrectionRow
from sync.office.web import LANG, Refused, audit, field, need, render, see_other, text
from sync.server import SchoolServer
from sync.view import SchoolView

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_DAYS = 62  # two months on one page: a month's marks are about 40 a day for a school of 30 posts
MAX_LATE = 600


@dataclass(frozen=True, slots=True)
class Evidence:
    taps: tuple[StaffTap, ...] = ()
    signoffs: tuple[SignOff, ...] = ()


@dataclass(frozen=True, slots=True)
class Staffing:
    """The marks from `first` to `last`, and everything they were made from."""

    first: date
    last: date
    held: Held | None
    rota: Rota | None  # the stored rota with the office's covers applied
    marks: tuple[Mark, ...]
    rows: list[CorrectionRow]
    evidence: Evidence
    school: School


def _post(c: Correction | Mark) -> tuple[str, date, Role, str, str]:
    return (c.person_id, c.day, c.role, c.service_id, c.room_id)


def with_covers(rota: Rota, corrections: Iterable[Correction]) -> Rota:
    """The rota with each post whose latest correction says "covered by" held by the one covering, for the
    one first rostered there (as `rota.cover` keeps her name)."""
    latest = {_post(c): c for c in corrections}
    duties = list(rota.duties)
    for c in latest.values():
        if c.status is not Status.COVERED or not c.covered_by:
            continue
        for n, duty in enumerate(duties):
            if duty.post == (c.day, c.role, c.service_id, c.room_id) and c.person_id in (
                duty.person_id,
                duty.covers,
            ):
                first = duty.covers or duty.person_id
                duties[n] = replace(
                    duty, person_id=c.covered_by, covers="" if first == c.covered_by else first
                )
                break
    return replace(rota, duties=tuple(duties))


def staff_marks(
    rota: Rota,
    evidence: Evidence,
    school: School,
    tz: ZoneInfo,
    corrections: list[Correction],
    first: date,
    last: date,
) -> tuple[Mark, ...]:
    """The marks of `rota` (covers applied) from `first` to `last`, corrections on top; a cover after the fact
    with no tap of the one covering stands for her arrival (see the module's decisions)."""  # fmt: skip
    held = replace(rota, duties=tuple(d for d in rota.duties if first <= d.day <= last))
    # the rota's services, as rota.build counts them
    posted = {d.service_id for d in rota.duties if d.service_id}
    services = {k: s for k, s in school.services.items() if k in posted} or dict(school.services)
    marks = attendance(held, evidence.taps, evidence.signoffs, services, school.calendar, tz, corrections)
    covers = {
        (c.covered_by, c.day, c.role, c.service_id, c.room_id): c
        for c in {_post(c): c for c in corrections}.values()
        if c.status is Status.COVERED and c.covered_by
    }

    def credited(mark: Mark) -> Mark:
        cover = covers.get(_post(mark))
        if cover is None or mark.status is not Status.ABSENT or mark.corrected_by:
            return mark
        return replace(mark, status=Status.ON_TIME, corrected_by=cover.actor, reason=cover.reason)

    return tuple(credited(m) for m in marks)


def evidence(view: SchoolView, days: Iterable[date], reader_rooms: Mapping[str, str]) -> Evidence:
    """Staff cards and sign-offs on `days`, from the view's fold of each day (runs on the view's thread)."""
    taps: list[StaffTap] = []
    signoffs: list[SignOff] = []
    for day in days:
        state, plan = view.day(day), view.plan(day)
        for event in state.staff:
            session = plan.sessions.get(str(event.data.get("session", "")))
            room = session.room_id if session else reader_rooms.get(event.reader_id, "")
            taps.append(StaffTap(event.subject, event.at, room))
        for session_id, signed in state.projection.state.signoffs.items():
            session = plan.sessions.get(session_id)
            if session is not None and signed.by:
                signoffs.append(SignOff(signed.by, datetime.fromisoformat(signed.at), day, session.service_id,
                                        session.room_id))  # fmt: skip
    return Evidence(tuple(taps), tuple(signoffs))


def reader_rooms(school: SchoolServer) -> dict[str, str]:
    """Each room reader's room ("device/reader" as the view names it), from the devices' health."""
    return {
        f"{status.device}/{reader.get('id', '')}": str(reader.get("room", ""))
        for status in school.statuses.values()
        for reader in status.readers()
        if reader.get("role") == "room" and reader.get("room")
    }


def staffing_of(
    held: Held | None,
    rows: list[CorrectionRow],
    people: School,
    found: Callable[[list[date]], Evidence],
    tz: ZoneInfo,
    first: date,
    last: date,
) -> Staffing:
    """The marks from `first` to `last` of the stored rota and corrections, `found(days)` the evidence of the days."""  # fmt: skip
    if held is None:
        return Staffing(first, last, None, None, (), rows, Evidence(), people)
    corrections = [r.correction for r in rows]
    rota = with_covers(held.rota, corrections)
    evidence_found = found([d for d in rota.days if first <= d <= last])
    marks = staff_marks(rota, evidence_found, people, tz, corrections, first, last)
    return Staffing(first, last, held, rota, marks, rows, evidence_found, people)


async def staffing(request: web.Request, first: date, last: date) -> Staffing:
    """What the attendance and pay pages show: the store's rota and corrections, the view's evidence."""
    return await staffing_for(request.app[SCHOOL], first, last)


async def staffing_for(school: SchoolServer, first: date, last: date) -> Staffing:
    """The marks from `first` to `last` (also the upward report's staff on duty, sync.upward_feed)."""
    held, rows = await school.writer.run(
        lambda store: (rota_store.latest(store.db), staff_store.corrections(store.db, first, last))
    )
    rooms = reader_rooms(school)

    def made(view: SchoolView) -> Staffing:
        return staffing_of(held, rows, view.school, lambda days: evidence(view, days, rooms), school.config.timezone,
                           first, last)  # fmt: skip

    return await school.query(made)


def names(staff: Staffing) -> exports.Names:
    people = staff.school
    persons = {s.id: s.name for s in people.staff.values()}
    if staff.rota is not None:
        persons |= {p.id: p.name for p in staff.rota.people.values()}
    return exports.Names(
        services={k: s.name for k, s in people.services.items()},
        rooms={k: r.name for k, r in people.rooms.items()},
        people=persons,
    )


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _range(request: web.Request) -> tuple[date, date]:
    today = request.app[SCHOOL].clock.now().date()
    first, last = week_of(today)
    try:
        if request.query.get("first"):
            first = date.fromisoformat(request.query["first"][:10])
        if request.query.get("last"):
            last = date.fromisoformat(request.query["last"][:10])
        elif request.query.get("first"):
            last = first + timedelta(days=6)
    except ValueError:
        raise Refused(400, "office.attendance.bad_date") from None
    if last < first or (last - first).days >= MAX_DAYS:
        raise Refused(400, "office.attendance.bad_range", days=MAX_DAYS)
    return first, last


def post_key(mark: Mark | Correction) -> str:
    return "|".join((mark.person_id, mark.day.isoformat(), mark.role.value, mark.service_id, mark.room_id))


def _parse_post(value: str) -> tuple[str, date, Role, str, str] | None:
    parts = value.split("|")
    if len(parts) != 5:
        return None
    person, day, role, service, room = parts
    try:
        return (person, date.fromisoformat(day), Role(role), service, room)
    except ValueError:
        return None


def _evidence_of(staff: Staffing, mark: Mark) -> dict[str, Any] | None:
    """What the mark's arrival time is: a card at a reader (and where) or a report's sign-off."""
    if mark.arrived is None:
        return None
    tap = next(
        (t for t in staff.evidence.taps if t.person_id == mark.person_id and t.at == mark.arrived), None
    )
    if tap is not None:
        return {"kind": "tap", "at": mark.arrived, "room": tap.room_id}
    return {"kind": "sign", "at": mark.arrived, "room": mark.room_id}


async def attendance_page(
    request: web.Request,
    messages: list[str] | None = None,
    status: int = 200,
    asked: Mapping[str, str] | None = None,
) -> web.Response:
    need(request, "attendance")
    school = request.app[SCHOOL]
    first, last = _range(request) if asked is None else (date.fromisoformat(asked["first"]), date.fromisoformat(asked["last"]))  # fmt: skip
    staff = await staffing(request, first, last)
    fix = _parse_post(request.query.get("fix", "") if asked is None else asked.get("post", ""))
    fixing = next((m for m in staff.marks if fix is not None and _post(m) == fix), None)
    people = names(staff)
    return render(request, "attendance.html", {
        "first": first, "last": last, "staff": staff, "marks": staff.marks, "names": people,
        "evidence": {post_key(m): _evidence_of(staff, m) for m in staff.marks},
        "history": list(reversed(staff.rows)), "post_key": post_key, "fixing": fixing,
        "choices": sorted(people.people.items(), key=lambda kv: kv[0]), "statuses": list(Status),
        "messages": messages or [], "asked": asked or {}, "tz": school.config.timezone,
        "done": request.query.get("done", "")[:200], "day_roles": DAY_ROLES,
        "previous": week_of(first - timedelta(days=7)), "next": week_of(first + timedelta(days=7)),
    }, status=status)  # fmt: skip


async def attendance_get(request: web.Request) -> web.Response:
    return await attendance_page(request)


async def correct(request: web.Request) -> web.StreamResponse:
    user = need(request, "attendance_edit")
    school = request.app[SCHOOL]
    asked = {
        k: field(request, k, 400)
        for k in ("post", "status", "covered_by", "minutes_late", "reason", "first", "last")
    }
    post = _parse_post(asked["post"])
    try:
        first = date.fromisoformat(asked["first"])
        last = date.fromisoformat(asked["last"])
    except ValueError:
        first, last = week_of(post[1] if post else school.clock.now().date())
    asked |= {"first": first.isoformat(), "last": last.isoformat()}

    async def refused(key: str, **params: object) -> web.Response:
        return await attendance_page(request, [text(request, key, **params)], 422, asked)

    if post is None:
        return await refused("office.attendance.no_post")
    person, day, role, service, room = post
    try:
        new = Status(asked["status"])
    except ValueError:
        return await refused("office.attendance.bad_status")
    minutes = 0
    if new is Status.LATE:
        raw = asked["minutes_late"]
        if not raw.isdigit() or not 0 < int(raw) <= MAX_LATE:
            return await refused("office.attendance.bad_minutes", value=raw, most=MAX_LATE)
        minutes = int(raw)
    correction = Correction(person, day, role, new, user.name, asked["reason"][:300], service, room,
                            asked["covered_by"][:40] if new is Status.COVERED else "", minutes)  # fmt: skip
    day_staff = await staffing(request, day, day)
    if day_staff.rota is None:
        return await refused("office.rota.none")
    rota = day_staff.rota
    found = problem(rota, correction)
    if found is None and new is Status.COVERED and correction.covered_by == person:
        found = Problem("rota.cover_self", {"day": day, "name": rota.name(person)})
    if found is not None:
        return await attendance_page(request, [text(request, found.code, **found.params)], 422, asked)
    now, account = school.clock.now(), f"{user.role}:{user.username}"
    await school.writer.run(lambda store: staff_store.add_correction(store.db, correction, account, now))
    await audit(request, {"attendance_correction": post_key(correction), "status": new.value,
                          "covered_by": correction.covered_by, "minutes_late": minutes})  # fmt: skip
    done = text(request, "office.attendance.corrected", name=rota.name(person), day=day)
    raise see_other(f"/attendance?first={first}&last={last}&done={quote(done)}")


async def attendance_xlsx(request: web.Request) -> web.Response:
    need(request, "attendance")
    first, last = _range(request)
    staff = await staffing(request, first, last)
    tz, lang = request.app[SCHOOL].config.timezone, request[LANG]
    people = names(staff)

    def build() -> bytes:
        buffer = io.BytesIO()
        exports.save(exports.attendance_workbook(staff.marks, people, first, last, tz, lang), buffer)
        return buffer.getvalue()

    await audit(request, {"attendance_xlsx": f"{first}..{last}", "marks": len(staff.marks)})
    body = await asyncio.to_thread(build)
    return web.Response(body=body, content_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="staff-attendance-{first}-{last}.xlsx"'})  # fmt: skip


ROUTES = (
    ("GET", "/attendance", attendance_get),
    ("POST", "/attendance/correct", correct),
    ("GET", "/attendance.xlsx", attendance_xlsx),
)
