"""Provides `Puller`: one device's change feed, pulled into the server's store until the process ends.

Per device: a cursor `(epoch, after)` read from the store, pages of `batch` events, gzip, a
long-poll (`wait`) once caught up, and on any failure an exponential backoff with jitter — then
the cursor is read again, so whatever was or was not stored, the next pull asks for exactly what
is missing. While catching up, the next page is fetched while this one is written; such a
prefetch leaves out the epoch, so the device does not take it as an acknowledgement of a page
not yet on disk (its `after` would be). Every `ACK_EVERY` seconds a pull waits for the write and
sends the epoch: the device may then purge what the server holds.

Faults and what happens:
- connection refused, reset, truncated body, stall: the error is counted, the page (if any) was
  not stored, backoff, pull again from the cursor;
- 409 or a page of another epoch: a re-imaged device; the store starts its new stream at 0;
- a gap or a log behind the cursor: ingest stops and an alarm is raised until an admin resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import aiohttp
import orjson

from hardware.clock import Clock
from sync.backoff import Backoff
from sync.clock import Anchor, anchor_from_pull, to_ns
from sync.config import DeviceConfig, PullConfig
from sync.db import Unavailable
from sync.owner import Owner
from sync.page import Page, PageError, Problem, parse_envelope, parse_page, problem
from sync.status import DeviceStatus
from sync.store import Batch, CursorMoved, Divergent, Ingested, ServerStore

log = logging.getLogger("rollcall.sync")

ACK_EVERY = 10.0  # s: during a long catch-up, let the device know this often what it may purge
RESUME_CHECK = 5.0  # s between looks at a stopped device's flag (an admin's resume, from any process)


class EpochChanged(Exception):  # noqa: N818 (a signal, not an error)
    def __init__(self, epoch: str) -> None:
        super().__init__(epoch)
        self.epoch = epoch


class DeviceRefused(Exception):
    """An answer other than the page: a wrong token (401/403), a bad request, a bug on the device."""


@dataclass(frozen=True, slots=True)
class Fetched:
    raw: bytes
    envelope: (
        Page  # the page without its events (`parse_envelope`); the whole is parsed on the store's thread
    )
    anchor: Anchor | None


@dataclass(frozen=True, slots=True)
class Taken:
    page: Page
    problem: Problem | None = None
    ingested: Ingested | None = None


def take(
    store: ServerStore, device: str, after: int, raw: bytes, anchor: Anchor | None, now: datetime
) -> Taken:
    """On the store's thread: parse the page, check it follows the cursor, store it.

    Parsing here rather than on the event loop keeps one thread busy with the page instead of two
    taking turns at the interpreter lock: a thousand events' JSON is a few milliseconds of it.
    """
    page = parse_page(raw)
    if found := problem(page, after):
        return Taken(page, found)
    return Taken(page, None, store.ingest(device, Batch(after, page, anchor), now))


# What a failed pull may raise; anything else is a bug and ends the server (it is logged).
# Unavailable: the store's PostgreSQL unreachable; the page was not stored, the cursor did not move, so the
# pull is retried from it with backoff like any other failed pull (nothing acknowledged is lost).
PULL_ERRORS = (aiohttp.ClientError, TimeoutError, PageError, DeviceRefused, CursorMoved, Unavailable,
               json.JSONDecodeError)  # fmt: skip


class Puller:
    def __init__(
        self,
        device: DeviceConfig,
        pull: PullConfig,
        session: aiohttp.ClientSession,
        writer: Owner[ServerStore],
        status: DeviceStatus,
        clock: Clock,
        on_ingest: Callable[[str, Ingested], None],
        rng: random.Random | None = None,
    ) -> None:
        self.device = device
        self.pull = pull
        self.session = session
        self.writer = writer
        self.status = status
        self.clock = clock
        self.on_ingest = on_ingest
        self.backoff = Backoff(pull.backoff_first, pull.backoff_most, rng or random.Random())
        self.resumed = asyncio.Event()

    async def run(self) -> None:
        while True:
            try:
                # Read inside the try: a store that is unreachable here (PostgreSQL still down after a
                # failed pull) is one more failed pull, not the end of the puller's task.
                cursor = await self.writer.run(lambda store: store.cursor(self.device.id))
                if cursor is not None and cursor.stopped:
                    self.status.state, self.status.epoch, self.status.after = (
                        "stopped",
                        cursor.epoch,
                        cursor.after,
                    )
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(RESUME_CHECK):
                            await self.resumed.wait()
                    self.resumed.clear()
                    continue
                if cursor is not None:  # what the store holds, before any answer (health after a restart)
                    self.status.epoch, self.status.after = cursor.epoch, cursor.after
                await self._pull(cursor.epoch if cursor else None, cursor.after if cursor else 0)
            except Divergent as error:
                await self._stop(Problem("divergent", str(error)), self.status.epoch, self.status.after)
            except PULL_ERRORS as error:
                self.status.failed(type(error).__name__, str(error) or repr(error))
                log.info("pull_failed device=%s error=%s", self.device.id, self.status.last_error)
                await asyncio.sleep(self.backoff.next())

    async def _pull(self, epoch: str | None, after: int) -> None:
        """Pull until an error (raised) or a stop (returns)."""
        if epoch is None:  # first contact: the first page names the device's epoch
            first = await self._fetch(None, 0, 0.0)
            epoch, after = await self._switch(first.envelope.epoch, first.envelope.head_seq)
        caught_up, acked_at = False, float("-inf")
        prefetch: asyncio.Task[Fetched] | None = None
        try:
            while True:
                ack = caught_up or time.monotonic() - acked_at >= ACK_EVERY
                try:
                    if prefetch is not None:
                        fetched, prefetch = await prefetch, None
                    else:
                        fetched = await self._fetch(
                            epoch if ack else None, after, self.pull.wait if caught_up else 0.0
                        )
                        acked_at = time.monotonic() if ack else acked_at
                except EpochChanged as changed:
                    epoch, after = await self._switch(changed.epoch, 0)
                    caught_up = False
                    continue
                envelope = fetched.envelope
                if envelope.epoch != epoch:  # a pull without the epoch met a re-created database
                    epoch, after = await self._switch(envelope.epoch, envelope.head_seq)
                    caught_up = False
                    continue
                if envelope.has_more and time.monotonic() - acked_at < ACK_EVERY:
                    prefetch = asyncio.create_task(
                        self._fetch(None, envelope.next_after, 0.0), name=f"prefetch:{self.device.id}"
                    )
                taken = await self.writer.run(partial(take, device=self.device.id, after=after, raw=fetched.raw,
                                                      anchor=fetched.anchor, now=self.clock.now()))  # fmt: skip
                if taken.problem is not None:
                    await self._stop(taken.problem, epoch, after)
                    return
                self.backoff.reset()
                page, ingested = taken.page, taken.ingested or Ingested(0, 0, 0)
                after, caught_up = page.next_after, not page.has_more
                self._stored(page, ingested, caught_up)
        finally:
            if prefetch is not None:
                prefetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, *PULL_ERRORS, EpochChanged):
                    await prefetch

    async def _switch(self, epoch: str, head_seq: int) -> tuple[str, int]:
        if self.status.epoch and self.status.epoch != epoch:
            log.warning("new_epoch device=%s old=%s new=%s", self.device.id, self.status.epoch, epoch)
        cursor = await self.writer.run(
            lambda store: store.switch_epoch(self.device.id, epoch, head_seq, self.clock.now())
        )
        self.status.epoch, self.status.after, self.status.head_seq = (
            cursor.epoch,
            cursor.after,
            cursor.head_seq,
        )
        return cursor.epoch, cursor.after

    async def _stop(self, found: Problem, epoch: str, after: int) -> None:
        log.error("ingest_stopped device=%s kind=%s: %s", self.device.id, found.kind, found.message)
        await self.writer.run(lambda store: store.stop(self.device.id, epoch, after, found, self.clock.now()))
        self.status.state, self.status.last_error = "stopped", f"{found.kind}: {found.message}"

    def _stored(self, page: Page, ingested: Ingested, caught_up: bool) -> None:
        status, now = self.status, self.clock.now()
        status.epoch, status.after, status.head_seq = page.epoch, page.next_after, page.head_seq
        status.contact(now)
        status.stored += ingested.stored
        status.flags.update(ingested.flags)
        status.clock = page.clock or status.clock
        if caught_up and page.next_after >= page.head_seq:
            status.caught_up(now)
        else:
            status.state = "pulling"
        self.on_ingest(self.device.id, ingested)

    async def _fetch(self, epoch: str | None, after: int, wait: float) -> Fetched:
        params: dict[str, str] = {"after": str(after), "limit": str(self.pull.batch)}
        if epoch is not None:
            params["epoch"] = epoch  # and so the device takes `after` as acknowledged
        if wait > 0:
            params["wait"] = f"{wait:g}"
        headers = {
            "Authorization": f"Bearer {self.device.token}",
            "Accept-Encoding": "gzip" if self.pull.gzip else "identity",
        }
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self.pull.timeout, sock_read=wait + self.pull.timeout
        )
        # The round trip is timed on the server's one clock, the same one that judges a stamp "future":
        # an anchor from another clock would re-base a device onto a time the server calls wrong.
        sent = to_ns(self.clock.now())
        async with self.session.get(
            f"{self.device.url}/api/v1/events", params=params, headers=headers, timeout=timeout
        ) as response:
            raw = await response.read()
            received = to_ns(self.clock.now())
            status = response.status
        if status == 409:
            # orjson, as for pages: its depth limit refuses what would be a RecursionError in json, and
            # an answer is not trusted (a JSONDecodeError is a failed pull; a RecursionError ended the server).
            current = answer.get("epoch") if isinstance(answer := orjson.loads(raw), dict) else None
            if isinstance(current, str) and current:
                raise EpochChanged(current)
        if status != 200:
            raise DeviceRefused(f"HTTP {status}: {error_message(raw)}")
        envelope = parse_envelope(raw)
        self.status.contact(self.clock.now())
        anchor = anchor_from_pull(sent, received, envelope.clock.boottime_ns) if envelope.clock else None
        return Fetched(raw, envelope, anchor)

    async def read_health(self) -> None:
        """The device's own health (its readers, for forwarding actions; disk; datasets), kept in the status."""
        headers = {"Authorization": f"Bearer {self.device.token}"}
        timeout = aiohttp.ClientTimeout(total=self.pull.timeout * 2)
        async with self.session.get(
            f"{self.device.url}/api/v1/health", headers=headers, timeout=timeout
        ) as response:
            if response.status == 200:
                body = await response.json(loads=orjson.loads)
                if isinstance(body, dict):
                    self.status.health = body

    async def health_forever(self) -> None:
        while True:
            with contextlib.suppress(*PULL_ERRORS):
                await self.read_health()
            await asyncio.sleep(self.pull.health_every)


def error_message(raw: bytes) -> str:
    """The message of a device's error answer (or the start of whatever it sent)."""
    try:
        return str(orjson.loads(raw)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return raw[:200].decode("utf-8", "replace")
