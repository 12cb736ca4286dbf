"""Provides `AssignDialog`: give an unknown card to a student — type a few letters of the name, Enter."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from tui.rows import StudentHit
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
