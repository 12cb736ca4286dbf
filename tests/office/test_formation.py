"""Class formation by the seed's rule: written-out tables for small and large grades, and its properties."""

from __future__ import annotations

import random
import re
import string
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.core.i18n import CATALOGUE, t
from sync.office import formation
from sync.office.formation import (
    Applicant,
    FormationError,
    Group,
    Move,
    Note,
    Proposal,
    Room,
    SetRoom,
    SetTeacher,
    TakeOut,
    Teacher,
    adjust,
    propose_groups,
    validate,
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "子涵欣怡梓萱一诺浩宇宇轩思远雨桐佳怡俊杰"


def name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)] + GIVEN[(n * 3 + 1) % len(GIVEN)]


def klass(grade: int, number: int, size: int, service: str = "evening", start: int = 0) -> list[Applicant]:
    """`size` applicants of class `grade`-`number` (年级 and 班 as a school writes them)."""
    return [
        Applicant(f"s{grade}{number:02d}{i:03d}", name(grade * 1000 + number * 100 + i), grade, f"{grade}-{number}",
                  f"{grade}年级{number}班", service)
        for i in range(start, start + size)
    ]  # fmt: skip


def rooms(*capacities: int) -> list[Room]:
    return [Room(f"r{i:02d}", f"{i + 1}0{i % 3 + 1}室", c) for i, c in enumerate(capacities)]


def sizes(proposal: Proposal) -> list[tuple[tuple[str, ...], int]]:
    """Each group as (its classes, its size), in the proposal's order."""
    return [(g.class_ids, len(g.students)) for g in proposal.groups]


def codes(notes: tuple[Note, ...]) -> list[str]:
    return [n.code for n in notes]


def note(proposal: Proposal, code: str) -> dict[str, str | int]:
    found = [n.args for n in proposal.notes if n.code == code]
    assert len(found) == 1, (code, found)
    return found[0]


def plenty_of_rooms(count: int = 200) -> list[Room]:
    return rooms(*([50] * count))


# -- the seed's rule, written out -----------------------------------------------------------------


def test_a_class_of_43_is_its_own_group() -> None:
    proposal = propose_groups(klass(5, 1, 43) + klass(5, 2, 41), plenty_of_rooms(), [])
    assert sizes(proposal) == [(("5-1",), 43), (("5-2",), 41)]
    owns = [n.args for n in proposal.notes if n.code == "formation.class_own"]
    assert owns == [{"cls": "5年级1班", "n": 43, "size": 40}, {"cls": "5年级2班", "n": 41, "size": 40}]
    assert t("formation.class_own", "zh", **owns[0]) == "5年级1班 有 43 人报名(满 40 人),单独成组"
    assert proposal.groups[0].name == "5年级1班" and proposal.groups[0].grades == (5,)


def test_three_classes_of_12_15_18_merge_smallest_first() -> None:
    grade = klass(3, 1, 18) + klass(3, 2, 12) + klass(3, 3, 15) + klass(3, 4, 44)
    proposal = propose_groups(grade, plenty_of_rooms(), [])
    assert sizes(proposal) == [(("3-1", "3-2", "3-3"), 45), (("3-4",), 44)]
    assert note(proposal, "formation.merged") == {
        "what": "3年级1班+3年级2班+3年级3班",
        "n": 45,
        "size": 40,
        "max": 50,
    }


def test_merging_stops_at_about_40_and_never_passes_the_most() -> None:
    # 12 + 15 = 27, + 18 = 45: 40 reached, the group closes; 30 + 35 = 65 is over 50: each alone.
    grade = klass(4, 1, 12) + klass(4, 2, 15) + klass(4, 3, 18) + klass(4, 4, 30) + klass(4, 5, 35)
    proposal = propose_groups(grade, plenty_of_rooms(), [])
    assert sizes(proposal) == [(("4-1", "4-2", "4-3"), 45), (("4-4",), 30), (("4-5",), 35)]
    alone = [n.args["cls"] for n in proposal.notes if n.code == "formation.class_alone"]
    assert alone == ["4年级4班", "4年级5班"]


