"""Provides class formation (编班): groups proposed from the approved applications by the seed's rule, a room and
a duty teacher for each, the office's adjustments, and a check of the result. Pure: no I/O, no clock.

The rule (plan 5, with plan 2's "about 40 a group"), applied to each service on its own:

1. A grade with fewer than `group_size` applicants joins an adjacent grade (grade ± 1), the neighbour with
   fewer applicants (on a tie, the lower grade), and goes along whole, as one unit. Grades are merged
   smallest first until none is under `group_size` or a small one has no neighbour left (then it stays
   on its own). A merged pair still under `group_size` merges again.
2. A class with `group_size` or more applicants is a group of its own. One over `max_size` (default
   `group_size` * 1.25, 50 for 40) is split evenly into the number of groups whose size is nearest to
   `group_size` (55 -> 2 of 28/27, 90 -> 2 of 45, 100 -> 3 of 34/33/33), in pinyin order of the names.
3. The other units of a grade (smaller classes, and a grade that joined) are merged smallest first,
   greedily: the next unit joins while the group is under `group_size` and stays within `max_size`
   (12 + 15 + 18 -> one group of 45); otherwise the group closes and the next one starts.
4. Rooms: largest group first, each takes the smallest free room that holds it (ties by room name,
   numbers as numbers, then id). A group that no free room holds gets none and a note: it is flagged, never dropped.
5. Duty teachers: each group, in order, takes a free homeroom teacher of one of its classes (the one
   with most of its pupils); the rest take the other free teachers in pinyin order; a teacher leads at
   most one group of a service. A group left without one gets a note.

Everything is sorted before it is decided (grades and classes in natural order, names by pinyin, ties
by id), so the same applications in any order give the same proposal. Every decision leaves a `Note`
(a catalogue key `formation.*` and its parameters) for the office's page.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from edge.core.pinyin import sort_key

__all__ = [
    "Applicant", "FormationError", "Group", "Move", "Note", "Proposal", "Room", "SetRoom", "SetTeacher",
    "TakeOut", "Teacher", "Unplaced", "adjust", "propose_groups", "validate",
]  # fmt: skip

GROUP_SIZE = 40  # plan 2: about 40 a group; plan 5: a class of 40 or more applicants is a group of its own


@dataclass(frozen=True, slots=True)
class Applicant:
    """One approved application: a child and the service she is to be placed in."""

    student_id: str
    name: str
    grade: int
    class_id: str
    class_name: str
    service_id: str


@dataclass(frozen=True, slots=True)
class Room:
    room_id: str
    name: str
    capacity: int


@dataclass(frozen=True, slots=True)
class Teacher:
    """A teacher who can be on duty; `class_ids` are the classes whose homeroom teacher she is."""

    staff_id: str
    name: str
    class_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Note:
    """A decision or a violation: a catalogue key and its parameters (`t(note.code, lang, **note.args)`)."""

    code: str
    params: tuple[tuple[str, str | int], ...] = ()

    @property
    def args(self) -> dict[str, str | int]:
        return dict(self.params)


def _note(code: str, **params: str | int) -> Note:
    return Note(code, tuple(sorted(params.items())))


@dataclass(frozen=True, slots=True)
class Group:
    group_id: str
    service_id: str
    name: str
    students: tuple[str, ...]
    class_ids: tuple[str, ...]
    grades: tuple[int, ...]
    room_id: str | None = None
    teacher_id: str | None = None


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A child of an application who is in no group, and why."""

    student_id: str
    service_id: str
    reason: Note


@dataclass(frozen=True, slots=True)
class Proposal:
    groups: tuple[Group, ...]
    unplaced: tuple[Unplaced, ...]
    notes: tuple[Note, ...]
    # What the proposal was formed from, so that adjust() and validate() need nothing else.
    applicants: tuple[Applicant, ...] = field(default=(), repr=False)
    rooms: tuple[Room, ...] = field(default=(), repr=False)
    teachers: tuple[Teacher, ...] = field(default=(), repr=False)

    def group(self, group_id: str) -> Group | None:
        return next((g for g in self.groups if g.group_id == group_id), None)


