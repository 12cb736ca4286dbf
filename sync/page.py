"""Provides a change-feed page as the server reads it, and the checks before any of it is stored.

Pure: bytes in, a `Page` or a `PageError` out; `problem(page, epoch, after)` says whether the
page may follow the cursor at all. A page that does not start at `after + 1`, or skips a seq,
is a gap (events the server will never get); a head behind the cursor means the device's log
was rolled back under the same epoch. Either stops that device's ingest (DESIGN §6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson


class PageError(ValueError):
    """An answer that is not a page of the change feed (truncated, or not what the device sends)."""


@dataclass(frozen=True, slots=True)
class DeviceClock:
    """What the device said about its machine as the page left: boot id, time since boot, trust."""

    boot_id: str
    boottime_ns: int
    trusted: bool


@dataclass(frozen=True, slots=True)
class Page:
    epoch: str
    head_seq: int
    next_after: int
    has_more: bool
    events: list[dict[str, Any]]
    clock: DeviceClock | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # gap | behind
    message: str
    first_seq: int = 0  # for a gap: the first seq the device still has after the cursor


def _typed(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PageError(f"{name}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def parse_page(raw: bytes) -> Page:
    try:
        body = orjson.loads(raw)  # half json.loads' time on a page of taps
    except orjson.JSONDecodeError as error:
        raise PageError(f"not JSON ({len(raw)} bytes): {error}") from None
    if not isinstance(body, dict):
        raise PageError("not a JSON object")
    events = _typed(body, "events", list)
    for event in events:
        if not isinstance(event, dict) or not isinstance(event.get("seq"), int):
            raise PageError("events: each must be an object with an integer seq")
    clock = None
    if isinstance(raw_clock := body.get("clock"), dict):
        clock = DeviceClock(_typed(raw_clock, "boot_id", str), _typed(raw_clock, "boottime_ns", int),
                            _typed(raw_clock, "trusted", bool))  # fmt: skip
    return Page(
        epoch=_typed(body, "epoch", str),
        head_seq=_typed(body, "head_seq", int),
        next_after=_typed(body, "next_after", int),
        has_more=_typed(body, "has_more", bool),
        events=events,
        clock=clock,
    )


_EVENTS = b',"events":['


def parse_envelope(raw: bytes) -> Page:
    """The page without its events: what the puller needs to ask for the next page at once.

    The device writes the envelope first and the events last (`edge.api.feed`), so the envelope
    is the text before `"events":[`; parsing only that is a few microseconds, against milliseconds
    for a page of a thousand events, which `parse_page` then does on the store's thread. A body
    of another layout is parsed whole.
    """
    cut = raw.find(_EVENTS)
    if cut < 0:
        return parse_page(raw)
    try:
        return parse_page(raw[:cut] + b',"events":[]}')
    except PageError:
        return parse_page(raw)


def problem(page: Page, after: int) -> Problem | None:
    """Why this page, of the cursor's epoch, may not follow `after`; None when it may."""
    if page.head_seq < after:
        return Problem(
            "behind",
            f"the device's log ends at seq {page.head_seq}, before the {after} events the server holds "
            "from this epoch: it was restored or rolled back; re-create its database (a new epoch)",
        )
    expected = after + 1
    for event in page.events:
        if event["seq"] != expected:
            first = event["seq"]
            return Problem(
                "gap",
                f"the device sent seq {first} where {expected} was due: events {expected}..{first - 1} "
                "are not on the device any more",
                first_seq=first,
            )
        if event.get("epoch") != page.epoch:
            raise PageError(f"seq {expected}: epoch {event.get('epoch')!r} in a page of epoch {page.epoch!r}")
        expected += 1
    if page.next_after != expected - 1:
        raise PageError(f"next_after is {page.next_after}, the page ends at {expected - 1}")
    if not page.events and page.has_more:
        raise PageError("an empty page that says it has more")
    return None
