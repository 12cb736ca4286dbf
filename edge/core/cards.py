"""Provides `CardIndex`: which enrolled card a read names, whatever rendering its reader prints.

A card is its raw UID. Most readers give the whole UID, so the read is the card. A reader set to
a lossy rendering (a desktop reader printing 8 decimal digits, a 26-bit Wiegand converter) gives
only some of the bytes: the card is then the enrolled one that this reader would print the same
way. Two enrolled cards that the rendering cannot tell apart are refused rather than guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from hardware.uid import Rendering, render


class CardIndex:
    def __init__(self, uids: Iterable[str]) -> None:
        self._uids = frozenset(uids)
        self._by_rendering: dict[Rendering, dict[str, list[str]]] = {}

    def resolve(self, uid: str, rendering: Rendering | None) -> tuple[str, str]:
        """(the card's UID, "") or (the read's UID, a reason it names no single card)."""
        if uid in self._uids or rendering is None:
            return uid, ""
        try:
            shown = render(uid, rendering)
        except ValueError:
            return uid, ""
        found = self._index(rendering).get(shown, [])
        if len(found) == 1:
            return found[0], ""
        return uid, "ambiguous_rendering" if found else ""

    def printed(self, text: str) -> list[str]:
        """The cards whose number, as any vendor prints it on the card's face or a reader shows it
        (3829058002, 07302202, 111,27706), is `text`: what a guard types at the desk."""
        typed = "".join(text.split())
        if not typed or not all(c.isdigit() or c == "," for c in typed):
            return []
        return sorted({uid for rendering in Rendering for uid in self._index(rendering).get(typed, ())})

    def _index(self, rendering: Rendering) -> dict[str, list[str]]:
        # Built on first use per rendering: one pass over the cards (5,000 renders, a few ms).
        if rendering not in self._by_rendering:
            index: dict[str, list[str]] = defaultdict(list)
            for uid in sorted(self._uids):
                try:
                    index[render(uid, rendering)].append(uid)
                except ValueError:
                    continue
            self._by_rendering[rendering] = dict(index)
        return self._by_rendering[rendering]
