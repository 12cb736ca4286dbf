"""Provides `FeedReads`: the change feed's own read-only SQLite connection, on its own thread.

Why not read through the recorder (the writer's thread)? A feed page of 5,000 events takes tens
of milliseconds to read; queued on the writer's thread it would hold up every tap behind it.
A second connection opened read-only (`mode=ro`) on its own thread reads beside the writer: in
WAL mode a reader sees the database as of its read transaction's start, made only of committed
transactions, so it can never see part of one, and it never blocks the writer nor waits for it.
One page and the head it reports are read in one transaction, so they agree. The writer assigns
seqs in commit order (one writer, AUTOINCREMENT), so a committed seq is never followed later by a
smaller one: `after` is a safe cursor.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from edge.core.codec import EVENT_JSON_SQL

T = TypeVar("T")

_PAGE = f"SELECT seq, {EVENT_JSON_SQL} FROM events WHERE seq > ? ORDER BY seq LIMIT ?"  # noqa: S608 (a constant)


@dataclass(frozen=True, slots=True)
class Page:
    events: list[str]  # each event's JSON text, as `codec.event_to_json` shapes it
    last_seq: int  # the last event's seq, or `after` for an empty page
    head_seq: int


class FeedReads:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rollcall-feed")
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout=5000")

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(self._conn.close)
        self._thread.shutdown(wait=True)

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the feed's connection is not open")
        return self._conn

    async def page(self, after: int, limit: int) -> Page:
        return await self._run(lambda: self._page(after, limit))

    def _page(self, after: int, limit: int) -> Page:
        conn = self.conn
        conn.execute("BEGIN")
        try:
            rows = conn.execute(_PAGE, (after, limit)).fetchall()
            head = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        finally:
            conn.execute("COMMIT")
        return Page([text for _, text in rows], rows[-1][0] if rows else after, int(head))

    async def head_seq(self) -> int:
        def head() -> int:
            return int(self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])

        return await self._run(head)


FEED_READS = web.AppKey("feed_reads", FeedReads)
