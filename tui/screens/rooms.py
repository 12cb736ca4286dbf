"""Provides `RoomsScreen` (F2): each room's numbers now — enrolled, present, late, on leave, missing, left early,
picked up, waiting."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable

from tui.board import Board, current_sessions
from tui.columns import Layout, fitting, table_width
from tui.rows import SessionRow
from tui.screens.base import BoardScreen
from tui.text import tr

# Left early is counted apart, so a child released before the end does not silently drop out of the numbers.
NUMBERS = ("enrolled", "present", "late", "on_leave", "missing", "left_early", "picked_up", "still_waiting")


COLUMNS = ("room", "service", *NUMBERS, "report")

# What gives way at narrow widths, in turn (at 80 columns Chinese needs 87 with everything, 73
# without the time and the report; English 99, and 76 without late too): the start time (the
# service's name stays), the report's words (签字 ✓ 已签 / signed ✓ yes), the report (it is on F5,
# with who signed), then late (counted among the present too, and named on F5).
LAYOUTS = (
    Layout(),
    Layout(time=False),
    Layout(time=False, narrow=frozenset({"report"})),
    Layout(time=False, dropped=frozenset({"report"})),
    Layout(time=False, dropped=frozenset({"report", "late"})),
)


class RoomsScreen(BoardScreen):
    TITLE_KEY = "tui.screen.rooms"
    _shown: tuple[SessionRow, ...] = ()  # the rows on screen, in order
    columns_layout: Layout | None = None  # the columns shown (None before the first draw)

    def compose_body(self) -> ComposeResult:
        yield DataTable(cursor_type="row", zebra_stripes=True, id="rooms")

    def show(self, board: Board) -> None:
        # The sessions on now: at 18:40 the guard asks about evening study, not this noon's care
        # (the whole day is on the zero reports screen).
        sessions = current_sessions(board)
        table: DataTable[str | Text] = self.query_one("#rooms", DataTable)
        table.set_class(not board.online, "-stale")
        row = table.cursor_row
        chosen = self._shown[row] if 0 <= row < len(self._shown) else None

        def needs(layout: Layout) -> int:
            return table_width(headers(self, layout), [cells(self, s, layout) for s in sessions])

        layout = fitting(LAYOUTS, needs, room_for(self, table, len(sessions)))
        table.clear(columns=layout != self.columns_layout)
        if layout != self.columns_layout:
            self.columns_layout = layout
            for key, header in zip(shown(layout), headers(self, layout), strict=True):
                table.add_column(header, key=key)
        for session in sessions:
            table.add_row(*cells(self, session, layout), key=session.id)
        self._shown = sessions
        if sessions:
            table.move_cursor(row=same_room(sessions, chosen, row))


def shown(layout: Layout) -> list[str]:
    return [name for name in COLUMNS if name not in layout.dropped]


def headers(screen: BoardScreen, layout: Layout) -> list[str]:
    return [tr(screen, f"tui.col.{name}" + (".narrow" if name in layout.narrow else "")) for name in shown(layout)]


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


def cells(screen: BoardScreen, session: SessionRow, layout: Layout = LAYOUTS[0]) -> list[str | Text]:
    found: list[str | Text] = [session.room, f"{session.service} {session.start:%H:%M}" if layout.time else session.service]
    for name in NUMBERS:
        if name in layout.dropped:
            continue
        value = session.count(name)
        alarming = name in ("missing", "still_waiting") and value > 0
        found.append(Text(str(value), style="bold red" if alarming else "", justify="right"))
    if "report" not in layout.dropped:
        found.append(signed_cell(screen, session, "report" in layout.narrow))
    return found


def signed_cell(screen: BoardScreen, session: SessionRow, narrow: bool) -> Text:
    """✓ 已签 / ! 未签 — in English `✓ signed` / `! unsigned`, or, narrower, under a `signed` header, `✓ yes` / `! no`."""
    if session.signed:
        return Text(f"✓ {tr(screen, 'tui.report.yes' if narrow else 'tui.report.signed_short')}", style="green")
    return Text(f"! {tr(screen, 'tui.report.no' if narrow else 'report.unsigned')}", style="yellow")


def room_for(screen: BoardScreen, table: DataTable[str | Text], rows: int) -> int:
    """The columns a table has for its cells: the screen's width, less a scrollbar when its rows overflow."""
    width = screen.size.width or screen.app.size.width
    overflows = table.size.height and rows + 1 > table.size.height
    return width - (table.styles.scrollbar_size_vertical if overflows else 0)
