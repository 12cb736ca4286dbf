"""Provides `ConfirmDialog`: a yes/no question naming the child it is about; Enter confirms, Esc cancels.

Found, release, excuse and assign change what the device holds about one child, so each asks
first, naming her: one stray key on a list that re-sorts under the cursor must erase nothing.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from tui.text import localise, tr


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", "tui.key.confirm"),
        Binding("escape", "cancel", "tui.key.cancel"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question, self.detail = question, detail
        localise(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title", id="question")
            if self.detail:
                yield Label(self.detail)
            yield Label(tr(self, "tui.confirm.keys"))

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
