"""The office's workbooks read back with openpyxl say what the pure modules say, to the fen; LibreOffice makes PDFs of them with the Chinese intact."""

from __future__ import annotations

import io
import re
import shutil
import string
import subprocess
import time as clock
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.worksheet.worksheet import Worksheet

from edge.core.i18n import CATALOGUE, t
from edge.core.model import Gender, Student
from sync.office import exports
from sync.office.activities import Archive, Category, summarise_attendance, term_archive
from sync.office.attendance import Status
from sync.office.exports import FONT, Names, fen_to_yuan
from sync.office.fees import Kind, Line, Statement, statements, summary
from sync.office.pay import Allocation, allocate, monthly
from tests.office.money_school import FRIDAY, MONDAY, PEOPLE, TERM, TUESDAY, TZ
from tests.office.test_activities import CALLIGRAPHY, REPORTS, W48, W50, note, record
from tests.office.test_fees import FIRST, LAST, term_billing
from tests.office.test_pay import RATES, week_marks

CHILDREN = {"s-an": "安小雨", "s-bai": "白晓", "s-cui": "崔明", "s-du": "杜子腾"}
NAMES = Names(
    "实验小学",
    services={"evening": "晚自习", "clubs": "社团"},
    rooms={"r1": "一(1)班教室", "r2": "一(2)班教室", "music": "音乐室"},
    people={p.id: p.name for p in PEOPLE.values()},
    students={i: Student(i, n, Gender.FEMALE, 1, "一年级1班") for i, n in CHILDREN.items()},
)


def read(book: openpyxl.Workbook) -> openpyxl.Workbook:
    """The workbook as a file would give it back: saved, then loaded."""
    buffer = io.BytesIO()
    exports.save(book, buffer)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)


def table(sheet: Worksheet) -> list[dict[str, object]]:
    """Rows 3.. as dicts by the header of row 2."""
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(h) for h in rows[1]]
    return [dict(zip(header, row, strict=True)) for row in rows[2:]]


def fen(value: object) -> int:
    """A yuan cell back to fen, exactly: openpyxl reads the number as a float, whose repr is the decimal written."""
    assert isinstance(value, int | float), value
    exact = Decimal(repr(value)) * 100
    assert exact == exact.to_integral_value(), value
    return int(exact)


def h(key: str, lang: str = "zh") -> str:
    return t(f"export.col.{key}", lang)


def week_allocation() -> Allocation:
    return allocate(week_marks(), PEOPLE, RATES, MONDAY, FRIDAY)


# -- pay ----------------------------------------------------------------------------------------


def test_the_pay_workbook_has_each_line_and_the_sessions_behind_it() -> None:
    allocation = week_allocation()
    book = read(exports.pay_workbook(allocation, NAMES))
    lines_sheet, sessions_sheet = book.worksheets
    assert (lines_sheet.title, sessions_sheet.title) == ("补助分配", "场次明细")
    assert lines_sheet["A1"].value == "实验小学 · 2026-11-30 至 2026-12-04 补助分配表"
    *lines, total = table(lines_sheet)
    assert [(r[h("name")], r[h("role")], r[h("sessions")], fen(r[h("amount")])) for r in lines] == [
        (x.name, t("pay.role.coach" if x.role == "coach" else f"rota.role.{x.role}"), x.count, x.amount_fen)
        for x in exports.in_office_order(allocation)
    ]
    # leaders, guards, teachers, then the outside coach; names in pinyin order within each
    assert [r[h("name")] for r in lines] == [
        "李主任", "钱主任", "孙主任", "赵校长", "吴师傅", "周师傅", "陈老师", "何老师", "林老师", "马教练",
    ]  # fmt: skip
    assert set(exports.in_office_order(allocation)) == set(allocation.lines)
    he = next(r for r in lines if r[h("name")] == "何老师")  # covering 陈老师 on Tuesday
    assert (he[h("service")], he[h("sessions")], fen(he[h("rate")]), fen(he[h("amount")])) == (
        "晚自习",
        1,
        50_00,
        50_00,
    )
    assert (total[h("name")], total[h("sessions")], fen(total[h("amount")])) == ("合计", 31, 1220_00)
    # every figure traceable: the sessions behind line n add up to line n
    behind: dict[int, list[dict[str, object]]] = defaultdict(list)
    for row in table(sessions_sheet):
        behind[int(row[h("line")])].append(row)  # type: ignore[call-overload]
    for no, (row, line) in enumerate(zip(lines, exports.in_office_order(allocation), strict=True), start=1):
        assert row[h("no")] == no
        assert len(behind[no]) == line.count
        assert sum(fen(s[h("rate")]) for s in behind[no]) == fen(row[h("amount")]) == line.amount_fen
        assert [s[h("day")].date() for s in behind[no]] == [s.day for s in line.sessions]  # type: ignore[union-attr]
    assert [s[h("day")].date() for s in behind[8]] == [TUESDAY]  # type: ignore[union-attr]  # 何老师, Tuesday, r1
    assert behind[8][0][h("room")] == "一(1)班教室"


