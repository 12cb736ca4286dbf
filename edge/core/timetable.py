"""Provides the timetable: when each service runs, its sessions per room, who is expected and who is excused.

Pure functions of the school model; time is always a parameter, the clock is never read.

Decisions the rules leave open:
- A make-up day (调休) is a working day for everyone, so every service, day care included, looks
  its rules up by the weekday the make-up day follows; any other date uses its real weekday.
- Term-time services stop outside the calendar's terms (when it has any); day care does not.
- When several rules match a date, the latest `valid_from` wins; on a tie, the first in `rules`.
- Enrolments naming a service the school does not have are ignored; a room id is taken as the
  enrolment gives it, whether or not `school.rooms` lists it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from edge.core.model import Calendar, Leave, School, Service, Session, TimeRule

_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def parse_hhmm(text: str) -> time:
    """Parse "18:15" or "8:30" (surrounding spaces allowed) into a time; ValueError otherwise."""
    match = _HHMM.fullmatch(text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"not a time of day (HH:MM): {text!r}")
    return time(int(match[1]), int(match[2]))


def service_hours(service: Service, calendar: Calendar, day: date) -> tuple[time, time] | None:
    """The service's start and end on `day`, or None when it does not run that day."""
    if day in calendar.holidays:
        return None
    is_makeup = day in calendar.makeup_days
    if service.school_days_only and (not calendar.in_term(day) or (day.weekday() >= 5 and not is_makeup)):
        return None
    weekday = calendar.makeup_days[day] if is_makeup else day.weekday()
    best: TimeRule | None = None
    for rule in service.rules:
        if rule.valid_from <= day <= rule.valid_to and weekday in rule.weekdays:
            if best is None or rule.valid_from > best.valid_from:
                best = rule
    return None if best is None else (best.start, best.end)


def _session(service: Service, room_id: str, day: date, hours: tuple[time, time], tz: ZoneInfo) -> Session:
    return Session(
        id=f"{day.isoformat()}.{service.id}.{room_id}",
        service_id=service.id,
        room_id=room_id,
        date=day,
        start=datetime.combine(day, hours[0], tzinfo=tz),
        end=datetime.combine(day, hours[1], tzinfo=tz),
        dismissal=service.dismissal,
    )


def sessions_on(school: School, day: date, tz: ZoneInfo) -> list[Session]:
    """Every session on `day`: one per running service and room with an enrolment active that day.

    One pass over the enrolments; sorted by (start, service id, room id).
    """
    hours = {
        service.id: found
        for service in school.services.values()
        if (found := service_hours(service, school.calendar, day)) is not None
    }
    pairs = {
        (e.service_id, e.room_id)
        for e in school.enrolments
        if e.service_id in hours and e.valid_from <= day <= e.valid_to
    }
    sessions = [
        _session(school.services[service_id], room_id, day, hours[service_id], tz)
        for service_id, room_id in pairs
    ]
    sessions.sort(key=lambda s: (s.start, s.service_id, s.room_id))
    return sessions


def session_by_id(school: School, session_id: str, tz: ZoneInfo) -> Session | None:
    """Rebuild the session named `session_id` ("YYYY-MM-DD.service.room"), or None if it does not exist.

    A malformed id is None too. Service ids may contain dots: every service whose id prefixes the
    rest is tried, so the id is unambiguous as long as the session exists for only one reading.
    """
    day_text, dot, rest = session_id.partition(".")
    if not dot:
        return None
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return None
    if day.isoformat() != day_text:  # fromisoformat also takes "20261009"; ids are always extended form
        return None
    for service in school.services.values():
        prefix = f"{service.id}."
        if not rest.startswith(prefix):
            continue
        room_id = rest[len(prefix) :]
        hours = service_hours(service, school.calendar, day)
        if hours is None:
            continue
        if any(
            e.service_id == service.id and e.room_id == room_id and e.valid_from <= day <= e.valid_to
            for e in school.enrolments
        ):
            return _session(service, room_id, day, hours, tz)
    return None


def expected_students(school: School, session: Session) -> list[str]:
    """Sorted ids of the students enrolled in the session's service and room on its date.

    Filters all enrolments on each call (linear in their number, a few thousand): callers that need
    every room of a day should group one pass themselves. Leave is not considered here; see on_leave.
    """
    day = session.date
    return sorted(
        {
            e.student_id
            for e in school.enrolments
            if e.service_id == session.service_id
            and e.room_id == session.room_id
            and e.valid_from <= day <= e.valid_to
        }
    )


def on_leave(school: School, student_id: str, session: Session) -> Leave | None:
    """The leave excusing the student from the session (the first in `school.leave` that does), or None."""
    for leave in school.leave:
        if (
            leave.student_id == student_id
            and leave.valid_from <= session.date <= leave.valid_to
            and leave.service_id in ("", session.service_id)
        ):
            return leave
    return None
