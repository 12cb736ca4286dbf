"""Provides roster import and export (students, guardians, cards), and enrolment and leave import."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import NamedTuple

from edge.core.model import Card, CardKind, CardStatus, Enrolment, Gender, Guardian, Leave, School, Student
from edge.core.pinyin import sort_key
from edge.files.tabular import Column, Problems, RosterError, Row, fold, read_table, write_table
from hardware.reads import is_random_uid, normalise_uid

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
_YES_NO = {w: True for w in ("是", "yes", "y", "true", "1")}
_YES_NO |= {w: False for w in ("否", "no", "n", "false", "0")}
_DATE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?")
_WORDS: Mapping[str, Mapping[object, str]] = {
    "zh": {Gender.MALE: "男", Gender.FEMALE: "女", True: "是", False: "否"},
    "en": {Gender.MALE: "male", Gender.FEMALE: "female", True: "yes", False: "no"},
}


def _text(text: str) -> str:
    return text


def _grade(text: str) -> int:
    t = fold(text).removesuffix("年级").strip()
    grade = int(t) if t.isascii() and t.isdigit() else _NUMERALS.get(t, 0)
    if not 1 <= grade <= 12:
        raise ValueError("is not a grade from 1 to 12")
    return grade


def _gender(text: str) -> Gender:
    if (gender := _GENDERS.get(fold(text).casefold())) is None:
        raise ValueError("is not 男/女 (male/female)")
    return gender


def _yes_no(text: str) -> bool:
    if (answer := _YES_NO.get(fold(text).casefold())) is None:
        raise ValueError("is not 是/否 (yes/no)")
    return answer


def _phone(text: str) -> str:
    digits = re.sub(r"[\s-]", "", fold(text)).removeprefix("+86")
    if not re.fullmatch(r"1[0-9]{10}", digits):
        raise ValueError("is not an 11-digit mobile number")
    return digits


def _uid(text: str) -> str:
    if re.fullmatch(r"[0-9]{10}", text):
        # Vendors print the UID as a decimal number; which byte order they used is another task.
        raise ValueError("is decimal; give the UID in hex")
    try:
        uid = normalise_uid(text)
    except ValueError:
        raise ValueError("is not a card UID in hex (like E4:3A:C9:D2)") from None
    if is_random_uid(uid):
        raise ValueError("starts 08: a phone or CPU card sends a new random UID each tap")
    return uid


def _date(text: str) -> date:
    found = _DATE.fullmatch(fold(text))
    try:
        if found:
            return date(*(int(part) for part in found.groups()))
    except ValueError:
        pass
    raise ValueError("is not a date (YYYY-MM-DD)")


class _RosterBuilder:
    """Students, guardians and cards so far, with the line each came from to name in a clash."""

    def __init__(self) -> None:
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
            row.fail(f"{row.label('student_id')} {sid!r} is already on line {self.student_lines[sid]}")
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

    @staticmethod
    def _student(row: Row) -> Student | None:
        sid, name = row.need("student_id", _text), row.need("name", _text)
        gender, grade = row.need("gender", _gender), row.need("grade", _grade)
        class_name, walks = row.need("class", _text), row.parse("may_walk_home", _yes_no)
        if sid is None or name is None or gender is None or grade is None or class_name is None:
            return None
        return Student(sid, name, gender, grade, class_name, row.get("homeroom_teacher"), bool(walks))

    def _guardian(self, row: Row, columns: GuardianColumns, given: set[str]) -> str:
        """The id of the row's guardian in `columns`, or "" when there is none or it is unusable."""
        name, phone_key, may_key = row.get(columns.name.key), columns.phone.key, columns.may_pick_up.key
        others = [c.key for c in columns[1:] if row.get(c.key)]
        if not name:
            if others:
                row.fail(f"{row.label(columns.name.key)} is empty but {row.label(others[0])} is given")
            return ""
        if not row.get(phone_key):
            row.fail(f"{row.label(phone_key)} is empty; {row.label(columns.name.key)} {name!r} needs one")
        may_pick_up = row.parse(may_key, _yes_no)
        if may_pick_up is False and row.get(columns.cards.key):
            card_label, may_label = row.label(columns.cards.key), row.label(may_key)
            row.fail(f"{card_label} is given but {may_label} is {row.get(may_key)!r}")
        phone = row.parse(phone_key, _phone)
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
            row.fail(f"{row.label(phone_key)} {phone!r} is already a guardian on this row")
            return ""
        given.add(guardian.id)
        known = self.guardians.setdefault(guardian.id, guardian)
        if known == guardian:
            self.guardian_lines.setdefault(guardian.id, row.line)
            return guardian.id
        row.fail(
            f"{row.label(phone_key)} {phone!r} is {_describe(known)} on line {self.guardian_lines[guardian.id]}"
            f" but {_describe(guardian)} here"
        )
        return ""

    def _cards(self, row: Row, key: str, kind: CardKind, holder: str, status: CardStatus) -> None:
        # A cell may hold several UIDs; fold() makes the Chinese ，； their ASCII forms.
        for part in re.split(r"[,;]", fold(row.get(key))):
            uid = row.parse(key, _uid, part.strip())
            if uid is None or not holder:
                continue
            card = Card(uid, kind, holder, status)
            known = self.cards.setdefault(uid, card)
            if known == card:  # a guardian's card repeats on each child's row
                self.card_lines.setdefault(uid, row.line)
            else:
                row.fail(f"{row.label(key)} {uid!r} is already used on line {self.card_lines[uid]}")

    def school(self) -> School:
        guardians = {
            gid: Guardian(g.id, g.name, g.phone, g.relation, tuple(sorted(self.children[gid])), g.may_pick_up)
            for gid, g in self.guardians.items()
        }
        return School(students=self.students, guardians=guardians, cards=self.cards)


