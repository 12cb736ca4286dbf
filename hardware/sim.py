"""Provides the simulated reader: a card tapped through `tap()` becomes a read, as from a real port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from hardware.clock import Clock
from hardware.readers import ReaderSpec, register
from hardware.reads import CardRead, normalise_uid


class SimReader:
    """A reader the demo, drills and tests tap cards on; ships inside the product."""

    def __init__(self, spec: ReaderSpec, clock: Clock) -> None:
        self.spec = spec
        self._clock = clock
        self._taps: asyncio.Queue[str | None] = asyncio.Queue()

    async def open(self) -> None:
        return None

    def tap(self, uid: str) -> None:
        self._taps.put_nowait(normalise_uid(uid))

    async def reads(self) -> AsyncIterator[CardRead]:
        while (uid := await self._taps.get()) is not None:
            yield CardRead(self.spec.id, uid, self._clock.now(), self._clock.monotonic())

    async def close(self) -> None:
        self._taps.put_nowait(None)


@register("sim")
def _make(spec: ReaderSpec, clock: Clock) -> SimReader:
    return SimReader(spec, clock)