def test_a_month_s_allocation_is_titled_by_its_month() -> None:
    december = monthly(week_marks(), PEOPLE, RATES, 2026, 12)
    sheet = read(exports.pay_workbook(december, NAMES)).worksheets[0]
    assert sheet["A1"].value == "实验小学 · 2026 年 12 月补助分配表"
    assert fen(table(sheet)[-1][h("amount")]) == december.total_fen == 1020_00


def test_english_on_request() -> None:
    sheet = read(exports.pay_workbook(week_allocation(), Names(), "en")).worksheets[0]
    assert [c.value for c in sheet[2]] == ["No.", "Name", "Role", "Service", "Sessions", "Rate (yuan a session)",
                                            "Amount (yuan)"]  # fmt: skip
    assert sheet.title == "Allocation" and table(sheet)[-1]["Name"] == "Total"
    assert sheet["A1"].value == "allowance, 2026-11-30 to 2026-12-04: allocation"


# -- fees ---------------------------------------------------------------------------------------


def fee_run() -> tuple[tuple[Statement, ...], object]:
    found = statements(term_billing())
    return found, summary(found, FIRST, LAST)


def test_a_child_s_statement_adds_up_to_what_is_due_and_says_the_balance() -> None:
    found, _ = fee_run()
    cui = next(
        s for s in found if s.student_id == "s-cui"
    )  # 300.00 - 45.00 leave - 127.50 waived (脱贫 50 %)
    sheet = read(exports.fee_statement_workbook(cui, NAMES)).worksheets[0]
    assert sheet["A1"].value == "实验小学 · 崔明(一年级1班)收费明细 2026-11-02 至 2026-11-27"
    *lines, due, paid, balance = table(sheet)
    assert [(r[h("kind")], fen(r[h("amount")])) for r in lines] == [
        ("应收", 300_00),
        ("退费", -45_00),
        ("减免", -127_50),
    ]
    assert lines[1][h("days")] == 3 and "请假退费" in str(lines[1][h("item")])
    assert "王校长" in str(lines[2][h("item")])
    assert sum(fen(r[h("amount")]) for r in lines) == fen(due[h("amount")]) == cui.due == 127_50
    assert (fen(paid[h("amount")]), fen(balance[h("amount")])) == (0, 127_50)
    assert balance[h("item")] == "应补 127.50 元"
    an = next(s for s in found if s.student_id == "s-an")  # paid 300.00, 30.00 back: 多退
    *_, last = table(read(exports.fee_statement_workbook(an, NAMES)).worksheets[0])
    assert (last[h("item")], fen(last[h("amount")])) == ("应退 30.00 元", -30_00)


def test_the_school_summary_is_the_sum_of_the_statements() -> None:
    found, totals = fee_run()
    book = read(exports.fee_summary_workbook(found, totals, NAMES))  # type: ignore[arg-type]
    assert [s.title for s in book.worksheets] == ["收费汇总", "减免汇总", "学生汇总", "全部明细"]
    by_service, waivers, children, lines = (table(s) for s in book.worksheets)
    *pupils, pupils_total = children
    for column, value in (("charged", 1200_00), ("refunded", 225_00), ("waived", 427_50), ("due", 547_50),
                          ("paid", 450_00), ("balance", 97_50)):  # fmt: skip
        assert sum(fen(r[h(column)]) for r in pupils) == fen(pupils_total[h(column)]) == value, column
    assert fen(by_service[-1][h("due")]) == fen(pupils_total[h("due")])
    assert [(r[h("service")], fen(r[h("charged")])) for r in by_service] == [
        ("晚自习", 1200_00),
        ("合计", 1200_00),
    ]
    assert [(r[h("category")], r[h("children")], fen(r[h("waived")])) for r in waivers] == [
        ("低保家庭", 1, 300_00), ("脱贫或监测家庭", 1, 127_50),
    ]  # fmt: skip
    # each child's lines add up to her row's due
    due: Counter[str] = Counter()
    for row in lines:
        due[str(row[h("student")])] += fen(row[h("amount")])
    assert dict(due) == {str(r[h("student")]): fen(r[h("due")]) for r in pupils}
    assert [r[h("name")] for r in pupils] == ["安小雨", "白晓", "崔明", "杜子腾"]


