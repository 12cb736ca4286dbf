"""Provides the benchmark of the school server's store on PostgreSQL (`python -m tests.bench_pgstore [--quick]`).

As root: it starts a real PostgreSQL cluster (tests/district/pg.py) with the server's DEFAULT
durability — fsync and synchronous_commit on, as a school's server runs it (unlike tests/pgstore.py,
whose cluster turns them off) — in a temporary folder on the machine's disk. `wal_level` is
`logical`, as a school that replicates upward to its district has it.

One figure, N taps (100,000; 20,000 with --quick) of 2,000 students (gate-in, room check-in,
gate-out, each with its `data` {"session": ...}, a trusted clock so nothing is re-based) in pages
of 1,000 (the puller's default batch), each page `ServerStore.ingest` (its cursor check, the
INSERT … ON CONFLICT DO NOTHING, the cursor's UPDATE: one transaction) on a fresh migrated
database, beside three references measured in the same run on the same cluster, each into a fresh
database migrated by `ServerStore.open` (the server's own events table: its unique key and
indexes), one transaction a page, of the same rows already built:
- a bare `COPY events FROM STDIN` (psycopg 3 `cursor.copy`), the fastest way in;
- a bare `INSERT … ON CONFLICT DO NOTHING` executemany, a statement a row (pipelined by psycopg);
- a bare multi-row `INSERT … ON CONFLICT DO NOTHING`, `sync.db.ROWS_A_STATEMENT` (20) rows a
  statement, those pipelined: what the store sends (sync/db.py), without the cursor and the rest.
Ratios are of events/s (ours / reference). For context, the same ingest into the store on SQLite
(WAL, synchronous=FULL) on the same disk. Each is run 3 times, alternating, on fresh databases; the
fastest run counts (the machine is shared: the slower runs are the ones others disturbed).

`--profile` also prints where one ingest into PostgreSQL spends its time: each kind of database call
added up (the events' executemany, the cursor's SELECT and UPDATE, COMMIT; the rest is building the
rows in Python), then cProfile's top entries of another run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import psycopg

from edge.core.codec import event_to_json
from edge.core.model import Event, EventKind, Outcome
from sync.db import ROWS_A_STATEMENT, Database, Params, Rows
from sync.page import Page
from sync.store import Batch, ServerStore
from tests.district import pg

TZ = ZoneInfo("Asia/Shanghai")
DEVICE, EPOCH, PAGE, STUDENTS, ROUNDS = "gate-1", "e1", 1000, 2000, 3
START = datetime(2026, 11, 2, 17, 50, tzinfo=TZ)
# (reader, outcome, minutes after 17:50): a day's three taps of each student
TAPS = (
    ("gate-in", Outcome.ON_CAMPUS, 0),
    ("room-r301", Outcome.CHECKED_IN, 10),
    ("gate-out", Outcome.WALKED_HOME, 100),
)
COLUMNS = ("device", "epoch", "seq", "uuid", "device_id", "reader_id", "kind", "card_uid", "subject", "outcome",
           "reason", "at", "boot_id", "boottime_ns", "clock_trusted", "actor", "data", "day", "time_flag",
           "received_at")  # fmt: skip
COPY = f"COPY events ({', '.join(COLUMNS)}) FROM STDIN"
INSERT = (
    f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "  # noqa: S608
    "ON CONFLICT DO NOTHING"
)
Pages = list[list[tuple[Any, ...]]]


def taps(count: int) -> list[dict[str, Any]]:
    """`count` events as the change feed carries them: each day 2,000 students x 3 taps, one boot a day."""
    events = []
    per_day = STUDENTS * len(TAPS)
    for n in range(count):
        day, rest = divmod(n, per_day)
        tap, student = divmod(rest, STUDENTS)
        reader, outcome, minutes = TAPS[tap]
        at = START + timedelta(days=day, minutes=minutes, seconds=student % 600)
        booted = START.replace(hour=6, minute=0) + timedelta(days=day)
        event = Event(f"{n:08d}-bench-tap", EventKind.TAP, outcome, at, DEVICE, reader_id=reader,
                      card_uid=f"{student:08X}", subject=f"s{student:04d}",
                      data={"session": f"{at.date().isoformat()}.evening.r301"}, boot_id=f"boot-{day}",
                      boottime_ns=int((at - booted).total_seconds()) * 10**9, clock_trusted=True, epoch=EPOCH,
                      seq=n + 1)  # fmt: skip
        events.append(event_to_json(event))
    return events


def pages(events: list[dict[str, Any]]) -> list[Page]:
    head = len(events)
    return [
        Page(EPOCH, head, chunk[-1]["seq"], chunk[-1]["seq"] < head, chunk)
        for chunk in (events[i : i + PAGE] for i in range(0, head, PAGE))
    ]


def as_rows(feed: list[Page], received: str) -> Pages:
    """The rows the store inserts for these pages (a trusted clock: flag `trusted`, day from `at`)."""
    return [
        [(DEVICE, EPOCH, e["seq"], e["uuid"], e["device_id"], e["reader_id"], e["kind"], e["card_uid"],
          e["subject"], e["outcome"], e["reason"], e["at"], e["boot_id"], e["boottime_ns"],
          int(e["clock_trusted"]), e["actor"], orjson.dumps(e["data"], option=orjson.OPT_SORT_KEYS).decode(),
          e["at"][:10], "trusted", received)
         for e in page.events]
        for page in feed
    ]  # fmt: skip


class Timed(Database):
    """A store's database, each call's time added up by what it is: the events' INSERT, the cursor, COMMIT."""

    def __init__(self) -> None:
        self.spent: defaultdict[str, float] = defaultdict(float)
        self.db: Database

    @property
    def dialect(self) -> str:  # type: ignore[override]
        return self.db.dialect

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.db.label

    def execute(self, sql: str, params: Params = ()) -> Rows:
        started = time.perf_counter()
        try:
            return self.db.execute(sql, params)
        finally:
            self.spent[" ".join(sql.split()[:3])] += time.perf_counter() - started

    def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        started = time.perf_counter()
        try:
            return self.db.executemany(sql, rows)
        finally:
            self.spent["executemany " + " ".join(sql.split()[:3])] += time.perf_counter() - started

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.db.atomic():
            yield
            started = time.perf_counter()  # the block is done: what follows is its COMMIT
        self.spent["COMMIT"] += time.perf_counter() - started

    def close(self) -> None:
        self.db.close()

    def total(self) -> float:
        return sum(self.spent.values())


