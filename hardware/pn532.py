"""Provides the PN532 frame codec: host frames built, chip frames parsed byte for byte, UIDs read out."""

from __future__ import annotations

from dataclasses import dataclass

from hardware.frames import FrameError

HOST, CHIP = 0xD4, 0xD5  # TFI: frame direction
START = b"\x00\xff"  # start code; the 00 preamble before it and the 00 postamble after are optional
ACK = bytes.fromhex("00 00 FF 00 FF 00")
NACK = bytes.fromhex("00 00 FF FF 00 00")
WAKEUP = b"\x55\x55" + bytes(14)  # out of LowVbat: libnfc's preamble (Tasmota's 5 bytes is marginal)

GET_FIRMWARE_VERSION = 0x02
SAM_CONFIGURATION = 0x14
RF_CONFIGURATION = 0x32
IN_LIST_PASSIVE_TARGET = 0x4A

SAM_NORMAL_MODE = b"\x01"  # normal mode: no secure access module; the timeout byte may be left out
# Item 5 MaxRetries: ATR_REQ FF, PSL 01, passive activation 01, so a poll without a card returns at
# once instead of waiting for a card forever (what esp-rfid and Tasmota also set).
RF_MAX_RETRIES = b"\x05\xff\x01\x01"
ONE_TYPE_A_TARGET = b"\x01\x00"  # MaxTg 1, BrTy 0: 106 kbps ISO 14443 type A (MIFARE)


@dataclass(frozen=True, slots=True)
class Ack:
    """The chip took the command; its reply follows."""


@dataclass(frozen=True, slots=True)
class Nack:
    """Asks the other side to send its last frame again."""


@dataclass(frozen=True, slots=True)
class ChipError:
    """The chip's error frame (00 00 FF 01 FF 7F 81 00): it could not parse the host's frame."""


@dataclass(frozen=True, slots=True)
class Frame:
    """A normal information frame: `tfi` (HOST or CHIP) and the data after it, command code first."""

    tfi: int
    data: bytes


Parsed = Ack | Nack | ChipError | Frame | FrameError


def build_frame(data: bytes, tfi: int = HOST) -> bytes:
    """`00 00 FF LEN LCS TFI data DCS 00`; ValueError for data too long for a normal frame."""
    body = bytes([tfi]) + data
    if len(body) > 254:
        raise ValueError(f"PN532 normal frames carry at most 253 data bytes, not {len(data)}")
    return b"\x00" + START + bytes([len(body), -len(body) & 0xFF]) + body + bytes([-sum(body) & 0xFF, 0])


def command(code: int, params: bytes = b"") -> bytes:
    return build_frame(bytes([code]) + params)


class Pn532Parser:
    """Bytes in, parsed frames out. Resynchronises on the next start code after anything bad.

    A frame cut short (bytes lost on the wire, the chip reset mid-reply) claims more bytes than it
    has, and the next frame's bytes would complete it: then it fails its data checksum, or, one
    time in 256, passes it. Either way a whole frame the chip sent after it is not lost: a frame
    that begins with a full preamble (00 00 FF) inside the claimed length and passes its own
    checksums marks the frame around it as truncated, and parsing goes on from there.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Parsed]:
        self._buffer += data
        results: list[Parsed] = []
        while True:
            start = self._buffer.find(START)
            # Keep a trailing 00 (it may be half a start code); drop the rest before the start code.
            skipped = start if start >= 0 else len(self._buffer) - self._buffer.endswith(b"\x00")
            if self._buffer[:skipped].strip(b"\x00"):  # zeros are pre- and postambles, not noise
                results.append(FrameError.of("noise", self._buffer[:skipped]))
            del self._buffer[:skipped]
            if start < 0 or (found := _frame(bytes(self._buffer))) is None:
                return results
            result, used = found
            results.append(result)
            del self._buffer[:used]


_COMPLETE, _INCOMPLETE, _BAD = "complete", "incomplete", "bad"


def _check(buf: bytes) -> tuple[str, int]:
    """Whether the frame at the start code that begins `buf` is whole and sound, and its length."""
    if len(buf) < 4:
        return _INCOMPLETE, 0
    length, lcs = buf[2], buf[3]
    if (length, lcs) in ((0x00, 0xFF), (0xFF, 0x00)):  # ACK, NACK
        return _COMPLETE, 4
    if (length, lcs) == (0xFF, 0xFF) or (length + lcs) & 0xFF or length == 0:
        return _BAD, 2
    if len(buf) < 5 + length:
        return _INCOMPLETE, 5 + length
    return (_BAD if (sum(buf[4 : 4 + length]) + buf[4 + length]) & 0xFF else _COMPLETE), 5 + length


def _inner(buf: bytes, end: int) -> tuple[int, str] | None:
    """The first sound frame that starts with 00 00 FF before `end` (else whether one may yet be)."""
    waiting: tuple[int, str] | None = None
    at = buf.find(b"\x00" + START, 3)  # past this frame's own start code and length
    while 0 <= at < end - 1:
        state, _ = _check(buf[at + 1 :])
        if state == _COMPLETE:
            return at + 1, state
        if state == _INCOMPLETE and waiting is None:
            waiting = at + 1, state
        at = buf.find(b"\x00" + START, at + 1)
    if waiting is None and len(buf) == end and buf[end - 2 : end] == b"\x00\x00":
        waiting = end - 1, _INCOMPLETE  # 00 00 at the very end: the FF of a preamble may be next
    return waiting


def _frame(buf: bytes) -> tuple[Parsed, int] | None:
    """The frame at the start code that begins `buf`, and bytes used; None until it is decided."""
    state, size = _check(buf)
    if state == _INCOMPLETE and size == 0:
        return None
    length = buf[2]
    if size == 4:
        return (Ack() if length == 0x00 else Nack()), 4
    if state == _BAD and size == 2:
        reason = "extended frame" if (length, buf[3]) == (0xFF, 0xFF) else "bad length checksum"
        return FrameError.of(reason, buf[:4]), 2  # an extended frame is never an answer to our commands
    inner = _inner(buf, min(size, len(buf)))
    if inner is not None and inner[1] == _COMPLETE:  # a whole frame inside: this one was cut short
        return FrameError.of("truncated frame", buf[: inner[0]]), inner[0]
    if state == _INCOMPLETE or inner is not None:  # wait: for its bytes, or to see whether the inner one is whole
        return None
    if state == _BAD:  # resynchronise on the next start code inside it, if any: a frame may start there
        resync = buf.find(START, 2, size)
        used = resync if resync > 0 else size - (buf[size - 1] == 0)  # a last 00 may start a start code
        return FrameError.of("bad data checksum", buf[:used]), used
    body = buf[4 : 4 + length]
    if body == b"\x7f":
        return ChipError(), size
    return Frame(body[0], body[1:]), size


def target_uid(reply: bytes) -> str | None | FrameError:
    """The UID in an InListPassiveTarget reply (the data after D5 4B), None when there is no card.

    The reply is NbTg, then per target: Tg, SENS_RES (2), SEL_RES, NFCIDLength, the UID in
    anticollision order, and for ISO 14443-4 cards an ATS we do not need.
    """
    if reply[:1] == b"\x00":
        return None
    if len(reply) < 6 or reply[5] not in (4, 7, 10) or len(reply) < 6 + reply[5]:
        return FrameError.of("bad target", reply)
    return reply[6 : 6 + reply[5]].hex().upper()
