"""Provides the upward report (上报): what leaves a school for the district, one row per session.

Pure. A row per (school, date, service, room) says how many were enrolled, present, on leave,
missing, found and still waiting, who signed and when, and how many staff were on duty; it
carries no child's name, card, phone or time of day. Names leave only when the school configures
it (`names=True`: the missing, found and waiting children's names and classes), and the signer's
name only with `signer_names=True` (otherwise her staff id). The figures are the zero report's
own buckets, so the district's numbers are the school's numbers.

Versioned: `UPWARD_VERSION` is in every row; a district reads the versions it knows and a school
raises it only when a field changes meaning (a new field added at the end keeps it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from edge.core.model import School
from edge.core.plan import DayPlan
from edge.core.projection import State
from edge.core.report import ZeroReport, zero_report

UPWARD_VERSION = 1


@dataclass(frozen=True, slots=True)
class UpwardRow:
    """One session's figures as the district receives them. `children` is empty unless names are sent."""

    school: str  # the school's code at the district (e.g. its 学校标识码)
    date: str  # ISO date
    service: str  # the service's id
    room: str  # the room's id
    service_name: str
    room_name: str
    enrolled: int
    present: int
    on_leave: int
    missing: int
    found: int  # missing at the head count, present later (turned up, or found by a guard)
    still_waiting: int  # present at the end and nobody came: at the deadline, for a day that is over
    unexplained: int  # left early, or before it began, without leave
    signed_by: str  # the signer's staff id; "" while unsigned
    signer: str  # her name, only when the school sends signers' names
    signed_at: str  # ISO 8601; "" while unsigned
    due_at: str  # when the report was due (start + the service's report_due_min)
    staff_on_duty: int
    children: tuple[tuple[str, str, str], ...] = ()  # (bucket, name, class), only with names=True
    version: int = UPWARD_VERSION

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.school, self.date, self.service, self.room)

    @property
    def on_time(self) -> bool:
        return bool(self.signed_at) and self.signed_at <= self.due_at

    def as_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["children"] = [list(child) for child in self.children]
        return row


COLUMNS = tuple(f.name for f in fields(UpwardRow))
KEY = ("school", "date", "service", "room")  # a row's identity, at the school and at the district
SCHOOL_CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")  # a school's code: it names a publication, a subscription, a slot
COUNTS = (
    "enrolled",
    "present",
    "on_leave",
    "missing",
    "found",
    "still_waiting",
    "unexplained",
    "staff_on_duty",
)
_NAMED_BUCKETS = ("missing", "found", "still_waiting")


def found_in(school: School, state: State, report: ZeroReport) -> frozenset[str]:
    """The present children whose presence began at or after the head count: they were missing then."""
    service = school.services.get(report.session.service_id)
    headcount = report.session.start + timedelta(minutes=service.missing_after_min if service else 0)
    ids = set()
    for line in report.present:
        record = state.attendance.get((report.session.id, line.id))
        if (
            record is not None
            and record.present_at
            and datetime.fromisoformat(record.present_at) >= headcount
        ):
            ids.add(line.id)
    return frozenset(ids)


def row(
    school_code: str,
    report: ZeroReport,
    *,
    found: Iterable[str] = (),
    staff_on_duty: int = 0,
    report_due_min: int = 0,
    names: bool = False,
    signer_names: bool = False,
) -> UpwardRow:
    """One report's row: counts of its buckets, and names only when asked for."""
    found_ids = frozenset(found)
    found_lines = tuple(line for line in report.present if line.id in found_ids)
    children: tuple[tuple[str, str, str], ...] = ()
    if names:
        buckets = {"missing": report.missing, "found": found_lines, "still_waiting": report.still_waiting}
        children = tuple((b, line.name, line.class_name) for b in _NAMED_BUCKETS for line in buckets[b])
    session = report.session
    return UpwardRow(
        school=school_code,
        date=session.date.isoformat(),
        service=session.service_id,
        room=session.room_id,
        service_name=report.service,
        room_name=report.room,
        enrolled=report.enrolled,
        present=len(report.present),
        on_leave=len(report.on_leave),
        missing=len(report.missing),
        found=len(found_lines),
        still_waiting=len(report.still_waiting),
        unexplained=len(report.unexplained),
        signed_by=report.signed_by,
        signer=report.signer if signer_names else "",
        signed_at=report.signed_at,
        due_at=(session.start + timedelta(minutes=report_due_min)).isoformat(),
        staff_on_duty=staff_on_duty,
        children=children,
    )


def rows(
    school_code: str,
    school: School,
    state: State,
    reports: Sequence[ZeroReport],
    *,
    staff_on_duty: Mapping[str, int] | None = None,
    names: bool = False,
    signer_names: bool = False,
) -> list[UpwardRow]:
    """The rows of a day's reports (as `SchoolView.reports` gives them), in their order.

    `staff_on_duty` counts staff per session id (the duty rota's business); a session it does not
    name counts 0.
    """
    on_duty = staff_on_duty or {}
    return [
        row(
            school_code,
            report,
            found=found_in(school, state, report),
            staff_on_duty=on_duty.get(report.session.id, 0),
            report_due_min=school.services[report.session.service_id].report_due_min
            if report.session.service_id in school.services
            else 0,
            names=names,
            signer_names=signer_names,
        )
        for report in reports
    ]


def day_rows(
    school_code: str, school: School, plan: DayPlan, state: State, now: datetime, **options: Any
) -> list[UpwardRow]:
    """Every session of a day's plan as of `now`, in the order the server lists them (start, room)."""
    ordered = sorted(plan.sessions.values(), key=lambda s: (s.start, s.room_id))
    reports = [zero_report(school, plan, state, session, now) for session in ordered]
    return rows(school_code, school, state, reports, **options)


def from_dict(data: Mapping[str, Any]) -> UpwardRow:
    """A row read back (JSON from a school's HTTP API): the fields this version knows, others ignored."""
    known = {name: data[name] for name in COLUMNS if name in data}
    known["children"] = tuple(tuple(child) for child in known.get("children", ()))
    return UpwardRow(**known)