# -- the runs: each returns its seconds -------------------------------------------------------------


def ingest(target: Path | str, feed: list[Page], now: datetime, profile: cProfile.Profile | None = None,
           timed: Timed | None = None) -> float:  # fmt: skip
    """`ServerStore.ingest` of every page, as the puller calls it; checks each page was stored whole.

    With `timed`, the store's database calls go through it (the time of each part).
    """
    store = ServerStore.open(target, TZ)
    if timed is not None:
        timed.db = store.db
        store = ServerStore(timed, target, TZ)
    store.switch_epoch(DEVICE, EPOCH, feed[-1].head_seq, now)
    after = 0
    if profile:
        profile.enable()
    started = time.perf_counter()
    for page in feed:
        done = store.ingest(DEVICE, Batch(after, page), now)
        if done.stored != len(page.events) or set(done.flags) != {"trusted"}:
            raise RuntimeError(f"page after {after}: stored {done.stored}, flags {done.flags}")
        after = page.next_after
    elapsed = time.perf_counter() - started
    if profile:
        profile.disable()
    cursor = store.cursor(DEVICE)
    store.close()
    if cursor is None or cursor.after != feed[-1].next_after:
        raise RuntimeError(f"the cursor is at {cursor}, not {feed[-1].next_after}")
    return elapsed


def bare_copy(url: str, rows: Pages) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for page in rows:
            with conn.transaction(), conn.cursor() as cursor, cursor.copy(COPY) as copy:
                for row in page:
                    copy.write_row(row)
        return time.perf_counter() - started


def bare_insert(url: str, rows: Pages) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for page in rows:
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(INSERT, page)
        return time.perf_counter() - started


def bare_multi_row(url: str, rows: Pages) -> float:
    """`ROWS_A_STATEMENT` rows an INSERT, those statements pipelined: what the store sends, without the rest."""
    values = f"({', '.join(['%s'] * len(COLUMNS))})"
    insert = INSERT.replace(values, ", ".join([values] * ROWS_A_STATEMENT))
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for page in rows:
            chunks = [[v for row in page[i : i + ROWS_A_STATEMENT] for v in row]
                      for i in range(0, len(page), ROWS_A_STATEMENT)]  # fmt: skip
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(insert, chunks)
        return time.perf_counter() - started


