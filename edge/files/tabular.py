"""Provides the office's spreadsheets as rows: CSV or XLSX in, a sheet of rows out, problems collected.

Every upload reads through `read_table` (the roster, enrolments and leave in edge.files.roster; the
settings in edge.files.settings), so every problem is `file:line: reason` with the reason from the
catalogue (`office.upload.*`) in the caller's language. A cell parser says what is wrong by raising
`Bad(key)`; the sheet turns it into the reason.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TypeVar

import openpyxl
from openpyxl.cell import WriteOnlyCell

from edge.core.i18n import t
from hardware.reads import is_random_uid, normalise_uid

T = TypeVar("T")

SUFFIXES = (".csv", ".xlsx")


class RosterError(Exception):
    """A file the office gave us is wrong; `messages` holds every problem as `path:line: reason`."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = list(messages)


class Bad(ValueError):
    """A cell's value is wrong; `key` is the catalogue's reason (`office.upload.<key>`)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Column:
    """A column: `key` is its English header and the key rows use, `zh` its Chinese header."""

    key: str
    zh: str
    required: bool = False
    aliases: tuple[str, ...] = ()


class Problems:
    """Collects every problem in one file so the office can fix them all in one pass."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.messages: list[str] = []

    def add(self, line: int, reason: str) -> None:
        self.messages.append(f"{self.path}:{line}: {reason}")

    def raise_if_any(self) -> None:
        if self.messages:
            raise RosterError(self.messages)


class Row:
    """One data row: its line, its cells by column key, and a way to report what is wrong with them."""

    def __init__(
        self, line: int, cells: Mapping[str, str], labels: Mapping[str, str], problems: Problems
    ) -> None:
        self.line = line
        self.cells = cells
        self.labels = labels
        self.failed = False
        self._problems = problems

    def get(self, key: str) -> str:
        return self.cells.get(key, "")

    def label(self, key: str) -> str:
        """The column's header as the file wrote it, so the office recognises it."""
        return self.labels[key]

    def fail(self, reason: str) -> None:
        self.failed = True
        self._problems.add(self.line, reason)


@dataclass
class Sheet:
    """The rows of one file, with the language its reasons are written in."""

    rows: list[Row]
    problems: Problems
    lang: str

    def say(self, key: str, **params: object) -> str:
        return t(f"office.upload.{key}", self.lang, **params)

    def fail(self, row: Row, key: str, **params: object) -> None:
        row.fail(self.say(key, **params))

    def parse(
        self, row: Row, key: str, parse: Callable[[str], T], value: str | None = None, need: bool = False
    ) -> T | None:
        """`parse(value)` (the cell by default), or None after reporting its Bad; None when empty."""
        text = row.get(key) if value is None else value
        if not text:
            if need:
                self.fail(row, "empty", column=row.label(key))
            return None
        try:
            return parse(text)
        except Bad as bad:
            self.fail(row, "bad", column=row.label(key), value=text, reason=self.say(bad.key))
            return None

    def need(self, row: Row, key: str, parse: Callable[[str], T]) -> T | None:
        """Like `parse`, but an empty cell is a problem too."""
        return self.parse(row, key, parse, need=True)

    def done(self) -> None:
        self.problems.raise_if_any()


def fold(text: str) -> str:
    """Full-width digits and punctuation (common in Chinese input) as their ASCII forms."""
    return unicodedata.normalize("NFKC", text).strip()


def _header_key(text: str) -> str:
    # "Student ID", "student_id" and "学 号" all name the same column.
    return "".join(text.split()).replace("_", "").replace("-", "").casefold()


# -- cells every upload shares (a parser returns the value or raises Bad) ---------------------------

_YES_NO = {w: True for w in ("是", "yes", "y", "true", "1")} | {
    w: False for w in ("否", "no", "n", "false", "0")
}
_DATE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?")


def plain(text: str) -> str:
    return text


def yes_no(text: str) -> bool:
    if (answer := _YES_NO.get(fold(text).casefold())) is None:
        raise Bad("not_yes_no")
    return answer


def calendar_date(text: str) -> date:
    """2026-09-01, 2026/9/1, 2026.9.1 or 2026年9月1日."""
    found = _DATE.fullmatch(fold(text))
    try:
        if found:
            return date(*(int(part) for part in found.groups()))
    except ValueError:
        pass
    raise Bad("not_date")


