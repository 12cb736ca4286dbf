"""Provides the edge service loop: readers -> repeat filter -> recorder -> feedback and live subscribers.

Data flows one way. A read becomes an event only through the recorder, which returns after
COMMIT; only then do the light, the beep and the live stream hear of it. Nothing reaches the
kiosk's green light that is not on disk.

A full disk never stops it: a tap that cannot be stored comes back `not_recorded` (the fault
pattern plays), and neither an alert nor a reader's change that cannot be stored leaves the task
group. The storage probe warns of low space and resumes recording once space is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from edge.core.errors import StorageError
from edge.core.model import SIGNALS, Event, EventKind, Outcome
from edge.device.recorder import Recorder
from hardware.clock import Clock
from hardware.feedback import FeedbackSink, Pattern
from hardware.readers import ReaderFactory, ReaderSpec, make_reader
from hardware.reads import CardRead
from hardware.supervisor import supervise

log = logging.getLogger("rollcall.edge")

Feedback = Callable[[Event], None]


URGENT_ALERTS = frozenset({"missing", "not_in_room", "left_without_leave"})  # the console's urgent ones
ALARM_AT_MOST_EVERY = 30.0  # s: a head count raises many alerts at once; the guard needs one alarm


def kiosk_feedback(
    sinks: list[FeedbackSink], patterns: Mapping[str, Pattern], monotonic: Callable[[], float] = time.monotonic
) -> Feedback:
    """Play each tap's signal (ok, warning, denied) and each reader fault on every sink, and log it;
    an urgent alert about a child plays the alarm, at most once every `ALARM_AT_MOST_EVERY` seconds."""
    last_alarm: list[float] = []

    def alarm(event: Event) -> None:
        now = monotonic()
        if patterns["alarm"].beeps == 0 or (last_alarm and now - last_alarm[0] < ALARM_AT_MOST_EVERY):
            return
        last_alarm[:] = [now]
        log.info("alert seq=%d alert=%s holder=%s signal=alarm", event.seq, event.data.get("alert"),
                 event.subject or "-")  # fmt: skip
        for sink in sinks:
            sink.play("alarm", patterns["alarm"])

    def play(event: Event) -> None:
        if event.kind is EventKind.ALERT and event.data.get("alert") in URGENT_ALERTS:
            alarm(event)
        elif event.kind in (EventKind.TAP, EventKind.READER):
            signal = SIGNALS[event.outcome].value
            # The journal's one line a tap (the unit's promise): which reader, which card as stored, whose, what.
            log.info("%s seq=%d reader=%s card=%s holder=%s outcome=%s reason=%s signal=%s", event.kind.value,
                     event.seq, event.reader_id, event.card_uid or "-", event.subject or "-", event.outcome.value,
                     event.reason or "-", signal)  # fmt: skip
            for sink in sinks:
                sink.play(signal, patterns[signal])

    return play


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

    def subscribe(self, size: int | None = None) -> asyncio.Queue[Event | None]:
        """A queue of every event from now on, holding at most `size` (default: the hub's) unread."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue(size or self.size)
        self._queues.add(queue)
        return queue

    def __len__(self) -> int:
        return len(self._queues)

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
        readers: list[ReaderSpec],
        debounce_seconds: float,
        feedback: list[Feedback] | None = None,
        reader_factory: ReaderFactory = make_reader,
    ) -> None:
        self.recorder = recorder
        self.clock = clock
        self.readers = readers
        self.reader_factory = reader_factory
        self.reader_states: dict[str, str] = {}  # reader id -> "up" | "down", for health and metrics
        self._reader_changes: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()
        self.repeat_filter = RepeatFilter(debounce_seconds)
        self.feedback = feedback or []
        self.subscribers = Subscribers()
        recorder.notify = self._announce  # the disk's refusal and recovery, as they happen
        recorder.now = clock.now

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

    def _read_failed(self, read: CardRead, error: Exception) -> None:
        """A read the device failed to handle (a bug): the child still gets the fault pattern, not silence."""
        event = Event("", EventKind.TAP, Outcome.NOT_RECORDED, read.at, self.recorder.device_id,
                      reason="device_error", reader_id=read.reader_id, card_uid=read.uid,
                      data={"detail": f"{type(error).__name__}: {error}"})  # fmt: skip
        self._announce(event)

    async def probe_storage(self, now: datetime | None = None) -> list[Event]:
        """Look at the disk: a low-space alert, or recording resumed once space is back."""
        events = await self.recorder.probe_storage(now or self.clock.now())
        for event in events:
            self._announce(event)
        return events

    async def run(self, tick_seconds: float = 15.0, probe_seconds: float = 5.0) -> None:
        """Run every reader under supervision, and the alert clock, until cancelled.

        A reader that fails is marked down (an event, so the console and the server see it) and
        reopened with backoff; it never stops the other readers or the service.
        """
        async with asyncio.TaskGroup() as group:
            for spec in self.readers:
                group.create_task(
                    supervise(self.reader_factory, spec, self.clock, self.handle, self._reader_state_changed,
                              on_failed=self._read_failed),
                    name=f"reader:{spec.id}",
                )  # fmt: skip
            group.create_task(self._record_reader_states(), name="reader-states")
            group.create_task(self._tick_forever(tick_seconds), name="alerts")
            group.create_task(self._probe_forever(probe_seconds), name="storage-probe")

    def _reader_state_changed(self, reader_id: str, state: str, reason: str) -> None:
        self.reader_states[reader_id] = state
        self._reader_changes.put_nowait((reader_id, state, reason))

    async def _record_reader_states(self) -> None:
        while True:
            reader_id, state, reason = await self._reader_changes.get()
            event = await self.recorder.record_reader_state(
                reader_id, state == "up", reason, self.clock.now()
            )
            self._announce(event)

    async def _tick_forever(self, seconds: float) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(seconds)

    async def _probe_forever(self, seconds: float) -> None:
        while True:
            try:
                await self.probe_storage()
            except StorageError:  # logged where it failed; the next probe tries again
                pass
            await asyncio.sleep(seconds)
