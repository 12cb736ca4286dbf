"""The office's pages in real Chromium (Debian's, driven by Playwright): as a teacher and the office use them.

Skipped, saying why, where Playwright or /usr/bin/chromium is absent. With ROLLCALL_SCREENS=1 the main
pages are also saved as docs/screens/office-*.png (the README shows them); otherwise nothing is written.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from edge.files.roster import write_roster
from tests.api.conftest import school
from tests.office.conftest import CLASS_A, PASSWORD, USERS, Office

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"

playwright_api = pytest.importorskip("playwright.async_api", reason="Playwright for Python is not installed")
pytestmark = pytest.mark.skipif(
    not shutil.which(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
)

CHILD = next(s for s in sorted(school().students.values(), key=lambda s: s.id) if s.class_name == CLASS_A)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as driver:
        found = await driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield found
        await found.close()


FETCHED: list[str] = []  # every address a page asked for: nothing outside the campus server


async def page_as(browser: Any, office: Office, username: str) -> Any:
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = await context.new_page()
    page.on("request", lambda request: FETCHED.append(request.url))
    await page.goto(str(office.server.make_url("/office/")))
    assert "/office/login" in page.url  # signed out: sent to sign in
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(r".*/office/$"))
    return page


async def shot(page: Any, name: str) -> None:
    if os.environ.get("ROLLCALL_SCREENS") == "1":
        SCREENS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENS / f"office-{name}.png"), full_page=False)


async def test_every_role_signs_in(browser: Any, office: Office) -> None:
    for user in USERS:
        page = await page_as(browser, office, user.username)
        assert user.name in await page.inner_text("header")
        await page.click("text=退出")
        await page.wait_for_url(re.compile(r".*/office/login"))
        await page.context.close()


async def test_an_application_through_the_four_steps_and_the_groups(browser: Any, office: Office) -> None:
    teacher = await page_as(browser, office, "teacher1a")
    await shot(teacher, "home")
    await teacher.click("text=登记纸质申请")
    await teacher.select_option("select[name=student]", CHILD.id)
    await teacher.check("input[name=service][value=summer]")
    await teacher.check("input[name=period][value='1']")
    await teacher.fill("input[name=consent_by]", "张敏")
    await teacher.fill("input[name=consent_relation]", "母亲")
    await teacher.fill("input[name=consent_on]", "2026-11-28")
    await shot(teacher, "application-new")
    await teacher.click("button:has-text('登记')")
    await teacher.wait_for_selector("text=家长申请")
    await teacher.click("button.action-class_approve")
    await teacher.wait_for_selector("h1 >> text=班级审核通过")
    url = teacher.url
    clerk = await page_as(browser, office, "office1")
    await clerk.goto(url)
    await clerk.fill("input[name=reason]", "请补签字日期")
    await clerk.click("button.action-send_back")
    await clerk.wait_for_selector("h1 >> text=已退回")
    await teacher.reload()
    assert "请补签字日期" in await teacher.inner_text("main")
    await teacher.click("button.action-resubmit")
    await teacher.click("button.action-class_approve")
    await teacher.wait_for_selector("h1 >> text=班级审核通过")
    await clerk.reload()
    await clerk.click("button.action-school_approve")
    await clerk.wait_for_selector("h1 >> text=学校复核通过")
    await shot(clerk, "application")
    await clerk.click("nav >> text=编班")
    await clerk.select_option("select[name=service]", "summer")
    await clerk.click("button:has-text('生成编班方案')")
    await clerk.wait_for_selector("text=拟分 1 组")
    await clerk.select_option("select[name='room.1']", "r302")
    await shot(clerk, "formation")
    await clerk.click("button:has-text('确认编班')")
    await clerk.wait_for_selector("text=已确认 1 组")
    await clerk.click("nav >> text=报名申请")
    await shot(clerk, "applications")
    await teacher.goto(url)
    assert "已统筹安排" in await teacher.inner_text("h1")
    assert "302教室" in await teacher.inner_text("main")


async def test_leave_the_day_and_a_post_without_csrf(browser: Any, office: Office) -> None:
    teacher = await page_as(browser, office, "teacher1a")
    await teacher.click("nav >> text=请假")
    await teacher.select_option("select[name=student]", CHILD.id)
    await teacher.fill("input[name=reason]", "发烧")
    await teacher.click("button:has-text('登记请假')")
    await teacher.wait_for_selector("td >> text=发烧")
    await shot(teacher, "leave")
    # A post made without the form's token (another site's form, a script) is refused.
    status = await teacher.evaluate(
        """async (student) => (await fetch('/office/leave', {method: 'POST', body: new URLSearchParams(
             {student: student, from: '2026-11-30', reason: 'x'})})).status""",
        CHILD.id,
    )
    assert status == 403
    leader = await page_as(browser, office, "leader")
    await leader.click("nav >> text=今日零报告")
    await leader.wait_for_selector("text=零报告")
    assert "场:应到" in await leader.inner_text("main")
    await shot(leader, "day")
    await leader.emulate_media(media="print")
    assert not await leader.is_visible("header")  # the print stylesheet drops the menu
    await leader.emulate_media(media="screen")
    english = await leader.goto(str(office.server.make_url("/office/day?lang=en")))
    assert english is not None and "Zero reports of" in await leader.inner_text("h1")


async def test_an_xlsx_upload_with_a_bad_row_shows_the_row(
    browser: Any, office: Office, tmp_path: Path
) -> None:
    path = tmp_path / "roster.xlsx"
    write_roster(school(), path)
    book = openpyxl.load_workbook(path)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    sheet.cell(row=4, column=header.index(next(h for h in header if "性别" in str(h) or "gender" in str(h).lower())) + 1,
               value="未知")  # fmt: skip
    book.save(path)
    FETCHED.clear()
    clerk = await page_as(browser, office, "office1")
    await clerk.click("nav >> text=名单导入")
    await clerk.select_option("select[name=kind]", "roster")
    await clerk.set_input_files("input[name=file]", str(path))
    await clerk.click("button:has-text('上传')")
    await clerk.wait_for_selector("ul.errors li")
    errors = await clerk.inner_text("ul.errors")
    assert errors.startswith("roster.xlsx:4: ") and str(tmp_path) not in errors
    await shot(clerk, "upload-errors")
    await clerk.click("nav >> text=学生")
    await clerk.fill("input[name=q]", CHILD.name)
    await clerk.click("button:has-text('查找')")
    await clerk.click(f"a[href='/office/children/{CHILD.id}']")
    await clerk.wait_for_selector("text=导出该生全部信息")
    await shot(clerk, "child")
    origin = str(office.server.make_url("/"))
    assert FETCHED and all(url.startswith(origin) for url in FETCHED), [
        u for u in FETCHED if not u.startswith(origin)
    ]
    assert any(url.endswith(".css") or "office.css" in url for url in FETCHED)