def card_uid(text: str) -> str:
    if re.fullmatch(r"[0-9]{10}", text):
        # Vendors print the UID as a decimal number; which byte order they used is another task.
        raise Bad("uid_decimal")
    try:
        uid = normalise_uid(text)
    except ValueError:
        raise Bad("not_uid") from None
    if is_random_uid(uid):
        raise Bad("uid_random")
    return uid


def read_table(path: Path, columns: Sequence[Column], lang: str, empty: str | None = "no_rows") -> Sheet:
    """The data rows of a CSV or XLSX file; header problems are raised at once, row problems collected.

    A file with a header and no rows raises the reason `empty` (None: such a file is an empty list)."""
    problems = Problems(path)

    def say(key: str, **params: object) -> str:
        return t(f"office.upload.{key}", lang, **params)

    raw = [(line, cells) for line, cells in _raw_rows(path, say) if any(cells)]
    if not raw:
        raise RosterError([f"{path}:1: {say('file_empty')}"])
    header_line, header = raw[0]
    by_name = {_header_key(name): c for c in columns for name in (c.key, c.zh, *c.aliases)}
    labels = {c.key: c.zh for c in columns}
    positions: dict[int, str] = {}
    for index, text in enumerate(header):
        if not text:
            continue
        column = by_name.get(_header_key(text))
        if column is None:
            problems.add(header_line, say("unknown_column", text=text))
        elif column.key in positions.values():
            problems.add(header_line, say("twice", text=text))
        else:
            positions[index] = column.key
            labels[column.key] = text
    for column in columns:
        if column.required and column.key not in positions.values():
            problems.add(header_line, say("missing_column", zh=column.zh, en=column.key))
    problems.raise_if_any()
    if len(raw) == 1 and empty is not None:
        raise RosterError([f"{path}:{header_line}: {say(empty)}"])
    rows = []
    for line, cells in raw[1:]:
        row = Row(line, {key: cells[i] for i, key in positions.items() if i < len(cells)}, labels, problems)
        for index, text in enumerate(cells):
            if text and index not in positions:
                row.fail(say("no_header", text=text, n=index + 1))
        for key, text in row.cells.items():
            # Control characters are never part of a name or a number, and XLSX cannot store them.
            if any(unicodedata.category(ch) == "Cc" for ch in text):
                row.fail(say("control", column=row.label(key), value=text))
        rows.append(row)
    return Sheet(rows, problems, lang)


def _raw_rows(path: Path, say: Callable[..., str]) -> list[tuple[int, list[str]]]:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise RosterError([f"{path}:1: {say('suffix')}"])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RosterError([f"{path}:1: {say('unreadable', detail=exc.strerror)}"]) from exc
    if suffix == ".csv":
        return _csv_rows(path, data, say)
    return _xlsx_rows(path, data, say)


def _csv_rows(path: Path, data: bytes, say: Callable[..., str]) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            # Chinese Excel saves "CSV" in the system code page, GBK; GB18030 is its superset.
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise RosterError([f"{path}:{line}: {say('not_text')}"]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, [cell.strip() for cell in cells]))
            # A quoted cell may span lines; report a row at the line it starts on.
            start = reader.line_num + 1
    except csv.Error:
        raise RosterError([f"{path}:{start}: {say('not_csv')}"]) from None
    return rows


def _xlsx_rows(path: Path, data: bytes, say: Callable[..., str]) -> list[tuple[int, list[str]]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            values = list(book.worksheets[0].iter_rows(values_only=True))
        finally:
            book.close()
    # A damaged workbook fails anywhere in zipfile, zlib, XML parsing or openpyxl, each with its own
    # exceptions (fuzzing met zlib.error, EOFError, ParseError, RuntimeError...): all mean "fix the file".
    except Exception:  # noqa: BLE001
        raise RosterError([f"{path}:1: {say('not_excel')}"]) from None
    return [(line, [_cell_text(value) for value in cells]) for line, cells in enumerate(values, start=1)]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Excel stores numbers as floats; a phone number typed as a number must not gain ".0".
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def write_table(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Write a CSV (UTF-8 with BOM, which Excel detects) or an XLSX with every cell as text."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            csv.writer(out).writerows([header, *rows])
    elif suffix == ".xlsx":
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        for values in [header, *rows]:
            sheet.append([_text_cell(sheet, value) for value in values])
        book.save(path)
    else:
        raise ValueError(f"{path}: can write only {' or '.join(SUFFIXES)}")


def _text_cell(sheet: object, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    # Text, never a formula or a number: phone numbers keep their digits, "=..." is not evaluated.
    cell.data_type = "s"
    cell.number_format = "@"
    return cell
