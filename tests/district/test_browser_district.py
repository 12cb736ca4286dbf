"""The bureau's reporting-rate page in real Chromium (Debian's, driven by Playwright), in Chinese, as the bureau uses it.

Skipped, saying why, where Playwright, /usr/bin/chromium or PostgreSQL is absent. With
ROLLCALL_SCREENS=1 the pages are also saved as docs/screens/district-*.png (the README shows
them); otherwise nothing is written.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from tests.district.rows import MONDAY, row
from tests.office.test_browser import ARGS, CHROMIUM, SCREENS

psycopg = pytest.importorskip("psycopg")
playwright_api = pytest.importorskip("playwright.async_api", reason="Playwright for Python is not installed")
pytestmark = pytest.mark.skipif(
    not shutil.which(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
)

from sync.district import replication  # noqa: E402 (psycopg first: skipped without it)
from tests.district.site import PASSWORD, Site  # noqa: E402


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as driver:
        found = await driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield found
        await found.close()


async def shot(page: Any, name: str) -> None:
    if os.environ.get("ROLLCALL_SCREENS") == "1":
        SCREENS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENS / f"district-{name}.png"), full_page=False)


def a_monday(site: Site) -> None:
    """安定门 reports every room on time, 白塔寺 one late, 张家湾 one not yet, 朝阳 nothing at all."""
    rows = [row("S-AN", MONDAY, service, room, "on_time", missing=1 if room == "r302" and service == "evening" else 0)
            for service in ("evening", "midday") for room in ("r301", "r302", "r303")]  # fmt: skip
    rows += [
        row("S-BA", MONDAY, "evening", "r301", "on_time"),
        row("S-BA", MONDAY, "evening", "r302", "late", still_waiting=1),
    ]
    rows += [row("S-ZH", MONDAY, "evening", room, "on_time") for room in ("r301", "r302")]
    rows += [row("S-ZH", MONDAY, "midday", "r301", None, unexplained=1)]
    with psycopg.connect(site.dsn) as conn:
        conn.execute("DELETE FROM upward")
        conn.commit()
        replication.upsert(conn, rows)


async def test_the_reporting_rate_in_chinese_from_sign_in_to_a_schools_history(
    browser: Any, site: Site
) -> None:
    a_monday(site)
    fetched: list[str] = []
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = await context.new_page()
    page.on("request", lambda request: fetched.append(request.url))
    await page.goto(f"{site.url}/?date={MONDAY}&lang=zh")
    assert "/login" in page.url  # signed out: sent to sign in
    await page.fill("input[name=username]", "bureau")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("h1 >> text=各校零报告上报率")
    assert f"date={MONDAY}" in page.url  # back where she was going
    heads = await page.locator("table.rates thead th").all_inner_texts()
    assert heads == [
        "学校",
        "上报方式",
        "应报",
        "已报",
        "按时",
        "逾期",
        "未报",
        "上报率",
        "按时上报率",
        "最近收到",
    ]
    names = await page.locator("table.rates tbody td:first-child").all_inner_texts()
    assert names == [
        "安定门小学",
        "白塔寺小学",
        "朝阳实验小学",
        "张家湾小学",
    ]  # by pinyin: an, bai, chao, zhang
    chaoyang = await page.inner_text("tr[data-school=S-CH]")
    assert "\t1\t0\t0\t0\t1\t0.0%\t0.0%" in chaoyang  # sent nothing: one report not made
    total = await page.inner_text("table.rates tfoot")
    assert "全区合计" in total and "\t12\t10\t9\t1\t2\t83.3%\t75.0%" in total
    main = await page.inner_text("main")
    assert not re.search(r"\b(?:Reported|School|Total|expected|late)\b", main)  # no English word on the page
    await shot(page, "rate")

    await page.fill("input[name=date]", str(MONDAY - timedelta(days=3)))  # the Friday before
    await page.click("button:has-text('查看')")
    await page.wait_for_selector("text=已于 21:00 截止")
    assert await page.inner_text("table.rates tfoot td, table.rates tfoot th.not_reported") == "4"

    await page.click("nav >> text=未解决学生")
    await page.fill("input[name=date]", str(MONDAY))
    await page.click("button:has-text('查看')")
    await page.wait_for_selector("h1 >> text=未解决的学生")
    assert await page.locator("table.unresolved tbody").count() == 3
    await shot(page, "missing")

    await page.click("text=安定门小学")
    await page.wait_for_selector("h1 >> text=安定门小学 上报记录")
    assert await page.inner_text(f"tr[data-day='{MONDAY}'] td.expected") == "6"
    await page.emulate_media(media="print")  # printable: the filters and the bar's links are not printed
    assert not await page.is_visible("form.filters")
    assert all(url.startswith(site.url) for url in fetched), [
        u for u in fetched if not u.startswith(site.url)
    ]
    await context.close()
