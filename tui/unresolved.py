"""Provides `UnresolvedCard` and `fold_cards`: the unknown and lost cards tapped today that no guard has dealt with yet.

Pure: derived from the device's events as the console receives them (the live stream's snapshot,
then each event), so a card tapped at 18:02 is still listed at 18:40 however many taps came after
it. A card leaves the list when it is given to a child (`card_assigned`) or dismissed
(`card_dismissed`): both are the device's events, so a card dealt with at one console leaves every
console's list. Each is set aside under its event's uuid, so when a guard takes the action back
(a `corrected` event naming it) the card comes back as it was. Each card is one line, with how many
times it was tapped; a tap after it was dealt with lists it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from tui.rows import FeedLine

UNRESOLVED = frozenset({"unknown_card", "lost_card"})
DEALT_WITH = frozenset({"card_assigned", "card_dismissed"})
SET_ASIDE_KEPT = 50  # cards dealt with, kept to bring back on an undo: far more than ten minutes bring


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


@dataclass(frozen=True, slots=True)
class Cards:
    """The unresolved cards, and the ones dealt with lately by the uuid of the event that did it."""

    open: tuple[UnresolvedCard, ...] = ()
    set_aside: Mapping[str, UnresolvedCard] = field(default_factory=dict)


def fold_cards(cards: Cards, lines: Iterable[FeedLine]) -> Cards:
    """`cards` after `lines` (in seq order): a tap adds its card or counts one more, an assignment or a
    dismissal sets it aside, a correction of one of those brings it back."""
    by_uid = {card.uid: card for card in cards.open}
    aside = dict(cards.set_aside)
    for line in lines:
        if line.kind == "tap" and line.outcome in UNRESOLVED and line.card_uid:
            by_uid[line.card_uid] = _tapped(by_uid.get(line.card_uid), line)
        elif line.outcome in DEALT_WITH and (line.assigned_uid or line.card_uid):
            card = by_uid.pop(line.assigned_uid or line.card_uid, None)
            if card is not None and line.uuid:
                aside[line.uuid] = card
        elif line.outcome == "corrected" and line.undoes in aside:
            card = aside.pop(line.undoes)
            if card.uid not in by_uid:  # tapped again since: that newer line stands
                by_uid[card.uid] = card
    kept = dict(list(aside.items())[-SET_ASIDE_KEPT:])
    return Cards(tuple(by_uid.values()), kept)


def _tapped(card: UnresolvedCard | None, line: FeedLine) -> UnresolvedCard:
    holder = line.name if line.outcome == "lost_card" and line.name != line.card_uid else ""
    if card is None:
        return UnresolvedCard(line.card_uid, line.outcome, holder, line.reader_id or line.place, line.time, 1, line.seq)
    return replace(card, outcome=line.outcome, holder=holder, place=line.reader_id or line.place, time=line.time,
                   taps=card.taps + 1, seq=line.seq)  # fmt: skip
