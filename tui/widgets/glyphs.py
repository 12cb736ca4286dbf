"""Provides the big shapes of the last-tap panel: ✓ ✗ ! ⚠ drawn five rows tall, readable from a metre away.

Colour alone fails a colour-blind guard or a screen in sunlight, and a terminal cannot enlarge
one character, so each signal's shape is drawn in block characters as well as coloured.
"""

from __future__ import annotations

from collections.abc import Mapping

GLYPHS: Mapping[str, tuple[str, ...]] = {
    "ok": (
        "        ██",
        "       ██ ",
        " ██   ██  ",
        "  ██ ██   ",
        "   ███    ",
    ),
    "denied": (
        " ██    ██ ",
        "  ██  ██  ",
        "   ████   ",
        "  ██  ██  ",
        " ██    ██ ",
    ),
    "warning": (
        "    ██    ",
        "    ██    ",
        "    ██    ",
        "          ",
        "    ██    ",
    ),
    "fault": (
        "    ▄▄    ",
        "   █▀▀█   ",
        "  █ ▐▌ █  ",
        " █  ▝▘  █ ",
        "▀▀▀▀▀▀▀▀▀▀",
    ),
}

WIDTH = 10