def test_a_grade_of_20_joins_its_smaller_neighbour_whole() -> None:
    grade_1 = klass(1, 1, 45) + klass(1, 2, 30) + klass(1, 3, 25)  # 100
    grade_2 = klass(2, 1, 12) + klass(2, 2, 8)  # 20, under 40
    grade_3 = klass(3, 1, 30) + klass(3, 2, 30)  # 60: the smaller neighbour
    proposal = propose_groups(grade_1 + grade_2 + grade_3, plenty_of_rooms(), [])
    assert note(proposal, "formation.grade_joins") == {"grade": "2", "n": 20, "into": "3", "size": 40}
    assert sizes(proposal) == [
        (("1-1",), 45), (("1-2",), 30), (("1-3",), 25),  # 25 + 30 = 55 is over 50
        (("2-1", "2-2", "3-1"), 50),  # grade 2 whole (20) + the smaller 30 of grade 3
        (("3-2",), 30),
    ]  # fmt: skip
    assert proposal.groups[3].grades == (2, 3)
    assert t("formation.grade_joins", "en", **note(proposal, "formation.grade_joins")) == (
        "grade 2 has 20 applicants, under 40: it joins grade 3, its smaller neighbour, as a whole"
    )


def test_small_grades_chain_into_the_next() -> None:
    # grade 1 (12) can only join grade 2 (20); together 32, still under 40, they join grade 3.
    school = klass(1, 1, 12) + klass(2, 1, 20) + [a for n in range(1, 5) for a in klass(3, n, 45)]
    proposal = propose_groups(school, plenty_of_rooms(), [])
    joins = [n.args for n in proposal.notes if n.code == "formation.grade_joins"]
    assert joins == [
        {"grade": "1", "n": 12, "into": "2", "size": 40},
        {"grade": "1+2", "n": 32, "into": "3", "size": 40},
    ]
    assert sizes(proposal)[0] == (("1-1", "2-1"), 32)
    assert note(proposal, "formation.grade_own") == {"grade": "1+2", "n": 32, "max": 50}


def test_on_a_tie_a_small_grade_joins_the_lower_neighbour() -> None:
    school = klass(1, 1, 45) + klass(2, 1, 10) + klass(3, 1, 45)
    proposal = propose_groups(school, plenty_of_rooms(), [])
    assert note(proposal, "formation.grade_joins")["into"] == "1"
    assert sizes(proposal) == [(("1-1",), 45), (("2-1",), 10), (("3-1",), 45)]  # 45 + 10 is over 50


def test_a_small_grade_without_an_adjacent_grade_stays_on_its_own() -> None:
    school = klass(1, 1, 45) + klass(1, 2, 45) + klass(3, 1, 9) + klass(3, 2, 6)  # no grade 2 or 4
    proposal = propose_groups(school, plenty_of_rooms(), [])
    assert note(proposal, "formation.grade_alone") == {"grade": "3", "n": 15, "size": 40}
    assert sizes(proposal)[-1] == (("3-1", "3-2"), 15)


@pytest.mark.parametrize(
    ("size", "parts"),
    [(50, [50]), (51, [26, 25]), (55, [28, 27]), (90, [45, 45]), (100, [34, 33, 33]), (120, [40, 40, 40]),
     (203, [41, 41, 41, 40, 40])],
)  # fmt: skip
def test_a_class_far_over_40_is_split_evenly(size: int, parts: list[int]) -> None:
    proposal = propose_groups(klass(6, 1, size), plenty_of_rooms(), [])
    assert [len(g.students) for g in proposal.groups] == parts
    everyone = [s for g in proposal.groups for s in g.students]
    assert sorted(everyone) == sorted(a.student_id for a in klass(6, 1, size))
    if len(parts) > 1:
        assert note(proposal, "formation.class_split") == {
            "cls": "6年级1班",
            "n": size,
            "groups": len(parts),
            "max": 50,
        }
        assert [g.name for g in proposal.groups] == [f"6年级1班-{n}" for n in range(1, len(parts) + 1)]


def test_group_size_and_most_are_the_offices_to_choose() -> None:
    grade = klass(2, 1, 20) + klass(2, 2, 14) + klass(2, 3, 25)
    assert sizes(propose_groups(grade, plenty_of_rooms(), [], group_size=30)) == [
        (("2-1", "2-2"), 34), (("2-3",), 25)  # 14 + 20 = 34: 30 reached
    ]  # fmt: skip
    assert [len(g.students) for g in propose_groups(klass(2, 1, 45), [], [], 30, max_size=50).groups] == [45]
    assert [len(g.students) for g in propose_groups(klass(2, 1, 45), [], [], group_size=30).groups] == [
        23,
        22,
    ]
    with pytest.raises(ValueError, match="max_size"):
        propose_groups([], [], [], group_size=40, max_size=30)


