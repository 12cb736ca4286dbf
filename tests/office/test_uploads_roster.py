"""The uploads page for the roster, enrolments and leave: a bad row is `file:line: reason` in the page's
language (Chinese unless the office asked for English), the same words `rollcall roster import` prints,
and nothing of the file is stored."""

from __future__ import annotations

import pytest

from tests.office.conftest import Office
from tests.office.test_pages import audit_rows
from tests.office.test_uploads_more import held, send

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)

ROSTER = (
    "学号,姓名,性别,年级,班级,家长姓名,联系电话\n"
    "s0001,李一诺,女,1,一年级1班,李建国,13800000001\n"
    "s0002,王子涵,男,13,一年级1班,张丽,13800000002\n"
)
BAD_FILES = {
    "roster": (ROSTER, "roster.csv:3: 年级 '13' 不是 1 到 12 的年级", "roster.csv:3: 年级 '13' is not a grade from 1 to 12"),
    "enrolments": ("学号,服务,教室,开始日期,结束日期\ns0001,晚自习,301教室,2026-09-01,2027-01-20\n"
                   "s0001,象棋,301教室,2026-09-01,2027-01-20\n",
                   "enrolments.csv:3: 服务 '象棋' 不是本校的服务", "enrolments.csv:3: 服务 '象棋' is not a service of the school"),
    "leave": ("学号,开始日期,结束日期,服务,事由\ns0001,2026-09-16,2026-09-14,,病假\n",
              "leave.csv:2: 结束日期 '2026-09-14' 早于 开始日期 '2026-09-16'",
              "leave.csv:2: 结束日期 '2026-09-14' is before 开始日期 '2026-09-16'"),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
async def test_a_bad_row_shows_the_chinese_reason_and_nothing_is_stored(office: Office, kind: str) -> None:
    text, expected, _ = BAD_FILES[kind]
    name = f"{kind}.csv"  # ASCII: aiohttp's test client percent-encodes a Chinese file name
    before = held(office)
    status, page = await send(office, kind, name, text.encode())
    assert status == 422
    assert f"<li>{expected}</li>" in page.replace("&#39;", "'"), page
    assert held(office) == before
    assert any(
        f'"upload": "{kind}"' in r["what"] and '"problems": 1' in r["what"] for r in audit_rows(office)
    )


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
async def test_the_reason_is_english_when_the_page_is(office: Office, kind: str) -> None:
    text, _, expected = BAD_FILES[kind]
    status, page = await send(office, kind, f"{kind}.csv", text.encode(), lang="en")
    assert status == 422 and f"<li>{expected}</li>" in page.replace("&#39;", "'"), page
