"""Provides the office's workbooks (XLSX): pay allocation, fee statement and school summary, staff attendance, term archive.

Each function turns the pure modules' result (`pay.Allocation`, `fees.Statement`/`Summary`,
`attendance.Mark`s, `activities.Archive`) into an openpyxl `Workbook`; `save` writes it, `to_pdf`
asks LibreOffice for a PDF of it. Headers and titles come from the catalogue (`export.…`), Chinese
by default, English with `lang="en"`.

Decisions:
- Money is written as yuan, a `Decimal` made from the fen (`Decimal(fen).scaleb(-2)`, exact, never a
  float), in the number format `#,##0.00`; totals are the pure module's sums written as values, not
  formulas, so the file says what the statement says even where nothing recalculates.
- Every cell is set in Noto Sans CJK SC (Debian's fonts-noto-cjk), so LibreOffice draws the Chinese
  with a CJK font, not boxes; Excel and WPS without it substitute their own Chinese font.
- Text is always text: a teacher's note that begins with "=" is not a formula, and control
  characters (which XLSX cannot hold) are dropped.
- Print: A4, header rows repeated on every page, fitted to the page width, landscape when the
  columns are wide; page numbers in the footer.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from edge.core.i18n import t
from edge.core.model import Student
from edge.core.pinyin import sort_key
from sync.office.activities import Archive, IsoWeek
from sync.office.attendance import Mark, Status
from sync.office.fees import Kind, Statement, Summary
from sync.office.pay import COACH, PAY_ROLES, Allocation, PayLine, month_range

FONT = "Noto Sans CJK SC"
YUAN = "#,##0.00"
DATE = "yyyy-mm-dd"
WIDE = 100  # characters across the columns above which a sheet prints landscape (A4 portrait holds ~90)

Kind_ = Literal["text", "int", "yuan", "date", "long"]


@dataclass(frozen=True, slots=True)
class Names:
    """Ids to the names people read; an id without a name shows as itself."""

    school: str = ""
    services: Mapping[str, str] = field(default_factory=dict)
    rooms: Mapping[str, str] = field(default_factory=dict)
    people: Mapping[str, str] = field(default_factory=dict)  # staff id -> name
    students: Mapping[str, Student] = field(default_factory=dict)

    def service(self, service_id: str) -> str:
        return self.services.get(service_id, service_id)

    def room(self, room_id: str) -> str:
        return self.rooms.get(room_id, room_id)

    def person(self, person_id: str) -> str:
        return self.people.get(person_id, person_id)

    def student(self, student_id: str) -> tuple[str, str]:
        found = self.students.get(student_id)
        return (found.name, found.class_name) if found else (student_id, "")


def fen_to_yuan(fen: int) -> Decimal:
    """12345 -> Decimal("123.45"): exact, for a cell in the yuan format."""
    return Decimal(fen).scaleb(-2)


@dataclass(frozen=True, slots=True)
class Col:
    key: str  # export.col.<key>
    kind: Kind_ = "text"


Cell = str | int | Decimal | date | None

_FONT, _BOLD = Font(name=FONT, size=10), Font(name=FONT, size=10, bold=True)
_TITLE = Font(name=FONT, size=14, bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDDDDD")
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")


def _width(value: Cell) -> int:
    if isinstance(value, Decimal):
        return len(f"{value:,.2f}")
    if isinstance(value, date):
        return 10
    text = "" if value is None else str(value)
    # a CJK character is two columns wide; a cell's width is its longest line's
    return max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in line) for line in text.split("\n"))


class _Sheet:
    """A titled table: row 1 the title, row 2 the header, then rows; styled and set up for print."""

    def __init__(self, book: Workbook, name: str, title: str, columns: Sequence[Col], lang: str) -> None:
        self.ws: Worksheet = book.create_sheet(name[:31])  # Excel's limit on a sheet name
        self.columns = columns
        self.widths = [_width(t(f"export.col.{c.key}", lang)) for c in columns]
        self.lang = lang
        self.texts: list[tuple[int, int, str]] = []  # (row, column, text): for the rows' heights
        self.ws.cell(1, 1, title).font = _TITLE
        self.ws.row_dimensions[1].height = 24
        self.append([t(f"export.col.{c.key}", lang) for c in columns], header=True)

    def append(self, values: Sequence[Cell], header: bool = False, total: bool = False) -> None:
        row = self.ws.max_row + 1
        for index, (column, value) in enumerate(zip(self.columns, values, strict=True), start=1):
            cell = self.ws.cell(row, index)
            if value == "":
                cell.value = None  # an empty cell, still boxed
            elif isinstance(value, str):
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.data_type = "s"  # text, never a formula: "=1+1" in a note stays "=1+1"
                self.texts.append((row, index - 1, cell.value))
            else:
                cell.value = value
            if not header and column.kind == "yuan":
                cell.number_format = YUAN
            elif not header and column.kind == "date":
                cell.number_format = DATE
            cell.font = _BOLD if header or total else _FONT
            cell.border = _BOX
            cell.alignment = _WRAP
            if header:
                cell.fill = _HEAD_FILL
            self.widths[index - 1] = max(self.widths[index - 1], _width(value))

    def finish(self) -> None:
        ws = self.ws
        widths = [
            min(w, 60 if c.kind == "long" else 30) + 2 for w, c in zip(self.widths, self.columns, strict=True)
        ]
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        # LibreOffice keeps the default height of an XLSX row, so a wrapped cell would show one line: the
        # rows that wrap get the height of their lines (10 pt type, 14 pt a line).
        lines: dict[int, int] = {}
        for row, column, text in self.texts:
            room = widths[column] - 2
            needed = sum(max(1, -(-_width(part) // room)) for part in text.split("\n"))
            lines[row] = max(lines.get(row, 1), needed)
        for row, count in lines.items():
            if count > 1:
                ws.row_dimensions[row].height = 14 * count + 2
        ws.freeze_panes = "A3"
        ws.print_title_rows = "1:2"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if sum(widths) > WIDE else "portrait"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages down as it takes
        ws.print_options.gridLines = False
        ws.oddFooter.center.text = t("export.page", self.lang, page="&P", pages="&N")
        ws.oddFooter.center.font = FONT
        ws.oddHeader.right.text = "&A"  # the sheet's name, so a printed page says which part it is
        ws.oddHeader.right.font = FONT


def _book() -> Workbook:
    book = Workbook()
    book.remove(book.active)  # sheets are made by name, in order
    return book


def _finish(book: Workbook, sheets: Iterable[_Sheet]) -> Workbook:
    for sheet in sheets:
        sheet.finish()
    return book


def _title(key: str, names: Names, lang: str, **params: object) -> str:
    text = t(key, lang, **params)
    return f"{names.school} · {text}" if names.school else text


def _role(role: str, lang: str) -> str:
    return t("pay.role.coach" if role == COACH else f"rota.role.{role}", lang)


# -- pay -----------------------------------------------------------------------------------------


def pay_title(allocation: Allocation, lang: str) -> str:
    """ "2026 年 11 月补助" for a calendar month, else "2026-11-02 至 2027-01-15 补助"."""
    first, last = allocation.first, allocation.last
    if (first, last) == month_range(first.year, first.month):
        return t("pay.month", lang, year=first.year, month=first.month)
    return t("pay.term", lang, first=first, last=last)


PAY_COLUMNS = (
    Col("no", "int"),
    Col("name"),
    Col("role"),
    Col("service"),
    Col("sessions", "int"),
    Col("rate", "yuan"),
    Col("amount", "yuan"),
)
PAY_SESSION_COLUMNS = (
    Col("line", "int"),
    Col("name"),
    Col("role"),
    Col("service"),
    Col("day", "date"),
    Col("room"),
    Col("rate", "yuan"),
)


def in_office_order(allocation: Allocation) -> tuple[PayLine, ...]:
    """The lines by role (leaders, guards, teachers, club teachers, coaches), then name in pinyin, then service."""
    rank = {role: n for n, role in enumerate(PAY_ROLES)}
    return tuple(
        sorted(allocation.lines, key=lambda x: (rank.get(x.role, len(rank)), sort_key(x.name), x.service_id))
    )


def pay_workbook(allocation: Allocation, names: Names, lang: str = "zh") -> Workbook:
    """The allocation, a line per person, role and service; its second sheet lists every session behind each line."""
    book = _book()
    title = _title("export.title.pay", names, lang, period=pay_title(allocation, lang))
    lines = _Sheet(book, t("export.sheet.pay", lang), title, PAY_COLUMNS, lang)
    sessions = _Sheet(book, t("export.sheet.sessions", lang), title, PAY_SESSION_COLUMNS, lang)
    for no, line in enumerate(in_office_order(allocation), start=1):
        role, service = _role(line.role, lang), names.service(line.service_id)
        lines.append(
            [
                no,
                line.name,
                role,
                service,
                line.count,
                fen_to_yuan(line.rate_fen),
                fen_to_yuan(line.amount_fen),
            ]
        )
        for served in line.sessions:
            room = names.room(served.room_id) if served.room_id else ""
            sessions.append([no, line.name, role, service, served.day, room, fen_to_yuan(line.rate_fen)])
    count = sum(line.count for line in allocation.lines)
    lines.append(
        [None, t("export.total", lang), "", "", count, None, fen_to_yuan(allocation.total_fen)], total=True
    )
    return _finish(book, (lines, sessions))


# -- fees ----------------------------------------------------------------------------------------

STATEMENT_COLUMNS = (
    Col("service"),
    Col("kind"),
    Col("item", "long"),
    Col("days", "int"),
    Col("amount", "yuan"),
)


def _signed(kind: Kind, fen: int) -> int:
    return fen if kind is Kind.CHARGE else -fen


def _balance_text(balance: int, lang: str) -> str:
    if balance > 0:
        return t("fees.balance.owed", lang, amount=f"{fen_to_yuan(balance):,.2f}")
    if balance < 0:
        return t("fees.balance.refund", lang, amount=f"{fen_to_yuan(-balance):,.2f}")
    return t("fees.balance.settled", lang)


def _statement_rows(sheet: _Sheet, statement: Statement, names: Names, lang: str) -> None:
    for line in statement.lines:
        days = len(line.days) if line.days else line.params.get("days")
        sheet.append(
            [
                names.service(line.service_id),
                t(f"fees.kind.{line.kind}", lang),
                t(line.code, lang, **line.params),
                days if isinstance(days, int) else None,
                fen_to_yuan(_signed(line.kind, line.fen)),
            ]
        )


def fee_statement_workbook(statement: Statement, names: Names, lang: str = "zh") -> Workbook:
    """One child's statement (收费明细): each line signed (refunds and waivers negative), what is due, paid, the balance."""
    book = _book()
    name, class_name = names.student(statement.student_id)
    title = _title(
        "export.title.statement",
        names,
        lang,
        name=name,
        class_name=class_name,
        first=statement.first,
        last=statement.last,
    )
    sheet = _Sheet(book, t("export.sheet.statement", lang), title, STATEMENT_COLUMNS, lang)
    _statement_rows(sheet, statement, names, lang)
    sheet.append(["", t("export.col.due", lang), "", None, fen_to_yuan(statement.due)], total=True)
    sheet.append(["", t("export.col.paid", lang), "", None, fen_to_yuan(statement.paid_fen)], total=True)
    sheet.append(
        [
            "",
            t("export.col.balance", lang),
            _balance_text(statement.balance, lang),
            None,
            fen_to_yuan(statement.balance),
        ],
        total=True,
    )
    return _finish(book, (sheet,))


