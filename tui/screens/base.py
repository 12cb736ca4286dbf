"""Provides `BoardScreen`: a main screen that shows the app's board, redrawn only while it is on view."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen

from tui.board import Board, on_campus, urgent_alerts
from tui.text import localise, tr
from tui.widgets.key_footer import KeyFooter
from tui.widgets.status_bar import StatusBar


class BoardScreen(Screen[None]):
    """Watches the app's `board`; a screen not on view only notes that it is stale and catches up on resume."""

    TITLE_KEY: ClassVar[str] = ""
    BINDINGS: ClassVar[list[BindingType]] = []

    def __init__(self) -> None:
        super().__init__()
        self._stale = True
        localise(self)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield from self.compose_body()
        yield KeyFooter()  # this screen's keys, F1–F6 while they fit, F12 for all of them

    def compose_body(self) -> ComposeResult:
        yield from ()

    @property
    def board(self) -> Board:
        board: Board = getattr(self.app, "board", Board())
        return board

    def on_mount(self) -> None:
        self.watch(self.app, "board", self._board_changed, init=True)

    def on_resize(self) -> None:
        # A table's columns give way, or come back, to the new width. (A resize may arrive while the
        # console closes, its screens already gone: nothing to draw then.)
        if self.app.screen_stack and self.is_current:
            self._draw(self.board)

    def on_screen_resume(self) -> None:
        if self._stale:
            self._draw(self.board)

    def _board_changed(self, board: Board) -> None:
        if self.is_current:
            self._draw(board)
        else:
            self._stale = True

    def _draw(self, board: Board) -> None:
        self._stale = False
        status = self.query_one(StatusBar)
        status.title = f"{tr(self, 'tui.title')} · {tr(self, self.TITLE_KEY)}"
        status.online, status.offline_since = board.online, board.offline_since
        status.problem, status.device_now = board.problem, board.device_now
        status.open_alerts, status.urgent_alerts = len(board.alerts), len(urgent_alerts(board))
        status.on_campus = on_campus(board) if board.sessions else None
        status.muted = board.muted
        status.unresolved_cards = len(board.cards)
        status.disk_state = board.health.disk_state if board.health else "ok"
        self.show(board)

    def show(self, board: Board) -> None:
        """Set the screen's widgets from `board` (attributes down)."""

