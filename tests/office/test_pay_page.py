"""The pay page through the real server: rates typed in yuan and stored in fen (each change a row, the latest
holds), a month's and the term's allocation with the sessions behind each line, a role served without a rate
refused by name, the print view and the XLSX, who may, CSRF; and a property: through the store, the view and
the pages' own code path, the allocation is Σ sessions served × rate, whatever the taps, corrections and rates."""

from __future__ import annotations

import io
import re
import tempfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.core.codec import school_to_datasets
from edge.core.model import Outcome
from sync import datasets
from sync.office import rota_store, staff_store
from sync.office.attendance import Correction, Status
from sync.office.pages_attendance import evidence, staffing_of
from sync.office.pages_pay import allocation_of, parse_yuan
from sync.office.rota import DayPattern, Person, Role, build
from sync.office.rota_store import Held
from sync.page import Page
from sync.store import Batch, ServerStore
from sync.view import SchoolView
from tests.api.conftest import school
from tests.office.conftest import Office
from tests.office.test_attendance_page import READERS, a_week_with_taps, staff_event, stored
from tests.sync.conftest import EVENING, TZ

RATES = {("leader", ""): "50", ("guard", ""): "30", ("teacher", "evening"): "80", ("coach", "clubs"): "120.5"}


async def set_rates(clerk: Any, rates: dict[tuple[str, str], str] = RATES) -> None:
    await clerk.get("/office/pay")
    for (role, service), amount in rates.items():
        status, page = await clerk.post(
            "/office/pay/rate", {"role": role, "service": service, "yuan": amount}
        )
        assert status == 200 and "已设定" in page, page[-600:]