SUMMARY_COLUMNS = (
    Col("service"),
    Col("charged", "yuan"),
    Col("refunded", "yuan"),
    Col("waived", "yuan"),
    Col("due", "yuan"),
)
WAIVER_COLUMNS = (Col("category"), Col("children", "int"), Col("waived", "yuan"))
CHILD_COLUMNS = (
    Col("student"),
    Col("name"),
    Col("class"),
    Col("charged", "yuan"),
    Col("refunded", "yuan"),
    Col("waived", "yuan"),
    Col("due", "yuan"),
    Col("paid", "yuan"),
    Col("balance", "yuan"),
)
LINE_COLUMNS = (Col("student"), Col("name"), *STATEMENT_COLUMNS)


def fee_summary_workbook(
    statements: Sequence[Statement], summary: Summary, names: Names, lang: str = "zh"
) -> Workbook:
    """The school's summary by service and waiver category, each child's totals, and every statement line."""
    book = _book()
    title = _title("export.title.fees", names, lang, first=summary.first, last=summary.last)
    by_service = _Sheet(book, t("export.sheet.summary", lang), title, SUMMARY_COLUMNS, lang)
    for service_id, totals in summary.by_service.items():
        by_service.append(
            [
                names.service(service_id),
                fen_to_yuan(totals.charged),
                fen_to_yuan(totals.refunded),
                fen_to_yuan(totals.waived),
                fen_to_yuan(totals.due),
            ]
        )
    whole = summary.totals
    by_service.append(
        [
            t("export.total", lang),
            fen_to_yuan(whole.charged),
            fen_to_yuan(whole.refunded),
            fen_to_yuan(whole.waived),
            fen_to_yuan(whole.due),
        ],
        total=True,
    )
    waivers = _Sheet(book, t("export.sheet.waivers", lang), title, WAIVER_COLUMNS, lang)
    for category, (count, fen) in summary.waived_by_category.items():
        waivers.append([t(f"fees.category.{category}", lang), count, fen_to_yuan(fen)])
    children = _Sheet(book, t("export.sheet.children", lang), title, CHILD_COLUMNS, lang)
    lines = _Sheet(book, t("export.sheet.lines", lang), title, LINE_COLUMNS, lang)
    for s in statements:
        name, class_name = names.student(s.student_id)
        children.append(
            [
                s.student_id,
                name,
                class_name,
                fen_to_yuan(s.charged),
                fen_to_yuan(s.refunded),
                fen_to_yuan(s.waived),
                fen_to_yuan(s.due),
                fen_to_yuan(s.paid_fen),
                fen_to_yuan(s.balance),
            ]
        )
        for line in s.lines:
            days = len(line.days) if line.days else line.params.get("days")
            lines.append(
                [
                    s.student_id,
                    name,
                    names.service(line.service_id),
                    t(f"fees.kind.{line.kind}", lang),
                    t(line.code, lang, **line.params),
                    days if isinstance(days, int) else None,
                    fen_to_yuan(_signed(line.kind, line.fen)),
                ]
            )
    children.append(
        [
            t("export.total", lang),
            f"{summary.children}",
            "",
            fen_to_yuan(whole.charged),
            fen_to_yuan(whole.refunded),
            fen_to_yuan(whole.waived),
            fen_to_yuan(whole.due),
            fen_to_yuan(whole.paid),
            fen_to_yuan(whole.balance),
        ],
        total=True,
    )
    return _finish(book, (by_service, waivers, children, lines))


