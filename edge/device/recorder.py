"""Provides `Recorder`, the device's one writer: decide, append durably, update the projection.

Every decision runs on the writer's own thread, right before its event is appended, so it sees
every earlier event and two taps can never both be "the first check-in". The async side awaits
the result; nothing returns before COMMIT did.

A write the disk refuses (full, or an I/O error: `edge.device.storage`) never stops the device.
A tap, a reader's change or an alert that cannot be stored comes back as an event with seq 0 (a
tap's outcome is then `not_recorded`), for the feedback and the live stream; a manual action raises
`StorageFull`/`StorageError` (the API answers 507/503). The refusal itself is announced at once as
an alert (`notify`), and once writes go through again it is recorded, with how many were refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from edge.core.cards import CardIndex
from edge.core.duty import escalation
from edge.core.errors import StorageError, StoreError
from edge.core.model import Event, EventKind, Outcome, Reader, School
from edge.core.plan import DayPlan, plan_day
from edge.core.projection import Projection
from edge.core.report import AlertKind, alerts
from edge.core.rules import Context, Decision, decide_tap
from edge.device.boot import Boot
from edge.device.privacy import purge
from edge.device.storage import Storage, StoragePolicy
from edge.device.store import Store, describe_write, storing
from hardware.reads import CardRead
from hardware.uid import Rendering

T = TypeVar("T")

log = logging.getLogger("rollcall.recorder")

# What a refused write leaves undone, in the catalogue's words (`reason.<this>`).
NOT_STORED = {"full": "storage_full", "error": "storage_error"}

_KIND_OF_DECISION = {
    Outcome.FOUND: EventKind.FOUND,
    Outcome.EXCUSED: EventKind.EXCUSE,
    Outcome.CALLED: EventKind.CALL,
    Outcome.CARD_ASSIGNED: EventKind.ASSIGN_CARD,
    Outcome.CARD_DISMISSED: EventKind.DISMISS_CARD,
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
        storage: StoragePolicy | None = None,
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
        self.storage = Storage(path.parent, storage)
        # Told of events that are not the answer to a call (the disk's refusal and recovery); set by
        # the service. Called on the event loop, never on the writer's thread.
        self.notify: Callable[[Event], None] = lambda event: None
        # The time of a write that is not an event (an audit row, a purge) when the disk refuses it;
        # the service sets its own clock, so a simulated day stays on its simulated date.
        self.now: Callable[[], datetime] = lambda: datetime.now(tz)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unrecorded_alerts: set[str] = set()  # alerts announced unrecorded, once each
        self._refusal_announced = False

    # -- lifecycle ----------------------------------------------------------------------------

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._run(self._open)

    def _open(self) -> None:
        try:
            self._store = Store.open(self.path)
        except StorageError as error:
            # Started on a full disk: give up the reserve so the database opens, and refuse writes
            # until the space is back. Health, the log and the live stream are served meanwhile.
            self.storage.failed(error, self.now())
            if not self.storage.release_reserve():
                raise StoreError(
                    f"{self.path}: cannot open the database ({error.detail}) and the data folder holds no "
                    f"reserve to give up; free some space in {self.path.parent}"
                ) from None
            self._store = Store.open(self.path)
        if not self.storage.refusing and not self.storage.make_reserve():
            log.warning("reserve_missing folder=%s: a restart on a full disk would fail", self.path.parent)
        self._projection = self._store.load_projection()
        self._school = self._store.load_school()
        self._cards = CardIndex(self._school.cards)

    def _notice(self, event: Event) -> None:
        """Announce an event from the writer's thread on the event loop (the service's `notify`)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.notify, event)

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
        # While the disk is still full, alerts are not tried one by one (that would log a line per alert per tick).
        refused = None if self.storage.may_try() else self.storage.refusal("alerts")
        for alert in alerts(self._school, self._plan(now.date()), self._projection.state, now):
            if alert.key not in self._projection.state.alerts:
                data: dict[str, Any] = {"key": alert.key, "alert": alert.kind.value, "session": alert.session_id}
                if alert.kind is AlertKind.REPORT_UNSIGNED:  # escalates to that day's duty leaders by name
                    data |= escalation(self._school.rota, now.date())
                decision = Decision(Outcome.ALERT, alert.kind.value, alert.student_id, data)
                if refused is None:
                    event = self._append(decision, EventKind.ALERT, now, alert.reader_id, "", "rollcall")
                elif alert.key in self._unrecorded_alerts:
                    continue
                else:
                    event = _unrecorded(self._event(decision, EventKind.ALERT, now, alert.reader_id, "", "rollcall"),
                                        refused, self.storage.state.value)  # fmt: skip
                if not event.seq and alert.key not in self._unrecorded_alerts:
                    if refused is not None:
                        self.storage.count_refused()
                    log.warning("alert_not_recorded key=%s (told to the live stream; tried again once space is back)",
                                alert.key)  # fmt: skip
                # An alert the disk refused is told once and tried again at each tick.
                if event.seq or alert.key not in self._unrecorded_alerts:
                    raised.append(event)
                if not event.seq:
                    self._unrecorded_alerts.add(alert.key)
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
        event = self._event(decision, kind, now, reader_id, uid, actor)
        what = describe_write(event)
        try:
            return self._write(what, now, lambda: self._append_event(event))
        except StorageError as error:
            if kind is EventKind.TAP or kind is EventKind.READER or kind is EventKind.ALERT:
                return _unrecorded(event, error, self.storage.state.value)
            raise

    def _event(
        self, decision: Decision, kind: EventKind, now: datetime, reader_id: str, uid: str, actor: str
    ) -> Event:
        boot_id, boottime_ns = self.boot.stamp()
        return Event(
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

    def _append_event(self, event: Event) -> Event:
        try:
            return self.store.append(event, self._projection)
        except BaseException:
            # The projection may already hold the event that failed to commit: reload the truth.
            self._projection = self.store.load_projection()
            raise

    def _write(self, what: str, now: datetime | None, fn: Callable[[], T]) -> T:
        """Every write goes through here: not tried while the disk is still full, its refusal noted and announced."""
        storage, now = self.storage, now or self.now()
        if not storage.may_try():
            error = storage.refuse(what)
            log.warning(
                "write_refused what=%s state=%s refused=%d", what, storage.state.value, storage.refused
            )
            self._announce_refusal(error, now)
            raise error
        try:
            with storing(what, self.path.parent):
                result = fn()
        except StorageError as error:
            storage.failed(error, now)
            self._announce_refusal(error, now)
            raise
        if storage.refusing:
            self._recovered(now)
        return result

    def _announce_refusal(self, error: StorageError, now: datetime) -> None:
        if not self._refusal_announced:  # once a refusal (also one that began before the device started)
            self._refusal_announced = True
            self._notice(self._storage_alert(error, now))

    def _storage_alert(self, error: StorageError, now: datetime) -> Event:
        """The alert that writes are refused from now: announced, not stored (the disk would not take it)."""
        reason = f"storage_{self.storage.state.value}"
        data = {
            "key": f"{reason}:{now.isoformat()}",
            "alert": reason,
            "what": error.what,
            "detail": error.detail,
        }
        boot_id, boottime_ns = self.boot.stamp()
        return Event(uuid.uuid4().hex, EventKind.ALERT, Outcome.ALERT, now, self.device_id, reason=reason,
                     actor="rollcall", data=data, boot_id=boot_id, boottime_ns=boottime_ns,
                     clock_trusted=self.boot.clock_trusted())  # fmt: skip

    def _recovered(self, now: datetime) -> None:
        """Writes go through again: record the refusal as an alert (so the server learns of it) and announce it."""
        summary = self.storage.recovered()
        self._unrecorded_alerts.clear()
        self._refusal_announced = False
        reason = f"storage_{summary['state']}"
        data = {
            "key": f"{reason}:{summary['since'] or now.isoformat()}",
            "alert": reason,
            "until": now.isoformat(),
        }
        decision = Decision(Outcome.ALERT, reason, "", data | summary)
        event = self._append(decision, EventKind.ALERT, now, "", "", "rollcall")
        if event.seq:
            self._notice(event)

    async def probe_storage(self, now: datetime) -> list[Event]:
        """The periodic look at the disk: a low-space alert when free space falls below the threshold, and
        while refusing, a trial write once the space is back (recording resumes without waiting for a tap)."""
        return await self._run(lambda: self._probe_storage(now))

    def _probe_storage(self, now: datetime) -> list[Event]:
        storage = self.storage
        if storage.refusing:
            if storage.may_try():
                with contextlib.suppress(StorageError):  # still refused: logged, tried again next time
                    self._write(
                        "the storage probe",
                        now,
                        lambda: self.store.set_meta("storage_probe", now.isoformat()),
                    )
            return []
        if not storage.check_low(now):
            return []
        free = storage.usage()[0]
        data = {"key": f"storage_low:{now.isoformat()}", "alert": "storage_low", "free_bytes": free,
                "threshold_bytes": storage.policy.low_free_bytes}  # fmt: skip
        return [
            self._append(
                Decision(Outcome.ALERT, "storage_low", "", data), EventKind.ALERT, now, "", "", "rollcall"
            )
        ]

    async def install_datasets(
        self, datasets: dict[str, Any], version: int, expected_sha256: Mapping[str, str] | None = None
    ) -> None:
        """Swap datasets in (see `Store.install_datasets`); on any error the last good ones stay active."""

        def install() -> None:
            what = f"datasets version {version}"
            self._write(what, None, lambda: self.store.install_datasets(datasets, version, expected_sha256))
            self._school = self.store.load_school()
            self._cards = CardIndex(self._school.cards)
            self._plans.clear()

        await self._run(install)

    async def write(self, fn: Callable[[Store], T], what: str = "a write") -> T:
        """Run a small write of another kind (an audit row, the server's acknowledgement) between taps.

        A full disk raises `StorageFull` (an I/O failure `StorageError`), naming `what`."""
        return await self._run(lambda: self._write(what, None, lambda: fn(self.store)))

    async def purge(self, before: str) -> dict[str, int]:
        """Purge what retention allows (`edge.device.privacy.purge`) and drop the purged rows from memory too."""

        def purge_and_reload() -> dict[str, int]:
            counts = self._write("the retention purge", None, lambda: purge(self.store, before))
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
            self._projection = self._write("the projection's rebuild", None, self.store.rebuild)

        await self._run(rebuild)


def _unrecorded(event: Event, error: StorageError, state: str) -> Event:
    """The event that could not be stored, as the feedback and the live stream are told of it: seq 0.

    A tap's outcome becomes `not_recorded` (the reader plays the fault pattern; the child sees the
    guard); `intended` keeps what the rules decided. A reader's change or an alert keeps its outcome.
    """
    data = dict(event.data) | {"not_recorded": NOT_STORED.get(state, "storage_error"), "detail": error.detail}
    if event.kind is EventKind.TAP:
        return replace(event, outcome=Outcome.NOT_RECORDED, reason=NOT_STORED.get(state, "storage_error"),
                       data=data | {"intended": event.outcome.value})  # fmt: skip
    return replace(event, data=data)
