"""The fees pages in real Chromium: the office sets evening study's semester fee at the cap (taken) and over it
(refused, naming the cap), records a hardship waiver for one child and a payment for another, opens the
statement of a child whose leave her homeroom teacher recorded on the leave page (three days refunded, with
the dates), and downloads the school's summary XLSX, which LibreOffice converts to a PDF whose Chinese
pdftotext reads (issue 14).

Skipped, saying why, where Playwright, /usr/bin/chromium, pdftotext or LibreOffice is absent. With
ROLLCALL_SCREENS=1 the fees page and the statement are saved as docs/screens/office-fees*.png.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sync.office import exports
from tests.office.conftest import Office
from tests.office.test_browser import CHROMIUM, browser, page_as, shot
from tests.office.test_browser_activities import pdf_text

__all__ = ["browser"]  # the fixture, shared with the office's other browser tests

pytest.importorskip("playwright.async_api", reason="Playwright for Python is not installed")
pytestmark = [
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium)"),
    pytest.mark.skipif(
        not shutil.which("pdftotext"), reason="pdftotext is absent (apt-get install poppler-utils)"
    ),
]


async def test_fees_set_waived_paid_refunded_for_leave_and_the_summary_in_libreoffice(
    browser: Any, office: Office, tmp_path: Path
) -> None:
    teacher = await page_as(browser, office, "teacher1a")  # 一年级1班: 马嘉薇 is ill three evenings
    await teacher.click("nav >> text=请假")
    await teacher.select_option("select[name=student]", "s0003")
    await teacher.fill("input[name=from]", "2026-11-23")
    await teacher.fill("input[name=to]", "2026-11-25")
    await teacher.select_option("select[name=service]", "evening")
    await teacher.fill("input[name=reason]", "病假")
    await teacher.click("button[type=submit] >> text=登记")
    await teacher.wait_for_selector("table.list >> text=马嘉薇")

    clerk = await page_as(browser, office, "office1")
    await clerk.click("nav >> text=收费")
    await clerk.wait_for_selector("h1 >> text=收费管理")
    rule = clerk.locator("#rule-form")
    await rule.locator("select[name=service]").select_option("evening")
    await rule.locator("select[name=basis]").select_option("semester")
    await rule.locator("input[name=amount]").fill("300")
    await rule.locator("button[type=submit]").click()
    await clerk.wait_for_selector("text=已保存收费标准:晚自习 按学期 300.00 元")
    await clerk.locator("#rule-form input[name=amount]").fill("300.50")
    await clerk.locator("#rule-form button[type=submit]").click()
    refused = await clerk.locator("[role=alert]").inner_text()
    assert "晚自习 每学期 300.50 元,超过每生每学期 300.00 元的上限" in refused
    assert "300.00" in await clerk.locator("#fee-rules").inner_text()

    waiver = clerk.locator("#waiver-form")
    await waiver.locator("input[name=child]").fill("郑悦")
    await waiver.locator("select[name=class]").select_option("一年级1班")
    await waiver.locator("select[name=category]").select_option("dibao")
    await waiver.locator("input[name=approved_by]").fill("王校长")
    await waiver.locator("button[type=submit]").click()
    await clerk.wait_for_selector("text=已登记减免:郑悦 低保家庭 100%")

    payment = clerk.locator("#payment-form")
    await payment.locator("input[name=child]").fill("马梓芸")
    await payment.locator("input[name=amount]").fill("150.5")
    await payment.locator("input[name=paid_on]").fill("2026-09-08")
    await payment.locator("input[name=receipt]").fill("SF-2026-0001")
    await payment.locator("button[type=submit]").click()
    await clerk.wait_for_selector("text=已登记缴费:马梓芸 150.50 元(收据 SF-2026-0001)")
    children = await clerk.locator("#fee-children").inner_text()
    assert "马梓芸" in children and "应补 149.50 元" in children
    await shot(clerk, "fees")

    await clerk.click("#fee-children >> text=马嘉薇")
    await clerk.wait_for_selector("h1 >> text=马嘉薇(一年级1班)收费明细")
    lines = await clerk.locator("#statement-lines").inner_text()
    assert "请假退费(3 天)" in lines and "2026-11-23 – 2026-11-25" in lines and "-9.28" in lines
    assert "应补 290.72 元" in await clerk.locator("#statement-balance").inner_text()
    await shot(clerk, "fees-statement")

    await clerk.click("text=返回收费汇总")
    async with clerk.expect_download() as download:
        await clerk.click("#summary-xlsx")
    xlsx = tmp_path / "fees.xlsx"
    await (await download.value).save_as(xlsx)
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["收费汇总", "减免汇总", "学生汇总", "全部明细"]
    if exports.soffice() is None:
        pytest.skip(
            "LibreOffice is absent (apt-get install libreoffice-calc-nogui): the XLSX is not converted"
        )
    (tmp_path / "lo").mkdir()
    [converted] = await asyncio.to_thread(exports.to_pdf, [xlsx], tmp_path / "lo")
    compact = re.sub(r"\s+", "", await asyncio.to_thread(pdf_text, converted))
    for words in (
        "2026-09-01至2027-01-20收费汇总",
        "晚自习",
        "马嘉薇",
        "请假退费(3天)",
        "减免100%:低保家庭(王校长批准)",
    ):
        assert words in compact, words
