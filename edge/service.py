"""Provides the edge service loop: readers -> repeat filter -> recorder -> feedback and live subscribers.

Data flows one way. A read becomes an event only through the recorder, which returns after
COMMIT; only then do the light, the beep and the live stream hear of it. Nothing reaches the
kiosk's green light that is not on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from edge.model import Event
from edge.recorder import Recorder
from hardware.clock import Clock
from hardware.readers import CardReader
from hardware.reads import CardRead

log = logging.getLogger("rollcall.edge")

Feedback = Callable[[Event], None]


class RepeatFilter:
    """The same card on the same reader within `window` seconds is one read (monotonic time)."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._last: dict[tuple[str, str], float] = {}

    def admit(self, read: CardRead) -> bool:
        key = (read.reader_id, read.uid)
        last = self._last.get(key)
        self._last[key] = read.monotonic
        if len(self._last) > 4096:  # forget old cards, keep the ones still inside the window
            self._last = {k: t for k, t in self._last.items() if read.monotonic - t < self.window}
        return last is None or read.monotonic - last >= self.window


class Subscribers:
    """Live listeners, each with a bounded queue: a stuck listener loses its place, never delays a tap."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._queues: set[asyncio.Queue[Event | None]] = set()

    def subscribe(self) -> asyncio.Queue[Event | None]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue(self.size)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        self._queues.discard(queue)

    def publish(self, event: Event) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A None tells the listener it missed events and must take a fresh snapshot.
                self._queues.discard(queue)
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(None)


class EdgeService:
    def __init__(
        self,
        recorder: Recorder,
        clock: Clock,
        readers: list[CardReader],
        debounce_seconds: float,
        feedback: list[Feedback] | None = None,
    ) -> None:
        self.recorder = recorder
        self.clock = clock
        self.readers = readers
        self.repeat_filter = RepeatFilter(debounce_seconds)
        self.feedback = feedback or []
        self.subscribers = Subscribers()

    async def handle(self, read: CardRead) -> Event | None:
        """Record one read; None when the repeat filter swallowed it."""
        if not self.repeat_filter.admit(read):
            return None
        event = await self.recorder.record_read(read)
        self._announce(event)
        return event

    async def tick(self, now: datetime | None = None) -> list[Event]:
        """Raise the alerts that hold now; the service calls this every few seconds."""
        raised = await self.recorder.raise_alerts(now or self.clock.now())
        for event in raised:
            self._announce(event)
        return raised

    def record(self, event: Event) -> None:
        """Announce an event recorded elsewhere (a manual action) to feedback and the live stream."""
        self._announce(event)

    def _announce(self, event: Event) -> None:
        for sink in self.feedback:
            try:
                sink(event)
            except Exception:  # noqa: BLE001 (a broken buzzer must not stop check-in)
                log.exception("feedback sink failed for event %s", event.seq)
        self.subscribers.publish(event)

    async def run_reader(self, reader: CardReader) -> None:
        await reader.open()
        try:
            async for read in reader.reads():
                await self.handle(read)
        finally:
            await reader.close()

    async def run(self, tick_seconds: float = 15.0) -> None:
        """Run every reader and the alert clock until cancelled."""
        async with asyncio.TaskGroup() as group:
            for reader in self.readers:
                group.create_task(self.run_reader(reader), name=f"reader:{reader.spec.id}")
            group.create_task(self._tick_forever(tick_seconds), name="alerts")

    async def _tick_forever(self, seconds: float) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(seconds)
