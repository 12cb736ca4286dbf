"""Provides `ask_check_in` and `CheckInDialog`: check in by hand a child who forgot her card, from the gate or the desk.

Asked first, naming the child and where she stands now; then a note (忘带卡 unless the guard
writes another); then the intent goes up as an `Act`, and the device's answer (checked in, late,
already in, or refused with its code) is said by the app in the guard's language. There is no
undo: the device's correction takes back a release, a found, an excuse or a card, not a check-in.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label

from edge.core.standing import describe
from tui.messages import Act
from tui.rows import StudentHit
from tui.screens.confirm_dialog import ConfirmDialog
from tui.screens.note_dialog import NoteDialog
from tui.text import localise, tr
from tui.widgets.student_picker import StudentPicker


class CheckInDialog(ModalScreen[StudentHit | None]):
    """Which child to check in: type a few letters of the name (or class, guardian, phone), Enter."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "tui.key.cancel")]

    def __init__(self) -> None:
        super().__init__()
        localise(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Label(tr(self, "tui.check_in.pick_title"), classes="dialog-title")
            yield StudentPicker("check_in", id="check-in-picker")

    def on_mount(self) -> None:
        self.query_one(StudentPicker).focus_search()

    @on(StudentPicker.Chosen)
    def _chosen(self, event: StudentPicker.Chosen) -> None:
        self.dismiss(event.student)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CheckInNote(NoteDialog):
    """The note dialog, its box already holding the usual reason."""

    def __init__(self, title: str, prompt: str, note: str) -> None:
        super().__init__(title, prompt)
        self.note = note

    def on_mount(self) -> None:
        self.query_one("#note", Input).value = self.note


def ask_check_in(screen: Screen[Any], student: StudentHit) -> None:
    """Confirm naming `student`, take a note, then post the check-in from `screen`."""
    usual = tr(screen, "tui.check_in.default_note")

    def noted(note: str | None) -> None:
        if note is not None:  # Esc: nothing is checked in
            screen.post_message(Act("check_in", student.id, note=note or usual, who=student.name))

    def confirmed(yes: bool | None) -> None:
        if yes:
            title = tr(screen, "tui.check_in.note_title", name=student.name)
            screen.app.push_screen(CheckInNote(title, tr(screen, "tui.check_in.note_prompt"), usual), noted)

    question = tr(screen, "tui.check_in.confirm", name=student.name, klass=student.class_name)
    state = describe(student.state, str(getattr(screen.app, "lang", "zh"))) if student.state else ""
    detail = tr(screen, "tui.check_in.detail", state=state) if state else ""
    screen.app.push_screen(ConfirmDialog(question, detail), confirmed)
