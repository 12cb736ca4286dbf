"""Provides `LastTap`: the big panel with the last tap — shape, outcome, name, class, reason — in its signal's colour."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.rows import FeedLine
from tui.text import tr
from tui.widgets.glyphs import GLYPHS, WIDTH

SIGNAL_CLASSES = ("-ok", "-warning", "-denied", "-fault")


class LastTap(Widget):
    """The last card tapped (or release made), large; an unknown card also says how to assign it."""

    line: reactive[FeedLine | None] = reactive(None)
    names: reactive[Mapping[str, str]] = reactive(dict)  # reader id -> display name

    def watch_line(self, line: FeedLine | None) -> None:
        self.remove_class(*SIGNAL_CLASSES)
        if line is not None:
            self.add_class(f"-{line.signal}")

    def render(self) -> RenderableType:
        line = self.line
        if line is None:
            return Text(tr(self, "tui.live.waiting"), style="bold")
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(width=WIDTH, no_wrap=True)
        grid.add_column(ratio=1)
        text = Text()
        text.append(f"{line.shape} {line.label}\n", style="bold")
        text.append(line.name or "—", style="bold reverse")
        if line.class_name:
            text.append(f"  {line.class_name}", style="bold")
        if line.children:
            text.append(f" → {'、'.join(line.children)}", style="bold")
        text.append("\n")
        text.append(f"{line.reason}\n" if line.reason else "\n")
        text.append(f"{line.time}  {self.names.get(line.place, line.place)}")
        if line.unknown_card:
            text.append(f"\n{tr(self, 'tui.live.assign_hint')}", style="bold underline")
        grid.add_row(Text("\n".join(GLYPHS.get(line.signal, GLYPHS["warning"])), style="bold"), text)
        return grid
