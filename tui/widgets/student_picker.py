"""Provides `StudentPicker`: a search box (name, pinyin, initials, class or card) over a table of the students found.

It asks for nothing itself: typing posts a `Search` intent up, the app's worker answers by
setting `results`, and choosing a row posts `StudentPicker.Chosen`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Input

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
        table.add_columns(tr(self, "col.name"), tr(self, "col.class"), tr(self, "tui.col.guardians"))
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

    def watch_results(self, results: tuple[StudentHit, ...]) -> None:
        table: DataTable[str] = self.query_one("#hits", DataTable)
        table.clear()
        for hit in results:
            guardians = "、".join(g.name for g in hit.guardians)
            table.add_row(hit.name, hit.class_name, guardians, key=hit.id)
