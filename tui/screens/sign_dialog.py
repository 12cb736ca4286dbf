"""Provides `SignDialog`: sign a room's zero report as a staff member chosen by name, with their PIN or their staff card.

The signer is picked from the staff the device offers (↑↓; an older device offers none, and the
id is typed instead), then gives the PIN the office set for them (a password field, Enter signs).
Or, while the dialog is open, they tap their staff card at any reader: the feed shows "staff on
duty" with their id, and that tap's event is the proof the device checks — nothing to type. The
device decides either way; the dialog only gathers what to send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tui.board import Board
from tui.rows import SessionRow, SignerRow
from tui.text import localise, tr

STAFF_LINES = 8  # staff shown at once; more scroll


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signs and how they show it: a PIN as typed (sent once, never kept) or their card's tap event."""

    staff_id: str
    name: str = ""
    pin: str = ""
    card_event: str = ""


class SignDialog(ModalScreen[Signer | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "tui.key.cancel")]

    def __init__(self, session: SessionRow, signers: tuple[SignerRow, ...] = ()) -> None:
        super().__init__()
        self.session, self.signers = session, signers
        self._seen_seq: int | None = None
        localise(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(tr(self, "tui.report.sign_title", room=self.session.room, service=self.session.service),
                        classes="dialog-title")  # fmt: skip
            if self.signers:
                yield Label(tr(self, "tui.sign.staff_prompt"))
                yield OptionList(*(self._option(s) for s in self.signers), id="signer")
            else:
                yield Label(tr(self, "tui.sign.staff_id_prompt"))
                yield Input(id="staff", max_length=64)
            yield Label(tr(self, "tui.sign.pin_prompt"))
            yield Input(id="pin", password=True, max_length=8, restrict=r"[0-9]*")
            yield Label("", id="sign-problem")

    def _option(self, signer: SignerRow) -> Option:
        label = signer.name if signer.has_pin else f"{signer.name}({tr(self, 'tui.sign.no_pin')})"
        return Option(label, id=signer.id)

    def on_mount(self) -> None:
        if self.signers:
            options = self.query_one("#signer", OptionList)
            options.styles.max_height = STAFF_LINES
            options.highlighted = 0
        self.watch(self.app, "board", self._board_changed, init=True)

    def _board_changed(self, board: Board) -> None:
        if self._seen_seq is None:  # only taps from now on count
            self._seen_seq = board.head_seq
            return
        for line in board.feed:
            if line.seq > self._seen_seq and line.outcome == "staff_on_duty" and line.subject:
                self.dismiss(
                    Signer(line.subject, self._name_of(line.subject) or line.name, card_event=line.uuid)
                )
                return
        self._seen_seq = board.head_seq

    @on(OptionList.OptionSelected, "#signer")
    def _signer_chosen(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#staff")
    def _staff_typed(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _pin_given(self, event: Input.Submitted) -> None:
        staff_id = self._chosen_staff()
        if not staff_id:
            self._say("tui.sign.choose_first")
        elif not event.value:
            self._say("tui.sign.pin_needed")
        else:
            self.dismiss(Signer(staff_id, self._name_of(staff_id), pin=event.value))

    def _chosen_staff(self) -> str:
        if not self.signers:
            return self.query_one("#staff", Input).value.strip()
        options = self.query_one("#signer", OptionList)
        index = options.highlighted
        return self.signers[index].id if index is not None and 0 <= index < len(self.signers) else ""

    def _name_of(self, staff_id: str) -> str:
        return next((s.name for s in self.signers if s.id == staff_id), "")

    def _say(self, key: str) -> None:
        self.query_one("#sign-problem", Label).update(tr(self, key))

    def action_cancel(self) -> None:
        self.dismiss(None)