def test_services_are_formed_apart() -> None:
    both = klass(1, 1, 30) + klass(1, 1, 20, service="clubs")  # the same children in two services
    proposal = propose_groups(both, plenty_of_rooms(), [Teacher("t1", "王芳", ("1-1",))])
    assert [(g.service_id, len(g.students)) for g in proposal.groups] == [("clubs", 20), ("evening", 30)]
    # one room and one teacher a group *per service*: the services meet at different times
    assert proposal.groups[0].room_id == proposal.groups[1].room_id == "r00"
    assert proposal.groups[0].teacher_id == proposal.groups[1].teacher_id == "t1"


def test_grades_and_classes_in_natural_order_names_by_pinyin() -> None:
    school = klass(1, 10, 41) + klass(1, 2, 42)
    proposal = propose_groups(school, plenty_of_rooms(), [])
    assert [g.class_ids for g in proposal.groups] == [("1-2",), ("1-10",)]  # 2 before 10
    students = proposal.groups[0].students
    names = {a.student_id: a.name for a in school}
    from edge.core.pinyin import sort_key

    assert list(students) == sorted(students, key=lambda s: (sort_key(names[s]), s))


# -- rooms and teachers ----------------------------------------------------------------------------


def test_rooms_the_smallest_that_fits_largest_group_first() -> None:
    school = klass(1, 1, 30) + klass(2, 1, 45) + klass(3, 1, 50)
    proposal = propose_groups(school, rooms(60, 30, 48, 45, 100), [])
    assert [(len(g.students), g.room_id) for g in proposal.groups] == [(30, "r01"), (45, "r03"), (50, "r00")]
    # 50 took the 60 (the smallest that holds it), 45 the 45, 30 the 30; the 48 and the hall stay free
    assert [n.args["group"] for n in proposal.notes if n.code == "formation.room"] == [
        "3年级1班",
        "2年级1班",
        "1年级1班",
    ]


def test_a_group_that_no_room_holds_is_flagged_not_dropped() -> None:
    school = klass(1, 1, 48) + klass(2, 1, 20)
    proposal = propose_groups(school, rooms(30, 45), [])
    assert [(len(g.students), g.room_id) for g in proposal.groups] == [(48, None), (20, "r00")]
    assert note(proposal, "formation.no_room") == {"group": "1年级1班", "n": 48, "largest": 45}
    assert validate(proposal) == (Note("formation.roomless", (("group", "1年级1班"), ("n", 48))),)
    fixed = adjust(proposal, [SetRoom("evening.1", "r01")])  # the office puts 48 in the 45
    assert codes(validate(fixed)) == ["formation.over"]
    assert validate(fixed, capacity_override=True) == ()


def test_a_homeroom_teacher_of_its_classes_leads_each_group_once() -> None:
    school = klass(1, 1, 45) + klass(1, 2, 12) + klass(1, 3, 30)  # groups: 1-1 | 1-2 + 1-3
    teachers = [
        Teacher("t9", "安静", ()),
        Teacher("t2", "李红", ("1-2", "1-3")),  # homeroom of two classes of one group: most pupils count
        Teacher("t1", "王芳", ("1-1",)),
    ]
    proposal = propose_groups(school, plenty_of_rooms(), teachers)
    assert [g.teacher_id for g in proposal.groups] == ["t1", "t2"]
    homeroom = [n.args for n in proposal.notes if n.code == "formation.teacher_homeroom"]
    assert homeroom[1] == {"group": "1年级2班+1年级3班", "teacher": "李红", "cls": "1年级3班"}


def test_a_teacher_is_not_given_two_groups_the_rest_take_the_free_in_pinyin_order() -> None:
    school = klass(2, 1, 120)  # three groups, all of her class
    teachers = [Teacher("t1", "王芳", ("2-1",)), Teacher("t3", "张伟"), Teacher("t2", "安静")]
    proposal = propose_groups(school, plenty_of_rooms(), teachers)
    assert [g.teacher_id for g in proposal.groups] == ["t1", "t2", "t3"]  # 安 (an) before 张 (zhang)
    short = propose_groups(school, plenty_of_rooms(), teachers[:1])
    assert [g.teacher_id for g in short.groups] == ["t1", None, None]
    assert codes(short.notes).count("formation.no_teacher") == 2


# -- a school of 5,000 ------------------------------------------------------------------------------


