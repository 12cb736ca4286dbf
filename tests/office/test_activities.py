"""Weekly activity records, care notes and a group's term archive: checks by code, who has not filed, the archive's order."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.core.model import Session
from edge.core.report import StudentLine, ZeroReport
from sync.office.activities import (
    MAX_TEXT,
    ActivityRecord,
    CareNote,
    Category,
    ChildAttendance,
    Group,
    IsoWeek,
    Missing,
    care_notes_for,
    check_care_note,
    check_record,
    missing_records,
    service_weeks,
    summarise_attendance,
    term_archive,
    term_weeks,
)
from sync.office.problems import Problem
from sync.office.rota import cover
from tests.office.money_school import CALENDAR, EVENING, MONDAY, TERM, TUESDAY, TZ, worked_week

# Evening study in the autumn term (2 Nov 2026 - 15 Jan 2027): 书法 in r1 (陈老师), 阅读 in r2 (林老师).
CALLIGRAPHY = Group("g-shufa", "书法", "evening", "r1", "t-chen", "陈老师")
READING = Group("g-yuedu", "阅读", "evening", "r2", "t-lin", "林老师")
GROUPS = (CALLIGRAPHY, READING)
W48, W49, W50 = IsoWeek(2026, 48), IsoWeek(2026, 49), IsoWeek(2026, 50)  # 23 Nov, 30 Nov, 7 Dec


def record(group: Group = CALLIGRAPHY, week: IsoWeek = W49, **changes: object) -> ActivityRecord:
    values: dict[str, object] = {
        "group_id": group.id, "week": week, "teacher_id": group.teacher_id, "teacher": group.teacher,
        "categories": ("arts", "tutoring"), "text": "临摹《九成宫》楷书;作业辅导。", "written_on": week.sunday,
    }  # fmt: skip
    values.update(changes)
    return ActivityRecord(**values)  # type: ignore[arg-type]


def test_iso_weeks_of_the_term() -> None:
    assert IsoWeek.of(MONDAY) == W49 and (W49.monday, W49.sunday) == (MONDAY, date(2026, 12, 6))
    assert str(W49) == "2026-W49"
    weeks = term_weeks(*TERM)
    # 2 Nov 2026 (week 45) to 15 Jan 2027 (week 2): 2026 has 53 ISO weeks, so 9 + 2 = 11
    assert len(weeks) == 11
    assert (weeks[0], weeks[-2], weeks[-1]) == (IsoWeek(2026, 45), IsoWeek(2027, 1), IsoWeek(2027, 2))
    assert service_weeks(EVENING, CALENDAR, *TERM) == weeks  # 1 Jan is a holiday; its week still has days


def test_a_holiday_week_is_not_due() -> None:
    golden_week = frozenset(date(2026, 11, 30) + timedelta(days=n) for n in range(5))
    closed = CALENDAR.__class__(holidays=golden_week, makeup_days={}, terms=(TERM,))
    weeks = service_weeks(EVENING, closed, *TERM)
    assert W49 not in weeks and len(weeks) == 10


def test_a_good_record_passes() -> None:
    assert check_record(record(), GROUPS, TERM) == ()


@pytest.mark.parametrize(
    ("changes", "code", "params"),
    [
        ({"group_id": "g-chess"}, "activities.refused.group", {"group": "g-chess", "week": "2026-W49"}),
        ({"categories": ("arts", "cooking")}, "activities.refused.category", {"category": "cooking"}),
        ({"categories": ()}, "activities.refused.no_category", {}),
        ({"categories": ("arts", "arts")}, "activities.refused.category_twice", {}),
        ({"week": IsoWeek(2026, 44), "written_on": date(2026, 11, 1)}, "activities.refused.outside_term",
         {"week": "2026-W44", "first": date(2026, 11, 2), "last": date(2027, 1, 15)}),
        ({"written_on": date(2026, 11, 29)}, "activities.refused.early", {"written": date(2026, 11, 29)}),
        ({"teacher_id": " "}, "activities.refused.teacher", {}),
        ({"text": "  \n"}, "activities.refused.empty", {}),
        ({"text": "字" * (MAX_TEXT + 1)}, "activities.refused.too_long", {"limit": MAX_TEXT}),
    ],
)  # fmt: skip
def test_a_bad_record_is_refused_by_code(
    changes: dict[str, object], code: str, params: dict[str, object]
) -> None:
    [problem] = check_record(record(**changes), GROUPS, TERM)
    assert problem.code == code
    assert params.items() <= problem.params.items()
    assert "activities.refused" not in problem.text("zh") and "{" not in problem.text("en")


def test_the_group_is_named_by_its_name_and_a_week_filed_twice_is_a_duplicate() -> None:
    [problem] = check_record(record(text="第二份"), GROUPS, TERM, filed=[record()])
    assert problem == Problem("activities.refused.duplicate", {"week": "2026-W49", "group": "书法"})
    assert problem.text("zh") == "书法:2026-W49 已有活动记录,请修改原记录"
    # the same week of another group, or another week of this one, is not a duplicate
    assert check_record(record(READING), GROUPS, TERM, filed=[record(), record(week=W48)]) == ()


def test_a_week_at_the_edge_of_the_term_belongs_to_it() -> None:
    # week 2 of 2027 runs 11-17 Jan; the term ends on Friday 15 Jan
    assert check_record(record(week=IsoWeek(2027, 2)), GROUPS, TERM) == ()
    assert (
        check_record(record(week=IsoWeek(2027, 3)), GROUPS, TERM)[0].code == "activities.refused.outside_term"
    )


def test_a_record_written_after_the_following_week_is_late_and_its_categories_are_in_plan_order() -> None:
    assert not record(written_on=W49.sunday + timedelta(days=7)).late
    assert record(written_on=W49.sunday + timedelta(days=8)).late
    assert record(categories=("reading", "sports", "tutoring")).ordered_categories == (
        Category.TUTORING, Category.SPORTS, Category.READING,
    )  # fmt: skip


def test_who_has_not_filed_which_week() -> None:
    filed = [record(CALLIGRAPHY, W48), record(CALLIGRAPHY, W49), record(READING, W49),
             record(CALLIGRAPHY, IsoWeek(2026, 40))]  # fmt: skip
    missing = missing_records(GROUPS, [W49, W48, W50], filed)
    assert missing == (
        Missing(CALLIGRAPHY, W50),
        Missing(READING, W48),
        Missing(READING, W50),
    )
    assert missing[1].group.teacher == "林老师"
    assert missing[1].problem.text("zh") == "阅读:2026-W48 未填写活动记录(责任教师 林老师)"
    assert missing[1].problem.text("en") == "阅读: no activity record for 2026-W48 (teacher 林老师)"


weeks_strategy = st.sets(st.builds(IsoWeek, st.just(2026), st.integers(45, 53)), max_size=9)


@settings(max_examples=200, deadline=None)
@given(
    n_groups=st.integers(0, 5),
    weeks=weeks_strategy,
    filed=st.lists(
        st.tuples(st.integers(0, 6), st.builds(IsoWeek, st.just(2026), st.integers(40, 53))), max_size=40
    ),
)
def test_missing_and_filed_are_exactly_groups_times_weeks(
    n_groups: int, weeks: set[IsoWeek], filed: list[tuple[int, IsoWeek]]
) -> None:
    groups = [Group(f"g{n}", f"小组{n}", "evening", f"r{n}") for n in range(n_groups)]
    # some records name groups that are not asked about (g5, g6) or weeks outside `weeks`; some repeat
    records = [record(Group(f"g{n}", "", "evening", ""), week) for n, week in filed]
    missing = missing_records(groups, weeks, records)
    asked = {(g.id, w) for g in groups for w in weeks}
    have = {(r.group_id, r.week) for r in records} & asked
    gaps = [(m.group.id, m.week) for m in missing]
    assert len(gaps) == len(set(gaps))  # each gap once
    assert set(gaps) | have == asked and not set(gaps) & have


def note(text: str = "18:25 点名 2 人请假,其余到齐;19:30 全部由家长接走。", **changes: object) -> CareNote:
    values: dict[str, object] = {
        "day": MONDAY, "service_id": "evening", "room_id": "r1", "author_id": "t-chen", "author": "陈老师",
        "written_at": datetime.combine(MONDAY, time(19, 40), tzinfo=TZ), "text": text,
    }  # fmt: skip
    values.update(changes)
    return CareNote(**values)  # type: ignore[arg-type]


def test_a_care_note_from_the_teacher_on_duty_is_taken_and_from_anyone_else_refused_naming_who_is() -> None:
    rota = worked_week()
    assert check_care_note(note(), rota) == ()
    [problem] = check_care_note(note(author_id="t-lin", author="林老师"), rota)
    assert problem.code == "activities.care.refused.not_on_duty"
    assert problem.text("zh") == "2026-11-30 r1:本场看管教师是 陈老师,不是 林老师"
    # On Tuesday 何老师 covers 陈老师: the note is hers to write
    covered = cover(rota, TUESDAY, "t-chen", "t-he")
    assert check_care_note(note(day=TUESDAY, author_id="t-he", author="何老师",
                                written_at=datetime.combine(TUESDAY, time(19, 40), tzinfo=TZ)), covered) == ()  # fmt: skip
    assert check_care_note(note(day=TUESDAY, written_at=datetime.combine(TUESDAY, time(20), tzinfo=TZ)),
                           covered)[0].params["on_duty"] == "何老师"  # fmt: skip
    # nobody holds room r9
    assert check_care_note(note(room_id="r9"), rota)[0].code == "activities.care.refused.no_duty"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"text": " "}, "activities.care.refused.empty"),
        ({"text": "记" * (MAX_TEXT + 1)}, "activities.care.refused.too_long"),
        (
            {"written_at": datetime.combine(MONDAY - timedelta(days=1), time(20), tzinfo=TZ)},
            "activities.care.refused.early",
        ),
    ],
)
def test_a_bad_care_note_is_refused(changes: dict[str, object], code: str) -> None:
    [problem] = check_care_note(note(**changes))
    assert problem.code == code and "{" not in problem.text("zh")


def test_a_session_s_notes_in_the_order_written() -> None:
    later = note(
        "19:50 补记:崔明由奶奶接走,已核对接送卡。",
        written_at=datetime.combine(MONDAY, time(19, 50), tzinfo=TZ),
    )
    other_room = note(room_id="r2", author_id="t-lin")
    notes = [later, other_room, note(), note(day=TUESDAY)]
    assert care_notes_for(notes, MONDAY, "evening", "r1") == (note(), later)


# -- the term archive ---------------------------------------------------------------------------

AN, BAI, CUI = (StudentLine("s-an", "安小雨", "一年级1班"), StudentLine("s-bai", "白晓", "一年级1班"),
                StudentLine("s-cui", "崔明", "一年级2班"))  # fmt: skip


def zero_report(
    day: date, room: str = "r1", signer: str = "陈老师", **buckets: tuple[StudentLine, ...]
) -> ZeroReport:
    start = datetime.combine(day, time(18, 15), tzinfo=TZ)
    session = Session(f"{day}.evening.{room}", "evening", room, day, start, start.replace(hour=19, minute=30))
    lines: dict[str, tuple[StudentLine, ...]] = {
        name: buckets.get(name, ())
        for name in ("present", "late", "on_leave", "missing", "not_yet_arrived", "left_early", "picked_up",
                     "walked_home", "still_waiting")
    }  # fmt: skip
    return ZeroReport(session, "晚自习", room, 3, **lines, signed_by="t-chen" if signer else "", signer=signer,
                      signed_at=f"{day}T18:31:00+08:00" if signer else "")  # fmt: skip


# Three evenings of 书法 in r1: Monday all there (白晓 late); Tuesday 安小雨 on leave, 崔明 missing;
# Wednesday 白晓 leaves early, unsigned. One evening of r2 (another group) and one after the term.
REPORTS = (
    zero_report(date(2026, 12, 2), present=(AN, BAI, CUI), left_early=(BAI,), signer=""),
    zero_report(TUESDAY, present=(BAI,), on_leave=(AN,), missing=(CUI,)),
    zero_report(MONDAY, present=(AN, BAI, CUI), late=(BAI,)),
    zero_report(MONDAY, room="r2", present=(AN,)),
    zero_report(date(2027, 1, 18), present=(AN, BAI, CUI)),
)  # fmt: skip


def test_each_child_s_attendance_is_counted_from_the_reports() -> None:
    assert summarise_attendance(REPORTS[:3]) == (
        ChildAttendance("s-an", "安小雨", "一年级1班", sessions=3, present=2, on_leave=1),
        ChildAttendance("s-bai", "白晓", "一年级1班", sessions=3, present=3, late=1, left_early=1),
        ChildAttendance("s-cui", "崔明", "一年级2班", sessions=3, present=2, missing=1),
    )
    gone = zero_report(MONDAY, picked_up=(CUI,))  # taken home from the gate before reaching the room
    [cui] = summarise_attendance([gone])
    assert (cui.sessions, cui.present, cui.other) == (1, 0, 1)


def test_the_term_archive_of_a_group_takes_its_own_parts_in_order() -> None:
    records = [record(week=W50, written_on=date(2026, 12, 11)), record(week=W48), record(READING, W49),
               record(week=IsoWeek(2027, 4), written_on=date(2027, 1, 31))]  # fmt: skip
    notes = [note(day=TUESDAY, written_at=datetime.combine(TUESDAY, time(19, 45), tzinfo=TZ)), note(),
             note(room_id="r2", author_id="t-lin")]  # fmt: skip
    summary = summarise_attendance(REPORTS[:3])
    archive = term_archive(CALLIGRAPHY, TERM, records, reversed(summary), REPORTS, notes)
    assert [r.week for r in archive.records] == [W48, W50]  # this group's, inside the term, by week
    assert len(archive.weeks) == 11 and W49 in archive.missing_weeks and W48 not in archive.missing_weeks
    assert len(archive.missing_weeks) == 9
    assert [c.name for c in archive.attendance] == ["安小雨", "白晓", "崔明"]  # pinyin: an, bai, cui
    assert [(r.day, r.signer) for r in archive.reports] == [
        (MONDAY, "陈老师"), (TUESDAY, "陈老师"), (date(2026, 12, 2), ""),
    ]  # fmt: skip
    assert archive.reports[1].missing_names == ("崔明",) and archive.reports[0].late == 1
    assert (archive.reports[0].start, archive.reports[0].end) == (time(18, 15), time(19, 30))
    assert [r.day for r in archive.unsigned] == [date(2026, 12, 2)]
    assert [n.day for n in archive.care_notes] == [MONDAY, TUESDAY]
    # the weeks due may leave out the weeks the service does not run
    fewer = term_archive(CALLIGRAPHY, TERM, records, summary, REPORTS, notes, weeks=[W48, W49, W50])
    assert fewer.missing_weeks == (W49,)
