"""The uploads page in real Chromium: a rooms file with a bad row shows the row, and nothing is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.office.conftest import Office
from tests.office.test_browser import browser, page_as, pytestmark  # noqa: F401  (the fixture and the skip)
from tests.office.test_uploads_more import held


async def test_a_rooms_upload_with_a_bad_row_shows_the_row(
    browser: Any,  # noqa: F811  (the fixture imported above)
    office: Office,
    tmp_path: Path,
) -> None:
    path = tmp_path / "教室.csv"
    path.write_text("教室编号,教室名称,容量\nr301,301教室,45\nr302,302教室,-3\n", encoding="utf-8-sig")
    before = held(office)
    clerk = await page_as(browser, office, "office1")
    await clerk.click("nav >> text=名单导入")
    assert "301教室" in await clerk.inner_text("#rooms")  # what is current
    await clerk.select_option("select[name=kind]", "rooms")
    await clerk.set_input_files("input[name=file]", str(path))
    await clerk.click("button:has-text('上传')")
    await clerk.wait_for_selector("ul.errors li")
    errors = await clerk.inner_text("ul.errors")
    assert errors == "教室.csv:3: 容量 '-3' 不是大于 0 的整数" and str(tmp_path) not in errors
    assert held(office) == before
    async with clerk.expect_download() as waiting:
        await clerk.click("a[href='/office/uploads/sample/rooms.csv']")
    sample = Path(await (await waiting.value).path()).read_bytes()  # noqa: ASYNC240  (a few bytes, in a test)
    assert sample.decode("utf-8-sig").startswith("教室编号,教室名称,容量")