def school_of(pupils: int, seed: int = 13) -> tuple[list[Applicant], list[Room], list[Teacher]]:
    """A school's evening study: six grades of 20 classes, class sizes as they come (5-55), the first
    grade's lower (the youngest stay less), until `pupils` applicants."""
    draw = random.Random(seed)
    applicants: list[Applicant] = []
    teachers = []
    while len(applicants) < pupils:
        for grade in range(1, 7):
            for number in range(1, 21):
                size = draw.randint(2, 20) if grade == 1 else draw.randint(5, 55)
                start = sum(1 for a in applicants if a.class_id == f"{grade}-{number}")
                applicants += klass(grade, number, min(size, pupils - len(applicants)), start=start)
                if len(applicants) >= pupils:
                    break
            else:
                continue
            break
    for grade in range(1, 7):
        for number in range(1, 21):
            teachers.append(
                Teacher(f"t{grade}{number:02d}", name(grade * 50 + number), (f"{grade}-{number}",))
            )
    teachers += [Teacher(f"u{n:02d}", name(900 + n)) for n in range(40)]  # teachers of no class
    halls = rooms(*[draw.choice([40, 45, 48, 50, 56]) for _ in range(160)])
    return applicants, halls, teachers


def test_a_school_of_5000() -> None:
    applicants, halls, teachers = school_of(5000)
    assert len(applicants) == 5000
    proposal = propose_groups(applicants, halls, teachers)
    placed = Counter(s for g in proposal.groups for s in g.students)
    assert len(placed) == 5000 and set(placed.values()) == {1}
    assert max(len(g.students) for g in proposal.groups) <= 50
    assert 100 <= len(proposal.groups) <= 5000 // 30  # about 40 a group
    per_class = Counter(a.class_id for a in applicants)
    for group in proposal.groups:
        if any(per_class[c] >= 40 for c in group.class_ids):
            assert len(group.class_ids) == 1  # a class of 40 or more is never mixed
    assert validate(proposal) == ()
    assert all(g.room_id and g.teacher_id for g in proposal.groups)


# -- the office's adjustments and the check ---------------------------------------------------------


@pytest.fixture
def small() -> Proposal:
    school = klass(1, 1, 40) + klass(1, 2, 44)
    return propose_groups(school, rooms(40, 45, 60), [Teacher("t1", "王芳", ("1-1",)), Teacher("t2", "李红")])


def test_moving_a_child_into_a_full_room_is_over_unless_overridden(small: Proposal) -> None:
    assert [(g.group_id, len(g.students), g.room_id) for g in small.groups] == [("evening.1", 40, "r00"),
                                                                               ("evening.2", 44, "r01")]  # fmt: skip
    child = small.groups[1].students[0]
    moved = adjust(small, [Move(child, "evening.1")])
    assert [len(g.students) for g in moved.groups] == [41, 43]
    assert moved.groups[0].class_ids == ("1-1", "1-2")  # recomputed from the children
    assert validate(moved) == (Note("formation.over", (("capacity", 40), ("group", "1年级1班"), ("n", 41),
                                                       ("room", "101室"))),)  # fmt: skip
    assert validate(moved, capacity_override=True) == ()
    assert moved.notes[-1].code == "formation.moved" and moved.notes[-1].args["source"] == "1年级2班"
    bigger = adjust(moved, [SetRoom("evening.1", "r02")])
    assert validate(bigger) == ()


def test_taking_a_child_out_leaves_her_missing_until_moved_back(small: Proposal) -> None:
    child = small.groups[0].students[5]
    out = adjust(small, [TakeOut(child, "evening")])
    assert [u.student_id for u in out.unplaced] == [child]
    assert codes(validate(out)) == ["formation.missing"]
    back = adjust(out, [Move(child, "evening.2")])
    assert back.unplaced == () and codes(validate(back)) == []


def test_a_room_or_teacher_given_twice_is_reported(small: Proposal) -> None:
    twice = adjust(small, [SetRoom("evening.2", "r00"), SetTeacher("evening.2", "t1")])
    assert codes(validate(twice)) == ["formation.over", "formation.room_twice", "formation.teacher_twice"]
    assert validate(twice)[2].args == {"what": "王芳", "groups": "1年级1班+1年级2班"}


