"""Provides `Problem`, a refusal or a finding as a catalogue key and its parameters, for the office's pure rules.

The rota, attendance, pay and fee modules never write prose: they name what is wrong by a key of
`edge.core.i18n` (`rota.…`, `pay.…`, `fees.…`) and the values its text needs, and the pages render it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from edge.core.i18n import t


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, lang: str = "zh") -> str:
        return t(self.code, lang, **self.params)


class Refused(ValueError):
    """Input the office's rules will not take; `problems` says each thing wrong, by code."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(p.code for p in problems))
        self.problems = problems
