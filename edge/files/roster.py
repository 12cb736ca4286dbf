"""Provides roster import and export (students, guardians, cards), and enrolment and leave import.

Read through edge.files.tabular: every bad row is `file:line: reason`, the reason from the catalogue
(`office.upload.*`) in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import NamedTuple

from edge.core.i18n import t
from edge.core.model import Card, CardKind, CardStatus, Enrolment, Gender, Guardian, Leave, School, Student
from edge.core.pinyin import sort_key
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
    write_table,
    yes_no,
)

__all__ = ["RosterError", "read_enrolments", "read_leave", "read_roster", "write_roster"]

MAX_GUARDIANS = 4
DEFAULT_RELATION = "家长"

STUDENT_COLUMNS = (
    Column("student_id", "学号", required=True),
    Column("name", "姓名", required=True),
    Column("gender", "性别", required=True),
    Column("grade", "年级", required=True),
    Column("class", "班级", required=True),
    Column("homeroom_teacher", "班主任"),
    Column("may_walk_home", "允许自行离校"),
    Column("card", "卡号"),
    Column("lost_cards", "挂失卡号"),
)


class GuardianColumns(NamedTuple):
    name: Column
    relation: Column
    phone: Column
    may_pick_up: Column
    cards: Column
    lost_cards: Column


def _guardian_columns(n: int) -> GuardianColumns:
    def column(en: str, zh: str) -> Column:
        # The first guardian's columns are unnumbered; offices that number them (家长1姓名) are understood.
        numbered = (en.format(n), zh.format(n))
        return Column(*numbered) if n > 1 else Column(en.format(""), zh.format(""), aliases=numbered)

    return GuardianColumns(
        column("guardian{}_name", "家长{}姓名"),
        column("relation{}", "关系{}"),
        column("guardian{}_phone", "联系电话{}"),
        column("may_pick_up{}", "允许接送{}"),
        column("pickup_card{}", "接送卡号{}"),
        column("lost_pickup_cards{}", "挂失接送卡号{}"),
    )


GUARDIAN_SETS = tuple(_guardian_columns(n) for n in range(1, MAX_GUARDIANS + 1))
ROSTER_COLUMNS = STUDENT_COLUMNS + tuple(c for columns in GUARDIAN_SETS for c in columns)
_SPAN = (Column("from", "开始日期", required=True), Column("to", "结束日期", required=True))
ENROLMENT_COLUMNS = (
    Column("student_id", "学号", required=True),
    Column("service", "服务", required=True),
    Column("room", "教室", required=True),
    *_SPAN,
)
LEAVE_COLUMNS = (
    Column("student_id", "学号", required=True),
    *_SPAN,
    Column("service", "服务"),
    Column("reason", "事由"),
)

_NUMERALS = {n: i for i, n in enumerate("一二三四五六七八九十", start=1)} | {"十一": 11, "十二": 12}
_GENDERS = {"男": Gender.MALE, "male": Gender.MALE, "m": Gender.MALE}
_GENDERS |= {"女": Gender.FEMALE, "female": Gender.FEMALE, "f": Gender.FEMALE}
_WORDS: Mapping[str, Mapping[object, str]] = {
    "zh": {Gender.MALE: "男", Gender.FEMALE: "女", True: "是", False: "否"},
    "en": {Gender.MALE: "male", Gender.FEMALE: "female", True: "yes", False: "no"},
}


def _grade(text: str) -> int:
    word = fold(text).removesuffix("年级").strip()
    grade = int(word) if word.isascii() and word.isdigit() else _NUMERALS.get(word, 0)
    if not 1 <= grade <= 12:
        raise Bad("not_grade")
    return grade


def _gender(text: str) -> Gender:
    if (gender := _GENDERS.get(fold(text).casefold())) is None:
        raise Bad("not_gender")
    return gender


def _phone(text: str) -> str:
    digits = re.sub(r"[\s-]", "", fold(text)).removeprefix("+86")
    if not re.fullmatch(r"1[0-9]{10}", digits):
        raise Bad("not_phone")
    return digits


class _RosterBuilder:
    """Students, guardians and cards so far, with the line each came from to name in a clash."""

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self.students: dict[str, Student] = {}
        self.guardians: dict[str, Guardian] = {}
        self.children: dict[str, set[str]] = {}
        self.cards: dict[str, Card] = {}
        # The first line each id or UID appeared on; apart, as a numeric student id can equal a UID.
        self.student_lines: dict[str, int] = {}
        self.guardian_lines: dict[str, int] = {}
        self.card_lines: dict[str, int] = {}

    def add(self, row: Row) -> None:
        sid = row.get("student_id")
        if sid in self.student_lines:
            self.sheet.fail(
                row, "again", column=row.label("student_id"), value=sid, line=self.student_lines[sid]
            )
        elif sid:
            self.student_lines[sid] = row.line
        student = self._student(row)
        self._cards(row, "card", CardKind.STUDENT, sid, CardStatus.ACTIVE)
        self._cards(row, "lost_cards", CardKind.STUDENT, sid, CardStatus.LOST)
        given: set[str] = set()
        for columns in GUARDIAN_SETS:
            gid = self._guardian(row, columns, given)
            self._cards(row, columns.cards.key, CardKind.GUARDIAN, gid, CardStatus.ACTIVE)
            self._cards(row, columns.lost_cards.key, CardKind.GUARDIAN, gid, CardStatus.LOST)
            if gid and sid:
                self.children.setdefault(gid, set()).add(sid)
        if student is not None:
            self.students[student.id] = student

    def _student(self, row: Row) -> Student | None:
        sheet = self.sheet
        sid, name = sheet.need(row, "student_id", plain), sheet.need(row, "name", plain)
        gender, grade = sheet.need(row, "gender", _gender), sheet.need(row, "grade", _grade)
        class_name, walks = sheet.need(row, "class", plain), sheet.parse(row, "may_walk_home", yes_no)
        if sid is None or name is None or gender is None or grade is None or class_name is None:
            return None
        return Student(sid, name, gender, grade, class_name, row.get("homeroom_teacher"), bool(walks))

    def _guardian(self, row: Row, columns: GuardianColumns, given: set[str]) -> str:
        """The id of the row's guardian in `columns`, or "" when there is none or it is unusable."""
        sheet, name_key = self.sheet, columns.name.key
        name, phone_key, may_key = row.get(name_key), columns.phone.key, columns.may_pick_up.key
        others = [c.key for c in columns[1:] if row.get(c.key)]
        if not name:
            if others:
                sheet.fail(row, "guardian_unnamed", column=row.label(name_key), other=row.label(others[0]))
            return ""
        if not row.get(phone_key):
            sheet.fail(row, "guardian_no_phone", column=row.label(phone_key), name_column=row.label(name_key),
                       name=name)  # fmt: skip
        may_pick_up = sheet.parse(row, may_key, yes_no)
        if may_pick_up is False and row.get(columns.cards.key):
            sheet.fail(row, "pickup_card_refused", card=row.label(columns.cards.key), may=row.label(may_key),
                       value=row.get(may_key))  # fmt: skip
        phone = sheet.parse(row, phone_key, _phone)
        if phone is None:
            return ""
        # Siblings' rows name the same parent: one phone is one guardian record. What a sibling's
        # row leaves empty it takes from the first row, so the office need not repeat everything.
        gid = f"g-{phone}"
        first = self.guardians.get(gid)
        relation = row.get(columns.relation.key) or (first.relation if first else DEFAULT_RELATION)
        if may_pick_up is None:
            may_pick_up = first.may_pick_up if first else True
        guardian = Guardian(gid, name, phone, relation, (), may_pick_up)
        if guardian.id in given:
            sheet.fail(row, "guardian_twice", column=row.label(phone_key), value=phone)
            return ""
        given.add(guardian.id)
        known = self.guardians.setdefault(guardian.id, guardian)
        if known == guardian:
            self.guardian_lines.setdefault(guardian.id, row.line)
            return guardian.id
        sheet.fail(row, "guardian_differs", column=row.label(phone_key), value=phone,
                   line=self.guardian_lines[guardian.id], known=self._describe(known),
                   here=self._describe(guardian))  # fmt: skip
        return ""

    def _describe(self, guardian: Guardian) -> str:
        key = "guardian" if guardian.may_pick_up else "guardian_no_pickup"
        return self.sheet.say(key, name=guardian.name, relation=guardian.relation)

    def _cards(self, row: Row, key: str, kind: CardKind, holder: str, status: CardStatus) -> None:
        # A cell may hold several UIDs; fold() makes the Chinese ，； their ASCII forms.
        for part in re.split(r"[,;]", fold(row.get(key))):
            uid = self.sheet.parse(row, key, card_uid, part.strip())
            if uid is None or not holder:
                continue
            card = Card(uid, kind, holder, status)
            known = self.cards.setdefault(uid, card)
            if known == card:  # a guardian's card repeats on each child's row
                self.card_lines.setdefault(uid, row.line)
            else:
                self.sheet.fail(
                    row, "card_again", column=row.label(key), value=uid, line=self.card_lines[uid]
                )

    def school(self) -> School:
        guardians = {
            gid: Guardian(g.id, g.name, g.phone, g.relation, tuple(sorted(self.children[gid])), g.may_pick_up)
            for gid, g in self.guardians.items()
        }
        return School(students=self.students, guardians=guardians, cards=self.cards)


