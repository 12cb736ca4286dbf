"""The staff attendance page through the real server: marks from staff cards and sign-offs stored as a device's
events (ingested as the puller stores them), the tap or sign-off behind each, corrections as new rows (the
latest wins, a tap is never edited), a cover after the fact, each refusal by name, who may, CSRF, the XLSX."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

import openpyxl
import pytest

from edge.core.codec import event_to_json
from edge.core.model import Event, EventKind, Outcome
from sync.page import Page
from sync.status import DeviceStatus
from sync.store import Batch, ServerStore
from tests import pgstore
from tests.api.conftest import school
from tests.office.conftest import Office
from tests.office.test_rota_page import week_form
from tests.sync.conftest import EVENING

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)

MONDAY = "2026-11-30"
DAY = f"?first={MONDAY}&last={MONDAY}"
# The sample school's staff: t01–t04 teach evening study in r301–r304, t05/t06 lead, t07/t08 guard.
NAMES = {s.id: s.name for s in school().staff.values()}  # t01 胡娜静, t02 王慧佳, t03 周欣妍, t04 金媛, …
READERS = [{"id": f"room-{r}", "role": "room", "room": r} for r in ("r301", "r302", "r303", "r304")] + [
    {"id": "gate-in", "role": "gate-in"}
]

BOOTED = datetime.fromisoformat("2026-11-01T06:00:00+08:00")
Tap = tuple[str, str, str, Outcome, dict[str, Any]]  # (staff id, HH:MM on Monday, reader, outcome, data)
# Evening study runs 18:15–19:30; on time up to 18:20 (attendance.LATE_AFTER).
TAPS: list[Tap] = [
    (
        "t01",
        "18:05",
        "room-r301",
        Outcome.STAFF_ON_DUTY,
        {},
    ),  # at her room's reader, before the start: on time
    ("t02", "18:27", "room-r302", Outcome.STAFF_ON_DUTY, {}),  # 12 minutes late
    (
        "t03",
        "18:40",
        "",
        Outcome.REPORT_SIGNED,
        {"session": f"{MONDAY}.evening.r303"},
    ),  # signed at the console only
    ("t05", "17:50", "gate-in", Outcome.STAFF_ON_DUTY, {}),  # a duty leader through the gate
    ("t07", "17:30", "gate-in", Outcome.STAFF_ON_DUTY, {}),  # a guard
]  # t04, t06 and t08 tap nothing: absent


def at(hhmm: str, day: str = MONDAY) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+08:00")


def since_boot(when: datetime) -> int:
    """The device's time since boot at `when`, consistent with its clock (the store re-bases on it)."""
    return int((when - BOOTED).total_seconds()) * 1_000_000_000


def staff_event(seq: int, tap: Tap, day: str = MONDAY) -> dict[str, Any]:
    person, hhmm, reader, outcome, data = tap
    kind = EventKind.SIGN if outcome is Outcome.REPORT_SIGNED else EventKind.TAP
    event = Event(f"staff-{day}-{seq}", kind, outcome, at(hhmm, day), "gate-1", reason="console" if not reader else "",
                  reader_id=reader, card_uid="AB12CD34" if reader else "", subject=person, data=data, boot_id="b1",
                  boottime_ns=since_boot(at(hhmm, day)), clock_trusted=True, epoch="e1", seq=seq)  # fmt: skip
    return event_to_json(event)


async def ingest(office: Office, events: list[dict[str, Any]]) -> None:
    """The events stored as the puller stores a device's page, the device's readers known from its health."""

    def store_them(store: ServerStore) -> None:
        cursor = store.cursor("gate-1")
        after = cursor.after if cursor else 0
        if cursor is None:
            store.switch_epoch("gate-1", "e1", 0, EVENING)
        numbered = [e | {"seq": after + n} for n, e in enumerate(events, start=1)]
        last = after + len(events)
        store.ingest("gate-1", Batch(after, Page("e1", last, last, False, numbered)), EVENING)

    await office.school.writer.run(store_them)
    office.school.statuses["gate-1"] = DeviceStatus("gate-1", health={"readers": READERS})
    await office.school.refresh()


async def a_week_with_taps(office: Office, username: str = "office1") -> Any:
    """The rota page's week built by the office, and Monday's staff cards stored: the office's browser."""
    clerk = await office.browser(username)
    await clerk.get("/office/rota")
    status, _ = await clerk.post("/office/rota/build", week_form())
    assert status == 200
    await ingest(office, [staff_event(n, tap) for n, tap in enumerate(TAPS, start=1)])
    return clerk