def held(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT {', '.join(COLUMNS[:-1])} FROM events ORDER BY seq").fetchall()  # noqa: S608


# -- the figure -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_pgstore", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 taps (default 100,000)")
    parser.add_argument("--profile", action="store_true", help="also cProfile one ingest into PostgreSQL")
    args = parser.parse_args()
    reason = pg.missing()
    if reason:
        print(f"bench_pgstore skipped: {reason}", file=sys.stderr)
        return
    count = 20_000 if args.quick else 100_000

    def row(figure: str, ours: str, reference: str, ratio: str) -> None:
        print(f"  {figure}: {ours}  |  {reference}  |  {ratio}", file=sys.stderr, flush=True)

    feed = pages(taps(count))
    now = START + timedelta(days=count // (STUDENTS * len(TAPS)) + 1)
    rows = as_rows(feed, now.isoformat())
    names = (f"bench_{n}" for n in itertools.count(1))
    with (
        pg.clusters("store", schools=1) as clusters,
        tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp,
    ):
        cluster = clusters["store"]

        def fresh() -> str:
            name = next(names)
            cluster.create_database(name)
            url = f"postgresql://postgres@127.0.0.1:{cluster.port}/{name}"
            ServerStore.open(url, TZ).close()  # migrated: the server's own tables, keys and indexes
            return url

        with psycopg.connect(cluster.dsn()) as conn:
            settings: dict[str, str] = dict(conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_level')"
            ).fetchall())  # fmt: skip
        runs: dict[str, list[float]] = {"ours": [], "copy": [], "insert": [], "multi": [], "sqlite": []}
        kept: dict[str, str] = {}
        for attempt in range(ROUNDS):
            kept["ours"] = fresh()
            runs["ours"].append(ingest(kept["ours"], feed, now))
            kept["copy"] = fresh()
            runs["copy"].append(bare_copy(kept["copy"], rows))
            kept["insert"] = fresh()
            runs["insert"].append(bare_insert(kept["insert"], rows))
            kept["multi"] = fresh()
            runs["multi"].append(bare_multi_row(kept["multi"], rows))
            runs["sqlite"].append(ingest(Path(tmp) / f"store-{attempt}.sqlite3", feed, now))
        stored = held(kept["ours"])
        if any(held(kept[name]) != stored for name in ("copy", "insert", "multi")) or len(stored) != count:
            raise RuntimeError("the references did not store the same rows as the store")
        rate = {name: count / min(seconds) for name, seconds in runs.items()}
        durability = ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))
        row(f"ingest {count:,} taps into the store on PostgreSQL, pages of {PAGE:,} ({durability})",
            f"{rate['ours']:,.0f} events/s", f"bare COPY into its events table {rate['copy']:,.0f} rows/s",
            f"{rate['ours'] / rate['copy']:.2f}x of COPY")  # fmt: skip
        row("  the same ingest beside a bare INSERT … ON CONFLICT DO NOTHING executemany",
            f"{rate['ours']:,.0f} events/s", f"bare INSERT {rate['insert']:,.0f} rows/s",
            f"{rate['ours'] / rate['insert']:.2f}x of INSERT")  # fmt: skip
        row(f"  the same ingest beside a bare multi-row INSERT … ON CONFLICT DO NOTHING, {ROWS_A_STATEMENT} rows a "
            "statement, pipelined (what the store sends)", f"{rate['ours']:,.0f} events/s",
            f"bare multi-row INSERT {rate['multi']:,.0f} rows/s", f"{rate['ours'] / rate['multi']:.2f}x of it")  # fmt: skip
        row("  the same ingest into the store on SQLite (WAL, synchronous=FULL), same disk",
            f"{rate['sqlite']:,.0f} events/s", f"the store on PostgreSQL {rate['ours']:,.0f} events/s",
            f"{rate['sqlite'] / rate['ours']:.2f}x")  # fmt: skip
        if args.profile:
            timed = Timed()
            total = ingest(fresh(), feed, now, timed=timed)
            parts = [
                *sorted(timed.spent.items(), key=lambda part: -part[1]),
                ("the rest: building rows, Python", total - timed.total()),
            ]
            print(f"  where one ingest into PostgreSQL spends its {total:.3f} s (psycopg {psycopg.__version__}, "
                  f"{psycopg.pq.__impl__}, libpq {psycopg.pq.version()}, pipeline mode "
                  f"{'supported' if psycopg.Pipeline.is_supported() else 'NOT supported'}):",
                  file=sys.stderr)  # fmt: skip
            for part, seconds in parts:
                print(f"    {part}: {seconds:.3f} s ({seconds / total:.0%})", file=sys.stderr)
            profile = cProfile.Profile()
            ingest(fresh(), feed, now, profile)
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(20)
            print(out.getvalue(), file=sys.stderr)


if __name__ == "__main__":
    main()
