"""Provides the activities page: a group's weekly record (plan 6), the duty teacher's care notes (plans 3/4),
the office's list of weeks not yet filed, and each group's term archive as PDF and XLSX.

Who sees what: a teacher (homeroom or duty) sees and files only the groups whose responsible
teacher she is (her account's staff id is the group's teacher); the office sees every group, the
weeks not yet filed with the teacher to ask, and downloads the archives. A duty teacher writes
care notes for today's sessions in her room. The rules are `sync.office.activities`'; every
filing and note is in the audit log, and so is every archive read (it names children).

Decisions where the plans are silent:
- The term is the calendar's term holding today; between terms, the one just ended (its archive
  is what the office wants then); with no terms in the calendar, September–January or February–August.
- A week is due for a group when its service ran on a day of it up to today (a holiday week is
  not); the current week counts as soon as the service has run in it, so the office's list shrinks
  the moment a teacher files.
- Only the group's teacher files (the office reads; plan 6: 班主任每周填写). A correction is left
  to the office's database for now: a second filing of a week is refused, as the rules say.
- Until a rota reaches the server, a care note is taken from the duty teacher of the room.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote

from aiohttp import web

from edge.core.model import Calendar, School, Session
from edge.core.report import ZeroReport, zero_report
from sync.api.keys import SCHOOL
from sync.office import activity_rows, exports, pdf, pdf_archive
from sync.office.accounts import User
from sync.office.activities import (
    MAX_TEXT,
    ActivityRecord,
    Archive,
    CareNote,
    Category,
    Group,
    IsoWeek,
    Missing,
    Term,
    check_care_note,
    check_record,
    missing_records,
    service_weeks,
    summarise_attendance,
    term_archive,
    term_weeks,
)
from sync.office.lookups import roster
from sync.office.roles import school_wide
from sync.office.web import LANG, Refused, audit, field, form, need, render, see_other, text
from sync.view import SchoolView, as_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_WEEK = re.compile(r"(\d{4})-W(\d{2})")


def term_of(calendar: Calendar, day: date) -> Term:
    """The calendar's term holding `day`; between terms the one just ended; else the school year's half."""
    started = sorted(t for t in calendar.terms if t[0] <= day)
    if started:
        return next((t for t in started if day <= t[1]), started[-1])
    if day.month >= 9:
        return date(day.year, 9, 1), date(day.year + 1, 1, 31)
    if day.month == 1:
        return date(day.year - 1, 9, 1), date(day.year, 1, 31)
    return date(day.year, 2, 1), date(day.year, 8, 31)


def due_weeks(people: School, group: Group, first: date, last: date) -> tuple[IsoWeek, ...]:
    service = people.services.get(group.service_id)
    return service_weeks(service, people.calendar, first, last) if service and first <= last else ()


@dataclass(frozen=True, slots=True)
class State:
    people: School
    groups: list[Group]  # every group of the school
    seen: list[Group]  # the user's (every group for the office)
    fileable: list[Group]  # those she is the responsible teacher of
    term: Term
    today: date
    records: list[ActivityRecord]

    @property
    def upto(self) -> date:
        return min(self.term[1], self.today)


def _own(user: User, group: Group) -> bool:
    return bool(user.staff_id) and group.teacher_id == user.staff_id


async def _state(request: web.Request, user: User) -> State:
    school = request.app[SCHOOL]
    people = await roster(request)
    today = school.clock.now().date()
    formations, records = await school.writer.run(
        lambda store: (activity_rows.formed(store.db), activity_rows.records(store.db))
    )
    groups = activity_rows.groups(people, formations)
    seen = groups if school_wide(user.role) else [g for g in groups if _own(user, g)]
    return State(people, groups, seen, [g for g in groups if _own(user, g)], term_of(people.calendar, today),
                 today, records)  # fmt: skip


def _not_filed(state: State) -> list[tuple[IsoWeek, list[Missing]]]:
    """The office's list: for each week (newest first), the groups with no record and their teachers."""
    by_week: dict[IsoWeek, list[Missing]] = defaultdict(list)
    first = state.term[0]
    for group in state.seen:
        for missing in missing_records(
            [group], due_weeks(state.people, group, first, state.upto), state.records
        ):
            by_week[missing.week].append(missing)
    return sorted(by_week.items(), key=lambda pair: pair[0], reverse=True)