# -- staff attendance ----------------------------------------------------------------------------

MARK_COLUMNS = (
    Col("day", "date"),
    Col("name"),
    Col("role"),
    Col("service"),
    Col("room"),
    Col("status"),
    Col("arrived"),
    Col("minutes_late", "int"),
    Col("covered_by"),
    Col("corrected_by"),
    Col("reason", "long"),
)
PERSON_COLUMNS = (
    Col("name"),
    Col("on_time", "int"),
    Col("late", "int"),
    Col("absent", "int"),
    Col("covered", "int"),
    Col("total", "int"),
)


def _status(mark: Mark, names: Names, lang: str) -> str:
    if mark.status is Status.LATE:
        return t("rota.attendance.late", lang, minutes=mark.minutes_late)
    if mark.status is Status.COVERED:
        return t("rota.attendance.covered", lang, by=names.person(mark.covered_by))
    return t(f"rota.attendance.{mark.status}", lang)


def attendance_workbook(
    marks: Sequence[Mark], names: Names, first: date, last: date, tz: ZoneInfo, lang: str = "zh"
) -> Workbook:
    """Staff attendance (考勤名册) from `first` to `last`: a row per person and post, and each person's counts."""
    book = _book()
    title = _title("export.title.attendance", names, lang, first=first, last=last)
    rows = _Sheet(book, t("export.sheet.attendance", lang), title, MARK_COLUMNS, lang)
    people = _Sheet(book, t("export.sheet.people", lang), title, PERSON_COLUMNS, lang)
    counts: dict[str, dict[Status, int]] = {}
    for m in marks:
        if not first <= m.day <= last:
            continue
        arrived = m.arrived.astimezone(tz).strftime("%H:%M") if m.arrived else ""
        rows.append(
            [
                m.day,
                names.person(m.person_id),
                _role(m.role.value, lang),
                names.service(m.service_id) if m.service_id else "",
                names.room(m.room_id) if m.room_id else "",
                _status(m, names, lang),
                arrived,
                m.minutes_late or None,
                names.person(m.covered_by) if m.covered_by else "",
                names.person(m.corrected_by) if m.corrected_by else "",
                m.reason,
            ]
        )
        mine = counts.setdefault(m.person_id, dict.fromkeys(Status, 0))
        mine[m.status] += 1
    for person_id, mine in sorted(counts.items(), key=lambda kv: (sort_key(names.person(kv[0])), kv[0])):
        people.append([names.person(person_id), *(mine[s] for s in Status), sum(mine.values())])
    return _finish(book, (rows, people))