line_strategy = st.builds(
    lambda kind, service, amount: exports_line(0, amount if kind is Kind.CHARGE else -amount)
    if kind is not Kind.WAIVER else Line(Kind.WAIVER, service, "fees.line.waiver.dibao", amount, (),
                                         {"percent": 100, "approved_by": "王校长", "category": "dibao"}),
    st.sampled_from(list(Kind)), st.sampled_from(["evening", "clubs"]), st.integers(0, 10**8),
)  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.lists(line_strategy, max_size=6), st.integers(0, 10**8)), min_size=1, max_size=6)
)
def test_the_summary_workbook_adds_up_for_any_statements(children: list[tuple[list[Line], int]]) -> None:
    found = tuple(
        Statement(f"s-{n}", FIRST, LAST, tuple(lines), paid) for n, (lines, paid) in enumerate(children)
    )
    totals = summary(found, FIRST, LAST)
    by_service, _, pupils_sheet, lines = (
        table(s) for s in read(exports.fee_summary_workbook(found, totals, NAMES)).worksheets
    )
    *pupils, pupils_total = pupils_sheet
    for column, value in (("charged", totals.totals.charged), ("refunded", totals.totals.refunded),
                          ("waived", totals.totals.waived), ("paid", totals.totals.paid),
                          ("balance", totals.totals.balance)):  # fmt: skip
        assert sum(fen(r[h(column)]) for r in pupils) == fen(pupils_total[h(column)]) == value
    assert (
        sum(fen(r[h("due")]) for r in by_service[:-1]) == fen(by_service[-1][h("due")]) == totals.totals.due
    )
    assert sum(fen(r[h("amount")]) for r in lines) == totals.totals.due


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(10**11), 10**11), min_size=1, max_size=20))
def test_any_amount_in_fen_reads_back_to_the_same_fen(amounts: list[int]) -> None:
    lines = tuple(exports_line(n, a) for n, a in enumerate(amounts))
    statement = Statement("s-an", FIRST, LAST, lines)
    sheet = read(exports.fee_statement_workbook(statement, NAMES)).worksheets[0]
    *rows, due, _, _ = table(sheet)
    assert [fen(r[h("amount")]) for r in rows] == [x.fen if x.kind is Kind.CHARGE else -x.fen for x in lines]
    assert fen(due[h("amount")]) == statement.due
    assert sheet.cell(3, 5).number_format == "#,##0.00"


def exports_line(n: int, amount: int) -> Line:
    kind = Kind.CHARGE if amount >= 0 else Kind.REFUND
    return Line(kind, "evening", "fees.line.semester", abs(amount), (), {"days": n})


def test_money_is_an_exact_decimal_never_a_float() -> None:
    assert fen_to_yuan(12345) == Decimal("123.45") and fen_to_yuan(-5) == Decimal("-0.05")
    assert fen_to_yuan(10**15 + 1) == Decimal("10000000000000.01")
    book = exports.fee_statement_workbook(fee_run()[0][0], NAMES)
    written = [c.value for row in book.worksheets[0].iter_rows(min_row=3) for c in row if c.column == 5]
    assert written and all(isinstance(v, Decimal) for v in written)


# -- staff attendance ---------------------------------------------------------------------------


def test_the_attendance_workbook_has_each_post_and_each_person_s_counts() -> None:
    marks = week_marks()
    book = read(exports.attendance_workbook(marks, NAMES, MONDAY, FRIDAY, TZ))
    rows, people = (table(s) for s in book.worksheets)
    assert len(rows) == len(marks)
    chen = [r for r in rows if r[h("name")] == "陈老师"]
    assert [r[h("status")] for r in chen] == ["准时", "由 何老师 代班", "准时", "准时", "准时"]
    assert chen[0][h("arrived")] == "18:05" and chen[0][h("room")] == "一(1)班教室"
    wu = next(r for r in people if r[h("name")] == "吴师傅")
    # at the gate at 17:00: on time on Mon and Tue, late on Wed and Fri (clubs start at 16:15), absent on Thu
    assert (wu[h("on_time")], wu[h("late")], wu[h("absent")], wu[h("total")]) == (2, 2, 1, 5)
    counted = Counter((m.person_id, m.status) for m in marks)
    for row in people:
        person = next(p for p in PEOPLE.values() if p.name == row[h("name")])
        assert [row[h(k)] for k in ("on_time", "late", "absent", "covered")] == [
            counted[(person.id, s)] for s in (Status.ON_TIME, Status.LATE, Status.ABSENT, Status.COVERED)
        ]


