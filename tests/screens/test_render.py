"""The screenshot renderer: a wide character takes two cells, colours are the terminal's, blocks join."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PIL", reason="Pillow draws the README's screenshots (pip install pillow)")

from PIL import Image  # noqa: E402

from tests.screens.render import BACKGROUND, CJK, LATIN, parse, render  # noqa: E402

pytestmark = pytest.mark.skipif(not (CJK.exists() and LATIN.exists()),
                                reason="apt-get install fonts-noto-cjk fonts-dejavu-core")  # fmt: skip


def test_wide_characters_take_two_cells_and_the_line_keeps_its_width() -> None:
    rows = parse("张三 ab\n\x1b[7m五年级1班\x1b[m", 12)
    assert [c.char for c in rows[0][:5]] == ["张", "三", " ", "a", "b"]
    assert [c.width for c in rows[0][:5]] == [2, 2, 1, 1, 1]
    assert all(sum(c.width for c in row) == 12 for row in rows)
    assert rows[1][0].style.reverse and not rows[1][-1].style.reverse


def test_colours_256_and_truecolour_and_reset() -> None:
    (row,) = parse("\x1b[1;38;2;255;255;255;48;5;28mA\x1b[39mB\x1b[0mC", 3)
    assert (row[0].style.fg, row[0].style.bg, row[0].style.bold) == ((255, 255, 255), (0, 135, 0), True)
    assert row[1].style.fg is None and row[1].style.bg == (0, 135, 0)
    assert row[2].style.bg is None and not row[2].style.bold


def test_the_picture_puts_a_latin_letter_after_a_chinese_name_two_cells_on(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    width, height = render(parse("国\x1b[41m \x1b[m", 3), out, size=20)
    image = Image.open(out).convert("RGB")
    cell = width // 3
    assert width == 3 * cell and image.size == (width, height)
    ink = [x for x in range(width) for y in range(height) if image.getpixel((x, y)) != BACKGROUND]
    red = [x for x in ink if image.getpixel((x, height // 2)) == (205, 0, 0)]
    assert min(red) == 2 * cell  # the red cell starts after the ideograph's two cells
    assert max(x for x in ink if x < 2 * cell) > cell  # and the ideograph is drawn across both


def test_block_elements_fill_their_cells_with_no_seams(tmp_path: Path) -> None:
    out = tmp_path / "blocks.png"
    width, height = render(parse("█\n█", 1), out, size=20)
    image = Image.open(out).convert("RGB")
    column = {image.getpixel((width // 2, y)) for y in range(height)}
    assert column == {(0xD8, 0xD8, 0xD8)}  # the foreground all the way down, across the two rows