# -- the term archive ----------------------------------------------------------------------------

OVERVIEW_COLUMNS = (Col("field"), Col("value", "long"))
RECORD_COLUMNS = (
    Col("week"),
    Col("dates"),
    Col("teacher"),
    Col("categories"),
    Col("text", "long"),
    Col("written_on", "date"),
    Col("filed_late"),
)
CHILD_ATTENDANCE_COLUMNS = (
    Col("name"),
    Col("class"),
    Col("sessions_expected", "int"),
    Col("present", "int"),
    Col("late", "int"),
    Col("on_leave", "int"),
    Col("missing", "int"),
    Col("left_early", "int"),
    Col("other", "int"),
)
REPORT_COLUMNS = (
    Col("day", "date"),
    Col("time"),
    Col("enrolled", "int"),
    Col("present", "int"),
    Col("late", "int"),
    Col("on_leave", "int"),
    Col("missing", "int"),
    Col("left_early", "int"),
    Col("clean"),
    Col("signer"),
    Col("signed_at"),
    Col("missing_names", "long"),
)
CARE_COLUMNS = (
    Col("day", "date"),
    Col("service"),
    Col("room"),
    Col("author"),
    Col("written_at"),
    Col("note", "long"),
)


def week_label(week: IsoWeek, lang: str) -> str:
    return t("export.week", lang, year=week.year, week=week.week)


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def archive_overview(archive: Archive, names: Names, lang: str) -> list[tuple[str, str]]:
    """The archive's facts as (overview key, value): the same in its workbook and its PDF."""
    group = archive.group
    missing = "、".join(week_label(w, lang) for w in archive.missing_weeks) or t("export.none", lang)
    return [
        ("service", names.service(group.service_id)),
        ("room", names.room(group.room_id)),
        ("teacher", group.teacher or names.person(group.teacher_id)),
        ("term", t("export.range", lang, first=archive.first, last=archive.last)),
        ("weeks_due", str(len(archive.weeks))),
        ("weeks_filed", str(len(archive.weeks) - len(archive.missing_weeks))),
        ("weeks_missing", missing),
        ("reports", str(len(archive.reports))),
        ("unsigned", str(len(archive.unsigned))),
        ("care_notes", str(len(archive.care_notes))),
    ]


