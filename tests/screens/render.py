"""Provides `parse` (tmux's `capture-pane -e -p` text -> rows of coloured cells) and `render` (cells -> PNG).

Textual's SVG export draws every character one cell wide, so Chinese names overlap; a terminal
draws a wide character (East Asian Width W or F) across two cells. This does what the terminal
does: Latin text, box drawing and the shapes in DejaVu Sans Mono, wide characters in Noto Sans
Mono CJK SC (Debian: fonts-dejavu-core, fonts-noto-cjk) two cells wide, and block elements
(the big ✓ and ✗ are drawn with █ ▀ ▄) and box drawing as filled rectangles, so they join with no
seams in rows a little taller than the font's (CJK needs the air).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

LATIN = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
LATIN_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf")
CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
CJK_FACE = "Noto Sans Mono CJK SC"

Colour = tuple[int, int, int]
FOREGROUND: Colour = (0xD8, 0xD8, 0xD8)
BACKGROUND: Colour = (0x12, 0x12, 0x12)
# xterm's 16 colours, then the 6x6x6 cube and the grey ramp of the 256-colour palette.
BASIC: tuple[Colour, ...] = (
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
)  # fmt: skip
STEPS = (0, 95, 135, 175, 215, 255)


def palette(n: int) -> Colour:
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        return STEPS[n // 36], STEPS[n // 6 % 6], STEPS[n % 6]
    grey = 8 + (n - 232) * 10
    return grey, grey, grey


@dataclass(frozen=True, slots=True)
class Style:
    fg: Colour | None = None
    bg: Colour | None = None
    bold: bool = False
    reverse: bool = False

    def colours(self) -> tuple[Colour, Colour]:
        fg, bg = self.fg or FOREGROUND, self.bg or BACKGROUND
        return (bg, fg) if self.reverse else (fg, bg)


@dataclass(frozen=True, slots=True)
class Cell:
    char: str
    style: Style
    width: int  # 1, or 2 for a wide character (the cell after it is covered)


def cell_width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-ln-z]|\][^\x07]*\x07|[()][0-9A-Za-z])")


def apply(style: Style, codes: list[int]) -> Style:
    """One SGR sequence's parameters applied to `style` (unknown ones are ignored)."""
    it: Iterator[int] = iter(codes or [0])
    for code in it:
        if code == 0:
            style = Style()
        elif code == 1:
            style = replace(style, bold=True)
        elif code == 22:
            style = replace(style, bold=False)
        elif code == 7:
            style = replace(style, reverse=True)
        elif code == 27:
            style = replace(style, reverse=False)
        elif 30 <= code <= 37 or 90 <= code <= 97:
            style = replace(style, fg=palette(code - 30 if code < 90 else code - 82))
        elif 40 <= code <= 47 or 100 <= code <= 107:
            style = replace(style, bg=palette(code - 40 if code < 100 else code - 92))
        elif code == 39:
            style = replace(style, fg=None)
        elif code == 49:
            style = replace(style, bg=None)
        elif code in (38, 48):
            kind = next(it, 0)
            if kind == 5:
                colour = palette(next(it, 0))
            elif kind == 2:
                colour = (next(it, 0), next(it, 0), next(it, 0))
            else:
                continue
            style = replace(style, fg=colour) if code == 38 else replace(style, bg=colour)
    return style


def parse(captured: str, columns: int) -> list[list[Cell]]:
    """Rows of `columns` cells each; the style carries over lines, as tmux's capture expects."""
    rows, style = [], Style()
    for line in captured.split("\n"):
        cells: list[Cell] = []
        line = OTHER_ESCAPE.sub("", line)
        position = 0
        for match in SGR.finditer(line + "\x1b[m"):
            for char in line[position : match.start()]:
                if unicodedata.combining(char) or char in "\r":
                    continue
                cells.append(Cell(char, style, cell_width(char)))
            codes = [int(p) if p else 0 for p in re.split("[;:]", match.group(1))] if match.group(1) else [0]
            if match.end() <= len(line):
                style = apply(style, codes)
            position = match.end()
        used = sum(c.width for c in cells)
        cells += [Cell(" ", style, 1)] * max(columns - used, 0)
        rows.append(cells)
    return rows


@cache
def _font(path: Path, size: int, face: str = "") -> ImageFont.FreeTypeFont:
    if not face:
        return ImageFont.truetype(str(path), size)
    for index in range(16):
        try:
            font = ImageFont.truetype(str(path), size, index=index)
        except OSError:
            break
        if font.getname()[0] == face:
            return font
    raise FileNotFoundError(f"{path}: no face {face!r} (apt-get install fonts-noto-cjk)")


