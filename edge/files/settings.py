"""Provides the school's settings as spreadsheets: rooms, staff, services with their timetables, the calendar.

CSV or XLSX with Chinese or English headers, read like the roster (edge.files.tabular), every problem
collected as `file:line: reason` — the reasons from the catalogue (`office.upload.*`) in the office's
language. Each reader returns the whole dataset the file describes; a file with any problem returns nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, time, timedelta
from pathlib import Path

from edge.core.model import (
    Calendar,
    Card,
    CardKind,
    CardStatus,
    Dismissal,
    Room,
    Service,
    Staff,
    StaffRole,
    TimeRule,
)
from edge.files.tabular import (
    Bad,
    Column,
    RosterError,
    Row,
    Sheet,
    calendar_date,
    card_uid,
    fold,
    plain,
    read_table,
    yes_no,
)

__all__ = ["KINDS", "RosterError", "read_calendar", "read_rooms", "read_services", "read_staff", "sample_csv"]

ROOM_COLUMNS = (
    Column("room_id", "教室编号", required=True, aliases=("id", "编号")),
    Column("name", "教室名称", required=True, aliases=("名称",)),
    Column("capacity", "容量", aliases=("座位数", "places")),
)
STAFF_COLUMNS = (
    Column("staff_id", "工号", required=True, aliases=("id", "编号")),
    Column("name", "姓名", required=True),
    Column("role", "岗位", required=True, aliases=("角色",)),
    Column("card", "卡号"),
    Column("phone", "联系电话", aliases=("电话",)),
)
SERVICE_COLUMNS = (
    Column("service_id", "服务编号", required=True, aliases=("id", "编号")),
    Column("name", "服务名称", required=True, aliases=("名称",)),
    Column("days", "星期", required=True, aliases=("weekdays",)),
    Column("start", "开始时间", required=True),
    Column("end", "结束时间", required=True),
    Column("valid_from", "生效日期", required=True, aliases=("from", "开始日期")),
    Column("valid_to", "截止日期", required=True, aliases=("to", "结束日期")),
    Column("dismissal", "离开方式", aliases=("放学方式",)),
    Column("school_days_only", "仅上学日"),
)
CALENDAR_COLUMNS = (
    Column("kind", "类型", required=True),
    Column("from", "开始日期", required=True, aliases=("date", "日期")),
    Column("to", "结束日期"),
    Column("follows", "按星期", aliases=("weekday", "按星期几")),
    Column("note", "说明", aliases=("备注",)),
)

_ROLES = {"值日老师": StaffRole.DUTY_TEACHER, "看管教师": StaffRole.DUTY_TEACHER, "看管老师": StaffRole.DUTY_TEACHER,
          "值日领导": StaffRole.DUTY_LEADER, "门卫": StaffRole.GUARD, "保安": StaffRole.GUARD}  # fmt: skip
_ROLES |= {r.value: r for r in StaffRole} | {r.value.replace("_", " "): r for r in StaffRole}
_DISMISSALS = {"接送": Dismissal.PICKUP, "家长接送": Dismissal.PICKUP, "回班上课": Dismissal.TO_LESSONS,
               "回教室上课": Dismissal.TO_LESSONS, "上课": Dismissal.TO_LESSONS}  # fmt: skip
_DISMISSALS |= {d.value: d for d in Dismissal} | {"to lessons": Dismissal.TO_LESSONS}
_KINDS = {"假期": "holiday", "节假日": "holiday", "放假": "holiday", "holiday": "holiday",
          "调休": "makeup", "补课": "makeup", "调休上课": "makeup", "makeup": "makeup", "make-up": "makeup",
          "学期": "term", "term": "term"}  # fmt: skip
_DAY_WORDS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_DAY_WORDS |= {w: i for i, w in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
_DAY_WORDS |= {str(i + 1): i for i in range(7)}
_ALL_DAYS = {"每天": range(7), "daily": range(7), "工作日": range(5), "weekdays": range(5), "周末": (5, 6)}
_TIME = re.compile(r"([0-9]{1,2})[:点.]([0-9]{2})(?::([0-9]{2}))?分?")
LONGEST_HOLIDAY = 100  # days in one holiday row: a longer one is a typing error, not a break (terms do that)


# -- cells ----------------------------------------------------------------------------------------


def _count(text: str) -> int:
    t_ = fold(text)
    if not (t_.isascii() and t_.isdigit()) or int(t_) < 1:
        raise Bad("not_count")
    return int(t_)


def _role(text: str) -> StaffRole:
    if (role := _ROLES.get(fold(text).casefold())) is None:
        raise Bad("not_role")
    return role


def _dismissal(text: str) -> Dismissal:
    if (found := _DISMISSALS.get(fold(text).casefold())) is None:
        raise Bad("not_dismissal")
    return found


def _time(text: str) -> time:
    found = _TIME.fullmatch(fold(text))
    try:
        if found:
            return time(int(found.group(1)), int(found.group(2)), int(found.group(3) or 0))
    except ValueError:
        pass
    raise Bad("not_time")


def _weekday(text: str) -> int:
    word = fold(text).casefold().removeprefix("星期").removeprefix("周")
    if (
        day := _DAY_WORDS.get(word[:3] if word.isascii() and len(word) > 1 and word.isalpha() else word)
    ) is None:
        raise Bad("not_weekday")
    return day


def _days(text: str) -> frozenset[int]:
    """ "1-5", "周一至周五", "一、三、五", "Mon-Fri", "每天": Monday is 1 (周一), the model's 0."""
    folded = fold(text).casefold()
    if folded in _ALL_DAYS:
        return frozenset(_ALL_DAYS[folded])
    days: set[int] = set()
    parts = [p for p in re.split(r"[,;、/\s]+", folded) if p]
    if (
        len(parts) == 1
        and not re.search(r"[-~至到]", parts[0])
        and len(parts[0]) > 1
        and not parts[0].isascii()
    ):
        parts = [ch for ch in parts[0].replace("星期", "").replace("周", "")]  # "一三五"
    try:
        for part in parts:
            ends = re.split(r"[-~至到]", part)
            if len(ends) == 1:
                days.add(_weekday(ends[0]))
            elif len(ends) == 2:
                first, last = _weekday(ends[0]), _weekday(ends[1])
                if last < first:
                    raise Bad("not_days")
                days.update(range(first, last + 1))
            else:
                raise Bad("not_days")
    except Bad:
        raise Bad("not_days") from None
    if not days:
        raise Bad("not_days")
    return frozenset(days)


