"""Provides what each event records about the machine's time: boot id, time since boot, clock trust.

A Pi has no real-time clock: until NTP synchronises, its wall time may be days off. Each event
carries the kernel's boot id and CLOCK_BOOTTIME so the server can re-base such stamps later.

The clock is trusted when systemd-timesyncd has synchronised it during this boot (its flag file
lives in /run, so it is gone after a reboot), or when the kernel says an NTP daemon keeps it
synchronised (chrony or ntpd do not touch timesyncd's file). The kernel's word alone never
*withdraws* trust: its maximum error grows 500 ppm while no update arrives and reaches "unsynchronised"
(16 s) after about 9 hours without network, while a Pi's crystal drifts about a second in that time;
systemd-time-wait-sync calls the kernel flag "not reliable" for the same reason.
"""

from __future__ import annotations

import ctypes
import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# systemd-timesyncd touches this file once the clock is synchronised (systemd >= 249).
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
# The kernel's "maximum error" at which it calls the clock unsynchronised (NTP_PHASE_LIMIT, in µs);
# systemd's ntp_synced() tests this rather than STA_UNSYNC since v250 (commit bca5a0eacc).
UNSYNCED_MAXERROR_US = 16_000_000


class _Timex(ctypes.Structure):
    """`struct timex` as the exported `adjtimex` symbol takes it (long-sized fields on 32- and 64-bit Linux)."""

    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time_sec", ctypes.c_long),
        ("time_usec", ctypes.c_long),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("_reserved", ctypes.c_int * 32),  # glibc reserves 11 ints; more room costs nothing
    ]


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def kernel_clock_synced() -> bool | None:
    """Whether the kernel calls the wall clock NTP-synchronised (adjtimex, read only); None when it cannot be asked.

    `modes = 0` only reads, needs no privilege and changes nothing. A sandbox that filters the
    call (seccomp with EPERM), a libc without it or any other failure gives None, never an error.
    """
    try:
        adjtimex = _libc().adjtimex
        timex = _Timex()  # zeroed: modes = 0
        if adjtimex(ctypes.byref(timex)) < 0:
            return None
    except (OSError, AttributeError):
        return None
    return bool(timex.maxerror < UNSYNCED_MAXERROR_US)


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
        return TIMESYNC_FLAG.exists() or kernel_clock_synced() is True


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
