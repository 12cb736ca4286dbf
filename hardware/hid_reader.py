"""Provides the reader for USB keyboard-wedge card readers through evdev, registered as protocol "hid"."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncGenerator
from typing import Any

from hardware.ascii_reader import LONGEST_LINE, rendering_option
from hardware.clock import Clock
from hardware.frames import Decoded, FrameError
from hardware.presence import PresenceFilter
from hardware.readers import ReaderSpec, register
from hardware.reads import CardRead
from hardware.uid import Rendering, parse

log = logging.getLogger(__name__)

EV_KEY, KEY_DOWN = 1, 1
# Linux input key codes (linux/input-event-codes.h), so the keyboard layout never matters.
KEYS = {
    **{code: str(n % 10) for n, code in enumerate(range(2, 12), start=1)},  # KEY_1..KEY_9, KEY_0
    **{code: str(n) for n, code in enumerate((82, 79, 80, 81, 75, 76, 77, 71, 72, 73))},  # KEY_KP0..9
    30: "A", 48: "B", 46: "C", 32: "D", 18: "E", 33: "F",
    51: ",", 57: " ", 12: "-",  # KEY_COMMA, KEY_SPACE, KEY_MINUS: separators some formats print
}  # fmt: skip
ENTER = frozenset({28, 96})  # KEY_ENTER, KEY_KPENTER
MODIFIERS = frozenset({42, 54, 29, 97, 58, 69})  # shifts, ctrls, caps and num lock: no text


class KeyAssembler:
    """Key-down codes in; the typed text when Enter ends it, or a FrameError for a garbled line."""

    def __init__(self) -> None:
        self._typed: list[str] = []
        self._bad: list[int] = []  # codes of keys no reader types as part of a number

    def key_down(self, code: int) -> str | FrameError | None:
        if code in ENTER:
            typed, bad = "".join(self._typed), self._bad
            self._typed, self._bad = [], []
            if bad or len(typed) > LONGEST_LINE:
                return FrameError.of("unexpected keys" if bad else "line too long", bytes(bad[:32]))
            return typed or None
        if code in KEYS and len(self._typed) <= LONGEST_LINE:
            self._typed.append(KEYS[code])
        elif code not in MODIFIERS and code not in KEYS:
            self._bad.append(code & 0xFF)
        return None


def decode_keys(assembler: KeyAssembler, code: int, rendering: Rendering) -> Decoded | None:
    """One key-down through the assembler, and a finished line parsed as `rendering`."""
    typed = assembler.key_down(code)
    if not isinstance(typed, str):
        return typed
    try:
        return parse(typed, rendering)
    except ValueError:
        return FrameError.of(f"not {rendering.value}", typed.encode())


class HidReader:
    """A keyboard-wedge reader at `port` (/dev/input/by-id/...-event-kbd), grabbed exclusively
    so its digits never reach a console or the kiosk's UI."""

    def __init__(self, spec: ReaderSpec, clock: Clock) -> None:
        self.spec = spec
        self.rendering = rendering_option(spec)
        self.frame_errors = 0
        self._clock = clock
        self._presence = PresenceFilter.from_options(spec.options)
        self._device: Any = None

    async def open(self) -> None:
        try:
            evdev = importlib.import_module("evdev")
        except ImportError:
            raise RuntimeError("protocol 'hid' needs the evdev package (pip install evdev)") from None
        device = evdev.InputDevice(self.spec.port)
        try:
            device.grab()  # EVIOCGRAB: fails when another process holds the reader
        except OSError:
            device.close()
            raise
        self._device = device

    async def reads(self) -> AsyncGenerator[CardRead, None]:
        if self._device is None:
            raise RuntimeError(f"reader {self.spec.id}: open() before reads()")
        assembler = KeyAssembler()
        async for event in self._device.async_read_loop():
            if event.type != EV_KEY or event.value != KEY_DOWN:
                continue
            result = decode_keys(assembler, event.code, self.rendering)
            if isinstance(result, FrameError):
                self.frame_errors += 1
                log.debug("frame_error reader=%s reason=%s raw=%s", self.spec.id, result.reason,
                          result.raw.hex())
            elif result is not None and self._presence.seen(result, monotonic := self._clock.monotonic()):
                yield CardRead(self.spec.id, result, self._clock.now(), monotonic)
        raise ConnectionError(f"reader {self.spec.id}: {self.spec.port} closed")

    async def close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                device.ungrab()
            except OSError:  # already gone with the unplugged device
                pass
            device.close()


@register("hid")
def _make(spec: ReaderSpec, clock: Clock) -> HidReader:
    return HidReader(spec, clock)