def _once(sheet: Sheet, row: Row, key: str, value: str, seen: dict[str, int]) -> bool:
    """Whether `value` is new in the file; else the row says on which line it first was."""
    if value in seen:
        sheet.fail(row, "again", column=row.label(key), value=value, line=seen[value])
        return False
    seen[value] = row.line
    return True


# -- the four files --------------------------------------------------------------------------------


def read_rooms(path: Path, lang: str = "zh") -> tuple[tuple[Room, int | None], ...]:
    """Every room in `path` with its capacity (None where the file leaves it empty)."""
    sheet = read_table(path, ROOM_COLUMNS, lang)
    out, seen = [], {}  # type: ignore[var-annotated]
    for row in sheet.rows:
        rid, name = sheet.need(row, "room_id", plain), sheet.need(row, "name", plain)
        capacity = sheet.parse(row, "capacity", _count)
        if rid is not None and _once(sheet, row, "room_id", rid, seen) and name is not None:
            out.append((Room(rid, name), capacity))
    sheet.done()
    return tuple(out)


def read_staff(
    path: Path, lang: str = "zh", cards: Mapping[str, Card] | None = None
) -> tuple[tuple[Staff, ...], tuple[Card, ...]]:
    """The staff in `path` and their cards; a UID already a pupil's or a guardian's card (in `cards`) is a problem."""
    sheet = read_table(path, STAFF_COLUMNS, lang)
    staff: list[Staff] = []
    given: list[Card] = []
    seen: dict[str, int] = {}
    card_lines: dict[str, int] = {}
    for row in sheet.rows:
        sid, name = sheet.need(row, "staff_id", plain), sheet.need(row, "name", plain)
        role, phone = sheet.need(row, "role", _role), row.get("phone")
        for part in re.split(r"[,;]", fold(row.get("card"))):
            uid = sheet.parse(row, "card", card_uid, part.strip())
            if uid is None or sid is None:
                continue
            held = (cards or {}).get(uid)
            if held is not None and held.kind != CardKind.STAFF:
                sheet.fail(row, "card_taken", column=row.label("card"), value=uid, holder=held.holder_id)
            elif _once(sheet, row, "card", uid, card_lines):
                given.append(Card(uid, CardKind.STAFF, sid, CardStatus.ACTIVE))
        if (
            sid is not None
            and _once(sheet, row, "staff_id", sid, seen)
            and name is not None
            and role is not None
        ):
            staff.append(Staff(sid, name, role, phone))
    sheet.done()
    return tuple(staff), tuple(given)


