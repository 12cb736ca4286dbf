"""Provides `Feed`: the scrolling list of taps and alerts, newest at the bottom, at most `FEED_ROWS` lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import RichLog

from tui.board import FEED_ROWS
from tui.rows import FeedLine

PLACE_CELLS = 12  # "301教室门口" is 11 cells
STYLES = {"ok": "green", "warning": "yellow", "denied": "bold red", "fault": "bold magenta"}


class Feed(RichLog):
    """Writes only the lines it has not shown yet (by seq), so a burst costs its own lines, not the whole feed."""

    lines_shown: reactive[tuple[FeedLine, ...]] = reactive(())
    names: reactive[Mapping[str, str]] = reactive(dict, always_update=False)
    """Reader id -> display name; when it changes (the device's health is read) the feed is written again."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=FEED_ROWS, wrap=False, markup=False, auto_scroll=True, id=id)
        self._last_seq = 0

    def watch_names(self, names: Mapping[str, str]) -> None:
        self.clear()
        self._last_seq = 0
        self.watch_lines_shown(self.lines_shown)

    def watch_lines_shown(self, lines: Sequence[FeedLine]) -> None:
        if lines and lines[-1].seq < self._last_seq:  # a new log (the device's database was re-created)
            self.clear()
            self._last_seq = 0
        for line in lines:
            if line.seq > self._last_seq:
                self.write(Text(feed_text(line, self.names), style=STYLES.get(line.signal, "")))
                self._last_seq = line.seq


def feed_text(line: FeedLine, names: Mapping[str, str]) -> str:
    """`18:02:13 校门入口 ✓ 到校  张三 三年级2班 · reason`: the device's parts, the place by its name."""
    place = names.get(line.place, line.place)
    place += " " * max(PLACE_CELLS - cell_len(place), 0)  # columns line up, Chinese counted two cells wide
    who = f"{line.name} {line.class_name}".strip()
    if line.children:
        who = f"{who} → {'、'.join(line.children)}"
    text = f"{line.time} {place} {line.shape} {line.label}  {who}"
    return f"{text} · {line.reason}" if line.reason else text