def archive_workbook(archive: Archive, names: Names, tz: ZoneInfo, lang: str = "zh") -> Workbook:
    """A group's term archive: an overview, the weekly records, each child's attendance, the zero reports, the care notes."""
    book, group = _book(), archive.group
    title = _title(
        "export.title.archive", names, lang, group=group.name, first=archive.first, last=archive.last
    )
    overview = _Sheet(book, t("export.sheet.overview", lang), title, OVERVIEW_COLUMNS, lang)
    for key, value in (
        ("group", group.name),
        *archive_overview(archive, names, lang),
        ("signed_by", archive.signed_by),
        ("signed_on", archive.signed_on.isoformat() if archive.signed_on else ""),
    ):
        overview.append([t(f"export.overview.{key}", lang), value])
        if key == "signed_by" and not value:
            overview.ws.row_dimensions[overview.ws.max_row].height = 36  # room to sign by hand
    records = _Sheet(book, t("export.sheet.records", lang), title, RECORD_COLUMNS, lang)
    for r in archive.records:
        categories = "、".join(t(f"activities.category.{c}", lang) for c in r.ordered_categories)
        records.append(
            [
                week_label(r.week, lang),
                t("export.range", lang, first=r.week.monday, last=r.week.sunday),
                r.teacher or names.person(r.teacher_id),
                categories,
                r.text,
                r.written_on,
                t("export.yes" if r.late else "export.no", lang),
            ]
        )
    pupils = _Sheet(book, t("export.sheet.child_attendance", lang), title, CHILD_ATTENDANCE_COLUMNS, lang)
    for c in archive.attendance:
        pupils.append(
            [
                c.name,
                c.class_name,
                c.sessions,
                c.present,
                c.late,
                c.on_leave,
                c.missing,
                c.left_early,
                c.other,
            ]
        )
    reports = _Sheet(book, t("export.sheet.reports", lang), title, REPORT_COLUMNS, lang)
    for x in archive.reports:
        reports.append(
            [
                x.day,
                f"{_hhmm(x.start)}–{_hhmm(x.end)}",
                x.enrolled,
                x.present,
                x.late,
                x.on_leave,
                x.missing,
                x.left_early,
                t("export.yes" if x.clean else "export.no", lang),
                x.signer or t("export.unsigned", lang),
                _signed_at(x.signed_at, tz),
                "、".join(x.missing_names),
            ]
        )
    care = _Sheet(book, t("export.sheet.care", lang), title, CARE_COLUMNS, lang)
    for n in archive.care_notes:
        care.append(
            [
                n.day,
                names.service(n.service_id),
                names.room(n.room_id),
                n.author or names.person(n.author_id),
                n.written_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                n.text,
            ]
        )
    return _finish(book, (overview, records, pupils, reports, care))


