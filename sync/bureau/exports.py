"""Provides the district's workbooks (XLSX): a day's reporting rate by school, its unresolved children, a school's history.

Built with the office's sheet (`sync.office.exports`: Noto Sans CJK SC, boxed cells, text never a
formula, A4 with the header repeated), so the bureau's files print as the schools' do. A rate is
written as a number in the format `0.0%` (the share itself, so a spreadsheet can sum and sort it),
or as "—" where nothing was expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook

from edge.core.i18n import t
from sync.district.figures import HistoryDay, Rate, SchoolRate, Totals, Unresolved
from sync.office.exports import Col, _book, _finish, _Sheet

PERCENT = "0.0%"

RATE_COLUMNS = (
    Col("school"), Col("school_id"), Col("reports_expected", "int"), Col("reports_reported", "int"),
    Col("reports_on_time", "int"), Col("reports_late", "int"), Col("reports_not_reported", "int"),
    Col("reporting_rate"), Col("on_time_rate"),
)  # fmt: skip
MISSING_COLUMNS = (
    Col("school"), Col("service"), Col("room"), Col("still_missing", "int"), Col("found", "int"),
    Col("still_waiting", "int"), Col("unexplained", "int"), Col("pupils", "long"),
)  # fmt: skip
HISTORY_COLUMNS = (
    Col("day", "date"), Col("reports_expected", "int"), Col("reports_reported", "int"),
    Col("reports_on_time", "int"), Col("reports_late", "int"), Col("reports_not_reported", "int"),
    Col("reporting_rate"), Col("on_time_rate"), Col("still_missing", "int"), Col("found", "int"),
    Col("still_waiting", "int"), Col("unexplained", "int"),
)  # fmt: skip


def _rate_cells(rate: Rate) -> list[int | float | str | None]:
    rates = [rate.reporting_rate, rate.on_time_rate]
    return [rate.expected, rate.reported, rate.on_time, rate.late, rate.not_reported,
            *(("—" if r is None else r / 100) for r in rates)]  # fmt: skip


def _percent_format(sheet: _Sheet, first_column: int) -> None:
    row = sheet.ws.max_row
    for column in (first_column, first_column + 1):
        cell = sheet.ws.cell(row, column)
        if isinstance(cell.value, float):
            cell.number_format = PERCENT


def _title(district: str, key: str, lang: str, **params: object) -> str:
    return f"{district} · {t(key, lang, **params)}" if district else t(key, lang, **params)


def rate_workbook(
    lines: Sequence[SchoolRate], total: Rate, day: date, district: str, lang: str = "zh"
) -> Workbook:
    book = _book()
    sheet = _Sheet(book, t("export.sheet.rate", lang), _title(district, "export.title.rate", lang, day=day),
                   RATE_COLUMNS, lang)  # fmt: skip
    for line in lines:
        sheet.append([line.school.name, line.school.id, *_rate_cells(line.rate)])  # type: ignore[list-item]
        _percent_format(sheet, 8)
    sheet.append([t("export.total", lang), "", *_rate_cells(total)], total=True)  # type: ignore[list-item]
    _percent_format(sheet, 8)
    return _finish(book, (sheet,))


def _names(line: Unresolved, lang: str) -> str:
    return "、".join(f"{name}({cls})" if cls else name for _, name, cls in line.names)


def missing_workbook(lines: Sequence[Unresolved], day: date, district: str, lang: str = "zh") -> Workbook:
    book = _book()
    sheet = _Sheet(book, t("export.sheet.unresolved", lang),
                   _title(district, "export.title.unresolved", lang, day=day), MISSING_COLUMNS, lang)  # fmt: skip
    whole = Totals()
    for line in lines:
        sheet.append([line.school.name, line.service, line.room, line.missing, line.found, line.still_waiting,
                      line.unexplained, _names(line, lang)])  # fmt: skip
        whole = whole + Totals(line.missing, line.found, line.still_waiting, line.unexplained)
    sheet.append([t("export.total", lang), "", "", whole.missing, whole.found, whole.still_waiting,
                  whole.unexplained, ""], total=True)  # fmt: skip
    return _finish(book, (sheet,))


def history_workbook(
    school: str, lines: Sequence[HistoryDay], first: date, last: date, district: str, lang: str = "zh"
) -> Workbook:
    book = _book()
    title = _title(district, "export.title.history", lang, school=school, first=first, last=last)
    sheet = _Sheet(book, t("export.sheet.history", lang), title, HISTORY_COLUMNS, lang)
    rate, children = Rate(), Totals()
    for line in lines:
        c = line.children
        sheet.append([line.day, *_rate_cells(line.rate), c.missing, c.found, c.still_waiting, c.unexplained])  # type: ignore[list-item]
        _percent_format(sheet, 7)
        rate, children = rate + line.rate, children + c
    sheet.append([t("export.total", lang), *_rate_cells(rate), children.missing, children.found,  # type: ignore[list-item]
                  children.still_waiting, children.unexplained], total=True)  # fmt: skip
    _percent_format(sheet, 7)
    return _finish(book, (sheet,))
