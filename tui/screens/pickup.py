"""Provides `PickupScreen` (F4): the pickup desk — find a child, see where she is and who may take her, release to that adult.

Search by name, pinyin (zhangsan, zhang san), initials (zs), class (五1, 5-1), a guardian's name,
a phone (or its last 4 digits) or card. Each child found shows where she stands today (in room 301
since 18:04, missing, gone with whom). Choosing a child lists her guardians, each marked plainly
✓ may pick up or ✗ NOT authorised; choosing a guardian asks for a confirmation, and an
unauthorised one gets a red warning instead (Enter then records the refusal, which the device
keeps as an event). The desk clears for the next family only when the device says she has gone:
after any refusal she stays, for the right adult. I checks her in by hand (a forgotten card).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from edge.core.standing import describe
from tui.board import Board
from tui.messages import Act
from tui.rows import FeedLine, GuardianRow, StudentHit
from tui.screens.base import BoardScreen
from tui.screens.check_in import ask_check_in
from tui.screens.release_dialog import ReleaseDialog
from tui.text import tr
from tui.widgets.student_picker import StudentPicker


class PickupScreen(BoardScreen):
    TITLE_KEY = "tui.screen.pickup"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "search", "tui.key.search", key_display="Esc"),
        Binding("i", "check_in", "tui.key.check_in", key_display="I"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.student: StudentHit | None = None
        self._read_to = -1  # the feed's last seq this desk looked at; -1: not yet

    def compose_body(self) -> ComposeResult:
        yield StudentPicker("pickup", id="picker")
        table: DataTable[str | Text] = DataTable(cursor_type="row", id="guardians")
        for key in ("tui.col.guardian_name", "tui.col.relation", "col.phone", "tui.col.may_pick_up"):
            table.add_column(tr(self, key))
        yield table
        yield Static(tr(self, "tui.pickup.hint"), id="pickup-hint")

    def on_mount(self) -> None:  # BoardScreen's own on_mount runs too (Textual calls each class's handler)
        self.watch(self.query_one(StudentPicker), "results", self._results_read, init=False)

    def on_screen_resume(self) -> None:
        """Back from a dialog with a child on the desk: her guardians (after a refusal, the right adult next)."""
        if self.student is not None:
            self.query_one("#guardians", DataTable).focus()
        else:
            self.query_one(StudentPicker).focus_search()

    def show(self, board: Board) -> None:
        """The desk shows search results, not the board; news about a child on it reads her again."""
        fresh = [line for line in board.feed if line.seq > self._read_to] if self._read_to >= 0 else []
        self._read_to = board.feed[-1].seq if board.feed else max(self._read_to, 0)
        picker = self.query_one(StudentPicker)
        shown = [*picker.results, *([self.student] if self.student else [])]
        about = [line for line in fresh if any(_concerns(line, child) for child in shown)]
        if self.student and any(line.outcome == "picked_up" and _concerns(line, self.student) for line in about):
            self._next_family()  # she has gone: the desk is clear for the next parent
        elif about:
            picker.search_again()

    def _results_read(self, results: tuple[StudentHit, ...]) -> None:
        """The child on the desk read again: her state as the device now holds it."""
        student = next((hit for hit in results if self.student and hit.id == self.student.id), None)
        if student is not None:
            self.student = student
            self._title()

    def action_search(self) -> None:
        self.query_one(StudentPicker).focus_search()

    def action_check_in(self) -> None:
        """Check in by hand the child on the desk (or under the cursor in the results): a forgotten card."""
        student = self.student or self.query_one(StudentPicker).highlighted
        if student is not None:
            ask_check_in(self, student)

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
        self._title()
        table.focus()
        self._hint()

    def _title(self) -> None:
        """Whose guardians these are, and where she stands now."""
        if self.student is None:
            return
        student, lang = self.student, str(getattr(self.app, "lang", "zh"))
        title = tr(self, "tui.pickup.guardians", name=student.name, klass=student.class_name)
        state = describe(student.state, lang) if student.state else ""
        self.query_one("#guardians", DataTable).border_title = f"{title} · {state}" if state else title

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
            if yes:  # the desk clears when the device says she has gone (`show`), never on a refusal
                self.post_message(Act("release", student.id, guardian_id=guardian.id, who=student.name))

        self.app.push_screen(ReleaseDialog(student, guardian), confirmed)


def _concerns(line: FeedLine, student: StudentHit) -> bool:
    """Whether an event is about this child: hers, or one of her guardians' naming her."""
    if line.subject == student.id:
        return True
    return student.name in line.children and line.subject in {g.id for g in student.guardians}
