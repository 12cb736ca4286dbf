"""Provides the attendance register (考勤表): per class or per service, a row per student, a column per day.

Built from the same zero reports as everything else (`SchoolView.reports`), one day at a time,
so the register, the reports and the alerts can never disagree. A cell is the student's mark
for the day's session of that service: present, late, on leave, missing, left before the room,
or empty (not enrolled that day, or not yet due).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO

from edge.core.report import ZeroReport
from sync.view import SchoolView

GROUPINGS = ("class", "service")
MAX_DAYS = 62  # two months in one register: a term's is better taken month by month
# mark -> (zh, en); checked in this order, the first bucket a student is in gives the mark.
MARKS = {
    "missing": ("缺", "A"),
    "on_leave": ("假", "E"),
    "unexplained": ("早", "X"),
    "late": ("迟", "L"),
    "present": ("✓", "P"),
    "left_before_room": ("离", "G"),
}
HEADINGS = {
    "class": ("班级", "class"), "service": ("服务", "service"), "student_id": ("学号", "student id"),
    "name": ("姓名", "name"), "present": ("出勤", "present"), "late": ("迟到", "late"),
    "on_leave": ("请假", "on leave"), "missing": ("缺勤", "missing"),
}  # fmt: skip


@dataclass
class Line:
    student_id: str
    name: str
    class_name: str
    service: str
    marks: dict[date, str] = field(default_factory=dict)  # day -> mark key (MARKS)


@dataclass(frozen=True, slots=True)
class Register:
    start: date
    end: date
    by: str
    days: tuple[date, ...]
    groups: dict[str, list[Line]]


def _marks(report: ZeroReport) -> dict[str, str]:
    found: dict[str, str] = {}
    for bucket in ("missing", "on_leave", "unexplained", "late", "present"):
        for line in getattr(report, bucket):
            found.setdefault(line.id, bucket)
    for bucket in ("left_early", "picked_up", "walked_home"):
        for line in getattr(report, bucket):
            found.setdefault(line.id, "left_before_room")
    return found


def build(view: SchoolView, start: date, end: date, by: str, now: datetime) -> Register:
    """The register from `start` to `end` inclusive; runs on the view's thread (a day's fold each)."""
    if by not in GROUPINGS:
        raise ValueError(f"by: expected one of {', '.join(GROUPINGS)}, got {by!r}")
    if end < start or (end - start).days >= MAX_DAYS:
        raise ValueError(
            f"from {start} to {end}: expected at most {MAX_DAYS} days, the end not before the start"
        )
    days = tuple(start + timedelta(days=n) for n in range((end - start).days + 1))
    lines: dict[tuple[str, str], Line] = {}
    for day in days:
        for report in view.reports(day, now):
            for student_id, mark in _marks(report).items():
                student = view.school.students.get(student_id)
                key = (student_id, report.session.service_id)
                line = lines.setdefault(key, Line(student_id, student.name if student else student_id,
                                                  student.class_name if student else "", report.service))  # fmt: skip
                line.marks[day] = mark
    groups: dict[str, list[Line]] = {}
    for line in sorted(lines.values(), key=lambda x: (x.class_name, x.student_id, x.service)):
        groups.setdefault(line.class_name if by == "class" else line.service, []).append(line)
    return Register(start, end, by, days, dict(sorted(groups.items())))


def table(register: Register, lang: str) -> list[list[str]]:
    """One header row, then a row per student and service: marks by day, then the counts."""
    word = 0 if lang == "zh" else 1
    other = "service" if register.by == "class" else "class"
    header = [
        HEADINGS[register.by][word],
        HEADINGS["student_id"][word],
        HEADINGS["name"][word],
        HEADINGS[other][word],
    ]
    header += [f"{day:%m-%d}" for day in register.days]
    header += [HEADINGS[name][word] for name in ("present", "late", "on_leave", "missing")]
    rows = [header]
    for group, lines in register.groups.items():
        for line in lines:
            marks = [line.marks.get(day, "") for day in register.days]
            counts = [
                sum(m in ("present", "late") for m in marks),
                marks.count("late"),
                marks.count("on_leave"),
                marks.count("missing"),
            ]
            rows.append(
                [
                    group,
                    line.student_id,
                    line.name,
                    line.service if register.by == "class" else line.class_name,
                ]
                + [MARKS[m][word] if m else "" for m in marks]
                + [str(c) for c in counts]
            )
    return rows


def as_csv(register: Register, lang: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table(register, lang))
    return buffer.getvalue()


def write_xlsx(register: Register, lang: str, out: Path | IO[bytes]) -> None:
    """One sheet per class (or service), the legend on the last."""
    from openpyxl import Workbook  # ~0.15 s to import: only this export needs it

    rows = table(register, lang)
    book = Workbook()
    book.remove(book.active)
    for group in register.groups or {"-": []}:
        sheet = book.create_sheet(_sheet_title(group))
        sheet.append(rows[0])
        for row in rows[1:]:
            if row[0] == group:
                sheet.append(row)
    legend = book.create_sheet("图例" if lang == "zh" else "legend")
    for key, words in MARKS.items():
        legend.append([words[0 if lang == "zh" else 1], key])
    book.save(out)


def _sheet_title(group: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in group)
    return cleaned[:31] or "-"
