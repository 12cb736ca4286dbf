"""Time: stamps from an untrusted clock are re-based on the server's, far-future stamps are flagged, never trusted."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from edge.core.codec import event_to_json
from edge.core.model import Event, EventKind, Outcome
from hardware.clock import SimClock
from sync.clock import (
    FUTURE,
    REBASED,
    TRUSTED,
    UNTRUSTED,
    Anchor,
    StampCheck,
    anchor_from_event,
    anchor_from_pull,
    rebase,
    to_ns,
)
from sync.page import Page
from sync.store import Batch, ServerStore
from sync.view import SchoolView
from tests.sync.conftest import EVENING, TZ, Edge, eventually, server_config, start_server, store_target

NOW = EVENING + timedelta(hours=1)


def test_a_stamp_more_than_ten_minutes_ahead_is_future_whatever_its_offset() -> None:
    check = StampCheck(NOW)
    assert check.flag((NOW + timedelta(minutes=9)).isoformat(), True) == TRUSTED
    assert check.flag((NOW + timedelta(minutes=11)).isoformat(), True) == FUTURE
    assert (
        check.flag((NOW + timedelta(minutes=11)).astimezone(UTC).isoformat(), True) == FUTURE
    )  # another offset
    assert check.flag("2098-01-01T00:00:00+08:00", False) == FUTURE
    assert check.flag(NOW.isoformat(), False) == UNTRUSTED
    assert check.flag("not a time", True) == FUTURE


def test_anchors_put_boottime_on_the_wall_and_prefer_the_devices_own_synchronised_clock() -> None:
    at = datetime(2026, 11, 30, 18, 0, 0, 123456, tzinfo=TZ)
    exact = anchor_from_event(at, boottime_ns=5_000_000_000)
    assert rebase(5_000_000_000, exact, TZ) == at
    assert rebase(6_500_000_000, exact, TZ) == at + timedelta(seconds=1.5)
    pulled = anchor_from_pull(
        sent_ns=to_ns(at), received_ns=to_ns(at) + 40_000_000, boottime_ns=5_000_000_000
    )
    assert pulled.error_ns == 20_000_000 and abs(rebase(5_000_000_000, pulled, TZ) - at) <= timedelta(
        milliseconds=20
    )
    assert exact.better_than(pulled) and not pulled.better_than(exact)
    assert Anchor(0, 5, "pull").better_than(Anchor(0, 9, "pull"))


def _event(
    seq: int, at: datetime, boottime_ns: int, trusted: bool, boot: str = "b1", **more: Any
) -> dict[str, Any]:
    event = Event(f"u{seq}", EventKind.TAP, Outcome.CHECKED_IN, at, "gate-1", reader_id="room-r301", subject="s0001",
                  boot_id=boot, boottime_ns=boottime_ns, clock_trusted=trusted, epoch="e1", seq=seq,
                  data={"session": "2026-11-30.evening.r301"}, **more)  # fmt: skip
    return event_to_json(event)


def _page(events: list[dict[str, Any]]) -> Page:
    return Page("e1", events[-1]["seq"], events[-1]["seq"], False, events)


@dataclass
class Stored:
    flag: str
    at: str
    rebased_at: str
    day: str


def _rows(store: ServerStore) -> dict[int, Stored]:
    rows = store.db.execute("SELECT seq, time_flag, at, rebased_at, day FROM events ORDER BY seq")
    return {seq: Stored(flag, at, rebased, day) for seq, flag, at, rebased, day in rows}


@pytest.mark.usefixtures("backend")
def test_untrusted_events_are_rebased_when_an_anchor_for_their_boot_arrives(tmp_path: Path) -> None:
    store = ServerStore.open(store_target(tmp_path), TZ)
    store.switch_epoch("gate-1", "e1", 0, NOW)
    wrong = datetime(2025, 1, 1, 8, 0, tzinfo=TZ)  # fake-hwclock's idea of now, right after boot
    taps = [_event(1, wrong, 60 * 10**9, False), _event(2, wrong + timedelta(seconds=30), 90 * 10**9, False)]
    store.ingest("gate-1", Batch(0, _page(taps)), NOW)
    assert {row.flag for row in _rows(store).values()} == {UNTRUSTED}
    # The device synchronised 10 minutes after boot; its trusted stamps anchor the boot exactly.
    synced = EVENING.replace(minute=5)  # 18:05
    ingested = store.ingest("gate-1", Batch(2, _page([_event(3, synced, 600 * 10**9, True)])), NOW)
    rows = _rows(store)
    assert rows[3].flag == TRUSTED and rows[1].flag == rows[2].flag == REBASED
    assert datetime.fromisoformat(rows[1].rebased_at) == synced - timedelta(seconds=540)  # 17:56, exactly
    assert datetime.fromisoformat(rows[2].rebased_at) == synced - timedelta(seconds=510)
    assert rows[1].day == "2026-11-30" and rows[1].at == wrong.isoformat()  # the stamp as sent is kept
    assert ingested.days == {"2025-01-01", "2026-11-30"}  # both days fold again
    # The view folds a re-based tap on the day and time it happened.
    view = SchoolView(store.path, TZ).open()
    state = view.day(EVENING.date()).projection.state
    assert state.attendance[("2026-11-30.evening.r301", "s0001")].present_at == rows[1].rebased_at
    assert not view.day(wrong.date()).projection.state.attendance
    view.close()
    store.close()


@pytest.mark.usefixtures("backend")
def test_a_far_future_stamp_is_flagged_and_kept_off_every_real_day(tmp_path: Path) -> None:
    store = ServerStore.open(store_target(tmp_path), TZ)
    store.switch_epoch("gate-1", "e1", 0, NOW)
    future = datetime(2098, 1, 1, tzinfo=TZ)  # a dead battery's year, claimed trusted by a confused clock
    ingested = store.ingest("gate-1", Batch(0, _page([_event(1, future, 5, True, boot="unknown")])), NOW)
    assert _rows(store)[1].flag == FUTURE and ingested.flags == {FUTURE: 1}
    assert store.unplaced() == {FUTURE: 1}
    view = SchoolView(store.path, TZ).open()
    assert not view.day(NOW.date()).projection.state.attendance
    view.close()
    store.close()


@dataclass
class WrongClockBoot:
    """A Pi without a real-time clock: its wall clock is wrong and untrusted; boot time is the machine's own."""

    boot_id: str = "pi-boot-1"

    def stamp(self) -> tuple[str, int]:
        return self.boot_id, time.clock_gettime_ns(time.CLOCK_BOOTTIME)

    def clock_trusted(self) -> bool:
        return False


