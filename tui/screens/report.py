"""Provides `ReportScreen` (F5): the zero reports — each room's, with its lists, and the school-wide line.

S signs the highlighted room's report (a staff member by name with their PIN, or a staff card tapped on
any reader; a report with children missing asks "sign with N missing?" first);
X exports it, A exports every room's report of the day, to CSV files an office can open.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from edge.core.i18n import t
from edge.core.report import StudentLine
from tui.board import Board, totals
from tui.columns import Layout, fitting, table_width
from tui.messages import Export, Sign, WantReport
from tui.rows import Report, SessionRow
from tui.screens.base import BoardScreen
from tui.screens.confirm_dialog import ConfirmDialog
from tui.screens.rooms import room_for, signed_cell
from tui.screens.sign_dialog import SignDialog, Signer
from tui.text import tr

LISTED = ("missing", "not_yet_arrived", "still_waiting", "left_early", "on_leave", "late")
LISTED_NAMES = 12  # per list: the whole list is in the export; the screen says how many there are
COUNTS = ("enrolled", "present", "late", "on_leave", "missing", "left_early", "picked_up", "walked_home", "still_waiting")


COLUMNS = ("room", "service", "enrolled", "present", "missing", "still_waiting", "status", "report")

# What gives way at narrow widths, in turn (English needs 93 columns with everything): the start
# time (noon's and the evening's rows differ by the service's name), the status's words
# (✗ not clean), the report's (signed ✓ yes). Chinese fits 80 with everything.
LAYOUTS = (
    Layout(),
    Layout(time=False),
    Layout(time=False, narrow=frozenset({"status"})),
    Layout(time=False, narrow=frozenset({"status", "report"})),
)


class ReportScreen(BoardScreen):
    TITLE_KEY = "tui.screen.report"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "sign", "tui.key.sign", key_display="S"),
        Binding("x", "export", "tui.key.export", key_display="X"),
        Binding("a", "export_all", "tui.key.export_all", key_display="A"),
    ]

    report: reactive[Report | None] = reactive(None)
    """The highlighted session's full report (set by the app when the device answers)."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: tuple[SessionRow, ...] = ()
        self.columns_layout: Layout | None = None  # the columns shown (None before the first draw)

    def compose_body(self) -> ComposeResult:
        yield DataTable(cursor_type="row", zebra_stripes=True, id="reports")
        yield Static(id="report-detail")
        yield Static(id="school-line")

    @property
    def highlighted(self) -> SessionRow | None:
        row = self.query_one("#reports", DataTable).cursor_row
        return self.sessions[row] if 0 <= row < len(self.sessions) else None

    def show(self, board: Board) -> None:
        table: DataTable[str | Text] = self.query_one("#reports", DataTable)
        chosen = self.highlighted
        self.sessions = board.sessions

        def needs(layout: Layout) -> int:
            return table_width(self._headers(layout), [self._cells(s, layout) for s in board.sessions])

        layout = fitting(LAYOUTS, needs, room_for(self, table, len(board.sessions)))
        table.clear(columns=layout != self.columns_layout)
        if layout != self.columns_layout:
            self.columns_layout = layout
            for header in self._headers(layout):
                table.add_column(header)
        for session in board.sessions:
            table.add_row(*self._cells(session, layout), key=session.id)
        ids = [s.id for s in self.sessions]
        if ids:
            table.move_cursor(row=ids.index(chosen.id) if chosen and chosen.id in ids else 0)
        self.query_one("#school-line", Static).update(self._school(board.sessions))
        self._want_report()

    def _headers(self, layout: Layout) -> list[str]:
        return [tr(self, f"tui.col.{name}" + (".narrow" if name in layout.narrow else "")) for name in COLUMNS]

    def _cells(self, session: SessionRow, layout: Layout) -> list[str | Text]:
        not_clean = "report.not_clean.narrow" if "status" in layout.narrow else "report.not_clean"
        clean = Text(f"✓ {tr(self, 'report.clean')}", style="green") if session.clean else Text(
            f"✗ {tr(self, not_clean)}", style="bold red")  # fmt: skip
        numbers = [Text(str(session.count(n)), justify="right") for n in ("enrolled", "present", "missing", "still_waiting")]
        service = f"{session.service} {session.start:%H:%M}" if layout.time else session.service
        return [session.room, service, *numbers, clean, signed_cell(self, session, "report" in layout.narrow)]

    def _school(self, sessions: tuple[SessionRow, ...]) -> Text:
        summed = totals(sessions)
        # Five counts a line: each line fits 80 columns, so no label is ever wrapped from its number.
        counts = [f"{tr(self, 'report.' + name)} {summed.get(name, 0)}" for name in COUNTS]
        parts = "\n".join(" · ".join(counts[i : i + 5]) for i in range(0, len(counts), 5))
        closed = bool(sessions) and all(s.signed for s in sessions) and not summed.get("still_waiting")
        text = Text(f"{tr(self, 'report.school')}: ", style="bold")
        text.append(parts + "\n")
        text.append(("✓ " if closed else "… ") + tr(self, "report.day_closed" if closed else "report.day_open"),
                    style="bold green" if closed else "bold")  # fmt: skip
        return text

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._want_report()

    def _want_report(self) -> None:
        session = self.highlighted
        if session is not None and self.is_current:
            self.post_message(WantReport(session.id))

    def watch_report(self, report: Report | None) -> None:
        detail = self.query_one("#report-detail", Static)
        session = self.highlighted
        if report is None or session is None or report.session.id != session.id:
            detail.update("")
            return
        lang = str(getattr(self.app, "lang", "zh"))
        text = Text(f"{report.session.room} {report.session.service}  ", style="bold")
        if report.session.signed:
            text.append(t("report.signed", lang, by=report.signer or report.session.signed_by,
                          at=report.session.signed_at[11:16]) + "\n", style="green")  # fmt: skip
        else:
            text.append(t("report.unsigned", lang) + "\n", style="yellow")
        for name in LISTED:
            lines = report.lists.get(name, ())
            if not lines:
                continue
            style = "bold red" if name == "missing" else ""
            text.append(f"{t('report.' + name, lang)} ({len(lines)}): ", style=style or "bold")
            # A space after each separator is where a line may break: never inside a name.
            separator = t("tui.report.separator", lang)
            shown = separator.join(_listed(line) for line in lines[:LISTED_NAMES])
            text.append(shown + (separator + "…" if len(lines) > LISTED_NAMES else "") + "\n", style=style)
        detail.update(text)

    def action_sign(self) -> None:
        session = self.highlighted
        if session is None:
            return
        report = self.report if self.report is not None and self.report.session.id == session.id else None
        self.app.push_screen(SignDialog(session, report.signers if report else ()),
                             lambda signer: self._confirm_sign(session, signer))  # fmt: skip

    def _confirm_sign(self, session: SessionRow, signer: Signer | None) -> None:
        """A report that is not clean is signed only when asked twice: "sign with N missing?"."""
        if signer is None:
            return
        if session.clean:
            self._send_sign(session, signer)
            return
        missing = session.count("missing")
        question = (tr(self, "tui.sign.missing_question", n=missing) if missing
                    else tr(self, "tui.sign.unclean_question"))  # fmt: skip
        self.app.push_screen(ConfirmDialog(question, f"{session.room} {session.service} · {signer.name or signer.staff_id}"),
                             lambda sure: self._send_sign(session, signer) if sure else None)  # fmt: skip

    def _send_sign(self, session: SessionRow, signer: Signer) -> None:
        self.post_message(Sign(session.id, signer.staff_id, signer.pin, signer.card_event, signer.name))

    def action_export(self) -> None:
        session = self.highlighted
        if session is not None:
            self.post_message(Export(session.id))

    def action_export_all(self) -> None:
        self.post_message(Export(""))


def _listed(line: StudentLine) -> str:
    """`张三(三年级2班)`, with the guard's note when there is one (what the guardian said on the call)."""
    return f"{line.name}({line.class_name}" + (f" · {line.note})" if line.note else ")")