# -- the term archive ---------------------------------------------------------------------------


def archive() -> Archive:
    records = [record(week=W48), record(week=W50, written_on=date(2026, 12, 28),
                                        text="=SUM(A1:A9) 不是公式;书写练习\n第二行")]  # fmt: skip
    notes = [note(), note(day=TUESDAY, written_at=datetime.combine(TUESDAY, time(19, 45), tzinfo=TZ))]
    return term_archive(CALLIGRAPHY, TERM, records, summarise_attendance(REPORTS[:3]), REPORTS, notes,
                        signed_by="陈老师", signed_on=date(2027, 1, 15))  # fmt: skip


def test_the_archive_workbook_has_every_part_of_the_archive() -> None:
    found = archive()
    book = read(exports.archive_workbook(found, NAMES, TZ))
    assert [s.title for s in book.worksheets] == ["概况", "活动记录", "学生出勤", "零报告", "看管记录"]
    assert book.worksheets[0]["A1"].value == "实验小学 · 书法 期末存档(2026-11-02 至 2027-01-15)"
    overview = {r[h("field")]: r[h("value")] for r in table(book.worksheets[0])}
    assert overview["责任教师"] == "陈老师" and overview["应填周数"] == "11" and overview["已填周数"] == "2"
    assert "2026 年第 49 周" in str(overview["未填周次"]) and overview["未签零报告(场)"] == "1"
    assert (overview["责任教师签字"], overview["签字日期"]) == ("陈老师", "2027-01-15")
    records = table(book.worksheets[1])
    assert [r[h("week")] for r in records] == ["2026 年第 48 周", "2026 年第 50 周"]
    assert (
        records[0][h("categories")] == "课业指导、艺术"
        and records[0][h("dates")] == "2026-11-23 至 2026-11-29"
    )
    assert records[1][h("text")] == "=SUM(A1:A9) 不是公式;书写练习\n第二行"  # text, not a formula
    assert (records[0][h("filed_late")], records[1][h("filed_late")]) == ("否", "是")
    assert book.worksheets[1]["E4"].data_type == "s"
    pupils = table(book.worksheets[2])
    assert [(r[h("name")], r[h("sessions_expected")], r[h("present")], r[h("on_leave")], r[h("missing")])
            for r in pupils] == [("安小雨", 3, 2, 1, 0), ("白晓", 3, 3, 0, 0), ("崔明", 3, 2, 0, 1)]  # fmt: skip
    reports = table(book.worksheets[3])
    assert [(r[h("time")], r[h("signer")], r[h("signed_at")]) for r in reports] == [
        ("18:15–19:30", "陈老师", "2026-11-30 18:31"), ("18:15–19:30", "陈老师", "2026-12-01 18:31"),
        ("18:15–19:30", "未签", None),  # an empty cell
    ]  # fmt: skip
    assert reports[1][h("missing_names")] == "崔明" and reports[1][h("clean")] == "否"
    care = table(book.worksheets[4])
    assert [(r[h("author")], r[h("written_at")]) for r in care] == [
        ("陈老师", "2026-11-30 19:40"), ("陈老师", "2026-12-01 19:45"),
    ]  # fmt: skip
    assert "全部由家长接走" in str(care[0][h("note")])


def test_control_characters_are_dropped_not_a_broken_file_and_an_unsigned_archive_has_room_to_sign() -> None:
    bad = term_archive(CALLIGRAPHY, TERM, [record(text="书写\x0b练习\x00")], (), (), ())
    book = read(exports.archive_workbook(bad, NAMES, TZ))
    assert table(book.worksheets[1])[0][h("text")] == "书写练习"
    overview = book.worksheets[0]
    [signature] = [row[0].row for row in overview.iter_rows(min_row=3) if row[0].value == "责任教师签字"]
    assert overview.cell(signature, 2).value is None and overview.row_dimensions[signature].height == 36


def every_book() -> Iterator[tuple[str, openpyxl.Workbook]]:
    found, totals = fee_run()
    yield "pay", exports.pay_workbook(week_allocation(), NAMES)
    yield (
        "statement",
        exports.fee_statement_workbook(next(s for s in found if s.student_id == "s-cui"), NAMES),
    )
    yield "fees", exports.fee_summary_workbook(found, totals, NAMES)  # type: ignore[arg-type]
    yield "attendance", exports.attendance_workbook(week_marks(), NAMES, MONDAY, FRIDAY, TZ)
    yield "archive", exports.archive_workbook(archive(), NAMES, TZ)


