"""The SQLite school's upward report: `GET /api/v1/upward` on the real server, pulled into a real district PostgreSQL.

Two edge devices (gate and room) and the school server on loopback as in tests/sync; the district is a
PostgreSQL cluster from tests/district/pg.py. The route's rows are the view's reports' rows, carry no
name, phone or card, and the district's puller stores them, pages through a week it missed, and says
which school it could not reach.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from edge.core.codec import school_to_datasets
from edge.core.plan import plan_day
from hardware.clock import SimClock
from hardware.reads import CardRead
from sync import datasets
from sync import upward_feed as route
from sync.district import upward
from sync.view import SchoolView
from tests.api.conftest import school
from tests.district import pg
from tests.sync.conftest import (
    EVENING,
    SERVER_TOKENS,
    TZ,
    Edge,
    Running,
    card_of,
    eventually,
    server_config,
    start_server,
)

psycopg = pytest.importorskip("psycopg")
from sync.district import pull, replication  # noqa: E402 (psycopg first: skipped without it)

DAY = EVENING.date()  # Monday 2026-11-30


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    """Two schools on PostgreSQL and the district: database dsns by cluster name."""
    with pg.clusters("pg_a", "pg_b", "district", schools=3) as clusters:
        dsns = {name: cluster.create_database("rollcall") for name, cluster in clusters.items()}
        with psycopg.connect(dsns["district"]) as conn:
            replication.prepare_district(conn)
        for name in ("pg_a", "pg_b"):
            with psycopg.connect(dsns[name]) as conn:
                replication.prepare_school(conn)
        yield dsns


@pytest.fixture
def district(servers: dict[str, str]) -> str:
    return servers["district"]


@pytest.fixture
async def campus(tmp_path: Path) -> AsyncIterator[tuple[Running, SimClock]]:
    gate, room = await Edge(tmp_path / "gate").start(), await Edge(tmp_path / "room", "room-1").start()
    clock = SimClock(EVENING + timedelta(minutes=6))  # 18:26: the head count was due at 18:25
    running = await start_server(server_config(tmp_path / "server", [("gate-1", gate.url), ("room-1", room.url)]),
                                 clock)  # fmt: skip
    now = clock.now()
    await running.school.writer.run(
        lambda s: datasets.add_versions(s.db, school_to_datasets(school()), "test", now)
    )
    kids = sorted(plan_day(school(), DAY, TZ).expected["2026-11-30.evening.r301"])
    for kid in kids[:3]:
        service = room.service
        assert await service.handle(
            CardRead("room-r301", card_of(kid), service.clock.now(), service.clock.monotonic())
        )
    await eventually(lambda: len(running.held()) >= room.count(), what="the room's taps at the server")
    await running.school.refresh()
    yield running, clock
    await running.client.close()
    await gate.stop()
    await room.stop()


def personal() -> list[str]:
    s = school()
    return sorted({x.name for x in s.students.values()} | {g.name for g in s.guardians.values()}
                  | {g.phone for g in s.guardians.values() if g.phone} | set(s.cards)
                  | {x.name for x in s.staff.values()})  # fmt: skip


def source(running: Running, token: str = SERVER_TOKENS["server"]) -> pull.SchoolSource:
    return pull.SchoolSource("school", str(running.client.make_url("")), token)


async def expected(running: Running, first: date, last: date) -> list[upward.UpwardRow]:
    now = running.school.clock.now()

    def rows(view: SchoolView) -> list[upward.UpwardRow]:
        found = []
        day = first
        while day <= last:
            found += upward.rows(
                "school", view.school, view.day(day).projection.state, view.reports(day, now)
            )
            day += timedelta(days=1)
        return found

    return await running.school.query(rows)


def figures(rows: list[upward.UpwardRow]) -> dict[tuple[str, ...], tuple[Any, ...]]:
    return {r.key: (r.enrolled, r.present, r.on_leave, r.missing, r.found, r.still_waiting, r.signed_by)
            for r in rows}  # fmt: skip


def at_district(dsn: str) -> list[upward.UpwardRow]:
    with psycopg.connect(dsn) as conn:
        return replication.district_rows(conn, ["school"])


async def test_the_route_sends_the_views_figures_and_nothing_personal(
    campus: tuple[Running, SimClock],
) -> None:
    running, _ = campus
    response = await running.client.get(
        f"/api/v1/upward?since={DAY}", headers={"Authorization": f"Bearer {SERVER_TOKENS['server']}"}
    )
    assert response.status == 200
    text = await response.text()
    body = await response.json()
    assert (body["version"], body["school"], body["since"], body["until"], body["next"]) == (
        1,
        "school",
        str(DAY),
        str(DAY),
        None,
    )
    want = await expected(running, DAY, DAY)
    assert [upward.from_dict(r) for r in body["rows"]] == want
    r301 = next(r for r in want if r.room == "r301" and r.service == "evening")
    assert r301.present == 3 and r301.missing == r301.enrolled - 3 - r301.on_leave > 0
    assert [p for p in personal() if p in text] == []
    for query, message in (("", "since: required"), ("?since=30.11.2026", "expected a date as YYYY-MM-DD"),
                           ("?since=2026-12-01", "is after today"), (f"?since={DAY}&names=1", "names: unknown")):  # fmt: skip
        bad = await running.client.get(
            f"/api/v1/upward{query}", headers={"Authorization": f"Bearer {SERVER_TOKENS['server']}"}
        )
        assert bad.status == 400 and message in (await bad.json())["error"]["message"], query
    guard = await running.client.get(
        f"/api/v1/upward?since={DAY}", headers={"Authorization": f"Bearer {SERVER_TOKENS['guard']}"}
    )
    assert guard.status == 403


async def test_the_district_pulls_catches_up_a_missed_week_and_names_a_school_it_cannot_reach(
    campus: tuple[Running, SimClock], district: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, clock = campus
    async with aiohttp.ClientSession() as http:
        assert await pull.pull(http, source(running), district, DAY) == len(await expected(running, DAY, DAY))
        assert figures(at_district(district)) == figures(await expected(running, DAY, DAY))

        clock.set(EVENING + timedelta(days=7))  # a week on: the district has not pulled since Monday
        monkeypatch.setattr(route, "DAYS_A_PAGE", 3)  # three pages: Mon-Wed, Thu-Sat, Sun-Mon
        later = DAY + timedelta(days=7)
        stored = await pull.pull(http, source(running), district, DAY)
        assert stored == len(await expected(running, DAY, later))
        assert figures(at_district(district)) == figures(await expected(running, DAY, later))
        assert {r.date for r in at_district(district)} >= {
            str(DAY + timedelta(days=n)) for n in (0, 1, 2, 3, 4, 7)
        }

        with pytest.raises(pull.PullError, match="school school at .*: HTTP 401"):
            await pull.pull(http, source(running, "wrong-token"), district, DAY)
        with pytest.raises(
            pull.PullError, match=r"school school at http://127.0.0.1:9/api/v1/upward: unreachable"
        ):
            await pull.pull(http, pull.SchoolSource("school", "http://127.0.0.1:9", "t"), district, DAY)
        with pytest.raises(pull.PullError, match="answers as school 'school'"):
            await pull.pull(http, pull.SchoolSource("S-X", str(running.client.make_url("")), SERVER_TOKENS["server"]),
                            district, DAY)  # fmt: skip


async def test_three_schools_two_replicated_one_pulled_one_offline_for_a_week(
    campus: tuple[Running, SimClock], servers: dict[str, str]
) -> None:
    """The issue's district: PG schools A and B replicate, the SQLite school is pulled; A is cut off a week."""
    from tests.district.test_replication import week

    running, clock = campus
    district = servers["district"]
    first = DAY + timedelta(days=21)  # days of their own in the shared district table
    with psycopg.connect(district, autocommit=True) as conn:
        conn.execute(
            "DELETE FROM upward WHERE school = 'school'"
        )  # an earlier test's pulls: this is a new school
        for code, name in (("PG-A", "pg_a"), ("PG-B", "pg_b")):
            with psycopg.connect(servers[name], autocommit=True) as school_conn:
                replication.publish(school_conn, replication.Publishing(code, since=first))
            replication.subscribe(conn, code, servers[name])
        replication.set_enabled(conn, "PG-A", False)  # A's link is down all week
    a_rows, b_rows = week("PG-A", first), week("PG-B", first)
    for name, rows in (("pg_a", a_rows), ("pg_b", b_rows)):
        with psycopg.connect(servers[name]) as conn:
            replication.upsert(conn, rows)

    def held(code: str) -> int:
        with psycopg.connect(district) as conn:
            return int(conn.execute("SELECT count(*) FROM upward WHERE school = %s", (code,)).fetchone()[0])

    pg.wait_for(lambda: held("PG-B") == len(b_rows))
    assert held("PG-A") == 0  # kept at A meanwhile
    async with aiohttp.ClientSession() as http:
        await pull.pull(http, source(running), district, DAY)
        clock.set(
            EVENING + timedelta(days=7)
        )  # the SQLite school records on; the district pulls a week later
        await pull.pull(http, source(running), district, DAY)
    with psycopg.connect(district, autocommit=True) as conn:
        replication.set_enabled(conn, "PG-A", True)
    pg.wait_for(lambda: held("PG-A") == len(a_rows))

    with psycopg.connect(district) as conn:
        arrived = replication.district_rows(conn)
    by_school: dict[str, list[upward.UpwardRow]] = {}
    for r in arrived:
        by_school.setdefault(r.school, []).append(r)
    assert figures(by_school["PG-A"]) == figures(a_rows) and figures(by_school["PG-B"]) == figures(b_rows)
    assert figures(by_school["school"]) == figures(await expected(running, DAY, DAY + timedelta(days=7)))
    with psycopg.connect(district) as conn:
        dump = conn.execute("SELECT string_agg(u::text, ' ') FROM upward u").fetchone()[0]
    from tests.district.test_replication import PERSONAL

    assert [p for p in {*personal(), *PERSONAL} if p in dump] == []