# The office's page and the command line each pass their reader's language; a caller that passes none
# gets Chinese, the school's language (as the catalogue and the settings' readers do): the office that
# fixes the file reads Chinese, and English is the exception someone asked for (--lang en, ?lang=en).
DEFAULT_LANG = "zh"


def read_roster(path: Path, lang: str = DEFAULT_LANG) -> School:
    """The students, guardians and cards in `path`; raises RosterError naming every bad row, each
    reason in `lang` (Chinese by default: see DEFAULT_LANG)."""
    sheet = read_table(path, ROSTER_COLUMNS, lang, empty="no_students")
    builder = _RosterBuilder(sheet)
    for row in sheet.rows:
        builder.add(row)
    sheet.done()
    return builder.school()


def write_roster(school: School, path: Path, lang: str = "zh") -> None:
    """Write the school's students, guardians and their cards as CSV or XLSX (by suffix) for the office."""
    words = _WORDS.get(lang)
    if words is None:
        raise ValueError(f"lang must be one of {sorted(_WORDS)}, not {lang!r}")
    guardians: dict[str, list[Guardian]] = {}
    for guardian in school.guardians.values():
        for child in guardian.children:
            guardians.setdefault(child, []).append(guardian)
    held: dict[tuple[str, CardKind, CardStatus], list[str]] = {}
    for card in school.cards.values():
        held.setdefault((card.holder_id, card.kind, card.status), []).append(card.uid)
    sets = max([2, *(len(gs) for gs in guardians.values())])
    if sets > MAX_GUARDIANS:
        raise ValueError(t("office.upload.too_many_guardians", lang, n=sets, most=MAX_GUARDIANS))

    def _held(holder: str, kind: CardKind) -> list[str]:
        """The cells for the holder's active cards and lost cards, in the columns' order."""
        return [
            ", ".join(held.get((holder, kind, status), ())) for status in (CardStatus.ACTIVE, CardStatus.LOST)
        ]

    columns = STUDENT_COLUMNS + tuple(c for cs in GUARDIAN_SETS[:sets] for c in cs)
    rows = []
    for s in sorted(school.students.values(), key=_roster_order):
        cells = [s.id, s.name, words[s.gender], str(s.grade), s.class_name, s.homeroom_teacher]
        cells += [words[s.may_walk_home], *_held(s.id, CardKind.STUDENT)]
        for g in guardians.get(s.id, []):
            cells += [g.name, g.relation, g.phone, words[g.may_pick_up]]
            cells += _held(g.id, CardKind.GUARDIAN)
        rows.append(cells + [""] * (len(columns) - len(cells)))
    write_table(path, [c.zh if lang == "zh" else c.key for c in columns], rows)


