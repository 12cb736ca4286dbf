"""Provides the clocks readers and the service read time from: the system's and a settable one."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Wall time (aware, in the school's zone) and monotonic seconds, injectable for tests and drills."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def monotonic(self) -> float:
        return time.monotonic()


class SimClock:
    """A clock that moves only when told: the demo, drills and tests drive it.

    Its monotonic time is the simulated seconds since it was made, and it never goes back,
    even when the wall time is set backwards (as a real monotonic clock would not).
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SimClock needs a timezone-aware start")
        self._now = start
        self._monotonic = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("SimClock.set needs a timezone-aware time")
        step = (when - self._now).total_seconds()
        self._monotonic += max(step, 0.0)
        self._now = when

    def advance(self, seconds: float) -> None:
        self.set(self._now + timedelta(seconds=seconds))
