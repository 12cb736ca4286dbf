"""Tests pinyin sorting and search of Chinese names."""

from __future__ import annotations

import pytest

from edge.core.pinyin import matches, sort_key, syllables


def test_names_sort_by_pinyin_syllable_by_syllable() -> None:
    names = ["张三", "Tom", "林一", "曾小明", "白雪", "李娜", "陈晨", "安娜", "杨洋"]
    # 李娜 (li na) before 林一 (lin yi): syllables compare first, as in a dictionary.
    assert sorted(names, key=sort_key) == [
        "安娜",
        "白雪",
        "陈晨",
        "李娜",
        "林一",
        "Tom",
        "杨洋",
        "曾小明",
        "张三",
    ]


def test_polyphone_surname_zeng_sorts_under_z() -> None:
    assert sort_key("曾小明").startswith("zeng ")
    assert sort_key("杨洋") < sort_key("曾小明") < sort_key("张三")


@pytest.mark.parametrize(
    ("name", "first"),
    [("单田芳", "shan"), ("曾小明", "zeng"), ("解晓东", "xie"), ("仇大海", "qiu"), ("朴树", "piao"),
     ("区家明", "ou"), ("查良镛", "zha"), ("乐嘉", "yue"), ("燕青", "yan")],
)  # fmt: skip
def test_surname_readings(name: str, first: str) -> None:
    assert syllables(name)[0] == first


def test_only_the_first_character_is_read_as_a_surname() -> None:
    # 单 inside a given name keeps the word reading (dan), not the surname's (shan).
    assert syllables("王单")[1] == "dan"


def test_same_pinyin_names_still_have_a_total_order() -> None:
    assert sort_key("李娜") != sort_key("李纳")
    assert sorted(["李纳", "李娜"], key=sort_key) == sorted(["李娜", "李纳"], key=sort_key)


@pytest.mark.parametrize(
    "query",
    ["zs", "z", "zhangs", "zhangsan", "ZHANG SAN", "Zhang San", "张", "三", "张三", " zs ", ""],
)
def test_matches(query: str) -> None:
    assert matches(query, "张三")


@pytest.mark.parametrize("query", ["ls", "sz", "zhangsi", "zhangsanf", "zsf", "李", "hang"])
def test_does_not_match(query: str) -> None:
    assert not matches(query, "张三")


def test_matches_uses_surname_reading() -> None:
    assert matches("zxm", "曾小明")
    assert matches("zengx", "曾小明")
    assert not matches("cengx", "曾小明")


def test_matches_names_with_a_middle_dot_and_latin_names() -> None:
    assert matches("maimaitiaili", "买买提·艾力")
    assert matches("mmtal", "买买提·艾力")
    assert matches("tom", "Tom Li")
