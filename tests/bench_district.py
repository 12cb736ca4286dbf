"""Provides the district benchmark: the upward report replicated from schools' PostgreSQL to the district's
(`python -m tests.bench_district [--quick] [--schools N]`, as root: it starts real servers, tests/district/pg.py).

Two figures, each beside a reference measured in the same run:
- one sign-off at a time: 200 rows, each upserted and committed alone at the school, the time from the
  start of the school's write to the row's arrival at the district (`received_at`: the district's clock,
  on this same host, when its apply worker inserted the row, just before it commits), median and p99,
  beside a bare local INSERT + commit of the same rows at the school;
- a district's evening: N schools of 2,000 students (50 rooms, evening study and midday care: 100 rows a
  school) each commit their day's rows at once, in turn; per school the time from the start of its write to its last
  row at the district (median, p99), and from the last school's commit to the last row anywhere, beside the
  time the schools took to commit. The N schools' publications live in one school cluster (one walsender
  and one replication slot per school, as N servers would have), the district subscribes N times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from sync.district import replication
from sync.district.upward import UpwardRow
from tests.district import pg

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 2)
ROOMS, SERVICES = 50, ("midday", "evening")  # 2,000 students in 50 rooms of 40


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def school_day(school: str, day: date) -> list[UpwardRow]:
    """A 2,000-student school's day: one row per service and room, a few missing and found."""
    start = datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=18, minutes=15)
    return [
        UpwardRow(school=school, date=day.isoformat(), service=service, room=f"r{room:02d}",
                  service_name=service, room_name=f"{room}教室", enrolled=40, present=38 - room % 3,
                  on_leave=1, missing=1 + room % 3, found=room % 2, still_waiting=0, unexplained=0,
                  signed_by=f"t-{room:02d}", signer="", signed_at=(start + timedelta(minutes=25)).isoformat(),
                  due_at=(start + timedelta(minutes=30)).isoformat(), staff_on_duty=1)
        for service in SERVICES for room in range(ROOMS)
    ]  # fmt: skip


def arrived(district: psycopg.Connection[Any], keys: list[tuple[str, ...]]) -> dict[tuple[str, ...], float]:
    """received_at (epoch seconds) of each key that is at the district."""
    rows = district.execute(
        "SELECT school, date::text, service, room, extract(epoch FROM received_at) FROM upward "
        "WHERE school = ANY(%s)",
        (sorted({k[0] for k in keys}),),
    ).fetchall()
    return {tuple(r[:4]): float(r[4]) for r in rows}


def one_at_a_time(school_dsn: str, district_dsn: str, count: int, row: Callable[..., None]) -> None:
    school = "SOLO"
    rows = [r for n in range(count // 100 + 1) for r in school_day(school, DAY + timedelta(days=n))][:count]
    with psycopg.connect(school_dsn, autocommit=True) as conn:
        replication.publish(conn, replication.Publishing(school, since=DAY))
        conn.execute("CREATE TABLE bare (LIKE upward INCLUDING ALL)")
        bare = []
        for r in rows:  # the reference: the same rows, a plain INSERT and commit each
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(
                    "INSERT INTO bare (school, date, service, room, enrolled, version) VALUES (%s, %s, %s, %s, %s, 1)",
                    (r.school, r.date, r.service, r.room, r.enrolled),
                )
            bare.append(time.perf_counter() - started)
    with psycopg.connect(district_dsn, autocommit=True) as district:
        replication.subscribe(district, school, school_dsn)
        pg.wait_for(
            lambda: district.execute("SELECT srsubstate FROM pg_subscription_rel").fetchall() == [("r",)]
        )
        committed: dict[tuple[str, ...], float] = {}
        with psycopg.connect(school_dsn, autocommit=True) as conn:
            for r in rows:
                committed[r.key] = time.time()  # the sign-off: its write and commit are in the figure
                replication.upsert(conn, [r])
                time.sleep(0.005)  # sign-offs come one by one, not in a burst
        keys = list(committed)
        pg.wait_for(lambda: len(arrived(district, keys)) == len(keys), timeout=120)
        at = arrived(district, keys)
        replication.unsubscribe(district, school)
    latency = [at[k] - committed[k] for k in keys]
    median, reference = statistics.median(latency), statistics.median(bare)
    row(
        f"a sign-off's row, school write+commit -> district ({count} rows, one commit each)",
        f"median {median * 1000:.1f} ms, p99 {percentile(latency, 0.99) * 1000:.1f} ms",
        f"bare local INSERT+commit median {reference * 1000:.2f} ms",
        f"{median / reference:.0f}x",
    )


def an_evening(school_dsn: str, district_dsn: str, schools: int, row: Callable[..., None]) -> None:
    codes = [f"S{n:03d}" for n in range(schools)]
    with psycopg.connect(school_dsn, autocommit=True) as conn:
        for school in codes:
            replication.publish(conn, replication.Publishing(school, since=DAY))
    with psycopg.connect(district_dsn, autocommit=True) as district:
        for school in codes:
            replication.subscribe(district, school, school_dsn)
        pg.wait_for(
            lambda: district.execute(
                "SELECT count(*) FILTER (WHERE srsubstate = 'r'), count(*) FROM pg_subscription_rel"
            ).fetchone() == (schools, schools),
            timeout=600,
        )  # fmt: skip
        days = {school: school_day(school, DAY) for school in codes}
        committed: dict[str, float] = {}
        started = time.perf_counter()
        with psycopg.connect(school_dsn, autocommit=True) as conn:
            for school in codes:
                committed[school] = time.time()  # the school starts writing its day
                replication.upsert(conn, days[school])
        writing = time.perf_counter() - started
        keys = [r.key for rows in days.values() for r in rows]
        pg.wait_for(lambda: len(arrived(district, keys)) == len(keys), timeout=600, every=0.05)
        at = arrived(district, keys)
    last_row = {school: max(at[r.key] for r in days[school]) for school in codes}
    latency = [last_row[s] - committed[s] for s in codes]
    tail = max(last_row.values()) - max(committed.values())
    row(
        f"a district's evening, {schools} schools x 2,000 students ({len(keys)} rows), a school's write -> "
        "its last row at the district",
        f"median {statistics.median(latency) * 1000:.0f} ms, p99 {percentile(latency, 0.99) * 1000:.0f} ms, "
        f"last school's commit -> last row {tail * 1000:.0f} ms",
        f"the schools' commits took {writing * 1000:.0f} ms",
        f"{(writing + tail) / writing:.1f}x",
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_district", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 schools and 100 sign-offs")
    parser.add_argument(
        "--schools", type=int, default=0, help="schools in the evening (default 100, quick 10)"
    )
    args = parser.parse_args()
    reason = pg.missing()
    if reason:
        print(f"bench_district skipped: {reason}", file=sys.stderr)
        return
    schools = args.schools or (10 if args.quick else 100)

    def row(figure: str, ours: str, reference: str, ratio: str) -> None:
        print(f"  {figure}: {ours}  |  {reference}  |  {ratio}", file=sys.stderr, flush=True)

    with pg.clusters("schools", "district", schools=schools + 1) as clusters:
        school_dsn = clusters["schools"].create_database("rollcall")
        district_dsn = clusters["district"].create_database("district")
        with psycopg.connect(school_dsn) as conn:
            replication.prepare_school(conn)
        with psycopg.connect(district_dsn) as conn:
            replication.prepare_district(conn)
        one_at_a_time(school_dsn, district_dsn, 100 if args.quick else 200, row)
        an_evening(school_dsn, district_dsn, schools, row)


if __name__ == "__main__":
    main()
