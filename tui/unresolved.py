"""Provides `UnresolvedCard` and `fold_cards`: the unknown and lost cards tapped today that no guard has dealt with yet.

Pure: derived from the device's events as the console receives them (the live stream's snapshot,
then each event), so a card tapped at 18:02 is still listed at 18:40 however many taps came after
it. A card leaves the list when it is given to a child (a `card_assigned` event, from any console)
or when this console's guard dismisses it. Each card is one line, with how many times it was tapped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from tui.rows import FeedLine

UNRESOLVED = frozenset({"unknown_card", "lost_card"})


@dataclass(frozen=True, slots=True)
class UnresolvedCard:
    uid: str
    outcome: str  # unknown_card | lost_card, as its last tap said
    holder: str  # a lost card's holder (empty for a card nobody holds)
    place: str  # the reader of its last tap (its id: the screen says it by its name)
    time: str  # its last tap, HH:MM:SS
    taps: int
    seq: int = 0  # its last tap's: the newest card first

    @property
    def unknown(self) -> bool:
        return self.outcome == "unknown_card"


def fold_cards(cards: tuple[UnresolvedCard, ...], lines: Iterable[FeedLine]) -> tuple[UnresolvedCard, ...]:
    """`cards` after `lines` (in seq order): a tap adds its card or counts one more, an assignment removes it."""
    by_uid = {card.uid: card for card in cards}
    for line in lines:
        if line.kind == "tap" and line.outcome in UNRESOLVED and line.card_uid:
            by_uid[line.card_uid] = _tapped(by_uid.get(line.card_uid), line)
        elif line.outcome == "card_assigned" and line.assigned_uid:
            by_uid.pop(line.assigned_uid, None)
    return tuple(by_uid.values())


def _tapped(card: UnresolvedCard | None, line: FeedLine) -> UnresolvedCard:
    holder = line.name if line.outcome == "lost_card" and line.name != line.card_uid else ""
    if card is None:
        return UnresolvedCard(line.card_uid, line.outcome, holder, line.reader_id or line.place, line.time, 1, line.seq)
    return replace(card, outcome=line.outcome, holder=holder, place=line.reader_id or line.place, time=line.time,
                   taps=card.taps + 1, seq=line.seq)  # fmt: skip


def without(cards: tuple[UnresolvedCard, ...], uid: str) -> tuple[UnresolvedCard, ...]:
    """`cards` less the one a guard dismissed."""
    return tuple(card for card in cards if card.uid != uid)
