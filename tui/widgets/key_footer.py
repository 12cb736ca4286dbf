"""Provides `KeyFooter`: the footer line — this screen's own keys, then F1–F6 while they fit, then F12 help.

Textual's footer lays every key in a row and cuts what passes the edge ("F6 De" at 80 columns in
English). Here no label is ever cut: a screen's own keys (what a guard does there) always show;
the screen keys F1–F6 show only when the whole row fits the width, and otherwise give way all
together (never some of them); F12 (help) always shows and lists every key. At 100 columns the
English gate needs 96; at 80 it needs 96 with F1–F6 and 38 without.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

HELP_ACTION = "help"


def is_navigation(binding: Binding) -> bool:
    return binding.action.startswith("switch_mode(")


def label_width(labels: Iterable[tuple[str, str]]) -> int:
    """Columns the compact footer takes for these (key, description) labels: `F1 门口` and one space after each but the last."""
    widths = [cell_len(key) + (1 + cell_len(description) if description else 0) for key, description in labels]
    return sum(widths) + max(len(widths) - 1, 0)


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)
        self.folded = False  # F1–F6 gave way to the width (F12 lists them)

    def keys(self) -> list[tuple[Binding, bool, str]]:
        """Each shown binding once (by action), in the footer's order: own keys, screens, help."""
        seen: dict[str, tuple[Binding, bool, str]] = {}
        for active in self.screen.active_bindings.values():
            if active.binding.show and active.binding.action not in seen:
                seen[active.binding.action] = (active.binding, active.enabled, active.tooltip)
        found = list(seen.values())
        own = [k for k in found if not is_navigation(k[0]) and k[0].action != HELP_ACTION]
        screens = [k for k in found if is_navigation(k[0])]
        helps = [k for k in found if k[0].action == HELP_ACTION]
        width = self.size.width or self.app.size.width
        everything = own + screens + helps
        self.folded = label_width(self._label(b) for b, _, _ in everything) > width
        return own + helps if self.folded else everything

    def _label(self, binding: Binding) -> tuple[str, str]:
        return self.app.get_key_display(binding), binding.description

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        for binding, enabled, tooltip in self.keys():
            key, description = self._label(binding)
            yield FooterKey(binding.key, key, description, binding.action, disabled=not enabled,
                            tooltip=tooltip).data_bind(compact=Footer.compact)  # fmt: skip

    def on_resize(self, event: events.Resize) -> None:
        was = self.folded
        self.keys()
        if self.folded != was:
            self.call_after_refresh(self.recompose)
