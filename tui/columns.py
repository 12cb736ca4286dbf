"""Provides `Layout`, `table_width` and `fitting`: a table's columns as wide as the screen allows, none cut.

Pure. A screen lists its layouts from the widest to the narrowest (each drops a start time, takes a
header's or a cell's narrow words from the catalogue, or lets a column go) and shows the first whose
columns fit the width, every header and every cell whole. At 80 columns in English F2 needs 99
with everything and F5 93: narrower layouts fit them; at 100 nothing gives way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from rich.cells import cell_len
from rich.text import Text

PADDING = 2  # DataTable's cell_padding (1) either side of each column


@dataclass(frozen=True, slots=True)
class Layout:
    """What gives way: the sessions' start time, the narrow words of some columns, whole columns."""

    time: bool = True  # "晚自习 18:15" or, narrower, "晚自习"
    narrow: frozenset[str] = frozenset()  # columns in their narrow words (`<catalogue key>.narrow`)
    dropped: frozenset[str] = frozenset()  # columns not shown


def table_width(headers: Sequence[str], rows: Sequence[Sequence[str | Text]]) -> int:
    """Columns a DataTable needs to show every header and cell whole."""
    total = 0
    for column, header in enumerate(headers):
        cells = [_plain(row[column]) for row in rows if column < len(row)]
        total += max([cell_len(header), *(cell_len(cell) for cell in cells)]) + PADDING
    return total


T = TypeVar("T")


def fitting(layouts: Sequence[T], needs: Callable[[T], int], width: int) -> T:
    """The first of `layouts` (widest first) that `needs` no more than `width`; else the narrowest."""
    for layout in layouts:
        if needs(layout) <= width:
            return layout
    return layouts[-1]


def _plain(cell: str | Text) -> str:
    return cell.plain if isinstance(cell, Text) else cell
