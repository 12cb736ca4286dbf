"""Tests the keyboard-wedge reader: key codes to text independent of layout, and the evdev boundary."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.clock import SimClock
from hardware.frames import FrameError
from hardware.hid_reader import HidReader, KeyAssembler, decode_keys
from hardware.readers import ReaderSpec, make_reader
from hardware.uid import Rendering

from .conftest import next_read

TYPED_3536403172 = [4, 6, 4, 7, 5, 11, 4, 2, 8, 3, 28]  # research/hardware.md §4.4


def typed(codes: list[int]) -> list[str | FrameError | None]:
    assembler = KeyAssembler()
    return [r for r in map(assembler.key_down, codes) if r is not None]


def test_golden_key_codes() -> None:
    assert typed(TYPED_3536403172) == ["3536403172"]
    assembler = KeyAssembler()
    results = [decode_keys(assembler, code, Rendering.DEC10_LSB) for code in TYPED_3536403172]
    assert results == [None] * 10 + ["E43AC9D2"]


def test_keypad_hex_shift_and_separators() -> None:
    keypad = [82, 79, 80, 81, 75, 76, 77, 71, 72, 73, 96]  # KP0..KP9, KP Enter
    assert typed(keypad) == ["0123456789"]
    shifted_hex = [42, 18, 42, 4, 42, 30, 42, 46, 7, 10, 29, 32, 3, 28]  # E 3 A C 6 9 D 2 with shifts/ctrl
    assert typed(shifted_hex) == ["E3AC69D2"]
    assert typed([2, 2, 2, 51, 3, 10, 28]) == ["111,29"]


def test_garbled_and_overlong_lines_are_errors_and_the_next_line_is_clean() -> None:
    results = typed([2, 16, 3, 28, *[2] * 200, 28, *TYPED_3536403172])
    assert results[0] == FrameError("unexpected keys", bytes([16]))
    assert isinstance(results[1], FrameError) and results[1].reason == "line too long"
    assert results[2] == "3536403172"
    assert typed([28, 28]) == []  # Enter alone is no card
    assert decode_keys(KeyAssembler(), 28, Rendering.HEX) is None
    assembler = KeyAssembler()
    for code in [2, 3, 4]:
        decode_keys(assembler, code, Rendering.W26)
    assert decode_keys(assembler, 28, Rendering.W26) == FrameError("not w26", b"123")


@given(st.lists(st.integers(0, 767), max_size=300))
def test_random_key_codes_never_raise(codes: list[int]) -> None:
    assembler = KeyAssembler()
    for code in codes:
        decode_keys(assembler, code, Rendering.DEC10)
    assert len(assembler._typed) <= 65


@dataclass
class Event:
    type: int
    code: int
    value: int


class FakeInputDevice:
    """evdev.InputDevice at its boundary: a script of events, then the device is unplugged."""

    opened: list[FakeInputDevice] = []
    script: list[Event] = []

    def __init__(self, path: str) -> None:
        self.path = path
        self.grabbed = False
        self.closed = False
        FakeInputDevice.opened.append(self)

    def grab(self) -> None:
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def close(self) -> None:
        self.closed = True

    async def async_read_loop(self) -> AsyncIterator[Event]:
        for event in self.script:
            yield event
        raise OSError(19, "No such device")


@pytest.fixture
def fake_evdev(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeInputDevice]]:
    module = ModuleType("evdev")
    module.InputDevice = FakeInputDevice  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "evdev", module)
    FakeInputDevice.opened = []
    yield FakeInputDevice


def key(code: int, value: int = 1) -> list[Event]:
    return [Event(4, 4, code), Event(1, code, value), Event(0, 0, 0)]  # MSC_SCAN, key, SYN_REPORT


async def test_reader_grabs_the_device_and_reads_cards(fake_evdev: type[FakeInputDevice], clock: SimClock) -> None:
    fake_evdev.script = [e for code in TYPED_3536403172 for e in key(code) + key(code, 0)]
    fake_evdev.script += [e for code in TYPED_3536403172 for e in key(code)]  # the same card again at once
    fake_evdev.script += [e for code in [2, 28] for e in key(code)]
    spec = ReaderSpec("desk", "hid", "/dev/input/by-id/usb-reader-event-kbd", {"format": "dec10-lsb"})
    reader = make_reader(spec, clock)
    assert isinstance(reader, HidReader)
    await reader.open()
    (device,) = fake_evdev.opened
    assert (device.path, device.grabbed) == (spec.port, True)
    async with aclosing(reader.reads()) as reads:
        read = await next_read(reads)
        assert (read.reader_id, read.uid) == ("desk", "E43AC9D2")
        read = await next_read(reads)
        assert read.uid == "01000000"  # "1" in dec10-lsb: the first UID byte is 01
        with pytest.raises(OSError, match="No such device"):  # unplugged: the supervisor reopens
            await next_read(reads)
    await reader.close()
    assert (device.grabbed, device.closed) == (False, True)


async def test_missing_evdev_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, clock: SimClock) -> None:
    monkeypatch.setitem(sys.modules, "evdev", None)  # as when the package is not installed
    reader = make_reader(ReaderSpec("desk", "hid", "/dev/input/event3", {"format": "dec10"}), clock)
    with pytest.raises(RuntimeError, match=r"protocol 'hid' needs the evdev package \(pip install evdev\)"):
        await reader.open()
