"""Provides `AssignDialog`: give an unknown card to a student — type a few letters of the name, Enter —
and `give_card`, the whole flow: find the child, ask naming her, then send the assignment."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Label

from tui.messages import Act
from tui.rows import StudentHit
from tui.screens.confirm_dialog import ConfirmDialog
from tui.text import localise, tr
from tui.widgets.student_picker import StudentPicker


class AssignDialog(ModalScreen[StudentHit | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "tui.key.cancel")]

    def __init__(self, uid: str) -> None:
        super().__init__()
        self.uid = uid
        localise(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Label(tr(self, "tui.assign.title", uid=self.uid), classes="dialog-title")
            yield Label(tr(self, "tui.assign.keys"))
            yield StudentPicker("assign", id="assign-picker")

    def on_mount(self) -> None:
        self.query_one(StudentPicker).focus_search()

    @on(StudentPicker.Chosen)
    def _chosen(self, event: StudentPicker.Chosen) -> None:
        self.dismiss(event.student)

    def action_cancel(self) -> None:
        self.dismiss(None)


def give_card(screen: Screen[Any], uid: str) -> None:
    """The gate's A and the cards list's A: pick the child, confirm naming her, then ask the device."""

    def assign(student: StudentHit | None) -> None:
        if student is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                screen.post_message(Act("assign_card", student.id, uid=uid, who=student.name))

        question = tr(screen, "tui.confirm.assign", uid=uid, name=student.name, klass=student.class_name)
        screen.app.push_screen(ConfirmDialog(question), confirmed)

    screen.app.push_screen(AssignDialog(uid), assign)
