"""Provides `DeviceStatus`: what the server knows of one device right now (in memory; health and /metrics read it)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync.page import DeviceClock

# A device's disk in these states (its health's `disk.state`) is an alert at the server: low is the
# warning days ahead, full and error mean its taps are being refused right now.
STORAGE_ALERTING = ("low", "full", "error")


def storage_detail(disk: dict[str, Any]) -> str:
    """The alert's one line about a device's disk, as the school's messages say it (in Chinese)."""
    free = f"剩余 {int(disk.get('free_bytes', 0)) // (1024 * 1024)} MB"
    if disk.get("state") == "low":
        return f"存储空间不足,{free}"
    refused = f",已拒绝记录 {disk['refused']} 次" if disk.get("refused") else ""
    return f"存储已满,刷卡无法记录{refused},{free}" if disk.get("state") == "full" else f"存储写入失败{refused}"


@dataclass
class DeviceStatus:
    device: str
    state: str = "starting"  # starting | pulling | caught_up | unreachable | stopped
    epoch: str = ""
    after: int = 0  # the last seq of the current stream on the server's disk
    head_seq: int = 0  # the device's last seq, as of the last answer
    last_contact: datetime | None = None  # server time of the device's last answer
    caught_up_at: datetime | None = None  # the last time the server held everything the device had
    last_error: str = ""
    errors: Counter[str] = field(default_factory=Counter)  # by kind, since the process started
    stored: int = 0  # events stored since the process started
    flags: Counter[str] = field(default_factory=Counter)  # time flags of the events stored
    clock: DeviceClock | None = None
    health: dict[str, Any] = field(default_factory=dict)  # the device's own /health, read now and then
    datasets_behind: int = -1  # datasets not yet at the server's version; -1 until first checked
    push_error: str = ""

    # Ages are measured on the monotonic clock: a drill's simulated clock may jump, a device's silence may not.
    contact_monotonic: float | None = None
    caught_up_monotonic: float | None = None
    started_monotonic: float = field(default_factory=time.monotonic)

    @property
    def lag_events(self) -> int:
        return max(0, self.head_seq - self.after)

    def lag_seconds(self) -> float:
        """Seconds since the server last held all of the device's log; 0 while it does.

        An unreachable device counts as behind: the server cannot know it recorded nothing since.
        Never caught up since the server started: counted from the start.
        """
        if self.state == "caught_up" and self.lag_events == 0:
            return 0.0
        return time.monotonic() - (self.caught_up_monotonic or self.started_monotonic)

    def offline(self, after_seconds: float) -> bool:
        last = self.contact_monotonic
        return time.monotonic() - (last if last is not None else self.started_monotonic) > after_seconds

    def contact(self, now: datetime) -> None:
        self.last_contact, self.contact_monotonic = now, time.monotonic()

    def caught_up(self, now: datetime) -> None:
        self.state, self.caught_up_at, self.caught_up_monotonic = "caught_up", now, time.monotonic()

    def readers(self) -> list[dict[str, Any]]:
        found = self.health.get("readers")
        return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []

    def failed(self, kind: str, message: str) -> None:
        self.errors[kind] += 1
        self.last_error = f"{kind}: {message}"[:300]
        if self.state != "stopped":
            self.state = "unreachable"
