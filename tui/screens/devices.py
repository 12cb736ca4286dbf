"""Provides `DevicesScreen` (F6): each reader's state, the clock's trust, how far behind the server's sync is, the disk."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tui.board import Board
from tui.rows import Health
from tui.screens.base import BoardScreen
from tui.text import tr


class DevicesScreen(BoardScreen):
    TITLE_KEY = "tui.screen.devices"

    def compose_body(self) -> ComposeResult:
        table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True, id="readers")
        for key in ("tui.col.reader", "tui.col.role", "tui.col.state"):
            table.add_column(tr(self, key))
        yield table
        yield Static(id="device-info")

    def show(self, board: Board) -> None:
        table: DataTable[str | Text] = self.query_one("#readers", DataTable)
        table.clear()
        health = board.health
        # Each reader by the name the device gives it (东门入口, 301教室门口), never its id or a room id.
        readers = [(r.id, r.name or r.id, r.role) for r in health.readers] if health else [(r, r, "") for r in board.readers]
        for reader_id, name, role in readers:
            table.add_row(name, tr(self, f"tui.role.{role}") if role else "",
                          self._state(board.readers.get(reader_id, "")))  # fmt: skip
        info = self.query_one("#device-info", Static)
        info.update(self._info(health) if health else Text(tr(self, "tui.devices.waiting")))

    def _state(self, state: str) -> Text:
        if state == "up":
            return Text(tr(self, "tui.reader.up"), style="bold green")
        if state == "down":
            return Text(tr(self, "tui.reader.down"), style="bold white on red")
        return Text(tr(self, "tui.reader.unknown"), style="yellow")

    def _info(self, health: Health) -> Text:
        text = Text(tr(self, "tui.devices.device", device=health.device, version=health.version) + "\n", style="bold")
        clock = "tui.devices.clock_ok" if health.clock_trusted else "tui.devices.clock_bad"
        text.append(tr(self, clock), style="green" if health.clock_trusted else "bold yellow")
        if health.simulated:
            text.append(" " + tr(self, "tui.devices.simulated"))
        text.append("\n")
        if health.unsynced:
            text.append(tr(self, "tui.devices.sync", count=health.unsynced) + "\n", style="yellow")
        else:
            text.append(tr(self, "tui.devices.synced") + "\n", style="green")
        free, total = health.free_bytes, max(health.total_bytes, 1)
        low = health.disk_state != "ok"  # the device's verdict, by its own threshold ([storage] low_free_mib)
        text.append(tr(self, "tui.devices.disk", free=_size(free), total=_size(total), percent=round(100 * free / total)),
                    style="bold red" if low else "")  # fmt: skip
        if low:
            text.append(" " + tr(self, f"tui.status.disk_{health.disk_state}"), style="bold red")
        text.append("\n" + tr(self, "tui.devices.consoles", count=health.live_clients))
        return text


def _size(count: int) -> str:
    return f"{count / 1e9:.1f} GB" if count >= 1e9 else f"{count / 1e6:.0f} MB"
