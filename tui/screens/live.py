"""Provides `LiveScreen` (F1): the gate — the last tap large, today's counts, and the feed of every event."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from tui.board import Board, current_sessions, place_names
from tui.rows import StudentHit
from tui.screens.assign_dialog import give_card
from tui.screens.base import BoardScreen
from tui.screens.check_in import CheckInDialog, ask_check_in
from tui.screens.waiting import WaitingScreen
from tui.widgets.counts import Counts
from tui.widgets.feed import Feed
from tui.widgets.last_tap import LastTap


class LiveScreen(BoardScreen):
    TITLE_KEY = "tui.screen.live"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "assign", "tui.key.assign", key_display="A"),
        Binding("w", "waiting", "waiting.key", key_display="W"),  # the 19:30 list
        Binding("i", "check_in", "tui.key.check_in", key_display="I"),  # a forgotten card (the pickup desk's)
    ]

    def __init__(self) -> None:
        super().__init__()
        self._could_assign = False

    def compose_body(self) -> ComposeResult:
        yield LastTap(id="last-tap")
        yield Counts(id="counts")
        yield Feed(id="feed")

    def show(self, board: Board) -> None:
        names = place_names(board)
        self.query_one(LastTap).names = names
        self.query_one(LastTap).line = board.last_tap
        self.query_one(Feed).names = names
        self.query_one(Counts).sessions = current_sessions(board)
        self.query_one(Counts).set_class(not board.online, "-stale")  # the last counts known, dimmed
        self.query_one(Feed).lines_shown = board.feed
        can_assign = board.last_tap is not None and board.last_tap.unknown_card
        if can_assign != self._could_assign:
            # Only on a change: each refresh rebuilds the footer's keys, and at a hundred taps a
            # second rebuilding it per burst kept thousands of retired key widgets alive.
            self._could_assign = can_assign
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "assign":  # offered only while the last tap is a card nobody holds
            tap = self.board.last_tap
            return tap is not None and tap.unknown_card  # False hides it from the footer
        return True

    def action_assign(self) -> None:
        tap = self.board.last_tap
        if tap is None or not tap.unknown_card:
            return
        uid = tap.card_uid
        give_card(self, uid)

    def action_check_in(self) -> None:
        """A child at the gate without her card: find her, then ask naming her (the pickup desk's flow)."""

        def chosen(student: StudentHit | None) -> None:
            if student is not None:
                ask_check_in(self, student)

        self.app.push_screen(CheckInDialog(), chosen)

    def action_waiting(self) -> None:
        self.app.push_screen(WaitingScreen())