def _signed_at(value: str, tz: ZoneInfo) -> str:
    """An ISO timestamp as the school's local "YYYY-MM-DD HH:MM"; anything else as it is."""
    try:
        return datetime.fromisoformat(value).astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""
    except ValueError:
        return value


# -- files ---------------------------------------------------------------------------------------


def save(book: Workbook, path: Path | IO[bytes]) -> None:
    book.save(path)


class PdfError(RuntimeError):
    """LibreOffice is absent or could not convert the workbook; the message says which."""


def soffice() -> str | None:
    """The LibreOffice program (Debian's libreoffice-calc-nogui installs it), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(workbooks: Sequence[Path], out_dir: Path, timeout_s: float = 180) -> list[Path]:
    """Each workbook as a PDF in `out_dir` (one LibreOffice run for all: it takes seconds to start).

    LibreOffice gets a profile of its own in a temporary folder, so a run never meets another's lock
    or a user's settings.
    """
    program = soffice()
    if program is None:
        raise PdfError(t("export.pdf.absent", "en"))
    with tempfile.TemporaryDirectory(prefix="rollcall-lo-") as profile:
        command = [
            program,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            *map(str, workbooks),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"LibreOffice did not finish within {timeout_s:.0f} s") from exc
    made = [out_dir / f"{path.stem}.pdf" for path in workbooks]
    absent = [p.name for p in made if not p.exists()]
    if done.returncode != 0 or absent:
        raise PdfError(
            f"LibreOffice exit {done.returncode}, no {', '.join(absent) or 'error text'}: "
            f"{(done.stderr or done.stdout).strip()[:300]}"
        )
    return made
