"""Provides `class_key`: a class name in any common spelling ("五年级一班", "5年级1班", "五1", "5-1", "51") as (grade, class).

The roster writes 五年级1班; a guard types whatever is quickest. Both go through the same
normaliser, so a search compares keys, never spellings. Pure: no I/O.
"""

from __future__ import annotations

import re

ClassKey = tuple[int, int | None]  # (grade, class); class None: the whole grade ("五年级")

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = r"(\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"
# grade, then 年级 / 年 or a separator or nothing, then the class (in brackets or not), then 班
_SPELLED = re.compile(rf"{_NUMBER}\s*(?:年级|年)?\s*[-.·/、 ]?\s*[((]?\s*{_NUMBER}\s*[))]?\s*班?")
_GRADE_ONLY = re.compile(rf"{_NUMBER}\s*(?:年级|年)")
_OPENS_CLASS = ("年", "-", ".", "·", "/", "、", " ", "(", "(")


def class_key(text: str) -> ClassKey | None:
    """(grade, class) for a class name in any common spelling, (grade, None) for a grade alone, else None.

    Digits alone are read as a class only when exactly two ("51" is 5年级1班): "301" is a room and
    four digits are the end of a phone number, so anything longer is not guessed at.
    """
    compact = text.strip()
    if compact.isdigit():
        return (int(compact[0]), int(compact[1])) if len(compact) == 2 and compact[0] != "0" else None
    grade_only = _GRADE_ONLY.fullmatch(compact)
    if grade_only:
        grade = _number(grade_only.group(1))
        return (grade, None) if grade else None
    spelled = _SPELLED.fullmatch(compact)
    if spelled is None or not _separated(compact, spelled.group(1), spelled.group(2)):
        return None
    grade, klass = _number(spelled.group(1)), _number(spelled.group(2))
    return (grade, klass) if grade and klass else None


def _separated(text: str, grade: str, klass: str) -> bool:
    """Something tells grade from class: a word or mark between them, a Chinese numeral ("五1"), or
    one digit each ("51班"); "512班" could be 5-12 or 51-2 and is not guessed at."""
    rest = text[len(grade) :]
    touching_digits = grade.isdigit() and rest[:1].isdigit()
    return rest.startswith(_OPENS_CLASS) or not touching_digits or len(grade) + len(klass) == 2


def _number(text: str) -> int:
    """12, "12", "十二", "二十" -> the number; 0 when it is not one."""
    if text.isdigit():
        return int(text)
    tens, _, units = text.partition("十")
    if "十" not in text:
        return _DIGITS.get(text, 0) if len(text) == 1 else 0
    if len(tens) > 1 or len(units) > 1:
        return 0
    return _DIGITS.get(tens, 0 if tens else 1) * 10 + _DIGITS.get(units, 0)


def same_class(query: ClassKey, class_name: str) -> bool:
    """Whether `class_name` (the roster's) is the class, or in the grade, that `query` names."""
    key = class_key(class_name)
    return key is not None and key[0] == query[0] and query[1] in (None, key[1])