async def _page(
    request: web.Request, problems: list[str] | None = None, status: int = 200, message: str = ""
) -> web.Response:
    user = need(request, "activities")
    school = request.app[SCHOOL]
    state = await _state(request, user)
    first, _ = state.term
    seen_ids = {g.id for g in state.seen}
    sessions: list[Session] = []
    notes: list[CareNote] = []
    if user.role == "duty_teacher" and user.room_id:
        today = state.today
        sessions = await school.query(lambda view: sorted(
            (s for s in view.plan(today).sessions.values() if s.room_id == user.room_id), key=lambda s: s.start))  # fmt: skip
        notes = await school.writer.run(
            lambda store: activity_rows.care_notes(store.db, today, today, user.room_id)
        )
    asked = form(request) if request.method == "POST" and problems else None
    return render(request, "activities.html", {
        "state": state, "first": first, "last": state.term[1],
        "records": sorted((r for r in state.records if r.group_id in seen_ids), key=lambda r: (r.week, r.group_id),
                          reverse=True),
        "group_names": {g.id: g.name for g in state.groups},
        "weeks": list(reversed(term_weeks(first, state.upto))) if first <= state.upto else [],
        "this_week": IsoWeek.of(state.today),
        "categories": list(Category),
        "not_filed": _not_filed(state) if school_wide(user.role) else [],
        "sessions": sessions, "notes": notes, "services": state.people.services, "rooms": state.people.rooms,
        "problems": problems or [], "message": message or request.query.get("message", "")[:200],
        "asked": {"group": asked.get("group", ""), "week": asked.get("week", ""), "text": asked.get("text", ""),
                  "categories": asked.getall("category", []), "care": asked.get("care", "")} if asked else None,
        "week_label": lambda w: exports.week_label(w, request[LANG]), "max_text": MAX_TEXT,
    }, status=status)  # fmt: skip


async def activities_page(request: web.Request) -> web.Response:
    return await _page(request)


def _week(value: str) -> IsoWeek | None:
    found = _WEEK.fullmatch(value)
    if not found:
        return None
    try:
        week = IsoWeek(int(found[1]), int(found[2]))
        week.monday  # noqa: B018 (checks it exists: week 53 only in some years)
    except ValueError:
        return None
    return week


async def file_record(request: web.Request) -> web.StreamResponse:
    user = need(request, "activities")
    school = request.app[SCHOOL]
    state = await _state(request, user)
    group = next((g for g in state.fileable if g.id == field(request, "group", 80)), None)
    if group is None:
        raise Refused(403, "office.forbidden")  # not her group, or none: the same answer
    week = _week(field(request, "week", 10))
    if week is None:
        return await _page(request, [text(request, "activities.page.bad_week")], 422)
    categories = tuple(str(c)[:20] for c in form(request).getall("category", [])[:20])
    record = ActivityRecord(group.id, week, user.staff_id, user.name, categories,
                            field(request, "text", MAX_TEXT + 1), state.today)  # fmt: skip
    problems = check_record(record, state.groups, state.term, state.records)
    if not problems:
        now, actor = school.clock.now(), f"{user.role}:{user.username}"
        try:
            await school.writer.run(lambda store: activity_rows.add_record(store.db, record, actor, now))
        except activity_rows.Duplicate:  # filed meanwhile, in another tab
            problems = check_record(record, state.groups, state.term, [record])
    if problems:
        return await _page(request, [p.text(request[LANG]) for p in problems], 422)
    await audit(request, {"activity_record": group.id, "week": str(week), "categories": list(categories),
                          "chars": len(record.text)})  # fmt: skip
    done = text(
        request, "activities.page.filed", group=group.name, week=exports.week_label(week, request[LANG])
    )
    raise see_other(f"/activities?message={quote(done)}")


