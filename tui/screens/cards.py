"""Provides `CardsScreen` (F7): the unknown and lost cards tapped today that no guard has dealt with yet.

Each card stays until it is given to a child (A: the same assign flow as F1's, which asks first
naming the child) or dismissed (D: asks, then why; the device records it, so it leaves every
console's list, and U takes it back). The list is the board's (`tui/unresolved.py`), so a card
tapped while the guard was on another screen is still here.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from tui.board import Board, place_names
from tui.messages import Act
from tui.screens.assign_dialog import give_card
from tui.screens.base import BoardScreen
from tui.screens.confirm_dialog import ConfirmDialog
from tui.screens.note_dialog import NoteDialog
from tui.text import tr
from tui.unresolved import UnresolvedCard


class CardsScreen(BoardScreen):
    TITLE_KEY = "cards.title"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "assign", "tui.key.assign", key_display="A"),
        Binding("d", "dismiss_card", "cards.key.dismiss", key_display="D"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.cards: tuple[UnresolvedCard, ...] = ()

    def compose_body(self) -> ComposeResult:
        table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True, id="cards")
        for key in ("cards.col.card", "cards.col.what", "col.place", "cards.col.time", "cards.col.taps"):
            table.add_column(tr(self, key))
        yield table
        yield Static(id="cards-hint")

    def show(self, board: Board) -> None:
        table: DataTable[str | Text] = self.query_one("#cards", DataTable)
        chosen = self.highlighted
        self.cards = tuple(sorted(board.cards, key=lambda card: card.seq, reverse=True))  # the newest first
        table.clear()
        names = place_names(board)
        for card in self.cards:
            table.add_row(*self._cells(card, names), key=card.uid)
        uids = [card.uid for card in self.cards]
        if uids:  # the cursor stays on its card (by its number) as new taps come in above it
            table.move_cursor(row=uids.index(chosen.uid) if chosen and chosen.uid in uids else 0)
        hint = "cards.hint" if self.cards else "cards.none"
        self.query_one("#cards-hint", Static).update(Text(tr(self, hint), style="bold"))

    def _cells(self, card: UnresolvedCard, names: dict[str, str]) -> list[str | Text]:
        what = tr(self, "outcome." + card.outcome) + (f" · {card.holder}" if card.holder else "")
        return [card.uid, Text(what, style="bold red"), names.get(card.place, card.place), card.time[:5],
                Text(str(card.taps), justify="right")]  # fmt: skip

    @property
    def highlighted(self) -> UnresolvedCard | None:
        row = self.query_one("#cards", DataTable).cursor_row
        return self.cards[row] if 0 <= row < len(self.cards) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("assign", "dismiss_card"):
            return True if self.highlighted is not None else None  # None: shown dimmed
        return True

    def action_assign(self) -> None:
        card = self.highlighted
        if card is None:
            return
        uid = card.uid  # bound now: the list may change while the dialogs are open
        give_card(self, uid)

    def action_dismiss_card(self) -> None:
        card = self.highlighted
        if card is None:
            return
        uid = card.uid

        def noted(note: str | None) -> None:
            if note is None:
                return
            if not note:  # the device asks why too: say so here, before a round trip
                self.notify(tr(self, "cards.reason_needed"), severity="error")
                return
            # The device records it (every console and the school server see the card dealt with);
            # the card leaves this list when its event comes back on the live stream.
            self.post_message(Act("dismiss_card", "", uid=uid, note=note, who=uid))

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.app.push_screen(NoteDialog(tr(self, "cards.note_title", uid=uid), tr(self, "cards.note_prompt")),
                                     noted)  # fmt: skip

        self.app.push_screen(ConfirmDialog(tr(self, "cards.confirm_dismiss", uid=uid), tr(self, "cards.confirm_detail")),
                             confirmed)  # fmt: skip
