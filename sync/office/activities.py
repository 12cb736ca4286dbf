"""Provides the weekly activity records (plan 6), the care notes (plans 3/4) and a group's term archive, as plain data.

Plan 6: 班主任每周填写活动记录,期末上交学校存档 — each week the responsible teacher of a group (书法, 写作,
阅读, 口语辅导, 绘画 …) writes what it did, in plan 1's content categories (课业指导、答疑解惑、体育、艺术、
劳动、科普、阅读); the office sees who has not. Plans 3/4: 看管教师要做好看管记录 — the duty teacher
writes a free-text note for her session and room. At term end one archive per group gathers the
records, each child's attendance, the zero reports with who signed them and the care notes.

Pure: records in, problems (catalogue keys, `sync.office.problems`) and ordered data out; no clock
(the date written is a field), no store, no prose. Decisions where the plans are silent:
- A week is an ISO week (Monday to Sunday, `IsoWeek`); a group files one record a week. A second
  one for the same group and week is refused as a duplicate: a correction replaces the stored one
  in the office's store, it does not add a second.
- A week belongs to a term when one of its days lies in the term; a record may not be written
  before its week begins (its Monday), and may be written any time after (late filing is shown,
  not refused: `ActivityRecord.late`, after the Sunday of the following week).
- A record names one to seven categories (no repeats), a teacher and some text (at most
  `MAX_TEXT` characters: a week's record is a paragraph, not a file).
- A care note is append-only: a duty teacher may add several to one session (a later one adds,
  never edits) and they are shown in the order written. With the rota at hand, a note is taken
  only from the person on duty for that group that day (after swaps and covers).
- A child's attendance over the term is counted from the group's zero reports: sessions expected,
  present (late included), late, on leave, missing, left early; `other` is the rest (not yet
  arrived when the report was taken, or gone from the gate before reaching the room).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from edge.core.model import Calendar, Service
from edge.core.pinyin import sort_key
from edge.core.report import StudentLine, ZeroReport
from edge.core.timetable import service_hours
from sync.office.problems import Problem
from sync.office.rota import Rota, on_duty

MAX_TEXT = 2000  # characters in a week's record or a care note

Term = tuple[date, date]


class Category(StrEnum):
    """Plan 1's content of after-school service, in the plan's order."""

    TUTORING = "tutoring"  # 课业指导
    QUESTIONS = "questions"  # 答疑解惑
    SPORTS = "sports"  # 体育
    ARTS = "arts"  # 艺术
    LABOUR = "labour"  # 劳动
    SCIENCE = "science"  # 科普
    READING = "reading"  # 阅读


_CATEGORY_ORDER = {c.value: n for n, c in enumerate(Category)}

# Plan 6's groups, for a school starting out; the office names its own (a group is a service and a room).
PLAN_GROUPS = ("书法", "写作", "阅读", "口语辅导", "绘画")


@dataclass(frozen=True, slots=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def overlaps(self, first: date, last: date) -> bool:
        return self.monday <= last and self.sunday >= first

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


@dataclass(frozen=True, slots=True)
class Group:
    """An activity group (书法, 阅读 …): one service in one room, with its responsible teacher."""

    id: str
    name: str
    service_id: str
    room_id: str
    teacher_id: str = ""
    teacher: str = ""  # her name, for the office's lists


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """What a group did in one week, written by its teacher on `written_on`."""

    group_id: str
    week: IsoWeek
    teacher_id: str
    teacher: str
    categories: tuple[str, ...]  # Category values; strings so that a form's bad value can be named
    text: str
    written_on: date

    @property
    def late(self) -> bool:
        """Written after the Sunday of the following week."""
        return self.written_on > self.week.sunday + timedelta(days=7)

    @property
    def ordered_categories(self) -> tuple[Category, ...]:
        known = {c for c in self.categories if c in _CATEGORY_ORDER}
        return tuple(sorted((Category(c) for c in known), key=lambda c: _CATEGORY_ORDER[c.value]))


@dataclass(frozen=True, slots=True)
class CareNote:
    """A duty teacher's note on one session in one room (看管记录), with who wrote it and when."""

    day: date
    service_id: str
    room_id: str
    author_id: str
    author: str
    written_at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class Missing:
    """A week a group has no record for, with the group (and so its teacher) to ask."""

    group: Group
    week: IsoWeek

    @property
    def problem(self) -> Problem:
        """The line the office reads: "书法:2026-W49 未填写活动记录(责任教师 陈老师)"."""
        teacher = self.group.teacher or self.group.teacher_id
        return Problem(
            "activities.missing", {"group": self.group.name, "week": str(self.week), "teacher": teacher}
        )


