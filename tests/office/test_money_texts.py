"""The rota, attendance, pay and fee modules speak only in catalogue keys, each with Chinese and English text."""

from __future__ import annotations

import re
import string
from pathlib import Path

from edge.core.i18n import CATALOGUE
from sync.office.fees import Category
from sync.office.rota import NEEDED

MODULES = ("rota", "attendance", "pay", "fees")
SOURCE = Path(__file__).resolve().parents[2] / "sync" / "office"
KEY = re.compile(r"""f?"((?:rota|pay|fees)\.[a-z_.{}]+)\"""")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def keys_used() -> set[str]:
    found = set()
    for module in MODULES:
        for key in KEY.findall((SOURCE / f"{module}.py").read_text(encoding="utf-8")):
            if "{role}" in key:
                found |= {key.replace("{role}", str(role)) for role in NEEDED}
            elif "{waiver.category}" in key:
                found |= {key.replace("{waiver.category}", str(c)) for c in Category}
            else:
                found.add(key)
    return found


def test_every_code_the_modules_return_has_its_text() -> None:
    used = keys_used()
    assert len(used) > 40  # the scan finds them (a broken pattern would find none)
    assert sorted(k for k in used if k not in CATALOGUE) == []


def test_chinese_and_english_take_the_same_parameters() -> None:
    ours = {k: v for k, v in CATALOGUE.items() if k.split(".")[0] in ("rota", "pay", "fees")}
    assert {k for k, (zh, en) in ours.items() if fields(zh) != fields(en)} == set()
    assert all(zh and en for zh, en in ours.values())
