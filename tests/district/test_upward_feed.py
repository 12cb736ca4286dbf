"""A school server on PostgreSQL sends its upward report by itself: its own `upward` table, its publication, the district's copy.

The real server (tests/sync's fixtures) with its store on a PostgreSQL cluster of this module's own,
and a real room device; the district is a second cluster subscribed to the school's publication,
which the server made at start as `[district]` says. Taps and a teacher's sign-off at the room door
reach the district within seconds with the school's own figures (those its HTTP route gives a
district that pulls), and no name, phone or card does; with the link down the school keeps
recording, and its rows arrive when the link is back. Names leave only when configured.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from edge.core.codec import school_to_datasets
from edge.core.plan import plan_day
from edge.web.settings import ConfigError
from hardware.clock import SimClock
from hardware.reads import CardRead
from sync import datasets, upward_feed
from sync.app import ServerOptions
from sync.config import DistrictSending, parse_server_config
from sync.district.upward import UpwardRow
from sync.office.attendance import Mark, Status
from sync.office.pages_attendance import Evidence, Staffing
from sync.office.rota import Role
from tests.api.conftest import school
from tests.district import pg
from tests.district.test_pull import personal
from tests.sync.conftest import (
    EVENING,
    SERVER_TOKENS,
    STORE,
    TZ,
    Edge,
    Running,
    card_of,
    eventually,
    server_config,
    start_server,
)

psycopg = pytest.importorskip("psycopg")
from sync.district import replication  # noqa: E402 (psycopg first: skipped without it)

DAY = EVENING.date()  # Monday 2026-11-30
ROOM = "2026-11-30.evening.r301"


@pytest.fixture(scope="module")
def clusters() -> Iterator[dict[str, pg.Cluster]]:
    with pg.clusters("school", "district", schools=2) as found:
        yield found


def url(cluster: pg.Cluster, dbname: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{cluster.port}/{dbname}"


@pytest.fixture
def databases(clusters: dict[str, pg.Cluster], request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """A fresh school database (its URL) and district database (its dsn, the table made) for the test."""
    name = f"t_{abs(hash(request.node.name)) % 10**8}"
    school_dsn = clusters["school"].create_database(name)
    district_dsn = clusters["district"].create_database(name)
    with psycopg.connect(district_dsn) as conn:
        replication.prepare_district(conn)
    yield {"school": url(clusters["school"], name), "school_dsn": school_dsn, "district": district_dsn}
    with psycopg.connect(district_dsn, autocommit=True) as conn:
        for (sub,) in conn.execute("SELECT subname FROM pg_subscription").fetchall():
            conn.execute(f'DROP SUBSCRIPTION "{sub}"')


async def campus(tmp_path: Path, store: str, district: DistrictSending) -> tuple[Running, Edge, SimClock]:
    room = await Edge(tmp_path / "room", "room-1").start()
    clock = SimClock(EVENING + timedelta(minutes=6))  # 18:26: the head count was due at 18:25
    STORE["url"] = store
    try:
        config = replace(server_config(tmp_path / "server", [("room-1", room.url)]), district=district)
    finally:
        STORE["url"] = ""
    room.service.clock.set(clock.now())  # type: ignore[attr-defined]
    running = await start_server(config, clock, options=ServerOptions(upward_seconds=0.1))
    now = clock.now()
    await running.school.writer.run(
        lambda s: datasets.add_versions(s.db, school_to_datasets(school()), "t", now)
    )
    return running, room, clock


async def tap(room: Edge, holder: str) -> None:
    service = room.service
    assert await service.handle(
        CardRead("room-r301", card_of(holder), service.clock.now(), service.clock.monotonic())
    )


def district_rows(dsn: str) -> dict[tuple[str, ...], dict[str, Any]]:
    with psycopg.connect(dsn) as conn:
        cur = conn.execute("SELECT * FROM upward")
        names = [c.name for c in cur.description or ()]
        found = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    return {(r["school"], r["date"].isoformat(), r["service"], r["room"]): r for r in found}


def counts(row: UpwardRow | dict[str, Any]) -> tuple[Any, ...]:
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    names = ("enrolled", "present", "on_leave", "missing", "found", "still_waiting", "unexplained", "signed_by")
    return tuple(get(name) for name in names)


async def test_a_school_on_postgresql_publishes_its_reports_and_the_district_gets_its_own_figures(
    tmp_path: Path, databases: dict[str, str]
) -> None:
    running, room, _ = await campus(tmp_path, databases["school"], DistrictSending(code="S-301"))
    try:
        kids = sorted(plan_day(school(), DAY, TZ).expected[ROOM])
        for kid in kids[:3]:
            await tap(room, kid)
        await eventually(lambda: len(running.held()) >= room.count(), what="the taps at the server")
        await running.school.refresh()
        await eventually(
            lambda: _published(databases["school_dsn"]),
            what="the publication the server made at start",
        )
        with psycopg.connect(databases["district"], autocommit=True) as conn:
            replication.subscribe(conn, "S-301", databases["school_dsn"])

        async def theirs() -> dict[tuple[str, ...], tuple[Any, ...]]:
            status, body = await running.get(f"/api/v1/upward?since={DAY}", role="server")
            assert status == 200
            return {(r["school"], r["date"], r["service"], r["room"]): counts(r) for r in body["rows"]}

        def arrived(wanted: dict[tuple[str, ...], tuple[Any, ...]]) -> bool:
            at = district_rows(databases["district"])
            return {k: counts(v) for k, v in at.items() if k in wanted} == wanted

        before = await theirs()
        key = ("S-301", DAY.isoformat(), "evening", "r301")
        assert before[key][1] == 3 and before[key][-1] == ""  # three present, unsigned
        await eventually(lambda: arrived(before), what="the school's rows at the district")

        await tap(room, "t01")  # the teacher's card after the head count signs the room's report
        await eventually(lambda: len(running.held()) >= room.count(), what="the sign-off at the server")
        await running.school.refresh()
        after = await theirs()
        assert after[key][-1] == "t01" and after != before
        await eventually(lambda: arrived(after), within=30, what="the signed report at the district")
        row = district_rows(databases["district"])[key]
        assert row["signed_at"] is not None and row["signer"] == "" and row["children"] == []

        with psycopg.connect(databases["district"], autocommit=True) as conn:  # the link down
            replication.set_enabled(conn, "S-301", False)
            stopped = "SELECT count(*) FROM pg_stat_subscription WHERE pid IS NOT NULL"
            pg.wait_for(lambda: conn.execute(stopped).fetchone() == (0,))  # its apply worker gone
        for kid in kids[3:6]:  # the school keeps recording: three more arrive, late
            await tap(room, kid)
        await eventually(lambda: len(running.held()) >= room.count(), what="the late arrivals at the server")
        await running.school.refresh()
        later = await theirs()
        assert later[key][1] == 6 and not arrived(later)
        with psycopg.connect(databases["district"], autocommit=True) as conn:  # the link back
            replication.set_enabled(conn, "S-301", True)
        await eventually(lambda: arrived(later), within=30, what="the school caught up at the district")

        text = repr(sorted(district_rows(databases["district"]).values(), key=repr))
        assert [p for p in personal() if p and p in text] == []
        with psycopg.connect(databases["school_dsn"]) as conn:
            own = conn.execute(
                "SELECT count(*) FILTER (WHERE date = %s), count(*) FILTER (WHERE children <> '[]' OR signer <> '') "
                "FROM upward",
                (DAY,),
            ).fetchone()
        assert own == (len(after), 0)  # the day's rows; and what is not sent is not kept to send
    finally:
        await running.client.close()
        await room.stop()


def named_ones(row: dict[str, Any]) -> int:
    """The children a row names when names are sent: the missing, the found and those still waiting."""
    return int(row["missing"] + row["found"] + row["still_waiting"])


def _published(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM pg_publication").fetchone() == (1,)


async def test_names_leave_only_when_the_school_configures_them(
    tmp_path: Path, databases: dict[str, str]
) -> None:
    chosen = DistrictSending(code="S-302", names=True, signer_names=True, since=DAY)
    running, room, _ = await campus(tmp_path, databases["school"], chosen)
    try:
        for kid in sorted(plan_day(school(), DAY, TZ).expected[ROOM])[:2]:
            await tap(room, kid)
        await tap(room, "t01")
        await eventually(lambda: len(running.held()) >= room.count(), what="the taps at the server")
        await running.school.refresh()
        await eventually(lambda: _published(databases["school_dsn"]), what="the publication")
        with psycopg.connect(databases["district"], autocommit=True) as conn:
            replication.subscribe(conn, "S-302", databases["school_dsn"])
        key = ("S-302", DAY.isoformat(), "evening", "r301")

        def named() -> bool:
            row = district_rows(databases["district"]).get(key)
            return (
                row is not None and row["signer"] == "胡娜静" and len(row["children"]) == named_ones(row) > 0
            )

        await eventually(
            named, within=30, what="the room's row with the signer's and the missing children's names"
        )
        status, body = await running.get(f"/api/v1/upward?since={DAY}", role="server")
        (mine,) = [r for r in body["rows"] if r["room"] == "r301" and r["service"] == "evening"]
        assert status == 200 and mine["signer"] == "胡娜静" and len(mine["children"]) == named_ones(mine)
    finally:
        await running.client.close()
        await room.stop()


def test_staff_on_duty_counts_the_group_staff_marked_on_time_or_late() -> None:
    day = date(2026, 11, 30)

    def mark(person: str, role: Role, status: Status, room: str = "r301") -> Mark:
        service = "" if role in (Role.LEADER, Role.GUARD) else "evening"
        return Mark(person, day, role, service, "" if not service else room, status)

    staffing = Staffing(
        day, day, None, None,
        (mark("t01", Role.TEACHER, Status.ON_TIME), mark("t02", Role.TEACHER, Status.LATE),
         mark("t03", Role.TEACHER, Status.ABSENT), mark("t04", Role.TEACHER, Status.COVERED),
         mark("t09", Role.CLUB, Status.ON_TIME, "r302"), mark("t05", Role.LEADER, Status.ON_TIME),
         mark("g1", Role.GUARD, Status.ON_TIME)),
        [], Evidence(), school(),
    )  # fmt: skip
    assert upward_feed.on_duty(staffing) == {(day, "evening", "r301"): 2, (day, "evening", "r302"): 1}


def test_the_district_section_is_read_strictly() -> None:
    base: dict[str, Any] = {"server": {"id": "s-1", "data_dir": "/tmp/x"}}
    config = parse_server_config(
        base | {"district": {"code": "3301-07", "since": date(2026, 9, 1)}}, "server.toml"
    )
    assert config.school_code == "3301-07" and config.district.since == date(2026, 9, 1)
    assert not config.district.names and parse_server_config(base, "server.toml").school_code == "s-1"
    for bad, said in (({"code": "三小"}, "district.code"), ({"since": "1 Sept"}, "district.since"),
                      ({"names": "yes"}, "district.names"), ({"phones": True}, "phones")):  # fmt: skip
        with pytest.raises(ConfigError, match=said):
            parse_server_config(base | {"district": bad}, "server.toml")


def test_the_days_written_are_today_the_changed_ones_and_never_before_since_or_the_window() -> None:
    today, since = date(2026, 12, 2), date(2026, 11, 25)
    at_start = upward_feed.days_due(today, since, True, set(), False, None)
    assert at_start == {since + timedelta(days=n) for n in range(8)}
    assert upward_feed.days_due(today, None, True, set(), False, None) == {today}
    week_ago = today - timedelta(days=7)
    back = upward_feed.days_due(
        today, None, False, {week_ago, date(2025, 1, 1), today + timedelta(days=1)}, False, None
    )
    assert back == {today, week_ago}  # a device back after a week; not a year ago, not tomorrow
    assert upward_feed.days_due(today, since, False, {since - timedelta(days=1)}, False, None) == {
        today
    }  # before `since`
    assert (
        len(upward_feed.days_due(today, None, False, set(), True, None)) == upward_feed.CHANGED_BACK
    )  # a leave entered late
    assert upward_feed.days_due(today, None, False, set(), False, today - timedelta(days=1)) == {
        today,
        today - timedelta(days=1),
    }  # the day before, once more after midnight


async def test_three_real_schools_one_offline_for_a_week_and_the_districts_figures_are_their_own(
    tmp_path: Path, clusters: dict[str, pg.Cluster], databases: dict[str, str]
) -> None:
    """The issue's district with real servers: A and B on PostgreSQL replicate, C on SQLite is pulled; A's link is
    down Monday to Friday while its room keeps recording. At the end each school's rows at the district are the
    ones its own route gives."""
    import aiohttp

    from sync.district import pull

    b_name = databases["school"].rsplit("/", 1)[1] + "_b"
    b_dsn = clusters["school"].create_database(b_name)
    schools = {
        "PG-A": await campus(tmp_path / "a", databases["school"], DistrictSending(code="PG-A")),
        "PG-B": await campus(tmp_path / "b", url(clusters["school"], b_name), DistrictSending(code="PG-B")),
        "SQ-C": await campus(tmp_path / "c", "", DistrictSending(code="SQ-C")),
    }
    try:
        await eventually(
            lambda: _published(databases["school_dsn"]) and _published(b_dsn), what="publications"
        )
        with psycopg.connect(databases["district"], autocommit=True) as conn:
            replication.subscribe(conn, "PG-A", databases["school_dsn"])
            replication.subscribe(conn, "PG-B", b_dsn)
            replication.set_enabled(conn, "PG-A", False)  # A's link is down all week
        kids = sorted(plan_day(school(), DAY, TZ).expected[ROOM])
        for n in range(5):  # Monday to Friday, 18:26: a different few arrive at each school
            at = EVENING + timedelta(days=n, minutes=6)
            for k, (running, room, clock) in enumerate(schools.values()):
                clock.set(at)
                room.service.clock.set(at)  # type: ignore[attr-defined]
                for kid in kids[k : k + n + 2]:
                    await tap(room, kid)
                await eventually(lambda r=running, d=room: len(r.held()) >= d.count(), what="the day's taps")  # type: ignore[misc]
                await running.school.refresh()

        async def own(code: str) -> dict[tuple[str, ...], tuple[Any, ...]]:
            status, body = await schools[code][0].get(f"/api/v1/upward?since={DAY}", role="server")
            assert status == 200 and body["next"] is None
            return {(r["school"], r["date"], r["service"], r["room"]): counts(r) for r in body["rows"]}

        def at_district(code: str) -> dict[tuple[str, ...], tuple[Any, ...]]:
            found = district_rows(
                databases["district"]
            ).items()  # from Monday: a roster's arrival wrote the week before
            return {k: counts(v) for k, v in found if k[0] == code and k[1] >= DAY.isoformat()}

        wanted = {code: await own(code) for code in schools}
        assert {len({k[1] for k in rows}) for rows in wanted.values()} == {5}  # five days each
        await eventually(lambda: at_district("PG-B") == wanted["PG-B"], within=30, what="B's week")
        before = at_district("PG-A")  # what the district had of A when its link went down on Monday evening
        assert {k[1] for k in before} <= {DAY.isoformat()} and before != wanted["PG-A"]  # the rest kept at A
        async with aiohttp.ClientSession() as http:
            source = pull.SchoolSource(
                "SQ-C", str(schools["SQ-C"][0].client.make_url("")), SERVER_TOKENS["server"]
            )
            await pull.pull(http, source, databases["district"], DAY)
        with psycopg.connect(databases["district"], autocommit=True) as conn:
            replication.set_enabled(conn, "PG-A", True)  # A's link is back: its week arrives by itself
        await eventually(lambda: at_district("PG-A") == wanted["PG-A"], within=30, what="A caught up")
        assert at_district("SQ-C") == wanted["SQ-C"]
        assert (
            wanted["PG-A"] != wanted["PG-B"] != wanted["SQ-C"]
        )  # three schools' own figures, not one copied
        text = repr(sorted(district_rows(databases["district"]).values(), key=repr))
        assert [p for p in personal() if p and p in text] == []
    finally:
        for running, room, _ in schools.values():
            await running.client.close()
            await room.stop()