def read_services(
    path: Path, lang: str = "zh", held: Mapping[str, Service] | None = None
) -> tuple[Service, ...]:
    """Services from `path`, one row per timetable rule (a service's rows share its id, name and
    dismissal). A service already held keeps its minutes (late, missing, report due, pickup, walk)."""
    sheet = read_table(path, SERVICE_COLUMNS, lang)
    order: list[str] = []
    first: dict[str, tuple[Row, str, Dismissal, bool]] = {}
    rules: dict[str, list[TimeRule]] = {}
    for row in sheet.rows:
        sid, name = sheet.need(row, "service_id", plain), sheet.need(row, "name", plain)
        days, start, end = (
            sheet.need(row, "days", _days),
            sheet.need(row, "start", _time),
            sheet.need(row, "end", _time),
        )
        since, until = (
            sheet.need(row, "valid_from", calendar_date),
            sheet.need(row, "valid_to", calendar_date),
        )
        dismissal = sheet.parse(row, "dismissal", _dismissal)
        school_days = sheet.parse(row, "school_days_only", yes_no)
        if start is not None and end is not None and end <= start:
            sheet.fail(row, "end_before_start", end=row.label("end"), b=row.get("end"),
                       start=row.label("start"), a=row.get("start"))  # fmt: skip
            continue
        if since is not None and until is not None and until < since:
            sheet.fail(row, "before", to=row.label("valid_to"), b=row.get("valid_to"),
                       since=row.label("valid_from"), a=row.get("valid_from"))  # fmt: skip
            continue
        if sid is None or name is None or row.failed:
            continue
        known = (held or {}).get(sid)
        dismissal = dismissal or (known.dismissal if known else Dismissal.PICKUP)
        school_days = school_days if school_days is not None else (known.school_days_only if known else True)
        if sid not in first:
            order.append(sid)
            first[sid] = (row, name, dismissal, school_days)
        else:
            was, was_name, was_dismissal, was_days = first[sid]
            for key, now, then in (("name", name, was_name), ("dismissal", dismissal, was_dismissal),
                                   ("school_days_only", school_days, was_days)):  # fmt: skip
                if now != then and (key == "name" or row.get(key)):
                    sheet.fail(row, "differs", column=row.label(key), value=row.get(key), line=was.line,
                               other=was.get(key) or str(then))  # fmt: skip
        assert days is not None and start is not None and end is not None
        assert since is not None and until is not None
        rules.setdefault(sid, []).append(TimeRule(days, start, end, since, until))
    sheet.done()
    out = []
    for sid in order:
        _, name, dismissal, school_days = first[sid]
        known = (held or {}).get(sid)
        base = known if known is not None else Service(sid, name, ())
        out.append(replace(base, name=name, rules=tuple(rules[sid]), dismissal=dismissal,
                           school_days_only=school_days))  # fmt: skip
    return tuple(out)


def read_calendar(path: Path, lang: str = "zh") -> Calendar:
    """Holidays (a day or a range a row), make-up days (调休: one day a row, with the weekday it follows)
    and terms (first and last day) from `path`."""
    sheet = read_table(path, CALENDAR_COLUMNS, lang)
    holidays: dict[date, int] = {}
    makeup: dict[date, tuple[int, int]] = {}
    terms: list[tuple[date, date, int]] = []
    for row in sheet.rows:
        kind = sheet.need(row, "kind", _kind)
        since, until = sheet.need(row, "from", calendar_date), sheet.parse(row, "to", calendar_date)
        follows = sheet.parse(row, "follows", _weekday)
        if kind is None or since is None or row.failed:
            continue
        if until is not None and until < since:
            sheet.fail(
                row, "before", to=row.label("to"), b=row.get("to"), since=row.label("from"), a=row.get("from")
            )
            continue
        if kind == "makeup":
            if until not in (None, since):
                sheet.fail(row, "makeup_one_day", column=row.label("to"))
            elif follows is None:
                sheet.fail(row, "makeup_follows", column=row.label("follows"))
            elif since in holidays:
                sheet.fail(row, "holiday_makeup", day=since.isoformat(), line=holidays[since])
            elif since in makeup:
                sheet.fail(
                    row, "again", column=row.label("from"), value=row.get("from"), line=makeup[since][1]
                )
            else:
                makeup[since] = (follows, row.line)
        elif kind == "holiday":
            last = until or since
            if (last - since).days >= LONGEST_HOLIDAY:
                sheet.fail(row, "holiday_long", n=LONGEST_HOLIDAY)
                continue
            for n in range((last - since).days + 1):
                day = since + timedelta(days=n)
                if day in makeup:
                    sheet.fail(row, "holiday_makeup", day=day.isoformat(), line=makeup[day][1])
                    break
                holidays.setdefault(day, row.line)
        else:
            if until is None:
                sheet.fail(row, "empty", column=row.label("to"))
                continue
            clash = next((line for a, b, line in terms if a <= until and since <= b), None)
            if clash is not None:
                sheet.fail(row, "term_overlap", line=clash)
            else:
                terms.append((since, until, row.line))
    sheet.done()
    return Calendar(
        holidays=frozenset(holidays),
        makeup_days={day: weekday for day, (weekday, _) in sorted(makeup.items())},
        terms=tuple(sorted((a, b) for a, b, _ in terms)),
    )