def line(page: str, person: str) -> str:
    found = re.search(rf'<tr data-person="{person}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, f"no line for {person}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def test_a_rate_is_yuan_to_the_fen() -> None:
    assert [parse_yuan(x) for x in ("80", "80.5", "80.50", "0.05", " 12.34元", "１２.３４", "999999.99")] == [
        8000, 8050, 8050, 5, 1234, 1234, 99999999]  # fmt: skip
    assert [parse_yuan(x) for x in ("", "-5", "80.123", "八十", "1e3", "80,00", "1234567", ".5")] == [
        None
    ] * 8


async def test_rates_are_stored_in_fen_each_change_a_row_and_bad_amounts_refused_by_name(
    office: Office,
) -> None:
    clerk = await a_week_with_taps(office)
    await set_rates(clerk)
    status, page = await clerk.post(
        "/office/pay/rate", {"role": "teacher", "service": "evening", "yuan": "85.5"}
    )
    assert "已设定 责任教师(晚自习)补助标准 85.50 元/场" in page
    assert re.search(r'data-rate="teacher\|evening">.*?<td class="rate">85.50</td>', page, re.S)
    for amount in ("80.123", "-5", "八十"):
        status, page = await clerk.post(
            "/office/pay/rate", {"role": "teacher", "service": "evening", "yuan": amount}
        )
        assert status == 422 and f"责任教师(晚自习)的补助标准“{amount}”不是金额" in page
    status, page = await clerk.post("/office/pay/rate", {"role": "guard", "service": "evening", "yuan": "5"})
    assert status == 422 and "没有这个岗位与服务" in page
    status, page = await clerk.post("/office/pay/rate", {"role": "boss", "service": "", "yuan": "5"})
    assert status == 422
    assert stored(office, "SELECT role, service_id, fen, actor FROM office_pay_rates ORDER BY id") == [
        ("leader", "", 5000, "office:office1"), ("guard", "", 3000, "office:office1"),
        ("teacher", "evening", 8000, "office:office1"), ("coach", "clubs", 12050, "office:office1"),
        ("teacher", "evening", 8550, "office:office1")]  # fmt: skip
    status, page = await clerk.get("/office/pay?period=2026-11")
    assert "1 次 × 85.50 元 = 85.50 元" in line(page, "t01")  # the latest rate holds


async def test_a_role_served_without_a_rate_is_refused_by_its_names(office: Office) -> None:
    clerk = await a_week_with_taps(office)
    await set_rates(clerk, {("teacher", "evening"): "80"})
    status, page = await clerk.get("/office/pay?period=2026-11")
    assert status == 200
    refusals = page[page.index('id="pay-refusals"') :]
    assert "值日领导(按日)尚未设定补助标准" in refusals and "保安(按日)尚未设定补助标准" in refusals
    assert "leader" not in refusals[:300] and 'id="pay-table"' not in page
    status, english = await clerk.get("/office/pay?period=2026-11&lang=en")
    assert "no rate is set for duty leader (per day)" in english
    response = await clerk.client.get("/office/pay.xlsx?period=2026-11&lang=zh")
    assert response.status == 409 and "值日领导(按日)尚未设定补助标准" in await response.text()


async def test_the_month_and_the_term_list_each_line_with_the_sessions_behind_it(office: Office) -> None:
    clerk = await a_week_with_taps(office)  # Monday 30 November: t01 on time, t02 and t03 late, t04 absent
    await set_rates(clerk)
    status, page = await clerk.get("/office/pay?period=2026-11")
    assert status == 200 and "补助分配:2026-11-01 至 2026-11-30" in page
    assert "胡娜静 责任教师 晚自习 1 次 × 80.00 元 = 80.00 元" in line(page, "t01")
    assert "2026-11-30 周一 晚自习 301教室" in line(page, "t01")  # the session behind the figure
    assert "王慧佳" in line(page, "t02") and "周欣妍" in line(page, "t03")  # late is served (pay's decision)
    assert 'data-person="t04"' not in page  # absent: not paid
    assert "沈薇倩 值日领导 按日 1 次 × 50.00 元 = 50.00 元" in line(page, "t05")
    assert "2026-11-30 周一" in line(page, "t05")  # a day role: the day, no group
    assert re.search(r'id="pay-total">320.00<', page)  # 3 × 80 + 50 + 30
    status, term = await clerk.get("/office/pay?period=term")
    assert "补助分配:2026-09-01 至 2027-01-20" in term and re.search(r'id="pay-total">320.00<', term)
    status, december = await clerk.get("/office/pay?period=2026-12")
    assert "这段时间没有已到岗的场次" in december and re.search(r'id="pay-total">0.00<', december)
    status, page = await clerk.get("/office/pay?period=2026-13")
    assert status == 400 and "“2026-13”不是月份" in page


async def test_the_print_view_and_the_workbook(office: Office) -> None:
    clerk = await a_week_with_taps(office)
    await set_rates(clerk)
    status, page = await clerk.get("/office/pay?period=2026-11&print=1&school=实验小学")
    assert status == 200 and "实验小学 课后服务2026 年 11 月补助" in page
    assert "制表人:教务 王老师" in page and "审核人:" in page and '<details class="sessions" open>' in page
    response = await clerk.client.get("/office/pay.xlsx?period=2026-11")
    assert response.status == 200
    book = openpyxl.load_workbook(io.BytesIO(await response.read()))
    lines, sessions = book.worksheets
    rows = [[c.value for c in r] for r in lines.iter_rows(min_row=3)]
    assert ["胡娜静", "责任教师", "晚自习", 1, Decimal("80.00"), Decimal("80.00")] in [r[1:7] for r in rows]
    assert rows[-1][1] == "合计" and rows[-1][6] == Decimal("320.00")
    days = [[c.value for c in r] for r in sessions.iter_rows(min_row=3)]
    assert any(r[1] == "胡娜静" and str(r[4])[:10] == "2026-11-30" and r[5] == "301教室" for r in days)


async def test_only_the_office_and_admin_see_or_set_pay(office: Office) -> None:
    clerk = await a_week_with_taps(office, "admin")
    await set_rates(clerk)
    for username in ("leader", "teacher1a", "duty301", "guard1"):
        browser = await office.browser(username)
        status, page = await browser.get("/office/pay?period=2026-11")
        assert status == 403 and "pay-table" not in page, username
        assert (await browser.get("/office/pay.xlsx?period=2026-11"))[0] == 403
        assert (await browser.post("/office/pay/rate", {"role": "guard", "service": "", "yuan": "1"}))[
            0
        ] == 403
    assert (await clerk.post("/office/pay/rate", {"role": "guard", "service": "", "yuan": "1"}, csrf=False))[
        0
    ] == 403
    assert stored(office, "SELECT COUNT(*) FROM office_pay_rates") == [(4,)]


# -- the property: Σ sessions served × rate, through the store, the view and the pages' code ----------

SAMPLE = school()
WEEK = [date(2026, 11, 30) + timedelta(days=n) for n in range(5)]
ROOMS = {"r301": "t01", "r302": "t02", "r303": "t03", "r304": "t04"}
COACH = Person("c01", "赵教练", external=True)
PEOPLE = {s.id: Person(s.id, s.name) for s in SAMPLE.staff.values()} | {"c01": COACH}
PATTERN = DayPattern(("t05", "t06"), ("t07", "t08"), {("evening", room): who for room, who in ROOMS.items()})
ROTA = build(dict.fromkeys(range(5), PATTERN), SAMPLE.services, SAMPLE.calendar, PEOPLE, WEEK[0], WEEK[-1])
POSTS = [(d.person_id, d.day, d.role, d.service_id, d.room_id) for d in ROTA.duties]
PAIRS = [("leader", ""), ("guard", ""), ("teacher", "evening")]
LATER = EVENING + timedelta(days=7)  # the week's events reach the server after it, none "in the future"
START = {day: datetime(day.year, day.month, day.day, 18, 15, tzinfo=TZ) for day in WEEK}

# A card at the post (a teacher at her room's reader, a leader or guard at the gate), minutes from 18:15
arrivals = st.dictionaries(st.sampled_from(POSTS), st.integers(-30, 40), max_size=len(POSTS))
fixes = st.lists(
    st.tuples(st.sampled_from(POSTS), st.sampled_from(list(Status)), st.sampled_from(["t01", "t03", "t06", "c01"])),
    max_size=8,
)  # fmt: skip
rates = st.lists(st.tuples(st.sampled_from(PAIRS), st.integers(0, 500_00)), min_size=len(PAIRS), max_size=8)


def _post(person: str, post: tuple[str, date, Role, str, str]) -> tuple[str, date, Role, str, str]:
    return (person, *post[1:])


def expected(
    arrived: dict[Any, int], corrections: list[Any], rate: dict[tuple[str, str], int]
) -> dict[str, int]:
    """What each person is owed, worked out from the scenario itself, not by the pages' code."""
    served = {post: True for post in POSTS if post in arrived}  # on time or late: served
    latest = {}
    for post, status, by in corrections:
        if status is Status.COVERED and (by == post[0] or post[2] is not Role.TEACHER):
            continue  # not generated: see `scenario`
        latest[post] = (status, by)
    owed: dict[str, int] = {}
    covering = []
    for post in POSTS:
        status, by = latest.get(post, (None, ""))
        paid = served.get(post, False) if status is None else status in (Status.ON_TIME, Status.LATE)
        if status is Status.COVERED:
            covering.append(_post(by, post))
            paid = False
        if paid:
            owed[post[0]] = owed.get(post[0], 0) + rate[(post[2].value, post[3])]
    for post in covering:  # the one covering: her card was never at that room, so the office's word stands
        owed[post[0]] = owed.get(post[0], 0) + rate[(post[2].value, post[3])]
    return owed


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrived=arrivals, corrections=fixes, set_rates=rates)
def test_the_allocation_is_the_sessions_served_times_the_rates(
    arrived: dict[Any, int], corrections: list[Any], set_rates: list[tuple[tuple[str, str], int]]
) -> None:
    corrections = [(p, s, by) for p, s, by in corrections
                   if s is not Status.COVERED or (by != p[0] and p[2] is Role.TEACHER)]  # fmt: skip
    rate = dict(set_rates)
    for pair in PAIRS:
        rate.setdefault(pair, 100)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "server.sqlite3"
        store = ServerStore.open(path, TZ)
        try:
            datasets.add_versions(store.db, school_to_datasets(SAMPLE), "sample", EVENING)
            rota_store.save(store.db, Held(ROTA, {}, (COACH,), "", "", ""), "build", "office:a", EVENING, {})
            events = []
            for n, (post, minutes) in enumerate(sorted(arrived.items(), key=str), start=1):
                person, day, role, _, room = post
                when = START[day] + timedelta(minutes=minutes)
                reader = f"room-{room}" if room else "gate-in"
                events.append(staff_event(n, (person, when.strftime("%H:%M"), reader, Outcome.STAFF_ON_DUTY, {}),
                                          day.isoformat()))  # fmt: skip
            store.switch_epoch("gate-1", "e1", 0, EVENING)
            if events:
                store.ingest("gate-1", Batch(0, Page("e1", len(events), len(events), False, events)), LATER)
            for post, status, by in corrections:
                person, day, role, service, room = post
                fix = Correction(person, day, role, status, "教务", "更正", service, room,
                                 by if status is Status.COVERED else "", 7 if status is Status.LATE else 0)  # fmt: skip
                staff_store.add_correction(store.db, fix, "office:a", EVENING)
            for (role, service), fen in [
                *set_rates,
                *((p, rate[p]) for p in PAIRS if p not in dict(set_rates)),
            ]:
                staff_store.set_rate(store.db, role, service, fen, "office:a", "教务", EVENING)
            held, rows = rota_store.latest(store.db), staff_store.corrections(store.db, WEEK[0], WEEK[-1])
            held_rates = staff_store.rates(store.db)
        finally:
            store.close()
        view = SchoolView(path, TZ).open()
        rooms = {f"gate-1/{r['id']}": r.get("room", "") for r in READERS if r.get("room")}
        try:

            def allocation(first: date, last: date) -> Any:
                staff = staffing_of(
                    held, rows, view.school, lambda days: evidence(view, days, rooms), TZ, first, last
                )
                found, problems = allocation_of(staff, held_rates, first, last)
                assert problems == () and found is not None
                return found

            week = allocation(WEEK[0], WEEK[-1])
            november, december = (
                allocation(date(2026, 11, 1), date(2026, 11, 30)),
                allocation(date(2026, 12, 1), date(2026, 12, 31)),
            )
        finally:
            view.close()
    owed = expected(arrived, corrections, rate)
    assert {p: week.person_total(p) for p in {ln.person_id for ln in week.lines}} == {
        p: f for p, f in owed.items()
    }
    assert week.total_fen == sum(owed.values())
    assert all(ln.amount_fen == len(ln.sessions) * rate[(ln.role, ln.service_id)] for ln in week.lines)
    assert november.total_fen + december.total_fen == week.total_fen  # the months add up to the term
