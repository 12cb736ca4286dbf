"""The uploads page for the school's settings: rooms, staff, services with their timetables, the calendar.

On the real school server (its app, store and view): each kind's sample file (the page's 模板) and an
English-headed XLSX are accepted as the next version of their dataset; a bad row is `file:line: reason`
in the page's language and nothing is stored; only the office (and admin) may; a post without CSRF is 403.
"""

from __future__ import annotations

import io
import json
from datetime import date, time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.core.model import CardKind, Dismissal, StaffRole
from edge.files import settings
from edge.files.tabular import RosterError, write_table
from tests import pgstore
from tests.api.conftest import school
from tests.office.conftest import Office
from tests.office.test_pages import audit_rows

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)


def held(office: Office) -> dict[str, tuple[int, Any]]:
    """Each dataset's latest version and rows, read from the server's database."""
    rows = pgstore.rows(
        office.school.config.store,
        "SELECT name, version, body FROM dataset_versions v "
        "WHERE version = (SELECT MAX(version) FROM dataset_versions WHERE name = v.name)",
    )
    return {name: (version, json.loads(body)) for name, version, body in rows}


def capacities(office: Office) -> dict[str, int]:
    return dict(pgstore.rows(office.school.config.store, "SELECT room_id, capacity FROM office_rooms"))


def upload_form(csrf: str, kind: str, name: str, data: bytes) -> aiohttp.FormData:
    form = aiohttp.FormData()
    if csrf:
        form.add_field("csrf", csrf)
    form.add_field("kind", kind)
    form.add_field("file", io.BytesIO(data), filename=name)
    return form


async def send(office: Office, kind: str, name: str, data: bytes, lang: str = "") -> tuple[int, str]:
    clerk = await office.browser("office1")
    await clerk.get("/office/uploads" + (f"?lang={lang}" if lang else ""))
    return await clerk.post("/office/uploads", upload_form(clerk.csrf, kind, name, data))


@pytest.mark.parametrize("kind", ["rooms", "staff", "services", "calendar"])
async def test_each_sample_is_the_next_version_of_its_dataset(office: Office, kind: str) -> None:
    before = held(office)
    clerk = await office.browser("office1")
    status, page = await clerk.get("/office/uploads")
    assert status == 200 and f'href="/office/uploads/sample/{kind}.csv"' in page
    response = await clerk.client.get(f"/office/uploads/sample/{kind}.csv")
    sample = await response.read()
    assert (
        response.status == 200
        and sample.startswith("\ufeff".encode())
        and response.content_type == "text/csv"
    )
    status, page = await clerk.post("/office/uploads", upload_form(clerk.csrf, kind, f"{kind}.csv", sample))
    assert status == 200, page
    after = held(office)
    name = "staff" if kind == "staff" else kind
    assert after[name][0] > before[name][0]
    assert f"{name} v{after[name][0]}" in page
    rows = after[name][1]
    if kind == "rooms":
        assert [r["id"] for r in rows] == ["r301", "r302", "lab1"]
        assert capacities(office)["r301"] == 45 and "lab1" not in capacities(office)
    elif kind == "staff":
        assert {r["id"]: r["role"] for r in rows} == {
            "t01": "duty_teacher",
            "t05": "duty_leader",
            "t07": "guard",
        }
        cards = after["cards"][1]
        staff_cards = {c["uid"]: c["holder_id"] for c in cards if c["kind"] == "staff"}
        assert staff_cards == {"C77A0D47": "t01", "04E4E60B": "t07"}
        # Pupils' and guardians' cards are untouched by a staff file.
        others = sorted((c for c in before["cards"][1] if c["kind"] != "staff"), key=lambda c: c["uid"])
        assert [c for c in cards if c["kind"] != "staff"] == others
    elif kind == "services":
        by_id = {r["id"]: r for r in rows}
        assert len(by_id["midday"]["rules"]) == 2 and by_id["midday"]["dismissal"] == "to_lessons"
        assert (
            by_id["clubs"]["rules"][0]["weekdays"] == [2, 4] and by_id["summer"]["school_days_only"] is False
        )
    else:
        assert rows["makeup_days"] == {"2026-09-20": 0, "2026-10-10": 4}
        assert "2026-10-04" in rows["holidays"] and rows["terms"] == [["2026-09-01", "2027-01-20"]]
    assert any(f'"upload": "{kind}"' in r["what"] and "versions" in r["what"] for r in audit_rows(office))
    # The view has the new version: the page shows what is current.
    _, page = await clerk.get("/office/uploads")
    assert f"({'第 ' + str(after[name][0]) + ' 版'})" in page


