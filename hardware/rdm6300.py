"""Provides the RDM6300 / EM4100 125 kHz decoder and the reader registered as protocol "rdm6300"."""

from __future__ import annotations

from functools import reduce

from hardware.clock import Clock
from hardware.frames import Decoded, FrameError
from hardware.readers import ReaderSpec, register
from hardware.serial_stream import StreamingReader

STX, ETX, CR, LF = 0x02, 0x03, 0x0D, 0x0A
_HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")
_LONGEST = 16  # STX + 10 data + 2 checksum + CR LF + ETX (ID-20LA)


class Rdm6300Decoder:
    """Bytes in, UIDs (10 hex: version byte + 4 tag bytes) and `FrameError`s out.

    Accepts `02` + 10 hex + 2 hex XOR checksum + `03`; the same with `0D 0A` before `03`
    (ID-20LA, esphome/esphome#13753); and, unless `binary_checksum` is off, a raw checksum
    byte in place of the 2 hex (RF125-PS). Holds at most one partial frame: noise before an
    STX is dropped at once, so a stream without `02` never grows the buffer.
    """

    def __init__(self, *, binary_checksum: bool = True) -> None:
        self.binary_checksum = binary_checksum
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Decoded]:
        self._buffer += data
        results: list[Decoded] = []
        while self._buffer:
            start = self._buffer.find(STX)
            if start != 0:
                noise = len(self._buffer) if start < 0 else start
                results.append(FrameError.of("noise", self._buffer[:noise]))
                del self._buffer[:noise]
                continue
            found = self._frame(bytes(self._buffer[:_LONGEST]))
            if found is None:
                break  # a frame has begun; wait for the rest of it
            result, used = found
            results.append(result)
            del self._buffer[:used]
        return results

    def _frame(self, buf: bytes) -> tuple[Decoded, int] | None:
        """The frame at the start of `buf` and its length, or None until more bytes are needed."""
        for i in range(1, min(len(buf), 11)):
            if buf[i] not in _HEX_DIGITS:
                return _failed("not hex", buf, i + 1)
        if len(buf) < 13:
            return None
        data = bytes.fromhex(buf[1:11].decode("ascii"))
        if buf[12] == ETX and self.binary_checksum:
            checksum, length = buf[11], 13
        elif buf[11] in _HEX_DIGITS and buf[12] in _HEX_DIGITS:
            checksum = int(buf[11:13].decode("ascii"), 16)
            if len(buf) < 14 or (buf[13] == CR and len(buf) < 16):
                return None
            if buf[13] == ETX:
                length = 14
            elif buf[13:16] == bytes([CR, LF, ETX]):
                length = 16
            else:
                return _failed("no end byte", buf, 16 if buf[13] == CR else 14)
        else:
            return _failed("bad checksum digits", buf, 13)
        if reduce(lambda a, b: a ^ b, data) != checksum:
            return _failed("bad checksum", buf, length)
        if not any(data):
            # 000000000000 has a valid checksum and is a known phantom read (arendst/Tasmota#9522).
            return _failed("all-zero id", buf, length)
        return data.hex().upper(), length


def _failed(reason: str, buf: bytes, length: int) -> tuple[FrameError, int]:
    """The error for a bad frame, consuming it only up to the next STX inside it (to resync there)."""
    next_start = buf.find(STX, 1, length)
    used = length if next_start < 0 else next_start
    return FrameError.of(reason, buf[:used]), used


class Rdm6300Reader(StreamingReader):
    """An RDM6300-style module on a serial port, 9600 8N1, transmit only."""

    def __init__(self, spec: ReaderSpec, clock: Clock) -> None:
        binary = str(spec.options.get("binary_checksum", True)).lower() not in ("false", "0", "no")
        super().__init__(spec, clock, Rdm6300Decoder(binary_checksum=binary), default_baudrate=9600)


@register("rdm6300")
def _make(spec: ReaderSpec, clock: Clock) -> Rdm6300Reader:
    return Rdm6300Reader(spec, clock)