class FormationError(Exception):
    """An adjustment that names something the proposal does not hold; `key` is its catalogue text."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# -- order ----------------------------------------------------------------------------------------

_DIGITS = re.compile(r"(\d+)")


@lru_cache(maxsize=1 << 12)
def _natural(text: str) -> tuple[str | int, ...]:
    """The pinyin key with its numbers compared as numbers, so class 2 comes before class 10."""
    parts = _DIGITS.split(sort_key(text))
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def _pupil_key(a: Applicant) -> tuple[object, ...]:
    return (a.grade, _natural(a.class_name), a.class_id, sort_key(a.name), a.student_id)


# -- the rule -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Unit:
    """Children who go into one group together: a class, or a whole small grade that joined another."""

    pupils: list[Applicant]
    is_grade: bool
    label: str  # class name, or the grades ("1", "1+2")

    @property
    def size(self) -> int:
        return len(self.pupils)


@dataclass(slots=True)
class _Block:
    """Contiguous grades formed together."""

    grades: list[int]
    units: list[_Unit]

    @property
    def size(self) -> int:
        return sum(u.size for u in self.units)

    @property
    def label(self) -> str:
        return "+".join(str(g) for g in self.grades)


def _split_count(size: int, group_size: int, max_size: int) -> int:
    """How many even groups a class of `size` becomes: sizes nearest `group_size`, none over `max_size`."""
    least = math.ceil(size / max_size)
    candidates = {k for k in (size // group_size, math.ceil(size / group_size), least) if k >= max(least, 1)}
    return min(candidates, key=lambda k: (abs(size / k - group_size), k))


def _blocks(pupils: Sequence[Applicant], group_size: int, notes: list[Note]) -> list[_Block]:
    """A service's grades as blocks, small grades merged into their smaller neighbour (step 1)."""
    by_class: dict[tuple[int, str], list[Applicant]] = defaultdict(list)
    for pupil in pupils:  # already in pupil order
        by_class[pupil.grade, pupil.class_id].append(pupil)
    blocks: list[_Block] = []
    for (grade, _), members in by_class.items():
        unit = _Unit(members, False, members[0].class_name)
        if blocks and blocks[-1].grades[-1] == grade:
            blocks[-1].units.append(unit)
        else:
            blocks.append(_Block([grade], [unit]))
    settled: set[int] = set()  # first grade of a small block with no neighbour left
    while True:
        small = [i for i, b in enumerate(blocks) if b.size < group_size and b.grades[0] not in settled]
        if not small:
            break
        i = min(small, key=lambda i: (blocks[i].size, blocks[i].grades[0]))
        block = blocks[i]
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(blocks)
                      and (blocks[j].grades[-1] + 1 == block.grades[0] or block.grades[-1] + 1 == blocks[j].grades[0])]  # fmt: skip
        if not neighbours:
            settled.add(block.grades[0])
            notes.append(_note("formation.grade_alone", grade=block.label, n=block.size, size=group_size))
            continue
        j = min(neighbours, key=lambda j: (blocks[j].size, blocks[j].grades[0]))
        into = blocks[j]
        notes.append(_note("formation.grade_joins", grade=block.label, n=block.size, into=into.label,
                           size=group_size))  # fmt: skip
        whole = _Unit([p for u in block.units for p in u.pupils], True, block.label)
        merged = _Block(sorted(into.grades + block.grades), into.units + [whole])
        blocks[min(i, j)] = merged
        del blocks[max(i, j)]
    return blocks


@dataclass(slots=True)
class _Draft:
    name: str
    pupils: list[Applicant]