def _roster_order(student: Student) -> tuple[int, str, str, str]:
    # Pad numbers so 三年级10班 follows 三年级2班.
    natural = re.sub(r"[0-9]+", lambda m: m.group().zfill(6), student.class_name)
    return student.grade, natural, sort_key(student.name), student.id


def _resolver(pairs: Iterable[tuple[str, str]] | None, unknown: str) -> Callable[[str], str]:
    """Map a cell to an id: by id or name when the school is known, else take it as the id;
    a cell that names nothing of the school is Bad(`unknown`)."""
    if pairs is None:
        return plain
    pairs = list(pairs)
    # An exact id wins over a name, and a name over an id in other case ("Evening" for evening).
    folded = {key.casefold(): key for key, _ in pairs}
    index = {name: key for key, name in pairs} | {key: key for key, _ in pairs}

    def resolve(text: str) -> str:
        if (found := index.get(text, folded.get(text.casefold()))) is None:
            raise Bad(unknown)
        return found

    return resolve


def _span(sheet: Sheet, row: Row) -> tuple[date, date] | None:
    start, end = sheet.need(row, "from", calendar_date), sheet.need(row, "to", calendar_date)
    if start is None or end is None:
        return None
    if end < start:
        sheet.fail(
            row, "before", to=row.label("to"), b=row.get("to"), since=row.label("from"), a=row.get("from")
        )
        return None
    return start, end


