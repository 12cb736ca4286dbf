"""Provides pinyin sort keys and search matching for Chinese names."""

from __future__ import annotations

import os
from functools import lru_cache

# pypinyin's phrase dictionary costs ~45 MB of a Pi's memory (68 MB vs 23 MB resident, measured)
# and only helps with words; names are read character by character, with surnames from the table
# below. Set before the import, as pypinyin reads these when it loads.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "true")

from pypinyin import Style, lazy_pinyin  # noqa: E402

# pypinyin reads a name as an ordinary word, so surnames with a special reading come out wrong
# (曾 ceng, 单 dan, 解 jie ...). Only the first character gets this table: inside a given name the
# word reading is the right one (曾经, 单纯 ...).
SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "区": "ou",
    "查": "zha",
    "乐": "yue",
    "燕": "yan",
    "覃": "qin",
    "缪": "miao",
    "盖": "ge",
}

# Sized above the biggest school's names plus guardians, so a keystroke never evicts.
_CACHE_SIZE = 1 << 15


@lru_cache(maxsize=_CACHE_SIZE)
def syllables(name: str) -> tuple[str, ...]:
    """The toneless, lower-case pinyin of `name`, one item per character; other text passes through."""
    compact = "".join(name.split())
    if not compact:
        return ()
    head = SURNAME_READINGS.get(compact[0])
    if head is not None:
        return (head, *_plain(compact[1:]))
    return _plain(compact)


def _plain(text: str) -> tuple[str, ...]:
    return tuple(s.lower() for s in lazy_pinyin(text, style=Style.NORMAL) if s) if text else ()


@lru_cache(maxsize=_CACHE_SIZE)
def sort_key(name: str) -> str:
    """A key that sorts names by pinyin (安 < 白 < 张), syllable by syllable.

    Syllables are joined by a space, which sorts before every letter, so 李娜 (li na) comes
    before 林 (lin) as in a dictionary; the name itself breaks ties so the order is total.
    """
    return " ".join(syllables(name)) + "\0" + name


@lru_cache(maxsize=_CACHE_SIZE)
def _forms(name: str) -> tuple[str, str, str]:
    # Separators such as the middle dot in 买买提·艾力 are not typed when searching.
    parts = [p for p in syllables(name) if p[0].isalnum()]
    return "".join(name.split()).lower(), "".join(parts), "".join(p[0] for p in parts)


def matches(query: str, name: str) -> bool:
    """True when `query` is in `name`, or starts its full pinyin ("zhangs") or its initials ("zs")."""
    q = "".join(query.split()).lower()
    text, full, initials = _forms(name)
    return q in text or full.startswith(q) or initials.startswith(q)
