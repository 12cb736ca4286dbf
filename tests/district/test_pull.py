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
from sync.api import upward as route
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
def district() -> Iterator[str]:
    with pg.clusters("district", schools=2) as clusters:
        dsn = clusters["district"].create_database("district")
        with psycopg.connect(dsn) as conn:
            replication.prepare_district(conn)
        yield dsn


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
