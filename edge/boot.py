"""Provides what each event records about the machine's time: boot id, time since boot, clock trust.

A Pi has no real-time clock: until NTP synchronises, its wall time may be days off. Each event
carries the kernel's boot id and CLOCK_BOOTTIME so the server can re-base such stamps later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# systemd-timesyncd touches this file once the clock is synchronised (systemd >= 249).
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


class Boot(Protocol):
    def stamp(self) -> tuple[str, int]: ...

    def clock_trusted(self) -> bool: ...


class BootInfo:
    """The real machine's boot id, time since boot and whether the wall clock is trusted."""

    def __init__(self) -> None:
        try:
            self.boot_id = BOOT_ID.read_text().strip()
        except OSError:
            self.boot_id = "unknown"

    def stamp(self) -> tuple[str, int]:
        return self.boot_id, time.clock_gettime_ns(time.CLOCK_BOOTTIME)

    def clock_trusted(self) -> bool:
        return TIMESYNC_FLAG.exists()


@dataclass
class SimBoot:
    """A simulated machine for the demo, drills and tests: a fixed boot id, a trusted clock."""

    boot_id: str = "sim"
    trusted: bool = True
    _ticks: int = 0

    def stamp(self) -> tuple[str, int]:
        self._ticks += 1
        return self.boot_id, self._ticks

    def clock_trusted(self) -> bool:
        return self.trusted
