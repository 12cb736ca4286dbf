"""Provides `StatusBar`: the top line — which device, its clock, and plainly whether the console is online."""

from __future__ import annotations

from datetime import datetime

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.text import tr


class StatusBar(Widget):
    title: reactive[str] = reactive("")
    online: reactive[bool] = reactive(False)
    offline_since: reactive[datetime | None] = reactive(None)
    problem: reactive[str] = reactive("")
    device_now: reactive[datetime | None] = reactive(None)

    def watch_online(self, online: bool) -> None:
        self.set_class(not online and self.offline_since is not None, "-offline")

    def watch_offline_since(self, since: datetime | None) -> None:
        self.set_class(not self.online and since is not None, "-offline")

    def render(self) -> RenderableType:
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
        left = Text(self.title, style="bold")
        if self.device_now is not None:
            left.append(f"  {tr(self, 'tui.device_time', time=f'{self.device_now:%H:%M}')}")
        grid.add_row(left, Text(self._connection(), style="bold"))
        return grid

    def _connection(self) -> str:
        if self.online:
            return tr(self, "tui.online")
        if self.offline_since is None:
            return tr(self, "tui.connecting")
        since = f"{self.offline_since:%H:%M}"
        key = "tui.offline.token" if self.problem == "token" else "tui.offline"
        return tr(self, key, since=since)
