"""Provides `Pusher`: the server's datasets, pushed down to one device until it holds the latest of each.

Each round asks the device what it has installed (`GET /api/v1/datasets`), records it, and PUTs
the whole latest snapshot of each dataset it lacks — stored bytes, with their version and hash —
in `datasets.PUSH_ORDER`. The device checks the hash and swaps the rows in one transaction or
not at all, and refuses a version that is not newer, so a cut connection, a truncated body or a
replayed old push can never leave it with a part of one or an older one. A device offline for
days simply gets the latest on the first round after it answers again. A device holding a
version the server did not make (a roster imported at the device) is given the server's data
again as a higher version: the server is the source of truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import datetime
from functools import partial
from typing import Any

import aiohttp
import orjson

from hardware.clock import Clock
from sync import datasets
from sync.backoff import Backoff
from sync.config import DeviceConfig, PullConfig
from sync.owner import Owner
from sync.puller import PULL_ERRORS, DeviceRefused, error_message
from sync.status import DeviceStatus
from sync.store import ServerStore

log = logging.getLogger("rollcall.sync")


class Pusher:
    def __init__(
        self,
        device: DeviceConfig,
        pull: PullConfig,
        every: float,
        session: aiohttp.ClientSession,
        writer: Owner[ServerStore],
        status: DeviceStatus,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self.device = device
        self.pull = pull
        self.every = every
        self.session = session
        self.writer = writer
        self.status = status
        self.clock = clock
        self.backoff = Backoff(pull.backoff_first, pull.backoff_most, rng or random.Random())
        self.wake = asyncio.Event()  # set when the server has a new version

    async def run(self) -> None:
        while True:
            self.wake.clear()
            try:
                behind = await self.push_once()
                self.backoff.reset()
                self.status.push_error = ""
                delay = self.pull.backoff_first if behind else self.every
            except PULL_ERRORS as error:
                self.status.push_error = f"{type(error).__name__}: {error}"[:300]
                log.info("push_failed device=%s error=%s", self.device.id, self.status.push_error)
                delay = self.backoff.next()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self.wake.wait()

    async def push_once(self) -> int:
        """One round; the number of datasets the device still lacks (0 when it holds every latest version)."""
        installed = await self._installed()
        now = self.clock.now()
        await self.writer.run(
            lambda store: datasets.record_installed(store.db, self.device.id, installed, now)
        )
        held = await self.writer.run(lambda store: datasets.latest(store.db))
        behind = 0
        for name in datasets.PUSH_ORDER:
            if name not in held:
                continue
            want, have = held[name], installed.get(name) or {}
            version, digest = have.get("version", 0), have.get("sha256", "")
            if version == want.version and digest == want.sha256:
                continue
            if version >= want.version:
                log.warning(
                    "dataset_superseded device=%s name=%s device_version=%s", self.device.id, name, version
                )
                want = await self.writer.run(partial(_supersede, name=name, above=version, now=now))
            body = await self.writer.run(partial(_push_body, name=want.name, version=want.version))
            if await self._put(name, body):
                done = {name: {"version": want.version, "sha256": want.sha256}}
                await self.writer.run(partial(_record, device=self.device.id, installed=done, now=now))
            else:
                behind += 1
        self.status.datasets_behind = behind
        return behind

    async def _installed(self) -> dict[str, dict[str, Any]]:
        async with self.session.get(
            f"{self.device.url}/api/v1/datasets", headers=self._headers(), timeout=self._timeout()
        ) as response:
            raw = await response.read()
            if response.status != 200:
                raise DeviceRefused(f"GET datasets: HTTP {response.status}: {error_message(raw)}")
        body = _json_object(raw)
        found = body.get("datasets")
        if not isinstance(found, dict):
            raise DeviceRefused("GET datasets: no `datasets` object in the answer")
        return {str(k): v for k, v in found.items() if isinstance(v, dict)}

    async def _put(self, name: str, body: bytes) -> bool:
        """True when the device installed it; False when it refused it as not newer (asked again next round)."""
        url = f"{self.device.url}/api/v1/datasets/{name}"
        headers = self._headers() | {"Content-Type": "application/json"}
        # No socket timeout bounds a write: a whole-request limit does, at no less than 50 KB/s.
        timeout = aiohttp.ClientTimeout(
            total=self.pull.timeout * 4 + len(body) / 50_000, sock_connect=self.pull.timeout
        )
        async with self.session.put(url, data=body, headers=headers, timeout=timeout) as response:
            raw = await response.read()
            if response.status == 200:
                return True
            if response.status == 409:
                return False
            raise DeviceRefused(f"PUT {name}: HTTP {response.status}: {error_message(raw)}")

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.device.token}"}

    def _timeout(self) -> aiohttp.ClientTimeout:
        # A roster of 5,000 students is ~3 MB: on a slow link its upload takes a while, but never stalls.
        return aiohttp.ClientTimeout(
            total=None, sock_connect=self.pull.timeout, sock_read=self.pull.timeout * 2
        )


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        found = orjson.loads(raw)  # its depth limit: a deep answer is a ValueError, not a RecursionError
    except ValueError as error:
        raise DeviceRefused(f"not JSON: {error}") from None
    if not isinstance(found, dict):
        raise DeviceRefused("not a JSON object")
    return found


def _supersede(store: ServerStore, name: str, above: int, now: datetime) -> datasets.Version:
    return datasets.supersede(store.db, name, above, now)


def _push_body(store: ServerStore, name: str, version: int) -> bytes:
    return datasets.push_body(store.db, name, version)


def _record(store: ServerStore, device: str, installed: dict[str, dict[str, Any]], now: datetime) -> None:
    datasets.record_installed(store.db, device, installed, now)
