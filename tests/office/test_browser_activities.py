"""The activities page in real Chromium: a teacher records her week, the office's not-filed list shrinks, and the
office downloads the group's term archive, whose PDF text is checked and whose XLSX LibreOffice opens (issue 14).

Skipped, saying why, where Playwright, /usr/bin/chromium or pdftotext is absent.
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
from tests.office.conftest import Office
from tests.office.test_activities_pages import form_groups
from tests.office.test_browser import CHROMIUM, browser, page_as, shot

__all__ = ["browser"]  # the fixture, shared with the office's other browser tests

pytest.importorskip("playwright.async_api", reason="Playwright for Python is not installed")
pytestmark = [
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium)"),
    pytest.mark.skipif(
        not shutil.which("pdftotext"), reason="pdftotext is absent (apt-get install poppler-utils)"
    ),
]

TEXT = "临摹《九成宫》楷书,每人完成一页;读《小王子》第三章"


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


async def not_filed(page: Any, week: str) -> list[str]:
    return [await li.inner_text() for li in await page.query_selector_all(f"section[data-week='{week}'] li")]


async def test_a_week_recorded_shrinks_the_office_s_list_and_is_in_the_term_archive(
    browser: Any, office: Office, tmp_path: Path
) -> None:
    await form_groups(office)
    clerk = await page_as(browser, office, "office1")
    await clerk.click("nav >> text=活动记录")
    await clerk.wait_for_selector("h1 >> text=每周活动记录")
    before = await not_filed(clerk, "2026-W49")
    assert "书法组:2026-W49 未填写活动记录(责任教师 胡娜静)" in before

    teacher = await page_as(browser, office, "duty301")
    await teacher.click("nav >> text=活动记录")
    await teacher.select_option("#record select[name=group]", "evening.r301")
    assert await teacher.input_value("#record select[name=week]") == "2026-W49"  # this week, chosen already
    await teacher.check("#record input[name=category][value=tutoring]")
    await teacher.check("#record input[name=category][value=reading]")
    await teacher.fill("#record textarea[name=text]", TEXT)
    await shot(teacher, "activities")
    await teacher.click("button:has-text('提交本周记录')")
    await teacher.wait_for_selector("text=已提交 书法组 2026 年第 49 周 的活动记录")
    assert TEXT in await teacher.inner_text("table.records")
    await teacher.check(
        "#record input[name=category][value=arts]"
    )  # the same week again: refused, in Chinese
    await teacher.fill("#record textarea[name=text]", "又一次")
    await teacher.click("button:has-text('提交本周记录')")
    await teacher.wait_for_selector("text=书法组:2026-W49 已有活动记录,请修改原记录")

    await clerk.reload()
    after = await not_filed(clerk, "2026-W49")
    assert len(after) == len(before) - 1 and not any(line.startswith("书法组:") for line in after)
    await shot(clerk, "activities-office")

    row = clerk.locator("table.groups-archive tr", has_text="书法组")
    async with clerk.expect_download() as pdf_download:
        await row.locator("a", has_text="PDF").click()
    pdf = tmp_path / "archive.pdf"
    await (await pdf_download.value).save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    found = await asyncio.to_thread(pdf_text, pdf)
    for words in ("书法组 期末存档(2026-09-01 至 2027-01-20)", "2026 年第 49 周(2026-11-30 至 2026-12-06)",
                  "课业指导、阅读", "临摹《九成宫》楷书", "胡娜静", "责任教师签字"):  # fmt: skip
        assert words in found, words
    assert "未填周次:2026年第36周" in re.sub(r"\s+", "", found)  # the weeks without a record are named

    async with clerk.expect_download() as xlsx_download:
        await row.locator("a", has_text="XLSX").click()
    xlsx = tmp_path / "archive.xlsx"
    await (await xlsx_download.value).save_as(xlsx)
    if exports.soffice() is None:
        return  # LibreOffice is absent: the workbook's own test (test_exports) says so
    (tmp_path / "lo").mkdir()
    [converted] = await asyncio.to_thread(exports.to_pdf, [xlsx], tmp_path / "lo")
    compact = re.sub(r"\s+", "", await asyncio.to_thread(pdf_text, converted))
    assert "书法组期末存档" in compact and re.sub(r"\s+", "", TEXT) in compact
