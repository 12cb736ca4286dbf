"""Provides a group's term archive (期末存档) as a PDF to print and sign, as `sync.office.pdf` makes the day's.

The same parts as the workbook (`exports.archive_workbook`): an overview, the weekly records, each
child's attendance, the zero reports with who signed them, the care notes, and at the end the lines
the teacher and the school sign by hand (plan 6: 期末上交学校存档). Texts from the catalogue.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from edge.core.i18n import t
from sync.office.activities import Archive
from sync.office.exports import Names, archive_overview, week_label
from sync.office.pdf import NoFont, font

_LINE = 6  # mm a line of 10-point text takes
_PUPIL_WIDTHS = (40, 34, 18, 18, 16, 16, 16, 16, 16)  # A4's 190 mm across: name, class, then counts
_REPORT_WIDTHS = (24, 24, 14, 14, 12, 12, 12, 22, 56)  # day, time, counts, clean, signer and when


def archive_pdf(archive: Archive, names: Names, tz: ZoneInfo, lang: str) -> bytes:
    try:
        from fpdf import FPDF  # optional (Pillow comes with it): imported only when a PDF is asked for
    except ImportError:
        raise NoFont("no fpdf2: pip install 'rollcall[pdf]'") from None
    path, index = font()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("cjk", "", str(path), collection_font_number=index)
    pdf.add_page()
    group = archive.group

    def heading(text: str, size: int = 12) -> None:
        pdf.ln(3)
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(0, size * 0.7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=10)

    def line(text: str) -> None:
        pdf.multi_cell(0, _LINE, text, new_x="LMARGIN", new_y="NEXT")

    def row(values: list[str], widths: tuple[int, ...], head: bool = False) -> None:
        for value, width in zip(values, widths, strict=True):
            pdf.cell(width, _LINE, value, border=1, fill=head)
        pdf.ln(_LINE)

    def col(key: str) -> str:
        return t(f"export.col.{key}", lang)

    title = t("export.title.archive", lang, group=group.name, first=archive.first, last=archive.last)
    heading(f"{names.school} · {title}" if names.school else title, 15)
    for key, value in archive_overview(archive, names, lang):
        line(f"{t(f'export.overview.{key}', lang)}:{value}")

    heading(t("export.sheet.records", lang))
    for r in archive.records:
        categories = "、".join(t(f"activities.category.{c}", lang) for c in r.ordered_categories)
        dates = t("export.range", lang, first=r.week.monday, last=r.week.sunday)
        late = f" · {col('filed_late')}" if r.late else ""
        pdf.set_font("cjk", size=11)
        line(f"{week_label(r.week, lang)}({dates}) {categories}")
        pdf.set_font("cjk", size=10)
        line(r.text)
        line(f"{col('teacher')}:{r.teacher or names.person(r.teacher_id)}  "
             f"{col('written_on')}:{r.written_on.isoformat()}{late}")  # fmt: skip
        pdf.ln(1)
    if not archive.records:
        line(t("export.none", lang))

    heading(t("export.sheet.child_attendance", lang))
    pupil_cols = ("name", "class", "sessions_expected", "present", "late", "on_leave", "missing",
                  "left_early", "other")  # fmt: skip
    pdf.set_fill_color(221, 221, 221)
    pdf.set_font("cjk", size=8)
    row([col(k) for k in pupil_cols], _PUPIL_WIDTHS, head=True)
    for c in archive.attendance:
        row([c.name, c.class_name, *(str(n) for n in (c.sessions, c.present, c.late, c.on_leave, c.missing,
                                                     c.left_early, c.other))], _PUPIL_WIDTHS)  # fmt: skip
    pdf.set_font("cjk", size=10)

    heading(t("export.sheet.reports", lang))
    report_cols = ("day", "time", "enrolled", "present", "late", "on_leave", "missing", "clean", "signer")
    pdf.set_font("cjk", size=8)
    row([col(k) for k in report_cols], _REPORT_WIDTHS, head=True)
    for x in archive.reports:
        signer = f"{x.signer} {_local(x.signed_at, tz)}".strip() if x.signer else t("export.unsigned", lang)
        row([x.day.isoformat(), f"{x.start:%H:%M}–{x.end:%H:%M}", str(x.enrolled), str(x.present), str(x.late),
             str(x.on_leave), str(x.missing), t("export.yes" if x.clean else "export.no", lang), signer],
            _REPORT_WIDTHS)  # fmt: skip
    pdf.set_font("cjk", size=10)

    heading(t("export.sheet.care", lang))
    for n in archive.care_notes:
        who = n.author or names.person(n.author_id)
        line(f"{n.day.isoformat()} {n.written_at.astimezone(tz):%H:%M} {who}:{n.text}")
    if not archive.care_notes:
        line(t("export.none", lang))

    heading(t("activities.archive.sign_heading", lang))
    teacher = archive.signed_by or "____________________"
    signed_on = archive.signed_on.isoformat() if archive.signed_on else "____________"
    pdf.ln(4)
    line(t("activities.archive.sign_teacher", lang, name=teacher, on=signed_on))
    pdf.ln(6)
    line(t("activities.archive.sign_school", lang))
    return bytes(pdf.output())


def _local(stamp: str, tz: ZoneInfo) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone(tz).strftime("%m-%d %H:%M") if stamp else ""
    except ValueError:
        return stamp
