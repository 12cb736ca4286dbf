"""Provides the live stream engine: a WebSocket with a snapshot, then every new event as it is committed.

The device (`edge.api.live`) and the school server (`sync.api.live`) each supply only a `LiveFeed`
(their queue, snapshot and log position); the protocol below is the same for both.

Messages (JSON text): `{"type": "snapshot", ...}` (today's sessions with counts, the alerts that
hold, recent events and `recent_views`, the log's head), then `{"type": "event", "event": {...},
"text": "...", "view": {...}}` for each event (alerts are events too), where `text` is the guard's
one-line description and `view` its parts (`edge.core.feed.view`: name, class, label, reason, shape)
for a console that lays them out itself.

Each event's message is built once per language and shared by every client (`Messages`), not
once per client. A slow or stuck client never delays a tap: the service drops events into each
client's bounded queue without waiting (`Subscribers`); a sender task per client drains it. When a queue
overflows the client is sent `{"type": "resnapshot"}` and a fresh snapshot, and carries on. A
client that takes longer than `live_send_timeout` to accept one message is disconnected.
Browsers cannot set headers on a WebSocket, so the token may come as `?token=` (guard, admin).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode, web

from edge.core.codec import event_to_json
from edge.core.feed import view
from edge.core.model import Event, School
from edge.web.errors import BadRequest, dumps
from edge.web.parse import query, query_choice

log = logging.getLogger("rollcall.api")


class Messages:
    """Each event's message text, made once and shared by every client that sends it.

    Building it (`event_to_json`, `view`, `dumps`) once a client made a 3,000-tap burst 6x slower
    with 20 live clients and 20x with 150. A text is kept for the event at that log position in
    that language as described with that roster: a client whose snapshot holds another roster (a
    dataset arrived between two snapshots) gets its own. Clients are at most a queue apart, so the
    newest `size` texts are enough; an older one is made again, the same.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.made = 0  # texts serialised (not found here)
        self._texts: OrderedDict[tuple[int, str], tuple[Event, School, str]] = OrderedDict()

    def event(self, position: int, event: Event, school: School, lang: str) -> str:
        key = (position, lang)
        found = self._texts.get(key)
        if found is not None and found[0] is event and found[1] is school:
            return found[2]
        parts = view(event, school, lang)
        text = dumps({"type": "event", "event": event_to_json(event), "text": parts["text"], "view": parts})
        self.made += 1
        self._texts[key] = (event, school, text)
        self._texts.move_to_end(key)
        while len(self._texts) > self.size:
            self._texts.popitem(last=False)
        return text


RESNAPSHOT = dumps({"type": "resnapshot"})


class LiveHub:
    """The connected clients, so shutdown can close them and /metrics can count them, and their shared texts."""

    def __init__(self) -> None:
        self.clients: set[web.WebSocketResponse] = set()
        self.resnapshots = 0
        self.messages = Messages()

    async def close_all(self) -> None:
        for ws in list(self.clients):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await ws.close(code=WSCloseCode.GOING_AWAY, message=b"the device is shutting down")


LIVE: web.AppKey[LiveHub] = web.AppKey("live")


@dataclass(frozen=True, slots=True)
class LiveFeed:
    """Where one live stream's snapshot and events come from: the device's service, or the school server.

    `subscribe` hands out a bounded queue (a `None` in it means "you fell behind"); `snapshot(lang)`
    gives the snapshot message, whose `head_seq` is the log position it holds, and the roster to
    describe later events with; `position(item)` reads a queued item as (log position, event).
    """

    subscribe: Callable[[], asyncio.Queue[Any]]
    unsubscribe: Callable[[asyncio.Queue[Any]], None]
    snapshot: Callable[[str], Awaitable[tuple[dict[str, Any], School]]]
    position: Callable[[Any], tuple[int, Event]]
    send_timeout: float
    audit: Callable[[web.Request, Mapping[str, Any]], Awaitable[None]]


async def serve_live(request: web.Request, feed: LiveFeed) -> web.StreamResponse:
    """The WebSocket: a snapshot, then every event after it, a fresh snapshot whenever the client fell behind."""
    # compress=False: deflating each message once per client would multiply a tap's cost by the
    # number of consoles; 64 KiB unsent is where a client counts as not reading (aiohttp drains there).
    ws = web.WebSocketResponse(compress=False, heartbeat=30.0, writer_limit=64 * 1024)
    if not ws.can_prepare(request).ok:
        raise BadRequest("this route is a WebSocket: connect with an Upgrade: websocket request",
                         code="websocket_required")  # fmt: skip
    lang = query_choice(query(request, ("token", "lang")), "lang", ("zh", "en"))
    await feed.audit(request, {"live": "connect"})
    await ws.prepare(request)
    hub = request.app[LIVE]
    hub.clients.add(ws)
    tasks = (
        asyncio.create_task(_receive(ws), name="live-receiver"),
        asyncio.create_task(_send_forever(request, ws, feed, lang), name="live-sender"),
    )
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.clients.discard(ws)
        for task in tasks:
            task.cancel()
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, Exception):
                log.error("live_client_failed remote=%s", request.remote, exc_info=result)
        await _close(request, ws)
    return ws


async def _receive(ws: web.WebSocketResponse) -> None:
    """Read until the client closes: the client has nothing to say, but reading answers its pings."""
    async for _ in ws:
        pass


async def _close(request: web.Request, ws: web.WebSocketResponse) -> None:
    if not ws.closed:
        with contextlib.suppress(TimeoutError, ConnectionError):
            async with asyncio.timeout(1.0):
                await ws.close()
    if not ws.closed and request.transport is not None:
        request.transport.abort()  # a client that does not read cannot take a close frame either


async def _send_forever(request: web.Request, ws: web.WebSocketResponse, feed: LiveFeed, lang: str) -> None:
    hub = request.app[LIVE]

    async def send(text: str) -> None:
        async with asyncio.timeout(feed.send_timeout):
            await ws.send_str(text)

    try:
        while True:
            queue = feed.subscribe()  # before the snapshot: miss nothing
            try:
                state, school = await feed.snapshot(lang)
                await send(dumps(state))
                while (item := await queue.get()) is not None:
                    position, event = feed.position(item)
                    if position > state["head_seq"]:  # older ones are in the snapshot
                        await send(hub.messages.event(position, event, school, lang))
                hub.resnapshots += 1
                await send(RESNAPSHOT)
            finally:
                feed.unsubscribe(queue)
    except (TimeoutError, ConnectionError) as error:
        log.warning("live_client_dropped remote=%s reason=%s", request.remote, type(error).__name__)
        if request.transport is not None:
            request.transport.abort()  # a client that does not read cannot take a close frame either

