"""Provides the read loop of a serial reader that only talks: port bytes, decoder, presence filter, reads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator

import serial_asyncio_fast

from hardware.clock import Clock
from hardware.frames import Decoder, FrameError
from hardware.presence import PresenceFilter
from hardware.readers import ReaderSpec
from hardware.reads import CardRead

log = logging.getLogger(__name__)


class StreamingReader:
    """A reader that sends and is never asked: RDM6300 modules, ASCII readers, Wiegand converters.

    `reads()` ends by raising: the port's own error on an unplug (pyserial's SerialException,
    an OSError), or ConnectionError when the port reports end of file. The supervisor reopens.
    """

    def __init__(self, spec: ReaderSpec, clock: Clock, decoder: Decoder, *, default_baudrate: int) -> None:
        self.spec = spec
        self.decoder = decoder
        self.frame_errors = 0
        self._clock = clock
        self._presence = PresenceFilter.from_options(spec.options)
        self._baudrate = int(spec.options.get("baudrate", default_baudrate))
        self._stream: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self._stream, self._writer = await serial_asyncio_fast.open_serial_connection(
            url=self.spec.port, baudrate=self._baudrate
        )

    async def reads(self) -> AsyncGenerator[CardRead, None]:
        if self._stream is None:
            raise RuntimeError(f"reader {self.spec.id}: open() before reads()")
        while chunk := await self._stream.read(4096):
            for result in self.decoder.feed(chunk):
                if isinstance(result, FrameError):
                    self.frame_errors += 1
                    log.debug("frame_error reader=%s reason=%s raw=%s", self.spec.id, result.reason,
                              result.raw.hex())
                    continue
                monotonic = self._clock.monotonic()
                if self._presence.seen(result, monotonic):
                    yield CardRead(self.spec.id, result, self._clock.now(), monotonic)
        raise ConnectionError(f"reader {self.spec.id}: {self.spec.port} closed")

    async def close(self) -> None:
        writer, self._writer, self._stream = self._writer, None, None
        await close_port(writer)


async def close_port(writer: asyncio.StreamWriter | None) -> None:
    """Close a port opened with serial_asyncio_fast, also when it already failed."""
    if writer is not None:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:  # the port's own failure (SerialException is an OSError): it is closed now
            pass
