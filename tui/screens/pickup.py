"""Provides `PickupScreen` (F4): the pickup desk — find a child, see who may take them, release to that adult.

Search by name, pinyin (zhangsan), initials (zs), class or card. Choosing a child lists their
guardians, each marked plainly ✓ may pick up or ✗ NOT authorised; choosing a guardian asks
for a confirmation, and an unauthorised one gets a red warning instead (Enter then records the
refusal, which the device keeps as an event).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from tui.board import Board
from tui.messages import Act
from tui.rows import GuardianRow, StudentHit
from tui.screens.base import BoardScreen
from tui.screens.release_dialog import ReleaseDialog
from tui.text import tr
from tui.widgets.student_picker import StudentPicker


class PickupScreen(BoardScreen):
    TITLE_KEY = "tui.screen.pickup"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "search", "tui.key.search", key_display="Esc")]

    def __init__(self) -> None:
        super().__init__()
        self.student: StudentHit | None = None

    def compose_body(self) -> ComposeResult:
        yield StudentPicker("pickup", id="picker")
        table: DataTable[str | Text] = DataTable(cursor_type="row", id="guardians")
        for key in ("tui.col.guardian_name", "tui.col.relation", "col.phone", "tui.col.may_pick_up"):
            table.add_column(tr(self, key))
        yield table
        yield Static(tr(self, "tui.pickup.hint"), id="pickup-hint")

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.query_one(StudentPicker).focus_search()

    def show(self, board: Board) -> None:
        pass  # the desk shows search results, not the board

    def action_search(self) -> None:
        self.query_one(StudentPicker).focus_search()

    def _next_family(self) -> None:
        """After a release the desk is clear for the next parent: empty box, no child, no guardians."""
        self.student = None
        self.query_one("#guardians", DataTable).clear()
        self.query_one("#guardians", DataTable).border_title = ""
        self.query_one(StudentPicker).clear()
        self._hint()

    @on(StudentPicker.Chosen)
    def _chosen(self, event: StudentPicker.Chosen) -> None:
        self.student = event.student
        table: DataTable[str | Text] = self.query_one("#guardians", DataTable)
        table.clear()
        for guardian in event.student.guardians:
            allowed = guardian.may_pick_up
            verdict = Text(tr(self, "tui.pickup.allowed" if allowed else "tui.pickup.not_allowed"),
                           style="bold green" if allowed else "bold white on red")  # fmt: skip
            table.add_row(guardian.name, guardian.relation, guardian.phone, verdict, key=guardian.id)
        table.border_title = tr(self, "tui.pickup.guardians", name=event.student.name, klass=event.student.class_name)
        table.focus()
        self._hint()

    @on(DataTable.RowHighlighted, "#guardians")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._hint()

    def _guardian(self) -> GuardianRow | None:
        table: DataTable[str | Text] = self.query_one("#guardians", DataTable)
        if self.student is None or not 0 <= table.cursor_row < len(self.student.guardians):
            return None
        return self.student.guardians[table.cursor_row]

    def _hint(self) -> None:
        hint, guardian = self.query_one("#pickup-hint", Static), self._guardian()
        if guardian is None or self.student is None:
            hint.update(tr(self, "tui.pickup.hint"))
            hint.remove_class("-denied")
            return
        hint.set_class(not guardian.may_pick_up, "-denied")
        key = "tui.pickup.release_hint" if guardian.may_pick_up else "tui.pickup.refuse_title"
        hint.update(tr(self, key, child=self.student.name, guardian=guardian.name, relation=guardian.relation))

    @on(DataTable.RowSelected, "#guardians")
    def _release(self, event: DataTable.RowSelected) -> None:
        student, guardian = self.student, self._guardian()
        if student is None or guardian is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.post_message(Act("release", student.id, guardian_id=guardian.id, who=student.name))
                if guardian.may_pick_up:  # after a refusal the child stays on the desk, for the right adult
                    self._next_family()

        self.app.push_screen(ReleaseDialog(student, guardian), confirmed)