def read_enrolments(
    path: Path, school: School | None = None, lang: str = DEFAULT_LANG
) -> tuple[Enrolment, ...]:
    """Enrolments from `path`; with `school`, students, services and rooms must exist (by id or name).
    Reasons in `lang`, Chinese by default (see DEFAULT_LANG); a file of only a header is no enrolments."""
    sheet = read_table(path, ENROLMENT_COLUMNS, lang, empty=None)
    student, service, room = _references(school)
    out = []
    for row in sheet.rows:
        sid, sv = sheet.need(row, "student_id", student), sheet.need(row, "service", service)
        rm, span = sheet.need(row, "room", room), _span(sheet, row)
        if sid is not None and sv is not None and rm is not None and span is not None:
            out.append(Enrolment(sid, sv, rm, *span))
    sheet.done()
    return tuple(out)


def read_leave(path: Path, school: School | None = None, lang: str = DEFAULT_LANG) -> tuple[Leave, ...]:
    """Leave from `path` (no service means all services); with `school`, students and services must exist.
    Reasons in `lang`, Chinese by default (see DEFAULT_LANG); a file of only a header is no leave."""
    sheet = read_table(path, LEAVE_COLUMNS, lang, empty=None)
    student, service, _ = _references(school)
    out = []
    for row in sheet.rows:
        sid, sv = sheet.need(row, "student_id", student), sheet.parse(row, "service", service)
        span = _span(sheet, row)
        if sid is not None and span is not None and not row.failed:
            out.append(Leave(sid, *span, service_id=sv or "", reason=row.get("reason")))
    sheet.done()
    return tuple(out)


_Resolve = Callable[[str], str]


def _references(school: School | None) -> tuple[_Resolve, _Resolve, _Resolve]:
    if school is None:
        return plain, plain, plain
    return (
        _resolver(((s.id, s.id) for s in school.students.values()), "not_student"),
        _resolver(((s.id, s.name) for s in school.services.values()), "not_service"),
        _resolver(((r.id, r.name) for r in school.rooms.values()), "not_room"),
    )