def _describe(guardian: Guardian) -> str:
    return f"{guardian.name} ({guardian.relation}{'' if guardian.may_pick_up else ', may not pick up'})"


def read_roster(path: Path) -> School:
    """The students, guardians and cards in `path`; raises RosterError naming every bad row."""
    problems = Problems(path)
    rows = read_table(path, ROSTER_COLUMNS, problems)
    if not rows:
        raise RosterError([f"{path}:1: no students below the header"])
    builder = _RosterBuilder()
    for row in rows:
        builder.add(row)
    problems.raise_if_any()
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
        raise ValueError(f"a student has {sets} guardians; a roster holds at most {MAX_GUARDIANS}")

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


def _resolver(pairs: Iterable[tuple[str, str]] | None, what: str) -> Callable[[str], str]:
    """Map a cell to an id: by id or name when the school is known, else take it as the id."""
    if pairs is None:
        return _text
    pairs = list(pairs)
    # An exact id wins over a name, and a name over an id in other case ("Evening" for evening).
    folded = {key.casefold(): key for key, _ in pairs}
    index = {name: key for key, name in pairs} | {key: key for key, _ in pairs}

    def resolve(text: str) -> str:
        if (found := index.get(text, folded.get(text.casefold()))) is None:
            raise ValueError(f"is not {what}")
        return found

    return resolve


def _span(row: Row) -> tuple[date, date] | None:
    start, end = row.need("from", _date), row.need("to", _date)
    if start is None or end is None:
        return None
    if end < start:
        row.fail(f"{row.label('to')} {row.get('to')!r} is before {row.label('from')} {row.get('from')!r}")
        return None
    return start, end


def read_enrolments(path: Path, school: School | None = None) -> tuple[Enrolment, ...]:
    """Enrolments from `path`; with `school`, students, services and rooms must exist (by id or name)."""
    problems = Problems(path)
    student, service, room = _references(school)
    out = []
    for row in read_table(path, ENROLMENT_COLUMNS, problems):
        sid, sv, rm = row.need("student_id", student), row.need("service", service), row.need("room", room)
        span = _span(row)
        if sid is not None and sv is not None and rm is not None and span is not None:
            out.append(Enrolment(sid, sv, rm, *span))
    problems.raise_if_any()
    return tuple(out)


def read_leave(path: Path, school: School | None = None) -> tuple[Leave, ...]:
    """Leave from `path` (no service means all services); with `school`, students and services must exist."""
    problems = Problems(path)
    student, service, _ = _references(school)
    out = []
    for row in read_table(path, LEAVE_COLUMNS, problems):
        sid, sv, span = row.need("student_id", student), row.parse("service", service), _span(row)
        if sid is not None and span is not None and not row.failed:
            out.append(Leave(sid, *span, service_id=sv or "", reason=row.get("reason")))
    problems.raise_if_any()
    return tuple(out)


_Resolve = Callable[[str], str]


def _references(school: School | None) -> tuple[_Resolve, _Resolve, _Resolve]:
    if school is None:
        return _text, _text, _text
    return (
        _resolver(((s.id, s.id) for s in school.students.values()), "a student of the school"),
        _resolver(((s.id, s.name) for s in school.services.values()), "a service of the school"),
        _resolver(((r.id, r.name) for r in school.rooms.values()), "a room of the school"),
    )
