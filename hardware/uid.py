"""Provides one identity per card: every vendor rendering of a raw UID, and the way back from each.

A UID is hex in the order the card sends it (`E43AC9D2`). A rendering is what some reader prints
for it. "-lsb" renderings are the same rendering of the UID with its bytes reversed, which is how
many USB and Wiegand readers send MIFARE UIDs (OCA/hr#619, esprfid/esp-rfid#610).

Most renderings keep only part of the UID (`width` bytes): the *last* bytes of the UID for MSB
renderings, the *first* bytes (reversed) for "-lsb" ones. A rendering is lossless only for UIDs
of exactly that width (`is_lossless`): `dec10` of a 4-byte MIFARE UID gives it back, `dec10` of a
5-byte EM4100 ID drops the version byte, `fc-cn` always keeps just 3 bytes. So cards are matched
by rendering, never by parsed bytes alone: a printed number matches a card when the card's
rendering equals the rendering of that number (`matches`, `same_card`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import reduce

from hardware.reads import normalise_uid


class Rendering(StrEnum):
    HEX = "hex"  # E43AC9D2, the whole UID
    HEX_LSB = "hex-lsb"  # D2C93AE4
    DEC10 = "dec10"  # vendor "8H->10D": last 4 bytes as 10 digits, 3829058002
    DEC10_LSB = "dec10-lsb"  # 3536403172, the usual M1 desktop-reader default
    DEC8 = "dec8"  # vendor "6H->8D": last 3 bytes as 8 digits, 07302202
    DEC8_LSB = "dec8-lsb"
    FC_CN = "fc-cn"  # vendor "2H+4H", FFF,NNNNN: facility byte, 16-bit number: 111,27706
    FC_CN_LSB = "fc-cn-lsb"
    FC4_CN = "fc4-cn"  # vendor "4H+4H", 00623,27706
    FC4_CN_LSB = "fc4-cn-lsb"
    W26 = "w26"  # the 26 Wiegand bits, parity included: 3 bytes
    W26_LSB = "w26-lsb"
    W34 = "w34"  # the 34 Wiegand bits: 4 bytes
    W34_LSB = "w34-lsb"
    MFRC522 = "mfrc522"  # SimpleMFRC522: cascade-1 bytes + BCC as one integer, 980238848709
    PHONIEBOX = "phoniebox-legacy"  # the same 5 bytes as concatenated decimals, 22858201210197


def _bcc(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def _with_bcc(data: bytes) -> bytes:
    return data + bytes([_bcc(data)])


def _digits(text: str, max_len: int, limit: int) -> int:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > max_len or int(text) >= limit:
        raise ValueError(f"not a number of at most {max_len} digits below {limit}: {text!r}")
    return int(text)


def wiegand_encode(data: bytes) -> str:
    """The Wiegand bits for `data`: even parity over the first half, the data, odd over the second."""
    bits = "".join(f"{byte:08b}" for byte in data)
    half = len(bits) // 2
    return str(bits[:half].count("1") % 2) + bits + str(1 - bits[half:].count("1") % 2)


def wiegand_decode(bits: str) -> bytes:
    """The data bytes of a Wiegand bit stream (spaces allowed); ValueError on a parity error."""
    bits = "".join(bits.split())
    if len(bits) < 10 or (len(bits) - 2) % 8 or set(bits) - {"0", "1"}:
        raise ValueError(f"not a Wiegand bit stream: {bits!r}")
    data = int(bits[1:-1], 2).to_bytes((len(bits) - 2) // 8, "big")
    if wiegand_encode(data) != bits:
        raise ValueError(f"Wiegand parity error: {bits!r}")
    return data


@dataclass(frozen=True, slots=True)
class _Form:
    width: int | None  # bytes the rendering keeps; None: the whole UID
    show: Callable[[bytes], str]
    read: Callable[[str], bytes]  # raises ValueError when the text is not this form
    exact: bool = True  # False when even a UID of `width` bytes cannot be read back unambiguously


def _decimal(width: int, digits: int) -> _Form:
    return _Form(
        width,
        lambda raw: f"{int.from_bytes(raw, 'big'):0{digits}d}",
        lambda text: _digits(text, digits, 256**width).to_bytes(width, "big"),
    )


_PAIR = re.compile(r"\s*(\d+)\s*[,/ ]\s*(\d+)\s*")


def _pair(width: int, high_digits: int) -> _Form:
    def read(text: str) -> bytes:
        if not (found := _PAIR.fullmatch(text)):
            raise ValueError(f"not a facility,number pair: {text!r}")
        high = _digits(found[1], high_digits, 256 ** (width - 2))
        return high.to_bytes(width - 2, "big") + _digits(found[2], 5, 65536).to_bytes(2, "big")

    def show(raw: bytes) -> str:
        return f"{int.from_bytes(raw[:-2], 'big'):0{high_digits}d},{int.from_bytes(raw[-2:], 'big'):05d}"

    return _Form(width, show, read)


def _wiegand(width: int) -> _Form:
    def read(text: str) -> bytes:
        if len(data := wiegand_decode(text)) != width:
            raise ValueError(f"not a {8 * width + 2}-bit Wiegand stream: {text!r}")
        return data

    return _Form(width, wiegand_encode, read)


def _read_mfrc522(text: str) -> bytes:
    raw = _digits(text, 13, 256**5).to_bytes(5, "big")
    if _bcc(raw[:4]) != raw[4]:
        raise ValueError(f"BCC does not match: {text!r}")
    return raw[:4]


def _read_phoniebox(text: str) -> bytes:
    def splits(rest: str, taken: tuple[int, ...]) -> bytes | None:
        if len(taken) == 5:
            return bytes(taken[:4]) if not rest and _bcc(bytes(taken[:4])) == taken[4] else None
        for size in (1, 2, 3):
            part = rest[:size]
            if len(part) == size and (size == 1 or part[0] != "0") and int(part) < 256:
                if (found := splits(rest[size:], (*taken, int(part)))) is not None:
                    return found
        return None

    text = text.strip()
    if not text.isascii() or not text.isdigit() or (found := splits(text, ())) is None:
        raise ValueError(f"not five byte values with a matching BCC: {text!r}")
    return found


_HEX = _Form(None, lambda raw: raw.hex().upper(), lambda text: bytes.fromhex(normalise_uid(text)))
_FORMS: dict[Rendering, _Form] = {
    Rendering.HEX: _HEX,
    Rendering.DEC10: _decimal(4, 10),
    Rendering.DEC8: _decimal(3, 8),
    Rendering.FC_CN: _pair(3, 3),
    Rendering.FC4_CN: _pair(4, 5),
    Rendering.W26: _wiegand(3),
    Rendering.W34: _wiegand(4),
    Rendering.MFRC522: _Form(4, lambda raw: str(int.from_bytes(_with_bcc(raw), "big")), _read_mfrc522),
    Rendering.PHONIEBOX: _Form(4, lambda raw: "".join(map(str, _with_bcc(raw))), _read_phoniebox, False),
}


def _form(rendering: Rendering) -> tuple[_Form, bool]:
    """The form behind a rendering, and whether it works on the reversed UID."""
    if rendering.value.endswith("-lsb"):
        return _FORMS[Rendering(rendering.value.removesuffix("-lsb"))], True
    return _FORMS[rendering], False


def _kept(raw: bytes, rendering: Rendering) -> bytes:
    """The bytes of `raw` (card order) that `rendering` shows, in the order it shows them."""
    form, lsb = _form(rendering)
    if rendering in (Rendering.MFRC522, Rendering.PHONIEBOX):
        # One anticollision cascade: a 7-byte UID reads as 88 (cascade tag) + its first 3 bytes.
        return (raw if len(raw) <= 4 else b"\x88" + raw[:3]).rjust(4, b"\x00")
    raw = raw[::-1] if lsb else raw
    if form.width is None:
        return raw
    return raw[-form.width :].rjust(form.width, b"\x00")


def render(uid_hex: str, rendering: Rendering) -> str:
    """What a reader set to `rendering` prints for the card `uid_hex`; ValueError if not hex."""
    return _form(rendering)[0].show(_kept(bytes.fromhex(normalise_uid(uid_hex)), rendering))


def parse(text: str, rendering: Rendering) -> str:
    """The UID bytes `text` in `rendering` keeps, as hex in card order; ValueError if it is not one.

    For a lossy rendering this is part of the UID (the tail for MSB renderings, the head for
    "-lsb" ones, 88 + 3 bytes for a 7-byte UID under `mfrc522`): compare with `same_card`.
    """
    form, lsb = _form(rendering)
    raw = form.read(text)
    return (raw[::-1] if lsb else raw).hex().upper()


def is_lossless(rendering: Rendering, uid_bytes: int) -> bool:
    """True when `parse(render(uid))` gives back every UID of `uid_bytes` bytes."""
    form, _ = _form(rendering)
    return form.exact and form.width in (None, uid_bytes)


def same_card(enrolled_uid: str, read_uid: str, rendering: Rendering) -> bool:
    """True when a reader set to `rendering` cannot tell the two UIDs apart."""
    return render(enrolled_uid, rendering) == render(read_uid, rendering)


def matches(uid_hex: str, text: str, rendering: Rendering) -> bool:
    """True when `text` is what a reader set to `rendering` prints for the card `uid_hex`."""
    try:
        return same_card(uid_hex, parse(text, rendering), rendering)
    except ValueError:
        return False


def candidates(text: str) -> list[tuple[Rendering, str]]:
    """Every rendering `text` can be, with the UID bytes it gives in that rendering."""
    found = []
    for rendering in Rendering:
        try:
            found.append((rendering, parse(text, rendering)))
        except ValueError:
            continue
    return found


def calibrate(known_uid_hex: str, observed_text: str) -> list[Rendering]:
    """The renderings a reader may be set to, from what it printed for a card of known UID."""
    return [rendering for rendering in Rendering if matches(known_uid_hex, observed_text, rendering)]