async def test_an_english_xlsx_of_services_keeps_a_service_s_minutes(office: Office, tmp_path: Path) -> None:
    path = tmp_path / "services.xlsx"
    header = ["service_id", "name", "days", "start", "end", "from", "to", "dismissal"]
    write_table(path, header, [["evening", "Evening study", "Mon-Fri", "18:00", "19:45", "2026-09-01", "2027-01-20", "pickup"],
                               ["evening", "Evening study", "Sat", "09:00", "10:00", "2026-09-01", "2027-01-20", ""]])  # fmt: skip
    status, page = await send(office, "services", path.name, path.read_bytes(), lang="en")
    assert status == 200 and "services v" in page, page
    (evening,) = held(office)["services"][1]
    assert evening["name"] == "Evening study" and [r["weekdays"] for r in evening["rules"]] == [
        [0, 1, 2, 3, 4],
        [5],
    ]
    assert evening["late_after_min"] == 5 and evening["report_due_min"] == 30  # kept from the held service


BAD_FILES = {
    "rooms": ("教室编号,教室名称,容量\nr301,301教室,45\nr302,302教室,四十\n", "rooms.csv:3: 容量 '四十' 不是大于 0 的整数"),
    "staff": ("工号,姓名,岗位,卡号\nt01,胡娜静,值日老师,\nt02,王慧佳,校长,\n", "staff.csv:3: 岗位 '校长' 不是 值日老师/值日领导/门卫"),
    "services": ("服务编号,服务名称,星期,开始时间,结束时间,生效日期,截止日期\n"
                 "evening,晚自习,1-5,18:15,19:30,2026-09-01,2027-01-20\nevening,晚自习,1-5,19:30,18:15,2026-09-01,2027-01-20\n",
                 "services.csv:3: 结束时间 '18:15' 不晚于 开始时间 '19:30'"),
    "calendar": ("类型,开始日期,结束日期,按星期\n假期,2026-10-01,2026-10-07,\n调休,2026-10-10,,\n",
                 "calendar.csv:3: 按星期 为空:调休日须写明按星期几上课"),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
async def test_a_bad_row_is_file_line_reason_and_nothing_is_stored(office: Office, kind: str) -> None:
    text, expected = BAD_FILES[kind]
    before, rooms_before = held(office), capacities(office)
    status, page = await send(office, kind, f"{kind}.csv", text.encode())
    assert status == 422
    assert f"<li>{expected}</li>" in page.replace("&#39;", "'"), page
    assert held(office) == before and capacities(office) == rooms_before
    assert any(
        f'"upload": "{kind}"' in r["what"] and '"problems": 1' in r["what"] for r in audit_rows(office)
    )


async def test_the_reasons_are_english_on_request(office: Office) -> None:
    status, page = await send(office, "rooms", "rooms.csv", BAD_FILES["rooms"][0].encode(), lang="en")
    assert status == 422 and "rooms.csv:3: 容量 &#39;四十&#39; is not a whole number above 0" in page


async def test_a_staff_card_that_is_a_pupil_s_is_refused(office: Office) -> None:
    pupil_card = next(c for c in school().cards.values() if c.kind == CardKind.STUDENT)
    text = f"staff_id,name,role,card\nt01,胡娜静,duty_teacher,{pupil_card.uid}\n"
    before = held(office)
    status, page = await send(office, "staff", "staff.csv", text.encode(), lang="en")
    assert (
        status == 422
        and f"staff.csv:2: card &#39;{pupil_card.uid}&#39; is already {pupil_card.holder_id}" in page
    )
    assert held(office) == before


@pytest.mark.parametrize("username", ["teacher1a", "leader", "duty301", "guard1"])
async def test_only_the_office_may_upload_or_download(office: Office, username: str) -> None:
    other = await office.browser(username)
    before = held(office)
    status, page = await other.get("/office/uploads")
    assert status == 403 and "301教室" not in page
    status, _ = await other.get("/office/uploads/sample/rooms.csv")
    assert status == 403
    sample = settings.sample_csv("rooms")
    status, _ = await other.post("/office/uploads", upload_form(other.csrf, "rooms", "rooms.csv", sample))
    assert status == 403 and held(office) == before


async def test_a_post_without_csrf_is_refused(office: Office) -> None:
    clerk = await office.browser("office1")
    await clerk.get("/office/uploads")
    before = held(office)
    status, _ = await clerk.post(
        "/office/uploads", upload_form("", "rooms", "rooms.csv", settings.sample_csv("rooms"))
    )
    assert status == 403 and held(office) == before
    status, _ = await clerk.post(
        "/office/uploads", upload_form("forged", "rooms", "rooms.csv", settings.sample_csv("rooms"))
    )
    assert status == 403 and held(office) == before


# -- the parsers themselves -------------------------------------------------------------------------


def _file(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_problem_in_one_pass(tmp_path: Path) -> None:
    path = _file(tmp_path, "kind,date,to,weekday,colour\n")
    with pytest.raises(RosterError) as raised:
        settings.read_calendar(path, "en")
    assert raised.value.messages == [f"{path}:1: unknown column 'colour'"]
    path = _file(tmp_path, "类型,开始日期,结束日期,按星期\n"
                           "学期,2026-09-01,2027-01-20,\n学期,2026-12-01,2027-02-01,\n"
                           "假期,2026-10-01,2026-10-07,\n调休,2026-10-03,,周一\n休息,2026-01-01,,\n"
                           "假期,2026-13-01,,\n假期,2026-01-01,2026-12-31,\n")  # fmt: skip
    with pytest.raises(RosterError) as raised:
        settings.read_calendar(path)
    assert [m.removeprefix(f"{path}:") for m in raised.value.messages] == [
        "3: 与第 2 行的学期重叠",
        "5: 2026-10-03 既是假期又是调休日(见第 4 行)",
        "6: 类型 '休息' 不是 假期/调休/学期",
        "7: 开始日期 '2026-13-01' 不是日期(YYYY-MM-DD)",
        "8: 一行假期超过 100 天;寒暑假请用学期表示",
    ]


def test_staff_and_rooms_refusals(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "工号,姓名,岗位,卡号\nt01,甲,门卫,08AABBCC\nt01,乙,门卫,\nt03,,门卫,1234567890\nt04,丁,保安,zz\n",
    )
    with pytest.raises(RosterError) as raised:
        settings.read_staff(path)
    assert [m.removeprefix(f"{path}:") for m in raised.value.messages] == [
        "2: 卡号 '08AABBCC' 以 08 开头:手机或 CPU 卡每次刷卡号码都不同",
        "3: 工号 't01' 已在第 2 行出现",
        "4: 姓名 为空",
        "4: 卡号 '1234567890' 是十进制,请填写十六进制卡号",
        "5: 卡号 'zz' 不是十六进制卡号(如 E4:3A:C9:D2)",
    ]
    path = _file(tmp_path, "教室编号,教室名称\n", "r.xlsx")
    with pytest.raises(RosterError) as raised:
        settings.read_rooms(path)
    assert raised.value.messages == [f"{path}:1: 不是可读取的 Excel 工作簿"]


def test_a_service_s_rows_must_agree(tmp_path: Path) -> None:
    path = _file(tmp_path, "service_id,name,days,start,end,valid_from,valid_to,dismissal\n"
                           "midday,午间看护,1-5,12:10,13:30,2026-09-01,2026-09-30,回班上课\n"
                           "midday,午休,1-5,12:10,13:30,2026-10-01,2026-12-31,接送\n"
                           "clubs,社团,五-三,15:45,16:50,2026-09-01,2026-12-31,\n")  # fmt: skip
    with pytest.raises(RosterError) as raised:
        settings.read_services(path, "en")
    assert [m.removeprefix(f"{path}:") for m in raised.value.messages] == [
        "3: name '午休' differs from '午间看护' on line 2 (a service's rows must agree)",
        "3: dismissal '接送' differs from '回班上课' on line 2 (a service's rows must agree)",
        "4: days '五-三' is not weekdays (like 1-5, Mon-Fri, Mon,Wed,Fri)",
    ]


_DAY_NAMES = ("一", "二", "三", "四", "五", "六", "日")


@given(
    st.sets(st.integers(0, 6), min_size=1),
    st.sampled_from(["zh", "num", "en"]),
    st.sampled_from(["、", ",", " "]),
)
def test_weekdays_written_any_way_read_back_the_same(days: set[int], style: str, sep: str) -> None:
    def words(d: int) -> str:
        if style == "zh":
            return "周" + _DAY_NAMES[d]
        return str(d + 1) if style == "num" else ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d]

    assert settings._days(sep.join(words(d) for d in sorted(days))) == frozenset(days)
    first, last = min(days), max(days)
    assert settings._days(f"{words(first)}-{words(last)}") == frozenset(range(first, last + 1))


def test_the_samples_read_as_the_model(tmp_path: Path) -> None:
    for kind in ("rooms", "staff", "services", "calendar"):
        (tmp_path / f"{kind}.csv").write_bytes(settings.sample_csv(kind))
    rooms = settings.read_rooms(tmp_path / "rooms.csv")
    assert rooms[0][1] == 45 and rooms[2][1] is None
    staff, cards = settings.read_staff(tmp_path / "staff.csv")
    assert staff[1].role == StaffRole.DUTY_LEADER and [c.uid for c in cards] == ["C77A0D47", "04E4E60B"]
    services = {s.id: s for s in settings.read_services(tmp_path / "services.csv")}
    assert services["midday"].dismissal == Dismissal.TO_LESSONS and services["evening"].rules[
        0
    ].start == time(18, 15)
    calendar = settings.read_calendar(tmp_path / "calendar.csv")
    assert date(2026, 10, 7) in calendar.holidays and calendar.makeup_days[date(2026, 10, 10)] == 4