def term_weeks(first: date, last: date) -> tuple[IsoWeek, ...]:
    """Every ISO week with a day from `first` to `last`, in order."""
    weeks, day = [], first - timedelta(days=first.weekday())
    while day <= last:
        weeks.append(IsoWeek.of(day))
        day += timedelta(days=7)
    return tuple(weeks)


def service_weeks(service: Service, calendar: Calendar, first: date, last: date) -> tuple[IsoWeek, ...]:
    """The weeks of the term in which `service` runs at least once (a holiday week is not due)."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return tuple(sorted({IsoWeek.of(d) for d in days if service_hours(service, calendar, d) is not None}))


def check_record(
    record: ActivityRecord, groups: Iterable[Group], term: Term, filed: Iterable[ActivityRecord] = ()
) -> tuple[Problem, ...]:
    """Why the record cannot be filed: an unknown group or category, a week outside the term, a duplicate …"""
    first, last = term
    params: dict[str, object] = {"week": str(record.week), "group": record.group_id}
    found = []
    names = {g.id: g.name for g in groups}
    if record.group_id not in names:
        found.append(Problem("activities.refused.group", params))
    else:
        params["group"] = names[record.group_id]
    if not record.week.overlaps(first, last):
        found.append(Problem("activities.refused.outside_term", {**params, "first": first, "last": last}))
    if record.written_on < record.week.monday:
        found.append(Problem("activities.refused.early", {**params, "written": record.written_on}))
    if not record.categories:
        found.append(Problem("activities.refused.no_category", params))
    for category in record.categories:
        if category not in _CATEGORY_ORDER:
            found.append(Problem("activities.refused.category", {**params, "category": category}))
    if len(set(record.categories)) != len(record.categories):
        found.append(Problem("activities.refused.category_twice", params))
    if not record.teacher_id.strip():
        found.append(Problem("activities.refused.teacher", params))
    if not record.text.strip():
        found.append(Problem("activities.refused.empty", params))
    elif len(record.text) > MAX_TEXT:
        found.append(Problem("activities.refused.too_long", {**params, "limit": MAX_TEXT}))
    if any((r.group_id, r.week) == (record.group_id, record.week) for r in filed):
        found.append(Problem("activities.refused.duplicate", params))
    return tuple(found)


def missing_records(
    groups: Sequence[Group], weeks: Iterable[IsoWeek], records: Iterable[ActivityRecord]
) -> tuple[Missing, ...]:
    """Each (group, week) of `groups` × `weeks` without a record, by group (as given) and week."""
    filed = {(r.group_id, r.week) for r in records}
    chosen = sorted(set(weeks))
    return tuple(Missing(g, w) for g in groups for w in chosen if (g.id, w) not in filed)


def check_care_note(note: CareNote, rota: Rota | None = None) -> tuple[Problem, ...]:
    """Why the note cannot be taken: no text, too long, written before its day, not by the teacher on duty."""
    params = {"day": note.day, "room": note.room_id, "name": note.author or note.author_id}
    found = []
    if not note.text.strip():
        found.append(Problem("activities.care.refused.empty", params))
    elif len(note.text) > MAX_TEXT:
        found.append(Problem("activities.care.refused.too_long", {**params, "limit": MAX_TEXT}))
    if note.written_at.date() < note.day:
        found.append(Problem("activities.care.refused.early", params))
    if rota is not None:
        person = on_duty(rota, note.day, note.service_id, note.room_id)
        if person is None or person.id != note.author_id:
            duty = {**params, "on_duty": person.name if person else ""}
            found.append(
                Problem(
                    "activities.care.refused.not_on_duty" if person else "activities.care.refused.no_duty",
                    duty,
                )
            )
    return tuple(found)


def care_notes_for(
    notes: Iterable[CareNote], day: date, service_id: str, room_id: str
) -> tuple[CareNote, ...]:
    """The notes on one session and room, in the order written (for its zero report)."""
    return tuple(
        sorted(
            (n for n in notes if (n.day, n.service_id, n.room_id) == (day, service_id, room_id)),
            key=lambda n: (n.written_at, n.author_id),
        )
    )


@dataclass(frozen=True, slots=True)
class ChildAttendance:
    student_id: str
    name: str
    class_name: str
    sessions: int = 0  # reports that expected her
    present: int = 0  # late included
    late: int = 0
    on_leave: int = 0
    missing: int = 0
    left_early: int = 0

    @property
    def other(self) -> int:
        """Expected and neither present, on leave nor missing: not yet arrived, or gone before arriving."""
        return self.sessions - self.present - self.on_leave - self.missing


_EXPECTED_BUCKETS = (
    "present",
    "on_leave",
    "missing",
    "not_yet_arrived",
    "left_before_start",
    "picked_up",
    "walked_home",
    "left_early",
)
_COUNTED = ("present", "late", "on_leave", "missing", "left_early")


def summarise_attendance(reports: Iterable[ZeroReport]) -> tuple[ChildAttendance, ...]:
    """Each child's counts over the reports (a group's term), by pinyin of her name."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    who: dict[str, StudentLine] = {}
    for report in reports:
        seen: set[str] = set()
        for bucket in _EXPECTED_BUCKETS:
            for line in getattr(report, bucket):
                seen.add(line.id)
                who.setdefault(line.id, line)
        for bucket in _COUNTED:
            for line in {x.id for x in getattr(report, bucket)}:
                counts[line][bucket] += 1
        for child in seen:
            counts[child]["sessions"] += 1
    found = (ChildAttendance(child, who[child].name, who[child].class_name, **counts[child]) for child in who)
    return tuple(sorted(found, key=lambda c: (sort_key(c.name), c.student_id)))


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One zero report as the archive keeps it: the counts and who signed, when."""

    day: date
    start: time
    end: time
    enrolled: int
    present: int
    late: int
    on_leave: int
    missing: int
    left_early: int
    clean: bool
    signer: str  # her name, else her staff id; "" unsigned
    signed_at: str
    missing_names: tuple[str, ...] = ()

    @classmethod
    def of(cls, report: ZeroReport) -> ReportRow:
        session = report.session
        return cls(
            session.date,
            session.start.time(),
            session.end.time(),
            report.enrolled,
            len(report.present),
            len(report.late),
            len(report.on_leave),
            len(report.missing),
            len(report.left_early),
            report.clean,
            report.signer or report.signed_by,
            report.signed_at,
            tuple(line.name for line in report.missing),
        )


@dataclass(frozen=True, slots=True)
class Archive:
    """One group's term archive (期末存档), every part in order, ready for a workbook or a print."""

    group: Group
    first: date
    last: date
    weeks: tuple[IsoWeek, ...]
    records: tuple[ActivityRecord, ...]  # by week
    missing_weeks: tuple[IsoWeek, ...]
    attendance: tuple[ChildAttendance, ...]  # by pinyin
    reports: tuple[ReportRow, ...]  # by day and start
    care_notes: tuple[CareNote, ...] = field(default=())  # by day, then as written
    signed_by: str = ""  # who hands it in (the group's teacher), by name; "" for a signature by hand
    signed_on: date | None = None

    @property
    def unsigned(self) -> tuple[ReportRow, ...]:
        return tuple(r for r in self.reports if not r.signer)