# U+2580..U+259F drawn as rectangles: (x0, y0, x1, y1) in eighths of the cell.
BLOCKS = {
    "█": (0, 0, 8, 8), "▀": (0, 0, 8, 4), "▄": (0, 4, 8, 8), "▌": (0, 0, 4, 8), "▐": (4, 0, 8, 8),
    "▁": (0, 7, 8, 8), "▂": (0, 6, 8, 8), "▃": (0, 5, 8, 8), "▅": (0, 3, 8, 8), "▆": (0, 2, 8, 8),
    "▇": (0, 1, 8, 8), "▔": (0, 0, 8, 1), "▏": (0, 0, 1, 8), "▎": (0, 0, 2, 8), "▍": (0, 0, 3, 8),
    "▊": (0, 0, 6, 8), "▉": (0, 0, 7, 8), "▕": (7, 0, 8, 8),
    "▘": (0, 0, 4, 4), "▝": (4, 0, 8, 4), "▖": (0, 4, 4, 8), "▗": (4, 4, 8, 8),
}  # fmt: skip


# Box drawing drawn as lines, so borders join across rows spaced wider than the font's own lines:
# char -> (left, right, up, down) arms, and whether heavy.
LIGHT = {"─": "lr", "│": "ud", "┌": "rd", "┐": "ld", "└": "ru", "┘": "lu", "├": "rud", "┤": "lud",
         "┬": "lrd", "┴": "lru", "┼": "lrud", "╭": "rd", "╮": "ld", "╰": "ru", "╯": "lu"}  # fmt: skip
HEAVY = {"━": "lr", "┃": "ud", "┏": "rd", "┓": "ld", "┗": "ru", "┛": "lu", "┣": "rud", "┫": "lud",
         "┳": "lrd", "┻": "lru", "╋": "lrud"}  # fmt: skip
LINE_SPACING = 1.25  # rows this much taller than the Latin font's line: CJK needs the air


def _line(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], arms: str, heavy: bool, fill: Colour) -> None:
    left, top, width, height = box
    cx, cy, half = left + width // 2, top + height // 2, (2 if heavy else 1)
    if "l" in arms:
        draw.rectangle((left, cy - half + 1, cx, cy + half - 1 + (1 if heavy else 0)), fill=fill)
    if "r" in arms:
        draw.rectangle((cx, cy - half + 1, left + width - 1, cy + half - 1 + (1 if heavy else 0)), fill=fill)
    if "u" in arms:
        draw.rectangle((cx - half + 1, top, cx + half - 1 + (1 if heavy else 0), cy), fill=fill)
    if "d" in arms:
        draw.rectangle((cx - half + 1, cy, cx + half - 1 + (1 if heavy else 0), top + height - 1), fill=fill)


def render(rows: list[list[Cell]], out: Path, size: int = 18) -> tuple[int, int]:
    """Draw the cells to a PNG at `out`; returns the image's (width, height) in pixels."""
    latin, latin_bold = _font(LATIN, size), _font(LATIN_BOLD, size)
    ascent, descent = latin.getmetrics()
    width, height = round(latin.getlength("M")), round((ascent + descent) * LINE_SPACING)
    shift = (height - ascent - descent) // 2  # Latin text centred in its taller row
    cjk, cjk_bold = _font(CJK, width * 2, CJK_FACE), _font(CJK_BOLD, width * 2, CJK_FACE)
    # One baseline for every wide character: an ideograph's box centred in the row, as foot does.
    ideograph = cjk.getbbox("国")
    lift = height // 2 - (ideograph[1] + ideograph[3]) // 2
    columns = max((sum(c.width for c in row) for row in rows), default=0)
    image = Image.new("RGB", (columns * width, len(rows) * height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(rows):
        x = 0
        for cell in row:
            fg, bg = cell.style.colours()
            left, top, span = x * width, y * height, cell.width * width
            draw.rectangle((left, top, left + span - 1, top + height - 1), fill=bg)
            block = BLOCKS.get(cell.char)
            if block is not None:
                x0, y0, x1, y1 = block
                draw.rectangle((left + x0 * width // 8, top + y0 * height // 8,
                                left + x1 * width // 8 - 1, top + y1 * height // 8 - 1), fill=fg)  # fmt: skip
            elif cell.char in LIGHT or cell.char in HEAVY:
                _line(draw, (left, top, width, height), LIGHT.get(cell.char) or HEAVY[cell.char], cell.char in HEAVY, fg)
            elif cell.char != " ":
                if cell.width == 2:
                    font = cjk_bold if cell.style.bold else cjk
                    draw.text((left, top + lift), cell.char, font=font, fill=fg)
                else:
                    draw.text((left, top + shift), cell.char, font=latin_bold if cell.style.bold else latin, fill=fg)
            x += cell.width
    image.save(out, optimize=True)
    return image.size