def _drafts(block: _Block, group_size: int, max_size: int, notes: list[Note]) -> list[_Draft]:
    """A block's groups (steps 2 and 3)."""
    drafts: list[_Draft] = []
    small: list[_Unit] = []
    for unit in block.units:
        if unit.size < group_size:
            small.append(unit)
            continue
        if unit.size <= max_size:
            drafts.append(_Draft(unit.label, list(unit.pupils)))
            notes.append(_note("formation.class_own", cls=unit.label, n=unit.size, size=group_size))
            continue
        count = _split_count(unit.size, group_size, max_size)
        by_name = sorted(unit.pupils, key=lambda p: (sort_key(p.name), p.student_id))
        start = 0
        for part in range(count):
            end = start + unit.size // count + (part < unit.size % count)
            drafts.append(_Draft(f"{unit.label}-{part + 1}", by_name[start:end]))
            start = end
        notes.append(_note("formation.class_split", cls=unit.label, n=unit.size, groups=count, max=max_size))
    small.sort(key=lambda u: (u.size, _natural(u.pupils[0].class_name), u.pupils[0].class_id))
    buckets: list[list[_Unit]] = []
    for unit in small:
        if buckets and sum(u.size for u in buckets[-1]) < group_size \
                and sum(u.size for u in buckets[-1]) + unit.size <= max_size:  # fmt: skip
            buckets[-1].append(unit)
        else:
            buckets.append([unit])
    for bucket in buckets:
        bucket.sort(key=lambda u: _pupil_key(u.pupils[0]))
        pupils = [p for u in bucket for p in u.pupils]
        name = "+".join(u.label if not u.is_grade else "+".join(_class_names(u.pupils)) for u in bucket)
        drafts.append(_Draft(name, pupils))
        if len(bucket) > 1:
            notes.append(_note("formation.merged", what=name, n=len(pupils), size=group_size, max=max_size))
        elif bucket[0].is_grade:
            notes.append(_note("formation.grade_own", grade=bucket[0].label, n=len(pupils), max=max_size))
        else:
            notes.append(
                _note("formation.class_alone", cls=name, n=len(pupils), size=group_size, max=max_size)
            )
    return drafts


def _class_names(pupils: Iterable[Applicant]) -> list[str]:
    return list(dict.fromkeys(p.class_name for p in pupils))


def _group(draft: _Draft, group_id: str, service_id: str) -> Group:
    pupils = draft.pupils
    return Group(group_id, service_id, draft.name, tuple(p.student_id for p in pupils),
                 tuple(dict.fromkeys(p.class_id for p in pupils)), tuple(sorted({p.grade for p in pupils})))  # fmt: skip


def _place_rooms(groups: list[Group], rooms: Sequence[Room], notes: list[Note]) -> list[Group]:
    """Step 4 for one service's groups."""
    free = sorted(rooms, key=lambda r: (r.capacity, _natural(r.name), r.room_id))
    chosen: dict[str, str | None] = {}
    for group in sorted(groups, key=lambda g: -len(g.students)):  # stable: equal sizes keep group order
        room = next((r for r in free if r.capacity >= len(group.students)), None)
        if room is None:
            largest = max((r.capacity for r in free), default=0)
            notes.append(_note("formation.no_room", group=group.name, n=len(group.students), largest=largest))
            chosen[group.group_id] = None
            continue
        free.remove(room)
        chosen[group.group_id] = room.room_id
        notes.append(_note("formation.room", group=group.name, room=room.name, capacity=room.capacity,
                           n=len(group.students)))  # fmt: skip
    return [replace(g, room_id=chosen[g.group_id]) for g in groups]


