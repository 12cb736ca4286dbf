"""Provides the students' screen's widgets: the big verdict panel and the strip of refusals still being held."""

from __future__ import annotations

from rich.align import Align
from rich.console import Group, RenderableType
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.kiosk.queue import Shown
from tui.kiosk.verdict import OK
from tui.text import tr
from tui.widgets.glyphs import GLYPHS

STRIP_NAMES = 4  # names in the refusal strip; more are counted ("还有 2 人")


def huge(signal: str) -> list[str]:
    """The console's five-row shape, twice as tall and wide: readable across the gate."""
    rows = []
    for row in GLYPHS[signal]:
        wide = "".join(ch * 2 for ch in row)
        rows += [wide, wide]
    return rows


class VerdictPanel(Widget):
    """The latest tap: ✓ or ✗ huge, the name, the few words; "请刷卡" when idle, "连接中断" offline."""

    shown: reactive[Shown | None] = reactive(None)
    offline: reactive[str] = reactive("")  # empty when connected; otherwise the words to show

    def watch_shown(self, shown: Shown | None) -> None:
        self._restyle()

    def watch_offline(self, offline: str) -> None:
        self._restyle()

    def _restyle(self) -> None:
        self.set_class(bool(self.offline), "-offline")
        verdict = None if self.offline or self.shown is None else self.shown.verdict
        self.set_class(verdict is not None and verdict.mark == OK, "-ok")
        self.set_class(verdict is not None and verdict.mark != OK, "-refused")

    def render(self) -> RenderableType:
        if self.offline:
            return Align.center(Text(self.offline, style="bold", justify="center"), vertical="middle")
        if self.shown is None:
            return Align.center(Text(tr(self, "kiosk.ready"), style="bold", justify="center"), vertical="middle")
        verdict = self.shown.verdict
        signal = "ok" if verdict.mark == OK else "denied"
        words = 3 + bool(verdict.detail)  # name, mark and words, (detail,) time and place
        room = self.content_size.height - words - 1
        # As large as the screen allows: a small display or a large font still shows the words whole.
        shape = huge(signal) if room >= 10 else list(GLYPHS[signal]) if room >= 5 else []
        lines: list[RenderableType] = [Align.center(Text("\n".join(shape), style="bold")), Text("")] if shape else []
        lines += [
            # Aligned rather than justified: justifying strips the spaces at the line's end, and the bar with them.
            Align.center(Text(f" {verdict.name or tr(self, 'kiosk.unknown_holder')} ", style="bold reverse")),
            Text(f"{verdict.mark} {verdict.words}", style="bold", justify="center"),
        ]
        if verdict.detail:
            lines.append(Text(verdict.detail, style="bold", justify="center"))
        lines.append(Text(f"{verdict.time}  {verdict.place}", justify="center"))
        return Align.center(Group(*lines), vertical="middle")


class RefusalStrip(Widget):
    """Refusals the next tap displaced before their time: they stay here, so no refused child is missed."""

    refusals: reactive[tuple[Shown, ...]] = reactive(())

    def watch_refusals(self, refusals: tuple[Shown, ...]) -> None:
        self.display = bool(refusals)

    def render(self) -> RenderableType:
        names = [s.verdict.name or tr(self, "kiosk.unknown_holder") for s in self.refusals]
        text = Text(f"✗ {tr(self, 'kiosk.also_refused')} ", style="bold")
        text.append("  ".join(names[:STRIP_NAMES]), style="bold reverse")
        if len(names) > STRIP_NAMES:
            text.append("  " + tr(self, "kiosk.more", n=len(names) - STRIP_NAMES), style="bold")
        return Align.center(text)
