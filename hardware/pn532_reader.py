"""Provides the PN532 host driver over UART (HSU), registered as protocol "pn532"."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncGenerator

import serial_asyncio_fast

from hardware import pn532
from hardware.clock import Clock
from hardware.frames import FrameError
from hardware.pn532 import Ack, ChipError, Frame, Nack, Parsed, Pn532Parser
from hardware.presence import PresenceFilter
from hardware.readers import ReaderSpec, register
from hardware.reads import CardRead
from hardware.serial_stream import close_port

log = logging.getLogger(__name__)


class Pn532Silent(ConnectionError):
    """The PN532 stopped answering, and re-initialising it did not bring it back."""


class Pn532Reader:
    """Wakes the chip, configures it, then polls InListPassiveTarget; one read per card presence.

    A command is sent again when no ACK comes within `ack_timeout` (the manual allows 15 ms and
    says to resend; libnfc#429), when the chip NACKs or sends its error frame, and when no reply
    comes within `reply_timeout`. A reply with a bad checksum is answered with a NACK, which
    makes the chip send it again. After `attempts` failures the chip is woken and configured
    again (it hangs after hours: Tasmota#14236); if that fails too, reads() raises Pn532Silent.
    A card is gone when `presence_gap` passes without a poll finding it: one empty poll is not a
    removal, since polls flap with a card at the edge of the field.
    """

    def __init__(self, spec: ReaderSpec, clock: Clock) -> None:
        options = spec.options
        self.spec = spec
        self.ack_timeout = float(options.get("ack_timeout", 0.1))
        # nfcpy waits 1.5 s for the first ACK: a USB-serial adapter on a Pi can delay it ~1 s.
        self.wake_timeout = float(options.get("wake_timeout", 1.5))
        self.reply_timeout = float(options.get("reply_timeout", 1.0))
        self.poll_interval = float(options.get("poll_interval", 0.1))
        self.attempts = int(options.get("attempts", 3))
        self.reinit_attempts = int(options.get("reinit_attempts", 2))
        self.frame_errors = 0
        self._baudrate = int(options.get("baudrate", 115200))
        self._clock = clock
        self._presence = PresenceFilter.from_options(options)
        self._parser = Pn532Parser()
        self._pending: deque[Parsed] = deque()
        self._stream: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self._stream, self._writer = await serial_asyncio_fast.open_serial_connection(
            url=self.spec.port, baudrate=self._baudrate
        )
        await self._initialise()

    async def reads(self) -> AsyncGenerator[CardRead, None]:
        if self._stream is None:
            raise RuntimeError(f"reader {self.spec.id}: open() before reads()")
        reinitialised = False  # from a re-initialisation to the next answered poll; silence then ends reads
        while True:
            try:
                reply = await self._call(pn532.IN_LIST_PASSIVE_TARGET, pn532.ONE_TYPE_A_TARGET)
            except Pn532Silent:
                if reinitialised:
                    raise
                await self._reinitialise()
                reinitialised = True
                continue
            reinitialised = False
            uid = pn532.target_uid(reply)
            if isinstance(uid, FrameError):
                self._count(uid)
            elif uid is not None and self._presence.seen(uid, monotonic := self._clock.monotonic()):
                yield CardRead(self.spec.id, uid, self._clock.now(), monotonic)
            if self.poll_interval > 0:
                await asyncio.sleep(self.poll_interval)

    async def close(self) -> None:
        writer, self._writer, self._stream = self._writer, None, None
        await close_port(writer)

    async def _initialise(self) -> None:
        await self._send(pn532.WAKEUP)
        await self._call(pn532.SAM_CONFIGURATION, pn532.SAM_NORMAL_MODE, ack_timeout=self.wake_timeout)
        await self._call(pn532.RF_CONFIGURATION, pn532.RF_MAX_RETRIES)

    async def _reinitialise(self) -> None:
        for attempt in range(1, self.reinit_attempts + 1):
            log.warning("pn532_reinit reader=%s attempt=%d", self.spec.id, attempt)
            try:
                return await self._initialise()
            except Pn532Silent:
                continue
        raise Pn532Silent(f"reader {self.spec.id}: PN532 on {self.spec.port} stopped answering")

    async def _call(self, code: int, params: bytes = b"", *, ack_timeout: float | None = None) -> bytes:
        """Send a command until it is acknowledged and answered; the reply's data after its code."""
        frame = pn532.command(code, params)
        for _ in range(self.attempts):
            self._pending.clear()  # answers to an abandoned attempt are stale
            await self._send(frame)
            loop_time = asyncio.get_running_loop().time()
            if await self._acknowledged(loop_time + (ack_timeout or self.ack_timeout)):
                if (reply := await self._reply(code + 1)) is not None:
                    return reply
        raise Pn532Silent(f"reader {self.spec.id}: no answer to command {code:#04x}")

    async def _acknowledged(self, deadline: float) -> bool:
        while (parsed := await self._next(deadline)) is not None:
            if isinstance(parsed, Ack):
                return True
            if isinstance(parsed, Nack | ChipError):
                return False
            if isinstance(parsed, FrameError):
                self._count(parsed)
        return False

    async def _reply(self, code: int) -> bytes | None:
        deadline = asyncio.get_running_loop().time() + self.reply_timeout
        while (parsed := await self._next(deadline)) is not None:
            if isinstance(parsed, Frame) and parsed.tfi == pn532.CHIP and parsed.data[:1] == bytes([code]):
                return parsed.data[1:]
            if isinstance(parsed, ChipError):
                return None
            if isinstance(parsed, FrameError):
                self._count(parsed)
                if parsed.reason == "bad data checksum":
                    await self._send(pn532.NACK)  # the chip sends its reply again
        return None

    async def _next(self, deadline: float) -> Parsed | None:
        """The next frame from the chip, or None at the deadline; raises if the port closed."""
        if self._stream is None:
            raise RuntimeError(f"reader {self.spec.id}: not open")
        while not self._pending:
            try:
                async with asyncio.timeout_at(deadline):
                    chunk = await self._stream.read(256)
            except TimeoutError:
                return None
            if not chunk:
                raise ConnectionError(f"reader {self.spec.id}: {self.spec.port} closed")
            self._pending.extend(self._parser.feed(chunk))
        return self._pending.popleft()

    async def _send(self, data: bytes) -> None:
        if self._writer is None:
            raise RuntimeError(f"reader {self.spec.id}: not open")
        self._writer.write(data)
        await self._writer.drain()

    def _count(self, error: FrameError) -> None:
        self.frame_errors += 1
        log.debug("frame_error reader=%s reason=%s raw=%s", self.spec.id, error.reason, error.raw.hex())


@register("pn532")
def _make(spec: ReaderSpec, clock: Clock) -> Pn532Reader:
    return Pn532Reader(spec, clock)