def _place_teachers(groups: list[Group], pupils: dict[str, Applicant], teachers: Sequence[Teacher],
                    notes: list[Note]) -> list[Group]:  # fmt: skip
    """Step 5 for one service's groups."""
    ordered = sorted(teachers, key=lambda t: (sort_key(t.name), t.staff_id))
    used: set[str] = set()
    chosen: dict[str, Teacher] = {}
    for group in groups:
        counts = Counter(pupils[s].class_id for s in group.students)
        homeroom = [(max(counts[c] for c in t.class_ids if c in counts), t) for t in ordered
                    if t.staff_id not in used and any(c in counts for c in t.class_ids)]  # fmt: skip
        if homeroom:
            # max() keeps the first of equals, so a tie goes to the first in pinyin order
            teacher = max(homeroom, key=lambda pair: pair[0])[1]
            used.add(teacher.staff_id)
            chosen[group.group_id] = teacher
            mine = max((c for c in counts if c in teacher.class_ids), key=lambda c: counts[c])
            classes = [pupils[s].class_name for s in group.students if pupils[s].class_id == mine]
            notes.append(_note("formation.teacher_homeroom", group=group.name, teacher=teacher.name,
                               cls=classes[0]))  # fmt: skip
    for group in groups:
        if group.group_id in chosen:
            continue
        other = next((t for t in ordered if t.staff_id not in used), None)
        if other is None:
            notes.append(_note("formation.no_teacher", group=group.name))
            continue
        used.add(other.staff_id)
        chosen[group.group_id] = other
        notes.append(_note("formation.teacher_other", group=group.name, teacher=other.name))
    return [
        replace(g, teacher_id=chosen[g.group_id].staff_id if g.group_id in chosen else None) for g in groups
    ]


def _rooms(rooms: Iterable[Room]) -> tuple[Room, ...]:
    """One room an id: given twice, the smaller capacity counts (the safe reading of a contradiction)."""
    kept: dict[str, Room] = {}
    for room in sorted(rooms, key=lambda r: (r.room_id, r.capacity, r.name)):
        kept.setdefault(room.room_id, room)
    return tuple(kept.values())


def _teachers(teachers: Iterable[Teacher]) -> tuple[Teacher, ...]:
    """One teacher an id: given twice (say once per class), she is homeroom teacher of all those classes."""
    kept: dict[str, Teacher] = {}
    for teacher in sorted(teachers, key=lambda t: (t.staff_id, t.name, t.class_ids)):
        first = kept.setdefault(teacher.staff_id, teacher)
        classes = tuple(sorted(set(first.class_ids) | set(teacher.class_ids)))
        kept[teacher.staff_id] = replace(first, class_ids=classes)
    return tuple(kept.values())


def propose_groups(
    applicants: Iterable[Applicant],
    rooms: Iterable[Room],
    teachers: Iterable[Teacher],
    group_size: int = GROUP_SIZE,
    max_size: int | None = None,
) -> Proposal:
    """Groups for every service the applications name, each formed on its own by the rule above."""
    if group_size < 1:
        raise ValueError(f"group_size must be at least 1, not {group_size}")
    largest = max_size if max_size is not None else group_size + group_size // 4
    if largest < group_size:
        raise ValueError(f"max_size ({largest}) must not be under group_size ({group_size})")
    room_list = _rooms(rooms)
    teacher_list = _teachers(teachers)
    ordered = sorted(applicants, key=lambda a: (a.service_id, *_pupil_key(a), a.class_id, a.class_name))
    notes: list[Note] = []
    unplaced: list[Unplaced] = []
    by_service: dict[str, dict[str, Applicant]] = defaultdict(dict)
    for a in ordered:
        pupils = by_service[a.service_id]
        if a.student_id in pupils:
            notes.append(_note("formation.duplicate", student=a.name, id=a.student_id, service=a.service_id))
        elif not a.class_id.strip():
            unplaced.append(Unplaced(a.student_id, a.service_id,
                                     _note("formation.unplaced.no_class", student=a.name, id=a.student_id)))  # fmt: skip
        else:
            pupils[a.student_id] = a
    groups: list[Group] = []
    for service_id, pupils in by_service.items():  # services in sorted order, as the applicants were sorted
        if not pupils:
            continue
        drafts = [d for block in _blocks(list(pupils.values()), group_size, notes)
                  for d in _drafts(block, group_size, largest, notes)]  # fmt: skip
        for draft in drafts:
            draft.pupils.sort(key=_pupil_key)
        drafts.sort(key=lambda d: _pupil_key(d.pupils[0]))  # groups in grade and class order
        formed = [_group(d, f"{service_id}.{n}", service_id) for n, d in enumerate(drafts, start=1)]
        formed = _place_rooms(formed, room_list, notes)
        groups += _place_teachers(formed, pupils, teacher_list, notes)
    kept = [a for pupils in by_service.values() for a in pupils.values()]
    left = {(u.service_id, u.student_id) for u in unplaced}
    kept += list(
        {
            (a.service_id, a.student_id): a for a in reversed(ordered) if (a.service_id, a.student_id) in left
        }.values()
    )
    return Proposal(tuple(groups), tuple(unplaced), tuple(notes), tuple(kept), room_list, teacher_list)


