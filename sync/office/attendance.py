"""Provides staff attendance per session (plan 5: 建立管理人员考勤名册) from staff-card taps, report sign-offs and the rota.

Pure: plain records in, one `Mark` per rostered person and post out; the office's corrections are
events applied on top, in order, the last one for a post winning, and never edit a tap.

Decisions where plan 5 is silent:
- A group's teacher arrives at her first tap at that room's reader from `ARRIVAL_WINDOW` (90 min)
  before the session's start to its end, or at her sign-off of its report, whichever is earlier;
  a duty leader or guard at her first tap (any reader) or sign-off that day, against the day's first
  start. On time up to start + `late_after` (5 min by default), late after it, absent without any.
- Signing without a tap counts as arriving at the signing, so a teacher who only signs is late
  (a report is due after the head count): tap the card on arrival.
- A covered post (代班) gives the person first rostered COVERED, with who covered her, and the person
  covering her own mark. Corrections name a rostered person and post (`problem` refuses the others).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from edge.core.model import Calendar, Service
from edge.core.plan import ARRIVAL_WINDOW
from edge.core.timetable import service_hours
from sync.office.problems import Problem
from sync.office.rota import DAY_ROLES, Duty, Role, Rota

LATE_AFTER = timedelta(minutes=5)


class Status(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    ABSENT = "absent"
    COVERED = "covered"


SERVED = frozenset({Status.ON_TIME, Status.LATE})  # the statuses that count as a session served (pay)


@dataclass(frozen=True, slots=True)
class StaffTap:
    """A staff card at a reader: `room_id` is "" at the gate."""

    person_id: str
    at: datetime
    room_id: str = ""


@dataclass(frozen=True, slots=True)
class SignOff:
    """A zero report signed by a person (at the room's reader or the console)."""

    person_id: str
    at: datetime
    day: date
    service_id: str
    room_id: str


@dataclass(frozen=True, slots=True)
class Correction:
    """The office's correction of one person's mark on one post, with who made it and why."""

    person_id: str
    day: date
    role: Role
    status: Status
    actor: str
    reason: str
    service_id: str = ""
    room_id: str = ""
    covered_by: str = ""  # with COVERED
    minutes_late: int = 0  # with LATE


@dataclass(frozen=True, slots=True)
class Mark:
    person_id: str
    day: date
    role: Role
    service_id: str
    room_id: str
    status: Status
    arrived: datetime | None = None
    minutes_late: int = 0
    covered_by: str = ""
    corrected_by: str = ""
    reason: str = ""

    @property
    def key(self) -> tuple[str, date, Role, str, str]:
        return (self.person_id, self.day, self.role, self.service_id, self.room_id)


def _key(c: Correction) -> tuple[str, date, Role, str, str]:
    return (c.person_id, c.day, c.role, c.service_id, c.room_id)


def _window(
    duty: Duty, services: Mapping[str, Service], calendar: Calendar, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """The post's start and end: its service's hours, or for a day role the day's first start and last end."""
    ids = [duty.service_id] if duty.service_id else sorted(services)
    hours = [h for s in ids if s in services and (h := service_hours(services[s], calendar, duty.day))]
    if not hours:
        midnight = datetime.combine(duty.day, time(0), tzinfo=tz)
        return midnight, midnight + timedelta(days=1)
    start = datetime.combine(duty.day, min(h[0] for h in hours), tzinfo=tz)
    return start, datetime.combine(duty.day, max(h[1] for h in hours), tzinfo=tz)


def _mark(
    duty: Duty,
    taps: Iterable[StaffTap],
    signoffs: Iterable[SignOff],
    window: tuple[datetime, datetime],
    tz: ZoneInfo,
    late_after: timedelta,
) -> Mark:
    start, end = window
    if duty.role in DAY_ROLES:
        seen = [t.at for t in taps if t.at.astimezone(tz).date() == duty.day]
        seen += [s.at for s in signoffs if s.day == duty.day]
    else:
        seen = [t.at for t in taps if t.room_id == duty.room_id and start - ARRIVAL_WINDOW <= t.at <= end]
        seen += [
            s.at
            for s in signoffs
            if (s.day, s.service_id, s.room_id) == (duty.day, duty.service_id, duty.room_id)
        ]
    mark = Mark(duty.person_id, duty.day, duty.role, duty.service_id, duty.room_id, Status.ABSENT)
    if not seen:
        return mark
    arrived = min(seen)
    if arrived <= start + late_after:
        return replace(mark, status=Status.ON_TIME, arrived=arrived)
    return replace(
        mark, status=Status.LATE, arrived=arrived, minutes_late=int((arrived - start).total_seconds() // 60)
    )


def attendance(
    rota: Rota,
    taps: Iterable[StaffTap],
    signoffs: Iterable[SignOff],
    services: Mapping[str, Service],
    calendar: Calendar,
    tz: ZoneInfo,
    corrections: Iterable[Correction] = (),
    late_after: timedelta = LATE_AFTER,
) -> tuple[Mark, ...]:
    """One mark for every rostered (person, post) of the rota, corrections applied, by day and post."""
    taps_of: dict[str, list[StaffTap]] = {}
    for tap in taps:
        taps_of.setdefault(tap.person_id, []).append(tap)
    signed_by: dict[str, list[SignOff]] = {}
    for signoff in signoffs:
        signed_by.setdefault(signoff.person_id, []).append(signoff)
    marks: dict[tuple[str, date, Role, str, str], Mark] = {}
    for duty in rota.duties:
        window = _window(duty, services, calendar, tz)
        mark = _mark(
            duty, taps_of.get(duty.person_id, ()), signed_by.get(duty.person_id, ()), window, tz, late_after
        )
        marks.setdefault(mark.key, mark)
        if duty.covers:
            covered = Mark(duty.covers, duty.day, duty.role, duty.service_id, duty.room_id, Status.COVERED,
                           covered_by=duty.person_id)  # fmt: skip
            marks[covered.key] = covered
    for correction in corrections:
        found = marks.get(_key(correction))
        if found is not None:
            marks[found.key] = replace(
                found,
                status=correction.status,
                minutes_late=correction.minutes_late if correction.status is Status.LATE else 0,
                covered_by=correction.covered_by if correction.status is Status.COVERED else "",
                corrected_by=correction.actor,
                reason=correction.reason,
            )
    return tuple(sorted(marks.values(), key=lambda m: (m.day, m.role, m.service_id, m.room_id, m.person_id)))


def problem(rota: Rota, correction: Correction) -> Problem | None:
    """Why the office's correction cannot be taken (a post she does not hold, a cover without a name), or None."""
    held = {
        (who, d.day, d.role, d.service_id, d.room_id)
        for d in rota.duties
        for who in (d.person_id, d.covers)
        if who
    }
    params = {"name": rota.name(correction.person_id), "day": correction.day}
    if _key(correction) not in held:
        return Problem("rota.attendance.refused.not_rostered", params)
    if correction.status is Status.COVERED and correction.covered_by not in rota.people:
        return Problem("rota.attendance.refused.covered_by", params)
    if not correction.reason.strip():
        return Problem("rota.attendance.refused.reason", params)
    return None