def row(page: str, person: str, day: str = MONDAY) -> str:
    """The table row of `person`'s post on `day` (her first, when she holds two)."""
    found = re.search(rf'<tr data-post="{person}\|{day}\|[^"]*"[^>]*>(.*?)</tr>', page, re.S)
    assert found, f"no row for {person} on {day}"
    return re.sub(r"<[^>]+>", " ", found.group(1))


def post_of(page: str, person: str, day: str = MONDAY) -> str:
    found = re.search(rf'data-post="({person}\|{day}\|[^"]*)"', page)
    assert found
    return found.group(1)


def stored(office: Office, sql: str) -> list[tuple[Any, ...]]:
    return pgstore.rows(office.school.config.store, sql)


async def test_each_mark_shows_the_tap_or_sign_off_behind_it(office: Office) -> None:
    clerk = await a_week_with_taps(office)
    status, page = await clerk.get(f"/office/attendance{DAY}")
    assert status == 200
    assert "准时" in row(page, "t01") and "18:05 刷卡(301教室)" in row(page, "t01")
    assert "迟到 12 分钟" in row(page, "t02") and "18:27 刷卡(302教室)" in row(page, "t02")
    assert "迟到 25 分钟" in row(page, "t03") and "18:40 签字(303教室)" in row(
        page, "t03"
    )  # the sign-off's time
    assert "缺勤" in row(page, "t04") and "晚自习 304教室" in row(page, "t04")
    assert (
        "准时" in row(page, "t05") and "17:50 刷卡(校门)" in row(page, "t05") and "全天" in row(page, "t05")
    )
    assert "缺勤" in row(page, "t06") and "缺勤" in row(page, "t08")
    assert "evening" not in re.sub(
        r'data-post="[^"]*"|href="[^"]*"|value="[^"]*"', "", page
    )  # names, not ids
    status, english = await clerk.get(f"/office/attendance{DAY}&lang=en")
    assert "12 min late" in row(english, "t02") and "card at 18:05 (301教室)" in row(english, "t01")


async def test_a_card_at_a_reader_whose_room_is_unknown_counts_as_the_gate(office: Office) -> None:
    """A teacher's card at a room reader the server has no health for is no arrival at her room; a duty
    leader's card anywhere is (the module's decision)."""
    clerk = await a_week_with_taps(office)
    await ingest(office, [staff_event(1, ("t04", "18:00", "room-music", Outcome.STAFF_ON_DUTY, {})),
                          staff_event(2, ("t06", "18:01", "room-music", Outcome.STAFF_ON_DUTY, {}))])  # fmt: skip
    status, page = await clerk.get(f"/office/attendance{DAY}")
    assert (
        "缺勤" in row(page, "t04") and "准时" in row(page, "t06") and "18:01 刷卡(校门)" in row(page, "t06")
    )


async def test_a_correction_is_a_new_row_the_latest_wins_and_no_tap_is_edited(office: Office) -> None:
    clerk = await a_week_with_taps(office)
    events_before = stored(office, "SELECT uuid, outcome, at FROM events ORDER BY id")
    _, page = await clerk.get(f"/office/attendance{DAY}")
    post = post_of(page, "t02")
    status, fix = await clerk.get(f"/office/attendance{DAY}&fix={post}")
    assert "更正 王慧佳 2026-11-30 的考勤" in fix and 'id="correct-form"' in fix
    status, page = await clerk.post("/office/attendance/correct", {
        "post": post, "status": "on_time", "reason": "读卡器故障,值日领导证明 18:10 已到", "first": MONDAY, "last": MONDAY})  # fmt: skip
    assert status == 200 and "已更正 王慧佳 2026-11-30 的考勤" in page
    assert "准时" in row(page, "t02") and "教务 王老师 更正:读卡器故障" in row(page, "t02")
    assert "18:27 刷卡(302教室)" in row(page, "t02")  # the tap is still what it was
    status, page = await clerk.post("/office/attendance/correct", {
        "post": post, "status": "late", "minutes_late": "9", "reason": "监控显示 18:24 到", "first": MONDAY, "last": MONDAY})  # fmt: skip
    assert "迟到 9 分钟" in row(page, "t02")
    history = page[page.index('id="correction-history"') :]
    assert history.index("监控显示") < history.index("读卡器故障")  # newest first, the earlier one kept
    assert stored(office, "SELECT status, minutes_late, actor, actor_name FROM office_attendance_corrections ORDER BY id") == [
        ("on_time", 0, "office:office1", "教务 王老师"), ("late", 9, "office:office1", "教务 王老师")]  # fmt: skip
    assert stored(office, "SELECT uuid, outcome, at FROM events ORDER BY id") == events_before


