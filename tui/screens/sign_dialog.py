"""Provides `SignDialog`: sign a room's zero report with a staff id, or by tapping a staff card on any reader.

While the dialog is open, a staff card tapped at a reader (the feed shows "staff on duty" with
the staff id) fills in that id and signs: the teacher need not type anything.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tui.board import Board
from tui.rows import SessionRow
from tui.text import localise, tr


class SignDialog(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "tui.key.cancel")]

    def __init__(self, session: SessionRow) -> None:
        super().__init__()
        self.session = session
        self._seen_seq: int | None = None
        localise(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(tr(self, "tui.report.sign_title", room=self.session.room, service=self.session.service),
                        classes="dialog-title")  # fmt: skip
            yield Label(tr(self, "tui.report.sign_prompt"))
            yield Input(id="staff", max_length=64)

    def on_mount(self) -> None:
        self.watch(self.app, "board", self._board_changed, init=True)

    def _board_changed(self, board: Board) -> None:
        if self._seen_seq is None:  # only taps from now on count
            self._seen_seq = board.head_seq
            return
        for line in board.feed:
            if line.seq > self._seen_seq and line.outcome == "staff_on_duty" and line.subject:
                self.dismiss(line.subject)
                return
        self._seen_seq = board.head_seq

    @on(Input.Submitted, "#staff")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
