"""Provides `StudentPicker`: a search box (name, pinyin, initials, class, guardian, phone or card) over the students found.

It asks for nothing itself: typing posts a `Search` intent up, the app's worker answers by
setting `results`, and choosing a row posts `StudentPicker.Chosen`. Each row says where the
child stands today (in room 301 since 18:04, missing, gone with whom), as the device told.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Input

from edge.core.standing import describe
from tui.messages import Search
from tui.rows import StudentHit
from tui.text import tr


class StudentPicker(Vertical):
    results: reactive[tuple[StudentHit, ...]] = reactive(())
    """The students found for the text in the box, best first (set by the app)."""

    @dataclass
    class Chosen(Message):
        student: StudentHit

    def __init__(self, purpose: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.purpose = purpose

    def compose(self) -> ComposeResult:
        yield Input(placeholder=tr(self, "tui.search.prompt"), id="search")
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True, id="hits")
        table.add_columns(tr(self, "col.name"), tr(self, "col.class"), tr(self, "tui.col.state"), tr(self, "tui.col.guardians"))
        yield table

    @property
    def text(self) -> str:
        return self.query_one("#search", Input).value

    @property
    def highlighted(self) -> StudentHit | None:
        table = self.query_one("#hits", DataTable)
        if not self.results or table.cursor_row < 0 or table.cursor_row >= len(self.results):
            return None
        return self.results[table.cursor_row]

    def focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def search_again(self) -> None:
        """Ask the device again for the text in the box (what it holds about these children changed)."""
        if self.text.strip():
            # Posted from the picker's own turn: a message made while the app handles news has the app
            # as its sender, and bubbling stops below the sender, so the app would never hear it.
            self.call_later(lambda: self.post_message(Search(self.purpose, self.text)))

    def clear(self) -> None:
        """Empty the box and the results, and put the cursor back in the box."""
        self.query_one("#search", Input).value = ""  # posts Changed: the app answers with no results
        self.results = ()
        self.focus_search()

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(Search(self.purpose, event.value))

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if len(self.results) == 1:
            self.post_message(self.Chosen(self.results[0]))
        elif self.results:
            self.query_one("#hits", DataTable).focus()

    @on(DataTable.RowSelected, "#hits")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.results):
            self.post_message(self.Chosen(self.results[event.cursor_row]))

    def watch_results(self, before: tuple[StudentHit, ...], results: tuple[StudentHit, ...]) -> None:
        table: DataTable[str] = self.query_one("#hits", DataTable)
        row = table.cursor_row
        was_on = before[row].id if 0 <= row < len(before) else ""
        table.clear()
        lang = str(getattr(self.app, "lang", "zh"))
        for hit in results:
            guardians = "、".join(g.name for g in hit.guardians)
            state = describe(hit.state, lang) if hit.state else ""
            table.add_row(hit.name, hit.class_name, state, guardians, key=hit.id)
        ids = [hit.id for hit in results]
        if was_on in ids:  # the same child stays under the cursor when her row is read again
            table.move_cursor(row=ids.index(was_on))