async def test_covered_by_a_colleague_after_the_fact_moves_the_post_to_her(office: Office) -> None:
    clerk = await a_week_with_taps(office)
    _, page = await clerk.get(f"/office/attendance{DAY}")
    post = post_of(page, "t04")
    status, page = await clerk.post("/office/attendance/correct", {
        "post": post, "status": "covered", "covered_by": "t06", "reason": "金媛病假,蔡轩依代班", "first": MONDAY, "last": MONDAY})  # fmt: skip
    assert status == 200
    assert "由 蔡轩依 代班" in row(page, "t04")
    covering = re.search(
        rf'<tr data-post="t06\|{MONDAY}\|teacher\|evening\|r304"[^>]*>(.*?)</tr>', page, re.S
    )
    assert covering and "准时" in covering.group(1) and "金媛病假" in covering.group(1)


async def test_each_refusal_says_what_is_wrong_and_stores_nothing(office: Office) -> None:
    clerk = await a_week_with_taps(office)
    _, page = await clerk.get(f"/office/attendance{DAY}")
    post = post_of(page, "t01")
    base = {"post": post, "first": MONDAY, "last": MONDAY}
    cases = [
        ({"post": "t04|2026-12-05|teacher|evening|r304", "status": "absent", "reason": "x"}, "金媛 在 2026-12-05 没有这个岗位,不能更正"),
        ({"status": "covered", "covered_by": "", "reason": "病假"}, "请写明代班人"),
        ({"status": "covered", "covered_by": "t01", "reason": "病假"}, "胡娜静 不能为自己代班"),
        ({"status": "absent", "reason": "  "}, "请写明更正理由"),
        ({"status": "late", "minutes_late": "abc", "reason": "迟到"}, "迟到分钟数“abc”无效"),
        ({"status": "gone", "reason": "x"}, "请选择考勤结果"),
        ({"post": "nonsense", "status": "absent", "reason": "x"}, "请在表中选择要更正的考勤"),
    ]  # fmt: skip
    for form, message in cases:
        status, page = await clerk.post("/office/attendance/correct", base | form)
        assert status == 422 and message in page, (form, message)
    assert stored(office, "SELECT COUNT(*) FROM office_attendance_corrections") == [(0,)]


async def test_the_office_corrects_a_duty_leader_looks_others_may_not(office: Office) -> None:
    clerk = await a_week_with_taps(office)
    _, page = await clerk.get(f"/office/attendance{DAY}")
    post = post_of(page, "t01")
    leader = await office.browser("leader")
    status, page = await leader.get(f"/office/attendance{DAY}")
    assert status == 200 and "胡娜静" in page and "/office/attendance/correct" not in page
    assert (
        await leader.post("/office/attendance/correct", {"post": post, "status": "absent", "reason": "x"})
    )[0] == 403
    for username in ("teacher1a", "duty301", "guard1"):
        browser = await office.browser(username)
        status, page = await browser.get(f"/office/attendance{DAY}")
        assert status == 403 and "attendance-table" not in page and "王慧佳" not in page, username
        assert (await browser.get(f"/office/attendance.xlsx{DAY}"))[0] == 403
    status, _ = await clerk.post("/office/attendance/correct", {"post": post, "status": "absent", "reason": "x"},
                                 csrf=False)  # fmt: skip
    assert status == 403
    assert stored(office, "SELECT COUNT(*) FROM office_attendance_corrections") == [(0,)]
    status, page = await clerk.get("/office/attendance?first=2026-12-04&last=2026-11-30")
    assert status == 400 and "结束日期须不早于开始日期" in page


async def test_the_week_as_xlsx_names_people_and_posts(office: Office) -> None:
    clerk = await a_week_with_taps(office)
    response = await clerk.client.get("/office/attendance.xlsx?first=2026-11-30&last=2026-12-04")
    assert response.status == 200
    book = openpyxl.load_workbook(io.BytesIO(await response.read()))
    cells = [[c.value for c in r] for r in book.worksheets[0].iter_rows(min_row=3)]
    monday_t02 = next(r for r in cells if r[1] == "王慧佳" and str(r[0])[:10] == MONDAY)
    assert monday_t02[2:8] == ["责任教师", "晚自习", "302教室", "迟到 12 分钟", "18:27", 12]
    assert sum(1 for r in cells if r[1] == "金媛") == 5  # Monday to Friday, one post a day
    assert "2026-11-30 至 2026-12-04 教职工考勤" in str(book.worksheets[0]["A1"].value)
