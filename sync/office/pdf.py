"""Provides the day's zero reports as a PDF, with fpdf2 and a CJK font from the system (Debian's fonts-noto-cjk).

fpdf2 is pure Python and small (no pango or cairo, unlike weasyprint), and embeds only the glyphs
used: a day's reports are a few kilobytes and ~0.3 s on this VM. No font is shipped or fetched;
the first one of `FONTS` present is used, and without one (or without fpdf2, an optional dependency
since it brings Pillow) the page says what to install.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from edge.core.i18n import t
from edge.core.model import Room, Service
from edge.core.report import ZeroReport

# (file, index in the collection): Noto Sans CJK's collections hold JP, KR, SC, TC, ...; SC is 2.
FONTS = (
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf"), 0),
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
    (Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 0),
)


class NoFont(LookupError):
    """No CJK font on this machine, or no fpdf2 (an optional dependency: `rollcall[pdf]`)."""


def font() -> tuple[Path, int]:
    for path, index in FONTS:
        if path.exists():
            return path, index
    raise NoFont("no CJK font: apt-get install fonts-noto-cjk")


def day_pdf(
    reports: list[ZeroReport],
    services: Mapping[str, Service],
    rooms: Mapping[str, Room],
    day: date,
    lang: str,
) -> bytes:
    try:
        from fpdf import FPDF  # optional (Pillow comes with it): imported only when a PDF is asked for
    except ImportError:
        raise NoFont("no fpdf2: pip install 'rollcall[pdf]'") from None
    path, index = font()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("cjk", "", str(path), collection_font_number=index)
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 10, t("office.day.title", lang, day=day.isoformat()), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    totals = t("office.day.totals", lang, sessions=len(reports), enrolled=sum(r.enrolled for r in reports),
               present=sum(len(r.present) for r in reports), on_leave=sum(len(r.on_leave) for r in reports),
               missing=sum(len(r.missing) for r in reports), signed=sum(1 for r in reports if r.signed))  # fmt: skip
    pdf.multi_cell(0, 6, totals, new_x="LMARGIN", new_y="NEXT")
    for report in reports:
        session = report.session
        service = services[session.service_id].name if session.service_id in services else report.service
        room = rooms[session.room_id].name if session.room_id in rooms else report.room
        pdf.ln(3)
        pdf.set_font("cjk", size=12)
        pdf.cell(
            0,
            8,
            f"{service} · {room}  {session.start:%H:%M}–{session.end:%H:%M}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("cjk", size=10)
        line = t("office.day.line", lang, enrolled=report.enrolled, present=len(report.present),
                 late=len(report.late), on_leave=len(report.on_leave), missing=len(report.missing),
                 waiting=len(report.not_yet_arrived))  # fmt: skip
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        if report.missing:
            names = ", ".join(
                f"{s.name} ({s.class_name} {s.phone})".replace(" )", ")") for s in report.missing
            )
            pdf.multi_cell(0, 6, f"{t('office.day.missing', lang)} {names}", new_x="LMARGIN", new_y="NEXT")
        if report.on_leave:
            names = ", ".join(s.name for s in report.on_leave)
            pdf.multi_cell(0, 6, f"{t('office.day.on_leave', lang)} {names}", new_x="LMARGIN", new_y="NEXT")
        signed = (
            t(
                "office.day.signed_by",
                lang,
                name=report.signer or report.signed_by,
                at=report.signed_at[11:16],
            )
            if report.signed
            else t("office.day.unsigned", lang)
        )
        pdf.multi_cell(0, 6, signed, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
