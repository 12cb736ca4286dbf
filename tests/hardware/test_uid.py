"""Tests uid.py: the research note's golden renderings, the way back, calibration and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.uid import (
    Rendering,
    calibrate,
    candidates,
    is_lossless,
    matches,
    parse,
    render,
    same_card,
    wiegand_decode,
    wiegand_encode,
)

R = Rendering

# (uid, rendering, printed) from research/hardware.md §1.5, §4.1, §4.3, §4.4.
GOLDEN = [
    ("E43AC9D2", R.HEX, "E43AC9D2"),
    ("E43AC9D2", R.HEX_LSB, "D2C93AE4"),
    ("E43AC9D2", R.DEC10, "3829058002"),
    ("E43AC9D2", R.DEC10_LSB, "3536403172"),
    ("E43AC9D2", R.MFRC522, "980238848709"),
    ("E43AC9D2", R.PHONIEBOX, "22858201210197"),
    ("01026F6C3A", R.HEX, "01026F6C3A"),
    ("01026F6C3A", R.DEC10, "0040856634"),
    ("01026F6C3A", R.DEC8, "07302202"),
    ("01026F6C3A", R.FC_CN, "111,27706"),
    ("01026F6C3A", R.FC4_CN, "00623,27706"),
    ("14008EC793", R.DEC10, "0009357203"),
    ("14008EC793", R.DEC8, "09357203"),
    ("14008EC793", R.FC_CN, "142,51091"),
    ("8EC793", R.FC_CN, "142,51091"),
    ("8EC793", R.W26, "01000111011000111100100110"),
    ("D41B81", R.W26, "11101010000011011100000010"),
    ("D41B81", R.FC_CN, "212,07041"),
    ("89D41B81", R.W34, "1100010011101010000011011100000011"),
    ("51E69621", R.DEC10_LSB, "0563537489"),
    ("4500C5D1E9", R.DEC10, "0012964329"),  # EM-18 frame 4500C5D1E9 + checksum B8, fob print
    ("1C78F2BF", R.DEC10_LSB, "3220338716"),
    ("AA3F9B1A", R.W26_LSB, wiegand_encode(bytes.fromhex("9B3FAA"))),  # reversed Wiegand reader
    ("22D3DAD6", R.W34_LSB, wiegand_encode(bytes.fromhex("D6DAD322"))),
]


@pytest.mark.parametrize(("uid", "rendering", "printed"), GOLDEN)
def test_golden_renderings(uid: str, rendering: Rendering, printed: str) -> None:
    assert render(uid, rendering) == printed
    assert matches(uid, printed, rendering)
    assert rendering in calibrate(uid, printed)


@pytest.mark.parametrize(
    ("printed", "rendering", "kept"),
    [
        ("3536403172", R.DEC10_LSB, "E43AC9D2"),
        ("3829058002", R.DEC10, "E43AC9D2"),
        ("D2C93AE4", R.HEX_LSB, "E43AC9D2"),
        ("e4:3a:c9:d2", R.HEX, "E43AC9D2"),
        ("0040856634", R.DEC10, "026F6C3A"),  # the version byte 01 is lost
        ("40856634", R.DEC10, "026F6C3A"),  # typed without the leading zeros
        ("111,27706", R.FC_CN, "6F6C3A"),
        ("111 27706", R.FC_CN, "6F6C3A"),
        ("07302202", R.DEC8, "6F6C3A"),
        ("1 11010100 00011011 10000001 0", R.W26, "D41B81"),
        ("980238848709", R.MFRC522, "E43AC9D2"),
        ("22858201210197", R.PHONIEBOX, "E43AC9D2"),
        ("0563537489", R.DEC10_LSB, "51E69621"),
    ],
)
def test_parse_gives_the_bytes_the_rendering_keeps(printed: str, rendering: Rendering, kept: str) -> None:
    assert parse(printed, rendering) == kept


@pytest.mark.parametrize(
    ("printed", "rendering"),
    [
        ("4294967296", R.DEC10),  # 2**32 does not fit 4 bytes
        ("12345678901", R.DEC10),
        ("16777216", R.DEC8),
        ("256,00001", R.FC_CN),
        ("111,65536", R.FC_CN),
        ("", R.HEX),
        ("E43", R.HEX),
        ("３５３６", R.DEC10),  # full-width digits are not a reader's output
        ("01000111011000111100100111", R.W26),  # odd parity broken
        ("1100010011101010000011011100000011", R.W26),  # a W34 stream is not W26
        ("980238848708", R.MFRC522),  # BCC off by one
        ("22858201210196", R.PHONIEBOX),
    ],
)
def test_parse_rejects_what_the_rendering_cannot_print(printed: str, rendering: Rendering) -> None:
    with pytest.raises(ValueError):
        parse(printed, rendering)
    assert not matches("E43AC9D2", printed, rendering)


def test_lossy_rendering_matches_every_card_with_that_rendering() -> None:
    # fc-cn keeps 3 bytes: the EM fob and a MIFARE card ending 6F6C3A print the same.
    assert matches("01026F6C3A", "111,27706", R.FC_CN)
    assert matches("AB6F6C3A", "111,27706", R.FC_CN)
    assert not matches("01026F6C3B", "111,27706", R.FC_CN)
    assert same_card("01026F6C3A", parse("0040856634", R.DEC10), R.DEC10)
    assert not same_card("02026F6C3A", "01026F6C3A", R.HEX)


def test_seven_byte_uid_under_single_cascade_renderings() -> None:
    seven = "04C43BC21C2680"
    assert parse(render(seven, R.MFRC522), R.MFRC522) == "8804C43B"  # cascade tag + 3 bytes
    assert matches(seven, render(seven, R.MFRC522), R.MFRC522)
    assert not matches("04C43BFF1C2680", render(seven, R.DEC10), R.DEC10)


def test_candidates_lists_every_reading_of_a_typed_number() -> None:
    found = dict(candidates("3536403172"))
    assert found[R.DEC10_LSB] == "E43AC9D2"
    assert found[R.DEC10] == "D2C93AE4"
    assert found[R.HEX] == "3536403172"
    assert R.FC_CN not in found
    assert dict(candidates("111,27706")) == {R.FC_CN: "6F6C3A", R.FC4_CN: "006F6C3A",
                                              R.FC_CN_LSB: "3A6C6F", R.FC4_CN_LSB: "3A6C6F00"}
    assert candidates("not a card") == []


def test_calibrate_learns_the_profile_from_one_known_card() -> None:
    assert calibrate("E43AC9D2", "3536403172") == [R.DEC10_LSB]
    assert calibrate("E43AC9D2", " 3829058002\n") == [R.DEC10]
    assert calibrate("01026F6C3A", "0040856634") == [R.DEC10]
    assert calibrate("E43AC9D2", "nonsense") == []
    # A palindromic UID cannot tell MSB from LSB: both are offered.
    assert {R.HEX, R.HEX_LSB} <= set(calibrate("A55A5AA5", "A55A5AA5"))


def test_wiegand_single_bit_errors_are_caught() -> None:
    for golden in ("11101010000011011100000010", "1100010011101010000011011100000011"):
        for i in range(len(golden)):
            flipped = golden[:i] + ("1" if golden[i] == "0" else "0") + golden[i + 1 :]
            with pytest.raises(ValueError):
                wiegand_decode(flipped)


def test_wiegand_golden_fields() -> None:
    assert wiegand_decode("1 11010100 00011011 10000001 0") == bytes([212, 0x1B, 0x81])
    assert int.from_bytes(wiegand_decode("11101010000011011100000010")[1:], "big") == 7041


UIDS = st.sampled_from([3, 4, 5, 7, 10]).flatmap(lambda n: st.binary(min_size=n, max_size=n))


@given(UIDS, st.sampled_from(list(Rendering)))
def test_every_rendering_matches_its_own_card(raw: bytes, rendering: Rendering) -> None:
    uid = raw.hex().upper()
    printed = render(uid, rendering)
    assert matches(uid, printed, rendering)
    assert rendering in calibrate(uid, printed)
    assert same_card(uid, parse(printed, rendering), rendering)


@given(UIDS, st.sampled_from(list(Rendering)))
def test_lossless_renderings_round_trip(raw: bytes, rendering: Rendering) -> None:
    uid = raw.hex().upper()
    if is_lossless(rendering, len(raw)):
        assert parse(render(uid, rendering), rendering) == uid


def test_which_renderings_are_lossless() -> None:
    four = {r for r in Rendering if is_lossless(r, 4)}
    assert four == {R.HEX, R.HEX_LSB, R.DEC10, R.DEC10_LSB, R.FC4_CN, R.FC4_CN_LSB,
                    R.W34, R.W34_LSB, R.MFRC522}
    assert {r for r in Rendering if is_lossless(r, 7)} == {R.HEX, R.HEX_LSB}


@given(st.text(max_size=40))
def test_parse_fails_only_with_value_error(text: str) -> None:
    for rendering in Rendering:
        try:
            parse(text, rendering)
        except ValueError:
            pass
    candidates(text)
