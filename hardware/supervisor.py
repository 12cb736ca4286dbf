"""Provides `supervise`: keep one reader open, forward its reads, report it down and up, reopen it."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from hardware.clock import Clock
from hardware.readers import CardReader, ReaderFactory, ReaderSpec
from hardware.reads import CardRead

log = logging.getLogger(__name__)

ReaderState = Literal["up", "down"]
OnRead = Callable[[CardRead], Awaitable[object] | None]
OnState = Callable[[str, ReaderState, str], None]
OnFailed = Callable[[CardRead, Exception], None]

FIRST_RETRY = 0.2  # s, doubling after each failed open ...
LAST_RETRY = 2.0  # ... up to this, so a port that comes back is reopened within 5 s


async def supervise(
    reader_factory: ReaderFactory,
    spec: ReaderSpec,
    clock: Clock,
    on_read: OnRead,
    on_state: OnState,
    *,
    retry: tuple[float, float] = (FIRST_RETRY, LAST_RETRY),
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_failed: OnFailed | None = None,
) -> None:
    """Run one reader until cancelled. Never raises for the reader's sake.

    `on_state(reader_id, "up" | "down", reason)` is called on each change only: "up" when the
    reader opens, "down" with the error's text when opening or reading fails (an unplugged USB
    adapter gives pyserial's "device reports readiness to read but returned no data"). A reader
    that fails is closed, built afresh from `reader_factory` and opened again after a delay that
    doubles from `retry[0]` up to `retry[1]`, starting over once it opens.

    A read that `on_read` fails to handle is logged and handed to `on_failed(read, error)`, so the
    card still gets the fault light and beep rather than nothing; the reader stays up.
    """
    state: ReaderState | None = None
    delay = retry[0]
    while True:
        reader: CardReader | None = None
        try:
            reader = reader_factory(spec, clock)
            await reader.open()
            if state != "up":
                state = "up"
                on_state(spec.id, state, "")
            delay = retry[0]
            async for read in reader.reads():
                await _deliver(on_read, read, on_failed)
            reason = "reader stopped"
        except Exception as error:  # noqa: BLE001 - a reader's failure of any kind means "down", never a crash
            reason = f"{type(error).__name__}: {error}"
        finally:
            if reader is not None:
                await _close(reader)
        log.warning("reader_down reader=%s retry_in=%.1f reason=%s", spec.id, delay, reason)
        if state != "down":
            state = "down"
            on_state(spec.id, state, reason)
        await sleep(delay)
        delay = min(delay * 2, retry[1])


async def _deliver(on_read: OnRead, read: CardRead, on_failed: OnFailed | None) -> None:
    """Hand a read on; a consumer's failure is logged, told to `on_failed`, and does not take the reader down."""
    try:
        if inspect.isawaitable(result := on_read(read)):
            await result
    except Exception as error:  # noqa: BLE001 - the reader is fine; the consumer's failure is its own
        log.exception("on_read_failed reader=%s uid=%s", read.reader_id, read.uid)
        if on_failed is not None:
            try:
                on_failed(read, error)
            except Exception:  # noqa: BLE001 - the fault signal failing too must still not take the reader down
                log.exception("on_failed_failed reader=%s uid=%s", read.reader_id, read.uid)


async def _close(reader: CardReader) -> None:
    try:
        await reader.close()
    except Exception:  # noqa: BLE001 - closing a broken reader may fail too; it is dropped either way
        log.debug("close_failed reader=%s", reader.spec.id, exc_info=True)