def test_every_cell_is_in_the_cjk_font_and_every_sheet_is_set_up_for_print() -> None:
    for name, book in every_book():
        for sheet in read(book).worksheets:
            fonts = {c.font.name for row in sheet.iter_rows() for c in row if c.value is not None}
            assert fonts == {FONT}, (name, sheet.title)
            assert sheet.print_title_rows == "$1:$2", (name, sheet.title)
            assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
            assert sheet.page_setup.fitToHeight == 0 and int(sheet.page_setup.paperSize) == int(
                sheet.PAPERSIZE_A4
            )
            assert sheet.freeze_panes == "A3"
    wide = read(exports.attendance_workbook(week_marks(), NAMES, MONDAY, FRIDAY, TZ)).worksheets[0]
    narrow = read(exports.fee_statement_workbook(fee_run()[0][0], NAMES)).worksheets[0]
    assert (wide.page_setup.orientation, narrow.page_setup.orientation) == ("landscape", "portrait")


# -- the catalogue ------------------------------------------------------------------------------

SOURCE = Path(__file__).resolve().parents[2] / "sync" / "office"


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_export_and_activity_text_is_in_the_catalogue_in_both_languages() -> None:
    source = (SOURCE / "exports.py").read_text(encoding="utf-8")
    used = {f"export.col.{key}" for key in re.findall(r'Col\("([a-z_]+)"', source)}
    used |= set(re.findall(r'"(export\.[a-z_.]+[a-z_])"', source))
    used |= {
        f"export.overview.{key}"
        for key in re.findall(r'\("([a-z_]+)", (?:group|names|str|missing|archive)', source)
    }
    activities = (SOURCE / "activities.py").read_text(encoding="utf-8")
    used |= set(re.findall(r'"(activities\.[a-z_.]+[a-z_])"', activities))
    used |= {f"activities.category.{c}" for c in Category}
    assert len(used) > 100  # the scan finds them
    assert sorted(k for k in used if k not in CATALOGUE) == []
    ours = {k: v for k, v in CATALOGUE.items() if k.split(".")[0] in ("export", "activities")}
    assert {k for k, (zh, en) in ours.items() if fields(zh) != fields(en) or not zh or not en} == set()


# -- LibreOffice --------------------------------------------------------------------------------


def missing_tools() -> str | None:
    if exports.soffice() is None:
        return "LibreOffice is not installed (apt-get install libreoffice-calc-nogui)"
    if shutil.which("pdftotext") is None or shutil.which("pdffonts") is None:
        return "pdftotext/pdffonts are not installed (apt-get install poppler-utils)"
    found = (
        shutil.which("fc-list") and subprocess.run(["fc-list", FONT], capture_output=True, text=True).stdout
    )
    if not found or not found.strip():
        return f"the font {FONT} is not installed (apt-get install fonts-noto-cjk)"
    return None


@pytest.mark.skipif(missing_tools() is not None, reason=str(missing_tools()))
def test_libreoffice_makes_a_pdf_of_each_workbook_with_the_chinese_in_a_cjk_font(tmp_path: Path) -> None:
    paths = []
    for name, book in every_book():
        exports.save(book, tmp_path / f"{name}.xlsx")
        paths.append(tmp_path / f"{name}.xlsx")
    started = clock.monotonic()
    pdfs = exports.to_pdf(paths, tmp_path)
    print(f"LibreOffice: {len(paths)} workbooks to PDF in {clock.monotonic() - started:.1f} s")
    expected = {
        "pay": ["补助分配表", "金额(元)", "何老师", "1,220.00", "场次明细"],
        "statement": ["崔明", "收费明细", "请假退费", "应补 127.50 元"],
        "fees": ["收费汇总", "应缴(元)", "杜子腾", "脱贫或监测家庭", "547.50"],
        "attendance": ["教职工考勤", "到岗时间", "由 何老师 代班", "吴师傅"],
        "archive": [
            "期末存档",
            "活动记录",
            "临摹《九成宫》楷书",
            "安小雨",
            "签字教师",
            "看管记录",
            "全部由家长接走",
        ],
    }
    for pdf in pdfs:
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        compact = re.sub(r"\s+", "", text)
        for words in expected[pdf.stem]:
            assert re.sub(r"\s+", "", words) in compact, (pdf.stem, words)
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "NotoSansCJK" in fonts, (pdf.stem, fonts)  # drawn in the CJK font, not a fallback's boxes


def test_without_libreoffice_the_pdf_is_refused_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # the third-party boundary: no soffice on the PATH
    with pytest.raises(exports.PdfError, match="libreoffice-calc-nogui"):
        exports.to_pdf([tmp_path / "x.xlsx"], tmp_path)
