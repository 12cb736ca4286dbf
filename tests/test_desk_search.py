"""The pickup desk's search (`edge.api.students.find`) over the sample school: every way a guard types a child."""

from __future__ import annotations

import pytest

from edge.api.students import find
from edge.core.class_names import class_key
from edge.core.model import School
from edge.core.pinyin import sort_key, syllables
from tests.api.conftest import school

CHINESE = "零一二三四五六七八九"


def child_with_three_syllables(roster: School) -> str:
    """A child with a three-character name, a guardian and a phone: like 张诗岚."""
    return next(s.id for s in roster.students.values() if len(syllables(s.name)) == 3 and roster.guardians_of(s.id))


def ids(text: str, limit: int = 100) -> list[str]:
    return [hit["id"] for hit in find(school(), {}, text, limit)]


def spellings(student_id: str) -> dict[str, str]:
    roster = school()
    student = roster.students[student_id]
    parts = syllables(student.name)
    guardian = roster.guardians_of(student_id)[0]
    return {
        "name": student.name,
        "pinyin": "".join(parts),
        "pinyin, surname apart": f"{parts[0]} {''.join(parts[1:])}",  # zhang shilan
        "pinyin, each syllable apart": " ".join(parts),
        "initials": "".join(p[0] for p in parts),  # zsl
        "guardian's name": guardian.name,
        "guardian's name in pinyin": "".join(syllables(guardian.name)),
        "phone": guardian.phone,
        "phone's last 4 digits": guardian.phone[-4:],
        "id": student_id,
    }


@pytest.mark.parametrize("how", list(spellings(child_with_three_syllables(school()))))
def test_a_child_is_found_every_way_a_guard_types_her(how: str) -> None:
    student_id = child_with_three_syllables(school())
    assert student_id in ids(spellings(student_id)[how])


@pytest.mark.parametrize("text", ["5年级1班", "五年级1班", "五年级一班", "五1", "5-1", "5.1", "51", "5(1)班"])
def test_a_class_in_any_spelling_finds_all_of_it_and_nobody_else(text: str) -> None:
    roster = school()
    fifth_one = {s.id for s in roster.students.values() if s.class_name == "五年级1班"}
    found = find(roster, {}, text, 100)
    assert {hit["id"] for hit in found} == fifth_one
    assert [sort_key(hit["name"]) for hit in found] == sorted(sort_key(hit["name"]) for hit in found)  # pinyin order


def test_a_whole_grade_is_found_by_its_name() -> None:
    roster = school()
    found = {hit["class"] for hit in find(roster, {}, "五年级", 100)}
    assert found == {"五年级1班", "五年级2班"}
    assert class_key("五年级") == (5, None)


def test_one_surname_character_of_a_guardian_does_not_list_their_children() -> None:
    """"张" finds the children called 张, not every child whose father is a 张."""
    roster = school()
    found = find(roster, {}, "张", 100)
    assert found and all("张" in hit["name"] for hit in found)


def test_the_last_4_digits_find_only_that_phones_families() -> None:
    roster = school()
    student_id = child_with_three_syllables(roster)
    tail = roster.guardians_of(student_id)[0].phone[-4:]
    families = {c for g in roster.guardians.values() if g.phone.endswith(tail) for c in g.children}
    assert set(ids(tail)) == families
