"""The fees pages through the real server app: a rule at the cap taken and one over it refused naming the cap
(Chinese and English), bad amounts, waivers and payments by a child's name and class, a statement with the
refund for days on leave recorded through the leave page and for a day the school cancelled, the downloads,
and who may: the office edits, a homeroom teacher reads only her class, the others are refused.

The period is the sample calendar's autumn term, 2026-09-01 to 2027-01-20: evening study runs on 97 of
its days, so a day of a 300-yuan semester fee is 300 × 1/97 yuan, rounded half-even to the fen.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.core.codec import school_to_datasets
from edge.core.model import Leave, School
from sync import datasets
from sync.office import fee_store, fees
from sync.office.fees import Basis, Category, FeeRule, Waiver
from sync.office.money import div_half_even, yuan
from sync.office.pages_fees import billing_of, by_class, compute, held
from sync.store import ServerStore
from tests import pgstore
from tests.api.conftest import school
from tests.office.conftest import Browser, Office
from tests.office.test_pages import audit_rows
from tests.sync.conftest import EVENING, TZ

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)
BACKEND = {"now": "sqlite"}  # the property test's back end, for its store of each example


@pytest.fixture(autouse=True)
def _backend_now(backend: str) -> Iterator[None]:
    BACKEND["now"] = backend
    yield
    BACKEND["now"] = "sqlite"


TERM = ("2026-09-01", "2027-01-20")
EVENING_DAYS = 97  # evening study's days in TERM by the sample calendar
MA, ZHENG, MAZI = "s0003", "s0004", "s0047"  # 马嘉薇, 郑悦 (一年级1班), 马梓芸 (一年级2班): evening study


def rule(amount: str, service: str = "evening", basis: str = "semester", lunch: str = "") -> dict[str, str]:
    return {"service": service, "basis": basis, "amount": amount, "lunch": lunch,
            "period_first": TERM[0], "period_last": TERM[1], "first": TERM[0], "last": TERM[1]}  # fmt: skip


def rows(office: Office, sql: str) -> list[tuple[object, ...]]:
    return pgstore.rows(office.school.config.store, sql)


async def clerk_with_fee(office: Office, amount: str = "300") -> Browser:
    clerk = await office.browser("office1")
    await clerk.get("/office/fees")
    status, page = await clerk.post("/office/fees/rule", rule(amount))
    assert status == 200 and "已保存收费标准" in page, page[-2000:]
    return clerk


async def test_a_semester_fee_at_the_cap_is_taken_and_one_over_it_refused_naming_the_cap(
    office: Office,
) -> None:
    clerk = await clerk_with_fee(office, "300")
    assert rows(office, "SELECT service_id, basis, fen, lunch_fen FROM office_fee_rules") == [
        ("evening", "semester", 300_00, 0)
    ]
    status, page = await clerk.post("/office/fees/rule", rule("300.01"))
    assert status == 422 and "晚自习 每学期 300.01 元,超过每生每学期 300.00 元的上限" in page
    await clerk.get("/office/fees?lang=en")
    status, page = await clerk.post("/office/fees/rule", rule("301"))
    assert status == 422 and "above the cap of 300.00 yuan a student a semester" in page
    # the period's semester fees together: evening study at the cap leaves nothing for clubs
    status, page = await clerk.post("/office/fees/rule?lang=zh", rule("0.01", service="clubs"))
    assert status == 422 and "各项服务每学期合计 300.01 元,超过每生每学期 300.00 元的上限" in page
    # per day: 24 yuan is the cap, lunch outside it
    status, page = await clerk.post("/office/fees/rule", rule("24.01", "summer", "day", "15"))
    assert status == 422 and "暑期托管 每天 24.01 元,超过每生每天 24.00 元的上限(午餐除外)" in page
    status, page = await clerk.post("/office/fees/rule", rule("24", "summer", "day", "15"))
    assert status == 200 and "已保存收费标准:暑期托管 按天 24.00 元" in page
    assert rows(office, "SELECT service_id, fen, lunch_fen FROM office_fee_rules ORDER BY id") == [
        ("evening", 300_00, 0), ("summer", 24_00, 15_00)
    ]  # fmt: skip
    # a new row for the same service and period replaces it on the page; the old row stays
    await clerk.post("/office/fees/rule", rule("280.5"))
    status, page = await clerk.get("/office/fees")
    assert "280.50" in page and ">300.00<" not in page.split('id="fee-rules"')[1].split("</table>")[0]
    assert len(rows(office, "SELECT id FROM office_fee_rules WHERE service_id = 'evening'")) == 2
    assert any('"fee_rule":"evening"' in a["what"].replace(" ", "") for a in audit_rows(office))


async def test_a_bad_amount_is_refused_naming_the_field_and_nothing_is_stored(office: Office) -> None:
    clerk = await office.browser("admin")
    await clerk.get("/office/fees")
    for typed in ("abc", "1.234", "-5", "", "3e2"):
        status, page = await clerk.post("/office/fees/rule", rule(typed))
        assert status == 422 and f"金额(元)“{typed}”不是有效金额" in page, typed
    status, page = await clerk.post("/office/fees/rule", rule("12", lunch="x"))
    assert status == 422 and "午餐(元/天,仅按天收费)“x”不是有效金额" in page
    status, page = await clerk.post("/office/fees/rule", {**rule("12"), "period_last": "2027-13-01"})
    assert status == 422 and "结束日期“2027-13-01”不是有效日期" in page
    status, page = await clerk.post("/office/fees/rule", rule("12", service="nosuch"))
    assert status == 422 and "没有服务“nosuch”" in page
    status, page = await clerk.post("/office/fees/rule", rule("３００"))  # full-width digits: 300
    assert status == 200
    assert rows(office, "SELECT fen FROM office_fee_rules") == [(300_00,)]


async def test_a_statement_refunds_days_on_leave_recorded_through_the_leave_page(office: Office) -> None:
    clerk = await clerk_with_fee(office)
    teacher = await office.browser("teacher1a")  # 一年级1班's homeroom teacher records the leave
    await teacher.get("/office/leave")
    status, _ = await teacher.post(
        "/office/leave",
        {"student": MA, "from": "2026-11-23", "to": "2026-11-25", "service": "evening", "reason": "病假"},
    )
    assert status == 200
    leave_refund = div_half_even(300_00 * 3, EVENING_DAYS)
    assert leave_refund == 928

    status, page = await clerk.get(f"/office/fees/child/{MA}")
    assert status == 200 and "马嘉薇(一年级1班)收费明细" in page
    lines = page.split('id="statement-lines"')[1]
    assert "学期服务费(97 个服务日)" in lines and "300.00" in lines
    assert "请假退费(3 天)" in lines and "2026-11-23 – 2026-11-25" in lines and "-9.28" in lines
    assert "应补 290.72 元" in lines

    status, page = await clerk.post(
        "/office/fees/payment", {"child": "马嘉薇", "class": "一年级1班", "amount": "300", "paid_on": "2026-09-10",
                                 "receipt": "R-0001", "first": TERM[0], "last": TERM[1]},
    )  # fmt: skip
    assert status == 200 and "已登记缴费:马嘉薇 300.00 元(收据 R-0001)" in page
    status, page = await clerk.get(f"/office/fees/child/{MA}")
    assert "R-0001" in page and "应退 9.28 元" in page
    status, page = await clerk.post(
        "/office/fees/payment", {"child": MA, "amount": "1", "paid_on": "2026-09-10", "receipt": "R-0001"}
    )
    assert status == 422 and "收据号 R-0001 已登记过" in page

    response = await clerk.client.get(f"/office/fees/child/{MA}/statement.xlsx")
    assert response.status == 200 and "spreadsheetml" in response.content_type
    sheet = openpyxl.load_workbook(io.BytesIO(await response.read())).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "马嘉薇(一年级1班)收费明细 2026-09-01 至 2027-01-20" in cells[0] and "应退 9.28 元" in cells
    status, page = await clerk.get(f"/office/fees/child/{MA}?print=1")
    assert "制表人" in page and "审核人" in page and "学校:school" in page
    assert any(json.loads(a["what"]).get("fee_statement") == MA for a in audit_rows(office))


async def test_a_day_cancelled_after_the_fee_was_set_is_refunded(office: Office) -> None:
    clerk = await clerk_with_fee(office)
    closed = date(2026, 12, 2)  # a Wednesday: closed for snow, added to the calendar after the fee

    def close(store: ServerStore) -> None:
        calendar = json.loads(datasets.body(store.db, "calendar", fee_store.calendar_version(store.db)))
        calendar["holidays"] = sorted({*calendar["holidays"], closed.isoformat()})
        datasets.add_versions(store.db, {"calendar": calendar}, "test", EVENING)

    await office.school.writer.run(close)
    await office.school.refresh()
    status, page = await clerk.get(f"/office/fees/child/{ZHENG}")
    assert (
        "停课退费(1 天)" in page
        and "2026-12-02" in page
        and f"-{yuan(div_half_even(300_00, EVENING_DAYS))}" in page
    )
    status, page = await clerk.get("/office/fees")
    assert "本期停课日(收费标准设定后日历新增的假日):2026-12-02" in page


async def test_waivers_by_name_and_class_with_category_and_approver_and_their_refusals(
    office: Office,
) -> None:
    clerk = await clerk_with_fee(office)
    waiver = {"child": "郑悦", "class": "一年级1班", "category": "dibao", "percent": "100", "approved_by": "王校长",
              "reason": "低保证明已核", "first": TERM[0], "last": TERM[1]}  # fmt: skip
    for change, said in (
        ({"child": "无此人"}, "找不到学生“无此人”(班级:一年级1班)"),
        ({"child": "王豪", "class": ""}, "“王豪”有 2 名同名学生,请选择班级或填写学号"),
        ({"percent": "0"}, "减免比例“0”须为 1 至 100 的整数"),
        ({"percent": "101"}, "减免比例“101”须为 1 至 100 的整数"),
        ({"approved_by": ""}, "请填写批准人"),
        ({"category": "rich"}, "困难类别“rich”不存在"),
    ):
        status, page = await clerk.post("/office/fees/waiver", waiver | change)
        assert status == 422 and said in page, said
    assert rows(office, "SELECT id FROM office_fee_waivers") == []

    status, page = await clerk.post("/office/fees/waiver", waiver)
    assert status == 200 and "已登记减免:郑悦 低保家庭 100%" in page
    status, page = await clerk.get(f"/office/fees/child/{ZHENG}")
    assert "减免 100%:低保家庭(王校长 批准)" in page and "已结清" in page
    [(waiver_id,)] = rows(office, "SELECT id FROM office_fee_waivers")

    status, page = await clerk.post(f"/office/fees/waiver/{waiver_id}/revoke", {"reason": "已脱贫"})
    assert status == 200 and "已撤销 郑悦 的减免" in page
    status, page = await clerk.get(f"/office/fees/child/{ZHENG}")
    assert "低保家庭" not in page and "应补 300.00 元" in page
    status, _ = await clerk.post(f"/office/fees/waiver/{waiver_id}/revoke", {})
    assert status == 404
    assert [r[0] for r in rows(office, "SELECT revokes FROM office_fee_waivers ORDER BY id")] == [
        0,
        waiver_id,
    ]


async def test_the_summary_page_and_its_workbook(office: Office) -> None:
    clerk = await clerk_with_fee(office)
    await clerk.post("/office/fees/waiver", {"child": ZHENG, "category": "poverty", "percent": "50",
                                            "approved_by": "王校长"})  # fmt: skip
    await clerk.post("/office/fees/payment", {"child": MAZI, "amount": "100", "paid_on": "2026-09-05",
                                             "receipt": "R-9"})  # fmt: skip
    status, page = await clerk.get("/office/fees")
    enrolled = len({e.student_id for e in school().enrolments if e.service_id == "evening"})
    charged = yuan(enrolled * 300_00)
    totals = page.split('id="fee-totals"')[1].split("</table>")[0]
    assert f"{enrolled} 名学生" in totals and charged in totals
    balance = int(re.search(r'data-fen="(-?\d+)"', totals)[1])  # type: ignore[index]
    assert balance == enrolled * 300_00 - 150_00 - 100_00
    assert "脱贫或监测家庭" in page.split('id="fee-by-category"')[1]
    assert "一年级2班" in page.split('id="fee-by-class"')[1]
    assert f'href="/office/fees/child/{MAZI}?first=2026-09-01&amp;last=2027-01-20">马梓芸' in page
    assert "s0047" not in page.split('id="fee-payments"')[1].split("</table>")[0]  # names, never ids

    response = await clerk.client.get("/office/fees/summary.xlsx")
    assert response.status == 200
    book = openpyxl.load_workbook(io.BytesIO(await response.read()))
    assert book.sheetnames == ["收费汇总", "减免汇总", "学生汇总", "全部明细"]
    children = list(book["学生汇总"].iter_rows(values_only=True))
    assert children[-1][0] == "合计" and float(children[-1][-1]) * 100 == balance
    status, page = await clerk.get("/office/fees?print=1")
    assert "制表人" in page and 'id="rule-form"' not in page
    status, _ = await clerk.get("/office/fees?first=2027-01-01&last=2026-01-01")
    assert status == 422


async def test_who_may_and_a_homeroom_teacher_reads_only_her_class(office: Office) -> None:
    await clerk_with_fee(office)
    for username in ("guard1", "leader", "duty301"):
        browser = await office.browser(username)
        assert (await browser.get("/office/fees"))[0] == 403, username
        assert (await browser.get(f"/office/fees/child/{MA}"))[0] == 403, username
    teacher = await office.browser("teacher1a")
    status, page = await teacher.get("/office/fees")
    assert status == 200 and "马嘉薇" in page and "马梓芸" not in page and 'id="rule-form"' not in page
    assert 'id="fee-totals"' not in page and "/office/fees/summary.xlsx" not in page
    assert (await teacher.get(f"/office/fees/child/{MA}"))[0] == 200
    assert (await teacher.get(f"/office/fees/child/{MAZI}"))[0] == 403  # another class's child
    assert (await teacher.get("/office/fees/child/s9999"))[0] == 403  # the same answer for nobody
    assert (await teacher.get("/office/fees/summary.xlsx"))[0] == 403
    for path, form in (("/office/fees/rule", rule("10")), ("/office/fees/payment", {"child": MA, "amount": "1"}),
                       ("/office/fees/waiver", {"child": MA})):  # fmt: skip
        assert (await teacher.post(path, form))[0] == 403, path
    clerk = await office.browser("office1")
    assert (await clerk.get("/office/fees/child/s9999"))[0] == 404
    await clerk.get("/office/fees")
    assert (await clerk.post("/office/fees/rule", rule("10"), csrf=False))[0] == 403
    assert len(rows(office, "SELECT id FROM office_fee_rules")) == 1


# -- the property: the summary is the sum of the statements, through the store and the page's code -----

SAMPLE = school()
CHILDREN = sorted({e.student_id for e in SAMPLE.enrolments})
FIRST, LAST = date(2026, 9, 1), date(2027, 1, 20)
money = st.integers(0, 300_00)
leave = st.tuples(st.sampled_from(CHILDREN), st.integers(0, 130), st.integers(0, 6), st.sampled_from(["", "evening", "midday"]))  # fmt: skip
waiver = st.tuples(st.sampled_from(CHILDREN), st.sampled_from(list(Category)), st.integers(1, 100), st.sampled_from(["", "evening", "clubs"]))  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    evening=money, midday=money, clubs=money,
    leaves=st.lists(leave, max_size=8), waivers=st.lists(waiver, max_size=6),
    paid=st.lists(st.tuples(st.sampled_from(CHILDREN), st.integers(1, 400_00)), max_size=6),
    closed=st.sets(st.integers(0, 140), max_size=3),
)  # fmt: skip
def test_the_school_summary_is_the_sum_of_the_statements(
    evening: int, midday: int, clubs: int, leaves: list[tuple[str, int, int, str]],
    waivers: list[tuple[str, Category, int, str]], paid: list[tuple[str, int]], closed: set[int],
) -> None:  # fmt: skip
    total = evening + midday + clubs
    if total > fees.CAP_SEMESTER_FEN:  # the page refuses these; scale them under the cap
        evening, midday, clubs = (x * fees.CAP_SEMESTER_FEN // total for x in (evening, midday, clubs))
    people = replace_leave(leaves)
    with tempfile.TemporaryDirectory() as folder, pgstore.target(BACKEND["now"], Path(folder)) as target:
        store = ServerStore.open(target, TZ)
        try:
            datasets.add_versions(store.db, school_to_datasets(SAMPLE), "sample", EVENING)
            for service, fen in (("evening", evening), ("midday", midday), ("clubs", clubs)):
                fee_store.add_rule(
                    store.db, FeeRule(service, Basis.SEMESTER, fen), FIRST, LAST, "office:a", EVENING
                )
            for child, category, percent, service in waivers:
                fee_store.add_waiver(
                    store.db, Waiver(child, category, "王校长", percent, service), "", "office:a", EVENING
                )
            for n, (child, fen) in enumerate(paid):
                fee_store.add_payment(
                    store.db, child, fen, FIRST, f"R{n}", (FIRST, LAST), "office:a", EVENING
                )
            if closed:  # days the school cancelled after the fees were set
                later = school_to_datasets(people)["calendar"]
                later["holidays"] = sorted(
                    {*later["holidays"], *(str(FIRST + timedelta(days=d)) for d in closed)}
                )
                datasets.add_versions(store.db, {"calendar": later}, "closed", EVENING)
                people = replace(people, calendar=datasets.school(store.db).calendar)
            found = held(store.db, FIRST, LAST)
            each = {c: held(store.db, FIRST, LAST, c) for c in CHILDREN}  # what each statement page reads
        finally:
            store.close()
    problems, statements = compute(billing_of(people, found, FIRST, LAST))  # the summary page's path
    assert problems == () and statements
    alone = {}
    for child, one in each.items():  # the statement page's own path, one child at a time
        _, found_one = compute(billing_of(people, one, FIRST, LAST), child)
        alone[child] = found_one[0] if found_one else None
    assert {s.student_id: s for s in statements} == {c: s for c, s in alone.items() if s is not None}
    summary = fees.summary(statements, FIRST, LAST)
    chosen = [s for s in alone.values() if s is not None]
    assert summary.children == len(chosen)
    assert summary.totals == fees.Totals(
        sum(s.charged for s in chosen), sum(s.refunded for s in chosen), sum(s.waived for s in chosen),
        sum(s.paid_fen for s in chosen),
    )  # fmt: skip
    assert summary.totals.balance == sum(s.balance for s in chosen)
    classes = by_class(statements, people)
    assert sum(n for _, n, _ in classes) == summary.children
    assert sum(x.balance for _, _, x in classes) == summary.totals.balance
    assert sum(x.paid for _, _, x in classes) == sum(fen for _, fen in paid)


def replace_leave(leaves: list[tuple[str, int, int, str]]) -> School:
    extra = tuple(
        Leave(child, FIRST + timedelta(days=start), FIRST + timedelta(days=start + length), service, "事假")
        for child, start, length, service in leaves
    )
    return replace(SAMPLE, leave=SAMPLE.leave + extra)
