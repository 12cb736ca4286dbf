"""The upward report over logical replication: three real PostgreSQL servers, two schools and the district.

The schools write their days' rows into their own PostgreSQL; the district subscribes to each.
Rows arrive with the schools' own figures; a school's other rows, dates it did not publish, the
signer's name and the children's names do not; a school cut off (its subscription disabled, the
district stopped, the school's own server stopped) keeps writing and is caught up when back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from edge.core.rules import decide_check_in, decide_sign
from sync.district.upward import UpwardRow, day_rows
from tests.day_school import CARD, DAY_READERS, DAY_SCHOOL, WINTER_DAY
from tests.district import pg
from tests.school import Story, at

psycopg = pytest.importorskip("psycopg")
from sync.district import replication  # noqa: E402 (psycopg first: skipped without it)

A, B = "S-A01", "S-B02"
PERSONAL = sorted(
    {s.name for s in DAY_SCHOOL.students.values()}
    | {g.name for g in DAY_SCHOOL.guardians.values()}
    | {g.phone for g in DAY_SCHOOL.guardians.values()}
    | {s.name for s in DAY_SCHOOL.staff.values()}
    | set(DAY_SCHOOL.cards)
)


def a_day(school: str, day: date, **options: Any) -> list[UpwardRow]:
    """The day's rows of a school where s-mia is found at 18:40, s-kai arrives and evening r1 is signed."""
    story = Story(school=DAY_SCHOOL, readers=DAY_READERS)
    story.tap("room-r2", CARD["s-kai"], at(12, 12, day))
    story.act(lambda c: decide_check_in("s-mia", c, "在操场找到", found=True), at(18, 40, day))
    story.act(lambda c: decide_sign(f"{day}.evening.r1", "t-a", c), at(18, 45, day))
    end = datetime.combine(day, datetime.max.time(), at(0, 0, day).tzinfo)
    return day_rows(school, DAY_SCHOOL, story.plan(day), story.state, end, **options)


def week(school: str, first: date, days: int = 5, **options: Any) -> list[UpwardRow]:
    return [r for n in range(days) for r in a_day(school, first + timedelta(days=n), **options)]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Any]]:
    with pg.clusters("school_a", "school_b", "district", schools=2) as clusters:
        dsns = {name: cluster.create_database("rollcall") for name, cluster in clusters.items()}
        for name in ("school_a", "school_b"):
            with psycopg.connect(dsns[name]) as conn:
                replication.prepare_school(conn)
        with psycopg.connect(dsns["district"]) as conn:
            replication.prepare_district(conn)
        yield {"clusters": clusters, "dsns": dsns}


def connect(servers: dict[str, Any], name: str) -> Any:
    return psycopg.connect(servers["dsns"][name], autocommit=True)


def count(servers: dict[str, Any], school: str) -> int:
    with connect(servers, "district") as conn:
        return int(conn.execute("SELECT count(*) FROM upward WHERE school = %s", (school,)).fetchone()[0])


def figures(rows: list[UpwardRow]) -> dict[tuple[str, ...], tuple[Any, ...]]:
    return {
        r.key: (r.enrolled, r.present, r.on_leave, r.missing, r.found, r.still_waiting, r.unexplained,
                r.signed_by, datetime.fromisoformat(r.signed_at) if r.signed_at else None, r.staff_on_duty)
        for r in rows
    }  # fmt: skip


