"""Provides `SchoolServer`: the store's writer, the school-wide view, one puller and pusher per device, notifications.

Each long-lived part is started and stopped by the app's `cleanup_ctx` (`sync.app`), and the one
aiohttp `ClientSession` of the process is shared by every puller, pusher and notification
(STYLE 5). The flow is one way: pullers store pages → the view folds what was stored → alerts
→ the notification outbox; a new dataset version wakes the pushers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import aiohttp

from edge.core.model import Event
from hardware.clock import Clock, SystemClock
from sync.config import DeviceConfig, ServerConfig
from sync.db import Unavailable
from sync.notify import Notifier
from sync.owner import Owner
from sync.puller import Puller
from sync.pusher import Pusher
from sync.status import STORAGE_ALERTING, DeviceStatus, storage_detail
from sync.store import Ingested, ServerStore
from sync.view import URGENCY, SchoolAlert, SchoolView

log = logging.getLogger("rollcall.sync")

T = TypeVar("T")

REFRESH_EVERY = 5.0  # s: the view looks at the log at least this often (a roster imported by another process)
REFRESH_PAUSE = 0.1  # s between two refreshes: the live stream is this much behind the store at most
ALERTS_EVERY = 15.0  # s: alerts are due minutes after a start; the devices check as often
GATE_ROLES = ("gate", "gate-in", "gate-out")


class LiveFeed:
    """The devices' events for the server's live clients, each with its row id in the server's log.

    Each listener has a bounded queue, as on a device (`edge.device.service.Subscribers`): one that falls
    behind loses its place (a None) and takes a fresh snapshot; it never holds up the pullers.
    """

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._queues: set[asyncio.Queue[tuple[int, Event] | None]] = set()

    def subscribe(self) -> asyncio.Queue[tuple[int, Event] | None]:
        queue: asyncio.Queue[tuple[int, Event] | None] = asyncio.Queue(self.size)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[tuple[int, Event] | None]) -> None:
        self._queues.discard(queue)

    def __len__(self) -> int:
        return len(self._queues)

    def publish(self, row_id: int, event: Event) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait((row_id, event))
            except asyncio.QueueFull:
                self._drop(queue)

    def resnapshot(self) -> None:
        """Every listener must take a fresh snapshot (a catch-up delivered too much to send one by one)."""
        for queue in list(self._queues):
            self._drop(queue)

    def _drop(self, queue: asyncio.Queue[tuple[int, Event] | None]) -> None:
        self._queues.discard(queue)
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)


class SchoolServer:
    def __init__(
        self, config: ServerConfig, clock: Clock | None = None, rng: random.Random | None = None
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock(config.timezone)
        self.rng = rng or random.Random()
        self.writer: Owner[ServerStore] = Owner("rollcall-server-writer")
        self.view: Owner[SchoolView] = Owner("rollcall-server-view")
        self.statuses = {device.id: DeviceStatus(device.id) for device in config.devices}
        self.live = LiveFeed()
        self.pullers: dict[str, Puller] = {}
        self.pushers: dict[str, Pusher] = {}
        self.notifier: Notifier | None = None
        self._session: aiohttp.ClientSession | None = None
        self._poked = asyncio.Event()
        self._dirty: set[str] = set()
        self.alerts: list[SchoolAlert] = []
        self.alerts_at: datetime | None = None
        self.started = time.monotonic()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the server is not open")
        return self._session

    async def open(self) -> None:
        config = self.config
        config.data_dir.mkdir(parents=True, exist_ok=True)  # health reads its disk, on either store
        await self.writer.open(lambda: ServerStore.open(config.store, config.timezone))
        await self.view.open(lambda: SchoolView(config.store, config.timezone).open())
        # One session for the process; a connection per device at a time is all a puller needs, plus
        # the pusher's and the forwarded actions'.
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, limit_per_host=4))
        for device in config.devices:
            rng = random.Random(self.rng.random())
            status = self.statuses[device.id]
            self.pullers[device.id] = Puller(device, config.pull, self.session, self.writer, status, self.clock,
                                             self._ingested, rng)  # fmt: skip
            self.pushers[device.id] = Pusher(device, config.pull, config.push_every, self.session, self.writer,
                                             status, self.clock, rng)  # fmt: skip
        self.notifier = Notifier(config.notify, config.server_id, self.writer, self.session, self.rng)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        await self.view.close(SchoolView.close)
        await self.writer.close(ServerStore.close)

    # -- the flow: pulled -> viewed -> alerted ---------------------------------------------------

    def _ingested(self, device: str, ingested: Ingested) -> None:
        self._dirty |= ingested.days
        if ingested.cards_version is not None:  # a card given out at a console goes to every device
            self.datasets_changed()
        self._poked.set()

    def datasets_changed(self) -> None:
        for pusher in self.pushers.values():
            pusher.wake.set()

    def resume(self, device: str) -> None:
        puller = self.pullers.get(device)
        if puller is not None:
            puller.resumed.set()

    async def view_forever(self) -> None:
        """Fold what the pullers store, publish it to live clients, raise alerts, queue notifications."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REFRESH_EVERY):
                    await self._poked.wait()
            self._poked.clear()
            try:
                await self.refresh()
                # At most a few refreshes a second: a device catching up stores a page every few
                # milliseconds, and refreshing after each took a fifth of the ingest's time.
                await asyncio.sleep(REFRESH_PAUSE)
                due = (
                    self.alerts_at is None
                    or (self.clock.now() - self.alerts_at).total_seconds() >= ALERTS_EVERY
                )
                if due:
                    await self.check_alerts()
            except Unavailable as error:  # the store's PostgreSQL is down: look again at the next refresh
                log.warning("view_store_unavailable: %s", error)

    async def refresh(self) -> None:
        dirty, self._dirty = self._dirty, set()

        publish = len(self.live) > 0  # rows become events for live clients only when there are some

        def refresh(view: SchoolView) -> Any:
            view.mark_dirty(dirty)
            return view.refresh(publish)

        refreshed = await self.view.run(refresh)
        if refreshed.datasets_changed:
            self.datasets_changed()
        if refreshed.events is None:
            self.live.resnapshot()
        else:
            for row_id, event in refreshed.events:
                self.live.publish(row_id, event)

    async def check_alerts(self) -> list[SchoolAlert]:
        now = self.clock.now()
        found, school = await self.view.run(lambda view: (view.alerts(now), view.school))
        alarms = await self.writer.run(lambda store: store.alarms())
        found += self.device_alerts(now, alarms)
        self.alerts = sorted(
            found, key=lambda a: (URGENCY.get(a.kind, len(URGENCY)), a.session_id, a.student_id)
        )
        self.alerts_at = now
        if self.notifier is not None:
            await self.notifier.enqueue(self.alerts, school)
        return self.alerts

    def device_alerts(self, now: datetime, alarms: list[dict[str, Any]]) -> list[SchoolAlert]:
        found = []
        for device, status in self.statuses.items():
            if status.offline(self.config.pull.offline_after):
                # One alert per outage: the key holds when the device was last heard from.
                since = status.last_contact
                key = f"device_offline:{device}:{since.isoformat() if since else 'never'}"
                found.append(SchoolAlert("device_offline", key, device=device, since=since,
                                         detail=status.last_error))  # fmt: skip
            disk = status.health.get("disk") or {}
            if disk.get("state") in STORAGE_ALERTING:
                # One alert per spell: a low disk that fills up is a second, more urgent one.
                key = f"device_storage:{device}:{disk['state']}:{disk.get('since', '')}"
                since = datetime.fromisoformat(disk["since"]) if disk.get("since") else None
                found.append(SchoolAlert("device_storage", key, device=device, since=since,
                                         detail=storage_detail(disk)))  # fmt: skip
        for alarm in alarms:
            if alarm["kind"] in ("gap", "behind", "divergent"):
                key = f"ingest_stopped:{alarm['device']}:{alarm['id']}"
                found.append(SchoolAlert("ingest_stopped", key, device=alarm["device"],
                                         since=datetime.fromisoformat(alarm["raised_at"]),
                                         detail=str(alarm["detail"].get("message", alarm["kind"]))))  # fmt: skip
        return found

    async def query(self, fn: Callable[[SchoolView], T]) -> T:
        return await self.view.run(fn)

    # -- where a console's action goes -----------------------------------------------------------

    def device_for(self, room_id: str = "") -> DeviceConfig | None:
        """The device with a reader in `room_id`, else one at the gate (from each device's own health)."""

        def has(device: DeviceConfig, wanted: Callable[[dict[str, Any]], bool]) -> bool:
            return any(wanted(reader) for reader in self.statuses[device.id].readers())

        devices = self.config.devices
        if room_id:
            for device in devices:
                if has(device, lambda r: r.get("role") == "room" and r.get("room") == room_id):
                    return device
        return next((d for d in devices if has(d, lambda r: r.get("role") in GATE_ROLES)), None)
