"""Provides `ReleaseDialog`: confirm handing a child to a guardian; an adult without pickup rights gets a red warning."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from tui.rows import GuardianRow, StudentHit
from tui.text import localise, tr


class ReleaseDialog(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", "tui.key.confirm"),
        Binding("escape", "cancel", "tui.key.cancel"),
    ]

    def __init__(self, student: StudentHit, guardian: GuardianRow) -> None:
        super().__init__()
        self.student, self.guardian = student, guardian
        localise(self)

    def compose(self) -> ComposeResult:
        names = {"child": self.student.name, "guardian": self.guardian.name, "relation": self.guardian.relation}
        allowed = self.guardian.may_pick_up
        with Vertical(classes="dialog" if allowed else "dialog -denied"):
            if allowed:
                yield Label(tr(self, "tui.pickup.confirm", **names), classes="dialog-title")
                yield Label(f"{self.student.class_name} · {self.guardian.phone}")
                yield Label(tr(self, "tui.pickup.confirm_keys"))
            else:
                yield Label(tr(self, "tui.pickup.refuse_title", **names), classes="dialog-title")
                yield Label(tr(self, "tui.pickup.refuse_body"))
                yield Label(tr(self, "tui.pickup.refuse_keys"))

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
