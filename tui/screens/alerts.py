"""Provides `AlertsScreen` (F3): who is missing and what else needs a guard, most urgent first, with whom to call.

A child who came through the gate but never reached the room comes first (the device orders
the list). Keys act on the highlighted child: F found (checks them in), E excused, C called
(with a note of what the guardian said).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from edge.core.report import StudentLine
from tui.board import Board, place_names
from tui.messages import Act
from tui.rows import AlertRow
from tui.screens.base import BoardScreen
from tui.screens.confirm_dialog import ConfirmDialog
from tui.screens.note_dialog import NoteDialog
from tui.text import tr

SHAPE = {"not_in_room": "✗", "missing": "✗", "reader_down": "⚠", "left_without_leave": "!", "not_picked_up": "!",
         "report_unsigned": "!"}  # fmt: skip


class AlertsScreen(BoardScreen):
    TITLE_KEY = "tui.screen.alerts"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "found", "tui.key.found", key_display="F"),
        Binding("e", "excuse", "tui.key.excuse", key_display="E"),
        Binding("c", "call", "tui.key.call", key_display="C"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: tuple[AlertRow, ...] = ()
        self._about_a_child = False  # as the footer is first drawn: no rows yet

    def compose_body(self) -> ComposeResult:
        table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True, id="alerts")
        for key in ("tui.col.alert", "col.name", "col.class", "col.place", "col.phone", "tui.col.note"):
            table.add_column(tr(self, key))
        yield table
        yield Static(id="alert-detail")

    def show(self, board: Board) -> None:
        table: DataTable[str | Text] = self.query_one("#alerts", DataTable)
        chosen = self.highlighted
        self.rows = board.alerts
        table.clear()
        for alert in board.alerts:
            table.add_row(*self._cells(alert))
        if self.rows:
            keys = [(a.kind, a.session, a.student.id if a.student else "") for a in self.rows]
            wanted = (chosen.kind, chosen.session, chosen.student.id if chosen.student else "") if chosen else None
            table.move_cursor(row=keys.index(wanted) if wanted in keys else 0)
        self._detail()

    def _cells(self, alert: AlertRow) -> list[str | Text]:
        style = "bold red" if alert.kind in ("not_in_room", "missing") else "yellow"
        label = Text(f"{SHAPE.get(alert.kind, '!')} {tr(self, 'alert.' + alert.kind)}", style=style)
        student = alert.student
        if student is None:
            return [label, self._about(alert), "", "", "", ""]
        return [label, student.name, student.class_name, self._seen(student), student.phone, student.note]

    def _about(self, alert: AlertRow) -> str:
        """What an alert with no child is about, as people say it: `301教室 晚自习`, `校门入口`, never
        `2026-11-30.evening.r301` or `gate-in` (a session the board does not hold shows its id)."""
        if alert.reader:
            return place_names(self.board).get(alert.reader, alert.reader)
        session = next((s for s in self.board.sessions if s.id == alert.session), None)
        return f"{session.room} {session.service}" if session else alert.session

    def _seen(self, student: StudentLine) -> str:
        """Where and when she was last seen, the reader by its name (`校门入口 18:02`, not `gate-in`)."""
        if not student.place:
            return ""
        return f"{place_names(self.board).get(student.place, student.place)} {student.seen_at[11:16]}"

    @property
    def highlighted(self) -> AlertRow | None:
        table: DataTable[str | Text] = self.query_one("#alerts", DataTable)
        row = table.cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()
        about_a_child = self.highlighted is not None and self.highlighted.student is not None
        if about_a_child != self._about_a_child:  # only on a change: a refresh rebuilds the footer
            self._about_a_child = about_a_child
            self.refresh_bindings()

    def _detail(self) -> None:
        alert, detail = self.highlighted, self.query_one("#alert-detail", Static)
        if alert is None:
            detail.update(Text(tr(self, "tui.alerts.none"), style="bold green"))
            return
        student = alert.student
        text = Text(f"{SHAPE.get(alert.kind, '!')} {tr(self, 'alert.' + alert.kind)}", style="bold")
        if student is not None:
            text.append(f"  {student.name} {student.class_name}\n", style="bold")
            if student.guardian or student.phone:
                text.append(tr(self, "tui.alerts.call", guardian=student.guardian, phone=student.phone), style="bold")
            if student.place:
                text.append("  ·  " + tr(self, "tui.alerts.seen", place=self._seen(student)))
            if student.note:
                text.append("\n" + tr(self, "tui.alerts.note", note=student.note))
        else:
            text.append(f"  {self._about(alert)}")
        detail.update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("found", "excuse", "call"):
            alert = self.highlighted
            return True if alert is not None and alert.student is not None else None  # None: shown dimmed
        return True

    def action_found(self) -> None:
        alert = self.highlighted
        if alert is None or alert.student is None:
            return
        student = alert.student  # bound now: the list may re-sort while the dialog is open

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.post_message(Act("found", student.id, who=student.name))

        question = tr(self, "tui.confirm.found", name=student.name, klass=student.class_name)
        self.app.push_screen(ConfirmDialog(question, tr(self, "tui.confirm.found_detail")), confirmed)

    def action_excuse(self) -> None:
        self._with_note("excuse", "tui.note.excuse")

    def action_call(self) -> None:
        self._with_note("call", "tui.note.call")

    def _with_note(self, kind: str, prompt: str) -> None:
        alert = self.highlighted
        if alert is None or alert.student is None:
            return
        student = alert.student
        title = tr(self, f"tui.note.{kind}_title", name=student.name, guardian=student.guardian, phone=student.phone)

        def send(note: str | None) -> None:
            if note is not None:
                self.post_message(Act(kind, student.id, note=note, who=student.name))

        self.app.push_screen(NoteDialog(title, tr(self, prompt)), send)
