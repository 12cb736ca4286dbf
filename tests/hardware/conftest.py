"""Provides the hardware tests' fixtures and helpers: a pty pair standing in for a serial cable, a clock."""

from __future__ import annotations

import asyncio
import os
import tty
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hardware.clock import SimClock
from hardware.reads import CardRead

WAIT = 2.0  # s: how long a test waits for something that should happen at once; never slept


async def next_read(reads: AsyncIterator[CardRead]) -> CardRead:
    return await asyncio.wait_for(anext(reads), WAIT)


@dataclass
class Pty:
    """The far end of a fake serial cable: the test writes `master`, the reader opens `port`."""

    master: int
    port: str

    def send(self, data: bytes) -> None:
        os.write(self.master, data)


@pytest.fixture
def pty() -> Iterator[Pty]:
    master, slave = os.openpty()
    tty.setraw(slave)
    # The slave stays open for the whole test, so the master never sees EIO between opens.
    yield Pty(master, os.ttyname(slave))
    os.close(master)
    os.close(slave)


@pytest.fixture
def clock() -> SimClock:
    return SimClock(datetime(2026, 9, 1, 16, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
