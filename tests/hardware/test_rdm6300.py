"""Tests the RDM6300 decoder on the research note's golden frames, and the reader on a pty."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.clock import SimClock
from hardware.frames import FrameError
from hardware.rdm6300 import Rdm6300Decoder, Rdm6300Reader
from hardware.readers import ReaderSpec, make_reader

from .conftest import Pty, next_read

# research/hardware.md §4.1
GOLDEN = {
    bytes.fromhex("02 31 34 30 30 38 45 43 37 39 33 43 45 03"): "14008EC793",
    bytes.fromhex("02 36 37 30 30 33 42 35 31 43 36 43 42 03"): "67003B51C6",
    bytes.fromhex("02 30 31 31 34 41 45 33 42 42 43 3C 03"): "0114AE3BBC",  # raw checksum byte
    bytes.fromhex("02 30 35 30 30 32 30 37 42 33 32 36 43 0D 0A 03"): "0500207B32",  # CR LF
}
BAD_CHECKSUM = bytes.fromhex("02 31 34 30 30 38 45 43 37 39 33 43 46 03")
ALL_ZERO = b"\x02" + b"0" * 12 + b"\x03"
FIRST, SECOND = list(GOLDEN)[:2]


def uids(results: list[str | FrameError]) -> list[str]:
    return [r for r in results if isinstance(r, str)]


def errors(results: list[str | FrameError]) -> list[str]:
    return [r.reason for r in results if isinstance(r, FrameError)]


@pytest.mark.parametrize(("frame", "uid"), GOLDEN.items())
def test_golden_frames(frame: bytes, uid: str) -> None:
    assert Rdm6300Decoder().feed(frame) == [uid]


@pytest.mark.parametrize(("frame", "uid"), GOLDEN.items())
def test_golden_frames_byte_by_byte(frame: bytes, uid: str) -> None:
    decoder = Rdm6300Decoder()
    results = [r for byte in frame for r in decoder.feed(bytes([byte]))]
    assert results == [uid]


def test_lower_case_hex_is_the_same_card() -> None:
    assert Rdm6300Decoder().feed(FIRST.lower()) == ["14008EC793"]


def test_bad_checksum_and_all_zero_are_rejected_with_their_reasons() -> None:
    assert Rdm6300Decoder().feed(BAD_CHECKSUM) == [FrameError("bad checksum", BAD_CHECKSUM)]
    assert Rdm6300Decoder().feed(ALL_ZERO) == [FrameError("all-zero id", ALL_ZERO)]


def test_binary_checksum_variant_can_be_refused() -> None:
    raw_checksum = bytes.fromhex("02 30 31 31 34 41 45 33 42 42 43 3C 03")
    assert uids(Rdm6300Decoder(binary_checksum=False).feed(raw_checksum)) == []


def test_resynchronises_after_garbage_and_broken_frames() -> None:
    decoder = Rdm6300Decoder()
    stream = b"\xff\x00garbage" + FIRST[:7] + b"\x02\x02" + FIRST + BAD_CHECKSUM + FIRST[:-1] + FIRST
    results = decoder.feed(stream)
    assert uids(results) == ["14008EC793", "14008EC793"]
    assert "noise" in errors(results) and "bad checksum" in errors(results)


def test_truncated_frame_then_next_frame() -> None:
    # The tag left mid-frame: the next frame's STX starts over.
    decoder = Rdm6300Decoder()
    assert uids(decoder.feed(FIRST[:9])) == []
    assert uids(decoder.feed(SECOND)) == ["67003B51C6"]


def test_garbage_without_stx_does_not_grow_the_buffer() -> None:
    decoder = Rdm6300Decoder()
    for _ in range(1000):
        decoder.feed(b"\x55" * 1000)
    assert len(decoder._buffer) == 0
    decoder.feed(FIRST[:10])
    for _ in range(100):
        decoder.feed(b"0")  # hex forever after an STX: rejected at byte 11, never held
    assert len(decoder._buffer) <= 16


@given(st.binary(max_size=200))
def test_random_bytes_never_raise_and_never_give_a_uid(data: bytes) -> None:
    assert uids(Rdm6300Decoder().feed(data)) == []


@given(st.binary(max_size=60), st.sampled_from(list(GOLDEN.items())))
def test_a_good_frame_after_any_garbage_is_read(garbage: bytes, golden: tuple[bytes, str]) -> None:
    frame, uid = golden
    assert uids(Rdm6300Decoder().feed(garbage + frame)) == [uid]


@pytest.mark.parametrize(("frame", "uid"), GOLDEN.items())
def test_every_single_byte_corruption_gives_the_right_uid_or_none(frame: bytes, uid: str) -> None:
    for position in range(len(frame)):
        for value in range(256):
            corrupted = frame[:position] + bytes([value]) + frame[position + 1 :]
            decoder = Rdm6300Decoder()
            assert set(uids(decoder.feed(corrupted))) <= {uid}, corrupted.hex(" ")
            # ... and the decoder is ready for the next good frame right away.
            assert uids(decoder.feed(FIRST))[-1:] == ["14008EC793"], corrupted.hex(" ")


class FrameClock(SimClock):
    """Time moves 65 ms each time the reader reads it, i.e. each decoded frame: the RDM6300 repeat rate."""

    def monotonic(self) -> float:
        self.advance(0.065)
        return super().monotonic()


async def test_reader_on_a_pty_emits_once_per_presence(pty: Pty, clock: SimClock) -> None:
    frame_clock = FrameClock(clock.now())
    reader = make_reader(ReaderSpec("gate", "rdm6300", pty.port), frame_clock)
    assert isinstance(reader, Rdm6300Reader)
    await reader.open()
    try:
        reads = reader.reads()
        pty.send(FIRST * 30)  # the tag stays for 2 s
        pty.send(BAD_CHECKSUM + b"\x00noise")
        pty.send(SECOND)  # the next read is the second card, not a repeat of the first
        first, second = await next_read(reads), await next_read(reads)
        assert (first.reader_id, first.uid) == ("gate", "14008EC793")
        assert first.monotonic == pytest.approx(0.065)
        assert first.at == clock.now() + timedelta(seconds=0.065)
        assert second.uid == "67003B51C6"
        assert second.monotonic == pytest.approx(31 * 0.065)
        frame_clock.advance(0.3)  # both cards away for the gap
        pty.send(FIRST)
        assert (await next_read(reads)).monotonic == pytest.approx(32 * 0.065 + 0.3)
        assert reader.frame_errors == 2
    finally:
        await reader.close()


async def test_presence_gap_option(pty: Pty, clock: SimClock) -> None:
    reader = make_reader(ReaderSpec("door", "rdm6300", pty.port, {"presence_gap": 2.0}), clock)
    await reader.open()
    try:
        reads = reader.reads()
        pty.send(FIRST)
        await next_read(reads)
        clock.advance(1.0)
        pty.send(FIRST)  # within 2 s: same presence
        clock.advance(2.0)
        pty.send(FIRST)
        assert (await next_read(reads)).monotonic == 3.0
    finally:
        await reader.close()


async def test_reads_before_open_is_an_error(clock: SimClock) -> None:
    reader = make_reader(ReaderSpec("door", "rdm6300", "/dev/null-not-opened"), clock)
    with pytest.raises(RuntimeError, match="open"):
        await anext(reader.reads())
