"""The class-name normaliser: every common spelling of a class is the same (grade, class); nothing else is guessed at."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.core.class_names import class_key, same_class

CHINESE = "零一二三四五六七八九"


def chinese(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十."""
    if n < 10:
        return CHINESE[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else CHINESE[tens]) + "十" + (CHINESE[units] if units else "")


SPELLINGS = (
    lambda g, c: f"{g}年级{c}班",
    lambda g, c: f"{chinese(g)}年级{c}班",  # the roster's own
    lambda g, c: f"{chinese(g)}年级{chinese(c)}班",
    lambda g, c: f"{chinese(g)}{c}",
    lambda g, c: f"{g}-{c}",
    lambda g, c: f"{g}.{c}",
    lambda g, c: f"{g} {c}",
    lambda g, c: f"{g}({c})班",
    lambda g, c: f"{chinese(g)}({c})班",
    lambda g, c: f"{g}年{c}班",
)


@given(st.integers(1, 9), st.integers(1, 20), st.sampled_from(SPELLINGS))
def test_every_common_spelling_of_a_class_is_the_same_class(grade: int, klass: int, spell: object) -> None:
    text = spell(grade, klass)  # type: ignore[operator]
    assert class_key(text) == (grade, klass), text
    assert same_class((grade, klass), f"{chinese(grade)}年级{klass}班")
    assert not same_class((grade, klass), f"{chinese(grade)}年级{klass + 1}班")


@given(st.integers(1, 9), st.integers(1, 9))
def test_two_digits_alone_are_grade_and_class(grade: int, klass: int) -> None:
    assert class_key(f"{grade}{klass}") == (grade, klass)


@given(st.integers(1, 9))
def test_a_grade_alone_names_each_of_its_classes(grade: int) -> None:
    for text in (f"{grade}年级", f"{chinese(grade)}年级"):
        assert class_key(text) == (grade, None)
        assert same_class((grade, None), f"{chinese(grade)}年级2班")


@pytest.mark.parametrize("text", ["301", "1234", "512班", "张三", "五", "zsl", "", "0 1", "s0103"])
def test_what_is_not_plainly_a_class_is_none(text: str) -> None:
    """A room (301), the end of a phone number (1234), 5-12 or 51-2 (512班), a name: not guessed at."""
    assert class_key(text) is None
