"""Provides the zero reports as a terminal table, JSON, CSV or XLSX, in the reader's language."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from edge.core.codec import to_plain
from edge.core.i18n import t
from edge.core.report import StudentLine, ZeroReport, day_closed

COUNTS = (
    "present", "late", "on_leave", "missing", "left_early", "left_before_start", "picked_up", "walked_home",
    "handed_over", "back_to_lessons", "still_waiting",
)  # fmt: skip
FORMATS = ("table", "json", "csv", "xlsx")


def as_json(reports: Sequence[ZeroReport]) -> str:
    return json.dumps([report_dict(r) for r in reports], ensure_ascii=False, indent=2)


def report_dict(report: ZeroReport) -> dict[str, Any]:
    plain = to_plain(report)
    plain["clean"], plain["signed"] = report.clean, report.signed
    plain["counts"] = {name: len(getattr(report, name)) for name in COUNTS} | {"enrolled": report.enrolled}
    return dict(plain)


def as_table(reports: Sequence[ZeroReport], lang: str) -> str:
    out: list[str] = []
    for report in reports:
        session = report.session
        status = t("report.clean" if report.clean else "report.not_clean", lang)
        signed = (
            t("report.signed", lang, by=report.signer or report.signed_by, at=report.signed_at[11:16])
            if report.signed
            else t("report.unsigned", lang)
        )
        out.append(
            f"━━ {t('report.title', lang)} · {report.service} · {report.room} · "
            f"{session.date.isoformat()} {session.start:%H:%M}–{session.end:%H:%M} ━━"
        )
        counts = [f"{t('report.enrolled', lang)} {report.enrolled}"]
        counts += [f"{t('report.' + name, lang)} {len(getattr(report, name))}" for name in COUNTS]
        out.append("  " + " · ".join(counts))
        out.append(f"  {'✓' if report.clean else '✗'} {status}   {signed}")
        for name in ("missing", "not_yet_arrived", "left_early", "still_waiting", "on_leave"):
            lines: tuple[StudentLine, ...] = getattr(report, name)
            if lines:
                out.append(f"  {t('report.' + name, lang)}:")
                out.extend(f"    - {_line(line)}" for line in lines)
        out.append("")
    if len(reports) > 1:
        out.append(school_summary(reports, lang))
    return "\n".join(out)


def school_summary(reports: Sequence[ZeroReport], lang: str) -> str:
    total = {name: sum(len(getattr(r, name)) for r in reports) for name in COUNTS}
    enrolled = sum(r.enrolled for r in reports)
    parts = [f"{t('report.enrolled', lang)} {enrolled}"] + [
        f"{t('report.' + name, lang)} {count}" for name, count in total.items()
    ]
    verdict = t("report.day_closed" if day_closed(reports) else "report.day_open", lang)
    return f"━━ {t('report.school', lang)} ━━\n  " + " · ".join(parts) + f"\n  {verdict}"


def _line(line: StudentLine) -> str:
    bits = [line.name, line.class_name, line.guardian, line.phone]
    if line.last_seen:
        bits.append(f"@{line.last_seen}")
    if line.note:
        bits.append(line.note)
    return "  ".join(b for b in bits if b)


# The CSV and XLSX are for people (an office opens them in Excel or WPS): headings, statuses and the
# summary in the reader's language, places by the readers' names. Programs read the JSON
# (`--format json`, `?format=json`), whose keys are stable; the console's own export only joins
# these files, dropping each one's first row. The session id stays the first column: one file
# can hold a whole day's sessions, and it sorts and filters by it.
COLUMNS = ("report.col.session", "report.col.service", "report.col.room", "report.col.status", "col.name",
           "col.class", "col.guardian", "col.phone", "col.place", "report.col.note")  # fmt: skip
LISTED = ("missing", "late", "on_leave", "left_early", "picked_up", "walked_home", "still_waiting")


def rows(reports: Sequence[ZeroReport], lang: str, places: Mapping[str, str] | None = None) -> list[list[str]]:
    """One summary row per session, then one row per child with a status worth listing.

    `places` names the readers (`gate-in` -> 校门入口); a reader it does not name shows its id.
    """
    table = [[t(key, lang) for key in COLUMNS]]
    for report in reports:
        table.append(_summary_row(report, lang))
        for name in LISTED:
            table.extend(_child_row(report, name, line, lang, places or {}) for line in getattr(report, name))
    return table


def _summary_row(report: ZeroReport, lang: str) -> list[str]:
    counts = [f"{t('report.enrolled', lang)} {report.enrolled}"]
    counts += [f"{t('report.' + name, lang)} {len(getattr(report, name))}" for name in COUNTS]
    signed = (t("report.signed", lang, by=report.signer or report.signed_by, at=report.signed_at[11:16])
              if report.signed else t("report.unsigned", lang))  # fmt: skip
    status = f"{t('report.clean' if report.clean else 'report.not_clean', lang)} · {signed}"
    return [report.session.id, report.service, report.room, status, "", "", "", "", "", " · ".join(counts)]


def _child_row(report: ZeroReport, name: str, line: StudentLine, lang: str, places: Mapping[str, str]) -> list[str]:
    place = f"{places.get(line.place, line.place)} {line.seen_at[11:16]}".strip() if line.place else ""
    return [report.session.id, report.service, report.room, t("report." + name, lang), line.name, line.class_name,
            line.guardian, line.phone, place, line.note]  # fmt: skip


def as_csv(reports: Sequence[ZeroReport], lang: str, places: Mapping[str, str] | None = None) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows(reports, lang, places))
    return buffer.getvalue()


def write_xlsx(
    reports: Sequence[ZeroReport], lang: str, path: Path | IO[bytes], places: Mapping[str, str] | None = None
) -> None:
    from openpyxl import Workbook  # imported here: only this export needs it (~0.15 s to import)

    book = Workbook()
    sheet = book.active
    sheet.title = t("report.title", lang)
    for row in rows(reports, lang, places):
        sheet.append(row)
    book.save(path)
