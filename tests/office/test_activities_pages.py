"""The activities page through the real server app: a teacher's weekly record, the office's not-filed list,
care notes on the day page, and the term archive as XLSX and PDF (issue 14)."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from sync.office import accounts
from sync.office.accounts import User
from sync.store import ServerStore
from tests.office.conftest import CLASS_B, PASSWORD, Office
from tests.office.test_pages import audit_rows
from tests.sync.conftest import EVENING

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)

# Monday 2026-11-30 is in week 49 of the sample school's term 2026-09-01 – 2027-01-20.
CALLIGRAPHY = {"name": "书法组", "room_id": "r301", "teacher_id": "t01", "students": []}  # 胡娜静 (duty301)
PAINTING = {"name": "绘画组", "room_id": "art", "teacher_id": "t02", "students": []}  # 王慧佳
RECORD = {"group": "evening.r301", "week": "2026-W49", "category": ["tutoring", "reading"],
          "text": "临摹《九成宫》楷书,每人完成一页"}  # fmt: skip


async def form_groups(office: Office) -> None:
    """Two confirmed formations, as the formation page leaves them, and a homeroom teacher with a staff id."""

    def write(store: ServerStore) -> None:
        for service, group in (("evening", CALLIGRAPHY), ("clubs", PAINTING)):
            store.db.execute(
                "INSERT INTO office_formations (service_id, groups, confirmed_by, confirmed_at, enrolments_version) "
                "VALUES (?, ?, 'office:office1', ?, 1)",
                [service, json.dumps([group], ensure_ascii=False), EVENING.isoformat()],
            )
        accounts.add_user(store.db, User("teacher_t02", "王慧佳", "homeroom", class_name=CLASS_B, staff_id="t02"),
                          PASSWORD, EVENING)  # fmt: skip

    await office.school.writer.run(write)


async def test_a_teacher_files_her_week_and_the_office_s_not_filed_list_shrinks(office: Office) -> None:
    await form_groups(office)
    teacher = await office.browser("duty301")
    status, body = await teacher.get("/office/activities")
    assert status == 200 and 'value="evening.r301"' in body and 'value="clubs.art"' not in body
    assert "本学期 2026-09-01 至 2027-01-20" in body
    assert 'value="2026-W49" selected' in body and 'value="2026-W50"' not in body  # this week, none to come
    clerk = await office.browser("office1")
    _, before = await clerk.get("/office/activities")
    assert "书法组:2026-W49 未填写活动记录(责任教师 胡娜静)" in before
    assert "书法组:2026-W48 未填写活动记录" in before
    assert 'value="evening.r301"' not in before  # the office reads; the teacher files
    response = await teacher.client.post("/office/activities", data={"csrf": teacher.csrf, **RECORD},
                                         allow_redirects=False)  # fmt: skip
    assert response.status == 303
    _, page = await teacher.get(response.headers["Location"])
    assert "已提交 书法组 2026 年第 49 周 的活动记录" in page and "课业指导、阅读" in page
    _, after = await clerk.get("/office/activities")
    assert "书法组:2026-W49 未填写活动记录" not in after and "书法组:2026-W48 未填写活动记录" in after
    assert "临摹《九成宫》楷书" in after
    [filed] = [json.loads(r["what"]) for r in audit_rows(office) if "activity_record" in r["what"]]
    assert filed == {"activity_record": "evening.r301", "week": "2026-W49", "categories": ["tutoring", "reading"],
                     "chars": len(RECORD["text"])}  # fmt: skip
    assert [r["actor"] for r in audit_rows(office) if "activity_record" in r["what"]] == [
        "duty_teacher:duty301"
    ]


async def test_a_week_filed_twice_and_bad_records_are_refused_in_the_reader_s_language(
    office: Office,
) -> None:
    await form_groups(office)
    teacher = await office.browser("duty301")
    await teacher.get("/office/activities")
    assert (await teacher.post("/office/activities", RECORD))[0] == 200
    status, body = await teacher.post("/office/activities", RECORD | {"text": "又一次"})
    assert status == 422 and "书法组:2026-W49 已有活动记录,请修改原记录" in body
    assert "又一次" in body  # what she typed is kept
    status, body = await teacher.post("/office/activities", RECORD | {"week": "2026-W48", "category": []})
    assert status == 422 and "书法组:请至少选择一项活动内容" in body
    status, body = await teacher.post(
        "/office/activities", RECORD | {"week": "2026-W48", "category": ["cooking"]}
    )
    assert status == 422 and "没有这项活动内容:cooking" in body
    status, body = await teacher.post("/office/activities", RECORD | {"week": "2026-W50"})
    assert status == 422 and "尚未开始" in body
    status, body = await teacher.post("/office/activities", RECORD | {"week": "2026-W30"})
    assert status == 422 and "不在本学期(2026-09-01 至 2027-01-20)内" in body
    status, body = await teacher.post("/office/activities", RECORD | {"week": "2026-W77"})
    assert status == 422 and "请选择本学期已开始的一周" in body
    status, body = await teacher.post(
        "/office/activities", RECORD | {"week": "2026-W48", "text": "字" * 2001}
    )
    assert status == 422 and "不能超过 2000 字" in body
    await teacher.get("/office/activities?lang=en")
    status, body = await teacher.post("/office/activities", RECORD)
    assert status == 422 and "书法组: 2026-W49 already has a record; change that one" in body
    stored = [json.loads(r["what"]) for r in audit_rows(office) if "activity_record" in r["what"]]
    assert len(stored) == 1


async def test_a_teacher_sees_and_files_only_her_own_groups(office: Office) -> None:
    await form_groups(office)
    duty = await office.browser("duty301")
    await duty.get("/office/activities")
    assert (await duty.post("/office/activities", RECORD | {"group": "clubs.art"}))[0] == 403
    assert (await duty.get("/office/activities/archive.pdf?group=evening.r301"))[0] == 403
    painter = await office.browser("teacher_t02")
    _, body = await painter.get("/office/activities")
    assert 'value="clubs.art"' in body and "书法组" not in body
    status, _ = await painter.post("/office/activities", RECORD | {"group": "clubs.art", "week": "2026-W48"})
    assert status == 200
    no_staff_id = await office.browser("teacher1a")
    _, body = await no_staff_id.get("/office/activities")
    assert "您还不是任何活动小组的责任教师" in body and "/office/activities" in body
    assert (await no_staff_id.post("/office/activities", RECORD))[0] == 403
    guard = await office.browser("guard1")
    assert (await guard.get("/office/activities"))[0] == 403
    assert "/office/activities" not in (await guard.get("/office/"))[1]


async def test_a_care_note_shows_under_its_room_s_zero_report_and_only_its_teacher_writes_it(
    office: Office,
) -> None:
    duty = await office.browser("duty301")
    _, body = await duty.get("/office/activities")
    assert 'value="2026-11-30.evening.r301"' in body and ".r302" not in body
    status, body = await duty.post(
        "/office/activities/care", {"session": "2026-11-30.evening.r301", "care": "  "}
    )
    assert status == 422 and "2026-11-30 301教室:看管记录没有内容" in body
    note = "全部到齐,张三 18:40 由奶奶接走"
    status, _ = await duty.post(
        "/office/activities/care", {"session": "2026-11-30.evening.r301", "care": note}
    )
    assert status == 200
    status, _ = await duty.post(
        "/office/activities/care", {"session": "2026-11-30.evening.r302", "care": "x"}
    )
    assert status == 403
    homeroom = await office.browser("teacher1a")
    await homeroom.get("/office/activities")
    assert (
        await homeroom.post("/office/activities/care", {"session": "2026-11-30.evening.r301", "care": "x"})
    )[0] == 403
    leader = await office.browser("leader")
    _, table = await leader.get("/office/day/table?date=2026-11-30")
    sections = table.split("<section")
    [r301] = [s for s in sections if "301教室" in s and "晚自习" in s]
    assert "看管记录</b> 18:20 胡娜静:全部到齐,张三 18:40 由奶奶接走" in r301
    assert sum("全部到齐" in s for s in sections) == 1  # under its own room only
    assert "全部到齐" not in (await leader.get("/office/day/table?date=2026-12-01"))[1]
    [noted] = [json.loads(r["what"]) for r in audit_rows(office) if "care_note" in r["what"]]
    assert noted == {"care_note": "2026-11-30.evening.r301", "chars": len(note)}


async def test_the_term_archive_downloads_as_xlsx_and_pdf_for_the_office(
    office: Office, tmp_path: Path
) -> None:
    await form_groups(office)
    duty = await office.browser("duty301")
    await duty.get("/office/activities")
    await duty.post("/office/activities", RECORD)
    await duty.post(
        "/office/activities/care", {"session": "2026-11-30.evening.r301", "care": "全部由家长接走"}
    )
    clerk = await office.browser("office1")
    _, page = await clerk.get("/office/activities")
    assert "/office/activities/archive.pdf?group=evening.r301" in page
    assert "/office/activities/archive.xlsx?group=evening.r301" in page
    response = await clerk.client.get("/office/activities/archive.xlsx?group=evening.r301")
    assert (
        response.status == 200
        and "archive-evening.r301-2026-09-01.xlsx" in response.headers["Content-Disposition"]
    )
    book = openpyxl.load_workbook(io.BytesIO(await response.read()))
    assert [s.title for s in book.worksheets] == ["概况", "活动记录", "学生出勤", "零报告", "看管记录"]
    assert book.worksheets[0]["A1"].value == "书法组 期末存档(2026-09-01 至 2027-01-20)"
    cells = {
        str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row if c.value is not None
    }
    assert (
        "临摹《九成宫》楷书,每人完成一页" in cells
        and "全部由家长接走" in cells
        and "2026 年第 49 周" in cells
    )
    reports = list(book.worksheets[3].iter_rows(min_row=3, values_only=True))
    assert len(reports) > 40  # every school day of the term so far, one evening study each
    pupils = list(book.worksheets[2].iter_rows(min_row=3, values_only=True))
    assert len(pupils) == 38  # evening study in 301: the sample school's 38
    response = await clerk.client.get("/office/activities/archive.pdf?group=evening.r301")
    if response.status == 409:
        pytest.skip("no CJK font on this machine (fonts-noto-cjk)")
    data = await response.read()
    assert response.status == 200 and data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        (tmp_path / "archive.pdf").write_bytes(data)
        found = (await asyncio.to_thread(subprocess.run, ["pdftotext", str(tmp_path / "archive.pdf"), "-"],
                                         capture_output=True, text=True, check=True)).stdout  # fmt: skip
        for words in ("书法组 期末存档", "临摹《九成宫》楷书", "2026 年第 49 周", "课业指导、阅读", "全部由家长接走",
                      "责任教师签字", "学校审核签字"):  # fmt: skip
            assert words in found, words
    assert (await clerk.get("/office/activities/archive.pdf?group=nobody.r1"))[0] == 404
    reads = [json.loads(r["what"]) for r in audit_rows(office) if '"archive"' in r["what"]]
    assert [r["archive"] for r in reads] == ["evening.r301", "evening.r301", "evening.r301"][: len(reads)]
    assert len(reads[0]["students"]) == 38
