"""Provides `RoomsScreen` (F2): each room's numbers now — enrolled, present, late, on leave, missing, left early,
picked up, waiting."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable

from tui.board import Board, current_sessions
from tui.rows import SessionRow
from tui.screens.base import BoardScreen
from tui.text import tr

# Left early is counted apart, so a child released before the end does not silently drop out of the numbers.
NUMBERS = ("enrolled", "present", "late", "on_leave", "missing", "left_early", "picked_up", "still_waiting")


class RoomsScreen(BoardScreen):
    TITLE_KEY = "tui.screen.rooms"
    _shown: tuple[SessionRow, ...] = ()  # the rows on screen, in order

    def compose_body(self) -> ComposeResult:
        table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True, id="rooms")
        table.add_column(tr(self, "tui.col.room"), key="room")
        table.add_column(tr(self, "tui.col.service"), key="service")
        for name in NUMBERS:
            table.add_column(tr(self, f"tui.col.{name}"), key=name)
        table.add_column(tr(self, "tui.col.report"), key="report")
        yield table

    def show(self, board: Board) -> None:
        # The sessions on now: at 18:40 the guard asks about evening study, not this noon's care
        # (the whole day is on the zero reports screen).
        sessions = current_sessions(board)
        table: DataTable[str | Text] = self.query_one("#rooms", DataTable)
        table.set_class(not board.online, "-stale")
        row = table.cursor_row
        chosen = self._shown[row] if 0 <= row < len(self._shown) else None
        table.clear()
        for session in sessions:
            table.add_row(*cells(self, session), key=session.id)
        self._shown = sessions
        if sessions:
            table.move_cursor(row=same_room(sessions, chosen, row))


def same_room(sessions: tuple[SessionRow, ...], chosen: SessionRow | None, row: int) -> int:
    """The row the cursor goes to when the rows change: the same session, else the same room (noon's
    301 -> this evening's 301), by id, never the same row number (another room by then)."""
    if chosen is not None:
        ids, rooms = [s.id for s in sessions], [s.room_id for s in sessions]
        if chosen.id in ids:
            return ids.index(chosen.id)
        if chosen.room_id in rooms:
            return rooms.index(chosen.room_id)
    return min(max(row, 0), len(sessions) - 1)


def cells(screen: BoardScreen, session: SessionRow) -> list[str | Text]:
    found: list[str | Text] = [session.room, f"{session.service} {session.start:%H:%M}"]
    for name in NUMBERS:
        value = session.count(name)
        alarming = name in ("missing", "still_waiting") and value > 0
        found.append(Text(str(value), style="bold red" if alarming else "", justify="right"))
    if session.signed:
        found.append(Text(f"✓ {tr(screen, 'tui.report.signed_short')}", style="green"))
    else:
        found.append(Text(f"! {tr(screen, 'report.unsigned')}", style="yellow"))
    return found
