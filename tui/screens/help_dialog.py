"""Provides `HelpDialog` (F12, or ? where no text box takes it): every key of the screen below, and the ones that work anywhere.

The footer shows a screen's own keys and gives F1–F6 up at narrow widths (`tui/widgets/key_footer.py`);
this list always has them all. It is built from the bindings themselves (their descriptions are
catalogue keys), so a key added to a screen is listed here without a second list to keep.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.text import localise, tr

# Keys of the app's own that a binding does not carry (Textual's, or said in one line).
ALWAYS = (("Ctrl+Q", "tui.key.quit"),)


def described(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """(key as shown, catalogue key) for each binding with a description, once per action."""
    found: dict[str, tuple[str, str]] = {}
    for binding in bindings:
        if isinstance(binding, Binding) and binding.description and binding.action not in found:
            found[binding.action] = (binding.key_display or binding.key.upper(), binding.description)
    return list(found.values())


class HelpDialog(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "tui.key.cancel")]  # F12 again: the app's

    def __init__(self, screen_name: str, own: list[tuple[str, str]], screens: list[tuple[str, str]],
                 anywhere: list[tuple[str, str]]) -> None:  # fmt: skip
        super().__init__()
        self.screen_name, self.sections = screen_name, (("help.this_screen", own), ("help.screens", screens),
                                                        ("help.anywhere", [*anywhere, *ALWAYS]))  # fmt: skip
        localise(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide", id="help"):
            yield Label(tr(self, "help.title", screen=self.screen_name), classes="dialog-title")
            with VerticalScroll():
                yield Static(self._text(), id="help-keys")
            yield Label(tr(self, "help.close"))

    def _text(self) -> Text:
        """One line a key, the keys in a column as wide as the widest (`Ctrl+Q`), each section titled."""
        width = max((cell_len(key) for _, keys in self.sections for key, _ in keys), default=0) + 2
        text = Text()
        for title, keys in self.sections:
            if not keys:
                continue
            text.append(("\n" if text else "") + tr(self, title) + "\n", style="bold underline")
            for key, description in keys:
                text.append(key + " " * (width - cell_len(key)), style="bold")
                text.append(tr(self, description) + "\n")
        return text

    def action_close(self) -> None:
        self.dismiss(None)
