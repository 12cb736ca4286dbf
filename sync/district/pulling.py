"""Provides the district's pulls of its schools on SQLite on an interval, and what the last pull of each said.

`sync.district.pull` pulls one school once; here every school with a `url` is pulled, at most
`AT_ONCE` at a time, every `pull_every` seconds, for as long as `rollcall district serve` runs. A
school that cannot be reached is logged and named on the pages; it is tried again at the next
round, from the latest day the district holds, so a week offline is caught up in one round.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import aiohttp
import psycopg

from hardware.clock import Clock
from sync.district.config import DistrictConfig, SchoolConfig
from sync.district.pull import PullError, SchoolSource, pull

log = logging.getLogger("rollcall.district")

AT_ONCE = 8  # schools pulled at the same time: 100 schools of a day's rows take a few rounds of seconds
FIRST_DAYS = 31  # without `first_day`, a new school's rows are pulled from a month back


@dataclass(frozen=True, slots=True)
class Pulled:
    at: datetime
    stored: int = 0
    error: str = ""


class PullStatus:
    """The last pull of each school, for the pages (in memory: a restart pulls again at once)."""

    def __init__(self) -> None:
        self.last: dict[str, Pulled] = {}


def first_day(config: DistrictConfig, today: date) -> date:
    return config.first_day or today - timedelta(days=FIRST_DAYS)


async def pull_school(
    http: aiohttp.ClientSession,
    config: DistrictConfig,
    school: SchoolConfig,
    status: PullStatus,
    clock: Clock,
) -> Pulled:
    source = SchoolSource(school.id, school.url, school.token)
    try:
        stored = await pull(http, source, config.store_url, first_day(config, clock.now().date()))
    except (PullError, psycopg.Error) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        log.warning("district_pull_failed school=%s error=%s", school.id, message)
        result = Pulled(clock.now(), error=message)
    else:
        log.info("district_pulled school=%s rows=%d", school.id, stored)
        result = Pulled(clock.now(), stored=stored)
    status.last[school.id] = result
    return result


async def pull_all(
    http: aiohttp.ClientSession, config: DistrictConfig, status: PullStatus, clock: Clock
) -> dict[str, Pulled]:
    """Every school on SQLite once; what each pull said, by school."""
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(school: SchoolConfig) -> Pulled:
        async with gate:
            return await pull_school(http, config, school, status, clock)

    schools = [s for s in config.schools if s.pulled]
    results = await asyncio.gather(*(one(s) for s in schools))
    return {s.id: r for s, r in zip(schools, results, strict=True)}


def session(config: DistrictConfig) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=config.pull_timeout))


async def pull_forever(config: DistrictConfig, status: PullStatus, clock: Clock) -> None:
    async with session(config) as http:
        while True:
            await pull_all(http, config, status, clock)
            await asyncio.sleep(config.pull_every)