def test_validate_names_a_child_placed_twice_or_in_another_services_group(small: Proposal) -> None:
    first, second = small.groups
    child = second.students[0]
    doubled = Proposal((first, Group(**{**_fields(second), "students": (*second.students, first.students[0])})),
                       small.unplaced, small.notes, small.applicants, small.rooms, small.teachers)  # fmt: skip
    assert [n.code for n in validate(doubled)] == ["formation.twice"]
    strange = Proposal((first, Group(**{**_fields(second), "service_id": "clubs"})), (), (), small.applicants,
                       small.rooms, small.teachers)  # fmt: skip
    found = codes(validate(strange))
    assert found.count("formation.wrong_service") == 44 and found.count("formation.missing") == 44
    assert child in {n.args.get("id") for n in validate(strange)}


def _fields(group: Group) -> dict[str, object]:
    return {f: getattr(group, f) for f in Group.__dataclass_fields__}


@pytest.mark.parametrize(
    ("move", "key"),
    [(Move("s101000", "evening.9"), "formation.adjust.no_group"),
     (Move("nobody", "evening.1"), "formation.adjust.no_student"),
     (SetRoom("evening.1", "hall"), "formation.adjust.no_room"),
     (SetTeacher("evening.1", "t99"), "formation.adjust.no_teacher"),
     (TakeOut("s101000", "clubs"), "formation.adjust.no_student")],
)  # fmt: skip
def test_an_adjustment_naming_nothing_known_is_refused_by_code(
    small: Proposal, move: object, key: str
) -> None:
    with pytest.raises(FormationError) as refused:
        adjust(small, [move])  # type: ignore[list-item]
    assert refused.value.key == key and key in CATALOGUE


def test_a_duplicate_application_is_placed_once_and_noted() -> None:
    school = klass(1, 1, 10) + klass(1, 1, 1)
    proposal = propose_groups(school, plenty_of_rooms(), [])
    assert len(proposal.groups[0].students) == 10
    assert note(proposal, "formation.duplicate")["id"] == "s101000"


def test_a_child_without_a_class_is_unplaced_with_the_reason() -> None:
    nobody = Applicant("x1", "王芳", 1, "", "", "evening")
    proposal = propose_groups([*klass(1, 1, 10), nobody], plenty_of_rooms(), [])
    assert [(u.student_id, u.reason.code) for u in proposal.unplaced] == [
        ("x1", "formation.unplaced.no_class")
    ]
    assert codes(validate(proposal)) == ["formation.missing"]


# -- the catalogue ----------------------------------------------------------------------------------

KEY = re.compile(r'"(formation\.[a-z_.]+)"')