@pytest.mark.usefixtures("backend")
async def test_a_device_with_a_wrong_clock_has_its_taps_rebased_within_a_second(tmp_path: Path) -> None:
    edge = await Edge(tmp_path / "edge").start(boot=WrongClockBoot())
    tapped = await edge.tap(3)  # the device says 18:20 on 2026-11-30; the real time is the server's
    server_clock = SimClock(EVENING + timedelta(days=3, hours=1))  # whatever the date this test runs on
    real = [server_clock.now()] * 3
    running = await start_server(server_config(tmp_path / "server", [("gate-1", edge.url)]), clock=server_clock)
    try:
        await eventually(lambda: len(running.held()) == 3)

        def placed() -> bool:
            return {row.flag for row in _rows_of(running.config.store).values()} == {REBASED}

        await eventually(placed, what="the three taps re-based")
        for event, when in zip(tapped, real, strict=True):
            row = _rows_of(running.config.store)[event.seq]
            assert row.at == event.at.isoformat()
            assert abs(datetime.fromisoformat(row.rebased_at) - when) < timedelta(seconds=1)
        _, health = await running.get("/api/v1/health")
        assert health["devices"][0]["clock"] == {"boot_id": "pi-boot-1", "trusted": False}
    finally:
        await running.client.close()
        await edge.stop()


def _rows_of(database: Path | str) -> dict[int, Stored]:
    store = ServerStore.open(database, TZ)
    try:
        return _rows(store)
    finally:
        store.close()
