"""Provides the console's navigation keys: F1–F6 for the six screens, shown in the footer; 1–6 as well."""

from __future__ import annotations

from textual.binding import Binding, BindingType

SCREENS = ("live", "rooms", "alerts", "pickup", "report", "devices")


def navigation() -> list[BindingType]:
    """F1–F6 switch screens (shown in the footer); 1–6 too, where no text box takes the digit.

    Descriptions are catalogue keys (`tui.screen.*`), put into the guard's language per instance.
    """
    found: list[BindingType] = []
    for n, mode in enumerate(SCREENS, start=1):
        found.append(Binding(f"f{n}", f"switch_mode('{mode}')", f"tui.screen.{mode}", key_display=f"F{n}"))
        found.append(Binding(str(n), f"switch_mode('{mode}')", show=False))
    return found
