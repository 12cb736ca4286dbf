"""Provides `ReleaseDialog`: confirm handing a child to a guardian; an adult without pickup rights gets a red warning.

Before her session's end it says so plainly ("提前离校:晚自习19:30结束") and the key releases her early.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from tui.board import Board, session_under_way
from tui.rows import GuardianRow, SessionRow, StudentHit
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
        early = self._early_from()
        with Vertical(classes="dialog" if allowed else "dialog -denied"):
            if allowed:
                yield Label(tr(self, "tui.pickup.confirm", **names), classes="dialog-title")
                yield Label(f"{self.student.class_name} · {self.guardian.phone}")
                if early is not None:
                    # Said plainly before the key: she leaves her session before its end, and is
                    # counted as left early (F1, F2), not as picked up at the end.
                    yield Label(Text(tr(self, "tui.release.early", service=early.service, end=f"{early.end:%H:%M}"),
                                     style="bold yellow"), id="early")  # fmt: skip
                yield Label(tr(self, "tui.release.early_keys" if early else "tui.pickup.confirm_keys"))
            else:
                yield Label(tr(self, "tui.pickup.refuse_title", **names), classes="dialog-title")
                yield Label(tr(self, "tui.pickup.refuse_body"))
                yield Label(tr(self, "tui.pickup.refuse_keys"))

    def _early_from(self) -> SessionRow | None:
        """The session she would leave before its end, as the console's board knows the sessions."""
        board = getattr(self.app, "board", None)
        if not isinstance(board, Board):
            return None
        room = self.student.state.room if self.student.state is not None else ""
        return session_under_way(board, room)

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
