"""Provides `WaitingScreen` (W on F1): the 19:30 list — who is still waiting to be picked up, by room,
longest waiting first, with the minutes since the session's end; live as children leave.

The numbers come with the board (each session's `still_waiting`); the names from each such
session's report, read again whenever a room's numbers change (a child picked up, one more
waiting). The minutes move on with the device's clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.board import Board, current_sessions
from tui.messages import WantWaiting
from tui.rows import Report, SessionRow
from tui.screens.base import BoardScreen
from tui.text import tr

GONE_OR_WAITING = ("still_waiting", "picked_up", "walked_home", "left_early")  # a change in these: read the names again


def waiting_sessions(board: Board) -> tuple[SessionRow, ...]:
    """The sessions on now with children still waiting, the one that ended first (waited longest) first."""
    found = [s for s in current_sessions(board) if s.count("still_waiting") > 0]
    return tuple(sorted(found, key=lambda s: (s.end, s.room)))


def minutes_waited(session: SessionRow, now: datetime | None) -> int:
    """Whole minutes since the session ended (0 before, or while the device's time is not known)."""
    if now is None:
        return 0
    return max(int((now - session.end).total_seconds() // 60), 0)


class WaitingScreen(BoardScreen):
    TITLE_KEY = "waiting.title"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "tui.key.cancel", key_display="Esc")]

    def __init__(self) -> None:
        super().__init__()
        self.reports: dict[str, Report] = {}
        self._asked: tuple[tuple[object, ...], ...] = ()

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="waiting-scroll"):
            yield Static(id="waiting")

    def show(self, board: Board) -> None:
        sessions = waiting_sessions(board)
        asked = tuple((s.id, *(s.count(name) for name in GONE_OR_WAITING)) for s in sessions)
        if asked != self._asked:  # a room's numbers changed: its names are read again
            self._asked = asked
            self.post_message(WantWaiting(tuple(s.id for s in sessions)))
        self.query_one("#waiting", Static).update(self._lines(sessions, board.device_now))

    def take(self, report: Report) -> None:
        """A report the app read for this list."""
        self.reports[report.session.id] = report
        self.show(self.board)

    def _lines(self, sessions: tuple[SessionRow, ...], now: datetime | None) -> Text:
        if not sessions:
            return Text(tr(self, "waiting.none"), style="bold green")
        text = Text()
        for session in sessions:
            self._room(text, session, self.reports, now)
        text.append(tr(self, "waiting.back"), style="dim")
        return text

    def _room(self, text: Text, session: SessionRow, reports: Mapping[str, Report], now: datetime | None) -> None:
        minutes = minutes_waited(session, now)
        heading = tr(self, "waiting.room", room=session.room, service=session.service,
                     count=session.count("still_waiting"), minutes=minutes)  # fmt: skip
        text.append(heading + "\n", style="bold red" if minutes >= 30 else "bold")
        report = reports.get(session.id)
        if report is None:
            text.append(f"  {tr(self, 'waiting.loading')}\n")
            return
        for line in report.lists.get("still_waiting", ()):
            text.append(f"  {line.name}  {line.class_name}  {line.guardian} {line.phone}".rstrip() + "\n")
        text.append("\n")

    def action_back(self) -> None:
        self.dismiss()
