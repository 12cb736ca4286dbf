"""Provides time re-basing: where an event recorded under an untrusted clock really happened.

A Pi has no real-time clock, so until NTP answers its wall time may be days off; every event also
carries the kernel's boot id and CLOCK_BOOTTIME (monotonic, counts suspend, never set). Within
one boot, wall time = boottime + a constant offset. An *anchor* is that offset for one boot:
- from the device's own trusted events of that boot (exact: the same clock, once synchronised);
- from a pull: the device stamps (boot id, boottime) as the page leaves, which happened between
  the server sending the request and reading the answer, so the midpoint is within half the
  round trip (`error_ns`). The smallest error wins; an event anchor beats any pull anchor.
Pure: no clock is read here, `now` is a parameter (STYLE 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# A synchronised Pi is within a second; one offline for a week drifts a few more. A stamp more than
# this ahead of the server's clock was made by a clock that was simply wrong (DESIGN §6, research §3).
FUTURE_TOLERANCE = timedelta(minutes=10)
# Boot ids that do not name one boot (the device could not read /proc): never anchored.
UNNAMED_BOOTS = frozenset({"", "unknown"})

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TRUSTED, REBASED, UNTRUSTED, FUTURE = "trusted", "rebased", "untrusted", "future"


@dataclass(frozen=True, slots=True)
class Anchor:
    """wall time (ns since the epoch, UTC) = boottime_ns + offset_ns, within error_ns."""

    offset_ns: int
    error_ns: int
    source: str  # event | pull

    def better_than(self, other: Anchor | None) -> bool:
        if other is None:
            return True
        if (self.source == "event") != (other.source == "event"):
            return self.source == "event"
        return self.error_ns < other.error_ns


def to_ns(at: datetime) -> int:
    """An aware datetime as integer nanoseconds since the epoch (no float rounding)."""
    delta = at - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def from_ns(ns: int, tz: ZoneInfo) -> datetime:
    seconds, rest = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, tz) + timedelta(microseconds=rest // 1000)


def anchor_from_event(at: datetime, boottime_ns: int) -> Anchor:
    return Anchor(to_ns(at) - boottime_ns, 0, "event")


def anchor_from_pull(sent_ns: int, received_ns: int, boottime_ns: int) -> Anchor:
    return Anchor((sent_ns + received_ns) // 2 - boottime_ns, (received_ns - sent_ns) // 2, "pull")


def rebase(boottime_ns: int, anchor: Anchor, tz: ZoneInfo) -> datetime:
    return from_ns(boottime_ns + anchor.offset_ns, tz)


class StampCheck:
    """Flags each stamp of a batch against one `now`: trusted, untrusted, or future (never trusted).

    Stamps arrive as ISO text in the device's zone; when it has the same UTC offset as `now`, the
    first 19 characters compare as text, which spares parsing a million stamps in a catch-up.
    """

    def __init__(self, now: datetime) -> None:
        limit = now + FUTURE_TOLERANCE
        self.limit = limit
        text = limit.isoformat()
        self.prefix, self.offset = text[:19], text[-6:]

    def is_future(self, at: str) -> bool:
        if len(at) >= 25 and at[-6:] == self.offset:
            return at[:19] > self.prefix
        try:
            stamp = datetime.fromisoformat(at)
        except ValueError:
            return True  # not a time at all: certainly not one to trust
        return stamp.tzinfo is None or stamp > self.limit

    def flag(self, at: str, trusted: bool) -> str:
        if self.is_future(at):
            return FUTURE
        return TRUSTED if trusted else UNTRUSTED
