"""Provides `follow_live`: read the device's live stream forever, reconnecting by itself, into an `Inbox`.

The stream sends a snapshot, then one message per event, and a fresh snapshot whenever this
console fell behind. Snapshots and events go into the inbox in the order they came; the app is
told once (`EventsWaiting`) and takes everything that arrived meanwhile in one go, so a burst is
folded and drawn once rather than a hundred times. When the connection fails the console says
so (`Disconnected`) and tries again, waiting a little longer each time, up to `MAX_RETRY`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
from textual.message import Message

from tui.client import ApiError, EdgeClient, Unreachable
from tui.messages import Connected, Disconnected, EventsWaiting
from tui.rows import FeedLine, Snapshot, feed_line_from_json, snapshot_from_json

log = logging.getLogger("rollcall.tui")

FIRST_RETRY = 0.5  # s
MAX_RETRY = 5.0  # s: a guard should see "online" again within seconds of the device coming back
INBOX_LIMIT = 2000  # items; beyond this the oldest events are dropped (the board's feed keeps 200 anyway)

Item = Snapshot | FeedLine


class Inbox:
    """News from the stream not yet folded into the board; the stream appends, the app takes all at once."""

    def __init__(self, limit: int = INBOX_LIMIT) -> None:
        self._items: list[Item] = []
        self._limit = limit
        self._told = False

    def put(self, item: Item) -> bool:
        """Add `item`; True when the app has to be told (it was not told since it last took)."""
        self._items.append(item)
        if len(self._items) > self._limit:
            del self._items[: len(self._items) - self._limit]
        told, self._told = self._told, True
        return not told

    def take(self) -> list[Item]:
        items, self._items, self._told = self._items, [], False
        return items


def parse(raw: Any, lang: str) -> Item | None:
    """One stream message as an inbox item; `resnapshot` (a snapshot follows) and unknown types are None."""
    if not isinstance(raw, dict):
        return None
    if raw.get("type") == "snapshot":
        return snapshot_from_json(raw, lang)
    if raw.get("type") == "event" and isinstance(raw.get("event"), dict):
        view = raw.get("view")
        return feed_line_from_json(raw["event"], view if isinstance(view, dict) else None, lang)
    return None


async def follow_live(
    client: EdgeClient,
    inbox: Inbox,
    post: Callable[[Message], object],
    now: Callable[[], datetime],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Run until cancelled: connect, pour the stream into `inbox`, and on any failure say so and retry."""
    delay = FIRST_RETRY
    while True:
        problem = ""
        try:
            async with client.live() as ws:
                delay = FIRST_RETRY
                post(Connected())
                async for message in ws:
                    if message.type is not aiohttp.WSMsgType.TEXT:
                        continue
                    item = parse(json.loads(message.data), client.lang)
                    if item is not None and inbox.put(item):
                        post(EventsWaiting())
        except ApiError as error:
            problem = "token" if error.status in (401, 403) else f"HTTP {error.status}"
        except (Unreachable, aiohttp.ClientError, OSError, TimeoutError) as error:
            log.info("live stream unreachable: %s", error)
        except ValueError as error:  # a message that is not JSON: the server is not a Rollcall device
            problem = f"bad message: {error}"
        post(Disconnected(now(), problem))
        await sleep(delay)
        delay = min(delay * 2, MAX_RETRY)
