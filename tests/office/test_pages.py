"""The office's pages through the real server app: signing in, roles, CSRF, throttling, 403s, the four steps, leave."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from sync import datasets
from sync.office.applications import ARRANGED, CLASS_REVIEWED, RETURNED, SCHOOL_REVIEWED, SUBMITTED, WITHDRAWN
from tests import pgstore
from tests.api.conftest import school
from tests.office.conftest import CLASS_A, USERS, Office

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)

# A child of class A and one of class B, from the sample school.
CHILD_A = next(s for s in school().students.values() if s.class_name == CLASS_A)
CHILD_B = next(s for s in school().students.values() if s.class_name == "一年级2班")


def audit_rows(office: Office) -> list[dict[str, str]]:
    return pgstore.dicts(office.school.config.store, "SELECT * FROM audit ORDER BY id")


def states(office: Office) -> dict[int, str]:
    return dict(pgstore.rows(office.school.config.store, "SELECT id, state FROM office_applications"))


async def test_every_role_signs_in_and_sees_its_own_menu(office: Office) -> None:
    menus = {"office1": "/office/formation", "teacher1a": "/office/applications", "leader": "/office/day",
             "duty301": "/office/day", "guard1": "/office/day", "admin": "/office/uploads"}  # fmt: skip
    for user in USERS:
        browser = await office.browser(user.username)
        status, body = await browser.get("/office/")
        assert status == 200
        assert user.name in body
        if user.username in menus:
            assert menus[user.username] in body
    guard = await office.browser("guard1")
    assert "/office/applications" not in (await guard.get("/office/"))[1]
    assert (await guard.get("/office/applications"))[0] == 403


async def test_signed_out_is_sent_to_sign_in_and_a_wrong_password_is_refused(office: Office) -> None:
    browser = await office.browser()
    response = await browser.client.get("/office/applications", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/office/login?next=")
    status, body = await browser.sign_in("teacher1a", "not the password")
    assert status == 401 and "用户名或密码不正确" in body
    status, body = await browser.sign_in("nobody", "not the password")
    assert status == 401
    assert (await browser.sign_in("teacher1a"))[0] == 200
    signs = [(r["actor"], r["what"]) for r in audit_rows(office) if "sign_in" in r["what"]]
    assert signs == [("signed_out:teacher1a", '{"sign_in": "refused"}'), ("signed_out:nobody", '{"sign_in": "refused"}'),
                     ("homeroom:teacher1a", '{"sign_in": "accepted"}')]  # fmt: skip


async def test_cookie_is_httponly_strict_and_the_session_expires(office: Office) -> None:
    browser = await office.browser()
    await browser.get("/office/login")
    response = await browser.client.post(
        "/office/login",
        data={"csrf": browser.csrf, "username": "teacher1a", "password": "correct horse battery"},
        allow_redirects=False,
    )
    assert response.status == 303
    cookie = response.cookies["rollcall_office"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/office"
    assert int(cookie["max-age"]) == 12 * 3600
    assert (await browser.get("/office/applications"))[0] == 200
    office.clock.advance(2 * 3600 + 1)  # idle longer than IDLE
    response = await browser.client.get("/office/applications", allow_redirects=False)
    assert response.status == 303


async def test_a_post_without_the_csrf_token_is_refused(office: Office) -> None:
    teacher = await office.browser("teacher1a")
    await teacher.get("/office/applications/new")
    form = {"student": CHILD_A.id, "service": "evening", "consent_by": "张敏", "consent_relation": "母亲",
            "consent_on": "2026-11-29"}  # fmt: skip
    status, body = await teacher.post("/office/applications", form, csrf=False)
    assert status == 403 and "表单已过期" in body
    status, _ = await teacher.post("/office/applications", {"csrf": "forged", **form}, csrf=False)
    assert status == 403
    assert states(office) == {}
    # The sign-in form too: its token is a cookie of its own.
    stranger = await office.browser()
    status, _ = await stranger.post("/office/login", {"username": "teacher1a", "password": "x"}, csrf=False)
    assert status == 403


async def test_sign_in_is_throttled_after_five_failures(office: Office) -> None:
    browser = await office.browser()
    for _ in range(5):
        assert (await browser.sign_in("office1", "wrong password"))[0] == 401
    status, body = await browser.sign_in("office1")  # even the right password waits now
    assert status == 429 and "2 秒后再试" in body
    office.clock.advance(2.5)
    assert (await browser.sign_in("office1", "wrong again"))[0] == 401
    status, body = await browser.sign_in("office1")
    assert status == 429 and "4 秒后再试" in body  # doubling
    office.clock.advance(4.5)
    status, body = await browser.sign_in("office1")
    assert status == 200 and "/office/logout" in body


async def test_a_teacher_cannot_open_another_class_s_child(office: Office) -> None:
    teacher_b = await office.browser("teacher1b")
    await teacher_b.get("/office/applications/new")
    status, _ = await teacher_b.post("/office/applications", {
        "student": CHILD_B.id, "service": "evening", "consent_by": "何敏", "consent_relation": "母亲",
        "consent_on": "2026-11-29"})  # fmt: skip
    assert status == 200
    app_b = max(states(office))
    teacher_a = await office.browser("teacher1a")
    status, body = await teacher_a.get(f"/office/applications/{app_b}")
    assert status == 403 and CHILD_B.name not in body and CHILD_B.id not in body
    status, body = await teacher_a.get("/office/applications")
    assert status == 200 and CHILD_B.name not in body
    await teacher_a.get("/office/leave")
    status, body = await teacher_a.post("/office/leave", {"student": CHILD_B.id, "from": "2026-11-30",
                                                          "reason": "病假"})  # fmt: skip
    assert status == 403 and CHILD_B.name not in body
    status, body = await teacher_a.get("/office/applications/99999")
    assert status == 403


async def test_an_application_through_the_four_steps_with_a_send_back(office: Office) -> None:
    teacher, clerk = await office.browser("teacher1a"), await office.browser("office1")
    await teacher.get("/office/applications/new")
    status, body = await teacher.post("/office/applications", {
        "student": CHILD_A.id, "service": "summer", "period": ["1", "2"], "consent_by": "张敏",
        "consent_relation": "母亲", "consent_on": "2026-11-29"})  # fmt: skip
    assert status == 200 and "第1期" in body and "张敏" in body
    (app_id,) = states(office)
    assert states(office)[app_id] == SUBMITTED

    async def step(browser: object, action: str, reason: str = "") -> tuple[int, str]:
        await browser.get(f"/office/applications/{app_id}")  # type: ignore[attr-defined]
        return await browser.post(f"/office/applications/{app_id}/step", {"action": action, "reason": reason})  # type: ignore[attr-defined]

    assert (await step(teacher, "class_approve"))[0] == 200
    assert states(office)[app_id] == CLASS_REVIEWED
    assert (await step(teacher, "school_approve"))[0] == 422  # not hers to take
    status, body = await step(clerk, "send_back")
    assert status == 422 and "须填写原因" in body
    await step(clerk, "send_back", "同意书缺少签字日期")
    assert states(office)[app_id] == RETURNED
    status, body = await teacher.get(f"/office/applications/{app_id}")
    assert "同意书缺少签字日期" in body
    await step(teacher, "resubmit")
    await step(teacher, "class_approve")
    await step(clerk, "school_approve")
    assert states(office)[app_id] == SCHOOL_REVIEWED
    status, body = await step(clerk, "arrange")
    assert status == 422 and states(office)[app_id] == SCHOOL_REVIEWED
    await step(teacher, "withdraw", "家长改为自行接送")
    assert states(office)[app_id] == WITHDRAWN
    _ = ARRANGED
    # Every change and every read of her application is in the audit log, with who did it.
    rows = [r for r in audit_rows(office) if CHILD_A.id in r["what"]]
    assert {r["actor"] for r in rows} >= {"homeroom:teacher1a", "office:office1"}
    assert any('"step": "withdraw"' in r["what"] for r in rows)
    assert any('"consent"' in r["what"] for r in rows)


async def test_deadline_and_capacity_per_service(office: Office) -> None:
    clerk = await office.browser("office1")
    await clerk.get("/office/services")
    status, _ = await clerk.post(
        "/office/services", {"deadline.evening": "2026-11-29", "capacity.clubs": "1"}
    )
    assert status == 200
    teacher = await office.browser("teacher1a")
    await teacher.get("/office/applications/new")
    consent = {"consent_by": "张敏", "consent_relation": "母亲", "consent_on": "2026-11-29"}
    status, body = await teacher.post(
        "/office/applications", {"student": CHILD_A.id, "service": "evening", **consent}
    )
    assert status == 422 and "2026-11-29" in body and "截止" in body
    others = [s for s in school().students.values() if s.class_name == CLASS_A][:2]
    for child in others:
        await teacher.get("/office/applications/new")
        await teacher.post("/office/applications", {"student": child.id, "service": "clubs", **consent})
    first, second = sorted(states(office))
    for app_id in (first, second):
        await teacher.get(f"/office/applications/{app_id}")
        await teacher.post(f"/office/applications/{app_id}/step", {"action": "class_approve"})
    await clerk.get(f"/office/applications/{first}")
    assert (await clerk.post(f"/office/applications/{first}/step", {"action": "school_approve"}))[0] == 200
    await clerk.get(f"/office/applications/{second}")
    status, body = await clerk.post(f"/office/applications/{second}/step", {"action": "school_approve"})
    assert status == 422 and "名额已满" in body


async def test_a_leave_becomes_the_devices_leave_dataset_and_late_leave_is_marked(office: Office) -> None:
    teacher = await office.browser("teacher1a")
    await teacher.get("/office/leave")
    evening_child = next(e.student_id for e in school().enrolments
                         if e.service_id == "evening" and school().students[e.student_id].class_name == CLASS_A)  # fmt: skip
    # 18:20 on 2026-11-30, evening study began 18:15 and its head count is due at 18:25: not yet late.
    status, body = await teacher.post("/office/leave", {"student": evening_child, "from": "2026-11-30",
                                                        "to": "2026-11-30", "service": "evening", "reason": "发烧"})  # fmt: skip
    assert status == 200 and "发烧" in body and "补请假" not in body
    office.clock.advance(600)  # 18:30, past the head count
    other = next(
        s.id for s in school().students.values() if s.class_name == CLASS_A and s.id != evening_child
    )
    await teacher.post("/office/leave", {"student": evening_child, "from": "2026-11-30", "service": "",
                                         "reason": "家中有事"})  # fmt: skip
    status, body = await teacher.post(
        "/office/leave", {"student": other, "from": "2026-12-01", "reason": "病假"}
    )
    assert "补请假" in body and body.count("补请假") == 1
    store = await office.school.writer.run(
        lambda s: json.loads(datasets.body(s.db, "leave", datasets.latest(s.db)["leave"].version))
    )
    assert {"student_id": evening_child, "valid_from": "2026-11-30", "valid_to": "2026-11-30",
            "service_id": "evening", "reason": "发烧"} in store  # fmt: skip
    assert len(store) == 3
    status, body = await teacher.post("/office/leave", {"student": other, "from": "2026-12-03", "to": "2026-12-01",
                                                        "reason": "x"})  # fmt: skip
    assert status == 422 and "结束日期早于开始日期" in body


async def test_english_on_request_and_kept_in_a_cookie(office: Office) -> None:
    browser = await office.browser()
    status, body = await browser.get("/office/login?lang=en")
    assert "Sign in" in body and "登录" not in body.replace("中文", "")
    status, body = await browser.get("/office/login")
    assert "User name" in body


async def test_the_day_as_xlsx_and_pdf(office: Office, tmp_path: Path) -> None:
    leader = await office.browser("leader")
    response = await leader.client.get("/office/day/reports.xlsx?date=2026-11-30")
    assert response.status == 200
    path = tmp_path / "day.xlsx"
    path.write_bytes(await response.read())
    sheets = openpyxl.load_workbook(path)
    cells = {
        str(c.value) for sheet in sheets for row in sheet.iter_rows() for c in row if c.value is not None
    }
    assert any("r301" in c or "301" in c for c in cells)
    response = await leader.client.get("/office/day/reports.pdf?date=2026-11-30")
    if response.status == 409:
        pytest.skip("no CJK font on this machine (fonts-noto-cjk)")
    data = await response.read()
    assert response.status == 200 and data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        (tmp_path / "day.pdf").write_bytes(data)
        found = (await asyncio.to_thread(subprocess.run, ["pdftotext", str(tmp_path / "day.pdf"), "-"],
                                         capture_output=True, text=True, check=True)).stdout  # fmt: skip
        assert "2026-11-30 零报告" in found and "301教室" in found
    assert (await leader.get("/office/day?date=2026-13-01"))[0] == 400
