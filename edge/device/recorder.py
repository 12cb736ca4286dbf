"""Provides `Recorder`, the device's one writer: decide, append durably, update the projection.

Every decision runs on the writer's own thread, right before its event is appended, so it sees
every earlier event and two taps can never both be "the first check-in". The async side awaits
the result; nothing returns before COMMIT did.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from edge.core.cards import CardIndex
from edge.core.model import Event, EventKind, Outcome, Reader, School
from edge.core.plan import DayPlan, plan_day
from edge.core.projection import Projection
from edge.core.report import alerts
from edge.core.rules import Context, Decision, decide_tap
from edge.device.boot import Boot
from edge.device.privacy import purge
from edge.device.store import Store
from hardware.reads import CardRead
from hardware.uid import Rendering

T = TypeVar("T")

_KIND_OF_DECISION = {
    Outcome.FOUND: EventKind.FOUND,
    Outcome.EXCUSED: EventKind.EXCUSE,
    Outcome.CALLED: EventKind.CALL,
    Outcome.CARD_ASSIGNED: EventKind.ASSIGN_CARD,
    Outcome.CORRECTED: EventKind.CORRECT,
}


@dataclass(frozen=True, slots=True)
class View:
    """A consistent read of the device's state, handed to queries on the writer's thread."""

    school: School
    projection: Projection
    store: Store
    tz: ZoneInfo
    plan: Callable[[date], DayPlan]
    cards: CardIndex  # the enrolled cards, to find one by any rendering of its number


class Recorder:
    def __init__(
        self,
        path: Path,
        device_id: str,
        tz: ZoneInfo,
        readers: Mapping[str, Reader],
        boot: Boot,
        renderings: Mapping[str, Rendering] | None = None,
    ):
        self.path = path
        self.renderings = dict(renderings or {})  # reader id -> what it prints, for lossy readers
        self.device_id = device_id
        self.tz = tz
        self.readers = dict(readers)
        self.boot = boot
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rollcall-writer")
        self._store: Store | None = None
        self._projection = Projection()
        self._school = School()
        self._plans: dict[date, DayPlan] = {}
        self._cards = CardIndex(())

    # -- lifecycle ----------------------------------------------------------------------------

    async def open(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        self._store = Store.open(self.path)
        self._projection = self._store.load_projection()
        self._school = self._store.load_school()
        self._cards = CardIndex(self._school.cards)

    async def close(self) -> None:
        if self._store is not None:
            await self._run(self._store.close)
        self._thread.shutdown(wait=True)

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the recorder is not open")
        return self._store

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    # -- writes -------------------------------------------------------------------------------

    async def record_read(self, read: CardRead) -> Event:
        return await self._run(lambda: self._record_read(read))

    def _record_read(self, read: CardRead) -> Event:
        uid, problem = self._cards.resolve(read.uid, self.renderings.get(read.reader_id))

        def decide(ctx: Context) -> Decision:
            if problem:
                return Decision(Outcome.UNKNOWN_CARD, problem)
            return decide_tap(uid, self.readers.get(read.reader_id), ctx)

        return self._decide_and_append(decide, read.at, read.reader_id, uid, "")

    async def record_reader_state(self, reader_id: str, up: bool, detail: str, now: datetime) -> Event:
        """A reader came up or went down: an event like any other, so it is seen and synced."""
        outcome = Outcome.READER_UP if up else Outcome.READER_DOWN
        decision = Decision(outcome, outcome.value, data={"detail": detail} if detail else {})
        return await self._run(
            lambda: self._append(decision, EventKind.READER, now, reader_id, "", "rollcall")
        )

    async def act(self, decide: Callable[[Context], Decision], now: datetime, actor: str) -> Event:
        """Record a manual action; `decide` may raise `ActionError`, and then nothing is written."""
        return await self._run(lambda: self._decide_and_append(decide, now, "", "", actor))

    async def raise_alerts(self, now: datetime) -> list[Event]:
        """Append an alert event for each alert that holds now and was not raised before."""
        return await self._run(lambda: self._raise_alerts(now))

    def _raise_alerts(self, now: datetime) -> list[Event]:
        raised = []
        for alert in alerts(self._school, self._plan(now.date()), self._projection.state, now):
            if alert.key not in self._projection.state.alerts:
                data = {"key": alert.key, "alert": alert.kind.value, "session": alert.session_id}
                decision = Decision(Outcome.ALERT, alert.kind.value, alert.student_id, data)
                raised.append(self._append(decision, EventKind.ALERT, now, alert.reader_id, "", "rollcall"))
        return raised

    def _decide_and_append(
        self, decide: Callable[[Context], Decision], now: datetime, reader_id: str, uid: str, actor: str
    ) -> Event:
        ctx = Context(self._school, self._plan(now.date()), self._projection.state, now)
        decision = decide(ctx)
        if reader_id:
            kind = EventKind.TAP
        elif decision.outcome is Outcome.REPORT_SIGNED:
            kind = EventKind.SIGN
        elif decision.outcome is Outcome.PICKED_UP or decision.outcome is Outcome.UNAUTHORISED_PICKUP:
            kind = EventKind.RELEASE
        else:
            kind = _KIND_OF_DECISION.get(decision.outcome, EventKind.CHECK_IN)
        uid = uid or str(decision.data.get("uid", ""))
        return self._append(decision, kind, now, reader_id, uid, actor)

    def _append(
        self, decision: Decision, kind: EventKind, now: datetime, reader_id: str, uid: str, actor: str
    ) -> Event:
        boot_id, boottime_ns = self.boot.stamp()
        event = Event(
            uuid=uuid.uuid4().hex,
            kind=kind,
            outcome=decision.outcome,
            at=now,
            device_id=self.device_id,
            reason=decision.reason,
            reader_id=reader_id,
            card_uid=uid,
            subject=decision.subject,
            actor=actor,
            data=decision.data,
            boot_id=boot_id,
            boottime_ns=boottime_ns,
            clock_trusted=self.boot.clock_trusted(),
        )
        try:
            return self.store.append(event, self._projection)
        except BaseException:
            # The projection may already hold the event that failed to commit: reload the truth.
            self._projection = self.store.load_projection()
            raise

    async def install_datasets(
        self, datasets: dict[str, Any], version: int, expected_sha256: Mapping[str, str] | None = None
    ) -> None:
        """Swap datasets in (see `Store.install_datasets`); on any error the last good ones stay active."""

        def install() -> None:
            self.store.install_datasets(datasets, version, expected_sha256)
            self._school = self.store.load_school()
            self._cards = CardIndex(self._school.cards)
            self._plans.clear()

        await self._run(install)

    async def write(self, fn: Callable[[Store], T]) -> T:
        """Run a small write of another kind (an audit row, the server's acknowledgement) between taps."""
        return await self._run(lambda: fn(self.store))

    async def purge(self, before: str) -> dict[str, int]:
        """Purge what retention allows (`edge.device.privacy.purge`) and drop the purged rows from memory too."""

        def purge_and_reload() -> dict[str, int]:
            counts = purge(self.store, before)
            if counts["projection"]:
                self._projection = self.store.load_projection()
            return counts

        return await self._run(purge_and_reload)

    # -- reads --------------------------------------------------------------------------------

    async def query(self, fn: Callable[[View], T]) -> T:
        """Run `fn` on the writer's thread, where state never changes under it."""
        return await self._run(
            lambda: fn(View(self._school, self._projection, self.store, self.tz, self._plan, self._cards))
        )

    def _plan(self, day: date) -> DayPlan:
        if day not in self._plans:
            if len(self._plans) > 7:  # a device runs for a term; keep only recent days' indexes
                self._plans.clear()
            self._plans[day] = plan_day(self._school, day, self.tz)
        return self._plans[day]

    async def rebuild(self) -> None:
        def rebuild() -> None:
            self._projection = self.store.rebuild()

        await self._run(rebuild)
