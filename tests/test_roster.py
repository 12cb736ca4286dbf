"""Tests roster, enrolment and leave import and roster export: formats, encodings, every bad row reported."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.cli.sample import sample_school
from edge.core.model import Card, CardKind, CardStatus, Enrolment, Gender, Guardian, Leave, School, Student
from edge.core.pinyin import sort_key
from edge.files.roster import RosterError, read_enrolments, read_leave, read_roster, write_roster

HEADER = ["学号", "姓名", "性别", "年级", "班级", "家长姓名", "联系电话", "卡号", "接送卡号"]
GOOD = ["s1", "张三", "男", "三年级", "三年级2班", "王芳", "13800138000", "E4:3A:C9:D2", "11223344"]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def row(**changes: str) -> list[str]:
    """GOOD with some columns changed, by Chinese header."""
    cells = list(GOOD)
    for header, value in changes.items():
        cells[HEADER.index(header)] = value
    return cells


def errors(path: Path, read: Callable[..., object] = read_roster, lang: str = "en") -> list[str]:
    """The problems reading `path` gives, in English unless `lang` says otherwise."""
    with pytest.raises(RosterError) as caught:
        read(path, lang=lang)
    return caught.value.messages


@pytest.fixture(scope="module")
def sample() -> School:
    return sample_school(7)


# -- round trip ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_export_then_import_gives_the_same_school(
    tmp_path: Path, sample: School, suffix: str, lang: str
) -> None:
    path = tmp_path / f"roster{suffix}"
    write_roster(sample, path, lang)
    back = read_roster(path)
    assert back.students == sample.students
    assert back.guardians == sample.guardians
    assert back.cards == {uid: c for uid, c in sample.cards.items() if c.kind is not CardKind.STAFF}
    # The sample has what a round trip can lose: siblings, contacts, lost cards, walkers.
    assert any(len(g.children) > 1 for g in back.guardians.values())
    assert any(not g.may_pick_up for g in back.guardians.values())
    assert any(c.status is CardStatus.LOST for c in back.cards.values())


@pytest.mark.parametrize(("lang", "first"), [("zh", "学号"), ("en", "student_id")])
def test_export_headers_follow_the_language(tmp_path: Path, sample: School, lang: str, first: str) -> None:
    write_roster(sample, tmp_path / "r.xlsx", lang)
    book = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert header[0] == first
    write_roster(sample, tmp_path / "r.csv", lang)
    raw = (tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    assert raw.decode("utf-8-sig").startswith(first + ",")


def test_export_sorts_by_class_then_pinyin(tmp_path: Path) -> None:
    def pupil(sid: str, name: str, class_name: str) -> Student:
        return Student(sid, name, Gender.FEMALE, 3, class_name)

    students = [
        pupil("a", "张三", "三年级10班"), pupil("b", "安娜", "三年级10班"), pupil("c", "曾小明", "三年级2班"),
        pupil("d", "白雪", "三年级2班"), Student("e", "周一", Gender.MALE, 1, "一年级1班"),
    ]  # fmt: skip
    write_roster(School(students={s.id: s for s in students}), tmp_path / "r.csv")
    lines = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text("utf-8-sig"))))[1:]
    assert [cells[1] for cells in lines] == ["周一", "白雪", "曾小明", "安娜", "张三"]


def test_exported_xlsx_keeps_numbers_and_formulas_as_text(tmp_path: Path) -> None:
    student = Student("0012", "=1+1", Gender.MALE, 1, "1-1")
    guardian = Guardian("g-13800138000", "王芳", "13800138000", "母亲", ("0012",))
    write_roster(School(students={"0012": student}, guardians={guardian.id: guardian}), tmp_path / "r.xlsx")
    back = read_roster(tmp_path / "r.xlsx")
    assert back.students["0012"] == student
    assert back.guardians[guardian.id].phone == "13800138000"


def test_sorted_export_is_in_pinyin_order_within_each_class(tmp_path: Path, sample: School) -> None:
    write_roster(sample, tmp_path / "r.csv", "en")
    lines = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text("utf-8-sig"))))
    first_class = [line["name"] for line in lines if line["class"] == "一年级1班"]
    assert len(first_class) == 40
    assert first_class == sorted(first_class, key=sort_key)
    assert [int(line["grade"]) for line in lines] == sorted(int(line["grade"]) for line in lines)


# -- reading -----------------------------------------------------------------------------------------


def test_reads_a_good_roster(tmp_path: Path) -> None:
    school = read_roster(write_csv(tmp_path / "r.csv", [HEADER, GOOD]))
    assert school.students == {"s1": Student("s1", "张三", Gender.MALE, 3, "三年级2班")}
    assert school.guardians == {
        "g-13800138000": Guardian("g-13800138000", "王芳", "13800138000", "家长", ("s1",))
    }
    assert school.cards == {
        "E43AC9D2": Card("E43AC9D2", CardKind.STUDENT, "s1"),
        "11223344": Card("11223344", CardKind.GUARDIAN, "g-13800138000"),
    }
    assert not school.staff and not school.enrolments


def test_gbk_csv_from_chinese_excel_imports(tmp_path: Path) -> None:
    school = read_roster(write_csv(tmp_path / "r.csv", [HEADER, GOOD], encoding="gbk"))
    assert school.students["s1"].name == "张三"
    assert school.guardians["g-13800138000"].name == "王芳"


def test_undecodable_csv_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n" + ",".join(GOOD).encode() + b"\ns2,\xff\xfe,\n")
    assert errors(path) == [f"{path}:3: the file is neither UTF-8 nor GBK text"]


def test_english_headers_in_any_case_order_and_spacing(tmp_path: Path) -> None:
    header = ["Class", "NAME", "Student ID", "gender", "Grade", "Guardian Phone", "guardian_name", "Relation"]
    path = write_csv(
        tmp_path / "r.csv", [header, ["3-2", "Li Lei", "A7", "M", "3", "138 0013 8000", "Han", "父亲"]]
    )
    school = read_roster(path)
    assert school.students["A7"] == Student("A7", "Li Lei", Gender.MALE, 3, "3-2")
    assert school.guardians["g-13800138000"].relation == "父亲"


@pytest.mark.parametrize(
    ("text", "grade"),
    [("3", 3), ("三", 3), ("三年级", 3), ("3年级", 3), ("十二", 12), ("１", 1), ("六年级", 6)],
)
def test_grade_formats(tmp_path: Path, text: str, grade: int) -> None:
    school = read_roster(write_csv(tmp_path / "r.csv", [HEADER, row(年级=text)]))
    assert school.students["s1"].grade == grade


@pytest.mark.parametrize(
    "phone", ["138-0013-8000", "138 0013 8000", "+86 13800138000", "１３８００１３８０００"]
)
def test_phone_formats(tmp_path: Path, phone: str) -> None:
    school = read_roster(write_csv(tmp_path / "r.csv", [HEADER, row(联系电话=phone)]))
    assert list(school.guardians) == ["g-13800138000"]
    assert school.guardians["g-13800138000"].phone == "13800138000"


@pytest.mark.parametrize(("text", "walks"), [("是", True), ("YES", True), ("true", True), ("1", True),
                                             ("否", False), ("no", False), ("0", False), ("", False)])  # fmt: skip
def test_may_walk_home_values(tmp_path: Path, text: str, walks: bool) -> None:
    path = write_csv(tmp_path / "r.csv", [[*HEADER, "允许自行离校"], [*GOOD, text]])
    assert read_roster(path).students["s1"].may_walk_home is walks


def test_siblings_share_one_guardian_and_its_card(tmp_path: Path) -> None:
    sibling = row(学号="s2", 姓名="张四", 年级="1", 班级="一年级1班", 卡号="55667788")
    school = read_roster(write_csv(tmp_path / "r.csv", [HEADER, GOOD, sibling]))
    assert list(school.guardians) == ["g-13800138000"]
    assert school.guardians["g-13800138000"].children == ("s1", "s2")
    assert school.cards["11223344"].holder_id == "g-13800138000"


def test_a_siblings_row_may_leave_relation_empty_but_not_contradict_it(tmp_path: Path) -> None:
    header = [*HEADER, "关系"]
    sibling = [*row(学号="s2", 卡号="", 接送卡号=""), ""]
    school = read_roster(write_csv(tmp_path / "r.csv", [header, [*GOOD, "母亲"], sibling]))
    assert school.guardians["g-13800138000"].relation == "母亲"
    path = write_csv(
        tmp_path / "r.csv", [header, [*GOOD, "母亲"], [*row(学号="s2", 卡号="", 接送卡号=""), "奶奶"]]
    )
    assert errors(path) == [f"{path}:3: 联系电话 '13800138000' is 王芳 (母亲) on line 2 but 王芳 (奶奶) here"]


def test_a_numeric_student_id_may_equal_a_card_uid(tmp_path: Path) -> None:
    first = row(学号="20260001", 卡号="20260002", 接送卡号="")
    second = row(学号="20260002", 卡号="20260001", 接送卡号="")
    school = read_roster(write_csv(tmp_path / "r.csv", [HEADER, first, second]))
    assert school.cards["20260002"].holder_id == "20260001"
    assert set(school.students) == {"20260001", "20260002"}


def test_second_guardian_columns(tmp_path: Path) -> None:
    header = [*HEADER, "家长2姓名", "关系2", "联系电话2", "接送卡号2"]
    school = read_roster(
        write_csv(tmp_path / "r.csv", [header, [*GOOD, "张伟", "父亲", "13900139000", "AABBCCDD"]])
    )
    assert school.guardians["g-13900139000"] == Guardian(
        "g-13900139000", "张伟", "13900139000", "父亲", ("s1",)
    )
    assert school.cards["AABBCCDD"] == Card("AABBCCDD", CardKind.GUARDIAN, "g-13900139000")
    assert len(school.guardians_of("s1")) == 2


def test_numbered_first_guardian_columns(tmp_path: Path) -> None:
    header = ["学号", "姓名", "性别", "年级", "班级", "家长1姓名", "联系电话1", "家长2姓名", "联系电话2"]
    path = write_csv(
        tmp_path / "r.csv",
        [header, ["s1", "张三", "男", "3", "3-2", "王芳", "13800138000", "张伟", "13900139000"]],
    )
    assert set(read_roster(path).guardians) == {"g-13800138000", "g-13900139000"}


def test_several_cards_and_lost_cards_in_one_cell(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv", [[*HEADER, "挂失卡号"], [*row(卡号="E43AC9D2，01020304"), "0A0B0C0D; 0E0F1011"]]
    )
    cards = read_roster(path).cards
    assert cards["01020304"] == Card("01020304", CardKind.STUDENT, "s1")
    assert cards["0E0F1011"] == Card("0E0F1011", CardKind.STUDENT, "s1", CardStatus.LOST)


def test_xlsx_numbers_dates_and_blank_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["s1", "张三", "男", 3, "三年级2班", "王芳", 13800138000, "E43AC9D2", 11223344])
    sheet.append([])
    sheet.append(["s2", "李四", "女", 3.0, "三年级2班", "王芳", 1380013, None, None])
    book.save(tmp_path / "r.xlsx")
    # Row 3 is blank, so the bad phone is on row 4 as Excel numbers it; 3.0 is grade 3, not an error.
    assert errors(tmp_path / "r.xlsx") == [
        f"{tmp_path / 'r.xlsx'}:4: 联系电话 '1380013' is not an 11-digit mobile number"
    ]


def test_xlsx_numeric_phone_reads_without_decimal_point(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["s1", "张三", "男", 3, "三年级2班", "王芳", 13800138000.0, "E43AC9D2", None])
    book.save(tmp_path / "r.xlsx")
    assert read_roster(tmp_path / "r.xlsx").guardians["g-13800138000"].phone == "13800138000"


# -- bad rows ------------------------------------------------------------------------------------------


def test_every_bad_row_is_reported_and_nothing_imported(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    header = [*HEADER, "允许自行离校", "允许接送"]
    rows = [
        [*GOOD, "", ""],  # line 2 is fine
        [*row(学号="s3", 联系电话="1380013", 卡号="", 接送卡号=""), "", ""],
        [*row(学号="s4", 性别="男生", 卡号="", 接送卡号=""), "", ""],
        [*row(学号="s5", 年级="十三", 卡号="", 接送卡号=""), "", ""],
        [*row(学号="s6", 姓名="", 卡号="", 接送卡号=""), "", ""],
        [*row(学号="s7", 联系电话="", 卡号="", 接送卡号=""), "", ""],
        [*row(学号="s8", 卡号="XYZ", 接送卡号=""), "", ""],
        [*row(学号="s9", 家长姓名="", 卡号="", 接送卡号=""), "", ""],
        [*row(学号="s10", 卡号="08A1B2C3", 接送卡号=""), "", ""],
        [*row(学号="s11", 卡号="", 接送卡号=""), "maybe", ""],
        [*row(学号="s12", 联系电话="13900139000", 卡号="", 接送卡号="99887766"), "", "否"],
        [*row(学号="s13", 班级="", 联系电话="12345678901x", 卡号="", 接送卡号=""), "", ""],
    ]
    write_csv(path, [header, *rows])
    assert errors(path) == [
        f"{path}:3: 联系电话 '1380013' is not an 11-digit mobile number",
        f"{path}:4: 性别 '男生' is not 男/女 (male/female)",
        f"{path}:5: 年级 '十三' is not a grade from 1 to 12",
        f"{path}:6: 姓名 is empty",
        f"{path}:7: 联系电话 is empty; 家长姓名 '王芳' needs one",
        f"{path}:8: 卡号 'XYZ' is not a card UID in hex (like E4:3A:C9:D2)",
        f"{path}:9: 家长姓名 is empty but 联系电话 is given",
        f"{path}:10: 卡号 '08A1B2C3' starts 08: a phone or CPU card sends a new random UID each tap",
        f"{path}:11: 允许自行离校 'maybe' is not yes/no (是/否)",
        f"{path}:12: 接送卡号 is given but 允许接送 is '否'",
        f"{path}:13: 班级 is empty",
        f"{path}:13: 联系电话 '12345678901x' is not an 11-digit mobile number",
    ]


def test_errors_name_the_column_as_the_file_wrote_it(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv",
        [["student_id", "name", "gender", "grade", "class"], ["s1", "Li", "x", "3", "3-2"]],
    )
    assert errors(path) == [f"{path}:2: gender 'x' is not 男/女 (male/female)"]


def test_duplicate_student_id_names_both_lines(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv", [HEADER, GOOD, row(学号="s2", 卡号="", 接送卡号=""), row(卡号="", 接送卡号="")]
    )
    assert errors(path) == [f"{path}:4: 学号 's1' is already on line 2"]


def test_a_card_used_twice_names_both_lines_whatever_its_notation(tmp_path: Path) -> None:
    other = row(学号="s2", 联系电话="13900139000", 卡号="55667788", 接送卡号="e4 3a c9 d2")
    path = write_csv(tmp_path / "r.csv", [HEADER, GOOD, other])
    assert errors(path) == [f"{path}:3: 接送卡号 'E43AC9D2' is already used on line 2"]


def test_a_phone_given_for_two_people_is_an_error(tmp_path: Path) -> None:
    other = row(学号="s2", 家长姓名="李明", 卡号="", 接送卡号="")
    path = write_csv(tmp_path / "r.csv", [HEADER, GOOD, other])
    assert errors(path) == [f"{path}:3: 联系电话 '13800138000' is 王芳 (家长) on line 2 but 李明 (家长) here"]


def test_decimal_card_number_is_rejected_with_the_reason(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [HEADER, row(卡号="3829058002")])
    assert errors(path) == [f"{path}:2: 卡号 '3829058002' is decimal; give the UID in hex"]


def test_unknown_and_missing_columns_are_reported_on_line_1(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv", [["姓名", "性别", "年级", "班级", "备注"], ["张三", "男", "3", "3-2", "x"]]
    )
    assert errors(path) == [f"{path}:1: unknown column '备注'", f"{path}:1: missing column 学号 (student_id)"]


def test_a_column_given_twice_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [[*HEADER, "Student_ID"], [*GOOD, "s1"]])
    assert errors(path) == [f"{path}:1: column 'Student_ID' appears twice"]


def test_a_value_without_a_header_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [HEADER, [*GOOD, "", "stray"]])
    assert errors(path) == [f"{path}:2: value 'stray' in column 11, which has no header"]


def test_a_quoted_cell_over_two_lines_keeps_later_line_numbers(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv", [HEADER, row(姓名="张\n三"), row(学号="s2", 联系电话="1", 卡号="", 接送卡号="")]
    )
    assert errors(path) == [
        f"{path}:2: 姓名 '张\\n三' contains control characters",
        f"{path}:4: 联系电话 '1' is not an 11-digit mobile number",
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("r.csv", b"", "the file is empty"),
        ("r.csv", b"\xef\xbb\xbf\r\n,,\r\n", "the file is empty"),
        ("r.xlsx", b"not a zip", "not a readable Excel workbook"),
        ("r.txt", b"a,b", "not a .csv or .xlsx file"),
        ("r.xls", b"a,b", "not a .csv or .xlsx file"),
        ("r.csv", ",".join(HEADER).encode(), "no students below the header"),
    ],
)
def test_files_that_are_not_rosters(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert errors(path) == [f"{path}:1: {reason}"]


def test_a_missing_file_is_a_roster_error(tmp_path: Path) -> None:
    assert errors(tmp_path / "gone.csv")[0].startswith(f"{tmp_path / 'gone.csv'}:1: cannot read the file")


CELL = st.text(max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2), st.integers(0, len(HEADER) - 1), CELL)
def test_any_text_in_any_cell_gives_a_school_or_a_roster_error(line: int, column: int, text: str) -> None:
    rows = [list(HEADER), list(GOOD), row(学号="s2", 联系电话="13900139000", 卡号="", 接送卡号="")]
    rows[line][column] = text
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder) / "r.csv", rows)
        try:
            school = read_roster(path)
        except RosterError as exc:
            assert exc.messages and all(m.startswith(f"{path}:") for m in exc.messages)
        else:
            assert school.students


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([".csv", ".xlsx"]))
def test_any_bytes_give_a_school_or_a_roster_error(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"r{suffix}"
        path.write_bytes(content)
        try:
            read_roster(path)
        except RosterError:
            pass


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("book") / "r.xlsx"
    sheet = openpyxl.Workbook()
    assert sheet.active is not None
    sheet.active.append(HEADER)
    sheet.active.append(GOOD)
    sheet.save(path)
    return path.read_bytes()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=5))
def test_a_damaged_workbook_gives_a_school_or_a_roster_error(
    workbook: bytes, damage: list[tuple[int, int]]
) -> None:
    content = bytearray(workbook)
    for at, byte in damage:
        content[at % len(content)] = byte
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.xlsx"
        path.write_bytes(bytes(content))
        try:
            read_roster(path)
        except RosterError:
            pass


# -- enrolments and leave ------------------------------------------------------------------------------

ENROL = ["学号", "服务", "教室", "开始日期", "结束日期"]


def test_reads_enrolments_in_the_date_formats_offices_use(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "e.csv",
        [
            ENROL,
            ["s1", "evening", "r301", "2026-09-01", "2027/1/31"],
            ["s2", "clubs", "music", "2026年9月1日", "2026.12.31"],
        ],
    )
    assert read_enrolments(path) == (
        Enrolment("s1", "evening", "r301", date(2026, 9, 1), date(2027, 1, 31)),
        Enrolment("s2", "clubs", "music", date(2026, 9, 1), date(2026, 12, 31)),
    )


def test_bad_dates_and_end_before_start_in_enrolments(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "e.csv",
        [
            ENROL,
            ["s1", "evening", "r301", "2026-02-30", "2026-03-01"],
            ["s2", "evening", "r301", "2026-09-30", "2026-09-01"],
            ["s3", "evening", "", "yesterday", ""],
            ["s4", "evening", "r301", "2026-09-01", "2026-09-01"],
        ],
    )
    assert errors(path, read_enrolments) == [
        f"{path}:2: 开始日期 '2026-02-30' is not a date (YYYY-MM-DD)",
        f"{path}:3: 结束日期 '2026-09-01' is before 开始日期 '2026-09-30'",
        f"{path}:4: 教室 is empty",
        f"{path}:4: 开始日期 'yesterday' is not a date (YYYY-MM-DD)",
        f"{path}:4: 结束日期 is empty",
    ]


def test_enrolments_checked_against_the_school_by_id_or_name(tmp_path: Path, sample: School) -> None:
    path = write_csv(
        tmp_path / "e.csv",
        [
            ENROL,
            ["s0001", "晚自习", "301教室", "2026-09-01", "2027-01-31"],
            ["s9999", "chess", "r999", "2026-09-01", "2027-01-31"],
        ],
    )
    with pytest.raises(RosterError) as caught:
        read_enrolments(path, sample, lang="en")
    assert caught.value.messages == [
        f"{path}:3: 学号 's9999' is not a student of the school",
        f"{path}:3: 服务 'chess' is not a service of the school",
        f"{path}:3: 教室 'r999' is not a room of the school",
    ]
    good = [
        ["s0001", "晚自习", "301教室", "2026-09-01", "2027-01-31"],
        ["s0002", "Evening", "R302", "2026-09-01", "2027-01-31"],
    ]
    write_csv(path, [ENROL, *good])
    assert read_enrolments(path, sample) == (
        Enrolment("s0001", "evening", "r301", date(2026, 9, 1), date(2027, 1, 31)),
        Enrolment("s0002", "evening", "r302", date(2026, 9, 1), date(2027, 1, 31)),
    )


def test_enrolments_from_xlsx_date_cells(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["student_id", "service", "room", "from", "to"])
    sheet.append(["s1", "evening", "r301", datetime(2026, 9, 1), datetime(2027, 1, 31)])
    book.save(tmp_path / "e.xlsx")
    assert read_enrolments(tmp_path / "e.xlsx") == (
        Enrolment("s1", "evening", "r301", date(2026, 9, 1), date(2027, 1, 31)),
    )


def test_reads_leave_with_and_without_a_service(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "l.csv",
        [
            ["学号", "开始日期", "结束日期", "服务", "事由"],
            ["s1", "2026-10-12", "2026-10-12", "evening", "病假"],
            ["s2", "2026/10/12", "2026/10/14", "", ""],
        ],
    )
    assert read_leave(path) == (
        Leave("s1", date(2026, 10, 12), date(2026, 10, 12), "evening", "病假"),
        Leave("s2", date(2026, 10, 12), date(2026, 10, 14)),
    )


def test_bad_leave_rows_are_all_reported(tmp_path: Path, sample: School) -> None:
    path = write_csv(
        tmp_path / "l.csv",
        [
            ["student_id", "from", "to", "service", "reason"],
            ["s0001", "2026-10-14", "2026-10-12", "", "sick"],
            ["s0002", "2026-10-12", "2026-10-12", "swimming", ""],
            ["", "2026-10-12", "12/10/2026", "", ""],
        ],
    )
    with pytest.raises(RosterError) as caught:
        read_leave(path, sample, lang="en")
    assert caught.value.messages == [
        f"{path}:2: to '2026-10-12' is before from '2026-10-14'",
        f"{path}:3: service 'swimming' is not a service of the school",
        f"{path}:4: student_id is empty",
        f"{path}:4: to '12/10/2026' is not a date (YYYY-MM-DD)",
    ]


def test_leave_without_required_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [["学号", "事由"], ["s1", "病假"]])
    assert errors(path, read_leave) == [
        f"{path}:1: missing column 开始日期 (from)",
        f"{path}:1: missing column 结束日期 (to)",
    ]


# -- the reader's language -----------------------------------------------------------------------------


def test_a_bad_roster_row_reads_in_chinese_by_default_and_in_english_on_request(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "学生.csv", [HEADER, GOOD, row(学号="s2", 年级="13", 卡号="", 接送卡号="")])
    chinese = [f"{path}:3: 年级 '13' 不是 1 到 12 的年级"]
    with pytest.raises(RosterError) as caught:
        read_roster(path)  # the office's language unless the caller says
    assert caught.value.messages == chinese
    assert errors(path, lang="zh") == chinese
    assert errors(path, lang="en") == [f"{path}:3: 年级 '13' is not a grade from 1 to 12"]


def test_every_roster_reason_has_chinese_words(tmp_path: Path) -> None:
    header = [*HEADER, "关系", "允许接送"]
    rows = [
        [*GOOD, "母亲", ""],
        [*row(学号="s1", 卡号="", 接送卡号=""), "", ""],  # the same pupil again
        [*row(学号="s3", 卡号="", 接送卡号=""), "奶奶", ""],  # the same phone, another relation
        [*row(学号="s4", 家长姓名="", 卡号="", 接送卡号=""), "", ""],
        [*row(学号="s5", 联系电话="", 卡号="", 接送卡号=""), "", ""],
        [*row(学号="s6", 联系电话="13900139000", 卡号="", 接送卡号="99887766"), "", "否"],
        [*row(学号="s7", 性别="男生", 联系电话="13700137000", 卡号="E4:3A:C9:D2", 接送卡号=""), "", ""],
    ]
    path = write_csv(tmp_path / "学生.csv", [header, *rows])
    assert errors(path, lang="zh") == [
        f"{path}:3: 学号 's1' 已在第 2 行出现",
        f"{path}:4: 联系电话 '13800138000' 在第 2 行是 王芳(母亲),此处却是 王芳(奶奶)",
        f"{path}:5: 家长姓名 为空,但填写了 联系电话",
        f"{path}:6: 联系电话 为空:家长姓名 '王芳' 须有联系电话",
        f"{path}:7: 填写了 接送卡号,但 允许接送 为 '否'",
        f"{path}:8: 性别 '男生' 不是 男/女",
        f"{path}:8: 卡号 'E43AC9D2' 已在第 2 行使用",
    ]


@pytest.mark.parametrize(
    ("name", "content", "zh", "en"),
    [
        (
            "学生.csv",
            "姓名,性别,年级,班级,备注\n张三,男,3,3-2,x\n",
            "未知的列 '备注'",
            "unknown column '备注'",
        ),
        ("学生.csv", ",".join(HEADER) + "\n", "表头下面没有学生", "no students below the header"),
        ("学生.xlsx", "not a zip", "不是可读取的 Excel 工作簿", "not a readable Excel workbook"),
        ("学生.xls", "a,b", "不是 .csv 或 .xlsx 文件", "not a .csv or .xlsx file"),
    ],
)
def test_a_file_that_is_not_a_roster_says_so_in_either_language(
    tmp_path: Path, name: str, content: str, zh: str, en: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert errors(path, lang="zh")[0] == f"{path}:1: {zh}"
    assert errors(path, lang="en")[0] == f"{path}:1: {en}"


def test_bad_enrolment_rows_read_in_chinese_and_in_english(tmp_path: Path, sample: School) -> None:
    path = write_csv(
        tmp_path / "报名.csv",
        [
            ENROL,
            ["s0001", "晚自习", "301教室", "2026-09-01", "2027-01-31"],
            ["s9999", "chess", "r999", "2026-09-01", "2027-01-31"],
            ["s0002", "晚自习", "301教室", "明天", "2026-09-01"],
        ],
    )
    assert errors(path, lambda p, lang: read_enrolments(p, sample, lang), lang="zh") == [
        f"{path}:3: 学号 's9999' 不是本校的学生",
        f"{path}:3: 服务 'chess' 不是本校的服务",
        f"{path}:3: 教室 'r999' 不是本校的教室",
        f"{path}:4: 开始日期 '明天' 不是日期(YYYY-MM-DD)",
    ]
    assert errors(path, lambda p, lang: read_enrolments(p, sample, lang), lang="en") == [
        f"{path}:3: 学号 's9999' is not a student of the school",
        f"{path}:3: 服务 'chess' is not a service of the school",
        f"{path}:3: 教室 'r999' is not a room of the school",
        f"{path}:4: 开始日期 '明天' is not a date (YYYY-MM-DD)",
    ]


def test_bad_leave_rows_read_in_chinese_and_in_english(tmp_path: Path, sample: School) -> None:
    path = write_csv(
        tmp_path / "请假.csv",
        [
            ["学号", "开始日期", "结束日期", "服务", "事由"],
            ["s0001", "2026-10-14", "2026-10-12", "", "病假"],
            ["", "2026-10-12", "2026-10-12", "游泳", ""],
        ],
    )
    assert errors(path, lambda p, lang: read_leave(p, sample, lang), lang="zh") == [
        f"{path}:2: 结束日期 '2026-10-12' 早于 开始日期 '2026-10-14'",
        f"{path}:3: 学号 为空",
        f"{path}:3: 服务 '游泳' 不是本校的服务",
    ]
    assert errors(path, lambda p, lang: read_leave(p, sample, lang), lang="en") == [
        f"{path}:2: 结束日期 '2026-10-12' is before 开始日期 '2026-10-14'",
        f"{path}:3: 学号 is empty",
        f"{path}:3: 服务 '游泳' is not a service of the school",
    ]


@pytest.mark.parametrize(("lang", "reason"), [("zh", "有学生有 5 位家长;名单每人最多 4 位"),
                                              ("en", "a student has 5 guardians; a roster holds at most 4")])  # fmt: skip
def test_a_roster_too_wide_to_write_says_so_in_the_language(tmp_path: Path, lang: str, reason: str) -> None:
    pupil = Student("s1", "张三", Gender.MALE, 3, "三年级2班")
    guardians = [
        Guardian(f"g-1380013800{n}", f"家长{n}", f"1380013800{n}", "家长", ("s1",)) for n in range(5)
    ]
    school = School(students={"s1": pupil}, guardians={g.id: g for g in guardians})
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        write_roster(school, tmp_path / "r.csv", lang)