# -- the office's adjustments ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Move:
    """Move a child into group `to_group` (from her group of that service, or from the unplaced)."""

    student_id: str
    to_group: str


@dataclass(frozen=True, slots=True)
class TakeOut:
    """Take a child out of her group of `service_id`: she is unplaced until moved back."""

    student_id: str
    service_id: str


@dataclass(frozen=True, slots=True)
class SetRoom:
    group_id: str
    room_id: str | None


@dataclass(frozen=True, slots=True)
class SetTeacher:
    group_id: str
    teacher_id: str | None


Adjustment = Move | TakeOut | SetRoom | SetTeacher


def adjust(proposal: Proposal, moves: Iterable[Adjustment]) -> Proposal:
    """The proposal after the office's moves, in order; each leaves a note. A move naming a group, child,
    room or teacher the proposal does not know raises FormationError; what breaks a rule (a room too
    small, a teacher twice) is left for validate() to report."""
    pupils = {(a.service_id, a.student_id): a for a in proposal.applicants}
    rooms = {r.room_id: r for r in proposal.rooms}
    teachers = {t.staff_id: t for t in proposal.teachers}
    groups = {g.group_id: g for g in proposal.groups}
    members = {g.group_id: list(g.students) for g in proposal.groups}
    unplaced = {(u.service_id, u.student_id): u for u in proposal.unplaced}
    notes = list(proposal.notes)

    def target(group_id: str) -> Group:
        if group_id not in groups:
            raise FormationError("formation.adjust.no_group", group=group_id)
        return groups[group_id]

    for move in moves:
        if isinstance(move, Move | TakeOut):
            service = target(move.to_group).service_id if isinstance(move, Move) else move.service_id
            pupil = pupils.get((service, move.student_id))
            if pupil is None:
                raise FormationError("formation.adjust.no_student", id=move.student_id, service=service)
            sources = [
                gid
                for gid, m in members.items()
                if groups[gid].service_id == service and move.student_id in m
            ]
            for gid in sources:
                members[gid].remove(move.student_id)
            before = "+".join(groups[gid].name for gid in sources) or "-"
            if isinstance(move, Move):
                members[move.to_group].append(move.student_id)
                unplaced.pop((service, move.student_id), None)
                notes.append(_note("formation.moved", student=pupil.name, id=pupil.student_id, source=before,
                                   group=groups[move.to_group].name))  # fmt: skip
            else:
                unplaced[service, move.student_id] = Unplaced(
                    move.student_id, service, _note("formation.unplaced.by_office", student=pupil.name, id=pupil.student_id)
                )  # fmt: skip
                notes.append(
                    _note("formation.taken_out", student=pupil.name, id=pupil.student_id, source=before)
                )
        elif isinstance(move, SetRoom):
            group = target(move.group_id)
            if move.room_id is not None and move.room_id not in rooms:
                raise FormationError("formation.adjust.no_room", group=group.name, room=move.room_id)
            groups[group.group_id] = replace(group, room_id=move.room_id)
            notes.append(_note("formation.room_set", group=group.name,
                               room=rooms[move.room_id].name if move.room_id else "-"))  # fmt: skip
        else:
            group = target(move.group_id)
            if move.teacher_id is not None and move.teacher_id not in teachers:
                raise FormationError("formation.adjust.no_teacher", group=group.name, teacher=move.teacher_id)
            groups[group.group_id] = replace(group, teacher_id=move.teacher_id)
            notes.append(_note("formation.teacher_set", group=group.name,
                               teacher=teachers[move.teacher_id].name if move.teacher_id else "-"))  # fmt: skip
    result = []
    for group in proposal.groups:
        now = groups[group.group_id]
        inside = sorted((pupils[now.service_id, s] for s in members[group.group_id]), key=_pupil_key)
        result.append(replace(now, students=tuple(p.student_id for p in inside),
                              class_ids=tuple(dict.fromkeys(p.class_id for p in inside)),
                              grades=tuple(sorted({p.grade for p in inside}))))  # fmt: skip
    left = tuple(sorted(unplaced.values(), key=lambda u: (u.service_id, u.student_id)))
    return replace(proposal, groups=tuple(result), unplaced=left, notes=tuple(notes))