def _fields_of(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_code_has_its_text_in_both_languages_with_the_same_fields() -> None:
    from pathlib import Path

    used = set(KEY.findall(Path(formation.__file__).read_text(encoding="utf-8")))
    assert len(used) > 25
    assert sorted(k for k in used if k not in CATALOGUE) == []
    ours = {k: v for k, v in CATALOGUE.items() if k.startswith("formation.")}
    assert sorted(ours) == sorted(used)  # nothing left over in the catalogue either
    for key, (zh, en) in ours.items():
        assert _fields_of(zh) == _fields_of(en), key


# -- properties -------------------------------------------------------------------------------------


@st.composite
def schools(draw: st.DrawFn) -> tuple[list[Applicant], list[Room], list[Teacher], int, int | None]:
    applicants: list[Applicant] = []
    for service in draw(
        st.lists(st.sampled_from(["evening", "clubs", "summer"]), min_size=1, max_size=2, unique=True)
    ):
        for grade in draw(st.lists(st.integers(1, 6), min_size=1, max_size=6, unique=True)):
            for number in range(1, draw(st.integers(1, 4)) + 1):
                applicants += klass(grade, number, draw(st.integers(1, 70)), service)
    capacities = draw(st.lists(st.integers(15, 70), max_size=30))
    classes = sorted({a.class_id for a in applicants})
    teachers = [Teacher(f"t{i}", name(i), tuple(draw(st.lists(st.sampled_from(classes), max_size=2, unique=True))))
                for i in range(draw(st.integers(0, 12)))]  # fmt: skip
    group_size = draw(st.sampled_from([40, 40, 20, 30]))
    most = draw(st.none() | st.integers(group_size, group_size + 20))
    return applicants, rooms(*capacities), teachers, group_size, most


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(schools())
def test_every_approved_child_is_placed_exactly_once_in_a_group_of_her_service(school: tuple) -> None:  # type: ignore[type-arg]
    applicants, halls, teachers, group_size, most = school
    proposal = propose_groups(applicants, halls, teachers, group_size, most)
    placed = Counter((g.service_id, s) for g in proposal.groups for s in g.students)
    assert placed == Counter((a.service_id, a.student_id) for a in applicants)
    assert proposal.unplaced == ()
    largest = most if most is not None else group_size + group_size // 4
    assert all(0 < len(g.students) <= largest for g in proposal.groups)
    services = {(a.service_id, a.student_id): a for a in applicants}
    for group in proposal.groups:  # never mixed: every child of a group applied for its service
        assert all((group.service_id, s) in services for s in group.students)
        assert set(group.class_ids) == {services[group.service_id, s].class_id for s in group.students}


@PROPERTY
@given(schools())
def test_no_group_is_over_its_rooms_capacity_and_rooms_and_teachers_serve_once(school: tuple) -> None:  # type: ignore[type-arg]
    applicants, halls, teachers, group_size, most = school
    proposal = propose_groups(applicants, halls, teachers, group_size, most)
    capacity = {r.room_id: r.capacity for r in halls}
    for group in proposal.groups:
        assert group.room_id is None or len(group.students) <= capacity[group.room_id]
    flagged = [n.args["group"] for n in proposal.notes if n.code == "formation.no_room"]
    by_size = sorted(
        proposal.groups, key=lambda g: (g.service_id, -len(g.students))
    )  # per service, largest first
    assert flagged == [g.name for g in by_size if g.room_id is None]
    for field in ("room_id", "teacher_id"):
        given_out = [(g.service_id, getattr(g, field)) for g in proposal.groups if getattr(g, field)]
        assert len(given_out) == len(set(given_out))
    assert {n.code for n in validate(proposal)} <= {"formation.roomless"}
    for found in proposal.notes:  # every note reads in both languages with the parameters it carries
        zh, en = CATALOGUE[found.code]
        assert _fields_of(zh) == _fields_of(en) == set(found.args), found


@PROPERTY
@given(schools(), st.randoms(use_true_random=False))
def test_the_same_applications_in_any_order_give_the_same_proposal(
    school: tuple, shuffle: random.Random
) -> None:  # type: ignore[type-arg]
    applicants, halls, teachers, group_size, most = school
    first = propose_groups(applicants, halls, teachers, group_size, most)
    for items in (applicants, halls, teachers):
        shuffle.shuffle(items)
    assert propose_groups(applicants, halls, teachers, group_size, most) == first


@PROPERTY
@given(schools(), st.data())
def test_after_any_moves_validate_reports_exactly_the_groups_over_capacity(
    school: tuple, data: st.DataObject
) -> None:  # type: ignore[type-arg]
    applicants, halls, teachers, group_size, most = school
    proposal = propose_groups(applicants, halls, teachers, group_size, most)
    moves: list[formation.Adjustment] = []
    for _ in range(data.draw(st.integers(0, 30))):
        target = data.draw(st.sampled_from(proposal.groups))
        pupil = data.draw(st.sampled_from([a for a in applicants if a.service_id == target.service_id]))
        moves.append(Move(pupil.student_id, target.group_id))
        if halls and data.draw(st.booleans()):
            moves.append(SetRoom(target.group_id, data.draw(st.sampled_from(halls)).room_id))
    adjusted = adjust(proposal, moves)
    placed = Counter((g.service_id, s) for g in adjusted.groups for s in g.students)
    assert placed == Counter((a.service_id, a.student_id) for a in applicants)  # still each exactly once
    capacity = {r.room_id: r.capacity for r in halls}
    over = sorted(g.name for g in adjusted.groups if g.room_id and len(g.students) > capacity[g.room_id])
    found = validate(adjusted)
    assert sorted(n.args["group"] for n in found if n.code == "formation.over") == over  # type: ignore[type-var]
    assert not [n for n in validate(adjusted, capacity_override=True) if n.code == "formation.over"]
    assert not {n.code for n in found} & {"formation.twice", "formation.missing", "formation.wrong_service"}


def test_a_room_or_teacher_listed_twice_counts_once() -> None:
    school = klass(1, 1, 45) + klass(1, 2, 44)
    halls = [Room("r1", "101室", 50), Room("r1", "101室", 30), Room("r2", "102室", 50)]
    teachers = [Teacher("t1", "王芳", ("1-2",)), Teacher("t1", "王芳", ("1-1",))]
    proposal = propose_groups(school, halls, teachers)
    assert [(g.room_id, g.teacher_id) for g in proposal.groups] == [("r2", "t1"), (None, None)]  # r1 holds 30
    assert proposal.teachers == (Teacher("t1", "王芳", ("1-1", "1-2")),)
