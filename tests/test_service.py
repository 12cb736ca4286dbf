"""The service loop: repeat filter, feedback only after COMMIT, bounded live subscribers."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edge.core.codec import school_to_datasets
from edge.core.model import Event, EventKind, Outcome
from edge.device.boot import SimBoot
from edge.device.recorder import Recorder
from edge.device.service import EdgeService, RepeatFilter, Subscribers, kiosk_feedback
from hardware.clock import SimClock
from hardware.feedback import DEFAULT_PATTERNS, Pattern
from hardware.reads import CardRead
from tests.school import ANNA_CARD, READERS, SCHOOL

TZ = ZoneInfo("Asia/Shanghai")


def read(reader: str, uid: str, monotonic: float) -> CardRead:
    return CardRead(reader, uid, datetime(2026, 11, 30, 18, 0, tzinfo=TZ), monotonic)


def test_repeat_filter_is_per_card_and_reader_within_the_window() -> None:
    repeats = RepeatFilter(window=3.0)
    assert repeats.admit(read("gate-in", "A1", 100.0))
    assert not repeats.admit(read("gate-in", "A1", 102.9))  # still inside 3 s of the last sighting
    assert repeats.admit(read("room-r1", "A1", 103.0))  # another reader is another read
    assert repeats.admit(read("gate-in", "B2", 103.0))
    assert not repeats.admit(read("gate-in", "A1", 105.8))  # the window slides with each sighting
    assert repeats.admit(read("gate-in", "A1", 109.0))


async def test_a_slow_subscriber_is_told_to_resnapshot_and_dropped() -> None:
    hub = Subscribers(size=2)
    slow, fast = hub.subscribe(), hub.subscribe(size=10)
    for n in range(3):
        hub.publish(Event(f"e{n}", "tap", Outcome.ON_CAMPUS, datetime(2026, 11, 30, tzinfo=TZ), "d"))  # type: ignore[arg-type]
    assert fast.qsize() == 3
    items = [slow.get_nowait() for _ in range(slow.qsize())]
    assert items[-1] is None and len(hub) == 1


@pytest.fixture
async def service(tmp_path: Path):
    recorder = Recorder(tmp_path / "edge.sqlite3", "edge-1", TZ, READERS, SimBoot())
    await recorder.open()
    await recorder.install_datasets(school_to_datasets(SCHOOL), version=1)
    clock = SimClock(datetime(2026, 11, 30, 18, 0, tzinfo=TZ))
    yield EdgeService(recorder, clock, [], debounce_seconds=3.0), tmp_path / "edge.sqlite3"
    await recorder.close()


async def test_feedback_plays_only_after_the_event_is_committed(service: tuple[EdgeService, Path]) -> None:
    edge, database = service
    played: list[tuple[str, bool]] = []

    class CommittedCheck:
        def play(self, signal: str, pattern: Pattern) -> None:
            # Another connection sees only committed rows: the event must already be there.
            with sqlite3.connect(database) as other:
                count = other.execute("SELECT COUNT(*) FROM events WHERE outcome = 'on_campus'").fetchone()[0]
            played.append((signal, count == 1))

    edge.feedback.append(kiosk_feedback([CommittedCheck()], DEFAULT_PATTERNS))
    event = await edge.handle(read("gate-in", ANNA_CARD, 1.0))
    assert event is not None and event.outcome is Outcome.ON_CAMPUS
    assert played == [("ok", True)]
    assert await edge.handle(read("gate-in", ANNA_CARD, 1.5)) is None  # the card still on the reader
    denied = await edge.handle(read("gate-in", "DEADBEEF", 2.0))
    assert denied is not None and denied.outcome is Outcome.UNKNOWN_CARD
    assert played[-1][0] == "denied"


async def test_a_broken_feedback_sink_does_not_stop_check_in(service: tuple[EdgeService, Path]) -> None:
    edge, _ = service

    def broken(event: Event) -> None:
        raise OSError("buzzer unplugged")

    edge.feedback.append(broken)
    event = await edge.handle(read("gate-in", ANNA_CARD, 1.0))
    assert event is not None and event.seq == 1


async def test_each_tap_is_one_log_line_naming_reader_card_holder_and_outcome(
    service: tuple[EdgeService, Path], caplog: pytest.LogCaptureFixture
) -> None:
    edge, _ = service
    edge.feedback.append(kiosk_feedback([], DEFAULT_PATTERNS))
    caplog.set_level("INFO", logger="rollcall.edge")
    anna = await edge.handle(read("gate-in", ANNA_CARD, 1.0))
    stranger = await edge.handle(read("room-r1", "DEADBEEF", 2.0))
    assert anna is not None and stranger is not None
    lines = [r.getMessage() for r in caplog.records if r.name == "rollcall.edge" and r.getMessage().startswith("tap ")]
    assert lines == [
        f"tap seq=1 reader=gate-in card={ANNA_CARD} holder=s-anna outcome=on_campus reason={anna.reason or '-'} signal=ok",
        "tap seq=2 reader=room-r1 card=DEADBEEF holder=- outcome=unknown_card reason=card_not_registered signal=denied",
    ]


def test_an_urgent_alert_sounds_the_alarm_once_for_a_head_count_and_again_later() -> None:
    played: list[str] = []
    now = [100.0]

    class Buzzer:
        def play(self, signal: str, pattern: Pattern) -> None:
            played.append(signal)

    play = kiosk_feedback([Buzzer()], DEFAULT_PATTERNS, monotonic=lambda: now[0])

    def alert(kind: str, student: str) -> Event:
        return Event(f"u-{kind}-{student}", EventKind.ALERT, Outcome.ALERT, datetime(2026, 11, 30, 18, 25, tzinfo=TZ), "gate-1", reason=kind,
                     subject=student, actor="rollcall", data={"alert": kind, "key": f"{kind}:s:{student}"})  # fmt: skip

    for student in ("s-1", "s-2", "s-3"):  # the head count: three missing at once
        play(alert("missing", student))
    play(alert("report_unsigned", ""))  # not about a child: no alarm
    assert played == ["alarm"]
    now[0] += 31
    play(alert("not_in_room", "s-4"))
    assert played == ["alarm", "alarm"]
    silent = dict(DEFAULT_PATTERNS) | {"alarm": Pattern(0, 0, 0, "red")}  # [feedback.patterns] alarm = [0, 0, 0, "red"]
    kiosk_feedback([Buzzer()], silent)(alert("missing", "s-5"))
    assert played == ["alarm", "alarm"]
