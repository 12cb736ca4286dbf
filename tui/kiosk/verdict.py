"""Provides `verdict`: what the students' screen says about one tap — a name, ✓ or ✗, a few words a child reads.

Pure: a feed line from the device's live stream in, a `Verdict` out. The words are the
catalogue's `kiosk.*` keys, short enough to read from a metre away in the time a child stands
there; the guard console keeps the full reasons. A card nobody holds shows no number: the UID
means nothing to a child and is no business of the queue behind her.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from edge.core.i18n import t
from tui.rows import FeedLine

OK, REFUSED = "✓", "✗"

# outcome -> (mark, catalogue key of the few words). Late, already in and the like are still a
# success for the child (she is recorded); anything the guard must sort out sends her to the guard room.
WORDS: Mapping[str, tuple[str, str]] = {
    "checked_in": (OK, "kiosk.checked_in"),
    "late": (OK, "kiosk.late"),
    "already_in": (OK, "kiosk.already_in"),
    "on_campus": (OK, "kiosk.on_campus"),
    "left_campus": (OK, "kiosk.goodbye"),
    "walked_home": (OK, "kiosk.walked_home"),
    "picked_up": (OK, "kiosk.picked_up"),
    "left_early": (OK, "kiosk.goodbye"),
    "staff_on_duty": (OK, "kiosk.staff"),
    "report_signed": (OK, "kiosk.report_signed"),
    "wrong_room": (REFUSED, "kiosk.wrong_room"),
    "wrong_reader": (REFUSED, "kiosk.wrong_reader"),
    "lost_card": (REFUSED, "kiosk.lost_card"),
    "must_be_picked_up": (REFUSED, "kiosk.wait_for_pickup"),
    "not_recorded": (REFUSED, "kiosk.not_recorded"),
}
SEE_THE_GUARD = "kiosk.see_the_guard"  # every other refusal: unknown card, not enrolled, on leave, ...
NO_NAME = frozenset({"unknown_card", "random_uid", "unknown_reader"})  # the "name" would be a card number


@dataclass(frozen=True, slots=True)
class Verdict:
    seq: int
    name: str  # who tapped (a guardian's card: the children taken); empty when nobody holds the card
    mark: str  # ✓ or ✗
    words: str  # 已签到 / 请到门卫室 / 此卡已挂失, in the screen's language
    detail: str  # one more line when it helps the child (应去 301教室), else empty
    place: str
    time: str

    @property
    def refused(self) -> bool:
        return self.mark == REFUSED

    def sentence(self, lang: str) -> str:
        """What the speech engine says: 张三,已签到 / 请到门卫室."""
        return t("kiosk.spoken", lang, name=self.name, words=self.words) if self.name else self.words


def verdict(line: FeedLine, lang: str, place: str = "") -> Verdict:
    """`line` as the child reads it; `place` is the reader's configured name when the kiosk knows it."""
    mark, key = WORDS.get(line.outcome, (OK, "kiosk.ok") if line.signal == "ok" else (REFUSED, SEE_THE_GUARD))
    name = "" if line.outcome in NO_NAME else line.name
    if line.children:
        name = "、".join(line.children)
    detail = line.reason if line.outcome == "wrong_room" else ""
    return Verdict(line.seq, name, mark, t(key, lang), detail, place or line.place, line.time)
