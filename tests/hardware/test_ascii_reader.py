"""Tests the ASCII line reader: each vendor format a line, bad lines as errors, and the reader on a pty."""

from __future__ import annotations

from contextlib import aclosing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.ascii_reader import LONGEST_LINE, AsciiLineDecoder, AsciiReader
from hardware.clock import SimClock
from hardware.frames import FrameError
from hardware.readers import ReaderSpec, make_reader
from hardware.uid import Rendering, render, same_card

from .conftest import Pty, next_read

R = Rendering


@pytest.mark.parametrize(
    ("rendering", "line", "uid"),
    [
        (R.DEC10_LSB, b"3536403172\r\n", "E43AC9D2"),  # USB/serial desktop reader, M1 default
        (R.DEC10, b"0040856634\r\n", "026F6C3A"),  # "8H->10D" of EM 01026F6C3A
        (R.DEC10, b"\x020009357203\x03\r\n", "008EC793"),  # STX/ETX-wrapped, EM 14008EC793
        (R.HEX, b"e43ac9d2\n", "E43AC9D2"),
        (R.DEC8, b"07302202\r", "6F6C3A"),
        (R.W26, b"11101010000011011100000010\r\n", "D41B81"),
        (R.FC_CN, b"142,51091\r\n", "8EC793"),
    ],
)
def test_each_format(rendering: Rendering, line: bytes, uid: str) -> None:
    assert AsciiLineDecoder(rendering).feed(line) == [uid]


def test_lines_split_across_reads_and_all_line_endings() -> None:
    decoder = AsciiLineDecoder(R.DEC10_LSB)
    assert decoder.feed(b"35364") == []
    assert decoder.feed(b"03172\r\n0563537489\n\n3536403172\r") == ["E43AC9D2", "51E69621", "E43AC9D2"]


def test_bad_lines_are_typed_errors() -> None:
    decoder = AsciiLineDecoder(R.W26)
    results = decoder.feed(b"11101010000011011100000011\r\nhello\r\n \r\n\xff\xfe\r\n")
    assert [r.reason for r in results if isinstance(r, FrameError)] == ["not w26", "not w26", "empty line", "not w26"]


def test_an_endless_line_is_dropped_without_growing_memory() -> None:
    decoder = AsciiLineDecoder(R.DEC10)
    errors = [r for _ in range(1000) for r in decoder.feed(b"1" * 100)]
    assert errors == [FrameError("line too long", b"1" * 32)]
    assert len(decoder._line) == 0
    assert decoder.feed(b"11\r\n3829058002\r\n") == ["E43AC9D2"]  # the tail of the long line is dropped


@given(st.binary(max_size=300), st.sampled_from(list(Rendering)))
def test_random_bytes_never_raise(data: bytes, rendering: Rendering) -> None:
    for result in AsciiLineDecoder(rendering).feed(data):
        assert isinstance(result, FrameError) or (isinstance(result, str) and result)


def test_single_byte_corruption_of_a_w26_line_is_caught() -> None:
    # Plain numbers carry no check, so only the Wiegand parity (and the mfrc522 BCC) can catch this.
    line = b"11101010000011011100000010\r\n"
    for position in range(len(line) - 2):
        for value in range(256):
            corrupted = line[:position] + bytes([value]) + line[position + 1 :]
            uids = [r for r in AsciiLineDecoder(R.W26).feed(corrupted) if isinstance(r, str)]
            assert set(uids) <= {"D41B81"}, corrupted


@given(st.binary(min_size=4, max_size=4), st.sampled_from(list(Rendering)))
def test_every_rendering_read_back_is_the_same_card(raw: bytes, rendering: Rendering) -> None:
    uid = raw.hex().upper()
    (read,) = AsciiLineDecoder(rendering).feed(render(uid, rendering).encode() + b"\r\n")
    assert isinstance(read, str)
    assert same_card(uid, read, rendering)
    assert len(f"{render(uid, rendering)}") <= LONGEST_LINE


def test_format_option_is_required_and_checked(clock: SimClock) -> None:
    with pytest.raises(ValueError, match="options.format must be one of hex, hex-lsb"):
        make_reader(ReaderSpec("hall", "ascii", "/dev/ttyUSB0"), clock)
    with pytest.raises(ValueError, match="not 'decimal'"):
        make_reader(ReaderSpec("hall", "ascii", "/dev/ttyUSB0", {"format": "decimal"}), clock)


async def test_reader_on_a_pty(pty: Pty, clock: SimClock) -> None:
    reader = make_reader(ReaderSpec("hall", "ascii", pty.port, {"format": "dec10-lsb"}), clock)
    assert isinstance(reader, AsciiReader)
    await reader.open()
    async with aclosing(reader.reads()) as reads:
        pty.send(b"3536403172\r\n3536403172\r\nnoise\r\n0563537489\r\n")
        assert (await next_read(reads)).uid == "E43AC9D2"
        assert (await next_read(reads)).uid == "51E69621"  # the repeat was one presence
    assert reader.frame_errors == 1
    await reader.close()
