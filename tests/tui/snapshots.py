"""Provides `assert_snapshot`: the console's screen against golden files in `tests/tui/__snapshots__/`.

Each snapshot is two committed files from one render of the screen: `NAME.svg`, what the guard
sees with colours (open it in a browser to review), and `NAME.txt`, the same screen as plain
text, whose diff reads in a terminal or a code review, Chinese included. A mismatch fails with
the text diff (or, when only colours changed, says so) and leaves `NAME.actual.svg` and
`NAME.actual.txt` beside the golden files to look at. After reviewing a change on purpose, run
the tests with `SNAPSHOT_UPDATE=1` to rewrite the golden files, and review their diff too.

Why not pytest-textual-snapshot: it needs syrupy 4, which holds pytest below 9, and this
project runs pytest 9; a hundred lines here cost less than pinning the whole suite back.
"""

from __future__ import annotations

import difflib
import io
import os
from pathlib import Path

from rich.console import Console
from textual.app import App

FOLDER = Path(__file__).parent / "__snapshots__"


def render(app: App[object]) -> tuple[str, str]:
    """The current screen as (SVG, plain text), from one render, as `App.export_screenshot` makes it."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system="truecolor",
                      record=True, legacy_windows=False, safe_box=False)  # fmt: skip
    # The same compositor call as App.export_screenshot (textual 8), which offers no text export.
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    text = console.export_text(clear=False)
    svg = console.export_svg(title=app.title, clear=True)
    return svg, "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def assert_snapshot(app: App[object], name: str) -> None:
    svg, text = render(app)
    golden_svg, golden_text = FOLDER / f"{name}.svg", FOLDER / f"{name}.txt"
    actual_svg, actual_text = FOLDER / f"{name}.actual.svg", FOLDER / f"{name}.actual.txt"
    if os.environ.get("SNAPSHOT_UPDATE"):
        FOLDER.mkdir(exist_ok=True)
        golden_svg.write_text(svg, encoding="utf-8")
        golden_text.write_text(text, encoding="utf-8")
        actual_svg.unlink(missing_ok=True)
        actual_text.unlink(missing_ok=True)
        return
    if not golden_svg.exists():
        raise AssertionError(f"no golden snapshot {golden_svg.name}: review the screen, then SNAPSHOT_UPDATE=1")
    expected_text = golden_text.read_text(encoding="utf-8")
    if svg == golden_svg.read_text(encoding="utf-8") and text == expected_text:
        actual_svg.unlink(missing_ok=True)
        actual_text.unlink(missing_ok=True)
        return
    actual_svg.write_text(svg, encoding="utf-8")
    actual_text.write_text(text, encoding="utf-8")
    diff = "".join(difflib.unified_diff(expected_text.splitlines(keepends=True), text.splitlines(keepends=True),
                                        f"{name}.txt (golden)", f"{name}.actual.txt"))  # fmt: skip
    raise AssertionError(
        f"snapshot {name} differs from the golden files; the actual screen is in {actual_svg} and .txt "
        "(SNAPSHOT_UPDATE=1 accepts it, after review)\n"
        + (diff or "the text is the same: only colours or styles changed (compare the SVGs)")
    )