def _kind(text: str) -> str:
    if (kind := _KINDS.get(fold(text).casefold())) is None:
        raise Bad("not_kind")
    return kind


# -- sample files (模板) ----------------------------------------------------------------------------

_SAMPLES: Mapping[str, tuple[Sequence[str], Sequence[Sequence[str]]]] = {
    "rooms": (["教室编号", "教室名称", "容量"], [["r301", "301教室", "45"], ["r302", "302教室", "40"], ["lab1", "科学实验室", ""]]),
    "staff": (["工号", "姓名", "岗位", "卡号", "联系电话"],
              [["t01", "胡娜静", "值日老师", "C7:7A:0D:47", "18225708884"],
               ["t05", "沈薇倩", "值日领导", "", "13912345678"], ["t07", "王梓若", "门卫", "04E4E60B", ""]]),
    "services": (["服务编号", "服务名称", "星期", "开始时间", "结束时间", "生效日期", "截止日期", "离开方式", "仅上学日"],
                 [["evening", "晚自习", "周一至周五", "18:15", "19:30", "2026-09-01", "2027-01-20", "接送", "是"],
                  ["midday", "午间看护", "1-5", "12:10", "13:30", "2026-09-01", "2026-09-30", "回班上课", "是"],
                  ["midday", "午间看护", "1-5", "12:10", "13:30", "2026-10-01", "2027-01-20", "回班上课", "是"],
                  ["clubs", "社团", "三、五", "15:45", "16:50", "2026-09-01", "2027-01-20", "接送", "是"],
                  ["summer", "暑期托管", "1-5", "08:30", "17:30", "2027-07-12", "2027-08-20", "接送", "否"]]),
    "calendar": (["类型", "开始日期", "结束日期", "按星期", "说明"],
                 [["学期", "2026-09-01", "2027-01-20", "", "第一学期"],
                  ["假期", "2026-10-01", "2026-10-07", "", "国庆节"],
                  ["调休", "2026-09-20", "", "周一", "国庆调休"], ["调休", "2026-10-10", "", "周五", "国庆调休"],
                  ["假期", "2027-01-01", "", "", "元旦"]]),
    "roster": (["学号", "姓名", "性别", "年级", "班级", "班主任", "允许自行离校", "卡号", "家长姓名", "关系", "联系电话", "允许接送", "接送卡号"],
               [["s0001", "李一诺", "女", "1", "一年级1班", "徐文然", "否", "E4:3A:C9:D2", "李建国", "父亲", "13800000001", "是", ""],
                ["s0002", "王子涵", "男", "1", "一年级1班", "徐文然", "否", "", "张丽", "母亲", "13800000002", "是", ""]]),
    "enrolments": (["学号", "服务", "教室", "开始日期", "结束日期"],
                   [["s0001", "晚自习", "301教室", "2026-09-01", "2027-01-20"],
                    ["s0002", "evening", "r301", "2026-09-01", "2027-01-20"]]),
    "leave": (["学号", "开始日期", "结束日期", "服务", "事由"],
              [["s0001", "2026-09-14", "2026-09-15", "晚自习", "病假"], ["s0002", "2026-09-16", "2026-09-16", "", "事假"]]),
}  # fmt: skip
KINDS = tuple(_SAMPLES)


def sample_csv(kind: str) -> bytes:
    """The sample file (模板) for `kind`: Chinese headers and a few rows, UTF-8 with BOM so Excel opens it."""
    header, rows = _SAMPLES[kind]
    out = io.StringIO(newline="")
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8-sig")