def term_archive(
    group: Group,
    term: Term,
    records: Iterable[ActivityRecord],
    attendance_summary: Iterable[ChildAttendance],
    zero_reports: Iterable[ZeroReport],
    care_notes: Iterable[CareNote],
    weeks: Iterable[IsoWeek] | None = None,
    signed_by: str = "",
    signed_on: date | None = None,
) -> Archive:
    """The group's archive for the term: its parts chosen (this group, inside the term) and ordered.

    `weeks` are the weeks a record was due (default: every week of the term; `service_weeks` leaves
    out the weeks the group's service does not run). `attendance_summary` is the group's, as
    `summarise_attendance` counts it from the same reports; it is put in pinyin order here.
    `signed_by`/`signed_on` record who handed it in (上交学校存档); left empty, the print has a line
    to sign by hand.
    """
    first, last = term
    due = tuple(sorted(set(weeks))) if weeks is not None else term_weeks(first, last)
    mine = sorted(
        (r for r in records if r.group_id == group.id and r.week.overlaps(first, last)),
        key=lambda r: (r.week, r.written_on),
    )
    filed = {r.week for r in mine}

    def ours(day: date, service_id: str, room_id: str) -> bool:
        return (service_id, room_id) == (group.service_id, group.room_id) and first <= day <= last

    reports = sorted(
        (r for r in zero_reports if ours(r.session.date, r.session.service_id, r.session.room_id)),
        key=lambda r: (r.session.date, r.session.start),
    )
    notes = sorted(
        (n for n in care_notes if ours(n.day, n.service_id, n.room_id)), key=lambda n: (n.day, n.written_at)
    )
    return Archive(
        group,
        first,
        last,
        due,
        tuple(mine),
        tuple(w for w in due if w not in filed),
        tuple(sorted(attendance_summary, key=lambda c: (sort_key(c.name), c.student_id))),
        tuple(ReportRow.of(r) for r in reports),
        tuple(notes),
        signed_by,
        signed_on,
    )
