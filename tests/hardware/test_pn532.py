"""Tests the PN532 codec on the research note's golden frames, and the driver against a fake chip."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware import pn532
from hardware.clock import SimClock
from hardware.frames import FrameError
from hardware.pn532 import Ack, ChipError, Frame, Nack, Parsed, Pn532Parser, build_frame, target_uid
from hardware.pn532_reader import Pn532Reader, Pn532Silent
from hardware.readers import ReaderSpec, make_reader

from .conftest import Pty, next_read
from .fake_pn532 import CARD_4, CARD_7, ERROR, NO_CARD, REPLIES, FakePn532, Fault

H = bytes.fromhex
FIRMWARE = H("00 00 FF 02 FE D4 02 2A 00")
SAM = H("00 00 FF 03 FD D4 14 01 17 00")
MAX_RETRIES = H("00 00 FF 06 FA D4 32 05 FF 01 01 F4 00")
IN_LIST = H("00 00 FF 04 FC D4 4A 01 00 E1 00")


def test_host_frames_are_byte_exact() -> None:
    assert pn532.WAKEUP == H("55 55") + bytes(14)
    assert pn532.command(pn532.GET_FIRMWARE_VERSION) == FIRMWARE
    assert pn532.command(pn532.SAM_CONFIGURATION, pn532.SAM_NORMAL_MODE) == SAM
    assert pn532.command(pn532.RF_CONFIGURATION, pn532.RF_MAX_RETRIES) == MAX_RETRIES
    assert pn532.command(pn532.IN_LIST_PASSIVE_TARGET, pn532.ONE_TYPE_A_TARGET) == IN_LIST
    assert build_frame(b"\x7f", tfi=0x7F)[:5] == H("00 00 FF 02 FE")
    with pytest.raises(ValueError):
        build_frame(bytes(254))


CHIP_FRAMES: list[tuple[bytes, Parsed]] = [
    (pn532.ACK, Ack()),
    (pn532.NACK, Nack()),
    (ERROR, ChipError()),
    (REPLIES[0x02], Frame(0xD5, H("03 32 01 06 07"))),  # IC 0x32, firmware 1.6
    (REPLIES[0x14], Frame(0xD5, H("15"))),
    (REPLIES[0x32], Frame(0xD5, H("33"))),
    (CARD_4, Frame(0xD5, H("4B 01 01 00 04 08 04 E4 3A C9 D2"))),
    (CARD_7, Frame(0xD5, H("4B 01 01 00 44 00 07 04 C4 3B C2 1C 26 80"))),
    (NO_CARD, Frame(0xD5, H("4B 00"))),
]


@pytest.mark.parametrize(("raw", "parsed"), CHIP_FRAMES)
def test_chip_frames_parse(raw: bytes, parsed: Parsed) -> None:
    assert Pn532Parser().feed(raw) == [parsed]
    parser = Pn532Parser()
    assert [p for byte in raw for p in parser.feed(bytes([byte]))] == [parsed]


def test_all_golden_frames_back_to_back() -> None:
    stream = b"".join(raw for raw, _ in CHIP_FRAMES)
    assert Pn532Parser().feed(stream) == [parsed for _, parsed in CHIP_FRAMES]


def test_target_uids() -> None:
    assert target_uid(H("01 01 00 04 08 04 E4 3A C9 D2")) == "E43AC9D2"
    assert target_uid(H("01 01 00 44 00 07 04 C4 3B C2 1C 26 80")) == "04C43BC21C2680"
    assert target_uid(H("00")) is None
    assert isinstance(target_uid(H("01 01 00 04 08 05 E4 3A C9 D2")), FrameError)  # 5-byte UID
    assert isinstance(target_uid(H("01 01 00 04 08 04 E4 3A")), FrameError)  # cut short
    assert isinstance(target_uid(b""), FrameError)


def reasons(results: list[Parsed]) -> list[str]:
    return [r.reason for r in results if isinstance(r, FrameError)]


def test_bad_checksums_and_resync() -> None:
    bad_lcs = H("00 00 FF 0C F5") + CARD_4[5:]
    bad_dcs = CARD_4[:-2] + H("16 00")
    results = Pn532Parser().feed(b"\x12\x34" + bad_lcs + bad_dcs + H("00 FF FF FF 00 10") + CARD_4)
    assert results[-1] == CHIP_FRAMES[6][1]
    assert {"noise", "bad length checksum", "bad data checksum", "extended frame"} <= set(reasons(results))
    assert Pn532Parser().feed(H("00 00 FF 00 00 00 00")) == [FrameError("bad length checksum", H("00 FF 00 00"))]


def test_noise_without_start_code_does_not_grow_the_buffer() -> None:
    parser = Pn532Parser()
    for _ in range(1000):
        parser.feed(b"\x55" * 1000)
    assert len(parser._buffer) == 0
    parser.feed(b"\x55\x00")
    assert parser.feed(b"\xff\x00\xff") == [Ack()]  # a start code split over two reads


def frames(results: list[Parsed]) -> list[Parsed]:
    return [r for r in results if not isinstance(r, FrameError)]


def fed_whole_and_byte_by_byte(stream: bytes) -> tuple[list[Parsed], list[Parsed]]:
    parser = Pn532Parser()
    return Pn532Parser().feed(stream), [p for byte in stream for p in parser.feed(bytes([byte]))]


def test_a_reply_cut_short_then_a_whole_one_gives_the_whole_one() -> None:
    # CARD_7 lost its tail: its length (15) takes the first bytes of CARD_4 as its own, and its data
    # checksum fails there. The whole CARD_4 after it is read, not swallowed.
    for results in fed_whole_and_byte_by_byte(CARD_7[:8] + CARD_4):
        assert frames(results) == [CHIP_FRAMES[6][1]]
        assert reasons(results) == ["truncated frame"]
        assert results[0] == FrameError("truncated frame", CARD_7[1:8] + CARD_4[:1])  # to CARD_4's start code


def test_a_cut_short_frame_claiming_more_than_follows_does_not_hold_back_the_next() -> None:
    # 64 bytes claimed, 19 follow: the whole frame inside is read at once, not after 45 more bytes.
    header = H("00 00 FF 40 C0 D5 4B 01")
    for results in fed_whole_and_byte_by_byte(header + CARD_4):
        assert results == [FrameError("truncated frame", header[1:] + b"\x00"), CHIP_FRAMES[6][1]]


def test_a_cut_short_frame_that_passes_its_checksum_by_chance_still_gives_the_whole_one() -> None:
    # One time in 256 the bytes a cut frame borrows make its data checksum right. Here 7 of its 10
    # data bytes came (the 7th chosen so), CARD_4's 00 00 FF complete it and CARD_4's LEN is its
    # DCS, which then passes; a sound frame starting inside it still marks it as cut short.
    start = H("00 00 FF 0A F6 D5 4B 01 01 00 04")
    borrowed, dcs = CARD_4[:3], CARD_4[3]
    cut_short = start + bytes([-(sum(start[5:]) + sum(borrowed) + dcs) & 0xFF])
    for results in fed_whole_and_byte_by_byte(cut_short + CARD_4):
        assert frames(results) == [CHIP_FRAMES[6][1]]
        assert card_uids(results) == ["E43AC9D2"]


def test_a_corrupt_reply_then_an_ack_and_a_whole_reply() -> None:
    corrupt = CARD_4[:12] + bytes([CARD_4[12] ^ 0x40]) + CARD_4[13:]  # one bit flipped in the data
    for results in fed_whole_and_byte_by_byte(corrupt + pn532.ACK + CARD_7):
        assert frames(results) == [Ack(), CHIP_FRAMES[7][1]]
        assert reasons(results) == ["bad data checksum"]


def test_a_frame_whose_data_holds_a_start_code_is_read_whole() -> None:
    # 00 00 FF inside the data, but no sound frame starts there: the frame is the frame.
    inner = build_frame(H("4B 00 00 FF 05 00 01"), tfi=pn532.CHIP)
    assert fed_whole_and_byte_by_byte(inner) == ([Frame(0xD5, H("4B 00 00 FF 05 00 01"))],) * 2


# -- the property: garbage between whole frames never costs a whole frame --------------------------


def _sound(frame: bytes) -> bool:
    # A reply whose own bytes hold a full preamble could hold a frame: that one is ambiguous by
    # construction (golden test above), so the property draws replies without one.
    return frame.find(b"\x00\x00\xff", 1) < 0


GOOD = st.one_of(
    st.sampled_from([pn532.ACK, pn532.NACK, ERROR, CARD_4, CARD_7, NO_CARD, *REPLIES.values()]),
    st.binary(min_size=1, max_size=40).map(lambda data: build_frame(data, tfi=pn532.CHIP)).filter(_sound),
)


@st.composite
def garbage(draw: st.DrawFn) -> bytes:
    frame = draw(GOOD)
    kind = draw(st.sampled_from(["noise", "cut", "corrupt", "header"]))
    if kind == "noise":
        return draw(st.binary(min_size=1, max_size=30))
    if kind == "cut":  # the start of a frame, its tail lost
        return frame[: draw(st.integers(1, len(frame) - 2))]
    if kind == "corrupt":  # one byte of it changed
        at = draw(st.integers(0, len(frame) - 1))
        value = draw(st.integers(0, 255).filter(lambda v: v != frame[at]))
        return frame[:at] + bytes([value]) + frame[at + 1 :]
    length = draw(st.integers(1, 254))  # a plausible header claiming up to 254 bytes, and a few of them
    return H("00 00 FF") + bytes([length, -length & 0xFF]) + draw(st.binary(max_size=20))


# After the last frame the line carries on (the chip's next answers, here idle noise) until every
# frame begun could be complete: what waits for its bytes is then decided.
TAIL = b"\x55" * 300


@given(st.lists(st.tuples(st.lists(garbage(), max_size=2), GOOD), min_size=1, max_size=6),
       st.lists(st.integers(1, 64), max_size=20))  # fmt: skip
def test_every_whole_frame_between_garbage_is_decoded(segments: list[tuple[list[bytes], bytes]],
                                                      chunks: list[int]) -> None:  # fmt: skip
    stream = b"".join(b"".join(junk) + frame for junk, frame in segments) + TAIL
    parser, results, at = Pn532Parser(), [], 0
    for size in [*chunks, len(stream)]:  # fed in arbitrary pieces, then the rest
        results += parser.feed(stream[at : at + size])
        at += size
    assert frames(results) == frames(Pn532Parser().feed(stream))  # however the bytes came in
    decoded = iter(frames(results))
    for _, frame in segments:
        (expected,) = Pn532Parser().feed(frame)
        assert any(found == expected for found in decoded), (frame.hex(" "), stream.hex(" "))


def card_uids(results: list[Parsed]) -> list[str]:
    return [
        uid
        for r in results
        if isinstance(r, Frame) and r.data[:1] == b"\x4b" and isinstance(uid := target_uid(r.data[1:]), str)
    ]


@given(st.binary(max_size=200))
def test_random_bytes_never_raise_and_never_give_a_uid(data: bytes) -> None:
    assert card_uids(Pn532Parser().feed(data)) == []


@given(st.binary(max_size=60), st.sampled_from([CARD_4, CARD_7]))
def test_a_good_frame_after_any_garbage_is_read(garbage: bytes, frame: bytes) -> None:
    # Garbage can end in a start code with a plausible length that claims the frame as its own:
    # the frame is still read, and the garbage never gives a UID of its own.
    expected = card_uids(Pn532Parser().feed(frame))
    assert card_uids(Pn532Parser().feed(garbage + frame + TAIL)) == expected


@pytest.mark.parametrize("frame", [CARD_4, CARD_7])
def test_every_single_byte_corruption_gives_the_right_uid_or_none(frame: bytes) -> None:
    (uid,) = card_uids(Pn532Parser().feed(frame))
    for position in range(len(frame)):
        for value in range(256):
            corrupted = frame[:position] + bytes([value]) + frame[position + 1 :]
            assert set(card_uids(Pn532Parser().feed(corrupted))) <= {uid}, corrupted.hex(" ")


FAST = {"ack_timeout": 0.05, "wake_timeout": 0.05, "reply_timeout": 0.05, "poll_interval": 0}


def pn532_reader(pty: Pty, clock: SimClock, **options: Any) -> Pn532Reader:
    reader = make_reader(ReaderSpec("door-3a", "pn532", pty.port, {**FAST, **options}), clock)
    assert isinstance(reader, Pn532Reader)
    return reader


@pytest.fixture
async def chip(pty: Pty, clock: SimClock) -> AsyncIterator[FakePn532]:
    fake = FakePn532(pty.master, clock)
    yield fake
    fake.close()


async def test_initialises_polls_and_reads_once_per_presence(pty: Pty, clock: SimClock, chip: FakePn532) -> None:
    # Polls every 0.1 s: a card for 0.6 s with one empty poll (flapping), away 0.5 s, back, then a
    # 7-byte card.
    chip.field.extend([NO_CARD, *[CARD_4] * 4, NO_CARD, CARD_4, *[NO_CARD] * 4, CARD_4, NO_CARD, CARD_7])
    reader = pn532_reader(pty, clock)
    await reader.open()
    assert chip.received == pn532.WAKEUP + SAM + MAX_RETRIES
    async with aclosing(reader.reads()) as reads:
        reads_seen = [await next_read(reads) for _ in range(3)]
    assert [(r.reader_id, r.uid) for r in reads_seen] == [
        ("door-3a", "E43AC9D2"),
        ("door-3a", "E43AC9D2"),
        ("door-3a", "04C43BC21C2680"),
    ]
    assert [r.monotonic for r in reads_seen] == pytest.approx([0.2, 1.2, 1.4])
    assert reads_seen[0].at == clock.now() - timedelta(seconds=1.2)
    assert chip.received.startswith(pn532.WAKEUP + SAM + MAX_RETRIES + IN_LIST)
    assert chip.commands[:3] == [0x14, 0x32, 0x4A]
    assert set(chip.commands[2:]) == {0x4A}
    assert reader.frame_errors == 0
    await reader.close()


async def test_resends_after_missing_ack_nack_error_frame_and_no_reply(
    pty: Pty, clock: SimClock, chip: FakePn532
) -> None:
    reader = pn532_reader(pty, clock, attempts=5)
    await reader.open()
    # Garbage and a bad DCS are recovered without a resend, the second by a host NACK; the last
    # four faults cost a resend each, the fifth attempt of that poll finds the card.
    chip.faults.extend([Fault.GARBAGE, Fault.BAD_DCS, Fault.SILENT, Fault.NACK, Fault.ERROR, Fault.NO_REPLY])
    chip.field.extend([NO_CARD, NO_CARD, *[CARD_4] * 4])
    async with aclosing(reader.reads()) as reads:
        read = await next_read(reads)
    assert read.uid == "E43AC9D2"
    assert read.monotonic == pytest.approx(0.6)  # six polls reached the chip; the lost one took no time
    assert chip.commands[2:] == [0x4A] * 7
    assert chip.host_nacks == 1
    assert reader.frame_errors >= 3  # garbage noise, the false start code, the bad DCS
    await reader.close()


async def test_a_reply_cut_short_then_sent_whole_is_read_without_a_resend(
    pty: Pty, clock: SimClock, chip: FakePn532
) -> None:
    reader = pn532_reader(pty, clock)
    await reader.open()
    chip.faults.extend([Fault.TRUNCATED, Fault.TRUNCATED])
    chip.field.extend([CARD_7, CARD_4])
    async with aclosing(reader.reads()) as reads:
        assert (await next_read(reads)).uid == "04C43BC21C2680"
        assert (await next_read(reads)).uid == "E43AC9D2"
    assert chip.commands[2:4] == [0x4A, 0x4A]  # each poll answered once: no resend, no wait
    assert chip.host_nacks == 0 and reader.frame_errors == 2  # the two cut replies
    await reader.close()


async def test_reinitialises_a_chip_that_stops_answering_then_comes_back(
    pty: Pty, clock: SimClock, chip: FakePn532
) -> None:
    chip.field.extend([CARD_4])
    reader = pn532_reader(pty, clock)
    await reader.open()
    async with aclosing(reader.reads()) as reads:
        assert (await next_read(reads)).uid == "E43AC9D2"
        # Three polls and the first re-initialisation's SAMConfiguration are lost.
        chip.faults.extend([Fault.SILENT] * 4)
        chip.field.extend([CARD_7])
        assert (await next_read(reads)).uid == "04C43BC21C2680"
    assert chip.received.count(pn532.WAKEUP) == 2
    assert chip.commands == [0x14, 0x32, 0x4A, *[0x4A] * 3, 0x14, 0x14, 0x32, 0x4A]
    await reader.close()


async def test_a_chip_that_stays_silent_ends_reads_with_pn532_silent(
    pty: Pty, clock: SimClock, chip: FakePn532
) -> None:
    reader = pn532_reader(pty, clock, attempts=2, reinit_attempts=1)
    await reader.open()
    chip.faults.extend([Fault.SILENT] * 100)
    with pytest.raises(Pn532Silent, match="stopped answering"):
        async with aclosing(reader.reads()) as reads:
            await next_read(reads)
    assert chip.commands[2:] == [0x4A, 0x4A, 0x14, 0x14]
    await reader.close()


async def test_a_chip_that_answers_setup_but_never_a_poll_is_not_reinitialised_forever(
    pty: Pty, clock: SimClock, chip: FakePn532
) -> None:
    reader = pn532_reader(pty, clock, attempts=2)
    await reader.open()
    chip.deaf_to.add(0x4A)
    with pytest.raises(Pn532Silent, match="no answer to command 0x4a"):
        async with aclosing(reader.reads()) as reads:
            await next_read(reads)
    assert chip.commands == [0x14, 0x32, 0x4A, 0x4A, 0x14, 0x32, 0x4A, 0x4A]
    await reader.close()


async def test_open_fails_when_no_chip_answers(pty: Pty, clock: SimClock) -> None:
    reader = pn532_reader(pty, clock, attempts=2)
    with pytest.raises(Pn532Silent):
        await reader.open()
    await reader.close()
