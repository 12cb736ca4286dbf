"""Provides the district's pull from a school on SQLite: `GET /api/v1/upward` into the district's PostgreSQL.

What replication does for a PostgreSQL school, over the school server's HTTP API: the district asks
each school for its rows from the latest date it already holds (that day again, as it may have
changed since: a child found late, a report signed after the deadline), page by page, and upserts
them. The cursor is the district's own table, so a school offline for a week is caught up at the
first pull after it is back, and a pull that fails half-way loses nothing: the pages already stored
stay, the next pull starts from them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp
import psycopg

from sync.district import replication
from sync.district.upward import UPWARD_VERSION, UpwardRow, from_dict

PAGES_A_PULL = 60  # 60 pages of 31 days: five years of a school's rows, then stop and say so


class PullError(RuntimeError):
    """A school whose rows could not be pulled: unreachable, refused, or answering what we cannot take."""


@dataclass(frozen=True, slots=True)
class SchoolSource:
    code: str  # as the school server answers it (its server.id)
    url: str  # the school server's base URL
    token: str  # a server-role token of that school


def latest(dsn: str, code: str) -> date | None:
    with psycopg.connect(dsn) as conn:
        found = conn.execute("SELECT max(date) FROM upward WHERE school = %s", (code,)).fetchone()
    return found[0] if found else None


def store(dsn: str, rows: list[UpwardRow]) -> None:
    with psycopg.connect(dsn) as conn:
        replication.upsert(conn, rows)


async def _page(http: aiohttp.ClientSession, school: SchoolSource, since: date) -> dict[str, Any]:
    url = f"{school.url.rstrip('/')}/api/v1/upward"
    try:
        async with http.get(url, params={"since": since.isoformat()},
                            headers={"Authorization": f"Bearer {school.token}"}) as response:  # fmt: skip
            if response.status != 200:
                text = (await response.text())[:200]
                raise PullError(f"school {school.code} at {url}: HTTP {response.status}: {text}")
            body = await response.json()
    except (aiohttp.ClientError, TimeoutError) as e:
        raise PullError(f"school {school.code} at {url}: unreachable ({type(e).__name__}: {e})") from e
    except ValueError as e:
        raise PullError(f"school {school.code} at {url}: not JSON ({e})") from e
    if not isinstance(body, dict) or body.get("version") != UPWARD_VERSION:
        version = body.get("version") if isinstance(body, dict) else None
        raise PullError(
            f"school {school.code} at {url}: upward version {version!r}, this district reads {UPWARD_VERSION}"
        )
    if body.get("school") != school.code:
        raise PullError(f"school {school.code} at {url}: answers as school {body.get('school')!r}")
    return body


async def pull(http: aiohttp.ClientSession, school: SchoolSource, dsn: str, first: date) -> int:
    """Pull a school's rows since the latest day the district holds (or `first`); the rows stored."""
    held = await asyncio.to_thread(latest, dsn, school.code)
    since = max(held, first) if held else first
    stored = 0
    for _ in range(PAGES_A_PULL):
        body = await _page(http, school, since)
        try:
            rows = [from_dict(row) for row in body.get("rows", [])]
        except (TypeError, KeyError) as e:
            raise PullError(f"school {school.code}: a row the district cannot read ({e})") from e
        if any(row.school != school.code for row in rows):
            raise PullError(f"school {school.code}: sent another school's rows")
        await asyncio.to_thread(store, dsn, rows)
        stored += len(rows)
        if not body.get("next"):
            return stored
        since = date.fromisoformat(str(body["next"]))
    raise PullError(f"school {school.code}: more than {PAGES_A_PULL} pages in one pull; pull again")
