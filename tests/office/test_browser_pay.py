"""Pay in real Chromium: the office sets the rates in the page, corrects one teacher's Monday mark to covered by
a colleague, and sees the month's allocation move that session from one to the other with the sessions listed;
the XLSX it downloads converts in LibreOffice (`exports.to_pdf`) with its Chinese readable (pdftotext).

The rota and Monday's staff cards are test_attendance_page.py's (the rota page's week; the cards stored as the
puller stores a device's page). Chromium is test_browser.py's. With ROLLCALL_SCREENS=1 the pages are saved as
docs/screens/office-attendance.png, office-pay.png and office-pay-print.png. Skipped, saying why, where
Playwright, /usr/bin/chromium, LibreOffice or pdftotext is absent.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sync.office import exports
from tests.office import test_browser as chromium
from tests.office.conftest import Office
from tests.office.test_attendance_page import MONDAY, a_week_with_taps

pytestmark = chromium.pytestmark
browser = chromium.browser  # the same Chromium, launched the same way

RATES = {"leader|": "50", "guard|": "30", "teacher|evening": "80", "coach|clubs": "120"}


async def test_a_cover_moves_the_session_in_the_month_s_allocation_and_the_xlsx_reads_in_libreoffice(
    browser: Any, office: Office, tmp_path: Path
) -> None:
    await a_week_with_taps(office)  # Monday: 胡娜静 (t01) on time in 301, 王慧佳 and 周欣妍 late, 金媛 absent
    page = await chromium.page_as(browser, office, "office1")
    await page.click("nav >> text=补助分配")
    await page.wait_for_url(re.compile(r".*/office/pay$"))
    await page.goto(str(office.server.make_url("/office/pay?period=2026-11")))
    assert "值日领导(按日)尚未设定补助标准" in await page.locator("#pay-refusals").inner_text()
    for key, amount in RATES.items():
        row = page.locator(f"#rate-table tr[data-rate='{key}']")
        await row.locator("input[name=yuan]").fill(amount)
        await row.locator("button[type=submit]").click()
        await page.wait_for_selector("p.message[role=status]")
    assert "已设定" in await page.locator("p.message[role=status]").inner_text()
    table = page.locator("#pay-table")
    first = await table.locator("tr[data-person='t01']").inner_text()
    assert "1 次 × 80.00 元 = 80.00 元" in first
    assert await page.locator("#pay-total").inner_text() == "320.00"
    assert await table.locator("tr[data-person='t06']").count() == 0

    await page.goto(str(office.server.make_url(f"/office/attendance?first={MONDAY}&last={MONDAY}")))
    mark = page.locator(f"#attendance-table tr[data-post='t01|{MONDAY}|teacher|evening|r301']")
    assert "18:05 刷卡(301教室)" in await mark.inner_text()
    await mark.locator("text=更正").click()
    form = page.locator("#correct-form")
    await form.locator("select[name=status]").select_option("covered")
    await form.locator("select[name=covered_by]").select_option("t06")
    await form.locator("textarea[name=reason]").fill("胡娜静临时外出开会,蔡轩依代班")
    await form.locator("button[type=submit]").click()
    await page.wait_for_selector("p.message[role=status]")
    assert "由 蔡轩依 代班" in await mark.inner_text()
    assert "胡娜静临时外出开会" in await page.locator("#correction-history").inner_text()
    await chromium.shot(page, "attendance")

    await page.goto(str(office.server.make_url("/office/pay?period=2026-11")))
    assert await table.locator("tr[data-person='t01']").count() == 0  # the session left her ...
    moved = table.locator("tr[data-person='t06'][data-role='teacher']")  # ... for the colleague who covered
    await moved.locator("summary").click()
    moved_text = await moved.inner_text()
    assert "蔡轩依" in moved_text and "1 次 × 80.00 元 = 80.00 元" in moved_text
    assert "2026-11-30 周一 晚自习 301教室" in moved_text
    assert await page.locator("#pay-total").inner_text() == "320.00"  # the same session, paid once
    await chromium.shot(page, "pay")

    async with page.expect_download() as downloading:
        await page.click("#pay-xlsx")
    download = await downloading.value
    workbook = tmp_path / "pay-2026-11.xlsx"
    await download.save_as(str(workbook))

    await page.click("#pay-print")
    await page.fill("input[name=school]", "实验小学")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_selector("#signatures")
    assert "实验小学 课后服务2026 年 11 月补助" in await page.locator("h1").inner_text()
    assert "审核人" in await page.locator("#signatures").inner_text()
    await chromium.shot(page, "pay-print")
    await page.context.close()

    if exports.soffice() is None:
        pytest.skip("LibreOffice (soffice) is absent: apt-get install libreoffice-calc-nogui")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is absent: apt-get install poppler-utils")
    (pdf,) = await asyncio.to_thread(exports.to_pdf, [workbook], tmp_path)
    found = await asyncio.to_thread(
        subprocess.run, ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    words = found.stdout
    assert "2026 年 11 月补助分配表" in words and "蔡轩依" in words and "责任教师" in words
    assert "301教室" in words and "320.00" in words and "胡娜静" not in words
