"""Provides the reader for serial readers and Wiegand converters that print one number a line ("ascii")."""

from __future__ import annotations

from hardware.clock import Clock
from hardware.frames import Decoded, FrameError
from hardware.readers import ReaderSpec, register
from hardware.serial_stream import StreamingReader
from hardware.uid import Rendering, parse

LONGEST_LINE = 64  # a 34-bit Wiegand stream with separators is the longest line a reader prints
_END = b"\r\n"
_FRAMING = "\x02\x03 \t"  # some converters wrap the number in STX/ETX or pad it


def rendering_option(spec: ReaderSpec) -> Rendering:
    """The reader's `format` option as a Rendering; ValueError that lists the formats otherwise."""
    value = spec.options.get("format")
    try:
        return Rendering(str(value))
    except ValueError:
        known = ", ".join(r.value for r in Rendering)
        raise ValueError(f"reader {spec.id}: options.format must be one of {known}, not {value!r}") from None


class AsciiLineDecoder:
    """Bytes in, one UID (or FrameError) a line out; lines end in CR, LF or both.

    The UID is what `uid.parse` gives for the configured rendering: for a lossy rendering only
    the bytes it keeps (`dec8` gives 3), so match it with `uid.same_card(enrolled, uid, rendering)`.
    """

    def __init__(self, rendering: Rendering) -> None:
        self.rendering = rendering
        self._line = bytearray()
        self._overflowed = False  # inside an overlong line: drop bytes until its end

    def feed(self, data: bytes) -> list[Decoded]:
        results: list[Decoded] = []
        for byte in data:
            if byte in _END:
                if self._line and not self._overflowed:
                    results.append(self._decode(bytes(self._line)))
                self._line.clear()
                self._overflowed = False
            elif self._overflowed:
                continue
            elif len(self._line) >= LONGEST_LINE:
                results.append(FrameError.of("line too long", self._line))
                self._line.clear()
                self._overflowed = True
            else:
                self._line.append(byte)
        return results

    def _decode(self, line: bytes) -> Decoded:
        text = line.decode("ascii", errors="replace").strip(_FRAMING)
        if not text:
            return FrameError.of("empty line", line)
        try:
            return parse(text, self.rendering)
        except ValueError:
            return FrameError.of(f"not {self.rendering.value}", line)


class AsciiReader(StreamingReader):
    """A reader on a serial port printing card numbers as text, 9600 8N1 unless `baudrate` says."""

    def __init__(self, spec: ReaderSpec, clock: Clock) -> None:
        super().__init__(spec, clock, AsciiLineDecoder(rendering_option(spec)), default_baudrate=9600)


@register("ascii")
def _make(spec: ReaderSpec, clock: Clock) -> AsciiReader:
    return AsciiReader(spec, clock)