def test_rows_arrive_with_the_schools_figures_and_nothing_personal(servers: dict[str, Any]) -> None:
    first = WINTER_DAY - timedelta(days=2)  # a Monday
    # School A computes names for its own office (names=True) but publishes neither them nor its signers'.
    a_rows = week(A, first, 3, names=True, signer_names=True)
    b_rows = week(B, first, 3, signer_names=True)
    with connect(servers, "school_a") as conn:
        replication.publish(conn, replication.Publishing(A, since=first + timedelta(days=1)))
        # Another school's rows in A's table (a restored backup, a typo) and a day before `since`: never sent.
        replication.upsert(conn, [*a_rows, *a_day("S-OTHER", first)])
    with connect(servers, "school_b") as conn:
        replication.publish(conn, replication.Publishing(B, since=first, signer_names=True))
        replication.upsert(conn, b_rows)
    with connect(servers, "district") as conn:
        for school, name in ((A, "school_a"), (B, "school_b")):
            replication.subscribe(conn, school, servers["dsns"][name])
    published_a = [r for r in a_rows if r.date >= (first + timedelta(days=1)).isoformat()]
    pg.wait_for(lambda: count(servers, A) == len(published_a) and count(servers, B) == len(b_rows))

    with connect(servers, "district") as conn:
        arrived = replication.district_rows(conn)
        assert {r.school for r in arrived} == {A, B}
        assert figures([r for r in arrived if r.school == A]) == figures(published_a)
        assert figures([r for r in arrived if r.school == B]) == figures(b_rows)
        assert {r.signer for r in arrived if r.school == A} == {""}
        assert {r.signer for r in arrived if r.school == B} == {"", "安老师"}  # B sends its signers' names
        assert all(r.children == () for r in arrived)
        evening = next(r for r in arrived if r.key == (A, WINTER_DAY.isoformat(), "evening", "r1"))
        assert (evening.missing, evening.found, evening.signed_by) == (1, 1, "t-a")
        # Read every text the district holds, column by column: no child's or family's name, phone or card.
        columns = [c for (c,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'upward'")]  # fmt: skip
        dump = conn.execute(
            "SELECT string_agg(u::text, ' ') FROM upward u WHERE school = %s", (A,)
        ).fetchone()[0]
        assert [p for p in PERSONAL if p in dump] == []
        assert not {"name", "phone", "card", "card_uid", "guardian"} & set(columns)
    with connect(servers, "school_a") as conn:  # the school itself keeps the names it computed
        assert conn.execute("SELECT count(*) FROM upward WHERE children <> '[]'").fetchone()[0] > 0


def test_a_school_offline_keeps_writing_and_is_caught_up(servers: dict[str, Any]) -> None:
    monday = WINTER_DAY + timedelta(days=5)  # 2026-12-07, after the first test's days
    with connect(servers, "district") as conn:
        if not conn.execute("SELECT 1 FROM pg_subscription WHERE subname = %s",
                            (replication.subscription(A),)).fetchone():  # fmt: skip
            pytest.skip("runs after the first test, which subscribes")
        before = {A: count(servers, A), B: count(servers, B)}
        replication.set_enabled(conn, A, False)  # the link to school A is down for a week

    a_week, b_week = week(A, monday), week(B, monday)
    with connect(servers, "school_a") as conn:
        for n in range(5):  # a day at a time, as the server would write them
            replication.upsert(
                conn, [r for r in a_week if r.date == (monday + timedelta(days=n)).isoformat()]
            )
    with connect(servers, "school_b") as conn:
        replication.upsert(conn, b_week)
    pg.wait_for(lambda: count(servers, B) == before[B] + len(b_week))
    assert count(servers, A) == before[A]  # B's rows were applied meanwhile: A's are held at A

    with connect(servers, "district") as conn:
        replication.set_enabled(conn, A, True)
    pg.wait_for(lambda: count(servers, A) == before[A] + len(a_week))

    # The district's server is down; the schools write and change a row (s-max found late on Monday).
    district = servers["clusters"]["district"]
    district.stop()
    changed = [r if r.key != (A, monday.isoformat(), "evening", "r1") else
               UpwardRow(**{**r.as_dict(), "children": (), "missing": 0, "found": 2}) for r in a_week]  # fmt: skip
    later = week(A, monday + timedelta(days=7), 2)
    with connect(servers, "school_a") as conn:
        replication.upsert(conn, [*changed, *later])
    district.start()
    pg.wait_for(lambda: count(servers, A) == before[A] + len(a_week) + len(later))

    # School A's own server restarts (a power cut at the school); it writes on when back.
    school_a = servers["clusters"]["school_a"]
    school_a.stop()
    school_a.start()
    more = week(A, monday + timedelta(days=14), 1)
    with connect(servers, "school_a") as conn:
        replication.upsert(conn, more)
    pg.wait_for(lambda: count(servers, A) == before[A] + len(a_week) + len(later) + len(more))

    with connect(servers, "district") as conn:
        arrived = replication.district_rows(conn, [A])
    assert figures([r for r in arrived if r.date >= monday.isoformat()]) == figures([*changed, *later, *more])


def test_a_bad_school_code_or_window_is_refused_by_name() -> None:
    with pytest.raises(replication.DistrictError, match="school code 'a school'"):
        replication.publication("a school")
    with pytest.raises(replication.DistrictError, match="until 2026-12-01 is before since 2026-12-02"):
        replication._filter(replication.Publishing(A, since=WINTER_DAY, until=WINTER_DAY - timedelta(days=1)))