def validate(proposal: Proposal, capacity_override: bool = False) -> tuple[Note, ...]:
    """Every violation, as notes: a child placed twice or missing, in a group of another service or not an
    applicant, a group without a room or with an unknown one, over its room's capacity (unless the office
    overrides), a room or a teacher given to two groups of one service, an unknown teacher."""
    pupils = {(a.service_id, a.student_id): a for a in proposal.applicants}
    rooms = {r.room_id: r for r in proposal.rooms}
    teachers = {t.staff_id: t for t in proposal.teachers}
    found: list[Note] = []
    placed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for group in proposal.groups:
        for student in group.students:
            placed[group.service_id, student].append(group.name)
            if (group.service_id, student) not in pupils:
                other = sorted(s for s, i in pupils if i == student)
                code = "formation.wrong_service" if other else "formation.not_applicant"
                found.append(_note(code, id=student, group=group.name, service=group.service_id))
        size = len(group.students)
        if group.room_id is None:
            found.append(_note("formation.roomless", group=group.name, n=size))
        elif group.room_id not in rooms:
            found.append(_note("formation.unknown_room", group=group.name, room=group.room_id))
        elif size > rooms[group.room_id].capacity and not capacity_override:
            room = rooms[group.room_id]
            found.append(
                _note("formation.over", group=group.name, n=size, room=room.name, capacity=room.capacity)
            )
        if group.teacher_id is not None and group.teacher_id not in teachers:
            found.append(_note("formation.unknown_teacher", group=group.name, teacher=group.teacher_id))
    for (service, student), names in placed.items():
        if len(names) > 1:
            pupil = pupils.get((service, student))
            found.append(_note("formation.twice", student=pupil.name if pupil else student, id=student,
                               groups="+".join(names)))  # fmt: skip
    for key, pupil in pupils.items():
        if key not in placed:
            found.append(
                _note("formation.missing", student=pupil.name, id=pupil.student_id, service=pupil.service_id)
            )
    for what, code in (("room_id", "formation.room_twice"), ("teacher_id", "formation.teacher_twice")):
        holders: dict[tuple[str, str], list[str]] = defaultdict(list)
        for group in proposal.groups:
            value = getattr(group, what)
            if value is not None and (what == "teacher_id" or value in rooms):
                holders[group.service_id, value].append(group.name)
        for (_, value), names in sorted(holders.items()):
            if len(names) > 1:
                label = (
                    rooms[value].name
                    if what == "room_id"
                    else teachers[value].name
                    if value in teachers
                    else value
                )
                found.append(_note(code, what=label, groups="+".join(names)))
    return tuple(found)