async def add_care_note(request: web.Request) -> web.StreamResponse:
    user = need(request, "care_note")
    school = request.app[SCHOOL]
    session_id = field(request, "session", 80)
    try:
        day = date.fromisoformat(session_id[:10])
    except ValueError:
        raise Refused(404, "office.day.no_session") from None
    session = await school.query(lambda view: view.plan(day).sessions.get(session_id))
    if session is None:
        raise Refused(404, "office.day.no_session")
    if session.room_id != user.room_id:
        raise Refused(403, "office.day.not_your_room")
    now = school.clock.now()
    people = await roster(request)
    note = CareNote(session.date, session.service_id, session.room_id, user.staff_id or user.username, user.name,
                    now, field(request, "care", MAX_TEXT + 1))  # fmt: skip
    problems = check_care_note(note)
    if problems:
        place = people.rooms[session.room_id].name if session.room_id in people.rooms else session.room_id
        return await _page(
            request, [text(request, p.code, **{**p.params, "room": place}) for p in problems], 422
        )
    actor = f"{user.role}:{user.username}"
    await school.writer.run(lambda store: activity_rows.add_care_note(store.db, note, actor))
    await audit(request, {"care_note": session_id, "chars": len(note.text)})
    raise see_other(f"/activities?message={quote(text(request, 'activities.care.added'))}")


# -- the term archive ------------------------------------------------------------------------------


def group_reports(view: SchoolView, group: Group, first: date, last: date, now: datetime) -> list[ZeroReport]:
    """The group's zero reports from `first` to `last`, by day and start (only its own sessions computed)."""
    found, day = [], first
    while day <= last:
        plan = view.plan(day)
        ours = sorted((s for s in plan.sessions.values()
                       if (s.service_id, s.room_id) == (group.service_id, group.room_id)), key=lambda s: s.start)  # fmt: skip
        if ours:
            state = view.day(day).projection.state
            found += [zero_report(view.school, plan, state, s, as_of(day, now)) for s in ours]
        day += timedelta(days=1)
    return found


async def _archive(request: web.Request) -> tuple[Archive, exports.Names]:
    user = need(request, "archive")
    school = request.app[SCHOOL]
    state = await _state(request, user)
    group = next((g for g in state.seen if g.id == request.query.get("group", "")), None)
    if group is None:
        raise Refused(404, "activities.page.no_group")
    (first, last), upto, now = state.term, state.upto, school.clock.now()
    reports = await school.query(lambda view: group_reports(view, group, first, upto, now))
    notes = await school.writer.run(
        lambda store: activity_rows.care_notes(store.db, first, last, group.room_id)
    )
    people = state.people
    archive = term_archive(group, state.term, state.records, summarise_attendance(reports), reports, notes,
                           weeks=due_weeks(people, group, first, upto))  # fmt: skip
    names = exports.Names(
        services={k: s.name for k, s in people.services.items()},
        rooms={k: r.name for k, r in people.rooms.items()},
        people={k: s.name for k, s in people.staff.items()},
    )
    await audit(request, {"archive": group.id, "term": f"{first}..{last}",
                          "students": [c.student_id for c in archive.attendance]})  # fmt: skip
    return archive, names


def _download(body: bytes, kind: str, archive: Archive, suffix: str) -> web.Response:
    name = f"archive-{archive.group.id}-{archive.first}.{suffix}"
    local = quote(f"{archive.group.name}-{archive.first}.{suffix}")
    return web.Response(body=body, content_type=kind, headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{local}"})  # fmt: skip


async def archive_xlsx(request: web.Request) -> web.Response:
    archive, names = await _archive(request)
    tz, lang = request.app[SCHOOL].config.timezone, request[LANG]

    def build() -> bytes:
        buffer = io.BytesIO()
        exports.save(exports.archive_workbook(archive, names, tz, lang), buffer)
        return buffer.getvalue()

    return _download(await asyncio.to_thread(build), XLSX, archive, "xlsx")


async def archive_pdf(request: web.Request) -> web.Response:
    archive, names = await _archive(request)
    tz, lang = request.app[SCHOOL].config.timezone, request[LANG]
    try:
        data = await asyncio.to_thread(pdf_archive.archive_pdf, archive, names, tz, lang)
    except pdf.NoFont as missing:
        raise Refused(409, "office.day.no_font", why=str(missing)) from None
    return _download(data, "application/pdf", archive, "pdf")


ROUTES = (
    ("GET", "/activities", activities_page),
    ("POST", "/activities", file_record),
    ("POST", "/activities/care", add_care_note),
    ("GET", "/activities/archive.pdf", archive_pdf),
    ("GET", "/activities/archive.xlsx", archive_xlsx),
)
