"""Provides `Feed`: the scrolling list of taps and alerts, newest at the bottom, at most `FEED_ROWS` lines."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import RichLog

from tui.board import FEED_ROWS
from tui.rows import FeedLine

STYLES = {"ok": "green", "warning": "yellow", "denied": "bold red", "fault": "bold magenta"}


class Feed(RichLog):
    """Writes only the lines it has not shown yet (by seq), so a burst costs its own lines, not the whole feed."""

    lines_shown: reactive[tuple[FeedLine, ...]] = reactive(())

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=FEED_ROWS, wrap=False, markup=False, auto_scroll=True, id=id)
        self._last_seq = 0

    def watch_lines_shown(self, lines: Sequence[FeedLine]) -> None:
        if lines and lines[-1].seq < self._last_seq:  # a new log (the device's database was re-created)
            self.clear()
            self._last_seq = 0
        for line in lines:
            if line.seq > self._last_seq:
                self.write(Text(line.text, style=STYLES.get(line.signal, "")))
                self._last_seq = line.seq
