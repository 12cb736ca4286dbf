"""Provides the change feed, `GET /api/v1/events`: the log in seq order, for the school server to pull.

Pages come from `FeedReads` (its own read-only connection: see there why). With `wait`, an empty
page is held until the service announces a new event (it subscribes before it reads, so an
event committed in between is not missed), the wait runs out, or the device shuts down; no
polling. A pull by the `server` role is also its acknowledgement: every event up to `after` is
on the server, and retention may purge those (`edge.device.privacy`). Each page carries the machine's
boot id and time since boot (`clock`), so the server can re-base untrusted stamps (`sync.clock`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Coroutine
from typing import Any

from aiohttp import web

from edge.api.feed_reads import FEED_READS
from edge.api.keys import OPTIONS, SERVICE
from edge.core.errors import StorageError
from edge.device.privacy import acknowledge
from edge.web.errors import error_response
from edge.web.keys import IDENTITY, STOPPING
from edge.web.parse import query, query_int, query_number
from edge.web.routing import INTEGER, SERVER, STRING, Param, Route, json_ok, obj, roles

MAX_AFTER = 2**63 - 1  # SQLite's largest integer
MAX_LIMIT = 5000  # the documented cap; the device may cap lower (`ApiOptions.feed_limit`)


async def events(request: web.Request) -> web.StreamResponse:
    app = request.app
    options, reads, service = app[OPTIONS], app[FEED_READS], app[SERVICE]
    params = query(request, ("epoch", "after", "limit", "wait"))
    after = query_int(params, "after", 0, 0, MAX_AFTER)
    limit = min(query_int(params, "limit", 1000, 1, MAX_LIMIT), options.feed_limit)
    wait = min(query_number(params, "wait", 0.0, 0.0, 30.0), options.max_wait)
    epoch = service.recorder.store.epoch
    if params.get("epoch", epoch) != epoch:
        return error_response(409, "epoch_mismatch", _epoch_message(params["epoch"], epoch), {"epoch": epoch})
    if request[IDENTITY].role == SERVER and after and "epoch" in params:
        # On a full disk the acknowledgement waits for a later pull (logged); the pull itself goes on.
        with contextlib.suppress(StorageError):
            await service.recorder.write(lambda store: acknowledge(store, after), f"the server's ack ({after})")
    queue = service.subscribers.subscribe() if wait > 0 else None
    try:
        page = await reads.page(after, limit)
        if queue is not None and not page.events:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await _first(queue.get(), app[STOPPING].wait())
            page = await reads.page(after, limit)
    finally:
        if queue is not None:
            service.subscribers.unsubscribe(queue)
    # The machine's boot id and time since boot as the page leaves: the server pairs them with its
    # own clock to re-base the stamps of events recorded while this clock was not trusted.
    boot_id, boottime_ns = service.recorder.boot.stamp()
    clock = {"boot_id": boot_id, "boottime_ns": boottime_ns, "trusted": service.recorder.boot.clock_trusted()}
    body = (
        f'{{"epoch":{json.dumps(epoch)},"head_seq":{page.head_seq},"next_after":{page.last_seq},'
        f'"has_more":{"true" if page.last_seq < page.head_seq else "false"},"clock":{json.dumps(clock)},'
        f'"events":[{",".join(page.events)}]}}'
    )
    response = web.Response(body=body.encode("utf-8"), content_type="application/json", charset="utf-8")
    response.enable_compression()  # gzip or deflate, only when the client's Accept-Encoding asks
    return response


def _epoch_message(asked: str, epoch: str) -> str:
    return f"epoch {asked!r} is not this database's ({epoch!r}): it was re-created; pull again from after=0"


async def _first(*waits: Coroutine[Any, Any, Any]) -> None:
    tasks = [asyncio.create_task(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


PAGE = obj(
    {
        "epoch": STRING,
        "head_seq": INTEGER,
        "next_after": INTEGER,
        "has_more": {"type": "boolean"},
        "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
    },
    {"clock": obj({"boot_id": STRING, "boottime_ns": INTEGER, "trusted": {"type": "boolean"}})},
)

ROUTES = (
    Route(
        "GET",
        "/api/v1/events",
        events,
        roles(SERVER),
        "The change feed: events in seq order after a cursor (gzip when asked)",
        params=(
            Param("epoch", "query", STRING, "the database's epoch the cursor belongs to; 409 when it differs"),
            Param("after", "query", {"type": "integer", "minimum": 0, "maximum": MAX_AFTER}, "last seq already held"),
            Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "events per page (1000)"),
            Param("wait", "query", {"type": "number", "minimum": 0, "maximum": 30},
                  "seconds to hold an empty page until an event arrives (long-poll)"),
        ),  # fmt: skip
        responses=json_ok("a page of events", PAGE)
        | {409: ("the epoch differs: the body's `epoch` is the current one", {})},
    ),
)
