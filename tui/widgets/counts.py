"""Provides `Counts`: today's numbers for the sessions on now — enrolled, present, late, on leave, missing, ..."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tui.board import totals
from tui.rows import SessionRow
from tui.text import tr

ALARMING = {"missing", "still_waiting"}


class Counts(Static):
    sessions: reactive[tuple[SessionRow, ...]] = reactive(())

    def watch_sessions(self, sessions: tuple[SessionRow, ...]) -> None:
        self.update(self.text(sessions))

    def text(self, sessions: tuple[SessionRow, ...]) -> Text:
        if not sessions:
            return Text(tr(self, "tui.live.no_session"))
        first = sessions[0]
        services = "、".join(dict.fromkeys(s.service for s in sessions))
        text = Text(f"{services} {first.start:%H:%M}–{first.end:%H:%M}", style="bold")
        summed = totals(sessions)
        # Before the headcount nobody is missing yet, only not yet arrived: show whichever holds.
        absent = "not_yet_arrived" if summed.get("not_yet_arrived") else "missing"
        # Left early has its own number: a child released during study is still accounted for.
        for name in ("enrolled", "present", "late", "on_leave", absent, "left_early", "picked_up", "still_waiting"):
            value = summed.get(name, 0)
            text.append("  ")
            text.append(f"{tr(self, 'tui.col.' + name)}\u00a0")  # no break between a label and its number
            text.append(str(value), style="bold red" if name in ALARMING and value else "bold")
        return text
