"""Provides `StatusBar`: the top line of every screen — device clock (ticking), open alerts, children on campus, sound, online.

The counts are on every screen so a guard at the pickup desk (F4) still sees a new alert; the
clock ticks each second from the device's last known time (it was only redrawn with news, and
lagged up to 15 s); while offline the counts are dimmed, since they are the last ones known.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.text import tr

TICK_AT_MOST = timedelta(seconds=30)  # beyond this without news, the device's time is not guessed on


class StatusBar(Widget):
    title: reactive[str] = reactive("")
    online: reactive[bool] = reactive(False)
    offline_since: reactive[datetime | None] = reactive(None)
    problem: reactive[str] = reactive("")
    device_now: reactive[datetime | None] = reactive(None)
    open_alerts: reactive[int] = reactive(0)
    urgent_alerts: reactive[int] = reactive(0)
    on_campus: reactive[int | None] = reactive(None)
    muted: reactive[bool] = reactive(False)
    unresolved_cards: reactive[int] = reactive(0)  # unknown and lost cards no guard has dealt with (F7)
    disk_state: reactive[str] = reactive("ok")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._news_at = 0.0

    def _seconds(self) -> float:
        """The app's monotonic clock (a test freezes it, so two screenshots of one screen agree)."""
        clock = getattr(self.app, "monotonic", time.monotonic)
        return float(clock())

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh)

    def watch_device_now(self, now: datetime | None) -> None:
        self._news_at = self._seconds()

    def watch_online(self, online: bool) -> None:
        self.set_class(not online and self.offline_since is not None, "-offline")

    def watch_offline_since(self, since: datetime | None) -> None:
        self.set_class(not self.online and since is not None, "-offline")

    @property
    def clock(self) -> datetime | None:
        """The device's time now: its last known time, moved on by the seconds since (while online)."""
        if self.device_now is None:
            return None
        if not self.online:
            return self.device_now
        return self.device_now + min(timedelta(seconds=self._seconds() - self._news_at), TICK_AT_MOST)

    def render(self) -> RenderableType:
        # At 80 columns the screen's title gives way first: the clock and the counts are never cut.
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
        clock = self.clock
        when = tr(self, "tui.device_time", time=f"{clock:%H:%M:%S}") if clock is not None else ""
        grid.add_row(Text(self.title, style="bold"), when, self._right())
        return grid

    def _right(self) -> Text:
        stale = "dim" if not self.online else ""
        text = Text()
        alarm = "bold white on red" if self.urgent_alerts and self.online else "bold"
        if self.disk_state != "ok":  # taps refused (full, error) or soon to be (low): the guard calls IT
            refusing = self.disk_state in ("full", "error")
            text.append(tr(self, f"tui.status.disk_{self.disk_state}"),
                        style="bold white on red" if refusing else "bold yellow")  # fmt: skip
            text.append("  ")
        text.append(tr(self, "tui.status.alerts", count=self.open_alerts), style=f"{alarm} {stale}".strip())
        if self.on_campus is not None:
            text.append("  ")
            text.append(tr(self, "tui.status.on_campus", count=self.on_campus), style=f"bold {stale}".strip())
        if self.unresolved_cards:
            text.append("  ")
            text.append(tr(self, "tui.status.cards", count=self.unresolved_cards), style="bold yellow")
        text.append("  ")
        text.append(tr(self, "tui.status.muted" if self.muted else "tui.status.sound"),
                    style="bold yellow" if self.muted else "")  # fmt: skip
        text.append("  ")
        text.append(self._connection(), style="bold")
        return text

    def _connection(self) -> str:
        if self.online:
            return tr(self, "tui.online")
        if self.offline_since is None:
            return tr(self, "tui.connecting")
        since = f"{self.offline_since:%H:%M}"
        key = "tui.offline.token" if self.problem == "token" else "tui.offline"
        return tr(self, key, since=since)
